package session

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// Conflict says what an upsert does when a row with the same unique key
// already exists: OnConflict(&U.Name).DoNothing() or
// OnConflict(&U.Name).DoUpdate(&U.Fullname). Columns are field pointers
// from arc.Cols (or expr.Cols), or field or column names.
type Conflict struct {
	target  []any
	update  []any
	nothing bool
	set     bool // DoNothing or DoUpdate was called
}

// OnConflict names the unique key (primary key, unique column, unique
// constraint or unique index of the model) whose conflict the upsert
// handles. Follow it with DoNothing or DoUpdate.
func OnConflict(cols ...any) Conflict { return Conflict{target: cols} }

// DoNothing keeps the existing row as it is (INSERT ... ON CONFLICT DO
// NOTHING); the upsert then reads that row, so the object still ends up
// holding what the database holds.
func (c Conflict) DoNothing() Conflict {
	c.nothing, c.update, c.set = true, nil, true
	return c
}

// DoUpdate overwrites the existing row's listed columns with the values
// being inserted (ON CONFLICT DO UPDATE SET col = excluded.col). With no
// columns it updates every inserted column except the conflict key, the
// primary key and CreatedAt. UpdatedAt moves whenever the row is updated,
// and a version column is incremented.
func (c Conflict) DoUpdate(cols ...any) Conflict {
	c.nothing, c.update, c.set = false, cols, true
	return c
}

// Upsert inserts obj, or, when a row with the same unique key exists,
// does what c says, in one INSERT ... ON CONFLICT ... RETURNING statement
// in the session's transaction (after autoflush). It returns the session's
// object for the row, holding what the database holds after the statement
// (generated key, defaults, updated columns): obj itself, now persistent,
// unless the session already maps that row to another object, which is
// then refreshed and returned while obj is left unchanged.
//
// obj must not be in a session already (ErrInvalidRequest). Upsert writes
// obj's columns only: relationship fields are not cascaded (set foreign
// key columns, or flush related objects first), and the model's
// Before/After Insert/Update hooks do not run, since the database decides
// which of the two happens. On error nothing changes, in memory or in the
// database.
func Upsert[T any](ctx context.Context, s *Session, obj *T, c Conflict) (*T, error) {
	out, err := UpsertAll(ctx, s, []*T{obj}, c)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// UpsertAll is Upsert for a batch: one multi-row statement per batch of
// rows (more when the dialect's bind-parameter limit requires), and the
// session's object for each input, in input order. Two inputs with the
// same conflict key are refused (ErrInvalidRequest) rather than given to
// the database, where the outcome differs between dialects.
func UpsertAll[T any](ctx context.Context, s *Session, objs []*T, c Conflict) ([]*T, error) {
	t, err := meta.Of[T]()
	if err != nil {
		return nil, err
	}
	ptrs := make([]unsafe.Pointer, len(objs))
	for i, o := range objs {
		if o == nil {
			return nil, fmt.Errorf("%w: Upsert of a nil *%s (item %d)", arcerr.ErrInvalidRequest, t.GoType.Name(), i)
		}
		ptrs[i] = unsafe.Pointer(o)
	}
	got, err := s.upsert(ctx, t, ptrs, c)
	if err != nil {
		return nil, err
	}
	out := make([]*T, len(got))
	for i, p := range got {
		out[i] = layout.As[T](p)
	}
	return out, nil
}

// upsertPlan is an upsert's statement shape for one table.
type upsertPlan struct {
	t      *meta.Table
	cd     *codec
	target []*meta.Column
	cols   []*meta.Column // inserted columns (the same for every row of a batch)
	oc     *expr.OnConflict
}

func (s *Session) upsert(ctx context.Context, t *meta.Table, objs []unsafe.Pointer, c Conflict) ([]unsafe.Pointer, error) {
	name := t.GoType.Name()
	if err := s.check(); err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, nil
	}
	if !c.set {
		return nil, fmt.Errorf("%w: Upsert of %s: OnConflict needs DoNothing() or DoUpdate(...)", arcerr.ErrInvalidRequest, name)
	}
	for i, p := range objs {
		if st := s.stateAt(p); st != nil {
			return nil, fmt.Errorf("%w: Upsert of %s (item %d): the object is already %s in this session; change it and flush instead", arcerr.ErrInvalidRequest, describe(st), i, st.status)
		}
		if st := StateOf(reflect.NewAt(t.GoType, p).Interface()); st == Pending || st == Persistent {
			return nil, fmt.Errorf("%w: Upsert of %s (item %d): the object is %s in another session", arcerr.ErrInvalidRequest, name, i, st)
		}
	}
	plan, err := upsertPlanFor(t, c)
	if err != nil {
		return nil, err
	}
	if err := s.autoflush(ctx); err != nil {
		return nil, err
	}
	if _, err := s.executor(ctx); err != nil {
		return nil, err
	}

	// Fill client-side defaults as an INSERT of the flush would, keeping
	// each object's values to put back if anything fails.
	cd := plan.cd
	before := make([]*snapshot, len(objs))
	for i, p := range objs {
		before[i] = cd.take(p)
	}
	restore := func() {
		for i, p := range objs {
			cd.restore(p, before[i])
		}
	}
	now := s.flushNow()
	var mask uint64
	var colsList []*meta.Column
	seen := make(map[string]int, len(objs))
	for i, p := range objs {
		m, cols := upsertShape(t, cd, p, now)
		if i == 0 {
			mask, colsList = m, cols
		} else if m != mask || !slices.Equal(cols, colsList) {
			restore()
			return nil, fmt.Errorf("%w: UpsertAll of %s: item %d leaves a generated column unset where item 0 sets it (or the reverse); upsert such rows in separate calls", arcerr.ErrInvalidRequest, name, i)
		}
		k := plan.keyOf(p)
		if j, dup := seen[k]; dup {
			restore()
			return nil, fmt.Errorf("%w: UpsertAll of %s: items %d and %d have the same %s", arcerr.ErrInvalidRequest, name, j, i, colNames(plan.target))
		}
		seen[k] = i
	}
	for _, c := range plan.target {
		if !slices.Contains(colsList, c) {
			restore()
			return nil, fmt.Errorf("%w: Upsert of %s: the conflict column %s is generated by the database and cannot be the conflict key", arcerr.ErrInvalidRequest, name, c.Name)
		}
	}
	plan.cols = colsList
	if !plan.oc.DoNothing {
		plan.oc.Update = slices.DeleteFunc(plan.oc.Update, func(n string) bool {
			c := t.ColumnByName(n)
			return !slices.Contains(colsList, c)
		})
		if len(plan.oc.Update)+len(plan.oc.Increment) == 0 {
			plan.oc.DoNothing = true
		}
	}

	var rows []unsafe.Pointer
	alone := len(objs) == 1 && s.bulkAlone()
	if alone {
		// A one-shot session's only work (Upsert without a session): one
		// INSERT … ON CONFLICT, atomic by itself, sent in autocommit. The
		// read-back of a row DoNothing left alone (or of MySQL's ON
		// DUPLICATE KEY) is a plain read after it, as it would be at
		// READ COMMITTED inside a transaction.
		s.wrote = true
		rows, err = s.execUpsert(ctx, s.eng.Autocommit(), plan, objs)
	} else {
		err = s.writeNow(ctx, "arc_upsert", func(tx *engine.Tx) (err error) {
			rows, err = s.execUpsert(ctx, tx, plan, objs)
			return err
		})
	}
	if err != nil {
		restore()
		return nil, fmt.Errorf("arc: Upsert of %s: %w", name, err)
	}

	// Map each row: the session's object for it when there is one,
	// refreshed; else the caller's object becomes persistent.
	out := make([]unsafe.Pointer, len(objs))
	for i, p := range objs {
		fresh := rows[i]
		k := identityOf(t, fresh)
		if st := s.identity.get(k); st != nil {
			cd.restore(p, before[i])
			got, err := s.loadExisting(ctx, st, fresh, true, 0)
			if err != nil {
				return nil, err
			}
			out[i] = got
			continue
		}
		cd.restore(p, cd.take(fresh))
		st := s.newState()
		cd.takeInto(p, &st.first)
		// Like an object the flush inserted: a rollback of the
		// transaction detaches it (its row may not survive the rollback).
		// In autocommit the row is committed already.
		st.set(bNewInTx, !alone)
		got, err := s.adopt(ctx, st, t, cd, p, k, 0, nil)
		if err != nil {
			return nil, err
		}
		out[i] = got
	}
	return out, nil
}

// upsertPlanFor resolves c's columns against t.
func upsertPlanFor(t *meta.Table, c Conflict) (*upsertPlan, error) {
	name := t.GoType.Name()
	if len(c.target) == 0 {
		return nil, fmt.Errorf("%w: Upsert of %s: OnConflict names no column", arcerr.ErrInvalidRequest, name)
	}
	p := &upsertPlan{t: t, cd: codecOf(t)}
	for _, x := range c.target {
		col, err := upsertColumn(t, x)
		if err != nil {
			return nil, err
		}
		p.target = append(p.target, col)
	}
	if !isUniqueKey(t, p.target) {
		return nil, fmt.Errorf("%w: Upsert of %s: %s is not the primary key or a unique constraint or index of the model", arcerr.ErrInvalidRequest, name, colNames(p.target))
	}
	p.oc = &expr.OnConflict{Columns: meta.ColumnNames(p.target), DoNothing: c.nothing}
	if c.nothing {
		return p, nil
	}
	var upd []*meta.Column
	if len(c.update) == 0 {
		for _, col := range t.Columns {
			if col.PrimaryKey || slices.Contains(p.target, col) || col == t.CreatedAt || col == t.SoftDelete {
				continue
			}
			upd = append(upd, col)
		}
	} else {
		for _, x := range c.update {
			col, err := upsertColumn(t, x)
			if err != nil {
				return nil, err
			}
			if slices.Contains(p.target, col) {
				return nil, fmt.Errorf("%w: Upsert of %s: DoUpdate sets %s, which is part of the conflict key", arcerr.ErrInvalidRequest, name, col.Name)
			}
			if !slices.Contains(upd, col) {
				upd = append(upd, col)
			}
		}
		if t.UpdatedAt != nil && !slices.Contains(upd, t.UpdatedAt) {
			upd = append(upd, t.UpdatedAt)
		}
	}
	for _, col := range upd {
		if col == t.Version {
			continue
		}
		p.oc.Update = append(p.oc.Update, col.Name)
	}
	if t.Version != nil {
		p.oc.Increment = []string{t.Version.Name}
	}
	return p, nil
}

// upsertColumn resolves a field pointer (from a probe of t) or a field or
// column name.
func upsertColumn(t *meta.Table, x any) (*meta.Column, error) {
	name := t.GoType.Name()
	switch v := x.(type) {
	case string:
		if c := t.ColumnByField(v); c != nil {
			return c, nil
		}
		if c := t.ColumnByName(v); c != nil {
			return c, nil
		}
		return nil, fmt.Errorf("%w: Upsert of %s: no field or column %q", arcerr.ErrInvalidRequest, name, v)
	case nil:
		return nil, fmt.Errorf("%w: Upsert of %s: a nil column", arcerr.ErrInvalidRequest, name)
	}
	rv := reflect.ValueOf(x)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		if pt, off, ok := meta.ProbeOwner(rv.UnsafePointer()); ok {
			if pt != t {
				return nil, fmt.Errorf("%w: Upsert of %s: the column is a field of %s", arcerr.ErrInvalidRequest, name, pt.GoType.Name())
			}
			if c := t.ColumnAt(off, rv.Type().Elem()); c != nil {
				return c, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: Upsert of %s: %T is not a column of it (use &Cols.Field or a field name)", arcerr.ErrInvalidRequest, name, x)
}

// isUniqueKey reports whether cols (in any order) are t's primary key, a
// unique column, or the columns of a unique constraint or index.
func isUniqueKey(t *meta.Table, cols []*meta.Column) bool {
	same := func(other []*meta.Column) bool {
		if len(other) != len(cols) {
			return false
		}
		for _, c := range other {
			if !slices.Contains(cols, c) {
				return false
			}
		}
		return true
	}
	if same(t.PrimaryKey) || len(cols) == 1 && cols[0].Unique {
		return true
	}
	for _, u := range t.Uniques {
		if same(u.Columns) {
			return true
		}
	}
	for _, ix := range t.Indexes {
		if ix.Unique && same(ix.Columns) {
			return true
		}
	}
	return false
}

func colNames(cols []*meta.Column) string {
	return "(" + strings.Join(meta.ColumnNames(cols), ", ") + ")"
}

// keyOf encodes obj's conflict-key values.
func (p *upsertPlan) keyOf(obj unsafe.Pointer) string {
	vals := make([]any, len(p.target))
	for i, c := range p.target {
		vals[i] = readCol(p.cd, c, obj)
	}
	return encodeKey(vals)
}

// upsertShape fills the defaults an INSERT fills (as insertShape does for
// the flush) and returns the inserted columns: every column but a zero
// generated one (autoincrement key, server default, sequence).
func upsertShape(t *meta.Table, cd *codec, obj unsafe.Pointer, now time.Time) (mask uint64, cols []*meta.Column) {
	for i := range cd.cols {
		cc := &cd.cols[i]
		c := cc.c
		if cc.special && (c.Generated != "" || cc.zero(layout.At(obj, c.Offset))) {
			switch {
			case c.AutoIncrement, c.ServerDefault != "" || c.Sequence != "", c.Generated != "":
				continue
			case autoUUID(c):
				newUUID(c, layout.At(obj, c.Offset))
			case c.HasDefault:
				setDefault(obj, c, now)
			case c == t.CreatedAt || c == t.UpdatedAt:
				setNow(obj, c, now)
			case c == t.Version:
				layout.Value(obj, c.Offset, c.GoType).SetInt(1)
			}
		}
		if c == t.UpdatedAt && c.Generated == "" {
			setNow(obj, c, now) // the row is written now, inserted or updated
		}
		if i < 64 {
			mask |= bit(i)
		}
		cols = append(cols, c)
	}
	return mask, cols
}

// execUpsert runs the statements and returns, for each object, a fresh
// struct holding its row as the database has it after the statement.
func (s *Session) execUpsert(ctx context.Context, tx *engine.Tx, p *upsertPlan, objs []unsafe.Pointer) ([]unsafe.Pointer, error) {
	t, d := p.t, s.eng.Dialect()
	all := meta.ColumnNames(t.Columns)
	per := min(MaxInsertBatch, max(1, d.MaxParams()/max(1, len(p.cols))))
	out := make([]unsafe.Pointer, len(objs))
	index := make(map[string]int, len(objs))
	for i, o := range objs {
		index[p.keyOf(o)] = i
	}
	names := meta.ColumnNames(p.cols)
	for start := 0; start < len(objs); start += per {
		end := min(start+per, len(objs))
		ins := &expr.Insert{Table: t, Columns: names, OnConflict: p.oc, Returning: all}
		for _, o := range objs[start:end] {
			row := make([]any, len(p.cols))
			for j, c := range p.cols {
				row[j] = readCol(p.cd, c, o)
			}
			ins.Rows = append(ins.Rows, row)
		}
		if !d.Has(dialect.ReturningInsert) || d.Has(dialect.OnDuplicateKey) {
			// MySQL: ON DUPLICATE KEY UPDATE without RETURNING; every row
			// is read back by its conflict key below.
			ins.Returning = nil
			q, args, err := compileWith(d, ins, nil)
			if err != nil {
				return nil, err
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return nil, err
			}
			continue
		}
		if err := s.scanUpsert(ctx, tx, p, ins, index, out); err != nil {
			return nil, err
		}
	}
	// DO NOTHING (or a conflict that updated nothing) returns no row for a
	// conflicting input: read the existing rows by their conflict keys.
	var missing []int
	for i, o := range out {
		if o == nil {
			missing = append(missing, i)
		}
	}
	ref := expr.TableOf(t)
	per = max(1, d.MaxParams()/max(1, len(p.target))/2)
	for start := 0; start < len(missing); start += per {
		end := min(start+per, len(missing))
		var or []expr.Expr
		for _, i := range missing[start:end] {
			var and []expr.Expr
			for _, c := range p.target {
				and = append(and, expr.Op(&expr.ColRef{From: ref, Col: c}, "=", readCol(p.cd, c, objs[i])))
			}
			or = append(or, expr.And(and...))
		}
		sel := &expr.Select{From: []expr.FromItem{ref}, Where: []expr.Expr{expr.Or(or...)}}
		for _, c := range t.Columns {
			sel.Columns = append(sel.Columns, &expr.ColRef{From: ref, Col: c})
		}
		if err := s.scanUpsert(ctx, tx, p, sel, index, out); err != nil {
			return nil, err
		}
	}
	for i, o := range out {
		if o == nil && d.Has(dialect.OnDuplicateKey) {
			// MySQL's ON DUPLICATE KEY UPDATE met a conflict on another
			// unique key and updated that row; the savepoint of the
			// upsert undoes it.
			return nil, fmt.Errorf("%w: item %d conflicts on a unique key other than %s (MySQL's ON DUPLICATE KEY UPDATE cannot limit the conflict to the given columns); nothing was written",
				arcerr.ErrIntegrity, i, colNames(p.target))
		}
		if o == nil {
			return nil, fmt.Errorf("%w: no row for item %d after the upsert (was it deleted concurrently?)", arcerr.ErrStaleData, i)
		}
	}
	return out, nil
}

// scanUpsert runs st and puts each returned row at the index of the input
// with the same conflict key.
func (s *Session) scanUpsert(ctx context.Context, tx *engine.Tx, p *upsertPlan, st expr.Expr, index map[string]int, out []unsafe.Pointer) error {
	q, args, err := compileWith(s.eng.Dialect(), st, nil)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	plan := s.rowPlan(p.t)
	for rows.Next() {
		fresh := reflect.New(p.t.GoType).UnsafePointer()
		if err := plan.Scan(rows, fresh); err != nil {
			return err
		}
		i, ok := index[p.keyOf(fresh)]
		if !ok {
			return fmt.Errorf("%w: the database returned a row whose %s matches no input", arcerr.ErrInvalidRequest, colNames(p.target))
		}
		out[i] = fresh
	}
	return tx.Wrap(rows.Err(), q, args)
}

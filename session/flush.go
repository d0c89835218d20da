package session

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/toposort"
	"github.com/arcorm/arc/meta"
)

// MaxInsertBatch caps the rows of one multi-row INSERT (the dialect's
// bind-parameter limit caps it further).
const MaxInsertBatch = 1000

// flushPlan is the work one flush does.
type flushPlan struct {
	tables  []*meta.Table // dependency order
	inserts map[*meta.Table][]*state
	updates map[*meta.Table][]*update
	deletes map[*meta.Table][]*state
	touched []*state
	backups []backup
	light   []*state // pending objects restored by clearing what the INSERT filled in
	// Some persistent objects have no backup: restore undoes their
	// UpdatedAt and version changes (see update).
	lightPersistent bool
}

// backup is a touched object's values before the flush.
type backup struct {
	st   *state
	snap *snapshot
}

type update struct {
	st   *state
	cols []int // codec column indexes
	mask uint64
	// What the flush itself changed in the object, for a light restore.
	setUpdatedAt int // codec index of UpdatedAt set by the flush, or -1
	bumped       bool
}

// Flush writes all pending changes in one transaction (begun if needed),
// in foreign-key order: for each table, parents first, UPDATEs then
// INSERTs; then DELETEs, children first. Generated keys and server
// defaults are read back into the objects. When it fails, the database
// is rolled back to where it was before the flush and every object is
// restored exactly: the caller can fix the problem and flush again.
func (s *Session) flush(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	if s.failed != nil {
		return fmt.Errorf("%w (cause: %v)", arcerr.ErrNeedsRollback, s.failed)
	}
	if s.iterating > 0 {
		return fmt.Errorf("%w: flush", arcerr.ErrIteratorOpen)
	}
	// The relationship bookkeeping of this flush lives until it commits;
	// every other way out undoes what it wrote into objects and drops it,
	// so a failed flush changes and leaks nothing.
	s.relPre = nil
	flushed := false
	defer func() {
		if !flushed {
			s.relUndoPre()
			s.relRollback()
		}
	}()
	if err := s.relPreFlush(ctx); err != nil {
		return err
	}
	if !s.hasChanges() {
		return nil
	}
	if s.opts.readOnly {
		return fmt.Errorf("%w: flush in a read-only session (session.ReadOnly): %d new, %d deleted, %d changed objects cannot be written",
			arcerr.ErrInvalidRequest, len(s.pending), len(s.deleted), len(s.Dirty()))
	}
	if err := s.runBeforeFlush(ctx); err != nil {
		return err
	}
	plan := s.newPlan()
	if err := s.runBeforeHooks(ctx, plan); err != nil {
		plan.restore()
		return err
	}
	plan.computeUpdates()
	tx, err := s.flushTx(ctx, plan) // flush_single.go
	if err != nil {
		plan.restore()
		return err
	}
	useSavepoint := !tx.Autocommitted() && (s.txFlushed || len(s.nested) > 0)
	const sp = "arc_flush"
	if useSavepoint {
		if err := tx.Savepoint(ctx, sp); err != nil {
			plan.restore()
			return err
		}
	}
	done, err := s.execute(ctx, tx, plan)
	if err == nil {
		err = s.runAfterHooks(ctx, plan)
	}
	if err != nil {
		plan.restore()
		if useSavepoint {
			if rerr := tx.RollbackTo(ctx, sp); rerr != nil {
				s.failed = err
				return errors.Join(err, rerr)
			}
			_ = tx.Release(ctx, sp)
		} else {
			_ = tx.Rollback()
			s.tx = nil
			s.forgetTx()
		}
		return err
	}
	if useSavepoint {
		if err := tx.Release(ctx, sp); err != nil {
			plan.restore()
			s.failed = err
			return err
		}
	}
	s.commitPlan(plan, done)
	if !done.softAt.IsZero() {
		for _, st := range done.deleted {
			if s.softDeleting(st) {
				setSoftDeleted(st, done.softAt)
			}
		}
	}
	s.hardDeletes = nil
	s.txFlushed = !tx.Autocommitted()
	s.relPre = nil
	flushed = true
	return nil
}

func (s *Session) newPlan() *flushPlan {
	p := &flushPlan{}
	var tables []*meta.Table
	// The maps are made only when needed (a nil map reads as empty).
	if len(s.pending) > 0 {
		p.inserts = map[*meta.Table][]*state{}
		p.touched = make([]*state, 0, len(s.pending))
	}
	for _, st := range s.pending {
		p.inserts[st.cd.t] = append(p.inserts[st.cd.t], st)
		p.touched = append(p.touched, st)
		if !slices.Contains(tables, st.cd.t) {
			tables = append(tables, st.cd.t)
		}
	}
	for _, st := range s.persistentStates() {
		if st.markedDelete {
			continue
		}
		if st.snap != nil && st.cd.anyChanged(st.obj, st.snap) {
			if p.updates == nil {
				p.updates = map[*meta.Table][]*update{}
			}
			p.updates[st.cd.t] = append(p.updates[st.cd.t], &update{st: st, setUpdatedAt: -1})
			p.touched = append(p.touched, st)
			if !slices.Contains(tables, st.cd.t) {
				tables = append(tables, st.cd.t)
			}
		}
	}
	if len(s.deleted) > 0 {
		p.deletes = map[*meta.Table][]*state{}
	}
	for _, st := range s.deleted {
		p.deletes[st.cd.t] = append(p.deletes[st.cd.t], st)
		p.touched = append(p.touched, st)
		if !slices.Contains(tables, st.cd.t) {
			tables = append(tables, st.cd.t)
		}
	}
	p.tables = sortTables(tables)
	for _, st := range p.touched {
		if lightRestore(st.cd.t) {
			switch {
			case st.status == Pending:
				st.filled = 0
				p.light = append(p.light, st)
				continue
			case st.status == Persistent && st.snap != nil:
				// An UPDATE changes only UpdatedAt and the version in
				// memory, a DELETE nothing: restore undoes exactly that.
				p.lightPersistent = true
				continue
			}
		}
		p.backups = append(p.backups, backup{st, st.cd.take(st.obj)})
	}
	return p
}

// lightRestore reports whether an object of t can be restored after a
// failed flush without a full copy, because nothing but the statement
// itself writes to it: for an INSERT, defaults, timestamps, the version
// and RETURNING, all into fields that were zero; for an UPDATE, UpdatedAt
// and the version; for a DELETE, nothing. Hooks can change any field, and
// relationship bookkeeping writes foreign keys, so objects of tables with
// hooks, relationship fields or foreign keys get a full backup.
func lightRestore(t *meta.Table) bool {
	return t.Hooks&^meta.HookAfterLoad == 0 && len(t.Relations) == 0 && len(t.ForeignKeys) == 0 && len(t.Columns) <= 64 &&
		len(t.Generated) == 0 // RETURNING overwrites generated fields, which need not be zero
}

// restore puts every touched object back as it was before the flush.
func (p *flushPlan) restore() {
	for _, b := range p.backups {
		b.st.cd.restore(b.st.obj, b.snap)
	}
	for _, st := range p.light {
		for i := range st.cd.cols {
			if st.filled&bit(i) != 0 {
				c := st.cd.cols[i].c
				reflect.NewAt(c.GoType, unsafe.Add(st.obj, c.Offset)).Elem().SetZero()
			}
		}
		st.filled = 0
	}
	if p.lightPersistent {
		for _, ups := range p.updates {
			for _, u := range ups {
				if !lightRestore(u.st.cd.t) {
					continue
				}
				if u.setUpdatedAt >= 0 {
					u.st.cd.restoreCol(u.setUpdatedAt, u.st.obj, u.st.snap)
					u.setUpdatedAt = -1
				}
				if u.bumped {
					v := u.st.cd.t.Version
					f := reflect.NewAt(v.GoType, unsafe.Add(u.st.obj, v.Offset)).Elem()
					f.SetInt(f.Int() - 1)
					u.bumped = false
				}
			}
		}
	}
}

// computeUpdates fixes the changed columns of each update after the
// before-hooks ran (they may change fields) and drops no-op updates.
func (p *flushPlan) computeUpdates() {
	now := flushNow()
	for t, ups := range p.updates {
		kept := ups[:0]
		for _, u := range ups {
			st := u.st
			u.cols = u.cols[:0]
			u.mask = 0
			for i := range st.cd.cols {
				if c := st.cd.cols[i].c; c == t.Version || c.Generated != "" {
					continue // the version is bumped by the UPDATE; generated columns are read-only
				}
				if st.cd.changed(i, st.obj, st.snap) {
					u.cols = append(u.cols, i)
				}
			}
			if len(u.cols) == 0 {
				continue
			}
			if ua := t.UpdatedAt; ua != nil {
				idx := slices.IndexFunc(st.cd.cols, func(cc colCodec) bool { return cc.c == ua })
				if !slices.Contains(u.cols, idx) {
					setNow(st.obj, ua, now)
					u.setUpdatedAt = idx
					u.cols = append(u.cols, idx)
					slices.Sort(u.cols)
				}
			}
			for _, i := range u.cols {
				if i < 64 {
					u.mask |= 1 << uint(i)
				}
			}
			kept = append(kept, u)
		}
		p.updates[t] = kept
	}
}

// sortTables orders tables so that referenced tables come first.
func sortTables(tables []*meta.Table) []*meta.Table {
	if len(tables) < 2 {
		return tables
	}
	idx := map[string]int{}
	for i, t := range tables {
		idx[t.Name] = i
	}
	order, _, _ := toposort.Sort(len(tables), func(i int) []int {
		var deps []int
		for _, fk := range tables[i].ForeignKeys {
			if j, ok := idx[fk.RefTable]; ok {
				deps = append(deps, j)
			}
		}
		return deps
	})
	out := make([]*meta.Table, len(order))
	for i, j := range order {
		out[i] = tables[j]
	}
	return out
}

func (s *Session) runBeforeHooks(ctx context.Context, p *flushPlan) error {
	if planHasHooks(p) {
		s.inUse.callbacks()
		defer s.inUse.callbacksDone()
	}
	for _, t := range p.tables {
		for _, st := range p.inserts[t] {
			if err := callHooks(ctx, st, meta.HookBeforeSave, meta.HookBeforeCreate); err != nil {
				return err
			}
		}
		for _, u := range p.updates[t] {
			if err := callHooks(ctx, u.st, meta.HookBeforeSave, meta.HookBeforeUpdate); err != nil {
				return err
			}
		}
		for _, st := range p.deletes[t] {
			if err := callHooks(ctx, st, meta.HookBeforeDelete); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Session) runAfterHooks(ctx context.Context, p *flushPlan) error {
	if planHasHooks(p) {
		s.inUse.callbacks()
		defer s.inUse.callbacksDone()
	}
	for _, t := range p.tables {
		for _, st := range p.inserts[t] {
			if err := callHooks(ctx, st, meta.HookAfterCreate, meta.HookAfterSave); err != nil {
				return err
			}
		}
		for _, u := range p.updates[t] {
			if err := callHooks(ctx, u.st, meta.HookAfterUpdate, meta.HookAfterSave); err != nil {
				return err
			}
		}
		for _, st := range p.deletes[t] {
			if err := callHooks(ctx, st, meta.HookAfterDelete); err != nil {
				return err
			}
		}
	}
	return nil
}

func callHooks(ctx context.Context, st *state, hooks ...meta.HookSet) error {
	h := st.cd.t.Hooks
	if h == 0 {
		return nil
	}
	for _, hook := range hooks {
		if !h.Has(hook) {
			continue
		}
		var err error
		name := ""
		switch hook {
		case meta.HookBeforeSave:
			err, name = st.ifc().(meta.BeforeSaver).BeforeSave(ctx), "BeforeSave"
		case meta.HookBeforeCreate:
			err, name = st.ifc().(meta.BeforeCreator).BeforeCreate(ctx), "BeforeCreate"
		case meta.HookBeforeUpdate:
			err, name = st.ifc().(meta.BeforeUpdater).BeforeUpdate(ctx), "BeforeUpdate"
		case meta.HookBeforeDelete:
			err, name = st.ifc().(meta.BeforeDeleter).BeforeDelete(ctx), "BeforeDelete"
		case meta.HookAfterSave:
			err, name = st.ifc().(meta.AfterSaver).AfterSave(ctx), "AfterSave"
		case meta.HookAfterCreate:
			err, name = st.ifc().(meta.AfterCreator).AfterCreate(ctx), "AfterCreate"
		case meta.HookAfterUpdate:
			err, name = st.ifc().(meta.AfterUpdater).AfterUpdate(ctx), "AfterUpdate"
		case meta.HookAfterDelete:
			err, name = st.ifc().(meta.AfterDeleter).AfterDelete(ctx), "AfterDelete"
		}
		if err != nil {
			return fmt.Errorf("arc: %s.%s hook on %s: %w", st.cd.t.GoType.Name(), name, describe(st), err)
		}
	}
	return nil
}

// executed records what the SQL phase did, for commitPlan.
type executed struct {
	inserted []*state
	updated  []*update
	deleted  []*state
	softAt   time.Time // the time soft deletes of this flush wrote, or zero
}

func (s *Session) execute(ctx context.Context, tx *engine.Tx, p *flushPlan) (*executed, error) {
	ex := &executed{}
	for _, t := range p.tables {
		for _, u := range p.updates[t] {
			if err := s.execUpdate(ctx, tx, u); err != nil {
				return nil, err
			}
			ex.updated = append(ex.updated, u)
		}
		if ins := p.inserts[t]; len(ins) > 0 {
			for _, lvl := range s.insertLevels(t, ins) { // self-referential parents first
				if err := s.relSyncBeforeInsert(lvl); err != nil {
					return nil, err
				}
				if err := s.execInserts(ctx, tx, t, lvl); err != nil {
					return nil, err
				}
			}
			ex.inserted = append(ex.inserted, ins...)
		}
	}
	if err := s.relAfterSaves(ctx, tx, p); err != nil {
		return nil, err
	}
	for i := len(p.tables) - 1; i >= 0; i-- {
		t := p.tables[i]
		for _, st := range deleteOrder(t, p.deletes[t]) { // self-referential children first
			var err error
			if s.softDeleting(st) {
				if ex.softAt.IsZero() {
					ex.softAt = flushNow()
				}
				err = s.execSoftDelete(ctx, tx, st, ex.softAt)
			} else {
				err = s.execDelete(ctx, tx, st)
			}
			if err != nil {
				return nil, err
			}
			ex.deleted = append(ex.deleted, st)
		}
	}
	return ex, nil
}

// flushNow is the timestamp one flush writes into CreatedAt/UpdatedAt and
// default:now columns: UTC, cut to microseconds (PostgreSQL's precision) so
// that what is in memory equals what a reload gives.
func flushNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func setNow(obj unsafe.Pointer, c *meta.Column, now time.Time) {
	v := reflect.NewAt(c.GoType, unsafe.Add(obj, c.Offset)).Elem()
	switch {
	case c.Ptr:
		v.Set(reflect.ValueOf(&now))
	case c.NullType:
		v.Set(reflect.ValueOf(sql.NullTime{Time: now, Valid: true}).Convert(c.GoType))
	default:
		v.Set(reflect.ValueOf(now))
	}
}

func setDefault(obj unsafe.Pointer, c *meta.Column, now time.Time) {
	if c.DefaultNow {
		setNow(obj, c, now)
		return
	}
	v := reflect.NewAt(c.GoType, unsafe.Add(obj, c.Offset)).Elem()
	dv := reflect.ValueOf(c.Default).Convert(c.Elem)
	switch {
	case c.Ptr:
		p := reflect.New(c.Elem)
		p.Elem().Set(dv)
		v.Set(p)
	case c.NullType:
		// sql.Null*: set the value field and Valid.
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.Name == "Valid" {
				v.Field(i).SetBool(true)
			} else if dv.Type().AssignableTo(f.Type) {
				v.Field(i).Set(dv)
			}
		}
	default:
		v.Set(dv)
	}
}

// insertShape fills client defaults, timestamps and the version into a
// pending object and works out which columns its INSERT writes (mask) and
// reads back (retMask). It records in st.filled the columns it set or that
// RETURNING will set (all zero before), so that a failed flush can clear
// them again. Column lists are built only for tables wider than 64
// columns, where masks do not reach.
func insertShape(st *state, now time.Time) (r insertRow) {
	t, cd := st.cd.t, st.cd
	var wide *insertCols
	if len(cd.cols) > 64 {
		wide = &insertCols{}
		r.wide = wide
	}
	r.st = st
	st.filled = 0
	for i := range cd.cols {
		cc := &cd.cols[i]
		c := cc.c
		if cc.special && (c.Generated != "" || cc.zero(unsafe.Add(st.obj, c.Offset))) {
			switch {
			case c.AutoIncrement, c.ServerDefault != "" || c.Sequence != "", c.Generated != "":
				r.retMask |= bit(i)
				st.filled |= bit(i)
				if wide != nil {
					wide.ret = append(wide.ret, c)
				}
				continue
			case autoUUID(c):
				newUUID(c, unsafe.Add(st.obj, c.Offset))
			case c.HasDefault:
				setDefault(st.obj, c, now)
			case c == t.CreatedAt || c == t.UpdatedAt:
				setNow(st.obj, c, now)
			case c == t.Version:
				reflect.NewAt(c.GoType, unsafe.Add(st.obj, c.Offset)).Elem().SetInt(1)
			}
			st.filled |= bit(i)
		}
		r.mask |= bit(i)
		if wide != nil {
			wide.cols = append(wide.cols, c)
		}
	}
	return r
}

// columnsOf lists the columns of t whose bits are set in mask (cached:
// a table has few INSERT shapes).
func columnsOf(t *meta.Table, mask uint64) []*meta.Column {
	k := colsKey{t, mask}
	if v, ok := colsCache.Load(k); ok {
		return v.([]*meta.Column)
	}
	out := make([]*meta.Column, 0, bitsSet(mask))
	for i, c := range t.Columns {
		if i < 64 && mask&(1<<uint(i)) != 0 {
			out = append(out, c)
		}
	}
	colsCache.Store(k, out)
	return out
}

type colsKey struct {
	t    *meta.Table
	mask uint64
}

var colsCache sync.Map // colsKey -> []*meta.Column (never modified)

func bitsSet(m uint64) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}

func bit(i int) uint64 {
	if i >= 64 {
		return 0
	}
	return 1 << uint(i)
}

// insertMode is how one batch of INSERTs matches the rows the database
// returns (generated keys, server defaults) to the objects. The order of
// RETURNING rows is never relied on (PostgreSQL and SQLite both leave it
// unspecified).
type insertMode uint8

const (
	// insPlain: nothing to read back; a multi-row INSERT.
	insPlain insertMode = iota
	// insByKey: every primary key column is written by the client; the
	// RETURNING list carries the key and rows are matched on it.
	insByKey
	// insOrdered: a generated integer key; INSERT … SELECT … ORDER BY a
	// sentinel fixes the order in which keys are drawn, and the returned
	// keys, sorted, map to the objects in VALUES order.
	insOrdered
	// insSingle: no way to correlate rows; one INSERT per object.
	insSingle
)

// insertRow is one pending object's INSERT shape: the columns it sets
// and those the database fills, as bit masks over the table's columns,
// and as lists only for a table of more than 64 columns.
type insertRow struct {
	st            *state
	mask, retMask uint64
	wide          *insertCols
}

type insertCols struct{ cols, ret []*meta.Column }

func insertModeFor(t *meta.Table, cols, ret []*meta.Column) insertMode {
	if len(ret) == 0 {
		return insPlain
	}
	if len(cols) == 0 {
		return insSingle // DEFAULT VALUES
	}
	byKey := len(t.PrimaryKey) > 0
	for _, c := range t.PrimaryKey {
		if !slices.Contains(cols, c) {
			byKey = false
			break
		}
	}
	if byKey {
		return insByKey
	}
	if ai := t.AutoPK(); ai != nil && slices.Contains(ret, ai) && isIntKind(ai.GoType.Kind()) {
		return insOrdered
	}
	return insSingle
}

func isIntKind(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Uint64
}

func (s *Session) execInserts(ctx context.Context, tx *engine.Tx, t *meta.Table, sts []*state) error {
	d := s.eng.Dialect()
	rows := make([]insertRow, len(sts))
	now := flushNow()
	wide := len(t.Columns) > 64
	for i, st := range sts {
		rows[i] = insertShape(st, now)
	}
	for start := 0; start < len(rows); {
		// A batch: consecutive rows with the same column set.
		first := &rows[start]
		var cols, firstRet []*meta.Column
		if wide {
			cols, firstRet = first.wide.cols, first.wide.ret
		} else {
			cols, firstRet = columnsOf(t, first.mask), columnsOf(t, first.retMask)
		}
		mode := insertModeFor(t, cols, firstRet)
		ret, retMask := firstRet, first.retMask
		if mode == insByKey {
			for i, c := range t.Columns {
				if c.PrimaryKey && !slices.Contains(ret, c) {
					ret = append(ret[:len(ret):len(ret)], c)
					retMask |= bit(i)
				}
			}
		}
		limit := MaxInsertBatch
		if n := len(cols); n > 0 {
			limit = min(limit, d.MaxParams()/n)
		}
		if mode == insSingle || !d.Has(dialect.Returning) && len(ret) > 0 {
			limit = 1
		}
		end := start + 1
		for end < len(rows) && end-start < limit && rows[end].mask == first.mask && rows[end].retMask == first.retMask &&
			(!wide || slices.Equal(rows[end].wide.cols, cols) && slices.Equal(rows[end].wide.ret, firstRet)) {
			end++
		}
		batch := rows[start:end]
		args := make([]any, 0, len(batch)*len(cols))
		for _, r := range batch {
			cd := r.st.cd
			for i := range cd.cols {
				if r.mask&bit(i) != 0 || (i >= 64 && slices.Contains(cols, cd.cols[i].c)) {
					args = append(args, cd.cols[i].get(unsafe.Add(r.st.obj, cd.cols[i].c.Offset)))
				}
			}
		}
		var q string
		if mode == insOrdered && len(batch) > 1 {
			q = insertOrderedSQL(d, t, cols, first.mask, len(batch), ret, retMask)
		} else {
			q = insertSQL(d, t, cols, first.mask, len(batch), ret, retMask)
		}
		objs := make([]*state, len(batch))
		for i, r := range batch {
			objs[i] = r.st
		}
		if err := s.insertBatch(ctx, tx, t, q, args, ret, mode, objs); err != nil {
			return err
		}
		start = end
	}
	return nil
}

func (s *Session) insertBatch(ctx context.Context, tx *engine.Tx, t *meta.Table, q string, args []any, ret []*meta.Column, mode insertMode, objs []*state) error {
	if len(ret) == 0 {
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return flushErr("insert", objs[0], err)
		}
		return nil
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return flushErr("insert", objs[0], err)
	}
	defer rows.Close()
	if len(objs) == 1 && len(ret) == 1 && ret[0].GoType.Kind() == reflect.Int64 && !ret[0].Ptr && !ret[0].NullType && !ret[0].Valuer {
		// The common case, a generated integer key: scan it straight into the field.
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return flushErr("insert", objs[0], err)
			}
			return flushErr("insert", objs[0], errors.New("INSERT ... RETURNING returned no row"))
		}
		if err := rows.Scan((*int64)(unsafe.Add(objs[0].obj, ret[0].Offset))); err != nil {
			return flushErr("insert", objs[0], err)
		}
		return flushErr("insert", objs[0], rows.Err())
	}
	plan := engine.NewScanPlan(ret)
	if len(objs) == 1 {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return flushErr("insert", objs[0], err)
			}
			return flushErr("insert", objs[0], errors.New("INSERT ... RETURNING returned no row"))
		}
		if err := plan.Scan(rows, objs[0].obj); err != nil {
			return flushErr("insert", objs[0], err)
		}
		return flushErr("insert", objs[0], rows.Err())
	}
	// Several rows: scan into scratch structs, then match them to objects.
	tmps := make([]unsafe.Pointer, 0, len(objs))
	slab := reflect.MakeSlice(reflect.SliceOf(t.GoType), len(objs), len(objs)).UnsafePointer()
	size := t.GoType.Size()
	for rows.Next() {
		if len(tmps) == len(objs) {
			return flushErr("insert", objs[0], fmt.Errorf("INSERT ... RETURNING gave more than %d rows", len(objs)))
		}
		tmp := unsafe.Add(slab, uintptr(len(tmps))*size)
		if err := plan.Scan(rows, tmp); err != nil {
			return flushErr("insert", objs[0], err)
		}
		tmps = append(tmps, tmp)
	}
	if err := rows.Err(); err != nil {
		return flushErr("insert", objs[0], err)
	}
	if len(tmps) != len(objs) {
		return flushErr("insert", objs[0], fmt.Errorf("INSERT ... RETURNING gave %d rows for %d objects", len(tmps), len(objs)))
	}
	match := make([]unsafe.Pointer, len(objs)) // match[i] is objs[i]'s row
	switch mode {
	case insByKey:
		idx := make(map[ikey]int, len(objs))
		for i, st := range objs {
			idx[identityOf(t, st.obj)] = i
		}
		for _, tmp := range tmps {
			i, ok := idx[identityOf(t, tmp)]
			if !ok || match[i] != nil {
				return flushErr("insert", objs[0], errors.New("INSERT ... RETURNING gave a row whose key matches no inserted object"))
			}
			match[i] = tmp
		}
	case insOrdered:
		ai := t.AutoPK()
		if ai.GoType.Kind() == reflect.Int64 {
			slices.SortFunc(tmps, func(a, b unsafe.Pointer) int {
				return cmp.Compare(*(*int64)(unsafe.Add(a, ai.Offset)), *(*int64)(unsafe.Add(b, ai.Offset)))
			})
		} else {
			slices.SortFunc(tmps, func(a, b unsafe.Pointer) int {
				return cmpInt(reflect.NewAt(ai.GoType, unsafe.Add(a, ai.Offset)).Elem(), reflect.NewAt(ai.GoType, unsafe.Add(b, ai.Offset)).Elem())
			})
		}
		copy(match, tmps)
	default:
		return flushErr("insert", objs[0], errors.New("cannot match RETURNING rows to objects"))
	}
	for i, st := range objs {
		for _, c := range ret {
			if c.PrimaryKey && mode == insByKey {
				continue // written by the client
			}
			dst := reflect.NewAt(c.GoType, unsafe.Add(st.obj, c.Offset)).Elem()
			dst.Set(reflect.NewAt(c.GoType, unsafe.Add(match[i], c.Offset)).Elem())
		}
	}
	return nil
}

func cmpInt(x, y reflect.Value) int {
	var a, b int64
	if x.CanInt() {
		a, b = x.Int(), y.Int()
	} else {
		a, b = int64(x.Uint()), int64(y.Uint())
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func flushErr(op string, st *state, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("arc: flush: %s %s: %w", op, describe(st), err)
}

func (s *Session) pkArgs(st *state, args []any, snap *snapshot) []any {
	for _, c := range st.cd.t.PrimaryKey {
		args = append(args, readCol(st.cd, c, snap.p))
	}
	if v := st.cd.t.Version; v != nil {
		args = append(args, readCol(st.cd, v, snap.p))
	}
	return args
}

func readCol(cd *codec, c *meta.Column, base unsafe.Pointer) any {
	for i := range cd.cols {
		if cd.cols[i].c == c {
			return cd.cols[i].get(unsafe.Add(base, c.Offset))
		}
	}
	return nil
}

func (s *Session) execUpdate(ctx context.Context, tx *engine.Tx, u *update) error {
	st := u.st
	d := s.eng.Dialect()
	cols := make([]*meta.Column, len(u.cols))
	args := make([]any, 0, len(u.cols)+len(st.cd.t.PrimaryKey)+1)
	for i, ci := range u.cols {
		cc := &st.cd.cols[ci]
		cols[i] = cc.c
		args = append(args, cc.get(unsafe.Add(st.obj, cc.c.Offset)))
	}
	// The WHERE uses the key and version as loaded (the snapshot), so a
	// changed primary key updates the right row.
	args = s.pkArgs(st, args, st.snap)
	q := updateSQL(d, st.cd.t, cols, u.mask) // not cached for tables over 64 columns
	if len(st.cd.t.Generated) > 0 && d.Has(dialect.Returning) {
		if err := s.updateReturning(ctx, tx, st, q, args); err != nil {
			return flushErr("update", st, err)
		}
	} else if res, err := tx.Exec(ctx, q, args...); err != nil {
		return flushErr("update", st, err)
	} else if n, err := res.RowsAffected(); err == nil && n != 1 {
		return flushErr("update", st, fmt.Errorf("%w: UPDATE matched %d rows, expected 1 (row deleted or version changed by someone else)", arcerr.ErrStaleData, n))
	}
	if v := st.cd.t.Version; v != nil {
		f := reflect.NewAt(v.GoType, unsafe.Add(st.obj, v.Offset)).Elem()
		f.SetInt(f.Int() + 1)
		u.bumped = true
	}
	return nil
}

func (s *Session) execDelete(ctx context.Context, tx *engine.Tx, st *state) error {
	q := deleteSQL(s.eng.Dialect(), st.cd.t)
	res, err := tx.Exec(ctx, q, s.pkArgs(st, nil, st.snap)...)
	if err != nil {
		return flushErr("delete", st, err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 && !s.relDeletedByCascade(st) {
		return flushErr("delete", st, fmt.Errorf("%w: DELETE matched %d rows, expected 1", arcerr.ErrStaleData, n))
	}
	return nil
}

// commitPlan moves objects to their new states after a successful flush.
func (s *Session) commitPlan(p *flushPlan, ex *executed) {
	if len(ex.inserted) > 8 {
		s.identity.reserve(ex.inserted[0].cd.t, len(ex.inserted))
	}
	snapAll(ex.inserted)
	for _, st := range ex.inserted {
		st.status = Persistent
		st.key, st.hasKey = identityOf(st.cd.t, st.obj).sk(), true
		st.newInTx = true
		s.identity.put(st)
	}
	s.pending = s.pending[:0]
	for _, u := range ex.updated {
		st := u.st
		if st.txSnap == nil {
			st.txSnap = st.snap
		}
		st.snap = st.cd.take(st.obj)
		if newKey := identityOf(st.cd.t, st.obj); newKey != st.ikey() {
			s.identity.del(st.ikey())
			st.key = newKey.sk()
			s.identity.put(st)
		}
	}
	for _, st := range ex.deleted {
		st.status = Deleted
		st.markedDelete = false
		st.deletedInTx = true
		if s.identity.get(st.ikey()) == st {
			s.identity.del(st.ikey())
		}
	}
	s.deleted = s.deleted[:0]
	s.relCommitPlan(p)
}

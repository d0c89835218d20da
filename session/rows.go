package session

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/internal/naming"
	"github.com/arcorm/arc/meta"
)

// RowsQuery reads the rows of a query that selects columns, expressions or
// several entities into values of type R:
//
//   - R a struct: each selected item goes to the field whose name matches
//     the item's label, Go field name or column name (case-insensitive, or
//     in snake_case), or the model name for an entity; items that match no
//     field by name fill the remaining fields in order. A field for an
//     entity has type *M; those objects go through the identity map.
//   - R []any: one element per item.
//   - R anything else (int64, string, *string, time.Time, a *M entity, an
//     sql.Scanner): the query must select one item.
//
// Rows holding an entity are de-duplicated like SQLAlchemy's: a row equal
// to an earlier one (same objects, same values) is dropped. Column-only
// rows never are. NULL scans into pointer, sql.Null and []any fields; an
// outer-joined entity that is missing is nil.
type RowsQuery[R any] struct {
	src    rowSource
	scalar bool // only the first item (Scalar)
}

// rowSource is the part of Query[T] that RowsQuery needs, without T.
type rowSource interface {
	withinSession(ctx context.Context, fn func(ctx context.Context, s *Session) error) error
	holdSession(ctx context.Context, iterOp string, fn func(ctx context.Context, s *Session) error) error
	compiledIn(s *Session, variant byte) *compiled
	exec(ctx context.Context, s *Session, c *compiled, variant byte) (*sql.Rows, error)
	fromStatement() bool
	untracked() bool
	describe() string
}

func (q *Query[T]) untracked() bool { return q.noTrack }

func (q *Query[T]) withinSession(ctx context.Context, fn func(ctx context.Context, s *Session) error) error {
	return q.holdSession(ctx, "", fn)
}

// holdSession runs fn with the context's session held: as every call
// holds it (iterOp ""), or, for an iteration named iterOp, as Query.Iter's
// loop does (enterIter), so that the loop body, on the goroutine that
// ranges, may use the session (Add, Delete) while any other goroutine may
// not.
func (q *Query[T]) holdSession(ctx context.Context, iterOp string, fn func(ctx context.Context, s *Session) error) error {
	return q.within(ctx, func(ctx context.Context) error {
		s, err := q.session(ctx)
		if err != nil {
			return err
		}
		if iterOp != "" {
			held, err := s.inUse.enterIter(iterOp)
			if err != nil {
				return err
			}
			defer s.inUse.leaveIter(held)
		} else {
			held, err := s.inUse.enter("query")
			if err != nil {
				return err
			}
			defer s.inUse.leave(held)
		}
		return fn(ctx, s)
	})
}

func (q *Query[T]) compiledIn(s *Session, variant byte) *compiled {
	return q.compiledFor(s.eng.Dialect(), s.cache(), variant)
}

func (q *Query[T]) fromStatement() bool { return q.stmt != nil }

func (q *Query[T]) describe() string {
	if q.t == nil {
		return "Query"
	}
	return "Query[" + q.t.GoType.Name() + "]"
}

// Rows reads q's rows as R values (see RowsQuery). T is inferred:
// session.Rows[struct{ Name string; N int64 }](q).
func Rows[R, T any](q *Query[T]) *RowsQuery[R] { return &RowsQuery[R]{src: q} }

// All returns every row.
func (r *RowsQuery[R]) All(ctx context.Context) (out []R, err error) {
	err = r.run(ctx, variantAll, func(v R) bool {
		out = append(out, v)
		return true
	})
	return out, err
}

// First returns the first row (LIMIT 1), or an error wrapping ErrNotFound.
func (r *RowsQuery[R]) First(ctx context.Context) (R, error) {
	var first R
	found := false
	err := r.run(ctx, variantFirst, func(v R) bool {
		first, found = v, true
		return false
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: %s returned no rows", arcerr.ErrNotFound, r.src.describe())
	}
	return first, err
}

// One returns the single row: ErrNotFound for none, ErrMultipleRows for
// more than one.
func (r *RowsQuery[R]) One(ctx context.Context) (R, error) {
	v, ok, err := r.OneOrNone(ctx)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %s returned no rows (One)", arcerr.ErrNotFound, r.src.describe())
	}
	return v, err
}

// OneOrNone returns the single row and true, the zero R and false for no
// row, or ErrMultipleRows.
func (r *RowsQuery[R]) OneOrNone(ctx context.Context) (R, bool, error) {
	var one R
	n := 0
	err := r.run(ctx, variantAll, func(v R) bool {
		if n == 0 {
			one = v
		}
		n++
		return true
	})
	if err != nil {
		var zero R
		return zero, false, err
	}
	if n > 1 {
		var zero R
		return zero, false, fmt.Errorf("%w: %s returned %d rows where one was required", arcerr.ErrMultipleRows, r.src.describe(), n)
	}
	return one, n == 1, nil
}

// Iter streams the rows (not de-duplicated). The session's connection is
// busy while it runs (see Query.Iter).
func (r *RowsQuery[R]) Iter(ctx context.Context) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		stopped := false
		err := r.runStream(ctx, func(v R) bool {
			if !yield(v, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			var zero R
			yield(zero, err)
		}
	}
}

// Scalar returns the first column of the query's single row
// (SQLAlchemy's scalar()): an error wrapping ErrNotFound when there is no
// row (so "no row" and "a NULL value" stay apart: a NULL reads as V's
// zero value, or nil for a pointer V), ErrMultipleRows when there are
// several. For an entity query V is *T.
func Scalar[V, T any](ctx context.Context, q *Query[T]) (V, error) {
	r := &RowsQuery[V]{src: q, scalar: true}
	return r.One(ctx)
}

func (r *RowsQuery[R]) run(ctx context.Context, variant byte, each func(R) bool) error {
	return r.src.withinSession(ctx, func(ctx context.Context, s *Session) error {
		return r.scan(ctx, s, variant, true, each)
	})
}

func (r *RowsQuery[R]) runStream(ctx context.Context, each func(R) bool) error {
	return r.src.holdSession(ctx, "Rows.Iter", func(ctx context.Context, s *Session) error {
		return r.scan(ctx, s, variantAll, false, each)
	})
}

func (r *RowsQuery[R]) scan(ctx context.Context, s *Session, variant byte, dedup bool, each func(R) bool) error {
	c := r.src.compiledIn(s, variant)
	if c.err != nil {
		return c.err
	}
	m, err := mapRow(reflect.TypeFor[R](), c.items, r.scalar, r.src.describe())
	if err != nil {
		return err
	}
	rows, err := r.src.exec(ctx, s, c, variant)
	if err != nil || rows == nil {
		return err
	}
	defer rows.Close()
	if !dedup { // streaming: the connection stays busy until the loop ends
		s.iterating++
		defer func() { s.iterating-- }()
	}
	plan, err := m.plan(c, rows, r.src.fromStatement())
	if err != nil {
		return err
	}
	var seen map[any]bool
	if dedup && m.hasEntity && m.rt.Comparable() {
		seen = map[any]bool{}
	}
	batch := s.newBatch()
	// Entities of tables with relationships get their lazy: defaults
	// applied once all rows are read (not while streaming).
	var loaded map[*meta.Table]*loadedObjs
	if dedup && !r.src.untracked() {
		for _, it := range m.items {
			if it.entity && len(it.t.Relations) > 0 {
				if loaded == nil {
					loaded = map[*meta.Table]*loadedObjs{}
				}
				loaded[it.t] = &loadedObjs{seen: map[unsafe.Pointer]bool{}}
			}
		}
	}
	plan.loaded = loaded
	for rows.Next() {
		rp := reflect.New(m.rt).UnsafePointer()
		if r.src.untracked() {
			plan.noTrack = true
		}
		if err := plan.scanRow(ctx, s, rows, rp, batch); err != nil {
			return fmt.Errorf("arc: %s rows: %w", r.src.describe(), err)
		}
		v := *layout.As[R](rp)
		if seen != nil {
			k := any(v)
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		if !each(v) {
			break
		}
		if variant == variantFirst && r.src.fromStatement() {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	_ = rows.Close()
	for t, lo := range loaded {
		if err := s.runLoadOptions(ctx, t, nil, lo.list); err != nil {
			return err
		}
	}
	return nil
}

// rowMap says where each selected item goes in R.
type rowMap struct {
	rt        reflect.Type
	shape     byte // 's' struct fields, 'a' []any, '1' the whole value
	items     []selItem
	fields    []reflect.StructField // per item (shape 's')
	hasEntity bool
}

var (
	scannerType = reflect.TypeFor[sql.Scanner]()
	rowTimeType = reflect.TypeFor[time.Time]()
	anySlice    = reflect.TypeFor[[]any]()
)

func mapRow(rt reflect.Type, items []selItem, scalar bool, who string) (*rowMap, error) {
	if scalar && len(items) > 1 {
		items = items[:1]
	}
	m := &rowMap{rt: rt, items: items}
	for _, it := range items {
		if it.entity {
			m.hasEntity = true
		}
	}
	switch {
	case rt == anySlice:
		m.shape = 'a'
		return m, nil
	case scalar || rt.Kind() != reflect.Struct || rt == rowTimeType || reflect.PointerTo(rt).Implements(scannerType):
		m.shape = '1'
		if len(items) != 1 {
			return nil, fmt.Errorf("%w: Rows[%s] of %s: the query selects %d items (%s); use a struct or []any", arcerr.ErrInvalidRequest, rt, who, len(items), itemList(items))
		}
		if err := checkField(items[0], rt, "the value"); err != nil {
			return nil, err
		}
		return m, nil
	}
	m.shape = 's'
	var fields []reflect.StructField
	for i := 0; i < rt.NumField(); i++ {
		if f := rt.Field(i); f.IsExported() {
			fields = append(fields, f)
		}
	}
	m.fields = make([]reflect.StructField, len(items))
	assigned := make([]bool, len(items))
	used := make([]bool, len(fields))
	for i, it := range items {
		for fi, f := range fields {
			if !used[fi] && fieldMatches(f, it.names) {
				m.fields[i], assigned[i], used[fi] = f, true, true
				break
			}
		}
	}
	fi := 0
	for i := range items {
		if assigned[i] {
			continue
		}
		for fi < len(fields) && used[fi] {
			fi++
		}
		if fi == len(fields) {
			return nil, fmt.Errorf("%w: Rows[%s] of %s: no field left for selected item %d (%s); the query selects %s", arcerr.ErrInvalidRequest, rt, who, i+1, itemName(items[i]), itemList(items))
		}
		m.fields[i], assigned[i], used[fi] = fields[fi], true, true
	}
	for fi, f := range fields {
		if !used[fi] {
			return nil, fmt.Errorf("%w: Rows[%s] of %s: field %s matches no selected item; the query selects %s", arcerr.ErrInvalidRequest, rt, who, f.Name, itemList(items))
		}
	}
	for i, it := range items {
		if err := checkField(it, m.fields[i].Type, "field "+m.fields[i].Name); err != nil {
			return nil, fmt.Errorf("arc: Rows[%s] of %s: %w", rt, who, err)
		}
	}
	return m, nil
}

func fieldMatches(f reflect.StructField, names []string) bool {
	for _, n := range names {
		if strings.EqualFold(f.Name, n) || naming.Snake(f.Name) == n {
			return true
		}
	}
	return false
}

func checkField(it selItem, ft reflect.Type, what string) error {
	if it.entity {
		if ft != reflect.PointerTo(it.t.GoType) {
			return fmt.Errorf("%w: %s (%s) cannot hold entity %s; use *%s", arcerr.ErrInvalidRequest, what, ft, it.t.GoType.Name(), it.t.GoType.Name())
		}
		return nil
	}
	if ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct && ft.Elem() != rowTimeType {
		if _, err := meta.TableOf(ft.Elem()); err == nil && !ft.Implements(scannerType) {
			return fmt.Errorf("%w: %s (%s) is for an entity, but the item is the column %s", arcerr.ErrInvalidRequest, what, ft, itemName(it))
		}
	}
	return nil
}

func itemName(it selItem) string {
	if len(it.names) > 0 {
		return it.names[0]
	}
	return fmt.Sprintf("%T", it.x)
}

func itemList(items []selItem) string {
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = itemName(it)
		if it.entity {
			names[i] = "entity " + names[i]
		}
	}
	return strings.Join(names, ", ")
}

// rowPlan scans one result row into an R.
type rowPlan struct {
	noTrack bool
	loaded  map[*meta.Table]*loadedObjs // entities per table, for relationship defaults
	m       *rowMap
	ncols   int
	dests   []any
	skip    any
	ents    []entSlot
	vals    []valSlot
}

type entSlot struct {
	t     *meta.Table
	plan  *engine.ScanPlan
	pos   []int // result position of each plan column
	off   uintptr
	slot  int // []any index
	pkIdx []int
}

type valSlot struct {
	pos  int
	off  uintptr
	typ  reflect.Type
	slot int
}

func (m *rowMap) plan(c *compiled, rows *sql.Rows, fromStmt bool) (*rowPlan, error) {
	var names []string
	if fromStmt {
		names = c.cols
		if names == nil {
			var err error
			if names, err = rows.Columns(); err != nil {
				return nil, err
			}
		}
	}
	ncols := 0
	if fromStmt {
		ncols = len(names)
	} else {
		for _, it := range m.items {
			ncols += it.ncols
		}
		if cols, err := rows.Columns(); err == nil {
			ncols = len(cols) // Scalar reads a prefix
		}
	}
	p := &rowPlan{m: m, ncols: ncols, dests: make([]any, ncols), skip: new(any)}
	find := func(name string) int {
		for i, n := range names {
			if n == name {
				return i
			}
		}
		return -1
	}
	for i, it := range m.items {
		var off uintptr
		if m.shape == 's' {
			off = m.fields[i].Offset
		}
		if it.entity {
			es := entSlot{t: it.t, off: off, slot: i}
			var cols []*meta.Column
			for j, col := range it.t.Columns {
				pos := it.first + j
				if fromStmt {
					pos = find(col.Name)
					if pos < 0 {
						if col.PrimaryKey {
							return nil, fmt.Errorf("%w: FromStatement: the statement's columns %v lack %s's primary key column %s", arcerr.ErrInvalidRequest, names, it.t.GoType.Name(), col.Name)
						}
						continue
					}
				}
				if col.PrimaryKey {
					es.pkIdx = append(es.pkIdx, len(cols))
				}
				cols = append(cols, col)
				es.pos = append(es.pos, pos)
			}
			es.plan = engine.NewScanPlan(cols)
			p.ents = append(p.ents, es)
			continue
		}
		pos := it.first
		if fromStmt {
			pos = -1
			for _, n := range it.names {
				if pos = find(n); pos >= 0 {
					break
				}
			}
			if pos < 0 {
				return nil, fmt.Errorf("%w: FromStatement: the statement's columns %v have none for selected item %s", arcerr.ErrInvalidRequest, names, itemName(it))
			}
		}
		var typ reflect.Type
		switch m.shape {
		case 's':
			typ = m.fields[i].Type
		case '1':
			typ = m.rt
		}
		p.vals = append(p.vals, valSlot{pos: pos, off: off, typ: typ, slot: i})
	}
	return p, nil
}

func (p *rowPlan) scanRow(ctx context.Context, s *Session, rows *sql.Rows, rp unsafe.Pointer, batch batchID) error {
	for i := range p.dests {
		p.dests[i] = p.skip
	}
	var cells []any
	if p.m.shape == 'a' {
		cells = make([]any, len(p.m.items))
	}
	for _, v := range p.vals {
		if v.pos >= len(p.dests) {
			continue
		}
		if p.m.shape == 'a' {
			p.dests[v.pos] = &cells[v.slot]
			continue
		}
		p.dests[v.pos] = reflect.NewAt(v.typ, layout.At(rp, v.off)).Interface()
	}
	fresh := make([]unsafe.Pointer, len(p.ents))
	for i := range p.ents {
		e := &p.ents[i]
		fresh[i] = reflect.New(e.t.GoType).UnsafePointer()
		ds := e.plan.Dests(fresh[i])
		for j, pos := range e.pos {
			if pos < len(p.dests) {
				p.dests[pos] = ds[j]
			}
		}
	}
	if err := rows.Scan(p.dests...); err != nil {
		return err
	}
	for i := range p.ents {
		e := &p.ents[i]
		var obj unsafe.Pointer
		if !nullKey(e, fresh[i]) {
			if p.noTrack {
				if err := untrackedLoad(ctx, e.t, fresh[i]); err != nil {
					return err
				}
				obj = fresh[i]
			} else {
				got, err := s.loadRow(ctx, e.t, fresh[i], false, batch)
				if err != nil {
					return err
				}
				obj = got
				if lo := p.loaded[e.t]; lo != nil && !lo.seen[obj] {
					lo.seen[obj] = true
					lo.list = append(lo.list, obj)
				}
			}
		}
		if p.m.shape == 'a' {
			if obj != nil {
				cells[e.slot] = reflect.NewAt(e.t.GoType, obj).Interface()
			}
			continue
		}
		layout.Set[unsafe.Pointer](rp, e.off, obj)
	}
	if p.m.shape == 'a' {
		*layout.As[[]any](rp) = cells
	}
	return nil
}

// loadedObjs lists the distinct objects of one table a Rows query loaded.
type loadedObjs struct {
	list []unsafe.Pointer
	seen map[unsafe.Pointer]bool
}

// nullKey reports whether an entity's primary key came back empty (an
// outer join with no match): every key column holds its zero value.
func nullKey(e *entSlot, obj unsafe.Pointer) bool {
	cols := e.plan.Columns()
	for _, i := range e.pkIdx {
		c := cols[i]
		if !layout.Value(obj, c.Offset, c.GoType).IsZero() {
			return false
		}
	}
	return true
}

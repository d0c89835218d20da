package session

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/meta"
)

// selItem is one entry of a query's SELECT list after resolution: a whole
// entity (all its columns) or one expression.
type selItem struct {
	entity bool
	from   expr.FromItem // entity: where its columns come from
	t      *meta.Table   // entity: its model
	x      expr.Expr     // expression item
	names  []string      // names a Rows field may match (label, field, column, model, alias)
	ncols  int           // result columns it takes
	first  int           // index of its first result column
}

// probeOf returns the probe pointer whose field addresses name the
// columns of a FROM item, or nil.
func probeOf(it expr.FromItem) unsafe.Pointer {
	switch x := it.(type) {
	case *expr.TableRef:
		return x.T.Probe()
	case interface{ Probe() unsafe.Pointer }:
		return x.Probe()
	}
	return nil
}

// scopeItems lists the FROM items of sel: FROM list, then join targets.
func scopeItems(sel *expr.Select) []expr.FromItem {
	out := make([]expr.FromItem, 0, len(sel.From)+len(sel.Joins))
	out = append(out, sel.From...)
	for _, j := range sel.Joins {
		out = append(out, j.Target)
	}
	return out
}

func isModel(t *meta.Table) bool { return t != nil && len(t.PrimaryKey) > 0 }

// resolveItems turns the raw SELECT list into items, adding to the FROM
// list the model tables the list names that the query does not select
// from yet (SQLAlchemy's implicit FROM: query(User, Address) selects FROM
// users, addresses).
func resolveItems(raw []any, sel *expr.Select) ([]selItem, error) {
	items := make([]selItem, 0, len(raw))
	for _, r := range raw {
		scope := scopeItems(sel)
		it, err := resolveItem(r, sel, scope)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

func entityItem(from expr.FromItem, t *meta.Table) selItem {
	names := []string{t.GoType.Name()}
	if a, ok := from.(*expr.AliasRef); ok && a.Name != "" {
		names = append([]string{a.Name}, names...)
	}
	return selItem{entity: true, from: from, t: t, names: names, ncols: len(t.Columns)}
}

func resolveItem(r any, sel *expr.Select, scope []expr.FromItem) (selItem, error) {
	// A FROM item (alias, entity subquery) of a model: the whole entity.
	if fi, ok := r.(expr.FromItem); ok {
		fi = unwrapAlias(fi)
		if !isModel(fi.Table()) {
			return selItem{}, fmt.Errorf("%w: Select: %T has no model with a primary key; select its columns instead", arcerr.ErrInvalidRequest, r)
		}
		if !slices.ContainsFunc(scope, func(s expr.FromItem) bool { return sameFrom(s, fi) }) {
			if _, isTable := fi.(*expr.TableRef); !isTable {
				return selItem{}, fmt.Errorf("%w: Select: %s %s is not in the query (Join it or SelectFrom it first)", arcerr.ErrNotAColumn, kindOf(fi), fi.Table().GoType.Name())
			}
			sel.From = append(sel.From, fi)
		}
		return entityItem(fi, fi.Table()), nil
	}
	// A probe (arc.Cols[User]() or an alias's Cols()): the whole entity.
	if rv := reflect.ValueOf(r); rv.IsValid() && rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct {
		p := rv.UnsafePointer()
		for _, s := range scope {
			if probeOf(s) == p && s.Table() != nil && s.Table().GoType == rv.Elem().Type() {
				if !isModel(s.Table()) {
					return selItem{}, fmt.Errorf("%w: Select: %s is a row shape, not a model; select its fields", arcerr.ErrInvalidRequest, s.Table().GoType)
				}
				return entityItem(s, s.Table()), nil
			}
		}
		if t, off, ok := meta.ProbeOwner(p); ok && off == 0 && t.GoType == rv.Elem().Type() {
			ref := expr.TableOf(t)
			sel.From = append(sel.From, ref)
			return entityItem(ref, t), nil
		}
		if _, err := meta.TableOf(rv.Elem().Type()); err == nil {
			return selItem{}, fmt.Errorf("%w: Select: a *%s that is no probe of the query (use arc.Cols[%s]() or an alias's Cols(), not a loaded object)", arcerr.ErrNotAColumn, rv.Elem().Type().Name(), rv.Elem().Type().Name())
		}
	}
	x := expr.AsExpr(r)
	addImplicitFrom(x, sel)
	return selItem{x: x, names: exprNames(x, scopeItems(sel)), ncols: 1}, nil
}

func kindOf(fi expr.FromItem) string {
	switch fi.(type) {
	case *expr.TableRef:
		return "table of"
	case *expr.SubqueryRef:
		return "subquery of"
	}
	return "alias of"
}

var aliasRefType = reflect.TypeFor[*expr.AliasRef]()

// unwrapAlias turns a typed *expr.Alias[T] into its *expr.AliasRef, so
// that the alias compares equal wherever it is used.
func unwrapAlias(fi expr.FromItem) expr.FromItem {
	rv := reflect.ValueOf(fi)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct {
		if f := rv.Elem().FieldByName("AliasRef"); f.IsValid() && f.Type() == aliasRefType && !f.IsNil() {
			return f.Interface().(*expr.AliasRef)
		}
	}
	return fi
}

func sameFrom(a, b expr.FromItem) bool {
	if a == b {
		return true
	}
	ta, ok1 := a.(*expr.TableRef)
	tb, ok2 := b.(*expr.TableRef)
	if ok1 && ok2 {
		return ta.T == tb.T
	}
	pa, pb := probeOf(a), probeOf(b)
	return pa != nil && pa == pb
}

// addImplicitFrom adds to FROM the model tables whose default-probe
// fields appear in a SELECT-list expression and that no FROM item covers.
func addImplicitFrom(x expr.Expr, sel *expr.Select) {
	switch e := x.(type) {
	case *expr.FieldRef:
		t, off, ok := meta.ProbeOwner(e.P)
		if !ok || t.ColumnAt(off, e.Typ) == nil {
			return
		}
		for _, it := range scopeItems(sel) {
			if probeOf(it) == t.Probe() {
				return
			}
		}
		sel.From = append(sel.From, expr.TableOf(t))
	case *expr.Labeled:
		addImplicitFrom(e.X, sel)
	case expr.ColExpr:
		addImplicitFrom(e.X, sel)
	case *expr.FuncCall:
		for _, a := range e.Args {
			if ae, ok := a.(expr.Expr); ok {
				addImplicitFrom(ae, sel)
			}
		}
	}
}

// exprNames returns the names a Rows field may use for an expression:
// a label, or a column's Go field name and SQL name.
func exprNames(x expr.Expr, scope []expr.FromItem) []string {
	switch e := x.(type) {
	case *expr.Labeled:
		return []string{e.Name}
	case expr.ColExpr:
		return exprNames(e.X, scope)
	case *expr.ColRef:
		return []string{e.Col.Field, e.Col.Name}
	case *expr.Named:
		return []string{e.Name}
	case *expr.FieldRef:
		for _, it := range scope {
			if name := e.ColumnName(it); name != "" {
				if t := it.Table(); t != nil {
					if c := t.ColumnByName(name); c != nil {
						return []string{c.Field, c.Name}
					}
				}
				return []string{name}
			}
		}
		if name := e.ColumnName(); name != "" {
			return []string{name}
		}
	case *expr.FuncCall:
		return []string{e.Name}
	}
	return nil
}

// expand writes the items' columns into sel.Columns and numbers them.
func expand(c *stmtCache, items []selItem, sel *expr.Select) {
	sel.Columns = sel.Columns[:0:0]
	n := 0
	for i := range items {
		it := &items[i]
		it.first = n
		if it.entity {
			if tr, ok := it.from.(*expr.TableRef); ok {
				sel.Columns = append(sel.Columns, tableColumns{tr, c})
			} else {
				for _, c := range it.t.Columns {
					sel.Columns = append(sel.Columns, &expr.ColRef{From: it.from, Col: c})
				}
			}
		} else {
			sel.Columns = append(sel.Columns, it.x)
		}
		n += it.ncols
	}
}

// tableColumns writes "table.col1, table.col2, ..." for a model table
// under its own name: the same text for every query on that table and
// dialect, so it is rendered once and kept in the engine's compiled
// cache c (nil: rendered at each use).
type tableColumns struct {
	r *expr.TableRef
	c *stmtCache
}

type tableColumnsKey struct {
	d dialect.Dialect
	t *meta.Table
}

// AppendSQL writes the cached column list, rendering it on first use.
func (tc tableColumns) AppendSQL(c *expr.Compiler) {
	k := tableColumnsKey{c.D, tc.r.T}
	if v, ok := tc.c.Get(k); ok {
		c.Write(v.(string))
		return
	}
	sub := expr.NewCompiler(c.D)
	for i, col := range tc.r.T.Columns {
		if i > 0 {
			sub.Write(", ")
		}
		(&expr.ColRef{From: tc.r, Col: col}).AppendSQL(sub)
	}
	c.Write(tc.c.Store(k, string(sub.Buf)).(string))
}

// prepared is a query resolved for compiling: its SELECT and items.
type prepared struct {
	sel   *expr.Select
	items []selItem
}

// prepare resolves the query's SELECT list and FROM.
func (q *Query[T]) prepare(c *stmtCache) (*prepared, error) {
	if q.err != nil {
		return nil, q.err
	}
	if tr, ok := q.entity.(*expr.TableRef); ok && q.items == nil && q.stmt == nil &&
		len(q.sel.From) == 1 && q.sel.From[0] == q.entity {
		// The common case: the entity from its own table.
		sel := q.sel.Clone()
		sel.Columns = []expr.Expr{tableColumns{tr, c}}
		if len(q.t.Properties) > 0 {
			sel.Columns = append(sel.Columns, propColumns(tr, q.t, propsMask(q.t, q.undefer))...)
		}
		if q.t.SoftDelete != nil {
			q.applySoft(sel)
		}
		return &prepared{sel: sel, items: []selItem{entityItem(tr, q.t)}}, nil
	}
	sel := q.sel.Clone()
	raw := q.items
	if raw == nil {
		raw = []any{q.entity}
	}
	if q.stmt != nil {
		sel = &expr.Select{From: []expr.FromItem{q.entity}}
	}
	items, err := resolveItems(raw, sel)
	if err != nil {
		return nil, err
	}
	expand(c, items, sel)
	if q.stmt == nil {
		q.applySoft(sel)
		if len(q.t.Properties) > 0 && q.isEntityOnly() {
			// After the entity's columns, which are the whole list.
			sel.Columns = append(sel.Columns, propColumns(items[0].from, q.t, propsMask(q.t, q.undefer))...)
		}
	}
	return &prepared{sel: sel, items: items}, nil
}

// isEntityOnly reports whether the query selects just its entity T.
func (q *Query[T]) isEntityOnly() bool {
	if q.items == nil {
		return true
	}
	if len(q.items) != 1 {
		return false
	}
	switch x := q.items[0].(type) {
	case expr.FromItem:
		return sameFrom(x, q.entity)
	case *T:
		return unsafe.Pointer(x) == probeOf(q.entity)
	}
	return false
}

// Query shapes and their compiled SQL.

const (
	variantAll    = 'a'
	variantFirst  = 'f'
	variantCount  = 'c'
	variantExists = 'e'
)

func (q *Query[T]) render(d dialect.Dialect, cache *stmtCache, variant byte) *compiled {
	rendersOf(q.t).Add(1)
	p, err := q.prepare(cache)
	if err != nil {
		return &compiled{err: err}
	}
	out := &compiled{items: p.items, hint: new(loadHint)}
	var st expr.Expr
	sel := p.sel
	if sel.Lock != "" && !d.Has(dialect.ForUpdate) {
		sel.Lock = "" // SQLite: no row locks; see docs/querying.md
		out.lockNA = true
	}
	if q.stmt != nil {
		switch variant {
		case variantCount, variantExists:
			return &compiled{err: fmt.Errorf("%w: Count and Exists of a FromStatement query are not supported; count in the statement", arcerr.ErrInvalidRequest)}
		}
		st = q.stmt
		if tc, ok := q.stmt.(*expr.TextColumns); ok {
			out.cols = make([]string, len(tc.Cols))
			for i, c := range tc.Cols {
				out.cols[i] = columnNameOf(c, q.entity)
			}
		}
	} else {
		switch variant {
		case variantAll:
			st = sel
		case variantFirst:
			if sel.Limit == nil {
				sel.SetLimit(1)
			}
			st = sel
		case variantCount:
			inner := sel.Clone()
			inner.OrderBy = nil
			inner.Lock = ""
			st = &expr.Select{Columns: []expr.Expr{expr.CountAll()}, From: []expr.FromItem{&expr.SubqueryRef{Sel: inner}}}
		case variantExists:
			inner := sel.Clone()
			inner.OrderBy = nil
			inner.Lock = ""
			inner.Columns = []expr.Expr{expr.Raw("1")}
			st = &expr.Select{Columns: []expr.Expr{&expr.Labeled{X: expr.Exists(inner), Name: "exists"}}}
		}
	}
	var markers expr.P
	if len(q.params) > 0 {
		markers = make(expr.P, len(q.params))
	}
	for name := range q.params {
		markers[name] = paramMarker{name}
	}
	sqlText, args, err := compileWith(d, st, markers)
	if err != nil {
		return &compiled{err: err}
	}
	out.sql, out.args = sqlText, args
	for i, a := range args {
		if _, ok := a.(paramMarker); ok {
			out.marks = append(out.marks, i)
		}
	}
	return out
}

// columnNameOf returns the SQL name of a column designator (a field
// pointer into T's probe, a column name, a ColRef).
func columnNameOf(x expr.Expr, entity expr.FromItem) string {
	switch c := x.(type) {
	case *expr.FieldRef:
		return c.ColumnName(entity)
	case *expr.Named:
		return c.Name
	case *expr.ColRef:
		return c.Col.Name
	case *expr.Labeled:
		return c.Name
	}
	return ""
}

// bindArgs returns the arguments for one execution: the cached ones, with
// Params values in place of the markers.
func (c *compiled) bindArgs(params expr.P) []any {
	if len(c.marks) == 0 {
		return c.args
	}
	args := slices.Clone(c.args)
	for _, i := range c.marks {
		args[i] = params[args[i].(paramMarker).name]
	}
	return args
}

// query runs the compiled variant and returns its rows (nil rows for an
// empty slice, which runs no SQL).
func (q *Query[T]) query(ctx context.Context, s *Session, variant byte) (*sql.Rows, *compiled, error) {
	c := q.compiledFor(s.eng.Dialect(), s.cache(), variant)
	if c.err != nil {
		return nil, nil, c.err
	}
	rows, err := q.exec(ctx, s, c, variant)
	return rows, c, err
}

// exec autoflushes and runs compiled SQL; nil rows when the query is an
// empty slice (no SQL, as SQLAlchemy does for q[2:2]).
func (q *Query[T]) exec(ctx context.Context, s *Session, c *compiled, variant byte) (*sql.Rows, error) {
	if variant != variantCount && variant != variantExists && q.sel.Limit != nil && *q.sel.Limit == 0 && q.stmt == nil {
		return nil, nil
	}
	if err := s.autoflush(ctx); err != nil {
		return nil, err
	}
	x, err := s.queryExecutor(ctx, q.sel.Lock != "")
	if err != nil {
		return nil, err
	}
	return x.Query(ctx, c.sql, c.bindArgs(q.params)...)
}

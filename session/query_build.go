package session

import (
	"fmt"
	"reflect"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/meta"
)

// Select replaces the SELECT list: field pointers (&U.Name), expressions
// (arc.Count, arc.Label, arc.Func, ...), whole entities (the probe U =
// arc.Cols[User](), an alias's Cols(), an alias or an entity subquery),
// or column names. Read the rows with Rows[R] or Scalar[V]; All, First,
// One and Iter need the entity alone. Model tables the list names that
// the query does not select from are added to FROM (query(User, Address)
// selects FROM users, addresses).
func (q *Query[T]) Select(items ...any) *Query[T] {
	if len(items) == 0 {
		return q.fail(fmt.Errorf("%w: Select of nothing", arcerr.ErrInvalidRequest))
	}
	n := q.clone()
	n.items = append([]any(nil), items...)
	return n
}

// AddColumns appends to the SELECT list, which starts as the entity T:
// Select[User]().AddColumns(&U.Name) is SQLAlchemy's query(User, User.name).
func (q *Query[T]) AddColumns(items ...any) *Query[T] {
	n := q.clone()
	if n.items == nil {
		n.items = []any{q.entity}
	}
	n.items = append(n.items, items...)
	return n
}

// SelectFrom replaces the FROM list: tables (a probe such as arc.Cols[Address]()),
// aliases, subqueries or CTEs. Joins then start from the first of them.
func (q *Query[T]) SelectFrom(items ...any) *Query[T] {
	n := q.clone()
	n.sel.From = n.sel.From[:0:0]
	for _, it := range items {
		fi, err := fromItemOf(it)
		if err != nil {
			return q.fail(fmt.Errorf("SelectFrom: %w", err))
		}
		n.sel.From = append(n.sel.From, fi)
	}
	return n
}

// fromItemOf accepts a FromItem, a model probe (arc.Cols[T]()), or a CTE.
func fromItemOf(x any) (expr.FromItem, error) {
	switch v := x.(type) {
	case *expr.CTE:
		return v.Ref(), nil
	case expr.FromItem:
		return unwrapAlias(v), nil
	}
	rv := reflect.ValueOf(x)
	if rv.IsValid() && rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct {
		if t, off, ok := meta.ProbeOwner(rv.UnsafePointer()); ok && off == 0 && t.GoType == rv.Elem().Type() {
			return expr.TableOf(t), nil
		}
	}
	return nil, fmt.Errorf("%w: %T is not a table, alias, subquery or CTE (use arc.Cols[T]() for a model's table)", arcerr.ErrInvalidRequest, x)
}

// Join adds an inner JOIN of target ON on. target is a model probe
// (arc.Cols[Address]()), an alias, a subquery or a CTE; on is a predicate
// such as arc.On(&U.ID, &A.UserID). (Joins along relationships come with
// the relations package.) FilterBy after Join filters on the join target.
func (q *Query[T]) Join(target any, on expr.Expr) *Query[T] { return q.join(target, on, false) }

// OuterJoin adds a LEFT OUTER JOIN of target ON on.
func (q *Query[T]) OuterJoin(target any, on expr.Expr) *Query[T] { return q.join(target, on, true) }

func (q *Query[T]) join(target any, on expr.Expr, outer bool) *Query[T] {
	if n, ok := q.joinRel(target, on, outer); ok { // Join(&U.Addresses, extra): rel_query.go
		return n
	}
	fi, err := fromItemOf(target)
	if err != nil {
		return q.fail(fmt.Errorf("Join: %w", err))
	}
	if on == nil {
		return q.fail(fmt.Errorf("%w: Join to %s needs an ON condition (arc.On(&U.ID, &A.UserID))", arcerr.ErrInvalidRequest, describeFrom(fi)))
	}
	n := q.clone()
	n.sel.Joins = append(n.sel.Joins, &expr.Join{Outer: outer, Target: fi, On: on})
	if t := fi.Table(); t != nil {
		n.joinT, n.joinF = t, fi
	}
	return n
}

func describeFrom(fi expr.FromItem) string {
	if t := fi.Table(); t != nil {
		return kindOf(fi) + " " + t.GoType.Name()
	}
	return fmt.Sprintf("%T", fi)
}

// GroupBy adds GROUP BY items (field pointers or expressions).
func (q *Query[T]) GroupBy(items ...any) *Query[T] {
	n := q.clone()
	n.sel.Group(items...)
	return n
}

// Having adds HAVING predicates (ANDed).
func (q *Query[T]) Having(preds ...expr.Expr) *Query[T] {
	n := q.clone()
	n.sel.Having = append(n.sel.Having, preds...)
	return n
}

// LockMode is a row-locking clause for ForUpdate.
type LockMode string

// Lock modes. NoWait and SkipLocked exist on PostgreSQL; SQLite has no
// row locks, so a locking clause is left out there (a write transaction
// locks the whole database anyway).
const (
	ForUpdateWait       LockMode = "UPDATE"
	ForUpdateNoWait     LockMode = "UPDATE NOWAIT"
	ForUpdateSkipLocked LockMode = "UPDATE SKIP LOCKED"
	ForShare            LockMode = "SHARE"
)

// ForUpdate adds FOR UPDATE (or the given mode: ForUpdateNoWait,
// ForUpdateSkipLocked, ForShare) on dialects with row locks (PostgreSQL);
// on SQLite the clause is left out.
func (q *Query[T]) ForUpdate(mode ...LockMode) *Query[T] {
	n := q.clone()
	m := ForUpdateWait
	if len(mode) > 0 {
		m = mode[0]
	}
	switch m {
	case ForUpdateWait, ForUpdateNoWait, ForUpdateSkipLocked, ForShare:
	default:
		return q.fail(fmt.Errorf("%w: ForUpdate: unknown lock mode %q", arcerr.ErrInvalidRequest, m))
	}
	n.sel.Lock = string(m)
	return n
}

// With attaches common table expressions (WITH name AS (...)); select from
// them with SelectFrom or Join. Build one with CTE.
func (q *Query[T]) With(ctes ...*expr.CTE) *Query[T] {
	n := q.clone()
	n.sel.With = append(n.sel.With, ctes...)
	return n
}

// Union returns SELECT ... FROM (q UNION others...) AS anon_1: a query of
// T entities over the union, which can be filtered, ordered and sliced
// further with the usual field pointers (&U.ID names anon_1.id).
func (q *Query[T]) Union(others ...*Query[T]) *Query[T] { return q.compound("UNION", others) }

// UnionAll is Union keeping duplicate rows (UNION ALL).
func (q *Query[T]) UnionAll(others ...*Query[T]) *Query[T] { return q.compound("UNION ALL", others) }

func (q *Query[T]) compound(op string, others []*Query[T]) *Query[T] {
	if q.err != nil {
		return q
	}
	if !q.isEntityOnly() {
		return q.fail(fmt.Errorf("%w: %s of a query that selects columns; union entity queries", arcerr.ErrInvalidRequest, op))
	}
	first := q.Statement()
	first.OrderBy = nil
	for _, o := range others {
		if o == nil {
			return q.fail(nilQuery(op))
		}
		if o.err != nil {
			return q.fail(o.err)
		}
		if !o.isEntityOnly() {
			return q.fail(fmt.Errorf("%w: %s of a query that selects columns; union entity queries", arcerr.ErrInvalidRequest, op))
		}
		st := o.Statement()
		st.OrderBy = nil
		if st.Limit != nil || st.Offset != nil || len(st.Compounds) > 0 {
			sub := expr.AdaptedSubquery(st, "", q.t)
			st = &expr.Select{Columns: entityCols(q.t, sub), From: []expr.FromItem{sub}}
		}
		first.Compounds = append(first.Compounds, expr.Compound{Op: op, Sel: st})
	}
	sub := expr.AdaptedSubquery(first, "", q.t)
	n := &Query[T]{s: q.s, t: q.t, entity: sub, sel: &expr.Select{From: []expr.FromItem{sub}},
		populate: q.populate, params: q.params, fallback: q.fallback, cache: &shapeCache{}}
	return n
}

func entityCols(t *meta.Table, from expr.FromItem) []expr.Expr {
	cols := make([]expr.Expr, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = &expr.ColRef{From: from, Col: c}
	}
	return cols
}

// FromStatement runs st instead of the query's own SELECT: a textual
// SELECT (arc.Text, run unchanged, :name parameters from Params), a text
// with Columns (result columns named by position), or an expr.Select.
// Result columns map to T's fields by column name; the primary key must be
// among them. Rows[R] and Scalar[V] read column queries
// (Select(&U.ID, &U.Name).FromStatement(...)) the same way.
func (q *Query[T]) FromStatement(st expr.Expr) *Query[T] {
	switch st.(type) {
	case *expr.TextExpr, *expr.TextColumns, *expr.Select:
	default:
		return q.fail(fmt.Errorf("%w: FromStatement takes arc.Text(...), arc.Text(...).Columns(...) or a Select, not %T", arcerr.ErrInvalidRequest, st))
	}
	n := q.clone()
	n.stmt = st
	if tc, ok := st.(*expr.TextColumns); ok {
		// Columns must be known before any SQL runs.
		names := make([]string, len(tc.Cols))
		for i, c := range tc.Cols {
			names[i] = columnNameOf(c, q.entity)
			if names[i] == "" {
				return q.fail(fmt.Errorf("%w: FromStatement: Columns item %d is not a column of %s", arcerr.ErrNotAColumn, i+1, q.t.GoType.Name()))
			}
		}
		if n.isEntityOnly() {
			if _, err := statementPlan(q.t, names); err != nil {
				return q.fail(err)
			}
		}
	}
	return n
}

// AllRows allows Update and Delete to run without a WHERE condition
// (they refuse otherwise, to catch a forgotten Where).
func (q *Query[T]) AllRows() *Query[T] {
	n := q.cloneSameShape()
	n.allRows = true
	return n
}

// SelectAs starts a query for T entities read from another FROM item: an
// alias (arc.Alias[User]("u2")) or an entity subquery (EntitySubquery).
// Field pointers of that item's probe name its columns.
func SelectAs[T any](from expr.FromItem) *Query[T] {
	q := Select[T]()
	if q.err != nil {
		return q
	}
	if from == nil || from.Table() != q.t {
		return q.fail(fmt.Errorf("%w: SelectAs[%s]: %s is not of model %s", arcerr.ErrInvalidRequest, q.t.GoType.Name(), describeFromAny(from), q.t.GoType.Name()))
	}
	from = unwrapAlias(from)
	q = q.clone() // q's SELECT is shared by every Select[T]
	q.entity = from
	q.sel.From = []expr.FromItem{from}
	return q
}

func describeFromAny(fi expr.FromItem) string {
	if fi == nil {
		return "nil"
	}
	return describeFrom(fi)
}

// Alias returns an alias of model T (SQLAlchemy's aliased(T, name=...)):
// its Cols() probe names the alias's columns, so two aliases of one table
// can appear in one query. An empty name gives an anonymous alias, named
// <table>_1, <table>_2, ... in order of appearance in each statement. It
// panics if T is not a valid model, like arc.Cols; expr.NewAlias returns
// the error instead.
func Alias[T any](name string) *expr.Alias[T] {
	a, err := expr.NewAlias[T](name)
	if err != nil {
		panic(err)
	}
	return a
}

// Subquery wraps q as a derived table (SQLAlchemy's query.subquery())
// whose columns are named by the fields of R (snake_case, or `column:`
// tags), matching the query's column names or labels: the returned probe's
// fields name them (&S.AddressCount is anon_1.address_count). name "" gives
// anon_1, anon_2, ...
func Subquery[R, T any](q *Query[T], name string) (*expr.SubqueryRef, *R, error) {
	if q == nil {
		return nil, nil, nilQuery("Subquery")
	}
	if q.err != nil {
		return nil, nil, q.err
	}
	return expr.SubqueryAs[R](q.Statement(), name)
}

// EntitySubquery wraps an entity query of T as a derived table whose rows
// are T entities (SQLAlchemy's aliased(T, subquery)): select the returned
// probe (or the item) to get real, identity-mapped T objects.
func EntitySubquery[T any](q *Query[T], name string) (*expr.SubqueryRef, *T, error) {
	if q == nil {
		return nil, nil, nilQuery("EntitySubquery")
	}
	if q.err != nil {
		return nil, nil, q.err
	}
	if !q.isEntityOnly() {
		return nil, nil, fmt.Errorf("%w: EntitySubquery of a query that selects columns", arcerr.ErrInvalidRequest)
	}
	return expr.EntitySubquery[T](q.Statement(), name)
}

// CTE declares q as a common table expression named name (attach it with
// With); R's fields name its columns, as for Subquery.
func CTE[R, T any](q *Query[T], name string) (*expr.CTE, *R, error) {
	if q == nil {
		return nil, nil, nilQuery("CTE")
	}
	if q.err != nil {
		return nil, nil, q.err
	}
	return expr.AsCTE[R](q.Statement(), name, false)
}

// InQuery is col IN (the query's SELECT): the query must select one column.
func InQuery[V, T any](col *V, q *Query[T]) expr.Expr {
	if q == nil {
		return expr.Err(nilQuery("InQuery"))
	}
	return expr.InQuery(col, q.Statement())
}

// ExistsQuery is EXISTS (SELECT 1 FROM ... WHERE ...) over q, correlated
// to the enclosing query through the field pointers in q's conditions.
func ExistsQuery[T any](q *Query[T]) expr.Expr {
	if q == nil {
		return expr.Err(nilQuery("Exists"))
	}
	st := q.Statement()
	st.Columns = []expr.Expr{expr.Raw("1")}
	st.OrderBy = nil
	return expr.Exists(st)
}

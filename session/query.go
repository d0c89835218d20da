package session

import (
	"context"
	"fmt"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/tablememo"
	"github.com/arcorm/arc/meta"
)

// Query is a typed query for entities of model T: SQLAlchemy's
// session.query(T). It is an immutable value: every builder method returns
// a new Query and leaves the receiver alone, so a base query can be stored
// and shared between goroutines. Terminal methods (All, First, One, Count,
// ...) take the context; an unbound query (Select) uses the session in it.
type Query[T any] struct {
	s        *Session
	t        *meta.Table
	entity   expr.FromItem
	sel      *expr.Select
	err      error
	populate bool
	params   expr.P
	opts     []LoadOption
	joinT    *meta.Table // the last join target, for FilterBy
	joinF    expr.FromItem
	fallback Fallback

	// items is the SELECT list set by Select/AddColumns (nil: the entity).
	items []any
	// stmt is the textual or prebuilt statement of FromStatement.
	stmt expr.Expr
	// allRows allows a bulk Update/Delete without a condition.
	allRows bool
	// noTrack returns entities outside the identity map.
	noTrack bool
	// deleted is which rows of soft-delete models the query sees.
	deleted softMode
	// undefer is the deferred column properties the query loads too.
	undefer propMask
	// cache holds the SQL compiled for this query's shape; builder
	// methods that change the shape give the new query a fresh one.
	cache *shapeCache
}

// Fallback runs fn with a context that carries a session, for queries run
// without one (record uses it to give session-less calls a one-shot
// session on the default engine).
type Fallback func(ctx context.Context, fn func(ctx context.Context) error) error

// WithFallback returns a query that, when neither it nor the context has
// a session, runs through f.
func (q *Query[T]) WithFallback(f Fallback) *Query[T] {
	n := q.cloneSameShape()
	n.fallback = f
	return n
}

// within runs fn with the session the query should use.
func (q *Query[T]) within(ctx context.Context, fn func(ctx context.Context) error) error {
	if q.err != nil {
		return q.err
	}
	if q.s != nil || From(ctx) != nil || q.fallback == nil {
		return fn(ctx)
	}
	return q.fallback(ctx, fn)
}

// NewQuery returns a query for T bound to s.
func NewQuery[T any](s *Session) *Query[T] {
	q := Select[T]()
	q.s = s
	if s != nil && s.eng == nil {
		q.err = errNilEngine
	}
	return q
}

// Select returns a query for T that runs in the session carried by the
// context given to its terminal methods.
func Select[T any]() *Query[T] {
	t, err := meta.Of[T]()
	if err != nil {
		return &Query[T]{sel: &expr.Select{}, cache: &shapeCache{}, err: err}
	}
	n := *baseQueries.Get(t, func() any {
		entity := expr.TableOf(t)
		return &Query[T]{t: t, entity: entity, sel: &expr.Select{From: []expr.FromItem{entity}}}
	}).(*Query[T])
	return &n
}

// baseQueries holds, per table, the *Query[T] every Select[T] starts from:
// queries are values that builder methods copy, so all of T's start from
// one. It has no compiled-SQL cache of its own (it would be shared by
// every engine in the process): run as it is, it finds its SQL among the
// templates of the engine it runs on.
var baseQueries tablememo.Memo[any]

// queryBox holds a cloned query with its SELECT, its compiled-SQL cache
// and room for one WHERE predicate: building a query inline (Select,
// Where, All) costs one allocation per builder call instead of four.
type queryBox[T any] struct {
	q     Query[T]
	sel   expr.Select
	cache shapeCache
	where [1]expr.Expr
}

func (q *Query[T]) clone() *Query[T] { return &q.cloneBox().q }

func (q *Query[T]) cloneBox() *queryBox[T] {
	b := &queryBox[T]{q: *q}
	q.sel.CloneTo(&b.sel)
	b.q.sel = &b.sel
	b.q.opts = q.opts[:len(q.opts):len(q.opts)]
	b.q.items = q.items[:len(q.items):len(q.items)]
	b.q.cache = &b.cache
	return b
}

// cloneSameShape copies the query for a change that does not alter its
// SQL (Params, PopulateExisting, fallback): the compiled-SQL cache is shared.
func (q *Query[T]) cloneSameShape() *Query[T] {
	n := *q
	return &n
}

func (q *Query[T]) fail(err error) *Query[T] {
	n := q.clone()
	if n.err == nil {
		n.err = err
	}
	return n
}

// Err returns the first error recorded while building the query.
func (q *Query[T]) Err() error { return q.err }

// Table returns T's table.
func (q *Query[T]) Table() *meta.Table { return q.t }

// Statement returns the query's SELECT (its columns filled in), for use
// as a subquery, in InQuery or in Exists. A FromStatement query or one
// with build errors yields a statement that fails to compile with that error.
func (q *Query[T]) Statement() *expr.Select {
	if q.stmt != nil {
		return &expr.Select{Columns: []expr.Expr{expr.Err(fmt.Errorf("%w: a FromStatement query cannot be used as a subquery", arcerr.ErrInvalidRequest))}}
	}
	p, err := q.prepare(nil) // a subquery, rendered later by whoever runs it
	if err != nil {
		return &expr.Select{Columns: []expr.Expr{expr.Err(err)}}
	}
	return p.sel
}

func (q *Query[T]) limited() bool { return q.sel.Limit != nil || q.sel.Offset != nil }

// Where adds predicates, ANDed with the ones already there. Calling it on
// a query that has LIMIT or OFFSET is an error, as in SQLAlchemy.
func (q *Query[T]) Where(preds ...expr.Expr) *Query[T] {
	if q.limited() {
		return q.fail(fmt.Errorf("%w: Where called on a query that already has LIMIT or OFFSET", arcerr.ErrInvalidRequest))
	}
	b := q.cloneBox()
	if len(b.sel.Where) == 0 && len(preds) <= len(b.where) {
		b.sel.Where = b.where[:0:len(b.where)] // clones clip it: never appended to in place twice
	}
	b.sel.Where = append(b.sel.Where, preds...)
	return &b.q
}

// FilterBy adds column = value conditions by Go field name or column name
// of the primary entity, or of the last Join target.
func (q *Query[T]) FilterBy(kv expr.P) *Query[T] {
	if q.err != nil {
		return q
	}
	t, from := q.t, q.entity
	if q.joinT != nil {
		t, from = q.joinT, q.joinF
	}
	n := q.clone()
	keys := sortedKeys(kv)
	for _, k := range keys {
		c := t.ColumnByField(k)
		if c == nil {
			c = t.ColumnByName(k)
		}
		if c == nil {
			return q.fail(fmt.Errorf("%w: FilterBy: %s has no field or column %q", arcerr.ErrInvalidRequest, t.GoType.Name(), k))
		}
		n.sel.Where = append(n.sel.Where, expr.Op(&expr.ColRef{From: from, Col: c}, "=", kv[k]))
	}
	if q.limited() {
		return q.fail(fmt.Errorf("%w: FilterBy called on a query that already has LIMIT or OFFSET", arcerr.ErrInvalidRequest))
	}
	return n
}

// OrderBy adds ORDER BY items: field pointers (ascending), expr.Asc/Desc,
// expressions or expr.Text. OrderBy(nil) clears the ordering.
func (q *Query[T]) OrderBy(items ...any) *Query[T] {
	n := q.clone()
	if len(items) == 1 && items[0] == nil {
		n.sel.OrderBy = nil
		return n
	}
	if q.limited() {
		return q.fail(fmt.Errorf("%w: OrderBy called on a query that already has LIMIT or OFFSET", arcerr.ErrInvalidRequest))
	}
	n.sel.Order(items...)
	return n
}

// Limit sets LIMIT n; n < 0 is an error.
func (q *Query[T]) Limit(n int) *Query[T] {
	if n < 0 {
		return q.fail(fmt.Errorf("%w: Limit(%d): must not be negative", arcerr.ErrInvalidRequest, n))
	}
	c := q.clone()
	c.sel.SetLimit(int64(n))
	return c
}

// Offset sets OFFSET n; n < 0 is an error.
func (q *Query[T]) Offset(n int) *Query[T] {
	if n < 0 {
		return q.fail(fmt.Errorf("%w: Offset(%d): must not be negative", arcerr.ErrInvalidRequest, n))
	}
	c := q.clone()
	c.sel.SetOffset(int64(n))
	return c
}

// Slice is Python's q[start:stop]: OFFSET start LIMIT stop-start. stop < 0
// means no upper bound. An empty range runs no SQL and returns nothing.
func (q *Query[T]) Slice(start, stop int) *Query[T] {
	if start < 0 {
		return q.fail(fmt.Errorf("%w: Slice(%d, %d): negative start", arcerr.ErrInvalidRequest, start, stop))
	}
	c := q
	if stop >= 0 {
		if stop <= start {
			c = q.clone()
			c.sel.SetLimit(0)
			return c
		}
		c = c.Limit(stop - start)
	}
	if start > 0 || stop < 0 {
		c = c.Offset(start)
	}
	return c
}

// Distinct makes it SELECT DISTINCT.
func (q *Query[T]) Distinct() *Query[T] {
	n := q.clone()
	n.sel.Distinct = true
	return n
}

// PopulateExisting makes rows overwrite objects already in the identity
// map, discarding their unflushed changes.
func (q *Query[T]) PopulateExisting() *Query[T] {
	n := q.cloneSameShape()
	n.populate = true
	return n
}

// Params binds :name parameters of textual SQL in the query; later calls merge.
func (q *Query[T]) Params(p expr.P) *Query[T] {
	n := q.cloneSameShape()
	merged := make(expr.P, len(q.params)+len(p))
	for k, v := range q.params {
		merged[k] = v
	}
	for k, v := range p {
		merged[k] = v
	}
	n.params = merged
	return n
}

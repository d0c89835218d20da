package arc

import (
	"context"

	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/session"
)

// The query API beyond Select and Where (see docs/querying.md).

// RowsQuery reads the rows of a column or multi-entity query into R.
type RowsQuery[R any] = session.RowsQuery[R]

// LockMode is a row-locking clause for Query.ForUpdate.
type LockMode = session.LockMode

// Lock modes for Query.ForUpdate (left out on SQLite, which has no row locks).
const (
	ForUpdateWait       = session.ForUpdateWait
	ForUpdateNoWait     = session.ForUpdateNoWait
	ForUpdateSkipLocked = session.ForUpdateSkipLocked
	ForShare            = session.ForShare
)

// Rows reads q's rows as R values: a struct whose fields take the selected
// items by label, field or column name (then by position), []any, or a
// single value. Entities in rows come from the identity map.
func Rows[R, T any](q *Query[T]) *RowsQuery[R] { return session.Rows[R](q) }

// Scalar returns the first column of q's single row; ErrNotFound when
// there is none, ErrMultipleRows when there are several.
func Scalar[V, T any](ctx context.Context, q *Query[T]) (V, error) { return session.Scalar[V](ctx, q) }

// Alias returns an alias of model T ("" for an anonymous one, named
// <table>_1, <table>_2, ...); its Cols() probe names the alias's columns.
func Alias[T any](name string) *expr.Alias[T] { return session.Alias[T](name) }

// SelectAs starts a query for T entities read from an alias or an entity
// subquery.
func SelectAs[T any](from expr.FromItem) *Query[T] { return session.SelectAs[T](from) }

// Subquery wraps q as a derived table whose columns R's fields name.
func Subquery[R, T any](q *Query[T], name string) (*expr.SubqueryRef, *R, error) {
	return session.Subquery[R](q, name)
}

// EntitySubquery wraps an entity query as a derived table of T entities.
func EntitySubquery[T any](q *Query[T], name string) (*expr.SubqueryRef, *T, error) {
	return session.EntitySubquery(q, name)
}

// CTE declares q as a common table expression named name (attach it with
// Query.With); R's fields name its columns.
func CTE[R, T any](q *Query[T], name string) (*expr.CTE, *R, error) { return session.CTE[R](q, name) }

// InQuery is col IN (q's SELECT).
func InQuery[V, T any](col *V, q *Query[T]) Expr { return session.InQuery(col, q) }

// Exists is EXISTS (SELECT 1 FROM ... WHERE ...) over q, correlated to the
// enclosing query through the field pointers in q's conditions.
func Exists[T any](q *Query[T]) Expr { return session.ExistsQuery(q) }

// NotLike is col NOT LIKE pattern.
func NotLike[S ~string](col *S, pattern string) Expr { return expr.NotLike(col, pattern) }

// Between is col BETWEEN a AND b.
func Between[V any](col *V, a, b V) Expr { return expr.BetweenV(col, a, b) }

// Match is full-text search: PostgreSQL col @@ to_tsquery(q), SQLite MATCH (FTS tables).
func Match[S ~string](col *S, query string) Expr { return expr.MatchText(col, query) }

// TupleIn is (cols...) IN ((row...), ...), written (a, b) IN (VALUES ...)
// on SQLite.
func TupleIn(cols []any, rows ...[]any) Expr {
	es := make([]Expr, len(cols))
	for i, c := range cols {
		es[i] = expr.AsExpr(c)
	}
	return &expr.TupleIn{Cols: es, Rows: rows}
}

// CountDistinct is count(DISTINCT col).
func CountDistinct(col any) *expr.FuncCall { return expr.CountDistinct(col) }

// ScalarQuery is q as a scalar subquery, (SELECT ...), usable as a value
// in Select, Where and OrderBy; q selects one column and may refer to the
// enclosing query's tables through their probes (a correlated subquery).
func ScalarQuery[T any](q *Query[T]) Expr { return &expr.ScalarSubquery{Sel: q.Statement()} }

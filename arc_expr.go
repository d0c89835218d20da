package arc

import (
	"database/sql"

	"github.com/arcorm/arc/expr"
)

// Comparisons for nullable columns (see docs/querying.md): a pointer field
// or an sql.Null[V] field compared with a plain value. Eq(&A.UserID, nil)
// still renders IS NULL.

// EqN is col = v for a pointer field (*V), compared with a plain V.
func EqN[V any](col **V, v V) Expr { return expr.EqN(col, v) }

// NeN is col != v for a pointer field (*V), compared with a plain V.
func NeN[V any](col **V, v V) Expr { return expr.NeN(col, v) }

// EqNull is col = v for an sql.Null[V] field, compared with a plain V.
func EqNull[V any](col *sql.Null[V], v V) Expr { return expr.EqNull(col, v) }

// NeNull is col != v for an sql.Null[V] field, compared with a plain V.
func NeNull[V any](col *sql.Null[V], v V) Expr { return expr.NeNull(col, v) }

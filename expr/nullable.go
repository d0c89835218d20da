package expr

import (
	"database/sql"
	"fmt"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/meta"
)

// EqN is col = v for a nullable pointer field (*V) compared with a plain
// V: EqN(&A.UserID, 5) where UserID is *int64.
func EqN[V any](col **V, v V) Expr { return Op(Field(col), "=", v) }

// NeN is col != v for a nullable pointer field compared with a plain V.
func NeN[V any](col **V, v V) Expr { return Op(Field(col), "!=", v) }

// EqNull is col = v for an sql.Null[V] field compared with a plain V.
func EqNull[V any](col *sql.Null[V], v V) Expr { return Op(Field(col), "=", v) }

// NeNull is col != v for an sql.Null[V] field compared with a plain V.
func NeNull[V any](col *sql.Null[V], v V) Expr { return Op(Field(col), "!=", v) }

// onExpr is On's column = column; it checks at compile time that the two
// columns hold comparable values, ignoring nullability.
type onExpr struct{ Binary }

// AppendSQL checks the column types and writes "l = r".
func (o *onExpr) AppendSQL(c *Compiler) {
	if lf, ok := o.L.(*FieldRef); ok {
		if rf, ok := o.R.(*FieldRef); ok {
			_, lc, lerr := lf.Resolve(c)
			_, rc, rerr := rf.Resolve(c)
			if lerr == nil && rerr == nil && !comparableKinds(lc.Kind, rc.Kind) {
				c.Fail(fmt.Errorf("%w: On(%s, %s) compares a %s column (Go %s) with a %s column (Go %s)",
					arcerr.ErrInvalidRequest, lc, rc, lc.Kind, lc.Elem, rc.Kind, rc.Elem))
				return
			}
		}
	}
	o.Binary.AppendSQL(c)
}

// comparableKinds reports whether values of the two column kinds compare
// meaningfully: the same kind, both numbers (integer, float or decimal),
// or both strings.
func comparableKinds(a, b meta.Kind) bool {
	group := func(k meta.Kind) meta.Kind {
		switch {
		case k.IsInteger(), k == meta.KindFloat, k == meta.KindDouble, k == meta.KindDecimal:
			return meta.KindBigInt
		case k == meta.KindText:
			return meta.KindString
		}
		return k
	}
	return group(a) == group(b)
}

package expr

import (
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/meta"
)

// AdaptedSubquery wraps sel, which selects the columns of table t by name,
// as a derived table whose columns are named by t's own probe: &U.Name,
// which names users.name elsewhere, names anon_1.name inside a statement
// that selects from this item (SQLAlchemy's column adaptation, used for
// UNION queries). The table itself must not also be in that statement's
// FROM list, or the table wins.
func AdaptedSubquery(sel *Select, name string, t *meta.Table) *SubqueryRef {
	return &SubqueryRef{Sel: sel, Name: name, shape: t, probe: t.Probe()}
}

// AdaptedExpr compiles X with the field pointers of a model's own probe
// naming the FROM item To (an alias, a subquery of the model) instead of
// the table: an expression written once against the model (&P.ID, a
// relations.CountOf over one of its relationships) renders for any FROM
// item the model is selected through. The session uses it for column
// properties of aliased and joined entities.
type AdaptedExpr struct {
	X  Expr
	To FromItem
}

// Adapt returns x adapted to the FROM item to (see AdaptedExpr).
func Adapt(x Expr, to FromItem) Expr { return &AdaptedExpr{X: x, To: to} }

// AppendSQL writes X in a scope where the model's probe names To.
func (a *AdaptedExpr) AppendSQL(c *Compiler) {
	c.push([]FromItem{adaptedItem{a.To}})
	a.X.AppendSQL(c)
	c.pop()
}

// adaptedItem is To seen through its table's own probe.
type adaptedItem struct{ FromItem }

func (a adaptedItem) columnAt(p unsafe.Pointer, typ reflect.Type) *meta.Column {
	if col := a.FromItem.columnAt(p, typ); col != nil {
		return col
	}
	t := a.Table()
	if t == nil {
		return nil
	}
	return probeColumn(t, t.Probe(), p, typ)
}

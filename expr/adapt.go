package expr

import "github.com/arcorm/arc/meta"

// AdaptedSubquery wraps sel, which selects the columns of table t by name,
// as a derived table whose columns are named by t's own probe: &U.Name,
// which names users.name elsewhere, names anon_1.name inside a statement
// that selects from this item (SQLAlchemy's column adaptation, used for
// UNION queries). The table itself must not also be in that statement's
// FROM list, or the table wins.
func AdaptedSubquery(sel *Select, name string, t *meta.Table) *SubqueryRef {
	return &SubqueryRef{Sel: sel, Name: name, shape: t, probe: t.Probe()}
}

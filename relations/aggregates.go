package relations

import "github.com/arcorm/arc/expr"

// CountOf is the number of rows a relationship field holds for each row of
// the query, optionally only those matching crit: a correlated scalar
// subquery, usable as a selected column, in Where (through expr.Col) and
// in OrderBy:
//
//	(SELECT count(*) FROM favorites, users WHERE articles.id =
//	favorites.article_id AND users.id = favorites.user_id AND ...)
//
// Criteria name the target's columns through its probe, as in Any; a
// self-referential target is aliased. Soft-deleted targets are not counted.
func CountOf(field any, crit ...expr.Expr) expr.Expr {
	r, err := resolveField(field, "CountOf")
	if err != nil {
		return expr.Err(err)
	}
	sel := related(r, crit)
	sel.Columns = []expr.Expr{expr.CountAll()}
	return &expr.ScalarSubquery{Sel: sel}
}

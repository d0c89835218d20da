// Package expr is Arc's SQL expression language and its compiler: column
// references, predicates, functions, labels, ordering, SELECT (with joins,
// subqueries, grouping, unions, CTEs and locking), INSERT (multi-row,
// RETURNING), UPDATE and DELETE, and textual SQL with :name parameters.
// Everything compiles through a dialect.Dialect to SQL text plus bind
// arguments: values are never written into the SQL.
//
// Columns are named without code generation by pointing into a probe, a
// zero value of the model that is never used for data:
//
//	U := expr.Cols[User]()            // *User probe
//	expr.Eq(&U.Name, "ed")            // users.name = ?
//	expr.C("users.name")              // untyped, by name
//
// The compiler resolves a field pointer against the FROM items of the
// statement being compiled (tables, aliases, subqueries, and the enclosing
// query for correlated subqueries); a pointer outside them is an
// ErrNotAColumn error naming the field.
//
// expr imports meta, dialect and arcerr; it knows nothing of sessions.
package expr

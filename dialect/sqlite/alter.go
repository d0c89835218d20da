package sqlite

import (
	"strings"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/meta"
)

// RenderOperation writes a table rebuild that keeps AUTOINCREMENT
// (ddl.RecreateTable with KeepSequence): the new table's key column is
// "INTEGER PRIMARY KEY AUTOINCREMENT" (a column constraint: the table
// constraint form cannot carry AUTOINCREMENT), and the table's
// high-water mark in sqlite_sequence is copied to the new table, so ids
// of deleted rows are not handed out again. Every other operation is the
// standard SQL; SQLite alters little in place, and migrate plans a
// rebuild where it cannot.
func (d *Dialect) RenderOperation(op ddl.Operation) ([]string, bool) {
	o, ok := op.(ddl.RecreateTable)
	if !ok || !o.KeepSequence {
		return nil, false
	}
	stmts := ddl.Standard(d, op) // CREATE TABLE ..., INSERT, DROP TABLE, ALTER TABLE ... RENAME
	if o.Model != nil {
		stmts[0] = inlineAutoincrement(d, stmts[0], o.Model)
	}
	n := len(stmts)
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	out := append([]string{}, stmts[:n-2]...)
	out = append(out,
		"DELETE FROM sqlite_sequence WHERE name = "+lit(o.Temp),
		"INSERT INTO sqlite_sequence (name, seq) SELECT "+lit(o.Temp)+", seq FROM sqlite_sequence WHERE name = "+lit(o.Table))
	return append(out, stmts[n-2:]...), true
}

// inlineAutoincrement turns the CREATE TABLE of t, whose key is one
// INTEGER column, into one whose key column is INTEGER PRIMARY KEY
// AUTOINCREMENT; create is returned as it is when it does not have that
// shape (migrate notes it and does not ask for KeepSequence).
func inlineAutoincrement(d dialect.Dialect, create string, t *meta.Table) string {
	if len(t.PrimaryKey) != 1 {
		return create
	}
	c := t.PrimaryKey[0]
	q := func(s string) string { return dialect.QuoteIdent(d, s) }
	def := dialect.ColumnDef(d, c)
	pk := ",\n\tCONSTRAINT " + q(t.PKName) + " PRIMARY KEY (" + q(c.Name) + ")"
	if !strings.HasPrefix(def, q(c.Name)+" INTEGER") || !strings.Contains(create, "\t"+def+",\n") || !strings.Contains(create, pk) {
		return create
	}
	create = strings.Replace(create, pk, "", 1)
	return strings.Replace(create, "\t"+def+",\n", "\t"+def+" CONSTRAINT "+q(t.PKName)+" PRIMARY KEY AUTOINCREMENT,\n", 1)
}

var _ ddl.Renderer = (*Dialect)(nil)

package mysql

import (
	"strings"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
)

// RenderOperation writes the operations MySQL spells its own way: a
// constraint is dropped with DROP FOREIGN KEY, DROP INDEX (a unique
// constraint is a unique index), DROP PRIMARY KEY, or DROP CONSTRAINT
// for a check; a unique constraint is renamed as the index it is, a
// foreign key or a check cannot be (no statement: the planner drops and
// adds it), and the primary key is always called PRIMARY, so it is added
// as ADD PRIMARY KEY (ADD CONSTRAINT `PRIMARY` fails) and restored in a
// CREATE TABLE without a name; an index is
// dropped with DROP INDEX ... ON table and renamed with ALTER TABLE ...
// RENAME INDEX (MySQL 5.7+, MariaDB 10.5+); a dropped column is added
// back where it was (AFTER / FIRST); a column changes type,
// nullability and default by being defined again whole (MODIFY COLUMN).
func (d *Dialect) RenderOperation(op ddl.Operation) ([]string, bool) {
	q := func(s string) string { return dialect.QuoteIdent(d, s) }
	alter := func(table, clause string) []string { return []string{"ALTER TABLE " + q(table) + " " + clause} }
	switch o := op.(type) {
	case ddl.DropConstraint:
		switch o.Kind {
		case dialect.ForeignKeyConstraint:
			return alter(o.Table, "DROP FOREIGN KEY "+q(o.Name)), true
		case dialect.UniqueConstraint:
			return alter(o.Table, "DROP INDEX "+q(o.Name)), true
		case dialect.PrimaryKeyConstraint:
			return alter(o.Table, "DROP PRIMARY KEY"), true
		}
		return alter(o.Table, "DROP CONSTRAINT "+q(o.Name)), true
	case ddl.RenameConstraint:
		if o.Kind == dialect.UniqueConstraint {
			return alter(o.Table, "RENAME INDEX "+q(o.From)+" TO "+q(o.To)), true
		}
		return nil, true
	case ddl.AddPrimaryKey:
		return alter(o.Table, "ADD PRIMARY KEY ("+dialect.IdentList(d, o.Columns)+")"), true
	case ddl.AddConstraint:
		if isPrimaryKeyDef(o.Def) {
			// The primary key is always called PRIMARY, a name ADD
			// CONSTRAINT refuses (error 1280, incorrect index name).
			return alter(o.Table, "ADD "+o.Def), true
		}
		return nil, false
	case ddl.RestoreTable:
		if o.Table.PrimaryKey != nil {
			cp, pk := *o.Table, *o.Table.PrimaryKey
			pk.Name = ""
			cp.PrimaryKey = &pk
			return ddl.Standard(d, ddl.RestoreTable{Table: &cp}), true
		}
		return nil, false
	case ddl.DropIndex:
		return []string{"DROP INDEX " + q(o.Name) + " ON " + q(o.Table)}, true
	case ddl.RenameIndex:
		return alter(o.Table, "RENAME INDEX "+q(o.From)+" TO "+q(o.To)), true
	case ddl.RestoreColumn:
		pos := " FIRST"
		if o.After != "" {
			pos = " AFTER " + q(o.After)
		}
		return alter(o.Table, "ADD COLUMN "+ddl.SchemaColumnDef(d, o.Column)+pos), true
	case ddl.ModifyColumn:
		return alter(o.Table, "MODIFY COLUMN "+ddl.SchemaColumnDef(d, o.Column)), true
	}
	return nil, false
}

// CheckExpr turns the double-quoted identifiers of a CHECK expression
// (the models' spelling: an enum's "status" IN (...)) into backticks,
// which MySQL reads as identifiers (without ANSI_QUOTES a double-quoted
// word is a string). Strings, comments and backticked names are kept.
func (*Dialect) CheckExpr(expr string) string {
	var b strings.Builder
	for i := 0; i < len(expr); {
		j := dialect.SkipQuoted(expr, i)
		if j == i {
			b.WriteByte(expr[i])
			i++
			continue
		}
		if expr[i] == '"' && j-i >= 2 && expr[j-1] == '"' {
			name := strings.ReplaceAll(expr[i+1:j-1], `""`, `"`)
			b.WriteString("`" + strings.ReplaceAll(name, "`", "``") + "`")
		} else {
			b.WriteString(expr[i:j])
		}
		i = j
	}
	return b.String()
}

func isPrimaryKeyDef(def string) bool {
	return strings.HasPrefix(strings.ToUpper(strings.TrimSpace(def)), "PRIMARY KEY")
}

// IndexIfNotExists reports whether CREATE INDEX IF NOT EXISTS may be
// written: MariaDB has it, MySQL (8.x) does not. The registered dialect,
// which knows no server, assumes MariaDB's syntax.
func (d *Dialect) IndexIfNotExists() bool { return d.MariaDB || d.Server == "" }

var (
	_ dialect.IndexGuard  = (*Dialect)(nil)
	_ ddl.Renderer        = (*Dialect)(nil)
	_ dialect.CheckWriter = (*Dialect)(nil)
)

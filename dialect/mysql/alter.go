package mysql

import (
	"strings"

	"github.com/arcorm/arc/dialect"
)

// DropConstraint is DROP FOREIGN KEY, DROP INDEX (a unique constraint is
// a unique index), DROP PRIMARY KEY, or DROP CONSTRAINT for a check.
func (d *Dialect) DropConstraint(kind dialect.ConstraintKind, name string) string {
	switch kind {
	case dialect.ForeignKeyConstraint:
		return "DROP FOREIGN KEY " + dialect.QuoteIdent(d, name)
	case dialect.UniqueConstraint:
		return "DROP INDEX " + dialect.QuoteIdent(d, name)
	case dialect.PrimaryKeyConstraint:
		return "DROP PRIMARY KEY"
	}
	return "DROP CONSTRAINT " + dialect.QuoteIdent(d, name)
}

// RenameConstraint renames a unique constraint as the index it is;
// MySQL cannot rename a foreign key or a check ("": drop and add), and
// its primary key is always called PRIMARY.
func (d *Dialect) RenameConstraint(kind dialect.ConstraintKind, from, to string) string {
	if kind == dialect.UniqueConstraint {
		return "RENAME INDEX " + dialect.QuoteIdent(d, from) + " TO " + dialect.QuoteIdent(d, to)
	}
	return ""
}

// DropIndex is DROP INDEX name ON table.
func (d *Dialect) DropIndex(table, name string) string {
	return "DROP INDEX " + dialect.QuoteIdent(d, name) + " ON " + dialect.QuoteIdent(d, table)
}

// RenameIndex is ALTER TABLE table RENAME INDEX (MySQL 5.7+, MariaDB 10.5+).
func (d *Dialect) RenameIndex(table, from, to string) string {
	return "ALTER TABLE " + dialect.QuoteIdent(d, table) + " RENAME INDEX " + dialect.QuoteIdent(d, from) + " TO " + dialect.QuoteIdent(d, to)
}

// ModifyColumn is MODIFY COLUMN with the whole new definition.
func (*Dialect) ModifyColumn(def string) string { return "MODIFY COLUMN " + def }

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

// IndexIfNotExists reports whether CREATE INDEX IF NOT EXISTS may be
// written: MariaDB has it, MySQL (8.x) does not. The registered dialect,
// which knows no server, assumes MariaDB's syntax.
func (d *Dialect) IndexIfNotExists() bool { return d.MariaDB || d.Server == "" }

var (
	_ dialect.IndexGuard  = (*Dialect)(nil)
	_ dialect.AlterWriter = (*Dialect)(nil)
	_ dialect.CheckWriter = (*Dialect)(nil)
)

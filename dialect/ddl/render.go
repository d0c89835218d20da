package ddl

import (
	"strings"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/meta"
)

// Renderer is implemented by a dialect that writes some operations its
// own way: MySQL's DROP FOREIGN KEY, DROP INDEX ... ON and MODIFY
// COLUMN, PostgreSQL's USING cast, SQLite's AUTOINCREMENT kept through a
// table rebuild. RenderOperation returns the statements and true, or
// false to have the standard SQL written (Standard). A dialect that
// cannot do an operation at all (rename a MySQL foreign key) returns no
// statement and true.
type Renderer interface {
	RenderOperation(op Operation) ([]string, bool)
}

// Render returns the statements of op on d: the dialect's own
// (Renderer), else the standard SQL.
func Render(d dialect.Dialect, op Operation) []string {
	if r, ok := d.(Renderer); ok {
		if stmts, ok := r.RenderOperation(op); ok {
			return stmts
		}
	}
	return Standard(d, op)
}

// RenderAll renders ops in order.
func RenderAll(d dialect.Dialect, ops []Operation) []string {
	var out []string
	for _, op := range ops {
		out = append(out, Render(d, op)...)
	}
	return out
}

// Standard returns the statements of op in the SQL standard's spelling
// (PostgreSQL's), with d's quoting and type names. ModifyColumn has no
// standard statement: it renders as none.
func Standard(d dialect.Dialect, op Operation) []string {
	q := func(s string) string { return dialect.QuoteIdent(d, s) }
	alter := func(table, clause string) []string { return []string{"ALTER TABLE " + q(table) + " " + clause} }
	column := func(table, col, clause string) []string {
		return alter(table, "ALTER COLUMN "+q(col)+" "+clause)
	}
	switch o := op.(type) {
	case Comment:
		return []string{"-- " + o.Text}
	case Commented:
		var out []string
		for _, s := range Render(d, o.Op) {
			out = append(out, "-- "+o.Prefix+s+";")
		}
		return out
	case CreateTable:
		return dialect.CreateTable(d, o.Table, false)
	case DropTable:
		out := []string{"DROP TABLE " + q(o.Name)}
		if d.Has(dialect.Sequences) {
			for _, s := range o.Sequences {
				out = append(out, "DROP SEQUENCE "+q(s))
			}
		}
		return out
	case RestoreTable:
		return restoreTable(d, o.Table)
	case RenameTable:
		return alter(o.From, "RENAME TO "+q(o.To))
	case RecreateTable:
		var out []string
		if o.Model != nil {
			out = dialect.CreateTable(d, o.Model, false)
		} else if ddl := o.Schema.DDL; ddl != "" {
			if i := strings.IndexByte(ddl, '('); i >= 0 {
				ddl = "CREATE TABLE " + q(o.Temp) + " " + ddl[i:]
			}
			out = []string{ddl}
		} else {
			cp := *o.Schema
			cp.Name = o.Temp
			out = restoreTable(d, &cp)
		}
		return append(out,
			"INSERT INTO "+q(o.Temp)+" ("+dialect.IdentList(d, o.Columns)+") SELECT "+dialect.IdentList(d, o.From)+" FROM "+q(o.Table),
			"DROP TABLE "+q(o.Table),
			"ALTER TABLE "+q(o.Temp)+" RENAME TO "+q(o.Table))
	case AddColumn:
		return alter(o.Table, "ADD COLUMN "+dialect.ColumnDef(d, o.Column))
	case RestoreColumn:
		return alter(o.Table, "ADD COLUMN "+SchemaColumnDef(d, o.Column))
	case DropColumn:
		return alter(o.Table, "DROP COLUMN "+q(o.Column))
	case RenameColumn:
		return alter(o.Table, "RENAME COLUMN "+q(o.From)+" TO "+q(o.To))
	case AlterColumnType:
		return column(o.Table, o.Column, "TYPE "+o.To)
	case SetNotNull:
		return column(o.Table, o.Column, "SET NOT NULL")
	case DropNotNull:
		return column(o.Table, o.Column, "DROP NOT NULL")
	case SetDefault:
		return column(o.Table, o.Column, "SET DEFAULT "+o.Default)
	case DropDefault:
		return column(o.Table, o.Column, "DROP DEFAULT")
	case ModifyColumn:
		return nil
	case Backfill:
		return []string{"UPDATE " + q(o.Table) + " SET " + q(o.Column) + " = " + o.Value + " WHERE " + q(o.Column) + " IS NULL"}
	case AddPrimaryKey:
		return alter(o.Table, "ADD CONSTRAINT "+q(o.Name)+" PRIMARY KEY ("+dialect.IdentList(d, o.Columns)+")")
	case AddUnique:
		return alter(o.Table, "ADD "+dialect.UniqueDef(d, o.Unique))
	case AddForeignKey:
		return alter(o.Table, "ADD "+dialect.ForeignKeyDef(d, o.ForeignKey))
	case AddCheck:
		return alter(o.Table, "ADD CONSTRAINT "+q(o.Name)+" "+dialect.CheckDef(d, o.Expr))
	case AddConstraint:
		return alter(o.Table, "ADD CONSTRAINT "+q(o.Name)+" "+o.Def)
	case DropConstraint:
		ie := ""
		if o.IfExists {
			ie = "IF EXISTS "
		}
		return alter(o.Table, "DROP CONSTRAINT "+ie+q(o.Name))
	case RenameConstraint:
		return alter(o.Table, "RENAME CONSTRAINT "+q(o.From)+" TO "+q(o.To))
	case CreateIndex:
		return []string{dialect.CreateIndex(d, o.Table, o.Index, false)}
	case RestoreIndex:
		return []string{dialect.IndexDDL(d, o.Table, o.Index)}
	case DropIndex:
		return []string{"DROP INDEX " + q(o.Name)}
	case RenameIndex:
		return []string{"ALTER INDEX " + q(o.From) + " RENAME TO " + q(o.To)}
	case CreateSequence:
		return []string{"CREATE SEQUENCE IF NOT EXISTS " + o.Name}
	case SequenceOwnedBy:
		return []string{"ALTER SEQUENCE " + o.Sequence + " OWNED BY " + q(o.Table) + "." + q(o.Column)}
	case DropObject:
		return []string{"DROP " + strings.ToUpper(o.Kind) + " IF EXISTS " + q(o.Name)}
	case RestoreObject:
		return []string{o.Object.Def}
	}
	return nil // nil: the interface is sealed, every operation is above
}

// restoreTable is the CREATE TABLE of a live table: SQLite's own text,
// else built from the inspected columns and constraints, with the
// sequences its serial columns draw from (created first, owned after).
func restoreTable(d dialect.Dialect, l *dialect.TableSchema) []string {
	if l.DDL != "" {
		return []string{l.DDL}
	}
	q := func(s string) string { return dialect.QuoteIdent(d, s) }
	var out, parts []string
	for _, c := range l.Columns {
		parts = append(parts, SchemaColumnDef(d, c))
		if c.Serial != "" {
			out = append(out, Standard(d, CreateSequence{Name: c.Serial})...)
		}
	}
	if pk := l.PrimaryKey; pk != nil && pk.Name == "" { // a key the database names itself (MySQL's PRIMARY)
		parts = append(parts, pk.Def)
	} else if pk != nil {
		parts = append(parts, "CONSTRAINT "+q(pk.Name)+" "+pk.Def)
	}
	for _, u := range l.Uniques {
		parts = append(parts, "CONSTRAINT "+q(u.Name)+" "+u.Def)
	}
	for _, c := range l.Checks {
		parts = append(parts, "CONSTRAINT "+q(c.Name)+" "+c.Def)
	}
	for _, fk := range l.ForeignKeys {
		parts = append(parts, "CONSTRAINT "+q(fk.Name)+" "+fk.Def)
	}
	out = append(out, "CREATE TABLE "+q(l.Name)+" (\n\t"+strings.Join(parts, ",\n\t")+"\n)")
	for _, c := range l.Columns {
		if c.SerialOwned {
			out = append(out, Standard(d, SequenceOwnedBy{Sequence: c.Serial, Table: l.Name, Column: c.Name})...)
		}
	}
	return out
}

// SchemaColumnDef is a live column's definition inside CREATE TABLE, ADD
// COLUMN or MODIFY COLUMN: name, type, NOT NULL, DEFAULT as the database
// prints it, and, where the dialect alters columns in place, its
// autoincrement clause (PostgreSQL's identity, MySQL's AUTO_INCREMENT).
func SchemaColumnDef(d dialect.Dialect, c *dialect.ColumnSchema) string {
	s := dialect.QuoteIdent(d, c.Name) + " " + c.Type
	if c.NotNull {
		s += " NOT NULL"
	}
	if c.Default != "" {
		s += " DEFAULT " + c.Default
	}
	if c.Identity && d.Has(dialect.AlterColumn) {
		if _, clause := d.AutoIncrement(&meta.Column{Name: c.Name, AutoIncrement: true}); clause != "" {
			s += " " + clause
		}
	}
	for _, x := range c.Checks {
		s += " CHECK (" + x + ")"
	}
	return s
}

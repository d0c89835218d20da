package dialect

import (
	"strings"

	"github.com/arcorm/arc/arcerr"

	"github.com/arcorm/arc/meta"
)

// CheckTable reports, as an error wrapping arcerr.ErrInvalidModel that
// names the model and field, a column of t that d cannot store: an array
// column (a slice field) on a dialect without native arrays (SQLite).
func CheckTable(d Dialect, t *meta.Table) error {
	if d.Has(Arrays) {
		return nil
	}
	for _, c := range t.Columns {
		if c.Kind == meta.KindArray && c.SQLType == "" {
			return &arcerr.ModelError{Model: t.GoType.String(), Field: c.Field,
				Msg: "a slice column is a native array, which " + d.Name() + " does not have; tag it `json` to store it as JSON on every dialect"}
		}
	}
	return nil
}

// CreateTable returns the statements that create t on d: sequences (where
// d has them), the table with its constraints, then its indexes. With
// ifNotExists every statement is guarded, so running them twice is a no-op.
func CreateTable(d Dialect, t *meta.Table, ifNotExists bool) []string {
	var stmts []string
	if d.Has(Sequences) {
		for _, s := range t.Sequences {
			stmts = append(stmts, "CREATE SEQUENCE "+ine(ifNotExists)+QuoteIdent(d, s))
		}
	}
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	b.WriteString(ine(ifNotExists))
	b.WriteString(QuoteIdent(d, t.Name))
	b.WriteString(" (\n")
	first := true
	line := func(s string) {
		if !first {
			b.WriteString(",\n")
		}
		first = false
		b.WriteString("\t")
		b.WriteString(s)
	}
	for _, c := range t.Columns {
		line(ColumnDef(d, c))
	}
	line("CONSTRAINT " + QuoteIdent(d, t.PKName) + " PRIMARY KEY (" + identList(d, meta.ColumnNames(t.PrimaryKey)) + ")")
	for _, u := range t.Uniques {
		line(UniqueDef(d, u))
	}
	for _, fk := range t.ForeignKeys {
		line(ForeignKeyDef(d, fk))
	}
	for _, ck := range t.Checks {
		line("CONSTRAINT " + QuoteIdent(d, ck.Name) + " " + CheckDef(d, ck.Expr))
	}
	b.WriteString("\n)")
	stmts = append(stmts, b.String())
	for _, ix := range t.Indexes {
		stmts = append(stmts, CreateIndex(d, t.Name, ix, ifNotExists))
	}
	return stmts
}

func ine(on bool) string {
	if on {
		return "IF NOT EXISTS "
	}
	return ""
}

func identList(d Dialect, names []string) string {
	var b []byte
	for i, n := range names {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = d.AppendIdent(b, n)
	}
	return string(b)
}

// IdentList quotes and joins names with ", ".
func IdentList(d Dialect, names []string) string { return identList(d, names) }

// DefaultWriter is implemented by a dialect that must rewrite a
// server_default expression for its DDL (SQLite takes a function call
// only in parentheses).
type DefaultWriter interface{ DefaultExpr(expr string) string }

// ColumnDef is one column's definition inside CREATE TABLE or ADD COLUMN.
func ColumnDef(d Dialect, c *meta.Column) string {
	typ := d.ColumnType(c)
	clause := ""
	// A sequence (seq:) feeds the column where the dialect has sequences;
	// elsewhere the column autoincrements as any other (SQLite's rowid,
	// MySQL's AUTO_INCREMENT).
	if c.AutoIncrement && (c.Sequence == "" || !d.Has(Sequences)) {
		if t, cl := d.AutoIncrement(c); t != "" || cl != "" {
			if t != "" {
				typ = t
			}
			clause = cl
		}
	}
	s := QuoteIdent(d, c.Name) + " " + typ
	if c.Generated != "" {
		s += " GENERATED ALWAYS AS (" + c.Generated + ") STORED"
	}
	if !c.Nullable {
		s += " NOT NULL"
	}
	switch {
	case c.Sequence != "" && d.Has(Sequences):
		// nextval takes the sequence name as text that PostgreSQL parses as
		// an identifier, so it is quoted like one, then as a string literal.
		s += " DEFAULT nextval('" + strings.ReplaceAll(QuoteIdent(d, c.Sequence), "'", "''") + "')"
	case c.ServerDefault != "":
		if dw, ok := d.(DefaultWriter); ok {
			s += " DEFAULT " + dw.DefaultExpr(c.ServerDefault)
		} else {
			s += " DEFAULT " + c.ServerDefault
		}
	}
	if clause != "" {
		s += " " + clause
	}
	return s
}

// UniqueDef is a named UNIQUE table constraint.
func UniqueDef(d Dialect, u *meta.Unique) string {
	return "CONSTRAINT " + QuoteIdent(d, u.Name) + " UNIQUE (" + identList(d, meta.ColumnNames(u.Columns)) + ")"
}

// ForeignKeyDef is a named FOREIGN KEY table constraint.
func ForeignKeyDef(d Dialect, fk *meta.ForeignKey) string {
	s := "CONSTRAINT " + QuoteIdent(d, fk.Name) + " FOREIGN KEY (" + identList(d, meta.ColumnNames(fk.Columns)) +
		") REFERENCES " + QuoteIdent(d, fk.RefTable) + " (" + identList(d, fk.RefColumns) + ")"
	if fk.OnDelete != "" {
		s += " ON DELETE " + fk.OnDelete
	}
	if fk.OnUpdate != "" {
		s += " ON UPDATE " + fk.OnUpdate
	}
	return s
}

// CreateIndex is CREATE [UNIQUE] INDEX for ix on table.
func CreateIndex(d Dialect, table string, ix *meta.Index, ifNotExists bool) string {
	if g, ok := d.(IndexGuard); ok && ifNotExists && !g.IndexIfNotExists() {
		ifNotExists = false // the index of a table create_all has just made
	}
	u := ""
	if ix.Unique {
		u = "UNIQUE "
	}
	return "CREATE " + u + "INDEX " + ine(ifNotExists) + QuoteIdent(d, ix.Name) + " ON " + QuoteIdent(d, table) +
		" (" + identList(d, meta.ColumnNames(ix.Columns)) + ")"
}

// DropTable returns the statements that drop t (and its sequences) on d.
func DropTable(d Dialect, t *meta.Table, ifExists bool) []string {
	ie := ""
	if ifExists {
		ie = "IF EXISTS "
	}
	stmts := []string{"DROP TABLE " + ie + QuoteIdent(d, t.Name)}
	if d.Has(Sequences) {
		for _, s := range t.Sequences {
			stmts = append(stmts, "DROP SEQUENCE "+ie+QuoteIdent(d, s))
		}
	}
	return stmts
}

// ConstraintKind is the kind of a table constraint (ddl.DropConstraint,
// ddl.RenameConstraint).
type ConstraintKind uint8

// Constraint kinds.
const (
	PrimaryKeyConstraint ConstraintKind = iota
	UniqueConstraint
	ForeignKeyConstraint
	CheckConstraint
)

// CheckWriter is implemented by a dialect that must rewrite a CHECK
// expression for its DDL: the models write identifiers in them the SQL
// standard's way, in double quotes (an enum's check: "status" IN (...)),
// which MySQL reads as a string unless they become backticks.
type CheckWriter interface{ CheckExpr(expr string) string }

// CheckDef is CHECK (expr) as d writes it.
func CheckDef(d Dialect, expr string) string {
	if cw, ok := d.(CheckWriter); ok {
		expr = cw.CheckExpr(expr)
	}
	return "CHECK (" + expr + ")"
}

// IndexGuard is implemented by a dialect whose server may lack CREATE
// INDEX IF NOT EXISTS (MySQL 8 has none; MariaDB has it): IndexIfNotExists
// reports whether it may be written. Without it, the guard is dropped;
// create_all only creates the indexes of tables it has just created.
type IndexGuard interface{ IndexIfNotExists() bool }

package expr

import (
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/meta"
)

// ValuesTable is a VALUES list selected from as a derived table:
// (VALUES (...), (...)) AS name, on a dialect with dialect.ValuesTable.
// Its columns have the names the dialect's ValuesColumn gives (column1,
// column2, ... in SQLite and PostgreSQL); name them with ValuesColumn.
type ValuesTable struct {
	Rows [][]any // values to bind, or Exprs
	Name string
}

// Table is nil: the rows have no model.
func (v *ValuesTable) Table() *meta.Table { return nil }

// Qualifier is the table's alias.
func (v *ValuesTable) Qualifier(*Compiler) string { return v.Name }

// AppendSQL writes "(VALUES (...), ...) AS name".
func (v *ValuesTable) AppendSQL(c *Compiler) {
	c.Write("(VALUES ")
	for r, row := range v.Rows {
		if r > 0 {
			c.Write(", ")
		}
		c.Byte('(')
		for i, x := range row {
			if i > 0 {
				c.Write(", ")
			}
			c.Operand(x)
		}
		c.Byte(')')
	}
	c.Write(") AS ")
	c.Ident(v.Name)
}

func (v *ValuesTable) columnAt(unsafe.Pointer, reflect.Type) *meta.Column { return nil }

// ValuesColumn names the i-th (0-based) column of a ValuesTable, as the
// dialect calls it.
type ValuesColumn int

// AppendSQL writes the dialect's name of the column.
func (v ValuesColumn) AppendSQL(c *Compiler) { c.Ident(c.D.ValuesColumn(int(v))) }

// CastExpr is CAST(x AS type).
type CastExpr struct {
	X    any // an Expr, or a value to bind
	Type string
}

// Cast returns CAST(x AS typ); typ is written as given (a type name from
// the dialect, never user data).
func Cast(x any, typ string) *CastExpr { return &CastExpr{X: x, Type: typ} }

// AppendSQL writes the cast.
func (k *CastExpr) AppendSQL(c *Compiler) {
	c.Write("CAST(")
	c.Operand(k.X)
	c.Write(" AS ")
	c.Write(k.Type)
	c.Byte(')')
}

// UnnestTable is PostgreSQL's unnest of arrays as a derived table, with
// the row number: unnest(a1, a2, …) WITH ORDINALITY AS name(c1, c2, …,
// ord). The unit of work sends a multi-row INSERT's rows as one array per
// column through it (dialect.ArrayRows); Args are the arrays (usually
// casts of slots), Cols names their columns, and Ord the row number.
type UnnestTable struct {
	Args []any
	Name string
	Cols []string
	Ord  string
}

// Table is nil: the rows have no model.
func (u *UnnestTable) Table() *meta.Table { return nil }

// Qualifier is the table's alias.
func (u *UnnestTable) Qualifier(*Compiler) string { return u.Name }

// AppendSQL writes "unnest(...) WITH ORDINALITY AS name(cols..., ord)".
func (u *UnnestTable) AppendSQL(c *Compiler) {
	c.Write("unnest(")
	for i, x := range u.Args {
		if i > 0 {
			c.Write(", ")
		}
		c.Operand(x)
	}
	c.Write(") WITH ORDINALITY AS ")
	c.Ident(u.Name)
	c.Byte('(')
	for _, n := range u.Cols {
		c.Ident(n)
		c.Write(", ")
	}
	c.Ident(u.Ord)
	c.Byte(')')
}

func (u *UnnestTable) columnAt(unsafe.Pointer, reflect.Type) *meta.Column { return nil }

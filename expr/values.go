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

package expr

import (
	"fmt"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
)

const (
	dialectILike       = dialect.ILike
	dialectTupleValues = dialect.TupleInValues
	dialectTSQuery     = dialect.MatchTSQuery
)

// FuncCall is a SQL function call: name(args...).
type FuncCall struct {
	Name     string
	Args     []any // Exprs, field pointers, or values to bind
	Distinct bool
}

// Func calls any SQL function by name. Arguments may be field pointers
// (&U.Name), expressions, or plain values (bound as parameters).
func Func(name string, args ...any) *FuncCall { return &FuncCall{Name: name, Args: args} }

// AppendSQL writes the call.
func (f *FuncCall) AppendSQL(c *Compiler) {
	if !isIdentPath(f.Name) {
		c.Fail(fmt.Errorf("%w: function name %q: a function is named by a plain or dotted identifier (letters, digits, _)", arcerr.ErrInvalidRequest, f.Name))
		return
	}
	c.Write(f.Name)
	c.Byte('(')
	if f.Distinct {
		c.Write("DISTINCT ")
	}
	for i, a := range f.Args {
		if i > 0 {
			c.Write(", ")
		}
		c.Operand(operandOf(a))
	}
	c.Byte(')')
}

// operandOf turns a field pointer into a column reference and leaves other
// values to be bound.
func operandOf(a any) any {
	switch a.(type) {
	case Expr, nil, string, []byte:
		return a
	}
	e := asExpr(a) // never nil: a bad designator is a badExpr
	if _, bad := e.(badExpr); !bad {
		return e
	}
	return a
}

// CountAll is count(*), written literally (PostgreSQL cannot type count($1)).
func CountAll() Expr { return Raw("count(*)") }

// Count is count(col).
func Count(col any) *FuncCall { return &FuncCall{Name: "count", Args: []any{asExpr(col)}} }

// CountDistinct is count(DISTINCT col).
func CountDistinct(col any) *FuncCall {
	return &FuncCall{Name: "count", Args: []any{asExpr(col)}, Distinct: true}
}

// Labeled is "x AS name".
type Labeled struct {
	X    Expr
	Name string
}

// Label names an expression in a SELECT list.
func Label(x any, name string) *Labeled { return &Labeled{X: asExpr(x), Name: name} }

// AppendSQL writes "x AS name".
func (l *Labeled) AppendSQL(c *Compiler) {
	l.X.AppendSQL(c)
	c.Write(" AS ")
	c.Ident(l.Name)
}

// LabelRef refers to a label by name (in ORDER BY or HAVING).
func LabelRef(name string) Expr { return &Named{Name: name} }

// Ordering is an ORDER BY item.
type Ordering struct {
	X     Expr
	Desc  bool
	Nulls string // "", "FIRST" or "LAST"
}

// Asc orders by x ascending.
func Asc(x any) *Ordering { return &Ordering{X: asExpr(x)} }

// Desc orders by x descending.
func Desc(x any) *Ordering { return &Ordering{X: asExpr(x), Desc: true} }

// NullsFirst returns o with NULLS FIRST.
func (o *Ordering) NullsFirst() *Ordering { p := *o; p.Nulls = "FIRST"; return &p }

// NullsLast returns o with NULLS LAST.
func (o *Ordering) NullsLast() *Ordering { p := *o; p.Nulls = "LAST"; return &p }

// AppendSQL writes the item.
func (o *Ordering) AppendSQL(c *Compiler) {
	if o.Nulls != "" && !c.D.Has(dialect.NullsOrder) {
		// MySQL: order by "x IS NULL" first (false, 0, sorts before true).
		o.X.AppendSQL(c)
		c.Write(" IS NULL")
		if o.Nulls == "FIRST" {
			c.Write(" DESC")
		}
		c.Write(", ")
		o.X.AppendSQL(c)
		if o.Desc {
			c.Write(" DESC")
		}
		return
	}
	o.X.AppendSQL(c)
	if o.Desc {
		c.Write(" DESC")
	}
	if o.Nulls != "" {
		c.Write(" NULLS ")
		c.Write(o.Nulls)
	}
}

const (
	dialectOffsetAlone = dialect.OffsetWithoutLimit
	dialectLimitAll    = dialect.LimitAll
)

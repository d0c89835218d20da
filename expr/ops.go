package expr

import (
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
)

// Binary is "left op right".
type Binary struct {
	L  Expr
	Op string
	R  any // an Expr, or a value to bind
}

// AppendSQL writes the comparison.
func (b *Binary) AppendSQL(c *Compiler) {
	if !binaryOps[b.Op] {
		c.Fail(fmt.Errorf("%w: operator %q is not one of = != <> < <= > >= + - * / %% ||", arcerr.ErrInvalidRequest, b.Op))
		return
	}
	if b.L == nil {
		c.Fail(fmt.Errorf("%w: nil left operand of %s", arcerr.ErrInvalidRequest, b.Op))
		return
	}
	b.L.AppendSQL(c)
	c.Byte(' ')
	c.Write(b.Op)
	c.Byte(' ')
	c.Operand(b.R)
}

// isNil reports whether v is nil or a nil pointer, map, slice or
// interface, or a database/sql Null type that is not Valid (sql.Null[V],
// sql.NullInt64, ...): Eq(&T.Score, sql.Null[int64]{}) is IS NULL as
// Eq(&A.UserID, nil) is, not "= NULL", which matches no row.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Interface:
		return rv.IsNil()
	case reflect.Struct:
		if rv.Type().PkgPath() == "database/sql" {
			if f := rv.FieldByName("Valid"); f.IsValid() && f.Kind() == reflect.Bool {
				return !f.Bool()
			}
		}
	}
	return false
}

// Op builds "col op value"; a nil value with = or != becomes IS [NOT] NULL.
func Op(col any, op string, v any) Expr {
	l := asExpr(col)
	if isNil(v) {
		switch op {
		case "=":
			return &NullTest{X: l}
		case "!=", "<>":
			return &NullTest{X: l, Not: true}
		}
	}
	return &Binary{L: l, Op: op, R: v}
}

// NullTest is "x IS [NOT] NULL".
type NullTest struct {
	X   Expr
	Not bool
}

// AppendSQL writes the test.
func (n *NullTest) AppendSQL(c *Compiler) {
	n.X.AppendSQL(c)
	if n.Not {
		c.Write(" IS NOT NULL")
	} else {
		c.Write(" IS NULL")
	}
}

// Bool is AND or OR over a list; it parenthesises nested lists.
type Bool struct {
	Op    string // "AND" or "OR"
	Items []Expr
}

// AppendSQL writes the list. An empty AND is true, an empty OR false.
func (b *Bool) AppendSQL(c *Compiler) {
	if len(b.Items) == 0 {
		if b.Op == "AND" {
			c.Write("1 = 1")
		} else {
			c.Write("1 != 1")
		}
		return
	}
	for i, it := range b.Items {
		if i > 0 {
			c.Byte(' ')
			c.Write(b.Op)
			c.Byte(' ')
		}
		if inner, ok := it.(*Bool); ok && inner.Op != b.Op && len(inner.Items) > 1 {
			c.Byte('(')
			it.AppendSQL(c)
			c.Byte(')')
			continue
		}
		if _, ok := it.(*TextExpr); ok && len(b.Items) > 1 {
			// Text may hold its own AND/OR: keep its precedence.
			c.Byte('(')
			it.AppendSQL(c)
			c.Byte(')')
			continue
		}
		it.AppendSQL(c)
	}
}

// And joins predicates with AND. A nil predicate makes the statement
// fail to compile with ErrInvalidRequest.
func And(preds ...Expr) Expr {
	preds = checkPreds("And", preds)
	if len(preds) == 1 {
		return preds[0]
	}
	return &Bool{Op: "AND", Items: preds}
}

// Or joins predicates with OR. A nil predicate makes the statement fail
// to compile with ErrInvalidRequest.
func Or(preds ...Expr) Expr {
	preds = checkPreds("Or", preds)
	if len(preds) == 1 {
		return preds[0]
	}
	return &Bool{Op: "OR", Items: preds}
}

// NotExpr is "NOT (x)".
type NotExpr struct{ X Expr }

// AppendSQL writes the negation.
func (n *NotExpr) AppendSQL(c *Compiler) {
	c.Write("NOT (")
	n.X.AppendSQL(c)
	c.Byte(')')
}

// Not negates a predicate. NOT of IN, LIKE, EXISTS and NULL tests flips
// the operator instead of wrapping it.
func Not(p Expr) Expr {
	switch x := p.(type) {
	case nil:
		return nilPred("Not")
	case *InExpr:
		y := *x
		y.Not = !y.Not
		return &y
	case *NullTest:
		return &NullTest{X: x.X, Not: !x.Not}
	case *LikeExpr:
		y := *x
		y.Not = !y.Not
		return &y
	case *ExistsExpr:
		y := *x
		y.Not = !y.Not
		return &y
	case *NotExpr:
		return x.X
	}
	return &NotExpr{X: p}
}

// LikeExpr is "x [NOT] LIKE pattern" or its case-insensitive form.
type LikeExpr struct {
	X       Expr
	Pattern any
	Not     bool
	CI      bool // ILIKE
	// Escape, when not 0, renders "ESCAPE 'c'": the character that makes
	// the next %, _ or itself literal, on every dialect. Without it the
	// dialect's default applies (PostgreSQL: backslash; SQLite: none).
	Escape rune
}

// AppendSQL writes LIKE, or ILIKE natively where the dialect has it and
// lower(x) LIKE lower(p) elsewhere.
func (l *LikeExpr) AppendSQL(c *Compiler) {
	not := ""
	if l.Not {
		not = "NOT "
	}
	if l.CI && !c.D.Has(dialectILike) {
		c.Write("lower(")
		l.X.AppendSQL(c)
		c.Write(") " + not + "LIKE lower(")
		c.Operand(l.Pattern)
		c.Byte(')')
		l.appendEscape(c)
		return
	}
	l.X.AppendSQL(c)
	c.Byte(' ')
	c.Write(not)
	if l.CI {
		c.Write("ILIKE ")
	} else {
		c.Write("LIKE ")
	}
	c.Operand(l.Pattern)
	l.appendEscape(c)
}

// appendEscape writes " ESCAPE 'c'". The character is a constant chosen by
// the program, checked here: one character, not a quote.
func (l *LikeExpr) appendEscape(c *Compiler) {
	if l.Escape == 0 {
		return
	}
	if err := checkEscape(l.Escape); err != nil {
		c.Fail(err)
		return
	}
	c.Write(" ESCAPE '")
	c.Buf = utf8.AppendRune(c.Buf, l.Escape)
	c.Byte('\'')
}

// InExpr is "x [NOT] IN (...)" over values or a subquery.
type InExpr struct {
	X      Expr
	Values []any
	Sub    *Select
	Not    bool
}

// AppendSQL writes the test; an empty list renders a constant false (true
// for NOT IN), never "IN ()".
func (in *InExpr) AppendSQL(c *Compiler) {
	if in.Sub == nil && len(in.Values) == 0 {
		if in.Not {
			c.Write("1 = 1")
		} else {
			c.Write("1 != 1")
		}
		return
	}
	if in.Not {
		c.Byte('(')
	}
	in.X.AppendSQL(c)
	if in.Not {
		c.Write(" NOT IN (")
	} else {
		c.Write(" IN (")
	}
	if in.Sub != nil && (in.Sub.Limit != nil || in.Sub.Offset != nil) && !c.D.Has(dialect.LimitInSubquery) {
		// MySQL refuses LIMIT in an IN subquery ("This version of MariaDB
		// doesn't yet support 'LIMIT & IN/ALL/ANY/SOME subquery'") but
		// takes it in a derived table.
		c.Write("SELECT * FROM (")
		in.Sub.AppendSQL(c)
		c.Write(") AS arc_in")
	} else if in.Sub != nil {
		in.Sub.AppendSQL(c)
	} else {
		for i, v := range in.Values {
			if i > 0 {
				c.Write(", ")
			}
			c.Operand(v)
		}
	}
	c.Byte(')')
	if in.Not {
		c.Byte(')')
	}
}

// TupleIn is "(a, b) IN (...)".
type TupleIn struct {
	Cols []Expr
	Rows [][]any
	Not  bool
}

// AppendSQL writes the tuple test in the dialect's form.
func (t *TupleIn) AppendSQL(c *Compiler) {
	if len(t.Rows) == 0 {
		if t.Not {
			c.Write("1 = 1")
		} else {
			c.Write("1 != 1")
		}
		return
	}
	c.Byte('(')
	for i, col := range t.Cols {
		if i > 0 {
			c.Write(", ")
		}
		col.AppendSQL(c)
	}
	if t.Not {
		c.Write(") NOT IN (")
	} else {
		c.Write(") IN (")
	}
	if c.D.Has(dialectTupleValues) {
		c.Write("VALUES ")
	}
	for i, row := range t.Rows {
		if i > 0 {
			c.Write(", ")
		}
		c.Byte('(')
		for j, v := range row {
			if j > 0 {
				c.Write(", ")
			}
			c.Operand(v)
		}
		c.Byte(')')
	}
	c.Byte(')')
}

// Match is full-text MATCH: PostgreSQL "x @@ to_tsquery(q)", SQLite
// "x MATCH q" (FTS tables only).
type Match struct {
	X Expr
	Q any
}

// AppendSQL writes the dialect's form.
func (m *Match) AppendSQL(c *Compiler) {
	m.X.AppendSQL(c)
	if c.D.Has(dialectTSQuery) {
		c.Write(" @@ to_tsquery(")
		c.Operand(m.Q)
		c.Byte(')')
		return
	}
	c.Write(" MATCH ")
	c.Operand(m.Q)
}

// Between is "x BETWEEN a AND b".
type Between struct {
	X    Expr
	A, B any
}

// AppendSQL writes the range test.
func (b *Between) AppendSQL(c *Compiler) {
	b.X.AppendSQL(c)
	c.Write(" BETWEEN ")
	c.Operand(b.A)
	c.Write(" AND ")
	c.Operand(b.B)
}

// Paren wraps an expression in parentheses (arithmetic precedence).
type Paren struct{ X Expr }

// AppendSQL writes (x).
func (p *Paren) AppendSQL(c *Compiler) {
	c.Byte('(')
	p.X.AppendSQL(c)
	c.Byte(')')
}

// Arith is "(l op r)" for + - * / %. Either side may be a field pointer
// (a column), an Expr, or, on the right, a value to bind.
func Arith(l any, op string, r any) Expr {
	return &Paren{&Binary{L: asExpr(l), Op: op, R: operandOf(r)}}
}

// Value binds v as a parameter wherever an expression is expected.
type Value struct{ V any }

// AppendSQL binds the value.
func (v Value) AppendSQL(c *Compiler) { c.Bind(v.V) }

// Raw is SQL text with no parameters, written as is. Never build it from
// user input.
type Raw string

// AppendSQL writes the text.
func (r Raw) AppendSQL(c *Compiler) { c.Write(string(r)) }

// Slot is a bind placeholder whose value the caller supplies when the
// statement runs: the session renders its statements once per table and
// dialect, with slots, and keeps the text. Compile returns a Slot{} as
// the argument of each, for the caller to replace.
type Slot struct{}

// AppendSQL writes the placeholder.
func (Slot) AppendSQL(c *Compiler) { c.Bind(Slot{}) }

// Slots returns n slots, as the values of an IN list or a VALUES row.
func Slots(n int) []any {
	s := make([]any, n)
	for i := range s {
		s[i] = Slot{}
	}
	return s
}

package expr

import (
	"reflect"
	"unsafe"
)

// Typed predicates: the value's type must match the field's, checked by the
// Go compiler. For a nullable field (*V), pass a *V or nil (nil renders IS
// NULL); EqV and friends in the untyped builder take plain values.

// Eq is col = v (col IS NULL when v is nil).
func Eq[V any](col *V, v V) Expr { return fieldOp(col, "=", v) }

// Ne is col != v (col IS NOT NULL when v is nil).
func Ne[V any](col *V, v V) Expr { return fieldOp(col, "!=", v) }

// Lt is col < v.
func Lt[V any](col *V, v V) Expr { return fieldOp(col, "<", v) }

// Le is col <= v.
func Le[V any](col *V, v V) Expr { return fieldOp(col, "<=", v) }

// Gt is col > v.
func Gt[V any](col *V, v V) Expr { return fieldOp(col, ">", v) }

// Ge is col >= v.
func Ge[V any](col *V, v V) Expr { return fieldOp(col, ">=", v) }

// In is col IN (vs...); an empty list is false.
func In[V any](col *V, vs ...V) Expr {
	vals := make([]any, len(vs))
	for i, v := range vs {
		vals[i] = v
	}
	return &InExpr{X: Field(col), Values: vals}
}

// NotIn is col NOT IN (vs...); an empty list is true.
func NotIn[V any](col *V, vs ...V) Expr {
	vals := make([]any, len(vs))
	for i, v := range vs {
		vals[i] = v
	}
	return &InExpr{X: Field(col), Values: vals, Not: true}
}

// InQuery is col IN (SELECT ...).
func InQuery[V any](col *V, sub *Select) Expr { return &InExpr{X: Field(col), Sub: sub} }

// IsNull is col IS NULL.
func IsNull[V any](col *V) Expr { return &NullTest{X: Field(col)} }

// IsNotNull is col IS NOT NULL.
func IsNotNull[V any](col *V) Expr { return &NullTest{X: Field(col), Not: true} }

// Like is col LIKE pattern (case-sensitive on PostgreSQL; SQLite's LIKE
// ignores ASCII case).
func Like[S ~string](col *S, pattern string) Expr { return &LikeExpr{X: Field(col), Pattern: pattern} }

// NotLike is col NOT LIKE pattern.
func NotLike[S ~string](col *S, pattern string) Expr {
	return &LikeExpr{X: Field(col), Pattern: pattern, Not: true}
}

// ILike is a case-insensitive LIKE.
func ILike[S ~string](col *S, pattern string) Expr {
	return &LikeExpr{X: Field(col), Pattern: pattern, CI: true}
}

// MatchText is full-text match (PostgreSQL to_tsquery; SQLite FTS MATCH).
func MatchText[S ~string](col *S, query string) Expr { return &Match{X: Field(col), Q: query} }

// BetweenV is col BETWEEN a AND b.
func BetweenV[V any](col *V, a, b V) Expr { return &Between{X: Field(col), A: a, B: b} }

// On is l = r between two columns (a join condition). The field types
// must match up to nullability (*int64 and int64 do), which Go's type
// checker cannot express, so On takes any and the compiler checks: two
// columns of different kinds (a string and an integer) are an
// ErrInvalidRequest naming both.
func On(l, r any) Expr { return &onExpr{Binary{L: asExpr(l), Op: "=", R: asExpr(r)}} }

// Untyped column builder, for expressions, nullable fields compared with
// plain values, and column-to-column comparisons.

// ColExpr wraps a column or expression with comparison methods.
type ColExpr struct{ X Expr }

// Col starts an untyped expression from a field pointer, a column name or an Expr.
func Col(x any) ColExpr { return ColExpr{asExpr(x)} }

// AppendSQL writes the wrapped expression.
func (e ColExpr) AppendSQL(c *Compiler) { e.X.AppendSQL(c) }

func operand(v any) any {
	if ce, ok := v.(ColExpr); ok {
		return ce.X
	}
	return operandOf(v)
}

// Eq compares with a value, another column (field pointer) or expression; nil is IS NULL.
func (e ColExpr) Eq(v any) Expr { return Op(e.X, "=", operand(v)) }

// Ne is != (IS NOT NULL for nil).
func (e ColExpr) Ne(v any) Expr { return Op(e.X, "!=", operand(v)) }

// Lt is <.
func (e ColExpr) Lt(v any) Expr { return Op(e.X, "<", operand(v)) }

// Le is <=.
func (e ColExpr) Le(v any) Expr { return Op(e.X, "<=", operand(v)) }

// Gt is >.
func (e ColExpr) Gt(v any) Expr { return Op(e.X, ">", operand(v)) }

// Ge is >=.
func (e ColExpr) Ge(v any) Expr { return Op(e.X, ">=", operand(v)) }

// In is IN over values.
func (e ColExpr) In(vs ...any) Expr { return &InExpr{X: e.X, Values: vs} }

// NotIn is NOT IN over values.
func (e ColExpr) NotIn(vs ...any) Expr { return &InExpr{X: e.X, Values: vs, Not: true} }

// InQuery is IN (subquery).
func (e ColExpr) InQuery(s *Select) Expr { return &InExpr{X: e.X, Sub: s} }

// IsNull is IS NULL.
func (e ColExpr) IsNull() Expr { return &NullTest{X: e.X} }

// IsNotNull is IS NOT NULL.
func (e ColExpr) IsNotNull() Expr { return &NullTest{X: e.X, Not: true} }

// Like is LIKE.
func (e ColExpr) Like(p string) Expr { return &LikeExpr{X: e.X, Pattern: p} }

// ILike is case-insensitive LIKE.
func (e ColExpr) ILike(p string) Expr { return &LikeExpr{X: e.X, Pattern: p, CI: true} }

// Match is full-text MATCH.
func (e ColExpr) Match(q string) Expr { return &Match{X: e.X, Q: q} }

// Between is BETWEEN a AND b.
func (e ColExpr) Between(a, b any) Expr { return &Between{X: e.X, A: operand(a), B: operand(b)} }

// Add is (x + v).
func (e ColExpr) Add(v any) ColExpr { return ColExpr{Arith(e.X, "+", operand(v))} }

// Sub is (x - v).
func (e ColExpr) Sub(v any) ColExpr { return ColExpr{Arith(e.X, "-", operand(v))} }

// Mul is (x * v).
func (e ColExpr) Mul(v any) ColExpr { return ColExpr{Arith(e.X, "*", operand(v))} }

// Div is (x / v).
func (e ColExpr) Div(v any) ColExpr { return ColExpr{Arith(e.X, "/", operand(v))} }

// Label names the expression in a SELECT list.
func (e ColExpr) Label(name string) *Labeled { return &Labeled{X: e.X, Name: name} }

// Asc orders ascending.
func (e ColExpr) Asc() *Ordering { return &Ordering{X: e.X} }

// Desc orders descending.
func (e ColExpr) Desc() *Ordering { return &Ordering{X: e.X, Desc: true} }

// fieldBinary is a comparison of a field with a value and the field's
// reference, allocated together.
type fieldBinary struct {
	b Binary
	f FieldRef
}

// fieldOp is Op(Field(col), op, v) in one allocation (and the value's box).
func fieldOp[V any](col *V, op string, v V) Expr {
	var a any = v
	if isNil(a) {
		return Op(Field(col), op, a)
	}
	x := &fieldBinary{f: FieldRef{P: unsafe.Pointer(col), Typ: reflect.TypeFor[V]()}}
	x.b = Binary{L: &x.f, Op: op, R: a}
	return &x.b
}

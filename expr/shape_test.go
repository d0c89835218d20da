package expr_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/arcorm/arc/expr"
)

// Equal shapes are the same structure over other values; anything that
// changes the SQL changes the key; kinds without a description report false.
func TestShape(t *testing.T) {
	U := expr.Cols[User]()
	key := func(e expr.Expr) (string, []any, bool) {
		var s expr.Shape
		ok := s.Add(e)
		return string(s.Key), s.Args, ok
	}
	same := []struct {
		name string
		a, b expr.Expr
		args []any // of b
	}{
		{"eq", expr.Eq(&U.Name, "a"), expr.Eq(&U.Name, "b"), []any{"b"}},
		{"and", expr.And(expr.Gt(&U.ID, int64(1)), expr.Like(&U.Name, "x%")), expr.And(expr.Gt(&U.ID, int64(7)), expr.Like(&U.Name, "y%")), []any{int64(7), "y%"}},
		{"in", expr.In(&U.ID, int64(1), int64(2)), expr.In(&U.ID, int64(3), int64(4)), []any{int64(3), int64(4)}},
		{"func", expr.Col(expr.Func("lower", &U.Name)).Eq("a"), expr.Col(expr.Func("lower", &U.Name)).Eq("b"), []any{"b"}},
		{"between", expr.BetweenV(&U.ID, int64(1), int64(2)), expr.BetweenV(&U.ID, int64(5), int64(6)), []any{int64(5), int64(6)}},
	}
	for _, tc := range same {
		ka, _, oka := key(tc.a)
		kb, args, okb := key(tc.b)
		assert.True(t, oka && okb, tc.name)
		assert.Equal(t, ka, kb, tc.name)
		assert.Equal(t, tc.args, args, tc.name)
	}
	differ := []struct {
		name string
		a, b expr.Expr
	}{
		{"column", expr.Eq(&U.Name, "a"), expr.Eq(&U.Fullname, "a")},
		{"op", expr.Eq(&U.Name, "a"), expr.Ne(&U.Name, "a")},
		{"null", expr.Op(&U.Name, "=", "a"), expr.Op(&U.Name, "=", nil)},
		{"in length", expr.In(&U.ID, int64(1)), expr.In(&U.ID, int64(1), int64(2))},
		{"and/or", expr.And(expr.Eq(&U.Name, "a"), expr.Eq(&U.Fullname, "b")), expr.Or(expr.Eq(&U.Name, "a"), expr.Eq(&U.Fullname, "b"))},
		{"raw", expr.Raw("1 = 1"), expr.Raw("1 = 2")},
		{"desc", expr.Asc(&U.ID), expr.Desc(&U.ID)},
		{"value or column", expr.Op(&U.Name, "=", "a"), expr.Op(&U.Name, "=", expr.Field(&U.Fullname))},
	}
	for _, tc := range differ {
		ka, _, _ := key(tc.a)
		kb, _, _ := key(tc.b)
		assert.NotEqual(t, ka, kb, tc.name)
	}
	_, _, ok := key(expr.Text("name = :n"))
	assert.False(t, ok, "text has no shape")
	_, _, ok = key(expr.InQuery(&U.ID, expr.NewSelect(&U.ID)))
	assert.False(t, ok, "a subquery has no shape")
}

func TestSameArgs(t *testing.T) {
	now := time.Now()
	s := "x"
	big := int64(1 << 40)
	for _, tc := range []struct {
		name string
		a, b []any
		want bool
	}{
		{"empty", nil, []any{}, true},
		{"length", []any{1}, []any{1, 2}, false},
		{"ints boxed apart", []any{big}, []any{int64(1 << 40)}, true},
		{"int kinds differ", []any{int64(1)}, []any{int32(1)}, false},
		{"strings", []any{"a" + s}, []any{"ax"}, true},
		{"different", []any{"a"}, []any{"b"}, false},
		{"same pointer", []any{&s}, []any{&s}, true},
		{"time, same box", []any{any(now)}, nil, false},
		{"nil", []any{nil}, []any{nil}, true},
		{"slices not compared by value", []any{[]byte("a")}, []any{[]byte("a")}, false},
	} {
		assert.Equal(t, tc.want, expr.SameArgs(tc.a, tc.b), tc.name)
	}
	box := any(now)
	assert.True(t, expr.SameArgs([]any{box}, []any{box}), "one interface value")
}

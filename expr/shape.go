package expr

import (
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/internal/layout"
)

// Shape describes an expression's SQL without its bound values: two
// expressions with equal shape keys render the same SQL on a dialect and
// bind their values in the same order. The session uses it to reuse the
// SQL of a query built anew on every call (written inline) instead of
// rendering it again.
//
// Only the common expression kinds have a shape (columns, comparisons,
// AND/OR/NOT, IN lists, LIKE, BETWEEN, functions, orderings, raw text);
// Add reports false for anything else, and such queries are rendered.
type Shape struct {
	Key  []byte
	Args []any
}

// Reset empties s for reuse, keeping its buffers.
func (s *Shape) Reset() {
	s.Key = s.Key[:0]
	clear(s.Args)
	s.Args = s.Args[:0]
}

// Tag appends a byte to the key.
func (s *Shape) Tag(b byte) { s.Key = append(s.Key, b) }

// Str appends a length-prefixed string to the key.
func (s *Shape) Str(v string) {
	s.Int(len(v))
	s.Key = append(s.Key, v...)
}

// Int appends a non-negative integer to the key.
func (s *Shape) Int(n int) {
	for n >= 0x80 {
		s.Key = append(s.Key, byte(n)|0x80)
		n >>= 7
	}
	s.Key = append(s.Key, byte(n))
}

// Bind records a bound value, as Compiler.Bind does.
func (s *Shape) Bind(v any) {
	s.Key = append(s.Key, '?')
	s.Args = append(s.Args, v)
}

func (s *Shape) ptr(p unsafe.Pointer) {
	u := uint64(uintptr(p))
	s.Key = append(s.Key, byte(u), byte(u>>8), byte(u>>16), byte(u>>24), byte(u>>32), byte(u>>40), byte(u>>48), byte(u>>56))
}

func (s *Shape) flag(b bool) {
	if b {
		s.Key = append(s.Key, 1)
	} else {
		s.Key = append(s.Key, 0)
	}
}

// typePtr is the identity of a reflect.Type (its *rtype), without boxing.
func typePtr(t reflect.Type) unsafe.Pointer { return layout.TypeID(t) }

// operand mirrors Compiler.Operand: an Expr has a shape, anything else binds.
func (s *Shape) operand(v any) bool {
	if x, ok := v.(Expr); ok {
		return s.Add(x)
	}
	s.Bind(v)
	return true
}

// Add appends e's shape to the key and its bound values to Args, in the
// order Compiler binds them; it reports false when e (or a part of it) has
// no shape description.
//
// A field reference is keyed by its address, so a key is only meaningful
// when the field pointers it holds resolved, at rendering, against
// long-lived probes (a model's own table); the session only stores
// shapes of queries over a model's table whose SQL rendered without error.
func (s *Shape) Add(e Expr) bool {
	switch x := e.(type) {
	case *FieldRef:
		s.Tag('F')
		s.ptr(x.P)
		s.ptr(typePtr(x.Typ))
	case *ColRef:
		tr, ok := x.From.(*TableRef)
		if !ok || x.Col == nil {
			return false
		}
		s.Tag('C')
		s.Str(tr.T.Name)
		s.Str(x.Col.Name)
	case *Named:
		s.Tag('N')
		s.Str(x.Qual)
		s.Str(x.Name)
	case *Binary:
		s.Tag('B')
		s.Str(x.Op)
		return s.Add(x.L) && s.operand(x.R)
	case *NullTest:
		s.Tag('U')
		s.flag(x.Not)
		return s.Add(x.X)
	case *Bool:
		s.Tag('O')
		s.Str(x.Op)
		s.Int(len(x.Items))
		for _, it := range x.Items {
			if !s.Add(it) {
				return false
			}
		}
	case *NotExpr:
		s.Tag('!')
		return s.Add(x.X)
	case *LikeExpr:
		s.Tag('K')
		s.flag(x.Not)
		s.flag(x.CI)
		s.Int(int(x.Escape))
		return s.Add(x.X) && s.operand(x.Pattern)
	case *InExpr:
		if x.Sub != nil {
			return false
		}
		s.Tag('I')
		s.flag(x.Not)
		s.Int(len(x.Values))
		if len(x.Values) == 0 {
			return true // a constant: X is not rendered
		}
		if !s.Add(x.X) {
			return false
		}
		for _, v := range x.Values {
			if !s.operand(v) {
				return false
			}
		}
	case *TupleIn:
		s.Tag('T')
		s.flag(x.Not)
		s.Int(len(x.Cols))
		s.Int(len(x.Rows))
		if len(x.Rows) == 0 {
			return true
		}
		for _, c := range x.Cols {
			if !s.Add(c) {
				return false
			}
		}
		for _, row := range x.Rows {
			s.Int(len(row))
			for _, v := range row {
				if !s.operand(v) {
					return false
				}
			}
		}
	case *Match:
		s.Tag('M')
		return s.Add(x.X) && s.operand(x.Q)
	case *Between:
		s.Tag('W')
		return s.Add(x.X) && s.operand(x.A) && s.operand(x.B)
	case *Paren:
		s.Tag('(')
		return s.Add(x.X)
	case ColExpr:
		return s.Add(x.X) // renders as its expression
	case Value:
		s.Tag('V')
		s.Bind(x.V)
	case Raw:
		s.Tag('R')
		s.Str(string(x))
	case *Ordering:
		s.Tag('S')
		s.flag(x.Desc)
		s.Str(x.Nulls)
		return s.Add(x.X)
	case *Labeled:
		s.Tag('L')
		s.Str(x.Name)
		return s.Add(x.X)
	case *FuncCall:
		s.Tag('f')
		s.Str(x.Name)
		s.flag(x.Distinct)
		s.Int(len(x.Args))
		for _, a := range x.Args {
			if !s.operand(operandOf(a)) {
				return false
			}
		}
	default:
		return false
	}
	return true
}

// SameArgs reports whether two argument lists hold the same values: the
// same interface words, or equal values of one basic kind. The session
// checks a shape's arguments against the rendered ones once, before it
// trusts the shape.
func SameArgs(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameArg(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameArg(a, b any) bool {
	ta, da := layout.Words(a)
	tb, db := layout.Words(b)
	if ta != tb {
		return false
	}
	if da == db {
		return true
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	switch va.Kind() {
	case reflect.Bool:
		return va.Bool() == vb.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return va.Int() == vb.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return va.Uint() == vb.Uint()
	case reflect.Float32, reflect.Float64:
		return va.Float() == vb.Float()
	case reflect.String:
		return va.String() == vb.String()
	}
	return false
}

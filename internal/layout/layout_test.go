package layout

import (
	"bytes"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"pgregory.net/rapid"
)

type inner struct {
	A int16
	B *string
}

// acc is a field type of the randomized test: a generator of its values
// and the typed accessors of this package, instantiated for it.
type acc struct {
	t   reflect.Type
	gen func(t *rapid.T, label string) reflect.Value
	get func(p unsafe.Pointer, off uintptr) reflect.Value // Get[T]
	set func(p unsafe.Pointer, off uintptr, v reflect.Value)
	ptr func(p unsafe.Pointer, off uintptr) unsafe.Pointer // Ptr[T]
}

func accOf[T any](gen func(t *rapid.T, label string) T) acc {
	return acc{
		t:   reflect.TypeFor[T](),
		gen: func(t *rapid.T, label string) reflect.Value { return reflect.ValueOf(gen(t, label)) },
		get: func(p unsafe.Pointer, off uintptr) reflect.Value { return reflect.ValueOf(Get[T](p, off)) },
		set: func(p unsafe.Pointer, off uintptr, v reflect.Value) { Set(p, off, v.Interface().(T)) },
		ptr: func(p unsafe.Pointer, off uintptr) unsafe.Pointer { return unsafe.Pointer(Ptr[T](p, off)) },
	}
}

func intGen[T int8 | int16 | int32 | int64 | int | uint8 | uint16 | uint32 | uint64 | uint | uintptr](t *rapid.T, label string) T {
	return T(rapid.Int64().Draw(t, label))
}

func genString(t *rapid.T, label string) string { return rapid.String().Draw(t, label) }

func genTime(t *rapid.T, label string) time.Time {
	return time.Unix(rapid.Int64Range(-1e10, 1e10).Draw(t, label), rapid.Int64Range(0, 1e9-1).Draw(t, label+".ns")).
		In(rapid.SampledFrom([]*time.Location{time.UTC, time.FixedZone("X", 3600)}).Draw(t, label+".zone"))
}

var accs = []acc{
	accOf(intGen[int8]), accOf(intGen[int16]), accOf(intGen[int32]), accOf(intGen[int64]), accOf(intGen[int]),
	accOf(intGen[uint8]), accOf(intGen[uint16]), accOf(intGen[uint32]), accOf(intGen[uint64]), accOf(intGen[uint]), accOf(intGen[uintptr]),
	accOf(func(t *rapid.T, l string) float32 { return float32(rapid.Float64().Draw(t, l)) }),
	accOf(func(t *rapid.T, l string) float64 {
		return rapid.OneOf(rapid.Float64(), rapid.SampledFrom([]float64{math.NaN(), math.Copysign(0, -1)})).Draw(t, l)
	}),
	accOf(func(t *rapid.T, l string) bool { return rapid.Bool().Draw(t, l) }),
	accOf(genString),
	accOf(func(t *rapid.T, l string) []byte { return rapid.SliceOfN(rapid.Byte(), 0, 4).Draw(t, l) }),
	accOf(genTime),
	accOf(func(t *rapid.T, l string) *int64 { v := rapid.Int64().Draw(t, l); return &v }),
	accOf(func(t *rapid.T, l string) *time.Time { v := genTime(t, l); return &v }),
	accOf(func(t *rapid.T, l string) unsafe.Pointer { v := new(int32); return unsafe.Pointer(v) }),
	accOf(func(t *rapid.T, l string) sql.NullString {
		return sql.NullString{String: genString(t, l), Valid: rapid.Bool().Draw(t, l+".valid")}
	}),
	accOf(func(t *rapid.T, l string) sql.NullTime {
		return sql.NullTime{Time: genTime(t, l), Valid: rapid.Bool().Draw(t, l+".valid")}
	}),
	accOf(func(t *rapid.T, l string) inner { s := genString(t, l); return inner{A: intGen[int16](t, l), B: &s} }),
	accOf(func(t *rapid.T, l string) [3]uint16 { return [3]uint16{intGen[uint16](t, l)} }),
	accOf(func(t *rapid.T, l string) any { return genString(t, l) }),
	accOf(func(t *rapid.T, l string) map[string]int { return map[string]int{genString(t, l): 1} }),
}

// same reports whether two values are the same, floats by their bits.
func same(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.Map, reflect.Pointer, reflect.UnsafePointer:
		return a.Pointer() == b.Pointer()
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// TestLayoutRapid builds random struct types and checks every accessor
// of the package against reflect's field access: the addresses At and
// Ptr return are the field's, Get reads and Value sees what reflect
// reads, Set and Copy write what reflect then reads and no byte outside
// the field, Index is the address of a slice element, OffsetOf inverts
// At.
func TestLayoutRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 10).Draw(t, "n")
		var sfs []reflect.StructField
		var fa []acc
		for i := range n {
			a := accs[rapid.IntRange(0, len(accs)-1).Draw(t, "kind")]
			fa = append(fa, a)
			sfs = append(sfs, reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: a.t})
		}
		typ := reflect.StructOf(sfs)
		objs := reflect.MakeSlice(reflect.SliceOf(typ), 3, 3)
		for k := range 3 {
			for i := range n {
				objs.Index(k).Field(i).Set(fa[i].gen(t, "init"))
			}
		}
		k := rapid.IntRange(0, 2).Draw(t, "elem")
		base := objs.UnsafePointer()
		p := Index(base, k, typ.Size())
		obj := objs.Index(k)
		if p != obj.Addr().UnsafePointer() {
			t.Fatalf("Index(%d) = %p, want %p", k, p, obj.Addr().UnsafePointer())
		}
		if As[byte](p) != (*byte)(obj.Addr().UnsafePointer()) {
			t.Fatal("As")
		}
		raw := func() []byte { return bytes.Clone(unsafe.Slice((*byte)(p), typ.Size())) }
		for range rapid.IntRange(1, 20).Draw(t, "steps") {
			i := rapid.IntRange(0, n-1).Draw(t, "field")
			sf, a, fv := typ.Field(i), fa[i], obj.Field(i)
			addr := fv.Addr().UnsafePointer()
			if At(p, sf.Offset) != addr || a.ptr(p, sf.Offset) != addr {
				t.Fatalf("field %d (%v): At/Ptr give another address than reflect", i, sf.Type)
			}
			if Container[byte](addr, sf.Offset) != (*byte)(p) {
				t.Fatalf("Container(field %d) is not the struct", i)
			}
			if off, ok := OffsetOf(p, typ, addr, sf.Type.Size()); !ok || off != sf.Offset {
				t.Fatalf("OffsetOf(field %d) = %d, %v; want %d", i, off, ok, sf.Offset)
			}
			if !same(a.get(p, sf.Offset), fv) || !same(Value(p, sf.Offset, sf.Type), fv) {
				t.Fatalf("field %d (%v): Get/Value read another value than reflect", i, sf.Type)
			}
			if !Value(p, sf.Offset, sf.Type).CanSet() {
				t.Fatalf("Value(field %d) is not settable", i)
			}
			before := raw()
			lo, hi := sf.Offset, sf.Offset+sf.Type.Size()
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				v := a.gen(t, "set")
				a.set(p, sf.Offset, v)
				if !same(fv, v) {
					t.Fatalf("Set(field %d (%v)): reflect reads %v, want %v", i, sf.Type, fv, v)
				}
			case 1:
				v := a.gen(t, "value")
				Value(p, sf.Offset, sf.Type).Set(v)
				if !same(fv, v) {
					t.Fatalf("Value(field %d).Set: reflect reads %v", i, fv)
				}
			case 2:
				src := objs.Index((k + 1) % 3)
				Copy(p, src.Addr().UnsafePointer(), sf.Offset, sf.Type)
				if !same(fv, src.Field(i)) {
					t.Fatalf("Copy(field %d): reflect reads %v, want %v", i, fv, src.Field(i))
				}
			}
			after := raw()
			if !bytes.Equal(before[:lo], after[:lo]) || !bytes.Equal(before[hi:], after[hi:]) {
				t.Fatalf("writing field %d (%v, bytes %d-%d) changed other bytes", i, sf.Type, lo, hi)
			}
		}
		// Addresses outside the struct are not inside it.
		if k < 2 {
			if _, ok := OffsetOf(p, typ, Index(base, k+1, typ.Size()), 1); ok {
				t.Fatal("OffsetOf(the next element) is inside")
			}
		}
		if _, ok := OffsetOf(p, typ, unsafe.Pointer(new([64]byte)), 1); ok {
			t.Fatal("OffsetOf(another allocation) is inside")
		}
		if k > 0 {
			if _, ok := OffsetOf(p, typ, base, 1); ok {
				t.Fatal("OffsetOf(an earlier element) is inside")
			}
		}
		if _, ok := OffsetOf(p, typ, At(p, typ.Size()-1), 2); ok {
			t.Fatal("OffsetOf(last byte, 2 bytes) is inside")
		}
	})
}

// TestRefRapid checks Ref against reflect: an interface made by Ref over
// a field equals the field's value boxed by reflect, and follows the
// field when it is written.
func TestRefRapid(t *testing.T) {
	type fields struct {
		Pad byte
		S   string
		I   int64
		F   float64
		B   bool
		U   uint16
		Y   []byte
	}
	words := []unsafe.Pointer{nil, TypeWord(""), TypeWord(int64(0)), TypeWord(float64(0)), TypeWord(false), TypeWord(uint16(0)), TypeWord([]byte(nil))}
	typ := reflect.TypeFor[fields]()
	rapid.Check(t, func(t *rapid.T) {
		obj := &fields{}
		v := reflect.ValueOf(obj).Elem()
		fill := func() {
			obj.S = rapid.String().Draw(t, "s")
			obj.I = rapid.Int64().Draw(t, "i")
			obj.F = rapid.Float64().Draw(t, "f")
			obj.B = rapid.Bool().Draw(t, "b")
			obj.U = rapid.Uint16().Draw(t, "u")
			obj.Y = rapid.SliceOfN(rapid.Byte(), 0, 3).Draw(t, "y")
		}
		fill()
		i := rapid.IntRange(1, typ.NumField()-1).Draw(t, "field")
		sf := typ.Field(i)
		ref := func() any { return Ref(words[i], At(unsafe.Pointer(obj), sf.Offset)) }
		for range 2 { // as made, and after the field changed
			got, want := ref(), v.Field(i).Interface()
			if reflect.TypeOf(got) != sf.Type || !same(reflect.ValueOf(got), reflect.ValueOf(want)) {
				t.Fatalf("Ref(field %s) = %#v, reflect reads %#v", sf.Name, got, want)
			}
			fill()
		}
	})
	for _, v := range []any{new(int), map[int]int{}, make(chan int), func() {}, unsafe.Pointer(nil)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("TypeWord(%T) did not panic", v)
				}
			}()
			TypeWord(v)
		}()
	}
}

// TestWordsAndTypeID checks the interface words against reflect: the type
// word is the same exactly when reflect.TypeOf is, a pointer-shaped value's
// data word is the pointer, and TypeID tells types apart as == does.
func TestWordsAndTypeID(t *testing.T) {
	type named string
	x, y := new(int), new(int)
	vals := []any{1, int64(1), "a", named("a"), x, y, []byte("a"), 1.5, struct{ A int }{1}}
	for _, a := range vals {
		ta, da := Words(a)
		for _, b := range vals {
			tb, _ := Words(b)
			if (ta == tb) != (reflect.TypeOf(a) == reflect.TypeOf(b)) {
				t.Errorf("Words(%#v) and Words(%#v): type words equal %v, reflect types equal %v", a, b, ta == tb, reflect.TypeOf(a) == reflect.TypeOf(b))
			}
			if (TypeID(reflect.TypeOf(a)) == TypeID(reflect.TypeOf(b))) != (reflect.TypeOf(a) == reflect.TypeOf(b)) {
				t.Errorf("TypeID of %T and %T disagrees with ==", a, b)
			}
		}
		if p, ok := a.(*int); ok && da != unsafe.Pointer(p) {
			t.Errorf("Words(%p): data word %p, want the pointer", p, da)
		}
	}
}

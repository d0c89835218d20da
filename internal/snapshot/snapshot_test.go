package snapshot

import (
	"bytes"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"pgregory.net/rapid"
)

type (
	myInt   int16
	myStr   string
	myBytes []byte
	inner   struct {
		A int32
		B string
	}
)

// kindGen is a field type of the randomized test with its mode and a
// generator of its values.
type kindGen struct {
	t    reflect.Type
	mode Mode
	gen  func(t *rapid.T, label string) reflect.Value
}

var zones = []*time.Location{time.UTC, time.FixedZone("A", 3600), time.FixedZone("B", -7200)}

func genTime(t *rapid.T, label string) time.Time {
	sec := rapid.SampledFrom([]int64{0, 1, 1e9, -62135596800, 1 << 33}).Draw(t, label+".sec")
	nsec := rapid.SampledFrom([]int64{0, 1, 999999999}).Draw(t, label+".nsec")
	return time.Unix(sec, nsec).In(rapid.SampledFrom(zones).Draw(t, label+".zone"))
}

func genFloat(t *rapid.T, label string) float64 {
	return rapid.OneOf(
		rapid.SampledFrom([]float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 1.5, -2}),
		rapid.Float64(),
	).Draw(t, label)
}

func genString(t *rapid.T, label string) string {
	// Cloned so that equal texts sit in different memory.
	return strings.Clone(rapid.StringMatching(`[ab]{0,3}`).Draw(t, label))
}

func genBytes(t *rapid.T, label string) []byte {
	if rapid.IntRange(0, 4).Draw(t, label+".nil") == 0 {
		return nil
	}
	return rapid.SliceOfN(rapid.ByteRange(0, 2), 0, 3).Draw(t, label)
}

func of[T any](f func(t *rapid.T, label string) T) func(t *rapid.T, label string) reflect.Value {
	return func(t *rapid.T, label string) reflect.Value { return reflect.ValueOf(f(t, label)) }
}

func ptrOf[T any](f func(t *rapid.T, label string) T) func(t *rapid.T, label string) reflect.Value {
	return func(t *rapid.T, label string) reflect.Value {
		if rapid.IntRange(0, 3).Draw(t, label+".nilptr") == 0 {
			return reflect.Zero(reflect.TypeFor[*T]())
		}
		v := f(t, label)
		return reflect.ValueOf(&v)
	}
}

func small[T int8 | int16 | int32 | int64 | int | uint8 | uint16 | uint32 | uint64 | uint | uintptr | myInt](t *rapid.T, label string) T {
	return T(rapid.IntRange(-2, 2).Draw(t, label))
}

func genBool(t *rapid.T, label string) bool { return rapid.Bool().Draw(t, label) }

func genInner(t *rapid.T, label string) inner {
	return inner{A: small[int32](t, label+".A"), B: genString(t, label+".B")}
}

func null[T any](f func(t *rapid.T, label string) T) func(t *rapid.T, label string) sql.Null[T] {
	return func(t *rapid.T, label string) sql.Null[T] {
		valid := rapid.Bool().Draw(t, label+".valid")
		v := f(t, label) // set even when invalid: it must not count then
		return sql.Null[T]{V: v, Valid: valid}
	}
}

var kinds = []kindGen{
	{reflect.TypeFor[int8](), Value, of(small[int8])},
	{reflect.TypeFor[int16](), Value, of(small[int16])},
	{reflect.TypeFor[int32](), Value, of(small[int32])},
	{reflect.TypeFor[int64](), Value, of(small[int64])},
	{reflect.TypeFor[int](), Value, of(small[int])},
	{reflect.TypeFor[uint8](), Value, of(small[uint8])},
	{reflect.TypeFor[uint16](), Value, of(small[uint16])},
	{reflect.TypeFor[uint32](), Value, of(small[uint32])},
	{reflect.TypeFor[uint64](), Value, of(small[uint64])},
	{reflect.TypeFor[uint](), Value, of(small[uint])},
	{reflect.TypeFor[uintptr](), Value, of(small[uintptr])},
	{reflect.TypeFor[myInt](), Value, of(small[myInt])},
	{reflect.TypeFor[float32](), Value, of(func(t *rapid.T, l string) float32 { return float32(genFloat(t, l)) })},
	{reflect.TypeFor[float64](), Value, of(genFloat)},
	{reflect.TypeFor[bool](), Value, of(genBool)},
	{reflect.TypeFor[string](), Value, of(genString)},
	{reflect.TypeFor[myStr](), Value, of(func(t *rapid.T, l string) myStr { return myStr(genString(t, l)) })},
	{reflect.TypeFor[[]byte](), Value, of(genBytes)},
	{reflect.TypeFor[myBytes](), Value, of(func(t *rapid.T, l string) myBytes { return myBytes(genBytes(t, l)) })},
	{reflect.TypeFor[time.Time](), Value, of(genTime)},
	{reflect.TypeFor[inner](), Value, of(genInner)},
	{reflect.TypeFor[[3]byte](), Value, of(func(t *rapid.T, l string) [3]byte { return [3]byte{small[uint8](t, l)} })},
	{reflect.TypeFor[*int64](), Value, ptrOf(small[int64])},
	{reflect.TypeFor[*int32](), Value, ptrOf(small[int32])},
	{reflect.TypeFor[*int](), Value, ptrOf(small[int])},
	{reflect.TypeFor[*uint16](), Value, ptrOf(small[uint16])},
	{reflect.TypeFor[*float64](), Value, ptrOf(genFloat)},
	{reflect.TypeFor[*bool](), Value, ptrOf(genBool)},
	{reflect.TypeFor[*string](), Value, ptrOf(genString)},
	{reflect.TypeFor[*time.Time](), Value, ptrOf(genTime)},
	{reflect.TypeFor[*[]byte](), Value, ptrOf(genBytes)},
	{reflect.TypeFor[*inner](), Value, ptrOf(genInner)},
	{reflect.TypeFor[*myStr](), Value, ptrOf(func(t *rapid.T, l string) myStr { return myStr(genString(t, l)) })},
	{reflect.TypeFor[sql.NullInt64](), Null, of(func(t *rapid.T, l string) sql.NullInt64 {
		n := null(small[int64])(t, l)
		return sql.NullInt64{Int64: n.V, Valid: n.Valid}
	})},
	{reflect.TypeFor[sql.NullString](), Null, of(func(t *rapid.T, l string) sql.NullString {
		n := null(genString)(t, l)
		return sql.NullString{String: n.V, Valid: n.Valid}
	})},
	{reflect.TypeFor[sql.NullFloat64](), Null, of(func(t *rapid.T, l string) sql.NullFloat64 {
		n := null(genFloat)(t, l)
		return sql.NullFloat64{Float64: n.V, Valid: n.Valid}
	})},
	{reflect.TypeFor[sql.NullTime](), Null, of(func(t *rapid.T, l string) sql.NullTime {
		n := null(genTime)(t, l)
		return sql.NullTime{Time: n.V, Valid: n.Valid}
	})},
	{reflect.TypeFor[sql.NullBool](), Null, of(func(t *rapid.T, l string) sql.NullBool {
		n := null(genBool)(t, l)
		return sql.NullBool{Bool: n.V, Valid: n.Valid}
	})},
	{reflect.TypeFor[sql.Null[int32]](), Null, of(null(small[int32]))},
	{reflect.TypeFor[sql.Null[[]byte]](), Null, of(null(genBytes))},
	{reflect.TypeFor[sql.Null[inner]](), Null, of(null(genInner))},
	{reflect.TypeFor[map[string]int](), Opaque, of(func(t *rapid.T, l string) map[string]int {
		if rapid.Bool().Draw(t, l) {
			return nil
		}
		return map[string]int{genString(t, l+".k"): 1}
	})},
	{reflect.TypeFor[[]string](), Opaque, of(func(t *rapid.T, l string) []string {
		return rapid.SliceOfN(rapid.StringMatching(`[ab]{0,2}`), 0, 2).Draw(t, l)
	})},
}

// The reflect model of the package's rules.

func modelEq(mode Mode, a, b reflect.Value) bool {
	switch {
	case mode == Opaque:
		return true
	case a.Kind() == reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return valueEq(a.Elem(), b.Elem())
	case mode == Null:
		va, vb := a.FieldByName("Valid").Bool(), b.FieldByName("Valid").Bool()
		return va == vb && (!va || valueEq(a.Field(0), b.Field(0)))
	}
	return valueEq(a, b)
}

func valueEq(a, b reflect.Value) bool {
	if a.Type() == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float()) ||
			(a.Kind() == reflect.Float32 && math.Float32bits(float32(a.Float())) == math.Float32bits(float32(b.Float())))
	case reflect.Slice:
		if a.Type().Elem().Kind() == reflect.Uint8 {
			return a.IsNil() == b.IsNil() && bytes.Equal(a.Bytes(), b.Bytes())
		}
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// same reports whether b is a copy of a: the same value, floats by
// their bits, pointers and byte slices by what they hold.
func same(mode Mode, a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return same(mode, a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Type().Elem().Kind() == reflect.Uint8 {
			return a.IsNil() == b.IsNil() && bytes.Equal(a.Bytes(), b.Bytes())
		}
	case reflect.Struct:
		if a.Type() != timeType {
			for i := 0; i < a.NumField(); i++ {
				if !same(mode, a.Field(i), b.Field(i)) {
					return false
				}
			}
			return true
		}
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// owns reports whether b's mutable memory (a byte slice's array or a
// pointer's target) is not a's.
func owns(mode Mode, a, b reflect.Value) bool {
	if mode == Opaque {
		return true
	}
	switch {
	case a.Kind() == reflect.Pointer:
		return a.IsNil() || a.Pointer() != b.Pointer()
	case a.Kind() == reflect.Slice && a.Type().Elem().Kind() == reflect.Uint8:
		return a.Len() == 0 || &a.Bytes()[0] != &b.Bytes()[0]
	}
	return true
}

// deepCopy is a copy of v that shares no byte slice or pointer target
// (the expected content of a snapshot, kept aside).
func deepCopy(v reflect.Value) reflect.Value {
	c := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			c.Set(reflect.New(v.Type().Elem()))
			c.Elem().Set(deepCopy(v.Elem()))
		}
	case reflect.Slice:
		if !v.IsNil() && v.Type().Elem().Kind() == reflect.Uint8 {
			c.Set(reflect.ValueOf(bytes.Clone(v.Bytes())).Convert(v.Type()))
			if v.Len() == 0 {
				c.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
		} else {
			c.Set(v)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			c.Set(v)
			break
		}
		for i := 0; i < v.NumField(); i++ {
			if c.Field(i).CanSet() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
	default:
		c.Set(v)
	}
	return c
}

type world struct {
	t      *rapid.T
	typ    reflect.Type
	fields []Field
	idx    []int // struct field index of each described field
	gens   []kindGen
	l      *Layout
}

func (w *world) at(p unsafe.Pointer, i int) reflect.Value {
	return reflect.NewAt(w.fields[i].Type, unsafe.Add(p, w.fields[i].Offset)).Elem()
}

// TestLayoutRapid builds random struct types of many field kinds, some
// fields described and some not, and checks Take, Equal, Changed and
// Restore against the reflect model while the object is changed at
// random (new values, changes in place, equal values in other memory,
// the same instant in another zone).
func TestLayoutRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "n")
		var sfs []reflect.StructField
		w := &world{t: t}
		for i := 0; i < n; i++ {
			k := rapid.IntRange(0, len(kinds)-1).Draw(t, "kind")
			sfs = append(sfs, reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: kinds[k].t})
			if rapid.IntRange(0, 4).Draw(t, "described") > 0 {
				w.idx = append(w.idx, i)
				mode := kinds[k].mode
				if rapid.IntRange(0, 9).Draw(t, "opaque") == 0 {
					mode = Opaque
				}
				w.gens = append(w.gens, kindGen{kinds[k].t, mode, kinds[k].gen})
			}
		}
		if len(w.idx) == 0 {
			w.idx = append(w.idx, 0)
			w.gens = append(w.gens, kindGen{sfs[0].Type, Value, nil})
			for _, k := range kinds {
				if k.t == sfs[0].Type {
					w.gens[0] = k
				}
			}
		}
		w.typ = reflect.StructOf(sfs)
		for j, i := range w.idx {
			sf := w.typ.Field(i)
			w.fields = append(w.fields, Field{Offset: sf.Offset, Type: sf.Type, Mode: w.gens[j].mode})
		}
		// Any order of description.
		perm := rapid.Permutation(w.idx).Draw(t, "order")
		pos := map[int]int{}
		for j, i := range w.idx {
			pos[i] = j
		}
		var fs []Field
		var gs []kindGen
		for _, i := range perm {
			fs = append(fs, w.fields[pos[i]])
			gs = append(gs, w.gens[pos[i]])
		}
		w.fields, w.gens, w.idx = fs, gs, perm
		w.l = New(w.typ, w.fields)

		// The snapshot type has every field where the object has it.
		for _, f := range w.fields {
			if !fieldAt(w.l.Type(), f.Offset, f.Type) {
				t.Fatalf("snapshot type %v has no %v at %d", w.l.Type(), f.Type, f.Offset)
			}
		}

		obj := reflect.New(w.typ)
		for i := 0; i < w.typ.NumField(); i++ {
			for _, k := range kinds {
				if k.t == w.typ.Field(i).Type {
					obj.Elem().Field(i).Set(k.gen(t, "init"))
					break
				}
			}
		}
		op := obj.UnsafePointer()

		take := func(src unsafe.Pointer) (unsafe.Pointer, []reflect.Value) {
			var snap unsafe.Pointer
			if rapid.Bool().Draw(t, "chunk") {
				c := w.l.AllocChunk(3)
				snap = c.At(rapid.IntRange(0, 2).Draw(t, "at"))
			} else {
				snap = w.l.Alloc()
			}
			w.l.Take(snap, src)
			var want []reflect.Value
			for i, f := range w.fields {
				a, b := w.at(src, i), w.at(snap, i)
				if !same(f.Mode, a, b) || !owns(f.Mode, a, b) {
					t.Fatalf("Take: field %d (%v): snapshot %#v of %#v", i, f.Type, b.Interface(), a.Interface())
				}
				want = append(want, deepCopy(b))
			}
			if w.l.Changed(src, snap) && !w.anyDiffers(src, snap) {
				t.Fatalf("Changed right after Take")
			}
			return snap, want
		}
		snap, want := take(op)

		for step := range rapid.IntRange(1, 30).Draw(t, "steps") {
			_ = step
			i := rapid.IntRange(0, len(w.fields)-1).Draw(t, "field")
			fv := w.at(op, i)
			switch rapid.IntRange(0, 5).Draw(t, "op") {
			case 0: // a new value
				fv.Set(w.gens[i].gen(t, "new"))
			case 1: // change in place
				switch {
				case fv.Kind() == reflect.Pointer && !fv.IsNil():
					if nv := w.gens[i].gen(t, "elem"); !nv.IsNil() {
						fv.Elem().Set(nv.Elem())
					}
				case fv.Kind() == reflect.Slice && fv.Len() > 0 && fv.Type().Elem().Kind() == reflect.Uint8:
					fv.Index(0).SetUint(fv.Index(0).Uint() + 1)
				}
			case 2: // an equal value in other memory or another zone
				switch {
				case fv.Kind() == reflect.String:
					fv.SetString(strings.Clone(fv.String()))
				case fv.Type() == timeType:
					fv.Set(reflect.ValueOf(fv.Interface().(time.Time).In(rapid.SampledFrom(zones).Draw(t, "zone"))))
				}
			case 3: // restore one field
				size := w.typ.Size()
				before := bytes.Clone(unsafe.Slice((*byte)(op), size))
				w.l.Restore(i, op, snap)
				if !same(w.fields[i].Mode, w.at(snap, i), fv) || !owns(w.fields[i].Mode, w.at(snap, i), fv) {
					t.Fatalf("Restore: field %d (%v) = %#v, snapshot %#v", i, w.fields[i].Type, fv.Interface(), w.at(snap, i).Interface())
				}
				// No byte outside the field was written.
				after := unsafe.Slice((*byte)(op), size)
				lo, hi := w.fields[i].Offset, w.fields[i].Offset+w.fields[i].Type.Size()
				if !bytes.Equal(before[:lo], after[:lo]) || !bytes.Equal(before[hi:], after[hi:]) {
					t.Fatalf("Restore of field %d wrote outside it", i)
				}
			case 4: // a snapshot of the snapshot
				s2, _ := take(snap)
				for k := range w.fields {
					if !w.l.Equal(k, snap, s2) && w.fields[k].Mode != Opaque {
						if modelEq(w.fields[k].Mode, w.at(snap, k), w.at(s2, k)) {
							t.Fatalf("Equal(%d) of two snapshots", k)
						}
					}
				}
			case 5: // a new snapshot
				snap, want = take(op)
			}
			// The object against the snapshot.
			for k, f := range w.fields {
				got, exp := w.l.Equal(k, op, snap), modelEq(f.Mode, w.at(op, k), w.at(snap, k))
				if got != exp {
					t.Fatalf("Equal(%d) (%v, %v) = %v, model %v: %#v vs %#v", k, f.Type, f.Mode, got, exp, w.at(op, k).Interface(), w.at(snap, k).Interface())
				}
			}
			if got, exp := w.l.Changed(op, snap), w.anyDiffers(op, snap); got != exp {
				t.Fatalf("Changed = %v, model %v", got, exp)
			}
			// The snapshot never changes with the object (an opaque field
			// is a shallow copy: it may).
			for k, f := range w.fields {
				if f.Mode != Opaque && !same(f.Mode, want[k], w.at(snap, k)) {
					t.Fatalf("snapshot field %d (%v) became %v, was %v", k, f.Type, fmtv(w.at(snap, k)), fmtv(want[k]))
				}
			}
		}
	})
}

func (w *world) anyDiffers(a, b unsafe.Pointer) bool {
	for k, f := range w.fields {
		if !modelEq(f.Mode, w.at(a, k), w.at(b, k)) {
			return true
		}
	}
	return false
}

// TestNewRejectsBadLayouts checks that a description that does not match
// the struct panics when the layout is built, not when memory is used.
func TestNewRejectsBadLayouts(t *testing.T) {
	type s struct {
		A int64
		B string
	}
	typ := reflect.TypeFor[s]()
	for _, fs := range [][]Field{
		{{Offset: 8, Type: reflect.TypeFor[int64]()}},   // B is a string
		{{Offset: 16, Type: reflect.TypeFor[string]()}}, // past the end
		{{Offset: 4, Type: reflect.TypeFor[int32]()}},   // inside A, but no field
		{{Offset: 0, Type: nil}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%v) did not panic", fs)
				}
			}()
			New(typ, fs)
		}()
	}
}

func TestChunkAt(t *testing.T) {
	type s struct{ A, B int64 }
	l := New(reflect.TypeFor[s](), []Field{{Offset: 8, Type: reflect.TypeFor[int64]()}})
	c := l.AllocChunk(2)
	if uintptr(c.At(1))-uintptr(c.At(0)) != l.Type().Size() {
		t.Fatalf("chunk stride")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("At(2) of a chunk of 2 did not panic")
		}
	}()
	c.At(2)
}

func fmtv(v reflect.Value) string {
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		return fmt.Sprintf("&%#v", v.Elem().Interface())
	}
	return fmt.Sprintf("%#v", v.Interface())
}

// TestRegression_EmptyBytesPointerStaysNonNil: a *[]byte field holding an
// empty, non-nil slice was copied as a nil slice, so the object always
// differed from its snapshot (an UPDATE at every flush).
func TestRegression_EmptyBytesPointerStaysNonNil(t *testing.T) {
	type s struct{ B *[]byte }
	l := New(reflect.TypeFor[s](), []Field{{Offset: 0, Type: reflect.TypeFor[*[]byte]()}})
	obj := &s{B: &[]byte{}}
	snap := l.Alloc()
	l.Take(snap, unsafe.Pointer(obj))
	if l.Changed(unsafe.Pointer(obj), snap) {
		t.Fatal("an unchanged *[]byte{} counts as changed")
	}
	if got := (*s)(snap).B; got == nil || *got == nil {
		t.Fatalf("snapshot of &[]byte{} is %v", got)
	}
}

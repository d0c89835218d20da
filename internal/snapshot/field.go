package snapshot

import (
	"bytes"
	"math"
	"reflect"
	"time"
	"unsafe"
)

// SizedKind is t's kind, with int, uint and uintptr, whose size depends
// on the platform, replaced by the sized kind of their width: the typed
// copies and comparisons (here and in the session's column functions) go
// by it, so no code assumes that an int has 8 bytes.
func SizedKind(t reflect.Type) reflect.Kind {
	switch k := t.Kind(); k {
	case reflect.Int:
		if t.Size() == 8 {
			return reflect.Int64
		}
		return reflect.Int32
	case reflect.Uint, reflect.Uintptr:
		if t.Size() == 8 {
			return reflect.Uint64
		}
		return reflect.Uint32
	default:
		return k
	}
}

// copierFor returns a typed copy of a field of type t (by kind: a named
// type has its underlying kind's layout).
func copierFor(t reflect.Type) func(dst, src unsafe.Pointer) {
	if t == timeType {
		return copyOf[time.Time]
	}
	switch SizedKind(t) {
	case reflect.String:
		return copyOf[string]
	case reflect.Int64, reflect.Uint64, reflect.Float64:
		return copyOf[int64]
	case reflect.Int32, reflect.Uint32, reflect.Float32:
		return copyOf[int32]
	case reflect.Int16, reflect.Uint16:
		return copyOf[int16]
	case reflect.Bool, reflect.Int8, reflect.Uint8:
		return copyOf[int8]
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return copyOf[unsafe.Pointer]
	case reflect.Slice:
		return copyOf[[]byte] // any slice header: same layout, one pointer
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return copyOf[any]
		}
	}
	return func(dst, src unsafe.Pointer) {
		reflect.NewAt(t, dst).Elem().Set(reflect.NewAt(t, src).Elem())
	}
}

func copyOf[T any](dst, src unsafe.Pointer) { *(*T)(dst) = *(*T)(src) }

// Typed reports whether a Value field of type t has a typed comparison
// (time.Time, strings, bools, integers, floats, byte slices) rather than
// reflect.DeepEqual.
func Typed(t reflect.Type) bool { return basicEq(t) != nil }

// basicEq returns the comparison of a value of type t for the kinds with
// a typed one (nil for the others).
func basicEq(t reflect.Type) func(a, b unsafe.Pointer) bool {
	if t == timeType {
		return func(a, b unsafe.Pointer) bool { return (*time.Time)(a).Equal(*(*time.Time)(b)) }
	}
	switch SizedKind(t) {
	case reflect.String:
		return eqOf[string]
	case reflect.Bool:
		return eqOf[bool]
	case reflect.Int64, reflect.Uint64:
		return eqOf[int64]
	case reflect.Int32, reflect.Uint32:
		return eqOf[int32]
	case reflect.Int16, reflect.Uint16:
		return eqOf[int16]
	case reflect.Int8, reflect.Uint8:
		return eqOf[int8]
	case reflect.Float64:
		return func(a, b unsafe.Pointer) bool {
			return math.Float64bits(*(*float64)(a)) == math.Float64bits(*(*float64)(b))
		}
	case reflect.Float32:
		return func(a, b unsafe.Pointer) bool {
			return math.Float32bits(*(*float32)(a)) == math.Float32bits(*(*float32)(b))
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return func(a, b unsafe.Pointer) bool {
				x, y := *(*[]byte)(a), *(*[]byte)(b)
				return (x == nil) == (y == nil) && bytes.Equal(x, y)
			}
		}
	}
	return nil
}

func eqOf[T comparable](a, b unsafe.Pointer) bool { return *(*T)(a) == *(*T)(b) }

func deepEq(t reflect.Type) func(a, b unsafe.Pointer) bool {
	return func(a, b unsafe.Pointer) bool {
		return reflect.DeepEqual(reflect.NewAt(t, a).Elem().Interface(), reflect.NewAt(t, b).Elem().Interface())
	}
}

// nullParts returns the Valid field and the value field of a
// sql.Null*-shaped struct.
func nullParts(t reflect.Type) (valid, val reflect.StructField) {
	valid, _ = t.FieldByName("Valid")
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Name != "Valid" {
			return valid, f
		}
	}
	return valid, val
}

func eqFor(f Field) func(a, b unsafe.Pointer) bool {
	t := f.Type
	if t.Kind() == reflect.Pointer {
		inner := basicEq(t.Elem())
		if inner == nil {
			inner = deepEq(t.Elem())
		}
		return func(a, b unsafe.Pointer) bool {
			pa, pb := *(*unsafe.Pointer)(a), *(*unsafe.Pointer)(b)
			if pa == nil || pb == nil {
				return pa == pb
			}
			return inner(pa, pb)
		}
	}
	if f.Mode == Null {
		validF, valF := nullParts(t)
		if validF.Type == nil || validF.Type.Kind() != reflect.Bool || valF.Type == nil {
			return deepEq(t)
		}
		inner := basicEq(valF.Type)
		if inner == nil {
			inner = deepEq(valF.Type)
		}
		return func(a, b unsafe.Pointer) bool {
			va, vb := *(*bool)(unsafe.Add(a, validF.Offset)), *(*bool)(unsafe.Add(b, validF.Offset))
			if va != vb {
				return false
			}
			return !va || inner(unsafe.Add(a, valF.Offset), unsafe.Add(b, valF.Offset))
		}
	}
	if eq := basicEq(t); eq != nil {
		return eq
	}
	return deepEq(t)
}

// deepFor returns a function that replaces shared mutable memory in a
// copied field with its own copy: a byte slice's array or a pointer's
// target (nil when the field has none).
func deepFor(f Field) func(p unsafe.Pointer) {
	t := f.Type
	switch {
	case t.Kind() == reflect.Pointer:
		et := t.Elem()
		if deep, _ := ptrCopiers(et); deep != nil {
			return deep
		}
		return func(p unsafe.Pointer) {
			pp := (*unsafe.Pointer)(p)
			if *pp == nil {
				return
			}
			nv := reflect.New(et)
			nv.Elem().Set(reflect.NewAt(et, *pp).Elem())
			if et.Kind() == reflect.Slice && et.Elem().Kind() == reflect.Uint8 && !nv.Elem().IsNil() {
				// A copy of the array; an empty slice stays non-nil.
				nv.Elem().SetBytes(append([]byte{}, nv.Elem().Bytes()...))
			}
			*pp = nv.UnsafePointer()
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return func(p unsafe.Pointer) {
			b := (*[]byte)(p)
			if *b != nil {
				*b = append([]byte{}, (*b)...)
			}
		}
	}
	return nil
}

// ptrCopiers returns the deep copies of a pointer field whose target is
// of a common kind (time.Time, integers, floats, strings, bools, not of a
// named type): deep allocates a new target (for objects), into moves it
// into the snapshot slot rel bytes after the field (see snapTypeOf).
// Both are nil for other targets.
func ptrCopiers(t reflect.Type) (deep func(p unsafe.Pointer), into func(rel uintptr) func(p unsafe.Pointer)) {
	if t == timeType {
		return deepPtr[time.Time], deepInto[time.Time]
	}
	if t.PkgPath() == "" {
		switch SizedKind(t) {
		case reflect.Int64, reflect.Float64, reflect.Uint64:
			return deepPtr[int64], deepInto[int64]
		case reflect.Int32:
			return deepPtr[int32], deepInto[int32]
		case reflect.String:
			return deepPtr[string], deepInto[string]
		case reflect.Bool:
			return deepPtr[bool], deepInto[bool]
		}
	}
	return nil, nil
}

// deepPtr gives the *T field at p its own copy of the target.
func deepPtr[T any](p unsafe.Pointer) {
	pp := (**T)(p)
	if *pp != nil {
		v := **pp
		*pp = &v
	}
}

// deepInto moves the target of the *T field at p into the slot rel bytes
// after it.
func deepInto[T any](rel uintptr) func(p unsafe.Pointer) {
	return func(p unsafe.Pointer) {
		pp := (**T)(p)
		if *pp != nil {
			slot := (*T)(unsafe.Add(p, rel))
			*slot = **pp
			*pp = slot
		}
	}
}

// Package layout reaches the fields of a struct by the offsets that
// package meta computed, and the elements of an array of structs by
// their size: the pointer arithmetic of Arc's session, in one place.
//
// The pointers it takes are the address of a struct (an object, a
// snapshot) held as an unsafe.Pointer, and an offset and type that
// describe a field of that struct; the caller guarantees that they do
// (offsets come from reflect.StructField.Offset through meta). The
// randomized tests check every function against reflect's own field
// access (reflect.Value.Field) over random struct types.
package layout

import (
	"reflect"
	"unsafe"
)

// At returns the address of the field at offset off of the struct at p.
func At(p unsafe.Pointer, off uintptr) unsafe.Pointer { return unsafe.Add(p, off) }

// Ptr returns the field of type T at offset off of the struct at p as a
// *T.
func Ptr[T any](p unsafe.Pointer, off uintptr) *T { return (*T)(unsafe.Add(p, off)) }

// Get reads the field of type T at offset off of the struct at p.
func Get[T any](p unsafe.Pointer, off uintptr) T { return *(*T)(unsafe.Add(p, off)) }

// Set writes v into the field of type T at offset off of the struct at
// p.
func Set[T any](p unsafe.Pointer, off uintptr, v T) { *(*T)(unsafe.Add(p, off)) = v }

// As returns the struct at p as a *T (p is the address of a T).
func As[T any](p unsafe.Pointer) *T { return (*T)(p) }

// Value returns the field of type t at offset off of the struct at p as
// a settable reflect.Value.
func Value(p unsafe.Pointer, off uintptr, t reflect.Type) reflect.Value {
	return reflect.NewAt(t, unsafe.Add(p, off)).Elem()
}

// Copy copies the field of type t at offset off from the struct at src
// into the struct at dst.
func Copy(dst, src unsafe.Pointer, off uintptr, t reflect.Type) {
	Value(dst, off, t).Set(Value(src, off, t))
}

// Index returns the address of element i of the array of structs of the
// given size at base.
func Index(base unsafe.Pointer, i int, size uintptr) unsafe.Pointer {
	return unsafe.Add(base, uintptr(i)*size)
}

// OffsetOf returns the offset of q inside the struct of type t at p, and
// whether q lies inside it with room for n bytes.
func OffsetOf(p unsafe.Pointer, t reflect.Type, q unsafe.Pointer, n uintptr) (uintptr, bool) {
	if uintptr(q) < uintptr(p) {
		return 0, false
	}
	off := uintptr(q) - uintptr(p)
	return off, off < t.Size() && off+n <= t.Size()
}

// Container returns the struct of type T that holds, at offset off, the
// field at p (the inverse of At).
func Container[T any](p unsafe.Pointer, off uintptr) *T { return (*T)(unsafe.Add(p, -int(off))) }

// eface is the layout of an interface value without methods (any): its
// dynamic type, and a pointer to the value for every type that is not
// pointer-shaped.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// TypeWord returns the dynamic type word of v, for Ref. It panics unless
// v's type keeps its value behind the interface's data pointer: strings,
// slices, booleans and numbers (not pointers, maps, channels, functions
// or other pointer-shaped types, whose data word is the value itself).
func TypeWord(v any) unsafe.Pointer {
	switch reflect.TypeOf(v).Kind() {
	case reflect.String, reflect.Slice, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return (*eface)(unsafe.Pointer(&v)).typ
	}
	panic("layout: TypeWord of a pointer-shaped value")
}

// Ref returns an interface value of the dynamic type typ (from TypeWord)
// whose value is the one stored at p itself, not a copy: it changes when
// the memory at p does, and keeps p's allocation alive. The value at p
// must be of typ's type.
func Ref(typ, p unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

// Words returns the two words of the interface value v: its dynamic type
// and its data word (a pointer to the value, or the value itself for a
// pointer-shaped type). Two values with equal words are the same value of
// the same type; unequal data words say nothing about equality.
func Words(v any) (typ, data unsafe.Pointer) {
	e := (*eface)(unsafe.Pointer(&v))
	return e.typ, e.data
}

// TypeID returns the identity of a reflect.Type, its *rtype (the data
// word of the interface value), without boxing: equal for the same type,
// different for different types.
func TypeID(t reflect.Type) unsafe.Pointer {
	type iface struct{ tab, data unsafe.Pointer }
	return (*iface)(unsafe.Pointer(&t)).data
}

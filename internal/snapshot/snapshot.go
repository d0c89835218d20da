// Package snapshot copies, compares and restores the mapped fields of a
// struct by their offsets: the change detection of Arc's session.
//
// A [Layout] is built once per struct type from a description of its
// fields (offset, Go type, how the field compares). A snapshot is a value
// of the layout's own struct type ([Layout.Type]) that holds each field
// at the offset it has in the object, so one offset reads a field of an
// object and of its snapshot alike; fields that are not described
// (relationships, embedded bookkeeping) are not copied.
//
// All of the package's unsafe code is here and in field.go; the
// randomized tests check every operation against a plain reflect
// implementation of the same rules.
package snapshot

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"time"
	"unsafe"
)

// Mode says how a field is compared.
type Mode uint8

const (
	// Value fields compare by value: integers, bools and strings with ==,
	// floats by their bits (NaN equals NaN, -0 differs from +0),
	// time.Time with Equal, byte slices by content and nil-ness, a
	// pointer by its target (both nil or targets equal), anything else
	// with reflect.DeepEqual. A snapshot owns its copy of mutable memory:
	// a byte slice's array and a pointer's target are copied, so a change
	// made in place in the object is seen.
	Value Mode = iota
	// Null fields are sql.Null*-shaped structs (a Valid bool and a value):
	// equal when both are invalid, or both valid with equal values.
	Null
	// Opaque fields are copied by value (shallow) and restored, never
	// compared: the caller compares them its own way (for example through
	// their driver values).
	Opaque
)

// Field describes one field of the object struct.
type Field struct {
	Offset uintptr      // the field's offset in the object
	Type   reflect.Type // the field's Go type
	Mode   Mode
}

// Layout is the compiled description of an object's fields. It is
// immutable and safe for concurrent use.
type Layout struct {
	typ    reflect.Type // the snapshot struct
	slice  reflect.Type // []typ, for chunks
	fields []field
	spans  []span // byte ranges of memory-comparable fields (see Changed)
	rest   []int  // the compared fields outside spans
	all    []int  // every compared field
}

type field struct {
	off  uintptr
	typ  reflect.Type
	mode Mode
	cp   func(dst, src unsafe.Pointer)  // copies the value (shallow)
	eq   func(a, b unsafe.Pointer) bool // nil for Opaque
	// deep re-owns mutable memory of a copy in an object (a new target
	// or array); snapDeep does it for a copy in a snapshot, where a
	// pointer's target of a common kind goes into the snapshot's own
	// slot for it instead of a new allocation.
	deep, snapDeep func(p unsafe.Pointer)
}

// span is a byte range of an object (and of its snapshot).
type span struct{ off, n uintptr }

// New compiles the layout of fields of the struct type obj. It panics
// when a field does not lie inside obj or overlaps another: the
// description is the caller's bug, found on the first use.
func New(obj reflect.Type, fields []Field) *Layout {
	l := &Layout{}
	for i, f := range fields {
		if f.Type == nil || f.Offset+f.Type.Size() > obj.Size() || f.Offset%uintptr(f.Type.Align()) != 0 {
			panic(fmt.Sprintf("snapshot: field %d (%v at %d) does not fit %v", i, f.Type, f.Offset, obj))
		}
		if !fieldAt(obj, f.Offset, f.Type) {
			panic(fmt.Sprintf("snapshot: %v has no field of type %v at offset %d", obj, f.Type, f.Offset))
		}
		x := field{off: f.Offset, typ: f.Type, mode: f.Mode, cp: copierFor(f.Type)}
		if f.Mode != Opaque {
			x.eq = eqFor(f)
			x.deep = deepFor(f)
		}
		x.snapDeep = x.deep
		l.fields = append(l.fields, x)
	}
	var slots map[int]uintptr
	l.typ, slots = snapTypeOf(obj, fields)
	l.slice = reflect.SliceOf(l.typ)
	for i, off := range slots {
		x := &l.fields[i]
		if x.deep != nil {
			_, into := ptrCopiers(x.typ.Elem())
			x.snapDeep = into(off - x.off)
		}
	}
	l.spans, l.rest, l.all = spansOf(l.fields)
	return l
}

// fieldAt reports whether t has a field (at any depth of nested structs
// and arrays) of type ft at offset off.
func fieldAt(t reflect.Type, off uintptr, ft reflect.Type) bool {
	if t == ft && off == 0 {
		return true
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if off >= f.Offset && off < f.Offset+f.Type.Size() && fieldAt(f.Type, off-f.Offset, ft) {
				return true
			}
			if off == f.Offset && f.Type.Size() == 0 && fieldAt(f.Type, 0, ft) {
				return true
			}
		}
	case reflect.Array:
		if es := t.Elem().Size(); es > 0 && off < t.Size() {
			return fieldAt(t.Elem(), off%es, ft)
		}
	}
	return false
}

// Type is the snapshot struct type: the fields at their offsets in the
// object, pointer-free padding between them, then slots for pointer
// targets. It is the object's own type when no such struct can be made.
func (l *Layout) Type() reflect.Type { return l.typ }

// Len is the number of fields, in the order New was given them.
func (l *Layout) Len() int { return len(l.fields) }

// Alloc returns a new zeroed snapshot.
func (l *Layout) Alloc() unsafe.Pointer { return reflect.New(l.typ).UnsafePointer() }

// Chunk is n zeroed snapshots in one allocation; At(k) is the k-th. Each
// keeps the whole chunk alive.
type Chunk struct {
	base unsafe.Pointer
	size uintptr
	n    int
}

// AllocChunk returns n zeroed snapshots in one allocation.
func (l *Layout) AllocChunk(n int) Chunk {
	return Chunk{base: reflect.MakeSlice(l.slice, n, n).UnsafePointer(), size: l.typ.Size(), n: n}
}

// At returns the k-th snapshot of the chunk (0 <= k < n; it panics
// otherwise).
func (c Chunk) At(k int) unsafe.Pointer {
	if uint(k) >= uint(c.n) {
		panic("snapshot: chunk index out of range")
	}
	return unsafe.Add(c.base, uintptr(k)*c.size)
}

// Take copies the fields of src (an object, or a snapshot of the same
// layout) into the zeroed snapshot at dst, re-owning mutable memory.
func (l *Layout) Take(dst, src unsafe.Pointer) {
	for i := range l.fields {
		x := &l.fields[i]
		d := unsafe.Add(dst, x.off)
		x.cp(d, unsafe.Add(src, x.off))
		if x.snapDeep != nil {
			x.snapDeep(d)
		}
	}
}

// Equal reports whether field i holds equal values in a and b (objects
// or snapshots of the layout). Opaque fields are always equal.
func (l *Layout) Equal(i int, a, b unsafe.Pointer) bool {
	x := &l.fields[i]
	if x.eq == nil {
		return true
	}
	return x.eq(unsafe.Add(a, x.off), unsafe.Add(b, x.off))
}

// Changed reports whether any compared field of obj differs from the
// snapshot snap. Fields whose bytes decide equality (integers, floats by
// bits, bools, strings by header, time.Time) are first compared as
// memory, a run of adjacent fields at a time: equal bytes mean an equal
// value, so an unchanged object costs a memcmp. Different bytes may
// still be an equal value (a string with the same text in other memory),
// so they fall back to the per-field test.
func (l *Layout) Changed(obj, snap unsafe.Pointer) bool {
	for _, sp := range l.spans {
		a := unsafe.Slice((*byte)(unsafe.Add(obj, sp.off)), sp.n)
		b := unsafe.Slice((*byte)(unsafe.Add(snap, sp.off)), sp.n)
		if string(a) != string(b) {
			return l.changedIn(obj, snap, l.all)
		}
	}
	return l.changedIn(obj, snap, l.rest)
}

func (l *Layout) changedIn(obj, snap unsafe.Pointer, idx []int) bool {
	for _, i := range idx {
		x := &l.fields[i]
		if !x.eq(unsafe.Add(obj, x.off), unsafe.Add(snap, x.off)) {
			return true
		}
	}
	return false
}

// Restore writes field i of the snapshot snap back into obj, giving obj
// its own copy of mutable memory (Opaque fields are copied shallow).
func (l *Layout) Restore(i int, obj, snap unsafe.Pointer) {
	x := &l.fields[i]
	d := unsafe.Add(obj, x.off)
	x.cp(d, unsafe.Add(snap, x.off))
	if x.deep != nil {
		x.deep(d)
	}
}

// snapTypeOf builds a struct type that holds the fields at their offsets
// in obj, with pointer-free padding in between, and stops after the last
// field: the snapshot of a model with relationships or an embedded
// record.Base is a fraction of the model's size and holds no pointers
// the GC must follow but the fields'. obj itself is the fallback.
//
// After the fields come slots for the targets of pointer fields of the
// common kinds (*int64, *string, *time.Time ...): a snapshot's copy of
// such a field points at its slot, so taking a snapshot allocates nothing
// per pointer field. slots gives each slot's offset by field index.
func snapTypeOf(obj reflect.Type, fs []Field) (typ reflect.Type, slots map[int]uintptr) {
	order := make([]int, len(fs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(fs[a].Offset, fs[b].Offset) })
	var sfs []reflect.StructField
	var off uintptr
	for k, i := range order {
		f := fs[i]
		if f.Offset < off {
			return obj, nil // overlapping fields
		}
		if gap := f.Offset - off; gap > 0 {
			sfs = append(sfs, reflect.StructField{Name: fmt.Sprintf("Pad%d", k), Type: reflect.ArrayOf(int(gap), reflect.TypeFor[byte]())})
		}
		sfs = append(sfs, reflect.StructField{Name: fmt.Sprintf("C%d", i), Type: f.Type})
		off = f.Offset + f.Type.Size()
	}
	for _, i := range order {
		f := fs[i]
		if f.Mode == Value && f.Type.Kind() == reflect.Pointer {
			if _, into := ptrCopiers(f.Type.Elem()); into != nil {
				sfs = append(sfs, reflect.StructField{Name: fmt.Sprintf("V%d", i), Type: f.Type.Elem()})
			}
		}
	}
	st := reflect.StructOf(sfs)
	for i, f := range fs {
		sf, ok := st.FieldByName(fmt.Sprintf("C%d", i))
		if !ok || sf.Offset != f.Offset {
			return obj, nil
		}
		if v, ok := st.FieldByName(fmt.Sprintf("V%d", i)); ok {
			if slots == nil {
				slots = map[int]uintptr{}
			}
			slots[i] = v.Offset
		}
	}
	return st, slots
}

// spansOf splits the compared fields into byte ranges whose equal bytes
// mean equal values, merged where adjacent, and the fields that need
// their eq.
func spansOf(fs []field) (spans []span, rest, all []int) {
	var ps []span
	for i := range fs {
		x := &fs[i]
		if x.eq == nil {
			continue
		}
		all = append(all, i)
		if x.mode == Value && memComparable(x.typ) {
			ps = append(ps, span{x.off, x.typ.Size()})
		} else {
			rest = append(rest, i)
		}
	}
	slices.SortFunc(ps, func(a, b span) int { return cmp.Compare(a.off, b.off) })
	for _, p := range ps {
		if n := len(spans); n > 0 && spans[n-1].off+spans[n-1].n == p.off {
			spans[n-1].n += p.n
			continue
		}
		spans = append(spans, p)
	}
	return spans, rest, all
}

// memComparable reports whether equal bytes of a Value field mean equal
// values under eqFor: no pointer that eq follows (snapshots deep-copy
// pointer targets and byte slices, so their bytes always differ), no
// padding inside the value.
func memComparable(t reflect.Type) bool {
	if t == timeType {
		return true // wall, ext, loc: equal bytes, equal instant
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Bool, reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}

var timeType = reflect.TypeFor[time.Time]()

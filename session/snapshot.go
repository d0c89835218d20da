// Snapshots and change detection: a codec per model knows how to copy a
// model's column values into a snapshot, compare them, restore them and
// read them as bind values, with fast paths per Go kind (unsafe offsets).

package session

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/arcorm/arc/meta"
)

// snapshot is a copy of the object's column fields with deep copies of
// the mutable parts (byte slices, pointer targets), plus the driver
// values of custom Valuer and JSON columns. The copy is a struct of the
// codec's snapType: every column sits at the offset it has in the model,
// so code reads a snapshot's column c at p + c.Offset as in the object,
// while relationship fields and other non-column fields are not copied.
type snapshot struct {
	p     unsafe.Pointer // the copy (it keeps its allocation alive)
	extra *[]any         // per colCodec.extra; nil when the table has no such columns
}

// codec knows how to snapshot and compare one table's columns. Built once
// per table and cached.
type codec struct {
	t        *meta.Table
	cols     []colCodec
	nExtra   int
	tracked  bool // *T embeds record.Base (implements Tracked)
	inHolder bool // tracked, and the Holder is a field of T at holderAt
	holderAt uintptr
	slab     slab         // an empty slab of T, copied by loaders
	snapType reflect.Type // the columns at their offsets (see snapshot)
	spans    []span       // byte ranges of memory-comparable columns (see anyChanged)
	rest     []int        // the other columns
	all      []int        // every column
	snapSlab slab         // an empty slab of snapType
	hint     loadHint     // the table's loads without a cached statement (see makeLoader)
}

type colCodec struct {
	c    *meta.Column
	eq   func(a, b unsafe.Pointer) bool // nil for extra-tracked columns
	deep func(dst unsafe.Pointer)       // re-owns mutable memory in a copy (object or snapshot)
	// snapDeep is deep for a copy in a snapshot: a pointer column's target
	// goes into the snapshot's own slot for it (see snapTypeOf) instead of
	// a new allocation.
	snapDeep func(dst unsafe.Pointer)
	extra    int                           // index in snapshot.extra, or -1
	cp       func(dst, src unsafe.Pointer) // copies the field's value
	get      func(p unsafe.Pointer) any    // the bind value of the field
	zero     func(p unsafe.Pointer) bool   // the field holds its zero value
	// special: the INSERT may fill or read back this column (autoincrement,
	// server or client default, timestamps, version).
	special bool
}

var codecs sync.Map // *meta.Table -> *codec

func codecOf(t *meta.Table) *codec {
	if c, ok := codecs.Load(t); ok {
		return c.(*codec)
	}
	cd := &codec{t: t, tracked: reflect.PointerTo(t.GoType).Implements(trackedType), slab: newSlab(t.GoType)}
	for _, c := range t.Columns {
		cc := colCodec{c: c, extra: -1, cp: copierFor(c.GoType), get: getterFor(c), zero: zeroFor(c)}
		cc.special = c.AutoIncrement || c.ServerDefault != "" || c.Sequence != "" || c.HasDefault ||
			c == t.CreatedAt || c == t.UpdatedAt || c == t.Version || c.Generated != "" || autoUUID(c)
		if c.JSON || c.Kind == meta.KindArray || (c.Valuer && basicEq(c.GoType) == nil && !c.NullType && !c.Ptr) {
			cc.extra = cd.nExtra
			cd.nExtra++
		} else {
			cc.eq = eqFor(c)
			cc.deep = deepFor(c)
		}
		cd.cols = append(cd.cols, cc)
	}
	if cd.tracked {
		// Where ArcHolder's Holder lies in T (record.Base embedded: a
		// field), so that loads reach it without an interface call.
		probe := reflect.New(t.GoType)
		if h := probe.Interface().(Tracked).ArcHolder(); h != nil {
			off := uintptr(unsafe.Pointer(h)) - uintptr(probe.UnsafePointer())
			if off < t.GoType.Size() && off+unsafe.Sizeof(Holder{}) <= t.GoType.Size() {
				cd.inHolder, cd.holderAt = true, off
			}
		}
	}
	cd.spans, cd.rest, cd.all = spansOf(cd.cols)
	var slots map[*meta.Column]uintptr
	cd.snapType, slots = snapTypeOf(t)
	cd.snapSlab = newSlab(cd.snapType)
	for i := range cd.cols {
		cc := &cd.cols[i]
		cc.snapDeep = cc.deep
		if off, ok := slots[cc.c]; ok && cc.deep != nil {
			_, into := ptrCopiers(cc.c.Elem)
			cc.snapDeep = into(off - cc.c.Offset)
		}
	}
	v, _ := codecs.LoadOrStore(t, cd)
	return v.(*codec)
}

// snapTypeOf builds a struct type that holds t's column fields at their
// offsets in t, with pointer-free padding in between, and stops after the
// last column: the snapshot of a model with relationships or an embedded
// record.Base is a fraction of the model's size and holds no pointers
// the GC must follow but the columns'. t's own type is the fallback.
//
// After the columns come slots for the targets of pointer columns of the
// common kinds (*int64, *string, *time.Time ...): a snapshot's copy of
// such a column points at its slot, so taking a snapshot allocates nothing
// per pointer column. slots gives each slot's offset.
func snapTypeOf(t *meta.Table) (typ reflect.Type, slots map[*meta.Column]uintptr) {
	cols := slices.Clone(t.Columns)
	slices.SortFunc(cols, func(a, b *meta.Column) int { return cmp.Compare(a.Offset, b.Offset) })
	var fields []reflect.StructField
	var off uintptr
	for i, c := range cols {
		if c.Offset < off {
			return t.GoType, nil // overlapping fields: cannot happen for a Go struct
		}
		if gap := c.Offset - off; gap > 0 {
			fields = append(fields, reflect.StructField{Name: fmt.Sprintf("Pad%d", i), Type: reflect.ArrayOf(int(gap), reflect.TypeFor[byte]())})
		}
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("C%d", i), Type: c.GoType})
		off = c.Offset + c.GoType.Size()
	}
	for i, c := range cols {
		if _, into := ptrCopiers(c.Elem); c.Ptr && into != nil {
			fields = append(fields, reflect.StructField{Name: fmt.Sprintf("V%d", i), Type: c.Elem})
		}
	}
	st := reflect.StructOf(fields)
	for i, c := range cols {
		f, ok := st.FieldByName(fmt.Sprintf("C%d", i))
		if !ok || f.Offset != c.Offset {
			return t.GoType, nil
		}
		if v, ok := st.FieldByName(fmt.Sprintf("V%d", i)); ok {
			if slots == nil {
				slots = map[*meta.Column]uintptr{}
			}
			slots[c] = v.Offset
		}
	}
	return st, slots
}

// ptrCopiers returns the deep copies of a pointer column whose target is
// of a common kind (time.Time, integers, floats, strings, bools, not of a
// named type): deep allocates a new target (for objects), into moves it
// into the snapshot slot rel bytes after the column (see snapTypeOf).
// Both are nil for other targets.
func ptrCopiers(t reflect.Type) (deep func(p unsafe.Pointer), into func(rel uintptr) func(p unsafe.Pointer)) {
	if t == timeType {
		return deepPtr[time.Time], deepInto[time.Time]
	}
	if t.PkgPath() == "" {
		switch sizedKind(t) {
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

// span is a byte range of an object (and of its snapshot).
type span struct{ off, n uintptr }

// spansOf splits columns into byte ranges whose equal bytes mean equal
// values, merged where adjacent, and the columns that need their eq.
func spansOf(cols []colCodec) (spans []span, rest, all []int) {
	var ps []span
	for i := range cols {
		all = append(all, i)
		cc := &cols[i]
		if cc.extra < 0 && memComparable(cc.c) {
			ps = append(ps, span{cc.c.Offset, cc.c.GoType.Size()})
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

// memComparable reports whether equal bytes of a column mean equal
// values under eqFor: no pointer that eq follows (snapshots deep-copy
// pointer targets and byte slices, so their bytes always differ), no
// padding inside the value.
func memComparable(c *meta.Column) bool {
	if c.Ptr || c.JSON {
		return false
	}
	t := c.GoType
	if t == timeType {
		return true // wall, ext, loc: equal bytes, equal instant
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Bool, reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}

// copierFor returns a typed copy of a field of type t (by kind: a named
// type has its underlying kind's layout).
func copierFor(t reflect.Type) func(dst, src unsafe.Pointer) {
	if t == timeType {
		return copyOf[time.Time]
	}
	switch sizedKind(t) {
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

// take copies the object's column values.
func (cd *codec) take(obj unsafe.Pointer) *snapshot {
	s := &snapshot{}
	cd.takeInto(obj, s)
	return s
}

// takeInto fills s with a copy of the object's column values.
func (cd *codec) takeInto(obj unsafe.Pointer, s *snapshot) {
	cd.takeAt(obj, s, reflect.New(cd.snapType).UnsafePointer())
}

// takeAt fills s with a copy of the object's column values, made in the
// zeroed snapType struct at dst.
func (cd *codec) takeAt(obj unsafe.Pointer, s *snapshot, dst unsafe.Pointer) {
	s.p = dst
	cd.copyCols(dst, obj)
	if cd.nExtra > 0 {
		xs := make([]any, cd.nExtra)
		s.extra = &xs
		for i := range cd.cols {
			cc := &cd.cols[i]
			if cc.extra >= 0 {
				(*s.extra)[cc.extra] = cc.get(unsafe.Add(obj, cc.c.Offset))
			}
		}
	}
}

// snapAll takes the snapshot of every state in sts (just inserted),
// in the states' own snapshot storage where it is free, and a chunk per
// run of the same table for the copies. (A snapshot is replaced, never
// written, so sharing a chunk is safe; it lives while any of them does.)
func snapAll(sts []*state) {
	for i := 0; i < len(sts); {
		cd := sts[i].cd
		j := i + 1
		for j < len(sts) && sts[j].cd == cd {
			j++
		}
		if j-i == 1 || cd.nExtra > 0 {
			for k := i; k < j; k++ {
				sts[k].snap = cd.take(sts[k].obj)
			}
			i = j
			continue
		}
		size := cd.snapType.Size()
		base := reflect.MakeSlice(cd.snapSlab.slice, j-i, j-i).UnsafePointer()
		for k := i; k < j; k++ {
			st := sts[k]
			sp := &st.first
			if sp.p != nil { // a state that was loaded before keeps its first snapshot
				sp = new(snapshot)
			}
			cd.takeAt(st.obj, sp, unsafe.Add(base, uintptr(k-i)*size))
			st.snap = sp
		}
		i = j
	}
}

// copyCols copies the column fields of src (an object or a snapshot)
// into the snapshot struct at dst, deep where the field holds mutable
// memory.
func (cd *codec) copyCols(dst, src unsafe.Pointer) {
	for i := range cd.cols {
		cc := &cd.cols[i]
		off := cc.c.Offset
		cc.cp(unsafe.Add(dst, off), unsafe.Add(src, off))
		if cc.snapDeep != nil {
			cc.snapDeep(unsafe.Add(dst, off))
		}
	}
}

// changed reports whether column i of obj differs from the snapshot.
func (cd *codec) changed(i int, obj unsafe.Pointer, s *snapshot) bool {
	cc := &cd.cols[i]
	if cc.extra >= 0 {
		return !driverEqual(cc.get(unsafe.Add(obj, cc.c.Offset)), (*s.extra)[cc.extra])
	}
	return !cc.eq(unsafe.Add(obj, cc.c.Offset), unsafe.Add(s.p, cc.c.Offset))
}

// anyChanged reports whether any column differs. Columns whose bytes
// decide equality (integers, floats by bits, bools, strings by header,
// time.Time, value structs of those) are first compared as memory, a run
// of adjacent columns at a time: equal bytes mean an equal value, so an
// unchanged object — what autoflush meets before every query — costs a
// memcmp. Different bytes may still be an equal value (a string with the
// same text in other memory), so they fall back to the per-column test.
func (cd *codec) anyChanged(obj unsafe.Pointer, s *snapshot) bool {
	for _, sp := range cd.spans {
		a := unsafe.Slice((*byte)(unsafe.Add(obj, sp.off)), sp.n)
		b := unsafe.Slice((*byte)(unsafe.Add(s.p, sp.off)), sp.n)
		if string(a) != string(b) {
			return cd.anyChangedCols(obj, s, cd.all)
		}
	}
	return cd.anyChangedCols(obj, s, cd.rest)
}

func (cd *codec) anyChangedCols(obj unsafe.Pointer, s *snapshot, cols []int) bool {
	for _, i := range cols {
		if cd.changed(i, obj, s) {
			return true
		}
	}
	return false
}

// restoreCol writes column i of the snapshot back into obj.
func (cd *codec) restoreCol(i int, obj unsafe.Pointer, s *snapshot) {
	cc := &cd.cols[i]
	src := reflect.NewAt(cc.c.GoType, unsafe.Add(s.p, cc.c.Offset)).Elem()
	dst := reflect.NewAt(cc.c.GoType, unsafe.Add(obj, cc.c.Offset)).Elem()
	if cc.extra >= 0 {
		// A JSON column is rebuilt from the JSON taken with the snapshot:
		// the struct copy shares maps and slices that may have been
		// changed in place since. Other Valuer columns get the copy back.
		if cc.c.JSON && s.extra != nil {
			if js, ok := (*s.extra)[cc.extra].(string); ok {
				nv := reflect.New(cc.c.GoType)
				if json.Unmarshal([]byte(js), nv.Interface()) == nil {
					dst.Set(nv.Elem())
					return
				}
			}
		}
		dst.Set(src)
		return
	}
	dst.Set(src)
	if cc.deep != nil {
		cc.deep(unsafe.Add(obj, cc.c.Offset))
	}
}

// restoreChanged writes back the columns that differ from the snapshot
// (comparing is much cheaper than writing through reflection, and most
// objects a rollback or Close visits are unchanged); it reports whether
// any did.
func (cd *codec) restoreChanged(obj unsafe.Pointer, s *snapshot) bool {
	did := false
	for i := range cd.cols {
		if cd.changed(i, obj, s) {
			cd.restoreCol(i, obj, s)
			did = true
		}
	}
	return did
}

// restore writes every column of the snapshot back into obj.
func (cd *codec) restore(obj unsafe.Pointer, s *snapshot) {
	for i := range cd.cols {
		cd.restoreCol(i, obj, s)
	}
}

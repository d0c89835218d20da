// Snapshots and change detection: a codec per model knows how to copy a
// model's column values into a snapshot, compare them, restore them and
// read them as bind values. The memory work is internal/snapshot's.

package session

import (
	"encoding/json"
	"reflect"
	"sync"
	"unsafe"

	"github.com/arcorm/arc/internal/layout"
	snapmem "github.com/arcorm/arc/internal/snapshot"
	"github.com/arcorm/arc/meta"
)

// snapshot is a copy of the object's column fields with deep copies of
// the mutable parts (byte slices, pointer targets), plus the driver
// values of custom Valuer and JSON columns. The copy is a struct of the
// codec's layout (internal/snapshot): every column sits at the offset it
// has in the model, so code reads a snapshot's column c at c.Offset as in
// the object, while relationship fields and other non-column fields are
// not copied.
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
	extras   []int // the columns with extra >= 0
	tracked  bool  // *T embeds record.Base (implements Tracked)
	inHolder bool  // tracked, and the Holder is a field of T at holderAt
	holderAt uintptr
	slab     slab            // an empty slab of T, copied by loaders
	lay      *snapmem.Layout // copies and compares the columns, by their offsets
	snapSlab slab            // an empty slab of the layout's snapshot type
	hint     loadHint        // the table's loads without a cached statement (see makeLoader)
}

type colCodec struct {
	c     *meta.Column
	extra int                        // index in snapshot.extra, or -1
	get   func(p unsafe.Pointer) any // the bind value of the field
	zero  func(p unsafe.Pointer) bool
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
	fields := make([]snapmem.Field, 0, len(t.Columns))
	for i, c := range t.Columns {
		cc := colCodec{c: c, extra: -1, get: getterFor(c), zero: zeroFor(c)}
		cc.special = c.AutoIncrement || c.ServerDefault != "" || c.Sequence != "" || c.HasDefault ||
			c == t.CreatedAt || c == t.UpdatedAt || c == t.Version || c.Generated != "" || autoUUID(c)
		f := snapmem.Field{Offset: c.Offset, Type: c.GoType, Mode: snapmem.Value}
		switch {
		case c.JSON || c.Kind == meta.KindArray || (c.Valuer && !snapmem.Typed(c.GoType) && !c.NullType && !c.Ptr):
			// Compared through their driver values (see changed).
			cc.extra = cd.nExtra
			cd.nExtra++
			cd.extras = append(cd.extras, i)
			f.Mode = snapmem.Opaque
		case c.NullType:
			f.Mode = snapmem.Null
		}
		fields = append(fields, f)
		cd.cols = append(cd.cols, cc)
	}
	if cd.tracked {
		// Where ArcHolder's Holder lies in T (record.Base embedded: a
		// field), so that loads reach it without an interface call.
		probe := reflect.New(t.GoType)
		if h := probe.Interface().(Tracked).ArcHolder(); h != nil {
			if off, ok := layout.OffsetOf(probe.UnsafePointer(), t.GoType, unsafe.Pointer(h), unsafe.Sizeof(Holder{})); ok {
				cd.inHolder, cd.holderAt = true, off
			}
		}
	}
	cd.lay = snapmem.New(t.GoType, fields)
	cd.snapSlab = newSlab(cd.lay.Type())
	v, _ := codecs.LoadOrStore(t, cd)
	return v.(*codec)
}

// take copies the object's column values.
func (cd *codec) take(obj unsafe.Pointer) *snapshot {
	s := &snapshot{}
	cd.takeInto(obj, s)
	return s
}

// takeInto fills s with a copy of the object's column values.
func (cd *codec) takeInto(obj unsafe.Pointer, s *snapshot) {
	cd.takeAt(obj, s, cd.lay.Alloc())
}

// takeAt fills s with a copy of the object's column values, made in the
// zeroed snapshot struct at dst.
func (cd *codec) takeAt(obj unsafe.Pointer, s *snapshot, dst unsafe.Pointer) {
	s.p = dst
	cd.lay.Take(dst, obj)
	if cd.nExtra > 0 {
		xs := make([]any, cd.nExtra)
		s.extra = &xs
		for _, i := range cd.extras {
			cc := &cd.cols[i]
			(*s.extra)[cc.extra] = cc.get(layout.At(obj, cc.c.Offset))
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
		chunk := cd.lay.AllocChunk(j - i)
		for k := i; k < j; k++ {
			st := sts[k]
			sp := &st.first
			if sp.p != nil { // a state that was loaded before keeps its first snapshot
				sp = new(snapshot)
			}
			cd.takeAt(st.obj, sp, chunk.At(k-i))
			st.snap = sp
		}
		i = j
	}
}

// changed reports whether column i of obj differs from the snapshot.
func (cd *codec) changed(i int, obj unsafe.Pointer, s *snapshot) bool {
	cc := &cd.cols[i]
	if cc.extra >= 0 {
		return !driverEqual(cc.get(layout.At(obj, cc.c.Offset)), (*s.extra)[cc.extra])
	}
	return !cd.lay.Equal(i, obj, s.p)
}

// anyChanged reports whether any column differs: the layout compares the
// columns it owns (a memory comparison first, see Layout.Changed in internal/snapshot),
// then the columns compared through their driver values.
func (cd *codec) anyChanged(obj unsafe.Pointer, s *snapshot) bool {
	if cd.lay.Changed(obj, s.p) {
		return true
	}
	for _, i := range cd.extras {
		if cd.changed(i, obj, s) {
			return true
		}
	}
	return false
}

// restoreCol writes column i of the snapshot back into obj.
func (cd *codec) restoreCol(i int, obj unsafe.Pointer, s *snapshot) {
	cc := &cd.cols[i]
	// A JSON column is rebuilt from the JSON taken with the snapshot: the
	// struct copy shares maps and slices that may have been changed in
	// place since. Other columns get the copy back.
	if cc.extra >= 0 && cc.c.JSON && s.extra != nil {
		if js, ok := (*s.extra)[cc.extra].(string); ok {
			nv := reflect.New(cc.c.GoType)
			if json.Unmarshal([]byte(js), nv.Interface()) == nil {
				layout.Value(obj, cc.c.Offset, cc.c.GoType).Set(nv.Elem())
				return
			}
		}
	}
	cd.lay.Restore(i, obj, s.p)
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

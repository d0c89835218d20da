// Package identity is the hash set behind Arc's identity map: pointers
// to entries (the session's per-object states) keyed by a word each entry
// holds, either an object's address or an integer primary key.
//
// Every object a query loads goes into such sets, so they are on the
// hottest path of a load; against a Go map a [Table] takes one
// multiplicative hash and a linear probe over 8-byte slots instead of a
// hash call and 16-byte slots: the key is read from the entry, at the
// offset its [Key] names, not stored.
//
// Deleting leaves a tombstone where a probe may pass the slot (else the
// slot is emptied), so a range over [Table.All] may delete as it goes, as
// with a Go map. Adding while ranging is not supported.
package identity

import (
	"fmt"
	"iter"
	"math"
	"math/bits"
	"reflect"
	"strings"
	"unsafe"
)

// Key says where an entry of type E holds its key. Make one with
// [KeyField], once (a package variable).
type Key[E any] struct {
	off uint32 // the field's offset in E
	ptr bool   // the key is a pointer (an address), else an int64
}

// KeyField returns the key at the field path of E (for example "obj" or
// "key.n"), which must be a pointer (the key is then the address it
// holds) or an int64. It panics otherwise: the caller's bug, found when
// the package that declares the key is initialized.
func KeyField[E any](path string) Key[E] {
	t := reflect.TypeFor[E]()
	var off uintptr
	ft := t
	for _, name := range strings.Split(path, ".") {
		if ft.Kind() != reflect.Struct {
			panic(fmt.Sprintf("identity: %v: %s is not a field path", t, path))
		}
		f, ok := ft.FieldByName(name)
		if !ok || len(f.Index) != 1 {
			panic(fmt.Sprintf("identity: %v has no field %s", t, path))
		}
		off += f.Offset
		ft = f.Type
	}
	if off > math.MaxUint32 {
		panic(fmt.Sprintf("identity: %v.%s lies too far into the struct", t, path))
	}
	switch ft.Kind() {
	case reflect.Pointer, reflect.UnsafePointer:
		return Key[E]{off: uint32(off), ptr: true}
	case reflect.Int64:
		return Key[E]{off: uint32(off)}
	}
	panic(fmt.Sprintf("identity: %v.%s is a %v, not a pointer or an int64", t, path, ft))
}

// Addr is the key of an object's address (for tables keyed by a pointer
// field).
func Addr(p unsafe.Pointer) uint64 { return uint64(uintptr(p)) }

// Int is the key of an integer (for tables keyed by an int64 field).
func Int(n int64) uint64 { return uint64(n) }

// Table is a hash set of *E keyed as its Key says. The zero value is not
// usable: make it with [New].
type Table[E any] struct {
	slots []unsafe.Pointer // *E, nil or tombstone; any length (0 when empty); at least one slot is nil
	n     int              // entries held
	used  int              // entries held + tombstones
	off   uint32           // the key's offset in E (see Key)
	ptr   bool             // the key is an address, else an int64
}

// tombstone marks a slot whose entry was deleted. It is compared, never
// converted to an *E.
var tombstone = unsafe.Pointer(new(uint64))

// New returns an empty table keyed by k.
func New[E any](k Key[E]) Table[E] { return Table[E]{off: k.off, ptr: k.ptr} }

// KeyOf returns e's key.
func (t *Table[E]) KeyOf(e *E) uint64 { return t.keyAt(unsafe.Pointer(e)) }

func (t *Table[E]) keyAt(p unsafe.Pointer) uint64 {
	if t.ptr {
		return uint64(*(*uintptr)(unsafe.Add(p, t.off)))
	}
	return uint64(*(*int64)(unsafe.Add(p, t.off)))
}

// Len is the number of entries held.
func (t *Table[E]) Len() int { return t.n }

// Slots is the number of slots (the table's room, with its load limit of
// 3/4).
func (t *Table[E]) Slots() int { return len(t.slots) }

// home is key k's first slot: k times 2^64/φ (Fibonacci hashing, which
// spreads sequential ids and strided addresses alike) scaled to the
// number of slots by its high bits, so a table's length need not be a
// power of two and a table reserved for n entries takes about 4n/3 slots,
// not the next power of two above that.
func (t *Table[E]) home(k uint64) uint64 {
	hi, _ := bits.Mul64(k*0x9E3779B97F4A7C15, uint64(len(t.slots)))
	return hi
}

// next is the slot after i, wrapping around.
func (t *Table[E]) next(i uint64) uint64 {
	if i++; i == uint64(len(t.slots)) {
		return 0
	}
	return i
}

// prev is the slot before i, wrapping around.
func (t *Table[E]) prev(i uint64) uint64 {
	if i == 0 {
		return uint64(len(t.slots)) - 1
	}
	return i - 1
}

// Get returns the entry with key k, or nil.
func (t *Table[E]) Get(k uint64) *E {
	if t.n == 0 {
		return nil
	}
	for i := t.home(k); ; i = t.next(i) {
		p := t.slots[i]
		if p == nil {
			return nil
		}
		if p != tombstone && t.keyAt(p) == k {
			return (*E)(p)
		}
	}
}

// Put adds e, replacing an entry with the same key.
func (t *Table[E]) Put(e *E) {
	if (t.used+1)*4 > len(t.slots)*3 {
		t.resize(t.n + 1)
	}
	p := unsafe.Pointer(e)
	k := t.keyAt(p)
	free := -1
	for i := t.home(k); ; i = t.next(i) {
		cur := t.slots[i]
		switch {
		case cur == nil:
			if free < 0 {
				free = int(i)
				t.used++
			}
			t.slots[free] = p
			t.n++
			return
		case cur == tombstone:
			if free < 0 {
				free = int(i)
			}
		case t.keyAt(cur) == k:
			t.slots[i] = p
			return
		}
	}
}

// Del removes the entry with key k, if any.
func (t *Table[E]) Del(k uint64) {
	if t.n == 0 {
		return
	}
	for i := t.home(k); ; i = t.next(i) {
		p := t.slots[i]
		if p == nil {
			return
		}
		if p != tombstone && t.keyAt(p) == k {
			t.n--
			if t.slots[t.next(i)] != nil {
				t.slots[i] = tombstone
				return
			}
			// No probe passes slot i (the run it is in ends there): empty
			// it, and the tombstones just before it, so that a table whose
			// entries come and go (a Stream, Expunge) does not fill up
			// with tombstones and rehash.
			t.slots[i] = nil
			t.used--
			for j := t.prev(i); t.slots[j] == tombstone; j = t.prev(j) {
				t.slots[j] = nil
				t.used--
			}
			return
		}
	}
}

// Reserve makes room for n more entries without growing on the way.
//
// When they do not fit, the room the table has beyond its entries is
// taken to be promised already (a joined load reserves for its parents,
// then for its children, before either loads a row): the table grows to
// hold that room and n more, not just its entries and n more. Tables
// sized to the count would otherwise be too small for the two loads
// together and grow by doubling half way through the second.
func (t *Table[E]) Reserve(n int) {
	if (t.used+n)*4 <= len(t.slots)*3 {
		return
	}
	t.resize(max(t.n, len(t.slots)*3/4) + n)
}

// resize rehashes into a table of about 4/3 of want slots, so that want
// entries fill it to a load of 3/4 (tombstones are dropped), and at least
// twice the entries held, so a growing table is rehashed O(log n) times.
// Sized to the count, not to a power of two: a load of 1,000 rows reserves
// 1,334 slots where the next power of two would be 2,048.
func (t *Table[E]) resize(want int) {
	want = max(want, 2*t.n, 5)
	size := (want*4+2)/3 + 1 // ceil(4·want/3), plus one slot that stays nil
	old := t.slots
	t.slots = make([]unsafe.Pointer, size)
	t.n, t.used = 0, 0
	for _, p := range old {
		if p == nil || p == tombstone {
			continue
		}
		i := t.home(t.keyAt(p))
		for t.slots[i] != nil {
			i = t.next(i)
		}
		t.slots[i] = p
		t.n++
		t.used++
	}
}

// Clear removes every entry and keeps the room.
func (t *Table[E]) Clear() {
	if t.used > 0 {
		clear(t.slots)
		t.n, t.used = 0, 0
	}
}

// All iterates over the entries held.
func (t *Table[E]) All() iter.Seq[*E] {
	return func(yield func(*E) bool) {
		if t.n == 0 {
			return
		}
		for _, p := range t.slots {
			if p != nil && p != tombstone && !yield((*E)(p)) {
				return
			}
		}
	}
}

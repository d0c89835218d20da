package session

import (
	"iter"
	"math/bits"
	"unsafe"
)

// stateTable is a hash set of states keyed by something each state
// carries: its object's address (the session's object → state index) or
// its integer primary key (a table's part of the identity map). Every
// object a query loads goes into both, so they are on the hottest path of
// a load; against a Go map this set takes one multiplicative hash and a
// linear probe over 8-byte slots instead of a hash call and 16-byte slots
// (the key is read from the state, not stored).
//
// Deleting leaves a tombstone where a probe may pass the slot (else the
// slot is emptied), so a range over all() may delete as it goes, as with
// a Go map. Adding while ranging is not supported (no loop
// of the session does).
type stateTable struct {
	slots []*state // len is 0 or a power of two; at least one slot is nil
	shift uint8    // 64 - log2(len(slots))
	byKey bool     // keyed by st.key.n, else by st.obj
	n     int      // states held
	used  int      // states held + tombstones
}

// tombstone marks a slot whose state was deleted. It is never written:
// only its address is used.
var tombstone = new(state)

// ptrKey is the key of an object address.
func ptrKey(p unsafe.Pointer) uint64 { return uint64(uintptr(p)) }

func (t *stateTable) keyOf(st *state) uint64 {
	if t.byKey {
		return uint64(st.key.n)
	}
	return ptrKey(st.obj)
}

// home is key k's first slot (Fibonacci hashing: the top bits of k times
// 2^64/φ, which spreads sequential ids and strided addresses alike).
func (t *stateTable) home(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> t.shift }

// get returns the state with key k, or nil.
func (t *stateTable) get(k uint64) *state {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(k); ; i = (i + 1) & mask {
		st := t.slots[i]
		if st == nil {
			return nil
		}
		if st != tombstone && t.keyOf(st) == k {
			return st
		}
	}
}

// put adds st, replacing a state with the same key.
func (t *stateTable) put(st *state) {
	if (t.used+1)*4 > len(t.slots)*3 {
		t.resize(t.n + 1)
	}
	k := t.keyOf(st)
	mask := uint64(len(t.slots) - 1)
	free := -1
	for i := t.home(k); ; i = (i + 1) & mask {
		cur := t.slots[i]
		switch {
		case cur == nil:
			if free < 0 {
				free = int(i)
				t.used++
			}
			t.slots[free] = st
			t.n++
			return
		case cur == tombstone:
			if free < 0 {
				free = int(i)
			}
		case t.keyOf(cur) == k:
			t.slots[i] = st
			return
		}
	}
}

// del removes the state with key k, if any.
func (t *stateTable) del(k uint64) {
	if t.n == 0 {
		return
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(k); ; i = (i + 1) & mask {
		st := t.slots[i]
		if st == nil {
			return
		}
		if st != tombstone && t.keyOf(st) == k {
			t.n--
			if t.slots[(i+1)&mask] != nil {
				t.slots[i] = tombstone
				return
			}
			// No probe passes slot i (the run it is in ends there): empty
			// it, and the tombstones just before it, so that a table whose
			// states come and go (a Stream, Expunge) does not fill up with
			// tombstones and rehash.
			t.slots[i] = nil
			t.used--
			for j := (i - 1) & mask; t.slots[j] == tombstone; j = (j - 1) & mask {
				t.slots[j] = nil
				t.used--
			}
			return
		}
	}
}

// reserve makes room for n more states without growing on the way.
func (t *stateTable) reserve(n int) {
	if want := t.n + n; (want+t.used-t.n)*4 > len(t.slots)*3 {
		t.resize(want)
	}
}

// resize rehashes into the smallest table that holds want states at a
// load of at most 3/4 (tombstones are dropped), and at least twice the
// states held, so a growing table is rehashed O(log n) times.
func (t *stateTable) resize(want int) {
	want = max(want, 2*t.n)
	size := 8
	for size*3 < want*4 {
		size *= 2
	}
	old := t.slots
	t.slots = make([]*state, size)
	t.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	t.n, t.used = 0, 0
	mask := uint64(size - 1)
	for _, st := range old {
		if st == nil || st == tombstone {
			continue
		}
		i := t.home(t.keyOf(st))
		for t.slots[i] != nil {
			i = (i + 1) & mask
		}
		t.slots[i] = st
		t.n++
		t.used++
	}
}

// clear removes every state and keeps the room.
func (t *stateTable) clear() {
	if t.used > 0 {
		clear(t.slots)
		t.n, t.used = 0, 0
	}
}

// all iterates over the states held.
func (t *stateTable) all() iter.Seq[*state] {
	return func(yield func(*state) bool) {
		if t.n == 0 {
			return
		}
		for _, st := range t.slots {
			if st != nil && st != tombstone && !yield(st) {
				return
			}
		}
	}
}

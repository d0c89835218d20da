package session

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestStateTable checks the hash set against a Go map through random
// puts, replacing puts, deletes and clears, in both key modes, with keys
// that collide in their low bits (strided addresses) and sequential ids.
func TestStateTable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		byKey bool
		key   func(i int) uint64
	}{
		{"ids", true, func(i int) uint64 { return uint64(i + 1) }},
		{"negative ids", true, func(i int) uint64 { return uint64(-int64(i)) }},
		{"addresses", false, nil}, // 128-byte stride, as in a slab of structs
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := &stateTable{byKey: tc.byKey}
			want := map[uint64]*state{}
			objs := make([]byte, 3000*128)
			key := tc.key
			if key == nil {
				key = func(i int) uint64 { return ptrKey(unsafe.Pointer(&objs[i*128])) }
			}
			mk := func(i int) *state {
				st := &state{}
				if tc.byKey {
					st.key.n = int64(key(i))
				} else {
					st.obj = unsafe.Pointer(&objs[i*128])
				}
				return st
			}
			keyOf := tab.keyOf
			rng := rand.New(rand.NewPCG(1, 2))
			check := func(step int) {
				t.Helper()
				if tab.n != len(want) {
					t.Fatalf("step %d: n = %d, want %d", step, tab.n, len(want))
				}
				seen := 0
				for st := range tab.all() {
					if want[keyOf(st)] != st {
						t.Fatalf("step %d: all() yields a state not held", step)
					}
					seen++
				}
				if seen != len(want) {
					t.Fatalf("step %d: all() yields %d states, want %d", step, seen, len(want))
				}
			}
			for step := range 20000 {
				i := rng.IntN(3000)
				k := key(i)
				switch op := rng.IntN(10); {
				case op < 5:
					st := mk(i)
					tab.put(st)
					want[k] = st
				case op < 9:
					tab.del(k)
					delete(want, k)
				case step%1000 == 0:
					tab.clear()
					clear(want)
				}
				if got := tab.get(k); got != want[k] {
					t.Fatalf("step %d: get(%d) = %p, want %p", step, k, got, want[k])
				}
				if step%997 == 0 {
					check(step)
				}
			}
			check(-1)
			// Deleting while ranging, as commit and rollback do.
			for st := range tab.all() {
				tab.del(tab.keyOf(st))
				delete(want, keyOf(st))
			}
			check(-2)
			tab.reserve(5000)
			if got := len(tab.slots); got*3 < 5000*4 {
				t.Fatalf("reserve(5000): %d slots", got)
			}
		})
	}
}

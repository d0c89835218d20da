package identity

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"pgregory.net/rapid"
)

// entry is a test entry with its keys away from offset 0, as the
// session's state has them.
type entry struct {
	_    [3]uint64
	obj  unsafe.Pointer
	Mark bool // exported: named only through KeyField's reflection
	key  struct {
		s string
		n int64
	}
}

var (
	byObj = KeyField[entry]("obj")
	byN   = KeyField[entry]("key.n")
)

// colliding returns n int keys that all share their home slot in tables
// of up to 64 slots: the first one, or with atEnd the last one, so that
// probes wrap around.
func colliding(n int, atEnd bool) []uint64 {
	var out []uint64
	want := uint64(0)
	if atEnd {
		want = 63
	}
	for k := uint64(1); len(out) < n; k++ {
		if (k*0x9E3779B97F4A7C15)>>58 == want {
			out = append(out, k)
		}
	}
	return out
}

// TestTableRapid checks the open-addressing set against a Go map with
// rapid's state machine: puts (new and replacing), deletes (held and
// absent keys), gets, reserves, clears, and deleting while ranging, as the
// session's commit and rollback do. Keys are drawn from a small pool so
// that collisions, replacements, tombstone reuse and resizes over
// tombstones all happen; in the address mode the keys are addresses of
// objects in one slab with a random stride, as the loader allocates them,
// and in the colliding mode every key has the same home slot.
func TestTableRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mode := rapid.SampledFrom([]string{"ids", "negative ids", "colliding ids", "colliding at the end", "addresses"}).Draw(t, "mode")
		pool := rapid.IntRange(1, 300).Draw(t, "pool")
		stride := rapid.SampledFrom([]int{8, 16, 24, 48, 128, 4096}).Draw(t, "stride")
		objs := make([]byte, pool*stride)
		var coll []uint64
		if mode == "colliding ids" || mode == "colliding at the end" {
			coll = colliding(pool, mode == "colliding at the end")
		}
		keyAt := func(i int) uint64 {
			switch mode {
			case "ids":
				return Int(int64(i))
			case "negative ids":
				return Int(-int64(i))
			case "colliding ids", "colliding at the end":
				return coll[i]
			}
			return Addr(unsafe.Pointer(&objs[i*stride]))
		}
		mk := func(i int) *entry {
			e := &entry{}
			if mode == "addresses" {
				e.obj = unsafe.Pointer(&objs[i*stride])
			} else {
				e.key.n = int64(keyAt(i))
			}
			return e
		}
		tab := New(byN)
		if mode == "addresses" {
			tab = New(byObj)
		}
		want := map[uint64]*entry{}
		check := func() {
			if tab.Len() != len(want) {
				t.Fatalf("Len = %d, want %d", tab.Len(), len(want))
			}
			if tab.used < tab.n || (len(tab.slots) > 0 && tab.used >= len(tab.slots)) {
				t.Fatalf("used = %d with n = %d and %d slots: no free slot left", tab.used, tab.n, len(tab.slots))
			}
			occupied := 0
			for _, p := range tab.slots {
				if p != nil {
					occupied++
				}
			}
			if occupied != tab.used {
				t.Fatalf("used = %d, but %d slots hold an entry or a tombstone", tab.used, occupied)
			}
			seen := map[*entry]bool{}
			for e := range tab.All() {
				if seen[e] {
					t.Fatalf("All() yields %p twice", e)
				}
				seen[e] = true
				if want[tab.KeyOf(e)] != e {
					t.Fatalf("All() yields an entry not held under its key")
				}
			}
			if len(seen) != len(want) {
				t.Fatalf("All() yields %d entries, want %d", len(seen), len(want))
			}
			for k, e := range want {
				if got := tab.Get(k); got != e {
					t.Fatalf("Get(%#x) = %p, want %p", k, got, e)
				}
			}
		}
		t.Repeat(map[string]func(*rapid.T){
			"put": func(t *rapid.T) {
				i := rapid.IntRange(0, pool-1).Draw(t, "i")
				e := mk(i)
				tab.Put(e)
				want[keyAt(i)] = e
			},
			"del": func(t *rapid.T) {
				i := rapid.IntRange(0, pool-1).Draw(t, "i")
				tab.Del(keyAt(i))
				delete(want, keyAt(i))
			},
			"get": func(t *rapid.T) {
				i := rapid.IntRange(0, pool-1).Draw(t, "i")
				if got, w := tab.Get(keyAt(i)), want[keyAt(i)]; got != w {
					t.Fatalf("Get(%d) = %p, want %p", i, got, w)
				}
			},
			"reserve": func(t *rapid.T) {
				tab.Reserve(rapid.IntRange(0, 500).Draw(t, "n"))
			},
			"clear": func(t *rapid.T) {
				if rapid.IntRange(0, 9).Draw(t, "rarely") == 0 {
					tab.Clear()
					clear(want)
				}
			},
			"delete while ranging": func(t *rapid.T) {
				every := rapid.IntRange(1, 4).Draw(t, "every")
				j := 0
				for e := range tab.All() {
					if j%every == 0 {
						k := tab.KeyOf(e)
						tab.Del(k)
						delete(want, k)
					}
					j++
				}
			},
			"": func(t *rapid.T) { check() },
		})
	})
}

// TestTable checks the hash set against a Go map through many random
// puts, replacing puts, deletes and clears, in both key modes, with keys
// that collide in their low bits (strided addresses) and sequential ids:
// the long run that grows the table to thousands of slots.
func TestTable(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  func(i int) uint64
	}{
		{"ids", func(i int) uint64 { return Int(int64(i + 1)) }},
		{"negative ids", func(i int) uint64 { return Int(-int64(i)) }},
		{"addresses", nil}, // 128-byte stride, as in a slab of structs
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := New(byN)
			objs := make([]byte, 3000*128)
			key := tc.key
			if key == nil {
				tab = New(byObj)
				key = func(i int) uint64 { return Addr(unsafe.Pointer(&objs[i*128])) }
			}
			want := map[uint64]*entry{}
			mk := func(i int) *entry {
				e := &entry{}
				if tc.key != nil {
					e.key.n = int64(key(i))
				} else {
					e.obj = unsafe.Pointer(&objs[i*128])
				}
				return e
			}
			rng := rand.New(rand.NewPCG(1, 2))
			check := func(step int) {
				t.Helper()
				if tab.Len() != len(want) {
					t.Fatalf("step %d: Len = %d, want %d", step, tab.Len(), len(want))
				}
				seen := 0
				for e := range tab.All() {
					if want[tab.KeyOf(e)] != e {
						t.Fatalf("step %d: All() yields an entry not held", step)
					}
					seen++
				}
				if seen != len(want) {
					t.Fatalf("step %d: All() yields %d entries, want %d", step, seen, len(want))
				}
			}
			for step := range 20000 {
				i := rng.IntN(3000)
				k := key(i)
				switch op := rng.IntN(10); {
				case op < 5:
					e := mk(i)
					tab.Put(e)
					want[k] = e
				case op < 9:
					tab.Del(k)
					delete(want, k)
				case step%1000 == 0:
					tab.Clear()
					clear(want)
				}
				if got := tab.Get(k); got != want[k] {
					t.Fatalf("step %d: Get(%d) = %p, want %p", step, k, got, want[k])
				}
				if step%997 == 0 {
					check(step)
				}
			}
			check(-1)
			// Deleting while ranging, as commit and rollback do.
			for e := range tab.All() {
				k := tab.KeyOf(e)
				tab.Del(k)
				delete(want, k)
			}
			check(-2)
			tab.Reserve(5000)
			if got := len(tab.slots); got*3 < 5000*4 {
				t.Fatalf("Reserve(5000): %d slots", got)
			}
		})
	}
}

// TestKeyField checks the key's offset against the field's and that a
// path that names no pointer or int64 field panics.
func TestKeyField(t *testing.T) {
	var e entry
	if got, want := uintptr(byN.off), unsafe.Offsetof(e.key)+unsafe.Offsetof(e.key.n); got != want || byN.ptr {
		t.Fatalf("key.n at %d (ptr %v), want %d", got, byN.ptr, want)
	}
	if got, want := uintptr(byObj.off), unsafe.Offsetof(e.obj); got != want || !byObj.ptr {
		t.Fatalf("obj at %d (ptr %v), want %d", got, byObj.ptr, want)
	}
	for _, path := range []string{"Mark", "key.s", "key", "nope", "key.n.x", "_"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("KeyField(%q) did not panic", path)
				}
			}()
			KeyField[entry](path)
		}()
	}
}

func TestTableSize(t *testing.T) {
	// Six words: a session keeps one per table it loads.
	if got := unsafe.Sizeof(Table[entry]{}); got > 6*unsafe.Sizeof(uintptr(0)) {
		t.Fatalf("Table is %d bytes", got)
	}
}

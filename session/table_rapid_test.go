package session

import (
	"testing"
	"unsafe"

	"pgregory.net/rapid"

	"github.com/arcorm/arc/meta"
)

// TestStateTableRapid checks the open-addressing set against a Go map
// with rapid's state machine: puts (new and replacing), deletes (held and
// absent keys), gets, reserves, clears, and deleting while ranging, as the
// session's commit and rollback do. Keys are drawn from a small pool so
// that collisions, replacements, tombstone reuse and resizes over
// tombstones all happen; in the address mode the keys are addresses of
// objects in one slab with a random stride, as the loader allocates them.
// Part of the investigation of issue 19 item 25 (objects becoming
// detached): the table never lost or misplaced a state here.
func TestStateTableRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		byKey := rapid.Bool().Draw(t, "byKey")
		pool := rapid.IntRange(1, 300).Draw(t, "pool")
		stride := rapid.SampledFrom([]int{8, 16, 24, 48, 128, 4096}).Draw(t, "stride")
		objs := make([]byte, pool*stride)
		negative := rapid.Bool().Draw(t, "negative")
		keyAt := func(i int) uint64 {
			if byKey {
				if negative {
					return uint64(-int64(i))
				}
				return uint64(i)
			}
			return ptrKey(unsafe.Pointer(&objs[i*stride]))
		}
		mk := func(i int) *state {
			st := &state{}
			if byKey {
				st.key.n = int64(keyAt(i))
			} else {
				st.obj = unsafe.Pointer(&objs[i*stride])
			}
			return st
		}
		tab := &stateTable{byKey: byKey}
		want := map[uint64]*state{}
		check := func() {
			if tab.n != len(want) {
				t.Fatalf("n = %d, want %d", tab.n, len(want))
			}
			if tab.used < tab.n || (len(tab.slots) > 0 && tab.used >= len(tab.slots)) {
				t.Fatalf("used = %d with n = %d and %d slots: no free slot left", tab.used, tab.n, len(tab.slots))
			}
			occupied := 0
			for _, st := range tab.slots {
				if st != nil {
					occupied++
				}
			}
			if occupied != tab.used {
				t.Fatalf("used = %d, but %d slots hold a state or a tombstone", tab.used, occupied)
			}
			seen := map[*state]bool{}
			for st := range tab.all() {
				if seen[st] {
					t.Fatalf("all() yields %p twice", st)
				}
				seen[st] = true
				if want[tab.keyOf(st)] != st {
					t.Fatalf("all() yields a state not held under its key")
				}
			}
			if len(seen) != len(want) {
				t.Fatalf("all() yields %d states, want %d", len(seen), len(want))
			}
			for k, st := range want {
				if got := tab.get(k); got != st {
					t.Fatalf("get(%#x) = %p, want %p", k, got, st)
				}
			}
		}
		t.Repeat(map[string]func(*rapid.T){
			"put": func(t *rapid.T) {
				i := rapid.IntRange(0, pool-1).Draw(t, "i")
				st := mk(i)
				tab.put(st)
				want[keyAt(i)] = st
			},
			"del": func(t *rapid.T) {
				i := rapid.IntRange(0, pool-1).Draw(t, "i")
				tab.del(keyAt(i))
				delete(want, keyAt(i))
			},
			"get": func(t *rapid.T) {
				i := rapid.IntRange(0, pool-1).Draw(t, "i")
				if got, w := tab.get(keyAt(i)), want[keyAt(i)]; got != w {
					t.Fatalf("get(%d) = %p, want %p", i, got, w)
				}
			},
			"reserve": func(t *rapid.T) {
				tab.reserve(rapid.IntRange(0, 500).Draw(t, "n"))
			},
			"clear": func(t *rapid.T) {
				if rapid.IntRange(0, 9).Draw(t, "rarely") == 0 {
					tab.clear()
					clear(want)
				}
			},
			"delete while ranging": func(t *rapid.T) {
				every := rapid.IntRange(1, 4).Draw(t, "every")
				j := 0
				for st := range tab.all() {
					if j%every == 0 {
						k := tab.keyOf(st)
						tab.del(k)
						delete(want, k)
					}
					j++
				}
			},
			"": func(t *rapid.T) { check() },
		})
	})
}

// TestIdentityMapRapid checks the identity map (integer keys in per-table
// sets, other keys in a Go map, the last-table shortcut) against a Go map
// keyed by ikey, across two tables and both kinds of key.
func TestIdentityMapRapid(t *testing.T) {
	tabs := []*meta.Table{{Name: "a"}, {Name: "b"}}
	rapid.Check(t, func(t *rapid.T) {
		var m identityMap
		want := map[ikey]*state{}
		cds := []*codec{{t: tabs[0]}, {t: tabs[1]}}
		drawKey := func(t *rapid.T) (*codec, skey) {
			cd := cds[rapid.IntRange(0, 1).Draw(t, "table")]
			if rapid.Bool().Draw(t, "int") {
				return cd, skey{n: int64(rapid.IntRange(-20, 60).Draw(t, "n"))}
			}
			return cd, skey{s: rapid.SampledFrom([]string{"x", "y", "\x00", "i\x80"}).Draw(t, "s")}
		}
		t.Repeat(map[string]func(*rapid.T){
			"put": func(t *rapid.T) {
				cd, k := drawKey(t)
				st := &state{cd: cd, key: k, hasKey: true}
				m.put(st)
				want[st.ikey()] = st
			},
			"del": func(t *rapid.T) {
				cd, k := drawKey(t)
				ik := ikey{cd.t, k.n, k.s}
				m.del(ik)
				delete(want, ik)
			},
			"get": func(t *rapid.T) {
				cd, k := drawKey(t)
				ik := ikey{cd.t, k.n, k.s}
				if got := m.get(ik); got != want[ik] {
					t.Fatalf("get(%v) = %p, want %p", k, got, want[ik])
				}
			},
			"reserve": func(t *rapid.T) {
				m.reserve(cds[rapid.IntRange(0, 1).Draw(t, "table")].t, rapid.IntRange(0, 100).Draw(t, "n"))
			},
			"clear": func(t *rapid.T) {
				if rapid.IntRange(0, 9).Draw(t, "rarely") == 0 {
					m.clear()
					clear(want)
				}
			},
			"": func(t *rapid.T) {
				n := 0
				for st := range m.all() {
					n++
					if want[st.ikey()] != st {
						t.Fatalf("all() yields %v, not held under its key", st.key)
					}
				}
				if n != len(want) {
					t.Fatalf("all() yields %d states, want %d", n, len(want))
				}
			},
		})
	})
}

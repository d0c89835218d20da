package session

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/arcorm/arc/meta"
)

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
				return cd, ikey{n: int64(rapid.IntRange(-20, 60).Draw(t, "n"))}.sk()
			}
			return cd, ikey{s: rapid.SampledFrom([]string{"x", "y", "\x00", "i\x80"}).Draw(t, "s")}.sk()
		}
		t.Repeat(map[string]func(*rapid.T){
			"put": func(t *rapid.T) {
				cd, k := drawKey(t)
				st := &state{cd: cd, key: k, bits: bHasKey}
				m.put(st)
				want[st.ikey()] = st
			},
			"del": func(t *rapid.T) {
				cd, k := drawKey(t)
				ik := ikey{cd.t, k.num(), k.str()}
				m.del(ik)
				delete(want, ik)
			},
			"get": func(t *rapid.T) {
				cd, k := drawKey(t)
				ik := ikey{cd.t, k.num(), k.str()}
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

package lru

import (
	"slices"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// op is one step of a table case: Get (want the value, or "" for a miss)
// or Store (want the kept value).
type op struct {
	get  bool
	k    int
	v    string
	want string
}

func TestCache(t *testing.T) {
	cases := []struct {
		name string
		max  int
		ops  []op
		keys []int // recency order after the ops, most recent first
	}{
		{"empty miss", 2, []op{{get: true, k: 1}}, []int{}},
		{"store then get", 2, []op{{k: 1, v: "a", want: "a"}, {get: true, k: 1, want: "a"}}, []int{1}},
		{"store keeps the first", 2, []op{{k: 1, v: "a", want: "a"}, {k: 1, v: "b", want: "a"}, {get: true, k: 1, want: "a"}}, []int{1}},
		{"evicts the least recent", 2, []op{
			{k: 1, v: "a", want: "a"}, {k: 2, v: "b", want: "b"}, {k: 3, v: "c", want: "c"},
			{get: true, k: 1}, {get: true, k: 2, want: "b"}, {get: true, k: 3, want: "c"},
		}, []int{3, 2}},
		{"a get refreshes", 2, []op{
			{k: 1, v: "a", want: "a"}, {k: 2, v: "b", want: "b"}, {get: true, k: 1, want: "a"}, {k: 3, v: "c", want: "c"},
			{get: true, k: 2}, {get: true, k: 1, want: "a"},
		}, []int{1, 3}},
		{"a repeated store refreshes", 2, []op{
			{k: 1, v: "a", want: "a"}, {k: 2, v: "b", want: "b"}, {k: 1, v: "x", want: "a"}, {k: 3, v: "c", want: "c"},
		}, []int{3, 1}},
		{"size one", 1, []op{{k: 1, v: "a", want: "a"}, {k: 2, v: "b", want: "b"}, {get: true, k: 1}, {get: true, k: 2, want: "b"}}, []int{2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := New[int, string](tc.max)
			for i, o := range tc.ops {
				if o.get {
					v, ok := c.Get(o.k)
					if ok != (o.want != "") || v != o.want {
						t.Fatalf("op %d: Get(%d) = %q, %v; want %q", i, o.k, v, ok, o.want)
					}
				} else if got := c.Store(o.k, o.v); got != o.want {
					t.Fatalf("op %d: Store(%d, %q) = %q; want %q", i, o.k, o.v, got, o.want)
				}
			}
			if got := c.Keys(); !slices.Equal(got, tc.keys) {
				t.Fatalf("keys %v, want %v", got, tc.keys)
			}
		})
	}
}

func TestDisabled(t *testing.T) {
	for _, n := range []int{0, -1} {
		c := New[int, int](n)
		if c != nil {
			t.Fatalf("New(%d) = %v, want nil", n, c)
		}
		if got := c.Store(1, 2); got != 2 {
			t.Fatalf("Store = %d", got)
		}
		if _, ok := c.Get(1); ok || c.Len() != 0 || c.Keys() != nil || c.Stats() != (Stats{}) {
			t.Fatal("a disabled cache kept something")
		}
	}
}

func TestStats(t *testing.T) {
	c := New[int, int](2)
	c.Store(1, 1)
	c.Store(2, 2)
	c.Get(1)
	c.Get(3)
	c.Store(3, 3) // evicts 2
	want := Stats{Len: 2, Max: 2, Hits: 1, Misses: 1, Evictions: 1}
	if got := c.Stats(); got != want {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
}

// model is the reference: keys and values in a slice, most recent first.
type model struct {
	max  int
	keys []int
	vals []int
}

func (m *model) get(k int) (int, bool) {
	i := slices.Index(m.keys, k)
	if i < 0 {
		return 0, false
	}
	m.touch(i)
	return m.vals[0], true
}

func (m *model) touch(i int) {
	k, v := m.keys[i], m.vals[i]
	m.keys = slices.Insert(slices.Delete(m.keys, i, i+1), 0, k)
	m.vals = slices.Insert(slices.Delete(m.vals, i, i+1), 0, v)
}

func (m *model) store(k, v int) int {
	if i := slices.Index(m.keys, k); i >= 0 {
		m.touch(i)
		return m.vals[0]
	}
	m.keys = slices.Insert(m.keys, 0, k)
	m.vals = slices.Insert(m.vals, 0, v)
	if len(m.keys) > m.max {
		m.keys, m.vals = m.keys[:m.max], m.vals[:m.max]
	}
	return v
}

// TestModel runs random Gets and Stores against the slice model: same
// answers, same keys in the same recency order, never past the bound.
func TestModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		max := rapid.IntRange(1, 8).Draw(t, "max")
		c, m := New[int, int](max), &model{max: max}
		key := rapid.IntRange(0, 12)
		for range rapid.IntRange(0, 200).Draw(t, "ops") {
			k := key.Draw(t, "k")
			if rapid.Bool().Draw(t, "get") {
				v, ok := c.Get(k)
				mv, mok := m.get(k)
				if v != mv || ok != mok {
					t.Fatalf("Get(%d) = %d, %v; model %d, %v", k, v, ok, mv, mok)
				}
			} else {
				v := rapid.Int().Draw(t, "v")
				if got, want := c.Store(k, v), m.store(k, v); got != want {
					t.Fatalf("Store(%d, %d) = %d; model %d", k, v, got, want)
				}
			}
			if got := c.Keys(); !slices.Equal(got, m.keys) {
				t.Fatalf("keys %v; model %v", got, m.keys)
			}
			if c.Len() > max {
				t.Fatalf("%d entries, bound %d", c.Len(), max)
			}
		}
	})
}

// TestConcurrent: goroutines storing and reading overlapping keys keep the
// bound, the map and the list consistent, and see only the values stored
// under each key (run with -race).
func TestConcurrent(t *testing.T) {
	c := New[int, int](64)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3000 {
				k := (g*7 + i) % 200
				if v, ok := c.Get(k); ok && v != k*10 {
					t.Errorf("Get(%d) = %d", k, v)
				}
				if got := c.Store(k, k*10); got != k*10 {
					t.Errorf("Store(%d) = %d", k, got)
				}
			}
		}()
	}
	wg.Wait()
	keys := c.Keys()
	if len(keys) != c.Len() || len(keys) > 64 {
		t.Fatalf("%d keys listed, Len %d, bound 64", len(keys), c.Len())
	}
	st := c.Stats()
	if st.Hits+st.Misses != 8*3000 {
		t.Fatalf("stats %+v: %d gets counted, want %d", st, st.Hits+st.Misses, 8*3000)
	}
}

func BenchmarkGetHit(b *testing.B) {
	type key struct {
		p    *int
		kind byte
		mask uint64
	}
	c := New[any, any](1024)
	p := new(int)
	for i := range 512 {
		c.Store(key{p, 'u', uint64(i)}, "x")
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := c.Get(key{p, 'u', uint64(i % 512)}); !ok {
			b.Fatal("miss")
		}
	}
}

// The same workload on sync.Map (what the package-level memos used), for
// comparison.
func BenchmarkSyncMapHit(b *testing.B) {
	type key struct {
		p    *int
		kind byte
		mask uint64
	}
	var m sync.Map
	p := new(int)
	for i := range 512 {
		m.Store(key{p, 'u', uint64(i)}, "x")
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := m.Load(key{p, 'u', uint64(i % 512)}); !ok {
			b.Fatal("miss")
		}
	}
}

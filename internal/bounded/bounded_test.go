package bounded

import (
	"sync"
	"testing"
)

func TestBound(t *testing.T) {
	c := New[int, string](100)
	for i := range 10_000 {
		if got := c.Store(i, "v"); got != "v" {
			t.Fatalf("Store(%d) = %q", i, got)
		}
		if c.Len() > c.Max() {
			t.Fatalf("%d entries after %d stores, bound %d", c.Len(), i+1, c.Max())
		}
	}
	if c.Evictions() < 10_000-100 {
		t.Fatalf("evictions %d", c.Evictions())
	}
	n := 0
	c.m.Range(func(_, _ any) bool { n++; return true })
	if n != c.Len() {
		t.Fatalf("Len %d, entries %d", c.Len(), n)
	}
}

func TestStoreKeepsFirst(t *testing.T) {
	c := New[string, int](10)
	if got := c.Store("a", 1); got != 1 {
		t.Fatal(got)
	}
	if got := c.Store("a", 2); got != 1 {
		t.Fatalf("second store returned %d, want the kept 1", got)
	}
	if v, ok := c.Load("a"); !ok || v != 1 {
		t.Fatal(v, ok)
	}
	if _, ok := c.Load("b"); ok {
		t.Fatal("b")
	}
}

// Concurrent stores past the bound keep the count exact and the bound
// (run with -race).
func TestConcurrent(t *testing.T) {
	c := New[int, int](64)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := g*10_000 + i%300
				if v, ok := c.Load(k); ok && v != k {
					t.Errorf("Load(%d) = %d", k, v)
				}
				c.Store(k, k)
			}
		}()
	}
	wg.Wait()
	n := 0
	c.m.Range(func(_, _ any) bool { n++; return true })
	if n != c.Len() || n > c.Max()+8 {
		t.Fatalf("Len %d, entries %d, bound %d", c.Len(), n, c.Max())
	}
}

func BenchmarkLoadHit(b *testing.B) {
	c := New[int, string](1024)
	for i := range 512 {
		c.Store(i, "x")
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c.Load(i & 511)
			i++
		}
	})
}

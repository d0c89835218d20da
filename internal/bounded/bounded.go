// Package bounded is a concurrent memo with a maximum number of entries:
// the caches of derived SQL text and column lists that are keyed by data
// (a set of changed columns, a batch size), which a plain sync.Map would
// let grow without limit (2^n column sets per table).
//
// Reads are a sync.Map load: no lock. A store past the bound evicts
// entries until a quarter of the room is free again (map iteration order,
// so arbitrary entries: a hot entry evicted is rebuilt on its next use),
// which keeps stores amortized O(1). It is a bound, not an LRU.
package bounded

import (
	"sync"
	"sync/atomic"
)

// Map is a bounded concurrent map from K to V. The zero value is not
// usable; make one with New.
type Map[K comparable, V any] struct {
	m     sync.Map
	n     atomic.Int64
	max   int64
	mu    sync.Mutex // one eviction at a time
	evict atomic.Int64
}

// New returns a Map that holds at most n entries (at least 4).
func New[K comparable, V any](n int) *Map[K, V] {
	return &Map[K, V]{max: int64(max(n, 4))}
}

// Load returns the value stored under k.
func (c *Map[K, V]) Load(k K) (v V, ok bool) {
	x, ok := c.m.Load(k)
	if !ok {
		return v, false
	}
	return x.(V), true
}

// Store stores v under k unless a value is there already, and returns the
// value the map keeps.
func (c *Map[K, V]) Store(k K, v V) V {
	x, loaded := c.m.LoadOrStore(k, v)
	if loaded {
		return x.(V)
	}
	if c.n.Add(1) > c.max {
		c.shrink()
	}
	return v
}

func (c *Map[K, V]) shrink() {
	c.mu.Lock()
	defer c.mu.Unlock()
	target := c.max - c.max/4
	c.m.Range(func(k, _ any) bool {
		if c.n.Load() <= target {
			return false
		}
		if _, ok := c.m.LoadAndDelete(k); ok {
			c.n.Add(-1)
			c.evict.Add(1)
		}
		return true
	})
}

// Len is the number of entries (approximate while stores run).
func (c *Map[K, V]) Len() int { return int(c.n.Load()) }

// Evictions is how many entries the bound has removed so far.
func (c *Map[K, V]) Evictions() int { return int(c.evict.Load()) }

// Max is the bound.
func (c *Map[K, V]) Max() int { return int(c.max) }

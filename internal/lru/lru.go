// Package lru is a size-bounded cache that evicts the least recently used
// entry: the engine's compiled cache (SQLAlchemy's compiled_cache), where
// the statement texts Arc renders are kept by shape.
//
// Get and Store are O(1) under one mutex: a map from key to a slot of a
// fixed array of entries, linked in use order by slot indexes, so a hit
// allocates nothing and a store past the bound reuses the evicted slot.
// A nil *Cache is a disabled cache: every Get misses and Store keeps
// nothing.
//
// lru imports only the standard library.
package lru

import "sync"

// Cache is a concurrent LRU cache from K to V. Make one with New.
type Cache[K comparable, V any] struct {
	mu    sync.Mutex
	m     map[K]int32
	ents  []entry[K, V] // slots; len grows to max, then slots are reused
	head  int32         // most recently used, -1 when empty
	tail  int32         // least recently used, -1 when empty
	max   int
	stats Stats
}

type entry[K comparable, V any] struct {
	k          K
	v          V
	prev, next int32 // toward head, toward tail; -1 at the ends
}

// Stats counts a cache's use.
type Stats struct {
	Len       int    // entries held
	Max       int    // the bound
	Hits      uint64 // Gets that found their key
	Misses    uint64 // Gets that did not
	Evictions uint64 // entries removed to make room
}

// New returns a cache of at most n entries, or nil (disabled) when n <= 0.
func New[K comparable, V any](n int) *Cache[K, V] {
	if n <= 0 {
		return nil
	}
	n = min(n, 1<<30)
	return &Cache[K, V]{m: make(map[K]int32, min(n, 64)), head: -1, tail: -1, max: n}
}

// Get returns the value stored under k and marks it most recently used.
func (c *Cache[K, V]) Get(k K) (v V, ok bool) {
	if c == nil {
		return v, false
	}
	c.mu.Lock()
	i, ok := c.m[k]
	if !ok {
		c.stats.Misses++
		c.mu.Unlock()
		return v, false
	}
	c.stats.Hits++
	c.toFront(i)
	v = c.ents[i].v
	c.mu.Unlock()
	return v, true
}

// Store stores v under k unless a value is there already, and returns the
// value the cache keeps (so that goroutines that built the same entry at
// once share one). Past the bound, the least recently used entry goes.
func (c *Cache[K, V]) Store(k K, v V) V {
	if c == nil {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.m[k]; ok {
		c.toFront(i)
		return c.ents[i].v
	}
	var i int32
	if len(c.ents) < c.max {
		i = int32(len(c.ents))
		c.ents = append(c.ents, entry[K, V]{})
	} else {
		i = c.tail
		c.unlink(i)
		delete(c.m, c.ents[i].k)
		c.stats.Evictions++
	}
	c.ents[i] = entry[K, V]{k: k, v: v, prev: -1, next: -1}
	c.m[k] = i
	c.pushFront(i)
	return v
}

// Len is the number of entries.
func (c *Cache[K, V]) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Stats returns the cache's counters (zero for a nil cache).
func (c *Cache[K, V]) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Len, s.Max = len(c.m), c.max
	return s
}

// Keys lists the keys from the most recently used to the least (for tests
// and diagnostics).
func (c *Cache[K, V]) Keys() []K {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]K, 0, len(c.m))
	for i := c.head; i >= 0; i = c.ents[i].next {
		out = append(out, c.ents[i].k)
	}
	return out
}

func (c *Cache[K, V]) toFront(i int32) {
	if c.head == i {
		return
	}
	c.unlink(i)
	c.pushFront(i)
}

func (c *Cache[K, V]) unlink(i int32) {
	e := &c.ents[i]
	if e.prev >= 0 {
		c.ents[e.prev].next = e.next
	} else {
		c.head = e.next
	}
	if e.next >= 0 {
		c.ents[e.next].prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = -1, -1
}

func (c *Cache[K, V]) pushFront(i int32) {
	e := &c.ents[i]
	e.prev, e.next = -1, c.head
	if c.head >= 0 {
		c.ents[c.head].prev = i
	}
	c.head = i
	if c.tail < 0 {
		c.tail = i
	}
}

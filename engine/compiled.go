package engine

import "github.com/arcorm/arc/internal/lru"

// DefaultCompiledCacheSize bounds an engine's compiled cache unless
// WithCompiledCacheSize says otherwise.
const DefaultCompiledCacheSize = 1000

// WithCompiledCacheSize bounds the engine's compiled cache to n entries
// (default DefaultCompiledCacheSize); 0 (or less) turns it off, and every
// statement is then rendered at each use.
//
// The compiled cache is SQLAlchemy's compiled_cache: the SQL texts the
// layers above render — the unit of work's INSERT, UPDATE and DELETE by
// table and column set, Get's SELECT by key, relationship loads, query
// templates by shape — are kept per engine, least recently used evicted
// first, so that two engines never share or evict each other's entries
// and a workload with many statement shapes (UPDATEs of every subset of
// a table's columns) stays within the bound.
func WithCompiledCacheSize(n int) Option {
	return func(c *config) { c.compiledCache = max(n, 0) }
}

// CacheStats counts the use of an engine's compiled cache.
type CacheStats struct {
	Len       int    // entries held
	Max       int    // the bound (0: the cache is off)
	Hits      uint64 // lookups that found their statement
	Misses    uint64 // lookups that rendered it
	Evictions uint64 // entries dropped to make room
}

// CacheStats returns the counters of the engine's compiled cache.
func (e *Engine) CacheStats() CacheStats {
	s := e.compiled.Stats()
	return CacheStats{Len: s.Len, Max: s.Max, Hits: s.Hits, Misses: s.Misses, Evictions: s.Evictions}
}

// CompiledCache is the engine's compiled cache, for the session package,
// which keys its rendered statements there (by its own comparable key
// types, so a hit allocates nothing); nil when the cache is off, which
// its methods treat as a cache that keeps nothing. Its type is internal:
// the entries are not part of the API.
func (e *Engine) CompiledCache() *lru.Cache[any, any] { return e.compiled }

// Package tablememo keeps values that a package above meta derives once
// per mapped table (session's base query of a model, its compiled-SQL
// templates), typed and owned by that package. It replaces the untyped
// store meta.Table used to export (Memo, SetMemo) for the same purpose.
//
// Entries are keyed by the *meta.Table, which meta builds once per Go type
// (and once per synthesized association table), so a memo holds at most
// one entry per table of the program: the same bound as meta's own cache.
// Reads are a sync.Map load: no lock.
package tablememo

import (
	"sync"

	"github.com/arcorm/arc/meta"
)

// Memo maps tables to values of type V. The zero value is ready to use; a
// Memo must not be copied after first use.
type Memo[V any] struct {
	m sync.Map // *meta.Table -> V
}

// Get returns the value kept for t, making it with mk the first time. When
// two goroutines make one at once, both get the one stored first.
func (m *Memo[V]) Get(t *meta.Table, mk func() V) V {
	if v, ok := m.m.Load(t); ok {
		return v.(V)
	}
	v, _ := m.m.LoadOrStore(t, mk())
	return v.(V)
}

// Load returns the value kept for t, if there is one.
func (m *Memo[V]) Load(t *meta.Table) (V, bool) {
	v, ok := m.m.Load(t)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

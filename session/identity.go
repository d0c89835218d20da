// The identity map: one object per (table, primary key) in a session.
// Single-integer keys live in an open-addressing set per table (table.go);
// other keys in a Go map.

package session

import (
	"iter"

	"github.com/arcorm/arc/meta"
)

// identityMap maps identities to states. Single-integer keys, the
// common case, live in one stateTable per table, keyed by the state's
// key.n; any other key in a Go map.
type identityMap struct {
	ints  map[*meta.Table]*stateTable
	order []*stateTable // the tables of ints, for iterating without ranging over ints
	other map[ikey]*state
	lastT *meta.Table // the table intsOf or get found last (loads go a table at a time)
	last  *stateTable
}

// intsOf returns table t's set of integer keys, creating it.
func (m *identityMap) intsOf(t *meta.Table) *stateTable {
	if m.last != nil && t == m.lastT {
		return m.last
	}
	im := m.ints[t]
	if im == nil {
		im = m.newInts(t, 0)
	}
	m.lastT, m.last = t, im
	return im
}

// newInts makes table t's set of integer keys, with room for n.
func (m *identityMap) newInts(t *meta.Table, n int) *stateTable {
	if m.ints == nil {
		m.ints = map[*meta.Table]*stateTable{}
	}
	im := &stateTable{byKey: true}
	if n > 0 {
		im.reserve(n)
	}
	m.ints[t] = im
	m.order = append(m.order, im)
	return im
}

func (m *identityMap) get(k ikey) *state {
	if k.s == "" {
		if m.last != nil && k.t == m.lastT {
			return m.last.get(uint64(k.n))
		}
		if im := m.ints[k.t]; im != nil {
			m.lastT, m.last = k.t, im
			return im.get(uint64(k.n))
		}
		return nil
	}
	return m.other[k]
}

// put maps st under its key, st.key (the tables read it from the state).
func (m *identityMap) put(st *state) {
	if st.key.s == "" {
		m.intsOf(st.cd.t).put(st)
		return
	}
	if m.other == nil {
		m.other = map[ikey]*state{}
	}
	m.other[st.ikey()] = st
}

func (m *identityMap) del(k ikey) {
	if k.s == "" {
		if im := m.ints[k.t]; im != nil {
			im.del(uint64(k.n))
		}
		return
	}
	delete(m.other, k)
}

// clear empties the map; the per-table sets keep their room.
func (m *identityMap) clear() {
	for _, im := range m.order {
		im.clear()
	}
	clear(m.other)
}

// reserve makes room for n more integer keys of table t.
func (m *identityMap) reserve(t *meta.Table, n int) {
	m.intsOf(t).reserve(n)
}

// all iterates over the mapped states.
func (m *identityMap) all() iter.Seq[*state] {
	return func(yield func(*state) bool) {
		for _, im := range m.order {
			for st := range im.all() {
				if !yield(st) {
					return
				}
			}
		}
		if len(m.other) == 0 {
			return
		}
		for _, st := range m.other {
			if !yield(st) {
				return
			}
		}
	}
}

// The identity map: one object per (table, primary key) in a session.
// Single-integer keys live in an open-addressing set per table
// (internal/identity); other keys in a Go map.

package session

import (
	"iter"

	"github.com/arcorm/arc/internal/identity"

	"github.com/arcorm/arc/meta"
)

// stateTable is a hash set of states keyed by something each state
// carries: its object's address (the session's object → state index,
// byObject) or its integer primary key (a table's part of the identity
// map, byID). See internal/identity.
type stateTable = identity.Table[state]

var (
	byObject = identity.KeyField[state]("obj")
	byID     = identity.KeyField[state]("key.n")
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
	im := new(stateTable)
	*im = identity.New(byID)
	if n > 0 {
		im.Reserve(n)
	}
	m.ints[t] = im
	m.order = append(m.order, im)
	return im
}

func (m *identityMap) get(k ikey) *state {
	if k.s == "" {
		if m.last != nil && k.t == m.lastT {
			return m.last.Get(identity.Int(k.n))
		}
		if im := m.ints[k.t]; im != nil {
			m.lastT, m.last = k.t, im
			return im.Get(identity.Int(k.n))
		}
		return nil
	}
	return m.other[k]
}

// put maps st under its key, st.key (the tables read it from the state).
func (m *identityMap) put(st *state) {
	if st.key.p == nil {
		m.intsOf(st.cd.t).Put(st)
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
			im.Del(identity.Int(k.n))
		}
		return
	}
	delete(m.other, k)
}

// clear empties the map; the per-table sets keep their room.
func (m *identityMap) clear() {
	for _, im := range m.order {
		im.Clear()
	}
	clear(m.other)
}

// reserve makes room for n more integer keys of table t.
func (m *identityMap) reserve(t *meta.Table, n int) {
	m.intsOf(t).Reserve(n)
}

// all iterates over the mapped states.
func (m *identityMap) all() iter.Seq[*state] {
	return func(yield func(*state) bool) {
		for _, im := range m.order {
			for st := range im.All() {
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

// Tracked streaming in constant memory (Query.Stream): each object the
// stream made is compared with its snapshot when the caller takes the
// next one, and leaves the session if it is clean.

package session

import (
	"context"
	"iter"
	"slices"
	"unsafe"

	"github.com/arcorm/arc/internal/identity"
)

// Stream is Iter for results too large to keep: the objects are tracked
// while the loop body has them, and the session lets go of each clean one
// when the caller takes the next, so memory does not grow with the row
// count. Use it for a loop that reads many rows and changes a few.
//
// When the loop asks for the next row (and when it ends, breaks or meets
// an error), the object yielded before is compared with its snapshot:
//
//   - unchanged (columns, and relationship fields: nothing appended,
//     removed or set, also through a back-reference), it is detached from
//     the session, exactly as by Expunge, and its bookkeeping is reused for
//     the next row;
//   - changed, or marked with Delete, it stays in the session, held
//     strongly, and the next flush or Commit writes it as usual.
//
// Objects the session held before the stream reached their rows
// (identity-map hits) are not touched: they stay in the session. A row
// whose object Stream detached earlier in the same loop becomes a new
// object.
//
// The contract for a pointer kept past the next iteration: if it was
// clean then, it is detached (Session.Contains reports false), and a later
// change to it is not written unless it is brought back: Merge copies its
// values onto the session's object with that key (plain structs and
// record.Base models); Add re-attaches a record.Base model, which keeps
// its identity and snapshot. Add of a plain struct would INSERT it again.
//
// Otherwise Stream is Iter: the query autoflushes before it runs, the
// session's connection is busy while the loop runs (other session SQL
// returns ErrIteratorOpen), rows are not de-duplicated, and breaking out
// closes the rows. SQLAlchemy gets constant memory from yield_per and its
// weak identity map; Go cannot see a field assignment, so Arc makes the
// release explicit at the point the caller moves on.
func (q *Query[T]) Stream(ctx context.Context) iter.Seq2[*T, error] {
	return q.iterate(ctx, "Stream", true)
}

// streamer is the bookkeeping of one Stream loop.
type streamer struct {
	s  *Session
	ld *loader
	// last is the state of the object the stream made and yielded last
	// (nil after an identity-map hit): release compares it.
	last *state
	// spare is a state (and its snapshot storage) release detached that
	// nothing else can reach, for the next new object.
	spare *state
	// recycle: states of this model may be reused (no Holder keeps a
	// detached state, no relationship bookkeeping names it).
	recycle bool
}

// load maps the row scanned into fresh like loader.load, taking the
// state of a new object from spare when there is one.
func (m *streamer) load(ctx context.Context, fresh unsafe.Pointer) (unsafe.Pointer, error) {
	l := m.ld
	p, k, found, err := l.mapped(ctx, fresh)
	if found {
		return p, err
	}
	var st *state
	var snap unsafe.Pointer
	if st = m.spare; st != nil {
		m.spare = nil
		snap = st.first.p
		*st = state{}
	} else {
		st = m.s.newState()
		snap = l.snaps.get()
	}
	m.last = st // compared by release even when adopt fails (its AfterLoad hook)
	return l.adoptNew(ctx, fresh, k, st, snap)
}

// release compares the object yielded last with its snapshot and, when
// it is clean, detaches it from the session.
func (m *streamer) release() {
	st := m.last
	if st == nil {
		return
	}
	m.last = nil
	s := m.s
	if st.status != Persistent || st.obj == nil || s.stateAt(st.obj) != st {
		return // the loop body expunged it already (or the load failed before adopt mapped it)
	}
	if st.markedDelete || st.snap == nil || st.cd.anyChanged(st.obj, st.snap) || (st.is(bRelBound) && !relUntouched(st)) {
		return // changed: the session keeps it for the next flush
	}
	s.states.Del(identity.Addr(st.obj))
	if st.is(bHasKey) && s.identity.get(st.ikey()) == st {
		s.identity.del(st.ikey())
	}
	s.detachState(st)
	if !m.recycle || s.leftInTx != nil && hasState(s.leftInTx, st) {
		if st.cd.tracked {
			// The object's Holder keeps the state (its identity and
			// snapshot, for a re-attach); the state lets go of the object,
			// as at Close, so that one object the caller keeps does not
			// keep, through its state's chunk, the other states' objects.
			st.obj = nil
		}
		return
	}
	st.obj = nil
	m.spare = st
}

func hasState(m map[*state]struct{}, st *state) bool {
	_, ok := m[st]
	return ok
}

// relUntouched reports whether none of st's relationship fields holds
// a change a flush would write: nothing queued (Append, Remove, Set on an
// unloaded collection, or a back-reference set from the other side), not
// assigned, and a loaded field equal to its snapshot. It errs towards
// "touched" (the object then stays in the session): a loaded field
// without a snapshot counts as touched.
func relUntouched(st *state) bool {
	for _, f := range st.cd.t.Relations {
		c := coreOf(st.obj, f)
		if c.Replaced() || c.Assigned() {
			return false
		}
		if added, removed := c.Queued(); len(added) > 0 || len(removed) > 0 {
			return false
		}
		if c.Loaded() {
			snap, ok := c.Snapshot()
			if !ok || !slices.Equal(snap, c.Items()) {
				return false
			}
		}
	}
	return true
}

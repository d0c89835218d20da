// Savepoints: BeginNested and the object states a nested rollback puts back.

package session

import (
	"context"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
)

// Nested is a SAVEPOINT inside the session's transaction.
type Nested struct {
	s    *Session
	name string
	// saved is keyed by the object, not its state: an object expunged and
	// added again inside the savepoint has a new state, and the savepoint's
	// rollback must still put it back.
	saved map[unsafe.Pointer]savedState
	done  bool
}

type savedState struct {
	status    Status
	snap      *snapshot
	txSnap    *snapshot
	values    *snapshot
	marked    bool
	newIn     bool
	deletedIn bool
	expired   bool
}

// BeginNested flushes, then sets a SAVEPOINT. Its Rollback undoes the
// database work since then and restores the objects to their state at
// BeginNested; its Commit releases the savepoint.
func (s *Session) BeginNested(ctx context.Context) (*Nested, error) {
	gHeld, gErr := s.inUse.enter("BeginNested")
	if gErr != nil {
		return nil, gErr
	}
	defer s.inUse.leave(gHeld)
	if err := s.flush(ctx); err != nil {
		return nil, err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	n := &Nested{s: s, name: "arc_sp_" + strconv.Itoa(len(s.nested)+1), saved: map[unsafe.Pointer]savedState{}}
	if err := tx.Savepoint(ctx, n.name); err != nil {
		return nil, err
	}
	for st := range s.states.All() {
		n.saved[st.obj] = savedState{status: st.status, snap: st.snap, txSnap: st.txSnap, values: st.cd.take(st.obj),
			marked: st.markedDelete, newIn: st.is(bNewInTx), deletedIn: st.is(bDeletedInTx), expired: st.expired}
	}
	s.nested = append(s.nested, n)
	return n, nil
}

func (n *Nested) pop() error {
	s := n.s
	if n.done {
		return fmt.Errorf("%w: savepoint %s already ended", arcerr.ErrInvalidRequest, n.name)
	}
	if len(s.nested) == 0 || s.nested[len(s.nested)-1] != n {
		return fmt.Errorf("%w: savepoint %s is not the innermost one", arcerr.ErrInvalidRequest, n.name)
	}
	s.nested = s.nested[:len(s.nested)-1]
	n.done = true
	return nil
}

// Commit flushes and releases the savepoint.
func (n *Nested) Commit(ctx context.Context) error {
	if err := n.s.flush(ctx); err != nil {
		return err
	}
	if err := n.pop(); err != nil {
		return err
	}
	return n.s.tx.Release(ctx, n.name)
}

// Rollback rolls back to the savepoint and restores the objects.
func (n *Nested) Rollback(ctx context.Context) error {
	if n.s.flushing {
		return inFlush("Nested.Rollback")
	}
	if err := n.pop(); err != nil {
		return err
	}
	s := n.s
	if err := s.tx.RollbackTo(ctx, n.name); err != nil {
		return err
	}
	if err := s.tx.Release(ctx, n.name); err != nil {
		return err
	}
	s.failed = nil
	for st := range s.states.All() {
		sv, ok := n.saved[st.obj]
		if !ok {
			// Added or loaded after the savepoint.
			if st.status == Pending || st.is(bNewInTx) {
				s.detach(st)
				st.status = Transient
				if h := st.holder(); h != nil {
					*h = Holder{owner: st.obj}
				}
				continue
			}
			// Loaded after the savepoint: what it flushed since is gone
			// from the database, so it reloads on next use.
			if st.status == Deleted {
				st.status = Persistent
				st.set(bDeletedInTx, false)
				s.identity.put(st)
			}
			st.markedDelete = false
			st.expired = true
			s.expireRelations(st)
			continue
		}
		// What the savepoint wrote or reloaded is gone from the database:
		// an object whose snapshot moved since is expired, and so is one
		// that was expired at BeginNested (a reload inside the savepoint
		// must not make its old values look fresh).
		st.expired = sv.expired || st.snap != sv.snap
		st.cd.restore(st.obj, sv.values)
		st.snap, st.txSnap = sv.snap, sv.txSnap
		if !st.is(bHasKey) && sv.status != Pending && sv.snap != nil {
			// Expunged and added again as new inside the savepoint.
			st.key = identityOf(st.cd.t, sv.snap.p).sk()
			st.set(bHasKey, true)
			s.pending = removeState(s.pending, st)
			if other := s.identity.get(st.ikey()); other != nil && other != st {
				s.detach(other) // loaded after the savepoint: this object holds the row again
			}
			s.identity.put(st)
		}
		s.rekey(st)
		s.expireRelations(st) // memberships flushed after the savepoint are gone too
		st.markedDelete = sv.marked
		st.set(bNewInTx, sv.newIn)
		st.set(bDeletedInTx, sv.deletedIn)
		if sv.status != st.status {
			if st.status == Deleted && sv.status == Persistent {
				s.identity.put(st)
				st.set(bDeletedInTx, false)
			}
			if sv.status == Pending && st.status == Persistent {
				s.identity.del(st.ikey())
				st.set(bHasKey, false)
				s.pending = append(s.pending, st)
			}
			st.status = sv.status
		}
	}
	s.deleted = s.deleted[:0]
	for p, sv := range n.saved {
		if st := s.stateAt(p); sv.marked && st != nil {
			s.deleted = append(s.deleted, st)
		}
	}
	s.relRollback()
	return nil
}

// Which objects the session holds: Add, Delete, Expunge, Contains, StateOf.

package session

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/internal/identity"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// Add puts obj (a pointer to a model) into the session: a new object
// becomes pending and is inserted at the next flush; a detached one
// (record.Base keeps its identity) becomes persistent again. Adding an
// object already in the session is a no-op.
func (s *Session) Add(obj any) error {
	gHeld, gErr := s.inUse.enter("Add")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	if err := s.check(); err != nil {
		return err
	}
	if typ := reflect.TypeOf(obj); typ != nil && typ == s.lastAddType {
		if p := reflect.ValueOf(obj).UnsafePointer(); p != nil {
			_, err := s.add(obj, p, s.lastAddTable)
			return err
		}
	}
	p, t, err := objectOf(obj)
	if err != nil {
		return err
	}
	s.lastAddType, s.lastAddTable = reflect.TypeOf(obj), t
	_, err = s.add(obj, p, t)
	return err
}

// AddAll adds every object; it stops at the first error.
func (s *Session) AddAll(objs ...any) error {
	for _, o := range objs {
		if err := s.Add(o); err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) add(obj any, p unsafe.Pointer, t *meta.Table) (*state, error) {
	if st := s.stateAt(p); st != nil {
		if st.markedDelete {
			return st, nil
		}
		return st, nil
	}
	h := holderOf(obj, p)
	if h != nil && h.Session() != nil && h.sess != s {
		return nil, fmt.Errorf("%w: %s belongs to another open session; close it or Expunge the object first", arcerr.ErrInvalidRequest, t.GoType.Name())
	}
	st := s.newState()
	cd := s.lastCodec
	if cd == nil || cd.t != t {
		cd = codecOf(t)
		s.lastCodec = cd
	}
	st.obj, st.cd = p, cd
	if len(t.Relations) > 0 {
		s.relModels = true
	}
	if d := h.detached(); d != nil {
		// Re-attach a detached object.
		if other := s.identity.get(d.ikey()); other != nil && other.obj != p {
			return nil, fmt.Errorf("%w: cannot attach %s: another instance with the same key is already in this session (use Merge)",
				arcerr.ErrInvalidRequest, describe(other))
		}
		st.status = Persistent
		st.key = d.key
		st.set(bHasKey, true)
		st.snap = d.snap
		st.expired = d.expired // an expired object still reloads at its next use
		if _, ok := s.leftInTx[d]; ok {
			// Expunged in this transaction: what it did to the object
			// still has to be undone by a rollback.
			st.txSnap = d.txSnap
			st.set(bNewInTx, d.is(bNewInTx))
			st.set(bDeletedInTx, d.is(bDeletedInTx))
			delete(s.leftInTx, d)
		}
		s.identity.put(st)
	} else {
		// A new object that carries a key already mapped here (say, a plain
		// struct loaded by another session, or a decoded payload) would
		// fail at flush with a duplicate key; say so now, and point to Merge.
		if k, ok := clientKey(st); ok {
			if other := s.identity.get(k); other != nil {
				return nil, fmt.Errorf("%w: cannot add %s: the session already holds %s with that key (use Merge to copy its values)",
					arcerr.ErrInvalidRequest, t.GoType.Name(), describe(other))
			}
		}
		st.status = Pending
		s.addSeq++
		s.pending = append(s.pending, st)
	}
	s.states.Put(st)
	if h != nil {
		*h = Holder{owner: p, sess: s, st: st}
		s.holders = true
	}
	if err := s.cascadeAdd(st); err != nil {
		return nil, err
	}
	return st, nil
}

// clientKey returns the identity a new object's key fields give, when
// every one of them is set.
func clientKey(st *state) (ikey, bool) {
	for _, c := range st.cd.t.PrimaryKey {
		for i := range st.cd.cols {
			if cc := &st.cd.cols[i]; cc.c == c && cc.zero(layout.At(st.obj, c.Offset)) {
				return ikey{}, false
			}
		}
	}
	if len(st.cd.t.PrimaryKey) == 0 {
		return ikey{}, false
	}
	return identityOf(st.cd.t, st.obj), true
}

// Contains reports whether obj is in the session (pending, persistent or
// marked for deletion).
func (s *Session) Contains(obj any) bool {
	p, _, err := objectOf(obj)
	if err != nil {
		return false
	}
	st := s.stateAt(p)
	return st != nil && st.status != Deleted
}

// StateOf returns obj's state with respect to this session. An object this
// session does not hold is detached when record.Base remembers an identity
// for it, and transient otherwise.
func (s *Session) StateOf(obj any) Status {
	p, _, err := objectOf(obj)
	if err != nil {
		return Transient
	}
	if st := s.stateAt(p); st != nil {
		return st.status
	}
	return StateOf(obj)
}

// StateOf returns the state of obj as far as the object itself knows
// (record.Base keeps it): pending, persistent or deleted in the session
// that holds it, detached, or transient. Plain structs read as transient
// unless asked through Session.StateOf.
func StateOf(obj any) Status {
	p, _, err := objectOf(obj)
	if err != nil {
		return Transient
	}
	h := holderOf(obj, p)
	if h == nil {
		return Transient
	}
	if h.Session() != nil && h.st != nil {
		return h.st.status
	}
	if h.detached() != nil {
		return Detached
	}
	return Transient
}

// Delete marks a persistent object for deletion at the next flush.
// Deleting an object that was never saved is an error.
func (s *Session) Delete(obj any) error {
	gHeld, gErr := s.inUse.enter("Delete")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	if err := s.check(); err != nil {
		return err
	}
	p, t, err := objectOf(obj)
	if err != nil {
		return err
	}
	st := s.stateAt(p)
	if st == nil {
		h := holderOf(obj, p)
		if h.detached() == nil {
			return fmt.Errorf("%w: %s is not persisted (transient); nothing to delete", arcerr.ErrInvalidRequest, t.GoType.Name())
		}
		if st, err = s.add(obj, p, t); err != nil {
			return err
		}
	}
	switch st.status {
	case Pending:
		return fmt.Errorf("%w: %s is pending (not flushed); Expunge it instead of deleting", arcerr.ErrInvalidRequest, t.GoType.Name())
	case Deleted:
		return nil
	}
	if !st.markedDelete {
		st.markedDelete = true
		s.deleted = append(s.deleted, st)
	}
	s.markSoft(st) // Delete is soft for a soft-delete model; HardDelete marks it again
	return s.cascadeDelete(st)
}

// Expunge removes obj from the session: a pending object becomes
// transient, a persistent one detached. Its field values are untouched.
func (s *Session) Expunge(obj any) error {
	gHeld, gErr := s.inUse.enter("Expunge")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	p, t, err := objectOf(obj)
	if err != nil {
		return err
	}
	st := s.stateAt(p)
	if st == nil {
		return fmt.Errorf("%w: %s is not in this session", arcerr.ErrInvalidRequest, t.GoType.Name())
	}
	s.detach(st)
	return nil
}

// ExpungeAll detaches every object.
func (s *Session) ExpungeAll() { s.expungeAll(false) }

// expungeAll detaches every object. closing: the session is closing, so
// the detached states drop their objects' addresses (a detached object's
// Holder needs only its state's key and snapshot): states are allocated
// in chunks, and a state that kept its object would let one object the
// caller keeps hold, through its Holder, its state's chunk, the objects of
// that chunk's states, their Holders and chunks, and so on, every object
// the session ever had (TestRetainedByOneObject).
func (s *Session) expungeAll(closing bool) {
	// Only a Holder can reach a state once the indexes forget it, so
	// without tracked objects there is no state worth marking detached.
	if s.holders {
		for st := range s.states.All() {
			s.detachState(st)
			if closing {
				st.obj = nil
			}
		}
	}
	s.states.Clear()
	s.identity.clear()
	s.relModels, s.holders = false, false
	s.pending = s.pending[:0]
	s.deleted = s.deleted[:0]
}

func (s *Session) detach(st *state) {
	s.states.Del(identity.Addr(st.obj))
	if st.is(bHasKey) && s.identity.get(st.ikey()) == st {
		s.identity.del(st.ikey())
	}
	s.pending = removeState(s.pending, st)
	s.deleted = removeState(s.deleted, st)
	s.detachState(st)
}

// detachState moves st out of the session (the maps are the caller's
// business): pending becomes transient, anything else detached, and a
// record.Base keeps the identity and snapshot for a later re-attach.
func (s *Session) detachState(st *state) {
	prev := st.status
	if s.tx != nil && (st.txSnap != nil || st.is(bNewInTx) || st.is(bDeletedInTx)) {
		if s.leftInTx == nil {
			s.leftInTx = map[*state]struct{}{}
		}
		s.leftInTx[st] = struct{}{}
	}
	switch prev {
	case Pending:
		st.status = Transient
	default:
		st.status = Detached
	}
	if h := st.holder(); h != nil && h.st == st {
		if (prev == Persistent || prev == Deleted) && st.snap != nil {
			*h = Holder{owner: st.obj, st: st}
		} else {
			*h = Holder{owner: st.obj}
		}
	}
}

func removeState(list []*state, st *state) []*state {
	for i, x := range list {
		if x == st {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

func (s *Session) stateOf(obj any) (*state, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	p, t, err := objectOf(obj)
	if err != nil {
		return nil, err
	}
	st := s.stateAt(p)
	if st == nil {
		return nil, fmt.Errorf("%w: %s is not in this session", arcerr.ErrDetached, t.GoType.Name())
	}
	return st, nil
}

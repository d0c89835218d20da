package session

import (
	"errors"
	"fmt"

	"github.com/arcorm/arc/internal/identity"
)

// checkIndexes verifies the session's bookkeeping: every object it
// tracks is reachable through the object index under its address and,
// when persistent, through the identity map under its key; each index
// holds only states of the other; the pending and deleted lists agree
// with the states; a tracked object's Holder points back at its state.
// It is the invariant the randomized unit-of-work test checks after every
// step (issue 19 item 25); it walks the whole session, so it is for tests.
func (s *Session) checkIndexes() error {
	var errs []error
	bad := func(st *state, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s (%s, state %p): %s", describe(st), st.status, st, fmt.Sprintf(format, args...)))
	}
	n, persistent := 0, 0
	for st := range s.states.All() {
		n++
		if got := s.states.Get(identity.Addr(st.obj)); got != st {
			bad(st, "the object index finds %p under its address", got)
		}
		switch st.status {
		case Pending:
			if !containsState(s.pending, st) {
				bad(st, "pending but not in the pending list")
			}
		case Persistent:
			persistent++
			if !st.is(bHasKey) {
				bad(st, "persistent without a key")
			} else if got := s.identity.get(st.ikey()); got != st {
				bad(st, "the identity map finds %v under its key", stateName(got))
			}
			if st.snap == nil {
				bad(st, "persistent without a snapshot")
			}
		case Deleted:
			if st.is(bHasKey) && s.identity.get(st.ikey()) == st {
				bad(st, "deleted but still in the identity map")
			}
		default:
			bad(st, "tracked with status %s", st.status)
		}
		if st.markedDelete && !containsState(s.deleted, st) {
			bad(st, "marked for deletion but not in the deleted list")
		}
		if h := st.holder(); h != nil && (h.st != st || h.sess != s) {
			bad(st, "its Holder points at state %p of session %p", h.st, h.sess)
		}
	}
	if s.states.Len() != n {
		errs = append(errs, fmt.Errorf("the object index counts %d states and holds %d", s.states.Len(), n))
	}
	mapped := 0
	for st := range s.identity.all() {
		mapped++
		if got := s.states.Get(identity.Addr(st.obj)); got != st {
			bad(st, "in the identity map but the object index finds %v under its address", stateName(got))
		}
		if st.status != Persistent {
			bad(st, "in the identity map with status %s", st.status)
		}
	}
	if mapped != persistent {
		errs = append(errs, fmt.Errorf("the identity map holds %d states, the session %d persistent ones", mapped, persistent))
	}
	for _, st := range s.pending {
		if s.states.Get(identity.Addr(st.obj)) != st || st.status != Pending {
			bad(st, "in the pending list but not a tracked pending object")
		}
	}
	for _, st := range s.deleted {
		if s.states.Get(identity.Addr(st.obj)) != st || !st.markedDelete {
			bad(st, "in the deleted list but not a tracked object marked for deletion")
		}
	}
	return errors.Join(errs...)
}

func containsState(list []*state, st *state) bool {
	for _, x := range list {
		if x == st {
			return true
		}
	}
	return false
}

func stateName(st *state) string {
	if st == nil {
		return "nothing"
	}
	return fmt.Sprintf("%s (%s, state %p)", describe(st), st.status, st)
}

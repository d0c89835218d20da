// What the session's objects changed: New, Dirty, Deleted, IsModified,
// Expire.

package session

// New lists pending objects in Add order.
func (s *Session) New() []any {
	out := make([]any, 0, len(s.pending))
	for _, st := range s.pending {
		out = append(out, st.ifc())
	}
	return out
}

// Dirty lists persistent objects whose columns differ from their snapshot
// (exact, unlike SQLAlchemy's optimistic list).
func (s *Session) Dirty() []any {
	var out []any
	for _, st := range s.changedStates() {
		out = append(out, st.ifc())
	}
	return out
}

// changedStates returns the persistent objects not marked for deletion
// whose columns differ from their snapshot, in a stable order (by table
// name, then key).
// Only the changed states are collected and sorted: a flush of one change
// in a session holding many objects compares each once and sorts one.
func (s *Session) changedStates() []*state {
	var out []*state
	for st := range s.identity.all() {
		if st.status == Persistent && !st.markedDelete && st.snap != nil && st.cd.anyChanged(st.obj, st.snap) {
			out = append(out, st)
		}
	}
	sortStates(out)
	return out
}

// Deleted lists objects marked for deletion and not yet flushed.
func (s *Session) Deleted() []any {
	out := make([]any, 0, len(s.deleted))
	for _, st := range s.deleted {
		out = append(out, st.ifc())
	}
	return out
}

// IsModified reports whether obj's columns differ from its snapshot.
func (s *Session) IsModified(obj any) bool {
	p, _, err := objectOf(obj)
	if err != nil {
		return false
	}
	st := s.stateAt(p)
	if st == nil {
		return false
	}
	if st.status == Pending {
		return true
	}
	return st.snap != nil && st.cd.anyChanged(st.obj, st.snap)
}

// hasChanges reports whether a flush would do anything.
func (s *Session) hasChanges() bool {
	if len(s.pending) > 0 || len(s.deleted) > 0 {
		return true
	}
	for st := range s.identity.all() {
		if st.status == Persistent && st.snap != nil && st.cd.anyChanged(st.obj, st.snap) {
			return true
		}
		if st.is(bRelBound) && s.relChanged(st) {
			return true
		}
	}
	return false
}

// Expire reverts obj's unflushed changes at once and marks it so that
// its next use (Get, a query returning it, a lazy load) reloads its row.
// A field set after Expire is kept by that reload, as SQLAlchemy keeps
// attributes set after expiry: Go has no attribute instrumentation, so a
// column counts as set after expiry when its value differs from the one
// Expire left in it (the snapshot); a field set back to that same value
// is indistinguishable from an untouched one and takes the database's
// value. Refresh overwrites every column.
func (s *Session) Expire(obj any) error {
	gHeld, gErr := s.inUse.enter("Expire")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	st, err := s.stateOf(obj)
	if err != nil {
		return err
	}
	if st.snap != nil {
		st.cd.restore(st.obj, st.snap)
	}
	st.expired = true
	s.expireRelations(st)
	return nil
}

// ExpireAll expires every persistent object.
func (s *Session) ExpireAll() {
	for st := range s.identity.all() {
		if st.snap != nil {
			st.cd.restore(st.obj, st.snap)
		}
		st.expired = true
		s.expireRelations(st)
	}
}

package session

import (
	"slices"
	"unsafe"

	"github.com/arcorm/arc/meta"
)

// Moving children between parents, and telling a moved child from an
// orphan (SQLAlchemy: an object appended to another parent's collection
// has a parent, so delete-orphan leaves it alone and the flush updates
// its foreign key).

// PeekOne implements relations.Peeker: the object the many-to-one r of
// owner refers to in the database (its foreign key as last loaded or
// flushed), when the identity map holds it; nil otherwise. It never does
// I/O.
func (s *Session) PeekOne(owner unsafe.Pointer, r *meta.Relationship) unsafe.Pointer {
	if r == nil || r.Dir != meta.ManyToOne || !samePK(r) || s.closed {
		return nil
	}
	st := s.stateAt(owner)
	if st == nil || st.status != Persistent {
		return nil
	}
	src := owner
	if st.snap != nil && st.snap.p != nil {
		src = st.snap.p // the row's value: the old parent's collection was loaded from it
	}
	vals, ok := keyValues(src, r.OwnerCols)
	if !ok {
		return nil
	}
	k, err := keyOf(r.Target, vals)
	if err != nil {
		return nil
	}
	if tst := s.identity.get(k); tst != nil && tst.status == Persistent && !tst.markedDelete {
		return tst.obj
	}
	return nil
}

// movedAway reports whether child it, which left owner's one-to-many r,
// now belongs to another parent through r: its to-one side points to
// another object, or (r has no inverse) another owner's collection holds
// it. Such a child is not an orphan; its new parent writes its key.
func (s *Session) movedAway(r *meta.Relationship, owner, it unsafe.Pointer) bool {
	if r.Back != nil {
		bc := coreOf(it, r.Back)
		if !bc.Bound() || !bc.Loaded() {
			return false
		}
		items := bc.Items()
		return len(items) > 0 && items[0] != owner
	}
	for st := range s.states.all() {
		if st.obj == owner || st.cd.t != r.Owner || st.markedDelete || (st.status != Pending && st.status != Persistent) {
			continue
		}
		if slices.Contains(coreOf(st.obj, r.Field).Items(), it) {
			return true
		}
	}
	return false
}

// isDeleted reports whether obj is being deleted in this flush.
func (s *Session) isDeleted(obj unsafe.Pointer) bool {
	st := s.stateAt(obj)
	return st != nil && (st.markedDelete || st.status == Deleted)
}

package session

import (
	"slices"
	"unsafe"

	"github.com/arcorm/arc/internal/relcore"
	"github.com/arcorm/arc/meta"
)

// Moving children between parents, and telling a moved child from an
// orphan (SQLAlchemy: an object appended to another parent's collection
// has a parent, so delete-orphan leaves it alone and the flush updates
// its foreign key).

// peekOne implements relcore.Peeker (through relLoader): the object the many-to-one r of
// owner refers to in the database (its foreign key as last loaded or
// flushed), when the identity map holds it; nil otherwise. It never does
// I/O.
func (s *Session) peekOne(owner unsafe.Pointer, r *meta.Relationship) unsafe.Pointer {
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
	for st := range s.states.All() {
		if st.obj == owner || st.cd.t != r.Owner || st.markedDelete || (st.status != Pending && st.status != Persistent) {
			continue
		}
		if slices.Contains(coreOf(st.obj, r.Field).Items(), it) {
			return true
		}
	}
	return false
}

// isDeleted reports whether obj's row is being deleted in this flush (or
// was): a soft delete keeps the row, its links and its children's keys.
func (s *Session) isDeleted(obj unsafe.Pointer) bool {
	st := s.stateAt(obj)
	return st != nil && (st.markedDelete || st.status == Deleted) && !s.softDeleting(st)
}

// deassociated reports whether st was taken out of the collection of a
// delete-orphan relationship — its to-one side was set to nil in memory
// (by Remove, Set, or Set(nil)) — and so is an orphan: a pending object
// that was attached in memory, or a persistent one whose row refers to a
// parent. A new object never attached to a parent is inserted as it is,
// and a persistent one whose foreign key is already NULL stays.
func (s *Session) deassociated(st *state) bool {
	for _, f := range st.cd.t.Relations {
		if f.Kind != meta.RelOne {
			continue
		}
		c := coreOf(st.obj, f)
		r := c.Rel()
		if r == nil || r.Back == nil || r.Dir != meta.ManyToOne || !c.Loaded() || !c.Assigned() || len(c.Items()) > 0 {
			continue
		}
		br, err := meta.Resolve(r.Back)
		if err != nil || br.Dir != meta.OneToMany || !br.Cascade.Has(meta.CascadeDeleteOrphan) {
			continue
		}
		if st.status == Pending {
			return true
		}
		if st.snap != nil && st.snap.p != nil {
			if _, had := keyValues(st.snap.p, r.OwnerCols); had {
				return true
			}
		}
	}
	return false
}

// expungeNew takes a pending object out of the session because it is an
// orphan or its parent is deleted (it never reaches the database), and out
// of the in-memory relationships that hold it, so that no save-update
// cascade brings it back at a later flush.
func (s *Session) expungeNew(st *state) {
	s.keepExpunge(st)
	for _, f := range st.cd.t.Relations {
		c := coreOf(st.obj, f)
		if !c.Bound() || f.Kind == meta.RelDynamic {
			continue
		}
		for _, it := range slices.Clone(c.Items()) {
			c.Remove(it)
		}
	}
	s.detach(st)
}

// peekMembers implements relcore.MemberPeeker (through relLoader): the objects of the
// session whose inverse field of r holds owner in memory.
func (s *Session) peekMembers(owner unsafe.Pointer, r *meta.Relationship) []unsafe.Pointer {
	if r == nil || r.Back == nil || r.Dir == meta.ManyToOne || s.closed {
		return nil
	}
	var out []unsafe.Pointer
	for st := range s.states.All() {
		if st.cd.t != r.Target || (st.status != Persistent && st.status != Pending) {
			continue
		}
		bc := coreOf(st.obj, r.Back)
		if bc.Bound() && slices.Contains(bc.Items(), owner) { // loaded, or appended in memory
			out = append(out, st.obj)
		}
	}
	return out
}

// expunged records what expungeNew did to one pending object during a
// flush, so that a failed flush can undo it (relUndoPre): its place in the
// pending list and the relationship fields it touched, as they were.
type expunged struct {
	st      *state
	pending int // index in s.pending, -1 if not there
	fields  []savedField
}

type savedField struct {
	c     *relcore.Core
	saved relcore.Saved
}

// keepExpunge records st and the relationship fields an expunge of st
// changes: its own, and the inverse fields of their members.
func (s *Session) keepExpunge(st *state) {
	rec := expunged{st: st, pending: slices.Index(s.pending, st)}
	for _, f := range st.cd.t.Relations {
		c := coreOf(st.obj, f)
		if !c.Bound() {
			continue
		}
		rec.fields = append(rec.fields, savedField{c, c.Save()})
		r := c.Rel()
		if r == nil || r.Back == nil {
			continue
		}
		for _, it := range c.Items() {
			if bc := coreOf(it, r.Back); bc.Bound() {
				rec.fields = append(rec.fields, savedField{bc, bc.Save()})
			}
		}
	}
	s.relExpunged = append(s.relExpunged, rec)
}

// undoExpunges puts the objects a failed flush expunged back as pending,
// with their relationship fields (and the inverse ones) as they were.
func (s *Session) undoExpunges() {
	for i := len(s.relExpunged) - 1; i >= 0; i-- {
		rec := s.relExpunged[i]
		for j := len(rec.fields) - 1; j >= 0; j-- {
			rec.fields[j].c.Restore(rec.fields[j].saved)
		}
		st := rec.st
		if s.stateAt(st.obj) != nil {
			continue
		}
		st.status = Pending
		s.states.Put(st)
		if rec.pending >= 0 && rec.pending <= len(s.pending) {
			s.pending = slices.Insert(s.pending, rec.pending, st)
		} else {
			s.pending = append(s.pending, st)
		}
		if s.leftInTx != nil {
			delete(s.leftInTx, st)
		}
		if h := st.holder(); h != nil {
			*h = Holder{owner: st.obj, sess: s, st: st}
		}
	}
	s.relExpunged = nil
}

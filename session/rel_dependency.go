// Relationship dependencies of a flush (SQLAlchemy's dependency
// processors): what relationship changes mean for rows — foreign keys to
// sync, orphans and cascaded deletes, children moved to another parent,
// association rows to add or remove.

package session

import (
	"context"
	"fmt"
	"slices"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/internal/relcore"
	"github.com/arcorm/arc/meta"
)

// relPreFlush runs before a flush computes its statements: it adds objects
// reached by cascade, processes deletes (children's FKs nulled, or
// children deleted), deletes orphans, and writes foreign keys from the
// relationship fields.
func (s *Session) relPreFlush(ctx context.Context) error {
	s.relFlush = nil
	var rels []*state
	if s.relModels { // else no object has relationship fields: skip the scan
		rels = s.relStates(rels, false)
	}
	if len(rels) == 0 && len(s.deleted) == 0 {
		return nil
	}
	rf := &relFlush{linkAdd: map[linkKey]bool{}, linkDel: map[linkKey]bool{}, links: map[linkKey]*link{}, passiveDel: map[*state]bool{}}
	// Save-update cascade of members appended since Add.
	for _, st := range rels {
		if st.status == Pending || st.status == Persistent {
			if err := s.relCascadeAdd(st); err != nil {
				return err
			}
		}
	}
	// Deletes, in Delete order (the list grows with cascaded deletes).
	s.noAutoflushDepth++
	defer func() { s.noAutoflushDepth-- }()
	for i := 0; i < len(s.deleted); i++ {
		if err := s.relDeleteOne(ctx, rf, s.deleted[i]); err != nil {
			return err
		}
	}
	rels = s.relStates(rels[:0], true)
	nDeleted := len(s.deleted)
	// Pass 1: removals (orphans, nulled FKs, association deletes).
	type addition struct {
		st    *state
		c     *relcore.Core
		items []unsafe.Pointer
	}
	var adds []addition
	for _, st := range rels {
		if !st.markedDelete && s.deassociated(st) {
			if st.status == Pending {
				s.expungeNew(st) // de-associated before its first flush
			} else {
				s.keepPre(st.obj)
				st.markedDelete = true
				s.deleted = append(s.deleted, st)
			}
			continue
		}
		for _, f := range st.cd.t.Relations {
			c := coreOf(st.obj, f)
			r := c.Rel()
			if r == nil {
				continue
			}
			if c.Replaced() && !c.Loaded() {
				// Set replaced an unloaded collection: load what is in the
				// database to diff against it.
				groups, _, err := s.loadGroups(ctx, r, []unsafe.Pointer{st.obj}, false)
				if err != nil {
					return err
				}
				if err := s.fill(r, st.obj, groups[0], nil); err != nil {
					return err
				}
			}
			var added, removed []unsafe.Pointer
			snap, hasSnap := c.Snapshot()
			switch {
			case f.Kind == meta.RelDynamic:
				added, removed = c.Queued()
			case !c.Loaded():
				added, removed = c.Queued()
			case hasSnap:
				added, removed = diffItems(c.Items(), snap)
			default:
				added = c.Items()
				_, removed = c.Queued()
			}
			if r.Dir == meta.ManyToOne {
				// The field decides the FK only when it was changed.
				if !c.Loaded() || (hasSnap && len(added) == 0 && len(removed) == 0) {
					continue
				}
				if !hasSnap && len(c.Items()) == 0 && !c.Assigned() {
					continue // never set: leave the FK column as the user wrote it
				}
				adds = append(adds, addition{st, c, c.Items()})
				continue
			}
			for _, it := range removed {
				if err := s.relRemoved(rf, st, r, it); err != nil {
					return err
				}
			}
			if r.Dir == meta.OneToMany && f.Kind != meta.RelDynamic && c.Loaded() {
				adds = append(adds, addition{st, c, c.Items()})
			} else if len(added) > 0 {
				adds = append(adds, addition{st, c, added})
			}
		}
	}
	// Orphans found in pass 1 are deleted like any other object: their
	// children's FKs nulled (or the children deleted), their association
	// rows removed.
	for i := nDeleted; i < len(s.deleted); i++ {
		if err := s.relDeleteOne(ctx, rf, s.deleted[i]); err != nil {
			return err
		}
	}
	// Pass 2: additions (FKs set, association inserts).
	for _, a := range adds {
		if a.st.markedDelete || s.stateAt(a.st.obj) != a.st {
			continue // orphaned in pass 1
		}
		r := a.c.Rel()
		switch r.Dir {
		case meta.ManyToOne:
			var parent unsafe.Pointer
			if items := a.c.Items(); len(items) > 0 { // as now: pass 1 may have expunged an orphan parent
				parent = items[0]
			}
			if parent != nil && s.isDeleted(parent) {
				// The parent is deleted in this flush: like its other
				// children, this one keeps no reference to it.
				rf.unparented = append(rf.unparented, unparented{child: a.st.obj, f: r.Field, parent: parent})
				parent = nil
			}
			if err := s.fkConflict(a.st, r, parent); err != nil {
				return err
			}
			if err := s.syncFK(rf, a.st.obj, r.OwnerCols, parent, r.TargetCols); err != nil {
				return err
			}
		case meta.OneToMany:
			for _, it := range a.items {
				cst := s.stateAt(it)
				if cst == nil || cst.markedDelete {
					continue
				}
				if err := s.syncFK(rf, it, r.TargetCols, a.st.obj, r.OwnerCols); err != nil {
					return err
				}
			}
		case meta.ManyToMany:
			for _, it := range a.items {
				if s.isDeleted(it) || s.stateAt(it) == nil {
					continue // its association rows go with it; or it was expunged
				}
				l := rf.link(r, a.st.obj, it)
				if rf.linkDel[l] {
					delete(rf.linkDel, l)
				} else if !rf.linkAdd[l] {
					rf.linkAdd[l] = true
					rf.linkOrder = append(rf.linkOrder, l)
				}
			}
		}
	}
	rf.reconcileLinks()
	if !rf.empty() || len(rf.passiveDel) > 0 || len(rf.unparented) > 0 {
		s.relFlush = rf
	}
	return nil
}

// reconcileLinks drops the association rows to insert that the database
// already has and the ones to delete that it does not have, as far as
// either side's collection knows them (its membership as last loaded or
// flushed). A change queued on an unloaded side (a backref's append) is
// only a guess: a collection that Set replaced, or one loaded before the
// change, knows.
func (rf *relFlush) reconcileLinks() {
	if len(rf.linkAdd) == 0 && len(rf.linkDel) == 0 {
		return
	}
	for _, k := range rf.linkOrder {
		l := rf.links[k]
		if !rf.linkAdd[k] && !rf.linkDel[k] {
			continue
		}
		exists, known := linkInSnapshot(l.a, l.fa, l.b)
		if !known {
			exists, known = linkInSnapshot(l.b, l.fb, l.a)
		}
		if !known {
			if rf.linkAdd[k] {
				if rf.linkGuess == nil {
					rf.linkGuess = map[linkKey]bool{}
				}
				rf.linkGuess[k] = true
			}
			continue
		}
		if exists {
			delete(rf.linkAdd, k)
		} else {
			delete(rf.linkDel, k)
		}
	}
}

// linkInSnapshot reports whether obj's collection f held other when it
// was last loaded or flushed, and whether that is known.
func linkInSnapshot(obj unsafe.Pointer, f *meta.RelationField, other unsafe.Pointer) (exists, known bool) {
	if f == nil || f.Kind == meta.RelDynamic {
		return false, false
	}
	c := coreOf(obj, f)
	if !c.Bound() || c.Owner() != obj {
		return false, false
	}
	snap, ok := c.Snapshot()
	if !ok {
		return false, false
	}
	return slices.Contains(snap, other), true
}

// relWork reports whether st's relationships may have something to
// flush: a new object, queued changes, or members that differ from the
// last loaded or flushed membership. Unchanged objects are skipped, so
// an autoflush costs little in a large session.
func (s *Session) relWork(st *state) bool {
	if len(st.cd.t.Relations) == 0 {
		return false
	}
	switch st.status {
	case Pending:
		return true
	case Persistent:
	default:
		return false
	}
	for _, f := range st.cd.t.Relations {
		c := coreOf(st.obj, f)
		if !c.Bound() {
			if len(c.Items()) > 0 {
				return true
			}
			continue
		}
		if added, removed := c.Queued(); len(added)+len(removed) > 0 || c.Replaced() || c.Assigned() {
			return true
		}
		if f.Kind == meta.RelDynamic || !c.Loaded() {
			continue
		}
		snap, ok := c.Snapshot()
		if !ok || !samePtrs(c.Items(), snap) {
			return true
		}
	}
	return false
}

func samePtrs(a, b []unsafe.Pointer) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// newLink normalises an association row so that both sides of a
// many-to-many give the same value.
func newLink(r *meta.Relationship, owner, target unsafe.Pointer) link {
	l := link{sec: r.Secondary, r: r, a: owner, b: target, aRef: r.OwnerRef, bRef: r.TargetRef, aCols: r.SecOwner, bCols: r.SecTarget,
		fa: r.Field, fb: r.Back}
	if l.aCols[0].Name > l.bCols[0].Name {
		l.a, l.b, l.aRef, l.bRef, l.aCols, l.bCols = l.b, l.a, l.bRef, l.aRef, l.bCols, l.aCols
		l.fa, l.fb = l.fb, l.fa
	}
	l.r = nil
	return l
}

// link registers the association row between owner and target.
func (rf *relFlush) link(r *meta.Relationship, owner, target unsafe.Pointer) linkKey {
	l := newLink(r, owner, target)
	k := linkKey{l.sec, l.a, l.b}
	if rf.links[k] == nil {
		rf.links[k] = &l
	}
	return k
}

// fkConflict reports a to-one field and its foreign key column that were
// both changed and disagree.
func (s *Session) fkConflict(st *state, r *meta.Relationship, parent unsafe.Pointer) error {
	if st.snap == nil || st.snap.p == nil {
		return nil
	}
	old, okOld := keyValues(st.snap.p, r.OwnerCols)
	src := st.obj
	if pre, ok := s.relPre[st]; ok {
		src = pre.snap.p // before this flush's relationship bookkeeping wrote it
	}
	cur, okCur := keyValues(src, r.OwnerCols)
	if okOld == okCur && (!okCur || sameVals(old, cur)) {
		return nil // the column was not changed: the field decides
	}
	var want []any
	okWant := false
	if parent != nil {
		want, okWant = keyValues(parent, r.TargetCols)
		if !okWant {
			return nil // a new parent: its key is not known yet
		}
	}
	if okWant == okCur && (!okCur || sameVals(want, cur)) {
		return nil
	}
	return fmt.Errorf("%w: %s: %s was set to %v but %s.%s points to %v; change one of them",
		arcerr.ErrInvalidRequest, describe(st), r.Name(), want, st.cd.t.GoType.Name(), r.OwnerCols[0].Field, cur)
}

// syncFK makes child's FK columns refer to parent (nil: NULL). When the
// parent has no key yet, the copy waits for its INSERT.
func (s *Session) syncFK(rf *relFlush, child unsafe.Pointer, childCols []*meta.Column, parent unsafe.Pointer, parentCols []*meta.Column) error {
	if parent == nil {
		if _, ok := keyValues(child, childCols); !ok {
			return nil
		}
		s.keepPre(child)
		return setCols(child, childCols, nil)
	}
	vals, ok := keyValues(parent, parentCols)
	if !ok {
		// One copy per child and key, even when both sides of the
		// relationship ask for it (a parent's collection and the child's
		// to-one): the last one wins.
		for i := range rf.syncs {
			if sy := &rf.syncs[i]; sy.child == child && slices.Equal(sy.childCols, childCols) {
				sy.parent, sy.parentCols = parent, parentCols
				return nil
			}
		}
		rf.syncs = append(rf.syncs, fkSync{child: child, parent: parent, childCols: childCols, parentCols: parentCols})
		return nil
	}
	for i := range rf.syncs {
		if sy := &rf.syncs[i]; sy.child == child && slices.Equal(sy.childCols, childCols) {
			rf.syncs = slices.Delete(rf.syncs, i, i+1) // superseded by a parent with a key
			break
		}
	}
	if cur, ok := keyValues(child, childCols); ok && sameVals(cur, vals) {
		return nil
	}
	s.keepPre(child)
	return setCols(child, childCols, vals)
}

// relRemoved handles member it leaving owner st's collection r.
func (s *Session) relRemoved(rf *relFlush, st *state, r *meta.Relationship, it unsafe.Pointer) error {
	switch r.Dir {
	case meta.ManyToMany:
		if s.isDeleted(it) {
			return nil // deleting it removes its association rows
		}
		l := rf.link(r, st.obj, it)
		if rf.linkAdd[l] {
			delete(rf.linkAdd, l)
		} else if !rf.linkDel[l] {
			rf.linkDel[l] = true
			rf.linkOrder = append(rf.linkOrder, l)
		}
		return nil
	case meta.OneToMany:
		cst := s.stateAt(it)
		if cst != nil && s.movedAway(r, st.obj, it) {
			return nil // not an orphan: its new parent writes the FK
		}
		if r.Cascade.Has(meta.CascadeDeleteOrphan) {
			if cst == nil {
				return nil
			}
			switch cst.status {
			case Pending:
				s.expungeNew(cst)
			case Persistent:
				if !cst.markedDelete {
					s.keepPre(cst.obj)
					cst.markedDelete = true
					s.deleted = append(s.deleted, cst)
				}
			}
			return nil
		}
		if cst == nil || cst.markedDelete {
			return nil
		}
		// Null the FK only if it still points at this owner.
		own, ok1 := keyValues(st.obj, r.OwnerCols)
		cur, ok2 := keyValues(it, r.TargetCols)
		if ok1 && ok2 && sameVals(own, cur) {
			s.keepPre(it)
			return setCols(it, r.TargetCols, nil)
		}
	}
	return nil
}

// relDeleteOne applies the relationships of a deleted object: children
// deleted (cascade delete) or their FK nulled, association rows removed.
func (s *Session) relDeleteOne(ctx context.Context, rf *relFlush, st *state) error {
	// A soft-deleted row stays: its links and its children's foreign keys
	// stay too; only a delete cascade reaches the children (each deleted
	// soft or hard by its own model's rule), and never passively, since
	// no DELETE fires ON DELETE CASCADE.
	soft := s.softDeleting(st)
	for _, f := range st.cd.t.Relations {
		c := coreOf(st.obj, f)
		r := c.Rel()
		if r == nil {
			var err error
			if r, err = meta.Resolve(f); err != nil {
				return err
			}
			if err := c.Bind(st.obj, r, s.loaderRef()); err != nil {
				return err
			}
		}
		switch r.Dir {
		case meta.ManyToMany:
			if !r.PassiveDeletes && !soft {
				rf.ownerDel = append(rf.ownerDel, ownerDelete{sec: r.Secondary, cols: r.SecOwner, obj: st.obj, ref: r.OwnerRef})
			}
		case meta.OneToMany:
			del := r.Cascade.Has(meta.CascadeDelete)
			passive := r.PassiveDeletes && !soft
			keep := soft && !del // the children stay with the row that stays
			if r.PassiveDeletesAll && !soft {
				continue
			}
			if !c.Loaded() && !passive && !keep && f.Kind != meta.RelDynamic {
				if err := s.loadRelation(ctx, st.obj, r); err != nil {
					return err
				}
			}
			var members, gone []unsafe.Pointer
			if f.Kind == meta.RelDynamic {
				if !passive && !keep {
					var err error
					if members, err = s.dynamicMembers(ctx, st.obj, r); err != nil {
						return err
					}
				}
			} else {
				members = c.Items()
				if snap, ok := c.Snapshot(); ok {
					for _, p := range snap {
						if !slices.Contains(members, p) {
							gone = append(gone, p)
						}
					}
				}
			}
			// Members removed in memory are not reached by the cascade:
			// they are orphans, moved, or have their FK nulled.
			for _, it := range gone {
				if err := s.relRemoved(rf, st, r, it); err != nil {
					return fmt.Errorf("arc: deleting %s: %w", describe(st), err)
				}
			}
			if keep {
				continue
			}
			if !soft && !passive && r.Target.SoftDelete != nil {
				// The row goes for real: soft-deleted children, which
				// loads skip, still refer to it.
				dead, err := s.deletedChildren(ctx, r, st.obj)
				if err != nil {
					return err
				}
				members = append(slices.Clip(members), dead...)
			}
			for _, it := range members {
				cst := s.stateAt(it)
				if cst != nil && cst.status == Pending && del && !s.movedAway(r, st.obj, it) {
					s.expungeNew(cst) // a new child of a deleted parent is expunged, not inserted
					continue
				}
				if cst == nil || cst.markedDelete || cst.status != Persistent {
					continue
				}
				if s.movedAway(r, st.obj, it) {
					continue // it belongs to another parent now
				}
				if del {
					if soft {
						s.markSoft(cst)
					} else {
						s.markHard(cst)
					}
					s.keepPre(cst.obj)
					cst.markedDelete = true
					s.deleted = append(s.deleted, cst)
					if passive {
						rf.passiveDel[cst] = true
					}
					continue
				}
				if passive {
					continue
				}
				own, ok1 := keyValues(st.obj, r.OwnerCols)
				cur, ok2 := keyValues(it, r.TargetCols)
				if ok1 && ok2 && sameVals(own, cur) {
					s.keepPre(it)
					if err := setCols(it, r.TargetCols, nil); err != nil {
						return fmt.Errorf("arc: deleting %s: %w", describe(st), err)
					}
					if r.Back != nil {
						rf.unparented = append(rf.unparented, unparented{child: it, f: r.Back, parent: st.obj})
					}
				}
			}
		}
	}
	return nil
}

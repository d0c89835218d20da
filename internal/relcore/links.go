package relcore

import (
	"slices"
	"unsafe"
)

// Linked records that the database now holds the link row between the
// owner and p (session.Link wrote it), on this field and on its inverse:
// a loaded collection shows p as loaded and flushed, and a queued append
// or removal of p is dropped, so no later flush writes the row again.
func (c *Core) Linked(p unsafe.Pointer) {
	c.settled(p, true)
	if bc := c.back(p); bc != nil {
		bc.settled(c.owner, true)
	}
}

// Unlinked records that the database holds no link row between the owner
// and p (session.Unlink deleted it), on this field and on its inverse.
func (c *Core) Unlinked(p unsafe.Pointer) {
	c.settled(p, false)
	if bc := c.back(p); bc != nil {
		bc.settled(c.owner, false)
	}
}

// settled makes p a member (in) or not, in memory and in the snapshot,
// with nothing queued for it. Arrays are never written in place: the
// list and the snapshot may share one.
func (c *Core) settled(p unsafe.Pointer, in bool) {
	if c.q != nil {
		if j := slices.Index(c.q.added, p); j >= 0 {
			c.q.added = slices.Delete(slices.Clone(c.q.added), j, j+1)
		}
		if j := slices.Index(c.q.removed, p); j >= 0 {
			c.q.removed = slices.Delete(slices.Clone(c.q.removed), j, j+1)
		}
	}
	list, snap := c.list(), c.snapshot()
	if in {
		// A loaded collection, or one replaced by Set while unloaded
		// (the flush writes its list), shows p.
		if (c.loaded || c.q != nil && c.q.replaced) && !slices.Contains(list, p) {
			c.setList(append(slices.Clone(list), p))
		}
		if c.snapped && !slices.Contains(snap, p) {
			c.setSnapshot(append(slices.Clone(snap), p))
		}
		return
	}
	if i := slices.Index(list, p); i >= 0 {
		c.setList(slices.Delete(slices.Clone(list), i, i+1))
	}
	if i := slices.Index(snap, p); i >= 0 {
		c.setSnapshot(slices.Delete(slices.Clone(snap), i, i+1))
	}
}

// settleInverse undoes, on the inverse collections of this field's
// members, the unflushed changes this field made there, before Expire
// throws this side's changes away: otherwise the other side's queued
// append (or its in-memory membership) would still write the link at the
// next flush. A collection on the other side goes back to what it holds
// as loaded (its snapshot) for this owner, with nothing queued; to-one
// inverses are left to the foreign-key sync of the flush.
func (c *Core) settleInverse() {
	if c.rel == nil || c.owner == nil || c.rel.Back == nil {
		return
	}
	seen := map[unsafe.Pointer]bool{}
	for _, l := range [][]unsafe.Pointer{c.list(), c.added(), c.removed(), c.snapshot()} {
		for _, it := range l {
			if it == nil || seen[it] {
				continue
			}
			seen[it] = true
			bc := c.back(it)
			if bc == nil || bc.rel == nil || !bc.rel.Uselist() {
				continue
			}
			if bc.q != nil {
				bc.q.added = slices.DeleteFunc(slices.Clone(bc.q.added), func(p unsafe.Pointer) bool { return p == c.owner })
				bc.q.removed = slices.DeleteFunc(slices.Clone(bc.q.removed), func(p unsafe.Pointer) bool { return p == c.owner })
			}
			if bc.snapped {
				inSnap := slices.Contains(bc.snapshot(), c.owner)
				inList := slices.Contains(bc.list(), c.owner)
				switch {
				case inSnap && !inList:
					bc.setList(append(slices.Clone(bc.list()), c.owner))
				case !inSnap && inList:
					bc.setList(slices.DeleteFunc(slices.Clone(bc.list()), func(p unsafe.Pointer) bool { return p == c.owner }))
				}
			}
		}
	}
}

// Saved is a copy of a relationship field's state that Restore puts back:
// a flush that expunged an object and then failed undoes what the expunge
// did to its fields and to the inverse fields of their members.
type Saved struct {
	c Core
	q *queued
}

// Save copies the field's state (its members, snapshot and queued
// changes; arrays are never written in place, queues are copied).
func (c *Core) Save() Saved {
	s := Saved{c: *c}
	if c.q != nil {
		q := queued{added: slices.Clone(c.q.added), removed: slices.Clone(c.q.removed), replaced: c.q.replaced}
		s.q = &q
	}
	return s
}

// Restore puts back what Save copied.
func (c *Core) Restore(s Saved) {
	*c = s.c
	c.q = nil
	if s.q != nil {
		q := queued{added: slices.Clone(s.q.added), removed: slices.Clone(s.q.removed), replaced: s.q.replaced}
		c.q = &q
	}
}

package relations

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
		if c.loaded && !slices.Contains(list, p) {
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

// Package relcore is the bookkeeping behind Arc's relationship fields:
// the header every relations.One, Many and Dynamic holds (Core: its owner,
// the resolved *meta.Relationship, the Loader that loads it, its members
// in memory, the membership as last loaded or flushed, and the changes
// queued while it is not loaded), the Loader interfaces package session
// implements, and the criteria that select one owner's related rows.
//
// It is internal so that the field types' documented API is all users
// see: relations builds the typed methods on Core, session drives the
// unit of work through it. relcore knows nothing about sessions: loading
// goes through Loader.
package relcore

import (
	"context"
	"fmt"
	"slices"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/meta"
)

// Core is the state every relationship field holds: its binding (owner,
// relationship, loader) and its in-memory members. relations.One, Many and
// Dynamic are a Core each (the field starts with it, so At finds it from
// the field's address); package session works on it.
//
// Every model with relationships carries a Core per field, and a load
// makes one per field of every object, so it is kept small (64 bytes):
// the members and the snapshot are stored as an array pointer with 32-bit
// lengths instead of two slice headers (see list and snapshot), and the
// loader as a pointer to the interface value its session keeps (see Bind).
type Core struct {
	owner unsafe.Pointer
	rel   *meta.Relationship
	ld    *Loader
	// items[:n:capa] are the members in memory.
	items *unsafe.Pointer
	// snap[:sn] is the membership as last loaded or flushed (the unit of
	// work diffs against it). items and snap may share an array: members
	// are never written in place, so neither sees the other's changes.
	snap *unsafe.Pointer
	// q holds, for Dynamic and unloaded collections, the changes queued
	// until flush or load; nil when there are none (most fields never
	// queue).
	q       *queued
	n, capa int32
	sn      int32
	loaded  bool
	snapped bool
	mode    Mode
	// assigned: a to-one field was set in memory (to nil, too) since it
	// was last loaded or flushed, so the flush writes its foreign key.
	assigned bool
}

// emptyList stands for an empty, non-nil slice. It is never written:
// only its address is used.
var emptyList unsafe.Pointer

// pack returns the array pointer of s, nil for a nil slice and emptyList
// for an empty one without an array. A collection never nears 2^31
// members (that is 16 GiB of pointers), so the lengths fit an int32.
func pack(s []unsafe.Pointer) *unsafe.Pointer {
	switch {
	case s == nil:
		return nil
	case cap(s) == 0:
		return &emptyList
	}
	return unsafe.SliceData(s)
}

func unpack(p *unsafe.Pointer, n, capa int32) []unsafe.Pointer {
	if p == nil {
		return nil
	}
	return unsafe.Slice(p, int(capa))[:n]
}

// list returns the members in memory.
func (c *Core) list() []unsafe.Pointer { return unpack(c.items, c.n, c.capa) }

// setList stores s as the members in memory.
func (c *Core) setList(s []unsafe.Pointer) {
	c.items, c.n, c.capa = pack(s), int32(len(s)), int32(cap(s))
}

// snapshot returns the membership as last loaded or flushed.
func (c *Core) snapshot() []unsafe.Pointer { return unpack(c.snap, c.sn, c.sn) }

// setSnapshot records s as the membership as last loaded or flushed.
func (c *Core) setSnapshot(s []unsafe.Pointer) {
	c.snap, c.sn, c.snapped = pack(s[:len(s):len(s)]), int32(len(s)), true
	c.assigned = false
}

// queued holds the changes made to an unloaded field. replaced: Set
// replaced the whole collection, so the members in memory are all of it
// and the ones in the database that are not among them leave it (known
// once it is loaded, at the latest by the next flush).
type queued struct {
	added, removed []unsafe.Pointer
	replaced       bool
}

func (c *Core) added() []unsafe.Pointer {
	if c.q == nil {
		return nil
	}
	return c.q.added
}

func (c *Core) removed() []unsafe.Pointer {
	if c.q == nil {
		return nil
	}
	return c.q.removed
}

func (c *Core) queue() *queued {
	if c.q == nil {
		c.q = &queued{}
	}
	return c.q
}

// Replaced reports whether Set replaced the members of the collection
// while it was not loaded: the flush loads the current members to diff
// against them.
func (c *Core) Replaced() bool { return c.q != nil && c.q.replaced }

// Assigned reports whether a to-one field was set in memory (nil included)
// since it was last loaded or flushed.
func (c *Core) Assigned() bool { return c.assigned }

// Snapshot returns the membership as last loaded or flushed, and whether
// there is one.
func (c *Core) Snapshot() ([]unsafe.Pointer, bool) { return c.snapshot(), c.snapped }

// TakeSnapshot records the current members as the flushed membership.
func (c *Core) TakeSnapshot() { c.setSnapshot(c.list()) }

// SetNone makes a to-one field read as loaded with no target, as flushed,
// leaving the inverse side alone: the flush nulled its foreign key
// because the target was deleted.
func (c *Core) SetNone() {
	c.setList(nil)
	c.setSnapshot(nil)
	c.loaded, c.q = true, nil
}

// At returns the relationship field that starts at p: a relations.One,
// Many or Dynamic is a Core.
func At(p unsafe.Pointer) *Core { return (*Core)(p) }

// Of returns the relationship field rf of the object at obj.
func Of(obj unsafe.Pointer, rf *meta.RelationField) *Core {
	return (*Core)(unsafe.Add(obj, rf.Offset))
}

// Bind attaches the field to owner and relationship r; ld may be nil
// (in-memory only). A field bound to another owner (its struct was
// copied) is re-bound. Members already present get their inverse side set.
//
// The inverse side (r.Back) is resolved here, so that a relationship whose
// back_populates or backref side cannot be resolved fails where an error
// can be returned (the session's Add, or the load that binds the owner)
// instead of leaving the members' inverse fields silently unset; the
// error names both fields and wraps meta's (arcerr.ErrInvalidModel). The
// field is left as it was.
//
// ld points at a Loader its owner (the session) keeps for as long as the
// fields it binds may use it: a field holds the pointer, one word instead
// of an interface's two.
func (c *Core) Bind(owner unsafe.Pointer, r *meta.Relationship, ld *Loader) error {
	if err := checkBack(r); err != nil {
		return err
	}
	fresh := c.owner != owner || c.rel != r
	c.owner, c.rel = owner, r
	if ld != nil {
		c.ld = ld
	}
	if fresh {
		for _, it := range c.list() {
			c.linkBack(it)
		}
	}
	return nil
}

// checkBack resolves r's inverse side, if it has one (meta caches the
// result, so back finds it resolved).
func checkBack(r *meta.Relationship) error {
	if r == nil || r.Back == nil {
		return nil
	}
	if _, err := meta.Resolve(r.Back); err != nil {
		return fmt.Errorf("relationship %s: its inverse side %s.%s: %w", r.Name(), r.Target.GoType.Name(), r.Back.Field, err)
	}
	return nil
}

// Bound reports whether the field knows its owner.
func (c *Core) Bound() bool { return c.owner != nil && c.rel != nil }

// Owner returns the owner object, or nil.
func (c *Core) Owner() unsafe.Pointer { return c.owner }

// Rel returns the resolved relationship, or nil while unbound.
func (c *Core) Rel() *meta.Relationship { return c.rel }

// Loader returns the field's loader, or nil.
func (c *Core) Loader() Loader {
	if c.ld == nil {
		return nil
	}
	return *c.ld
}

// SetLoader sets the loader (nil detaches the field from its session).
func (c *Core) SetLoader(ld Loader) {
	if ld == nil {
		c.ld = nil
		return
	}
	c.ld = &ld
}

// Loaded reports whether the members in memory are the whole relationship.
func (c *Core) Loaded() bool { return c.loaded || c.mode == ModeNoLoad }

// MarkLoaded marks the field loaded as it is (a new object's empty collection).
func (c *Core) MarkLoaded() { c.loaded = true }

// Items returns the members in memory (a to-one field has 0 or 1).
func (c *Core) Items() []unsafe.Pointer { return c.list() }

// SetMode sets the loading mode (query options Raise and NoLoad).
func (c *Core) SetMode(m Mode) { c.mode = m }

// GetMode returns the loading mode.
func (c *Core) GetMode() Mode { return c.mode }

// SetLoaded stores members read from the database and marks the field
// loaded. Changes made in memory while it was unloaded are merged:
// appended members stay, removed ones stay out.
func (c *Core) SetLoaded(items []unsafe.Pointer) {
	if c.Replaced() {
		c.setReplaced(items)
		return
	}
	c.setSnapshot(items)
	if c.n == 0 && len(c.added()) == 0 && len(c.removed()) == 0 {
		c.setList(items)
		c.loaded, c.mode = true, ModeDefault
		return
	}
	out := make([]unsafe.Pointer, 0, len(items)+len(c.added()))
	for _, it := range items {
		if !slices.Contains(c.removed(), it) {
			out = append(out, it)
		}
	}
	for _, it := range c.list() {
		if !slices.Contains(out, it) && !slices.Contains(c.removed(), it) {
			out = append(out, it)
		}
	}
	if c.rel != nil && !c.rel.Uselist() && c.n > 0 {
		out = []unsafe.Pointer{c.list()[0]} // a to-one set in memory wins
	}
	c.setList(out)
	c.loaded, c.mode = true, ModeDefault
	if c.rel == nil || c.rel.Field.Kind != meta.RelDynamic {
		c.q = nil
	}
}

// setReplaced stores the members read from the database of a collection
// that Set replaced while unloaded: the members in memory stay, the ones
// read are the snapshot the flush diffs against, and those that left get
// their inverse side cleared.
func (c *Core) setReplaced(items []unsafe.Pointer) {
	c.setSnapshot(items)
	c.loaded, c.mode, c.q = true, ModeDefault, nil
	for _, it := range items {
		if slices.Contains(c.list(), it) {
			continue
		}
		bc := c.back(it)
		if bc == nil {
			continue
		}
		if bc.rel.Uselist() {
			bc.removeRaw(c.owner)
		} else if !bc.loaded || bc.one() == c.owner {
			bc.setOneRaw(nil)
		}
	}
}

// Expire forgets the loaded members of a persistent owner; the next Load
// reads them again. In-memory changes are dropped.
func (c *Core) Expire() {
	c.settleInverse()
	c.setList(nil)
	c.loaded, c.q, c.mode = false, nil, ModeDefault
	c.snap, c.sn, c.snapped = nil, 0, false
	c.assigned = false
}

// Queued returns the members appended and removed while unloaded (and, for
// Dynamic, since the last flush).
func (c *Core) Queued() (added, removed []unsafe.Pointer) { return c.added(), c.removed() }

// ClearQueued forgets queued changes (after a flush wrote them).
func (c *Core) ClearQueued() { c.q = nil }

// back returns the inverse field on member it, bound, or nil. A field is
// bound to c.rel by Bind, which fails (and leaves the field unbound) when
// c.rel.Back does not resolve, or by back itself on a member, with the
// inverse of a relationship that was bound: the Resolve here returns
// meta's cached result, whose error Bind has returned already.
func (c *Core) back(it unsafe.Pointer) *Core {
	if c.rel == nil || c.rel.Field == nil || c.rel.Back == nil || it == nil {
		return nil
	}
	br, err := meta.Resolve(c.rel.Back)
	if err != nil {
		return nil // Bind reported it
	}
	bc := Of(it, c.rel.Back)
	if bc.owner != it || bc.rel != br {
		bc.owner, bc.rel = it, br
	}
	if bc.ld == nil {
		bc.ld = c.ld
	}
	return bc
}

// linkBack makes member it point back to the owner.
func (c *Core) linkBack(it unsafe.Pointer) {
	bc := c.back(it)
	if bc == nil {
		return
	}
	if bc.rel.Uselist() {
		bc.addRaw(c.owner)
		return
	}
	old := bc.current()
	if old == c.owner {
		if !bc.loaded {
			bc.setOneRaw(c.owner)
		}
		return
	}
	if old != nil && c.rel.Uselist() {
		// Moving to a new parent: leave the old parent's collection.
		if oc := bc.back(old); oc != nil {
			oc.removeRaw(it)
		}
	}
	bc.setOneRaw(c.owner)
}

// unlinkBack clears member it's pointer to the owner.
func (c *Core) unlinkBack(it unsafe.Pointer) {
	bc := c.back(it)
	if bc == nil {
		return
	}
	if bc.rel.Uselist() {
		bc.removeRaw(c.owner)
		return
	}
	if bc.one() == c.owner {
		bc.setOneRaw(nil)
	}
}

func (c *Core) one() unsafe.Pointer {
	if c.n == 0 {
		return nil
	}
	return *c.items
}

// current returns the target of a to-one field: the one in memory when
// it is loaded, else the one its loader finds without I/O (or nil).
func (c *Core) current() unsafe.Pointer {
	if c.loaded || c.mode == ModeNoLoad {
		return c.one()
	}
	if pk, ok := c.Loader().(Peeker); ok && c.owner != nil && c.rel != nil {
		return pk.PeekOne(c.owner, c.rel)
	}
	return nil
}

func (c *Core) setOneRaw(p unsafe.Pointer) {
	if p == nil {
		c.setList(nil)
	} else {
		c.setList([]unsafe.Pointer{p}) // never in place: snap may share the array
	}
	c.loaded = true
	c.assigned = true
}

func (c *Core) addRaw(p unsafe.Pointer) bool {
	if slices.Contains(c.list(), p) {
		return false
	}
	c.setList(append(c.list(), p))
	if i := slices.Index(c.removed(), p); i >= 0 {
		c.q.removed = slices.Delete(c.q.removed, i, i+1)
		if c.keepsBoth() {
			c.q.added = append(c.q.added, p)
		}
	} else if !c.loaded || (c.rel != nil && c.rel.Field.Kind == meta.RelDynamic) {
		q := c.queue()
		q.added = append(q.added, p)
	}
	return true
}

// keepsBoth reports whether an unloaded one-to-many queues a removal
// after an append of the same member (and an append after a removal)
// instead of cancelling the two: whether the member was in the collection
// in the database is not known, and writing its foreign key (or deleting
// it as an orphan) again is harmless where losing the change is not. A
// many-to-many cancels them: an association row cannot be inserted or
// deleted twice.
func (c *Core) keepsBoth() bool {
	return c.rel != nil && c.rel.Dir == meta.OneToMany && (!c.loaded || c.rel.Field.Kind == meta.RelDynamic)
}

func (c *Core) removeRaw(p unsafe.Pointer) bool {
	i := slices.Index(c.list(), p)
	if i >= 0 {
		c.setList(slices.Delete(slices.Clone(c.list()), i, i+1)) // never in place
	}
	if j := slices.Index(c.added(), p); j >= 0 {
		c.q.added = slices.Delete(c.q.added, j, j+1)
		if c.keepsBoth() && !slices.Contains(c.q.removed, p) {
			c.q.removed = append(c.q.removed, p)
		}
	} else if !c.loaded || (c.rel != nil && c.rel.Field.Kind == meta.RelDynamic) {
		if !slices.Contains(c.removed(), p) {
			q := c.queue()
			q.removed = append(q.removed, p)
		}
	}
	return i >= 0
}

// Append adds p with the inverse side kept in step.
func (c *Core) Append(p unsafe.Pointer) {
	if p == nil {
		return
	}
	if c.addRaw(p) {
		c.linkBack(p)
	}
}

// Remove takes p out with the inverse side kept in step.
func (c *Core) Remove(p unsafe.Pointer) bool {
	ok := c.removeRaw(p)
	c.unlinkBack(p)
	return ok
}

// SetAll replaces the members; removed ones are de-associated.
func (c *Core) SetAll(ps []unsafe.Pointer) {
	// An unloaded collection of an object in a session: the members in the
	// database are not known yet; they are loaded (at the latest by the
	// next flush) and the ones not in ps leave.
	replace := !c.Loaded() && c.ld != nil && c.owner != nil && c.rel != nil && c.rel.Field != nil && c.rel.Field.Kind != meta.RelDynamic
	if mp, ok := c.Loader().(MemberPeeker); ok && replace {
		for _, it := range mp.PeekMembers(c.owner, c.rel) {
			if !slices.Contains(ps, it) && !slices.Contains(c.list(), it) {
				c.unlinkBack(it) // a member known in memory that leaves
			}
		}
	}
	for _, old := range slices.Clone(c.list()) {
		if !slices.Contains(ps, old) {
			c.Remove(old)
		}
	}
	for _, p := range ps {
		c.Append(p)
	}
	// Keep the order given.
	order := make([]unsafe.Pointer, 0, c.n)
	for _, p := range ps {
		if p != nil && !slices.Contains(order, p) {
			order = append(order, p)
		}
	}
	c.setList(order)
	if replace {
		c.queue().replaced = true
		return
	}
	c.loaded = c.loaded || c.ld == nil || c.owner == nil
}

// SetOne points a to-one field at p (nil clears it), moving the owner from
// the old target's collection to p's.
func (c *Core) SetOne(p unsafe.Pointer) {
	old := c.current()
	if old == p {
		if !c.loaded { // the same target, now set: written at flush
			c.setOneRaw(p)
			if p != nil {
				c.linkBack(p)
			}
		}
		return
	}
	if old != nil {
		c.unlinkOld(old)
	}
	c.setOneRaw(p)
	if p != nil {
		c.linkBack(p)
	}
}

func (c *Core) unlinkOld(old unsafe.Pointer) {
	if bc := c.back(old); bc != nil {
		if bc.rel.Uselist() {
			bc.removeRaw(c.owner)
		} else if bc.one() == c.owner {
			bc.setOneRaw(nil)
		}
	}
}

// Load loads the field through its loader unless it is loaded; what names
// the field in messages while it is unbound ("Many[Address]").
func (c *Core) Load(ctx context.Context, what string) error {
	if c.Loaded() {
		return nil
	}
	if c.mode == ModeRaise {
		return fmt.Errorf("%w: %s is not loaded and its loading strategy is raise", arcerr.ErrLazyLoad, c.Name(what))
	}
	if c.ld == nil || c.owner == nil || c.rel == nil {
		return fmt.Errorf("%w: %s is not bound to a session (add its owner to a session or load it with a query)", arcerr.ErrDetached, c.Name(what))
	}
	return (*c.ld).LoadRelation(ctx, c.owner, c.rel)
}

// Query runs q over a dynamic field through its loader (out is a *[]*T,
// or a *int64 with q.Count).
func (c *Core) Query(ctx context.Context, what string, q DynamicQuery, out any) error {
	if c.ld == nil || c.owner == nil {
		return fmt.Errorf("%w: %s is not bound to a session", arcerr.ErrDetached, c.Name(what))
	}
	return (*c.ld).QueryRelation(ctx, c.owner, c.rel, q, out)
}

// Name is the relationship's "Model.Field" once bound, else what.
func (c *Core) Name(what string) string {
	if c.rel != nil {
		return c.rel.Name()
	}
	return what
}

// One returns a to-one field's target in memory, or nil.
func (c *Core) One() unsafe.Pointer { return c.one() }

// Len is the number of members in memory.
func (c *Core) Len() int { return int(c.n) }

// Added returns the members appended and not yet written (Dynamic's
// pending ones).
func (c *Core) Added() []unsafe.Pointer { return c.added() }

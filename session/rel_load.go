package session

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/relations"
)

// GuardBatch is an N+1 guard mode: a lazy load on an object that came from
// a multi-row query loads the relationship for every object of that query
// at once (one SELECT ... IN), so a loop over the result costs one query
// per relationship instead of one per object.
const GuardBatch LazyGuard = GuardRaise + 1

// batchLoad loads r for every object of st's multi-row query that has not
// loaded it yet; ok is false when st does not come from one.
func (s *Session) batchLoad(ctx context.Context, st *state, r *meta.Relationship) (bool, error) {
	if s.opts.guard != GuardBatch || s.batchLen(st) < 2 {
		return false, nil
	}
	var members []*state
	for o := range s.states.All() {
		if o.batch == st.batch && o.cd.t == st.cd.t && o.status == Persistent && !coreOf(o.obj, r.Field).Loaded() {
			members = append(members, o)
		}
	}
	sortStates(members)
	objs := make([]unsafe.Pointer, len(members))
	for i, o := range members {
		objs[i] = o.obj
	}
	if err := s.autoflush(ctx); err != nil {
		return true, err
	}
	_, err := s.applyStrategy(ctx, r, relations.StrategySelectIn, objs)
	return true, err
}

// guard applies the N+1 guard to a lazy load of r on st.
func (s *Session) guard(st *state, r *meta.Relationship) error {
	if s.opts.guard == GuardOff || s.batchLen(st) < 2 {
		return nil
	}
	msg := fmt.Sprintf("lazy load of %s on %s, one of %d objects loaded by one query (N+1): use relations.SelectIn or relations.Joined",
		r.Name(), describe(st), s.batchLen(st))
	if s.opts.guard == GuardRaise {
		return fmt.Errorf("%w: %s", arcerr.ErrLazyLoad, msg)
	}
	if s.opts.log != nil {
		s.opts.log.Warn("arc: " + msg)
	}
	return nil
}

// loadRelation implements relcore.Loader (through relLoader): the lazy load of one
// relationship of one object.
func (s *Session) loadRelation(ctx context.Context, owner unsafe.Pointer, r *meta.Relationship) error {
	if s.closed {
		return fmt.Errorf("%w: cannot load %s: its session is closed", arcerr.ErrDetached, r.Name())
	}
	st := s.stateAt(owner)
	c := coreOf(owner, r.Field)
	if st == nil || st.status == Detached {
		return fmt.Errorf("%w: cannot load %s: its owner is not in this session", arcerr.ErrDetached, r.Name())
	}
	if r.Dir == meta.ManyToOne {
		vals, ok := keyValues(owner, r.OwnerCols)
		if !ok {
			c.SetLoaded(nil)
			return nil
		}
		if k, err := keyOf(r.Target, vals); err == nil && samePK(r) {
			if tst := s.identity.get(k); tst != nil {
				c.SetLoaded([]unsafe.Pointer{tst.obj})
				return nil
			}
			if ok, err := s.batchLoad(ctx, st, r); ok {
				return err
			}
			if err := s.guard(st, r); err != nil {
				return err
			}
			p, err := s.get(ctx, r.Target, vals)
			if err != nil && !errors.Is(err, arcerr.ErrNotFound) {
				return err
			}
			var items []unsafe.Pointer
			if p != nil {
				items = []unsafe.Pointer{p}
			}
			c.SetLoaded(items)
			return nil
		}
	}
	if st.status == Pending {
		c.SetLoaded(nil)
		return nil
	}
	if ok, err := s.batchLoad(ctx, st, r); ok {
		return err
	}
	if err := s.guard(st, r); err != nil {
		return err
	}
	if err := s.autoflush(ctx); err != nil {
		return err
	}
	groups, _, err := s.loadGroups(ctx, r, []unsafe.Pointer{owner}, false)
	if err != nil {
		return err
	}
	return s.fill(r, owner, groups[0], nil)
}

// samePK reports whether a many-to-one joins on the target's primary key
// (so the identity map can answer).
func samePK(r *meta.Relationship) bool {
	if len(r.TargetCols) != len(r.Target.PrimaryKey) {
		return false
	}
	for i, c := range r.TargetCols {
		if c != r.Target.PrimaryKey[i] {
			return false
		}
	}
	return true
}

// fill stores loaded members in owner's field, records the membership and
// sets the inverse to-one side of each member when it is not loaded. An
// inverse side that does not resolve is an error (naming both fields), not
// a member left with its to-one side unset. one, when not nil, is a
// one-element slice holding owner that the members' to-one sides may share
// (never written in place); else fill makes one.
func (s *Session) fill(r *meta.Relationship, owner unsafe.Pointer, items, one []unsafe.Pointer) error {
	c := coreOf(owner, r.Field)
	if !r.Uselist() && len(items) > 1 {
		items = items[:1:1]
	}
	_, removed := c.Queued() // members removed before the load: they have left (read before SetLoaded merges them)
	removed = slices.Clone(removed)
	c.SetLoaded(items)
	if r.Back == nil || r.Dir == meta.ManyToMany || len(items) == 0 {
		return nil
	}
	br, err := meta.Resolve(r.Back)
	if err != nil {
		return fmt.Errorf("arc: loading %s: its inverse side %s.%s: %w", r.Name(), r.Target.GoType.Name(), r.Back.Field, err)
	}
	if br.Uselist() {
		return nil
	}
	for _, it := range items { // one is shared by the members: never written in place
		bc := coreOf(it, r.Back)
		if bc.Loaded() {
			continue
		}
		if one == nil {
			one = []unsafe.Pointer{owner}
		}
		if err := bc.Bind(it, br, s.loaderRef()); err != nil {
			return fmt.Errorf("arc: loading %s: %w", r.Name(), err)
		}
		if len(removed) > 0 && slices.Contains(removed, it) {
			bc.SetLoaded(nil) // removed before the load: it has left the owner
			continue
		}
		bc.SetLoaded(one)
	}
	return nil
}

// ownerKeyCols are the owner's columns the related rows refer to.
func ownerKeyCols(r *meta.Relationship) []*meta.Column {
	if r.Dir == meta.ManyToMany {
		return r.OwnerRef
	}
	return r.OwnerCols
}

// loadGroups loads r's targets for owners and groups them by owner:
// groups[i] are owners[i]'s, and all holds every group in owner order (one
// array: the groups are slices of it). A single owner uses "? = fk";
// several use chunked IN lists.
func (s *Session) loadGroups(ctx context.Context, r *meta.Relationship, owners []unsafe.Pointer, in bool) (groups [][]unsafe.Pointer, all []unsafe.Pointer, err error) {
	x, err := s.executor(ctx)
	if err != nil {
		return nil, nil, err
	}
	d := x.Dialect()
	groups = make([][]unsafe.Pointer, len(owners))
	okc := ownerKeyCols(r)
	if len(owners) == 1 && (!in || len(okc) != 1) {
		vals, ok := keyValues(owners[0], okc)
		if !ok {
			return groups, nil, nil
		}
		q, err := cachedRelSQL(s.cache(), d, r, 0)
		if err != nil {
			return nil, nil, err
		}
		items, err := s.runRel(ctx, x, r, q, vals, 0, nil)
		if err != nil {
			return nil, nil, err
		}
		groups[0] = items
		return groups, items, nil
	}
	if len(okc) != 1 {
		for i, o := range owners {
			g, _, err := s.loadGroups(ctx, r, []unsafe.Pointer{o}, false)
			if err != nil {
				return nil, nil, err
			}
			groups[i] = g[0]
			all = append(all, g[0]...)
		}
		return groups, all, nil
	}
	// Owners by key: integer keys (the common case) in a map[int64],
	// which hashes much faster than interface keys. Each map holds the
	// last owner with the key; sameKey chains the others (owners of a
	// many-to-one load often share one).
	byInt := make(map[int64]int32, len(owners))
	var byKey map[any]int32
	sameKey := make([]int32, len(owners))
	keys := make([]any, 0, len(owners))
	for i, o := range owners {
		k := rowOwnerKey(o, okc[0]) // an integer key is read unboxed
		switch {
		case k.null, k.v == nil && k.n == 0 && okc[0].PrimaryKey: // no key yet (as keyValues)
		case k.v == nil:
			if chainOwner(byInt, k.n, i, sameKey) {
				keys = append(keys, k.n)
			}
		default:
			if byKey == nil {
				byKey = map[any]int32{}
			}
			if chainOwner(byKey, k.v, i, sameKey) {
				keys = append(keys, k.v)
			}
		}
	}
	chunk := d.MaxParams() - 1
	if n := s.opts.selectInChunk; n > 0 && n < chunk {
		chunk = n
	}
	if chunk > 500 {
		chunk = 500 // SQLAlchemy's batch size: keeps statement texts few and cacheable
	}
	// Gather each row's object and its owner's index (two arrays: the
	// indexes hold no pointers for the collector to scan), then cut every
	// owner's group from one backing array in row order instead of
	// growing each by appends.
	expect := max(codecOf(r.Target).hint.expect(), len(owners))
	items := make([]unsafe.Pointer, 0, expect)
	who := make([]int32, 0, expect)
	start := make([]int32, len(owners)+1) // counts, then where each owner's group begins in backing
	for from := 0; from < len(keys); from += chunk {
		part := keys[from:min(len(keys), from+chunk)]
		q, err := cachedRelSQL(s.cache(), d, r, len(part))
		if err != nil {
			return nil, nil, err
		}
		_, err = s.runRel(ctx, x, r, q, part, 1, func(k ownerKey, p unsafe.Pointer) {
			oi, found := int32(0), false
			switch {
			case k.null:
			case k.v == nil:
				oi, found = byInt[k.n]
			default:
				oi, found = byKey[k.v]
			}
			if !found {
				return
			}
			for ; oi >= 0; oi = sameKey[oi] {
				items = append(items, p)
				who = append(who, oi)
				start[oi+1]++
			}
		})
		if err != nil {
			return nil, nil, err
		}
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	// Each row's place in owner order (stable: a group keeps the rows'
	// order), in who; then items is permuted into that order in place.
	next := start[:len(owners)]
	for i, o := range who {
		who[i] = next[o]
		next[o]++
	}
	for i := range items {
		for j := who[i]; j != int32(i); j = who[i] {
			items[i], items[j] = items[j], items[i]
			who[i], who[j] = who[j], who[i]
		}
	}
	backing := items[:len(items):len(items)]
	// next[i] is now where owner i's group ends (and i+1's begins).
	from := int32(0)
	for i, end := range next {
		if end > from {
			groups[i] = backing[from:end:end]
		}
		from = end
	}
	return groups, backing, nil
}

// runRel runs a relationship SELECT and maps its rows. With nkey > 0 each
// row's owner key is passed to each(key, obj): for a many-to-many
// relationship it is the first nkey result columns (from the association
// table), otherwise the target row's own foreign key, read from the row
// as the database returned it (not from a mapped object that may hold an
// unflushed change).
func (s *Session) runRel(ctx context.Context, x engine.Executor, r *meta.Relationship, st stmtText, vals []any, nkey int, each func(ownerKey, unsafe.Pointer)) ([]unsafe.Pointer, error) {
	q, args := st.sql, st.bind(vals)
	rows, err := x.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("arc: loading %s: %w", r.Name(), err)
	}
	defer rows.Close()
	t := r.Target
	plan := engine.NewScanPlan(loadCols(t, propsMask(t, 0)))
	var items []unsafe.Pointer
	var key any
	var dests []any
	ld := s.makeLoader(t, plan, false, 0, nil)
	defer ld.done()
	keyFromRow := nkey > 0 && r.Dir != meta.ManyToMany
	for rows.Next() {
		fresh := ld.fresh()
		if nkey > 0 && !keyFromRow {
			dests = append(append(dests[:0], &key), plan.Dests(fresh)...)
			err = rows.Scan(dests...)
		} else {
			err = plan.Scan(rows, fresh)
		}
		if err != nil {
			return nil, fmt.Errorf("arc: loading %s: %w", r.Name(), err)
		}
		var k ownerKey
		if keyFromRow {
			k = rowOwnerKey(fresh, r.TargetCols[0])
		} else if each != nil {
			k = toOwnerKey(key)
		}
		p, err := ld.load(ctx, fresh)
		if err != nil {
			return nil, err
		}
		if each != nil {
			each(k, p)
		} else {
			items = append(items, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.eng.Wrap(err, q, args)
	}
	return items, nil
}

// chainOwner records owner i under key k: m keeps the last owner with the
// key and sameKey[i] the one before it (-1 for the first). It reports
// whether k is new.
func chainOwner[K comparable](m map[K]int32, k K, i int, sameKey []int32) bool {
	prev, seen := m[k]
	if !seen {
		prev = -1
	}
	sameKey[i] = prev
	m[k] = int32(i)
	return !seen
}

// ownerKey is the owner key a relationship load reads from a row: an
// integer, kept unboxed (v == nil), any other value normalised as
// keyValues does, or NULL.
type ownerKey struct {
	n    int64
	v    any
	null bool
}

// toOwnerKey makes the owner key of a value scanned from the database.
func toOwnerKey(v any) ownerKey {
	switch x := v.(type) {
	case nil:
		return ownerKey{null: true}
	case int64:
		return ownerKey{n: x}
	}
	if nv := normValue(reflect.ValueOf(v)); nv != nil {
		if n, ok := nv.(int64); ok {
			return ownerKey{n: n}
		}
		return ownerKey{v: nv}
	}
	return ownerKey{null: true}
}

// rowOwnerKey reads a single-column key from a scanned row, normalised as
// keyValues does (an int64 for any integer column, pointers followed).
func rowOwnerKey(row unsafe.Pointer, c *meta.Column) ownerKey {
	switch {
	case c.GoType.Kind() == reflect.Int64:
		return ownerKey{n: layout.Get[int64](row, c.Offset)}
	case c.Ptr && c.Elem.Kind() == reflect.Int64:
		if p := layout.Get[*int64](row, c.Offset); p != nil {
			return ownerKey{n: *p}
		}
		return ownerKey{null: true}
	}
	vals, ok := keyValues(row, []*meta.Column{c})
	if !ok {
		return ownerKey{null: true}
	}
	return toOwnerKey(vals[0])
}

package session

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/relcore"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/relations"
)

var lazyDefaults sync.Map // *meta.Table -> bool

// relDefaults reports whether t has relationships whose lazy: default
// makes a query do more than load rows (selectin, joined, raise, noload).
func relDefaults(t *meta.Table) bool {
	if len(t.Relations) == 0 {
		return false
	}
	if v, ok := lazyDefaults.Load(t); ok {
		return v.(bool)
	}
	has := false
	for _, f := range t.Relations {
		if r, err := meta.Resolve(f); err == nil {
			switch r.Lazy {
			case "selectin", "joined", "raise", "noload":
				has = true
			}
		}
	}
	lazyDefaults.Store(t, has)
	return has
}

// joinRel is Query.Join/OuterJoin given a relationship field pointer
// (&U.Addresses): the target table joined ON the relationship's columns,
// with on (if any) ANDed; a many-to-many joins its secondary table first.
// ok is false when target is not a relationship field.
func (q *Query[T]) joinRel(target any, on expr.Expr, outer bool) (*Query[T], bool) {
	if _, isRel := target.(interface {
		ArcRelation() (meta.RelationKind, reflect.Type)
	}); !isRel {
		return nil, false
	}
	rf, err := relations.FieldOf(target)
	if err != nil {
		return q.fail(fmt.Errorf("Join: %w", err)), true
	}
	r, err := meta.Resolve(rf)
	if err != nil {
		return q.fail(err), true
	}
	// The left side: the query's entity, or a joined item of the owner's table.
	var from expr.FromItem
	for _, fi := range append(append([]expr.FromItem{}, q.sel.From...), joinTargets(q.sel)...) {
		if fi.Table() == r.Owner {
			from = fi
			break
		}
	}
	if from == nil {
		return q.fail(fmt.Errorf("%w: Join(%s): no %s in the query to join from", arcerr.ErrInvalidRequest, r.Name(), r.Owner.GoType.Name())), true
	}
	// The target (and a many-to-many's secondary) is joined under an
	// anonymous alias when the query already has that table under its own
	// name: a self-referential relationship, or a path that comes back to
	// a table (Join(&A.User).Join(&U.Addresses)). Field pointers keep
	// naming the query's own items; FilterBy names the joined target.
	items := append(append([]expr.FromItem{}, q.sel.From...), joinTargets(q.sel)...)
	to := expr.FromItem(expr.TableOf(r.Target))
	if hasTableNamed(items, r.Target) {
		to = &expr.AliasRef{T: r.Target}
	}
	n := q.clone()
	sec, secOn, cond := relcore.JoinOn(r, from, to)
	if sec != nil {
		if hasTableNamed(items, r.Secondary) {
			secAlias := &expr.AliasRef{T: r.Secondary}
			sec, secOn, cond = relcore.JoinOnVia(r, from, secAlias, to)
		}
		n.sel.Joins = append(n.sel.Joins, &expr.Join{Outer: outer, Target: sec, On: secOn})
	}
	if on != nil {
		cond = expr.And(cond, on)
	}
	n.sel.Joins = append(n.sel.Joins, &expr.Join{Outer: outer, Target: to, On: cond})
	n.joinT, n.joinF = r.Target, to
	return n, true
}

// hasTableNamed reports whether items hold t under its own name.
func hasTableNamed(items []expr.FromItem, t *meta.Table) bool {
	for _, it := range items {
		if tr, ok := it.(*expr.TableRef); ok && tr.T.Name == t.Name {
			return true
		}
	}
	return false
}

func joinTargets(sel *expr.Select) []expr.FromItem {
	out := make([]expr.FromItem, 0, len(sel.Joins))
	for _, j := range sel.Joins {
		out = append(out, j.Target)
	}
	return out
}

// joinedLoad is one Joined or ContainsEager option being run.
type joinedLoad struct {
	opt  *relations.Option
	r    *meta.Relationship
	from expr.FromItem
	plan *engine.ScanPlan
	hold []any // the child's columns as scanned, when !direct
	// direct: the row's child columns are scanned straight into fresh
	// (the plan Rewrites, so an outer join's NULLs scan cleanly) and pk
	// holds the plan indexes of the key columns that tell a missing child.
	direct bool
	pk     []int
	fresh  unsafe.Pointer
	ld     *loader
	// kids are the rows' children in row order (an outer join's row
	// without one adds none) and parents their parents' indexes in the
	// result: two arrays, so the indexes hold no pointers to scan.
	kids    []unsafe.Pointer
	parents []int32
}

// groups cuts the children into one group per parent, in row order,
// from the kids array itself (permuted in place).
func (jl *joinedLoad) groups(parents int) [][]unsafe.Pointer {
	next := make([]int32, parents+1)
	for _, p := range jl.parents {
		next[p+1]++
	}
	for i := 1; i <= parents; i++ {
		next[i] += next[i-1]
	}
	// Each child's place in parent order (stable), then the permutation
	// applied in place.
	pos := jl.parents
	for i, p := range pos {
		pos[i] = next[p]
		next[p]++
	}
	all := jl.kids
	for i := range all {
		for j := pos[i]; j != int32(i); j = pos[i] {
			all[i], all[j] = all[j], all[i]
			pos[i], pos[j] = pos[j], pos[i]
		}
	}
	out := make([][]unsafe.Pointer, parents)
	start := int32(0)
	for i := range out {
		end := next[i]
		g := all[start:end:end]
		start = end
		// The same child comes back once per row of another joined
		// collection (a cartesian product): keep its first place.
		kept := g[:0]
		for _, x := range g {
			if !containsPtr(kept, x) {
				kept = append(kept, x)
			}
		}
		out[i] = kept
	}
	return out
}

// allJoined runs an entity query with Joined / ContainsEager options in
// one SELECT: the related rows come from a LEFT OUTER JOIN to an
// anonymous alias (or from the join the query has), parents are
// de-duplicated. handled is false when the query has no such options or
// cannot take them (a LIMIT with a joined collection, a FromStatement);
// the options then fall back to a second query.
func (q *Query[T]) allJoined(ctx context.Context, s *Session, variant byte) (out []*T, handled bool, err error) {
	var loads []*joinedLoad
	var rest []LoadOption
	limited := variant == variantFirst || q.limited()
	for _, o := range q.opts {
		sp := o.LoadOptionSpec()
		if sp.Strategy != relations.StrategyJoined && sp.Strategy != relations.StrategyContainsEager {
			rest = append(rest, o)
			continue
		}
		r, err := meta.Resolve(sp.Field)
		if err != nil {
			return nil, true, err
		}
		if r.Field.Kind == meta.RelDynamic || (limited && r.Uselist() && sp.Strategy == relations.StrategyJoined) {
			rest = append(rest, o)
			continue
		}
		loads = append(loads, &joinedLoad{opt: sp, r: r})
	}
	if len(loads) == 0 || q.stmt != nil || !q.isEntityOnly() || len(q.sel.Compounds) > 0 {
		return nil, false, nil
	}
	p, err := q.prepare(s.cache())
	if err != nil {
		return nil, true, err
	}
	sel := p.sel
	if variant == variantFirst && sel.Limit == nil {
		sel.SetLimit(1)
	}
	for _, jl := range loads {
		r := jl.r
		if jl.opt.Strategy == relations.StrategyContainsEager {
			for _, j := range sel.Joins {
				if j.Target.Table() == r.Target && (jl.opt.Alias == nil || any(j.Target) == jl.opt.Alias) {
					jl.from = j.Target
				}
			}
			if jl.from == nil {
				return nil, true, fmt.Errorf("%w: ContainsEager(%s): the query has no join to %s", arcerr.ErrInvalidRequest, r.Name(), r.Target.GoType.Name())
			}
		} else {
			alias := &expr.AliasRef{T: r.Target}
			jl.from = alias
			if r.Dir == meta.ManyToMany {
				secAlias := &expr.AliasRef{T: r.Secondary}
				var a, b []expr.Expr
				for i, c := range r.OwnerRef {
					a = append(a, &expr.Binary{L: &expr.ColRef{From: q.entity, Col: c}, Op: "=", R: &expr.ColRef{From: secAlias, Col: r.SecOwner[i]}})
				}
				for i, c := range r.TargetRef {
					b = append(b, &expr.Binary{L: &expr.ColRef{From: alias, Col: c}, Op: "=", R: &expr.ColRef{From: secAlias, Col: r.SecTarget[i]}})
				}
				sel.Joins = append(sel.Joins, &expr.Join{Outer: !jl.opt.Inner, Target: secAlias, On: expr.And(a...)},
					&expr.Join{Outer: !jl.opt.Inner, Target: alias, On: softJoinOn(alias, expr.And(b...), q.deleted)})
			} else {
				_, _, on := relcore.JoinOn(r, q.entity, alias)
				sel.Joins = append(sel.Joins, &expr.Join{Outer: !jl.opt.Inner, Target: alias, On: softJoinOn(alias, on, q.deleted)})
			}
			for _, o := range r.OrderBy {
				ref := &expr.ColRef{From: alias, Col: o.Col}
				if o.Desc {
					sel.OrderBy = append(sel.OrderBy, expr.Desc(ref))
				} else {
					sel.OrderBy = append(sel.OrderBy, ref)
				}
			}
		}
		cols := loadCols(r.Target, propsMask(r.Target, 0))
		jl.plan = engine.NewScanPlan(cols)
		jl.direct = jl.plan.Rewrites()
		sel.Columns = append(sel.Columns, entityColumns(jl.from, r.Target)...)
		for i, c := range cols {
			if !jl.direct {
				jl.hold = append(jl.hold, new(any))
			} else if c.PrimaryKey {
				jl.pk = append(jl.pk, i)
			}
		}
	}
	if err := s.autoflush(ctx); err != nil {
		return nil, true, err
	}
	x, err := s.executor(ctx)
	if err != nil {
		return nil, true, err
	}
	text, args, err := compileWith(x.Dialect(), sel, q.params)
	if err != nil {
		return nil, true, err
	}
	rows, err := x.Query(ctx, text, args...)
	if err != nil {
		return nil, true, err
	}
	defer rows.Close()
	plan := engine.NewScanPlan(loadCols(q.t, propsMask(q.t, q.undefer)))
	ld := s.newLoader(q.t, plan, q.populate, s.newBatch(), nil)
	ld.expectSpare() // parents repeat: one struct scans the repeats
	// The plans' destinations are the same slices on every row (Dests
	// only points them at the row's structs), so the row's list is built
	// once.
	dests := slices.Clone(plan.Dests(nil))
	for _, jl := range loads {
		jl.ld = s.newLoader(jl.r.Target, jl.plan, false, 0, nil)
		n := max(jl.ld.hint(), ld.hint(), 16) // a row per child, at least one per parent
		jl.kids, jl.parents = make([]unsafe.Pointer, 0, n), make([]int32, 0, n)
		if jl.direct {
			dests = append(dests, jl.plan.Dests(nil)...)
		} else {
			dests = append(dests, jl.hold...)
		}
	}
	seen := make(map[unsafe.Pointer]int, ld.hint()) // parent -> index in out
	for rows.Next() {
		fresh := ld.fresh()
		plan.Dests(fresh)
		for _, jl := range loads {
			if jl.direct {
				jl.fresh = jl.ld.fresh()
				jl.plan.Dests(jl.fresh)
			}
		}
		if err := rows.Scan(dests...); err != nil {
			return nil, true, fmt.Errorf("arc: loading %s: %w", q.t.GoType.Name(), err)
		}
		pp, err := ld.load(ctx, fresh) // recycles fresh when the row is mapped already
		if err != nil {
			return nil, true, err
		}
		pi, ok := seen[pp]
		if !ok {
			pi = len(out)
			seen[pp] = pi
			out = append(out, (*T)(pp))
		}
		for _, jl := range loads {
			cp, err := jl.child(ctx, s)
			if err != nil {
				return nil, true, err
			}
			if cp != nil {
				jl.kids = append(jl.kids, cp)
				jl.parents = append(jl.parents, int32(pi))
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, true, s.eng.Wrap(err, text, args)
	}
	rows.Close()
	ld.done()
	for _, jl := range loads {
		jl.ld.done()
	}
	// The parents, for the children's to-one sides to share (one array
	// instead of one per parent; never written in place).
	owners := objsOf(out)
	for _, jl := range loads {
		var children []unsafe.Pointer
		groups := jl.groups(len(out))
		for i, o := range out {
			op := unsafe.Pointer(o)
			c := coreOf(op, jl.r.Field)
			if !c.Loaded() || q.populate || jl.opt.Strategy == relations.StrategyContainsEager {
				if err := s.fill(jl.r, op, groups[i], owners[i:i+1:i+1]); err != nil {
					return nil, true, err
				}
			}
			if len(jl.opt.Next) > 0 {
				children = append(children, c.Items()...)
			}
		}
		if len(jl.opt.Next) > 0 {
			if err := s.applyOptions(ctx, jl.r.Target, jl.opt.Next, children, 1); err != nil {
				return nil, true, err
			}
		}
	}
	if len(rest) > 0 || relDefaults(q.t) {
		if err := s.runLoadOptions(ctx, q.t, append(rest, loadedMarks(loads)...), objsOf(out)); err != nil {
			return nil, true, err
		}
	}
	return out, true, nil
}

// loadedMarks turns the options already run into Lazy options, so the
// per-relationship defaults skip them.
func loadedMarks(loads []*joinedLoad) []LoadOption {
	out := make([]LoadOption, len(loads))
	for i, jl := range loads {
		out[i] = &relations.Option{Strategy: relations.StrategyLazy, Field: jl.r.Field}
	}
	return out
}

func containsPtr(xs []unsafe.Pointer, p unsafe.Pointer) bool {
	for _, x := range xs {
		if x == p {
			return true
		}
	}
	return false
}

// child maps the related row of the current result row, or nil when the
// outer join found none.
func (jl *joinedLoad) child(ctx context.Context, s *Session) (unsafe.Pointer, error) {
	if jl.direct {
		fresh := jl.fresh
		jl.fresh = nil
		for _, i := range jl.pk {
			if jl.plan.Null(i) {
				jl.ld.recycle(fresh)
				return nil, nil
			}
		}
		return jl.ld.load(ctx, fresh)
	}
	t := jl.r.Target
	for i, c := range t.Columns {
		if c.PrimaryKey && *(jl.hold[i].(*any)) == nil {
			return nil, nil
		}
	}
	fresh := jl.ld.fresh()
	ds := jl.plan.Dests(fresh)
	for i := range ds {
		if err := ds[i].(sql.Scanner).Scan(*(jl.hold[i].(*any))); err != nil {
			jl.ld.recycle(fresh)
			return nil, fmt.Errorf("arc: loading %s: %w", jl.r.Name(), err)
		}
	}
	return jl.ld.load(ctx, fresh)
}

// Related returns a query for the members of a collection relationship
// (typically a Dynamic) of one object, bound to the object's session:
// the full Query API over wendy.Posts, e.g.
// session.Related[RPost](&wendy.Posts).Join(...).OrderBy(...).All(ctx).
func Related[T any](field relations.Field) *Query[T] {
	q := Select[T]()
	c, err := fieldCore(field)
	if err != nil {
		return q.fail(fmt.Errorf("Related: %w", err))
	}
	r := c.Rel()
	if r == nil || c.Owner() == nil {
		return q.fail(fmt.Errorf("%w: the relationship field is not bound to an object in a session", arcerr.ErrDetached))
	}
	if r.Target != q.t {
		return q.fail(fmt.Errorf("%w: %s holds %s, not %s", arcerr.ErrInvalidRequest, r.Name(), r.Target.GoType.Name(), q.t.GoType.Name()))
	}
	if s := sessionOf(c.Loader()); s != nil {
		q.s = s
	}
	n := q.clone()
	if r.Dir == meta.ManyToMany {
		n.sel.From = append(n.sel.From, expr.TableOf(r.Secondary))
	}
	n.sel.Where = append(n.sel.Where, relcore.ParentCriteria(r, c.Owner(), n.entity)...)
	for _, o := range r.OrderBy {
		ref := &expr.ColRef{From: n.entity, Col: o.Col}
		if o.Desc {
			n.sel.OrderBy = append(n.sel.OrderBy, expr.Desc(ref))
		} else {
			n.sel.OrderBy = append(n.sel.OrderBy, ref)
		}
	}
	return n
}

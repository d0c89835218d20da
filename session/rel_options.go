package session

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/internal/relcore"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/relations"
)

// Options returns a query that loads relationships as the options say:
// relations.SelectIn(&U.Addresses), relations.Joined(...), Raise, NoLoad,
// chained with Then. The rows returned are the same as without options.
func (q *Query[T]) Options(opts ...LoadOption) *Query[T] {
	n := q.clone()
	for _, o := range opts {
		if o == nil {
			continue
		}
		spec := o.LoadOptionSpec()
		if spec.Err != nil {
			return n.fail(spec.Err)
		}
		if spec.Field.Table != q.t {
			return n.fail(fmt.Errorf("%w: option %s on %s.%s does not apply to a query for %s",
				arcerr.ErrInvalidRequest, spec.Strategy, spec.Field.Table.GoType.Name(), spec.Field.Field, q.t.GoType.Name()))
		}
		n.opts = append(n.opts, o)
	}
	return n
}

// runLoadOptions applies the query's loading options, then the
// relationships' own lazy: defaults, to the objects a query returned.
func (s *Session) runLoadOptions(ctx context.Context, t *meta.Table, opts []LoadOption, objs []unsafe.Pointer) error {
	if len(objs) == 0 || len(t.Relations) == 0 || len(opts) == 0 && !relDefaults(t) {
		return nil
	}
	specs := make([]*relations.Option, 0, len(opts))
	for _, o := range opts {
		specs = append(specs, o.LoadOptionSpec())
	}
	return s.applyOptions(ctx, t, specs, objs, 0)
}

func (s *Session) applyOptions(ctx context.Context, t *meta.Table, specs []*relations.Option, objs []unsafe.Pointer, depth int) error {
	if depth > 8 || len(objs) == 0 {
		return nil
	}
	given := map[*meta.RelationField]bool{}
	for _, o := range specs {
		if o.Field == nil || o.Field.Table != t {
			continue
		}
		given[o.Field] = true
		r, err := meta.Resolve(o.Field)
		if err != nil {
			return err
		}
		children, err := s.applyStrategy(ctx, r, o.Strategy, objs)
		if err != nil {
			return err
		}
		if len(o.Next) > 0 {
			if err := s.applyOptions(ctx, r.Target, o.Next, children, depth+1); err != nil {
				return err
			}
		}
	}
	// Per-relationship defaults (lazy: in the tag).
	for _, f := range t.Relations {
		if given[f] {
			continue
		}
		r, err := meta.Resolve(f)
		if err != nil {
			return err
		}
		var st relations.Strategy
		switch r.Lazy {
		case "selectin", "joined":
			st = relations.StrategySelectIn
		case "raise":
			st = relations.StrategyRaise
		case "noload":
			st = relations.StrategyNoLoad
		default:
			continue
		}
		children, err := s.applyStrategy(ctx, r, st, objs)
		if err != nil {
			return err
		}
		if st == relations.StrategySelectIn && depth < 3 {
			if err := s.applyOptions(ctx, r.Target, nil, children, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyStrategy loads (or marks) r on objs and returns the loaded members.
func (s *Session) applyStrategy(ctx context.Context, r *meta.Relationship, st relations.Strategy, objs []unsafe.Pointer) ([]unsafe.Pointer, error) {
	switch st {
	case relations.StrategyRaise, relations.StrategyNoLoad:
		mode := relcore.ModeRaise
		if st == relations.StrategyNoLoad {
			mode = relcore.ModeNoLoad
		}
		for _, o := range objs {
			c := coreOf(o, r.Field)
			if !c.Loaded() {
				c.SetMode(mode)
			}
		}
		return nil, nil
	case relations.StrategyLazy:
		return nil, nil
	}
	if r.Field.Kind == meta.RelDynamic {
		return nil, fmt.Errorf("%w: %s is dynamic: eager loading does not apply", arcerr.ErrInvalidRequest, r.Name())
	}
	// SelectIn (Joined and ContainsEager fall back to it when the query
	// could not load them in its own SELECT).
	need := make([]unsafe.Pointer, 0, len(objs))
	var children []unsafe.Pointer
	for _, o := range objs {
		c := coreOf(o, r.Field)
		if c.Loaded() {
			children = append(children, c.Items()...)
			continue
		}
		if stt := s.stateAt(o); stt == nil || stt.status != Persistent {
			continue
		}
		need = append(need, o)
	}
	if len(need) == 0 {
		return children, nil
	}
	if r.Dir == meta.ManyToOne {
		return s.loadManyToOne(ctx, r, need, children)
	}
	groups, all, err := s.loadGroups(ctx, r, need, true)
	if err != nil {
		return nil, err
	}
	for i, o := range need {
		// need is not written again: its elements are the owners' arrays.
		if err := s.fill(r, o, groups[i], need[i:i+1:i+1]); err != nil {
			return nil, err
		}
	}
	if len(children) == 0 {
		return all, nil // the groups' array, in owner order
	}
	return append(children, all...), nil
}

// loadManyToOne loads the targets of many-to-one r for objs: from the
// identity map where possible, the rest with one IN query.
func (s *Session) loadManyToOne(ctx context.Context, r *meta.Relationship, objs, children []unsafe.Pointer) ([]unsafe.Pointer, error) {
	var missing []unsafe.Pointer
	for _, o := range objs {
		vals, ok := keyValues(o, r.OwnerCols)
		if !ok {
			if err := s.fill(r, o, nil, nil); err != nil {
				return nil, err
			}
			continue
		}
		if k, err := keyOf(r.Target, vals); err == nil && samePK(r) {
			if tst := s.identity.get(k); tst != nil {
				if err := s.fill(r, o, []unsafe.Pointer{tst.obj}, nil); err != nil {
					return nil, err
				}
				children = append(children, tst.obj)
				continue
			}
		}
		missing = append(missing, o)
	}
	if len(missing) == 0 {
		return children, nil
	}
	if !samePK(r) || len(r.OwnerCols) != 1 {
		for _, o := range missing {
			if err := s.loadRelation(ctx, o, r); err != nil {
				return nil, err
			}
			children = append(children, coreOf(o, r.Field).Items()...)
		}
		return children, nil
	}
	// SELECT target WHERE pk IN (...), through the inverse direction's SQL.
	x, err := s.executor(ctx)
	if err != nil {
		return nil, err
	}
	d := x.Dialect()
	var keys []any
	seen := map[any]bool{}
	for _, o := range missing {
		vals, _ := keyValues(o, r.OwnerCols)
		if !seen[vals[0]] {
			seen[vals[0]] = true
			keys = append(keys, vals[0])
		}
	}
	chunk := min(d.MaxParams()-1, 500)
	if n := s.opts.selectInChunk; n > 0 && n < chunk {
		chunk = n
	}
	t := r.Target
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(len(keys), start+chunk)]
		q, err := byKeysSQL(s.cache(), d, t, len(part))
		if err != nil {
			return nil, err
		}
		if _, err := s.runRel(ctx, x, &meta.Relationship{Field: r.Field, Owner: r.Owner, Target: t}, q, part, 0, nil); err != nil {
			return nil, err
		}
	}
	for _, o := range missing {
		vals, _ := keyValues(o, r.OwnerCols)
		var items []unsafe.Pointer
		if k, err := keyOf(t, vals); err == nil {
			if tst := s.identity.get(k); tst != nil {
				items = []unsafe.Pointer{tst.obj}
			}
		}
		if err := s.fill(r, o, items, nil); err != nil {
			return nil, err
		}
		children = append(children, items...)
	}
	return children, nil
}

// sqlStrategy names a strategy that loads with SQL of its own, "" for
// one that does not.
func sqlStrategy(st relations.Strategy) string {
	switch st {
	case relations.StrategySelectIn:
		return "SelectIn"
	case relations.StrategyJoined:
		return "Joined"
	case relations.StrategyContainsEager:
		return "ContainsEager"
	}
	return ""
}

// streamOptions checks the loading options of an Iter or Stream over t:
// a strategy that runs SQL of its own (SelectIn, Joined, ContainsEager,
// and lazy:"selectin"/"joined" tag defaults that no option overrides)
// cannot run while the iterator's rows hold the connection, and is an
// error wrapping ErrCannotStream naming the relationship. apply reports
// whether options without SQL (Raise, NoLoad, their tag defaults) remain
// to be applied to each object.
func streamOptions(t *meta.Table, opts []LoadOption, op string) (apply bool, err error) {
	if len(t.Relations) == 0 || len(opts) == 0 && !relDefaults(t) {
		return false, nil
	}
	given := make(map[*meta.RelationField]bool, len(opts))
	for _, o := range opts {
		spec := o.LoadOptionSpec()
		given[spec.Field] = true
		if name := sqlStrategy(spec.Strategy); name != "" {
			return false, fmt.Errorf("%w: %s over %s: option relations.%s(&%s.%s) loads with SQL of its own, which cannot run while the rows hold the connection (use All, or load it after the loop)",
				arcerr.ErrCannotStream, op, t.GoType.Name(), name, t.GoType.Name(), spec.Field.Field)
		}
		apply = true
	}
	for _, f := range t.Relations {
		if given[f] {
			continue
		}
		r, err := meta.Resolve(f)
		if err != nil {
			return false, err
		}
		switch r.Lazy {
		case "selectin", "joined":
			return false, fmt.Errorf("%w: %s over %s: relationship %s.%s has lazy:%q, which loads with SQL of its own and cannot run while the rows hold the connection (use All, or give the query Options(relations.Lazy(&%s.%s)) to load it lazily after the loop)",
				arcerr.ErrCannotStream, op, t.GoType.Name(), t.GoType.Name(), f.Field, r.Lazy, t.GoType.Name(), f.Field)
		case "raise", "noload":
			apply = true
		}
	}
	return apply, nil
}

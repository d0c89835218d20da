// The compiled-SQL cache: each query value keeps the SQL of its shapes
// (shapeCache), and a query built anew on each call (inline) finds its SQL
// by the query's shape (expr.Shape: its structure without the bound
// values) among the templates rendered for earlier queries over the same
// table on the same engine (kept in its compiled cache, stmtCache), so
// that a hot query is rendered once.

package session

import (
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/tablememo"
	"github.com/arcorm/arc/meta"
)

type shapeKey struct {
	dialect string
	variant byte
	params  string // sorted names of Params, which bind at execution
}

// compiled is the SQL of one query shape for one dialect.
type compiled struct {
	sql    string
	args   []any // with paramMarker where Params supply the value
	marks  []int // indexes of the markers in args
	items  []selItem
	cols   []string // FromStatement: result column names known before running (Columns), else nil
	lockNA bool     // FOR UPDATE dropped: the dialect has none
	err    error
	hint   *loadHint // objects the statement's last loads made (loader.go), shared by copies of a template
}

// maxShapes bounds one query value's cache: one entry per dialect, variant
// and set of Params names in practice.
const maxShapes = 16

// shapeCache holds the compiled SQL of one query value (and the copies of
// it that only differ in Params). It is shared by goroutines that run the
// same query, so it is locked; entries are never changed once stored.
type shapeCache struct {
	mu   sync.Mutex
	m    map[shapeKey]*compiled
	last atomic.Pointer[shapeEntry] // the last entry used: read without the lock
}

type shapeEntry struct {
	k shapeKey
	c *compiled
}

// lookup returns the entry for k, building it with build on a miss. The
// build runs under the lock, so concurrent first runs of one query render
// it once.
func (c *shapeCache) lookup(k shapeKey, build func() *compiled) *compiled {
	c.mu.Lock()
	defer c.mu.Unlock()
	last := c.last.Load()
	if last != nil && last.k == k {
		return last.c
	}
	if v := c.m[k]; v != nil {
		c.last.Store(&shapeEntry{k, v})
		return v
	}
	v := build()
	switch {
	case last == nil: // the first shape: no map yet
	case c.m == nil:
		c.m = map[shapeKey]*compiled{last.k: last.c, k: v}
	case len(c.m) < maxShapes:
		c.m[k] = v
	default:
		return v
	}
	c.last.Store(&shapeEntry{k, v})
	return v
}

type paramMarker struct{ name string }

func paramNames(p expr.P) string {
	switch len(p) {
	case 0:
		return ""
	case 1:
		for k := range p {
			return k
		}
	}
	return strings.Join(sortedKeys(p), "\x00")
}

// compiledFor returns the query's SQL for dialect d, rendering it on the
// first use of this shape only; tc is the compiled cache of the engine
// it runs on (nil: no templates). A query without a cache of its own
// (Select[T]() as it comes, shared by every caller in the process) finds
// its SQL in the engine's templates only.
func (q *Query[T]) compiledFor(d dialect.Dialect, tc *stmtCache, variant byte) *compiled {
	cache := q.cache
	if cache == nil {
		return q.compileShape(d, tc, variant)
	}
	k := shapeKey{dialect: d.Name(), variant: variant, params: paramNames(q.params)}
	if e := cache.last.Load(); e != nil && e.k == k {
		return e.c
	}
	return cache.lookup(k, func() *compiled { return q.compileShape(d, tc, variant) })
}

// templateKey keys a query template in the engine's compiled cache: the
// table and a hash of the query's shape (expr.Shape.Key), so a lookup
// builds no string; the entry keeps the shape itself, and one whose shape
// differs (a hash collision) is not used.
type templateKey struct {
	t *meta.Table
	h uint64
}

// template is a template entry: its shape, and its SQL without values
// (nil: the shape's arguments did not match its rendering; render).
type template struct {
	shape string
	c     *compiled
}

var shapeSeed = maphash.MakeSeed()

// tableRenders holds each table's render counter.
var tableRenders tablememo.Memo[*atomic.Int64]

// rendersOf counts the SQL renderings of queries over t (for tests: per
// table, so tests of other tables may run in parallel).
func rendersOf(t *meta.Table) *atomic.Int64 {
	return tableRenders.Get(t, func() *atomic.Int64 { return new(atomic.Int64) })
}

var shapeBufs = sync.Pool{New: func() any { return &expr.Shape{Key: make([]byte, 0, 128), Args: make([]any, 0, 8)} }}

// compileShape returns the query's SQL for one dialect and variant: a copy
// of its shape's template with this query's values, or rendered.
func (q *Query[T]) compileShape(d dialect.Dialect, tc *stmtCache, variant byte) *compiled {
	sh := shapeBufs.Get().(*expr.Shape)
	defer func() {
		sh.Reset()
		shapeBufs.Put(sh)
	}()
	if tc == nil || !q.shapeOf(sh, d, variant) {
		return q.render(d, tc, variant)
	}
	c, args, hit := fromTemplate(tc, q.t, sh, func() *compiled { return q.render(d, tc, variant) })
	if !hit || len(args) == 0 {
		return c // a template is never changed once stored
	}
	cp := *c
	cp.args = args
	return &cp
}

// fromTemplate returns the SQL of a statement over table t whose shape
// sh has been written: with hit, the shape's template in the engine's
// compiled cache tc (shared: not to be changed) and sh's values as args;
// otherwise what render gives (args are its own), which then becomes the
// shape's template. The shape is trusted once its values are the rendered
// arguments, in order (else the template says "render": tp.c nil); the
// template keeps no values.
func fromTemplate(tc *stmtCache, t *meta.Table, sh *expr.Shape, render func() *compiled) (c *compiled, args []any, hit bool) {
	k := templateKey{t, maphash.Bytes(shapeSeed, sh.Key)}
	if v, ok := tc.Get(k); ok {
		if tp := v.(*template); tp.shape == string(sh.Key) {
			if tp.c == nil {
				c = render()
				return c, c.args, false
			}
			if len(sh.Args) > 0 {
				args = slices.Clone(sh.Args)
			}
			return tp.c, args, true
		}
	}
	c = render()
	if c.err != nil {
		return c, c.args, false
	}
	tp := &template{shape: string(sh.Key)}
	if expr.SameArgs(c.args, sh.Args) {
		t := *c
		t.args = nil
		tp.c = &t
	}
	tc.Store(k, tp)
	return c, c.args, false
}

// shapeOf writes the query's shape: false for queries outside the common
// case (an entity from its own table, with WHERE, ORDER BY, LIMIT, OFFSET,
// DISTINCT and FOR UPDATE), which are rendered.
func (q *Query[T]) shapeOf(sh *expr.Shape, d dialect.Dialect, variant byte) bool {
	if q.stmt != nil || q.items != nil || len(q.params) > 0 {
		return false
	}
	sel := q.sel
	if _, ok := q.entity.(*expr.TableRef); !ok || len(sel.From) != 1 || sel.From[0] != q.entity ||
		len(sel.With)+len(sel.Columns)+len(sel.Joins)+len(sel.GroupBy)+len(sel.Having)+len(sel.Compounds) > 0 {
		return false
	}
	sh.Str(d.Name())
	sh.Tag(variant)
	if q.t.SoftDelete != nil {
		sh.Tag(byte(q.deleted))
	}
	if len(q.t.Properties) > 0 {
		sh.Int(int(q.undefer))
	}
	if sel.Distinct {
		sh.Tag(1)
	} else {
		sh.Tag(0)
	}
	sh.Str(sel.Lock)
	sh.Int(len(sel.Where))
	for _, w := range sel.Where {
		if !sh.Add(w) {
			return false
		}
	}
	if variant != variantCount && variant != variantExists { // those drop ORDER BY
		sh.Int(len(sel.OrderBy))
		for _, o := range sel.OrderBy {
			if !sh.Add(o) {
				return false
			}
		}
	}
	switch {
	case sel.Limit != nil:
		sh.Tag('l')
		sh.Bind(*sel.Limit)
	case variant == variantFirst:
		sh.Tag('l')
		sh.Bind(int64(1))
	}
	if sel.Offset != nil {
		sh.Tag('o')
		sh.Bind(*sel.Offset)
	}
	return true
}

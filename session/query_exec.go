// Query execution: the terminal methods (All, First, One, OneOrNone,
// Count, Exists, Iter) and what they share — the session to run in,
// compiled SQL, scan plans, loading rows into the identity map.

package session

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"reflect"
	"sync"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// session returns the session to run in.
func (q *Query[T]) session(ctx context.Context) (*Session, error) {
	if q.err != nil {
		return nil, q.err
	}
	if q.s != nil {
		return q.s, nil
	}
	if s := From(ctx); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%w: no session in the context (use session.With, or session.NewQuery)", arcerr.ErrInvalidRequest)
}

func compileWith(d dialect.Dialect, st expr.Expr, params expr.P) (string, []any, error) {
	if len(params) > 0 {
		st = withParams{st, params}
	}
	c := expr.NewCompiler(d)
	c.Buf = make([]byte, 0, 256)
	c.Args = make([]any, 0, 4)
	st.AppendSQL(c)
	if err := c.Err(); err != nil {
		return "", nil, err
	}
	return string(c.Buf), c.Args, nil
}

// withParams binds :name parameters for every Text inside a statement.
type withParams struct {
	expr.Expr
	p expr.P
}

// AppendSQL compiles the statement with the parameters in scope.
func (w withParams) AppendSQL(c *expr.Compiler) {
	prev := c.Params
	c.Params = w.p
	w.Expr.AppendSQL(c)
	c.Params = prev
}

// SQL returns the SELECT the query runs on dialect d, and its arguments
// (Params values included), without running it. Without an engine there
// is no compiled cache: a query built anew for each call is rendered each
// time (a kept query value keeps its own SQL).
func (q *Query[T]) SQL(d dialect.Dialect) (string, []any, error) {
	c := q.compiledFor(d, nil, variantAll)
	if c.err != nil {
		return "", nil, c.err
	}
	return c.sql, c.bindArgs(q.params), nil
}

// entityPlan maps the result columns of an entity query to T's fields.
// For a FromStatement query it matches the statement's columns by name
// (or by the Columns given), and requires the primary key.
func (q *Query[T]) entityPlan(c *compiled, rows *sql.Rows) (*engine.ScanPlan, error) {
	if q.stmt == nil {
		if len(q.t.Properties) > 0 {
			return engine.NewScanPlan(loadCols(q.t, propsMask(q.t, q.undefer))), nil
		}
		return getEntityPlan(q.t), nil
	}
	names := c.cols
	if names == nil {
		var err error
		if names, err = rows.Columns(); err != nil {
			return nil, err
		}
	}
	return statementPlan(q.t, names)
}

// statementPlan maps result column names to the columns of t.
func statementPlan(t *meta.Table, names []string) (*engine.ScanPlan, error) {
	cols := make([]*meta.Column, len(names))
	for i, n := range names {
		cols[i] = t.ColumnByName(n)
	}
	for _, pk := range t.PrimaryKey {
		found := false
		for _, c := range cols {
			if c == pk {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: FromStatement: the statement's columns %v lack %s's primary key column %s", arcerr.ErrInvalidRequest, names, t.GoType.Name(), pk.Name)
		}
	}
	return engine.NewScanPlan(cols), nil
}

func (q *Query[T]) checkEntity(method string) error {
	if q.err != nil {
		return q.err
	}
	if !q.isEntityOnly() {
		return fmt.Errorf("%w: Query[%s].%s: the query selects columns or other entities; read them with session.Rows[R](q) or session.Scalar[V](q)", arcerr.ErrInvalidRequest, q.t.GoType.Name(), method)
	}
	return nil
}

// All runs the query and returns its entities, each object once (rows
// repeating an object are dropped, as SQLAlchemy does for entity queries).
func (q *Query[T]) All(ctx context.Context) ([]*T, error) {
	if q.err != nil {
		return nil, q.err
	}
	if q.s != nil || q.fallback == nil || From(ctx) != nil {
		return q.all(ctx, variantAll, "All") // no closure on the hot path
	}
	var out []*T
	err := q.fallback(ctx, func(ctx context.Context) error {
		var err error
		out, err = q.all(ctx, variantAll, "All")
		return err
	})
	return out, err
}

func (q *Query[T]) all(ctx context.Context, variant byte, method string) ([]*T, error) {
	if err := q.checkEntity(method); err != nil {
		return nil, err
	}
	s, err := q.session(ctx)
	if err != nil {
		return nil, err
	}
	gHeld, gErr := s.inUse.enter(method)
	if gErr != nil {
		return nil, gErr
	}
	defer s.inUse.leave(gHeld)
	if len(q.opts) > 0 && !q.noTrack {
		if out, ok, err := q.allJoined(ctx, s, variant); ok || err != nil { // rel_query.go: Joined in one SELECT
			return out, err
		}
	}
	rows, c, err := q.query(ctx, s, variant)
	if err != nil || rows == nil {
		return nil, err
	}
	defer rows.Close()
	plan, err := q.entityPlan(c, rows)
	if err != nil {
		return nil, err
	}
	if q.stmt == nil && len(q.t.Properties) == 0 {
		defer putEntityPlan(q.t, plan)
	}
	var seen map[unsafe.Pointer]bool
	ld := s.makeLoader(q.t, plan, q.populate, s.newBatch(), c.hint)
	var out []*T
	if h := ld.hint(); h > 0 {
		out = make([]*T, 0, h)
	}
	for rows.Next() {
		fresh := ld.fresh()
		if err := plan.Scan(rows, fresh); err != nil {
			return nil, fmt.Errorf("arc: loading %s: %w", q.t.GoType.Name(), err)
		}
		if q.noTrack {
			if err := untrackedLoad(ctx, q.t, fresh); err != nil {
				return nil, err
			}
			out = append(out, layout.As[T](fresh))
			continue
		}
		p, err := ld.load(ctx, fresh)
		if err != nil {
			return nil, err
		}
		if p != fresh {
			if seen == nil {
				seen = make(map[unsafe.Pointer]bool, len(out))
				for _, o := range out {
					seen[unsafe.Pointer(o)] = true
				}
			}
			if seen[p] {
				continue
			}
		}
		if seen != nil {
			seen[p] = true
		}
		out = append(out, layout.As[T](p))
		if variant == variantFirst && q.stmt != nil {
			break // FromStatement: no LIMIT added; take the first row
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.eng.Wrap(err, c.sql, nil)
	}
	ld.done()
	if len(q.opts) > 0 || len(q.t.Relations) > 0 { // options, or relationships' lazy: defaults
		if err := s.runLoadOptions(ctx, q.t, q.opts, objsOf(out)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// NoTrack returns entities that the session does not track: each row is
// a new object, outside the identity map, with no snapshot, so loading
// costs little more than scanning with database/sql. Use it for large
// read-only results. Such objects are like detached ones: changing them
// changes nothing in the database (Merge one into the session to save
// it), and rows are not de-duplicated. AfterLoad hooks still run.
func (q *Query[T]) NoTrack() *Query[T] {
	n := q.cloneSameShape()
	n.noTrack = true
	return n
}

func untrackedLoad(ctx context.Context, t *meta.Table, obj unsafe.Pointer) error {
	if t.Hooks.Has(meta.HookAfterLoad) {
		if err := reflect.NewAt(t.GoType, obj).Interface().(meta.AfterLoader).AfterLoad(ctx); err != nil {
			return fmt.Errorf("arc: %s.AfterLoad hook: %w", t.GoType.Name(), err)
		}
	}
	return nil
}

// Scan plans of whole-table entity queries are pooled per table: a plan
// is not safe for concurrent use, but it can be reused once a query is done.
var entityPlans sync.Map // *meta.Table -> *sync.Pool

func getEntityPlan(t *meta.Table) *engine.ScanPlan {
	if p, ok := entityPlans.Load(t); ok {
		if plan, _ := p.(*sync.Pool).Get().(*engine.ScanPlan); plan != nil {
			return plan
		}
	}
	return engine.NewScanPlan(t.Columns)
}

func putEntityPlan(t *meta.Table, plan *engine.ScanPlan) {
	plan.Dests(nil) // drop the reference to the last object
	p, ok := entityPlans.Load(t)
	if !ok {
		p, _ = entityPlans.LoadOrStore(t, &sync.Pool{})
	}
	p.(*sync.Pool).Put(plan)
}

func objsOf[T any](xs []*T) []unsafe.Pointer {
	out := make([]unsafe.Pointer, len(xs))
	for i, x := range xs {
		out[i] = unsafe.Pointer(x)
	}
	return out
}

// First returns the first entity (LIMIT 1; a FromStatement query runs
// unchanged and its first row is taken), or an error wrapping ErrNotFound
// when there is none.
func (q *Query[T]) First(ctx context.Context) (*T, error) {
	var out []*T
	var err error
	if q.err != nil {
		return nil, q.err
	}
	if q.s != nil || q.fallback == nil || From(ctx) != nil {
		out, err = q.all(ctx, variantFirst, "First")
	} else {
		err = q.fallback(ctx, func(ctx context.Context) error {
			var err error
			out, err = q.all(ctx, variantFirst, "First")
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no %s matches the query", arcerr.ErrNotFound, q.t.GoType.Name())
	}
	return out[0], nil
}

// One returns the single entity: ErrNotFound when there is none,
// ErrMultipleRows when there are several.
func (q *Query[T]) One(ctx context.Context) (*T, error) {
	out, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	switch len(out) {
	case 0:
		return nil, fmt.Errorf("%w: no %s matches the query (One)", arcerr.ErrNotFound, q.t.GoType.Name())
	case 1:
		return out[0], nil
	}
	return nil, fmt.Errorf("%w: %d %s rows (One)", arcerr.ErrMultipleRows, len(out), q.t.GoType.Name())
}

// OneOrNone is One that returns (nil, nil) when nothing matches.
func (q *Query[T]) OneOrNone(ctx context.Context) (*T, error) {
	out, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	switch len(out) {
	case 0:
		return nil, nil
	case 1:
		return out[0], nil
	}
	return nil, fmt.Errorf("%w: %d %s rows (OneOrNone)", arcerr.ErrMultipleRows, len(out), q.t.GoType.Name())
}

// Count counts the query's rows with SQLAlchemy's semantics: SELECT
// count(*) FROM (the query) AS anon_1 — SQL rows, not distinct entities.
func (q *Query[T]) Count(ctx context.Context) (n int64, err error) {
	err = q.within(ctx, func(ctx context.Context) error {
		n, err = q.scalarInt(ctx, variantCount)
		return err
	})
	return n, err
}

// Exists reports whether the query matches any row: SELECT EXISTS
// (SELECT 1 FROM ... WHERE ...).
func (q *Query[T]) Exists(ctx context.Context) (ok bool, err error) {
	err = q.within(ctx, func(ctx context.Context) error {
		var n int64
		n, err = q.scalarInt(ctx, variantExists)
		ok = n != 0
		return err
	})
	return ok, err
}

func (q *Query[T]) scalarInt(ctx context.Context, variant byte) (int64, error) {
	s, err := q.session(ctx)
	if err != nil {
		return 0, err
	}
	gHeld, gErr := s.inUse.enter("query")
	if gErr != nil {
		return 0, gErr
	}
	defer s.inUse.leave(gHeld)
	rows, c, err := q.query(ctx, s, variant)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n any
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, s.eng.Wrap(err, c.sql, nil)
	}
	switch v := n.(type) {
	case int64:
		return v, nil
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("arc: unexpected %T from %s", n, c.sql)
}

// Iter streams the query's entities without loading them all: use it with
// range. While it runs, the session's connection is busy: other session
// SQL (queries, flushes, lazy loads) returns ErrIteratorOpen. Rows are not
// de-duplicated. Breaking out of the loop closes the rows.
//
// Loading options that need no SQL (Raise, NoLoad, Lazy, and those lazy:
// tag defaults) apply to each object as it is yielded. Options that need
// SQL of their own (SelectIn, Joined, ContainsEager, or a lazy:"selectin"
// or lazy:"joined" tag not overridden by an option) cannot run while the
// rows hold the connection: the iteration yields one error wrapping
// ErrCannotStream that names the relationship, and no rows. Use All, or
// load the relationships after the loop.
//
// The loop holds the session: another goroutine that uses it before the
// loop ends gets the concurrent-use error (ErrInvalidRequest). The loop
// body runs on the goroutine that ranges and may use the session as
// outside a loop, except for SQL. With iter.Pull, the session belongs to
// the goroutine that runs the iterator, not the one that calls next.
func (q *Query[T]) Iter(ctx context.Context) iter.Seq2[*T, error] {
	return q.iterate(ctx, "Iter", false)
}

// iterate is Iter, and with stream Stream (stream.go): the tracked
// objects are handed to a streamer, which lets go of each clean one when
// the loop moves on. An untracked query iterates the same either way.
func (q *Query[T]) iterate(ctx context.Context, op string, stream bool) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if err := q.checkEntity(op); err != nil {
			yield(nil, err)
			return
		}
		stream := stream && !q.noTrack
		s, err := q.session(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		// The iteration holds the session until the loop ends (guard.go):
		// another goroutine using it meanwhile gets the concurrent-use
		// error; the loop body may use it as before.
		gHeld, gErr := s.inUse.enterIter(op)
		if gErr != nil {
			yield(nil, gErr)
			return
		}
		defer s.inUse.leaveIter(gHeld)
		relOpts, err := streamOptions(q.t, q.opts, op)
		if err != nil {
			yield(nil, err)
			return
		}
		rows, c, err := q.query(ctx, s, variantAll)
		if err != nil {
			yield(nil, err)
			return
		}
		if rows == nil {
			return
		}
		st := streamer{s: s}
		s.iterating++
		defer func() {
			s.iterating--
			_ = rows.Close()
			if stream {
				st.release()
			}
		}()
		plan, err := q.entityPlan(c, rows)
		if err != nil {
			yield(nil, err)
			return
		}
		hint := c.hint
		if stream {
			// A hint of its own (zero): a stream does not size the
			// session's maps for its row count, nor teach the statement's
			// hint one.
			hint = &loadHint{}
		}
		ld := s.newLoader(q.t, plan, q.populate, 0, hint)
		if stream {
			st.ld = ld
			st.recycle = len(q.t.Relations) == 0 && !ld.cd.tracked
		}
		for rows.Next() {
			if stream {
				st.release()
			}
			fresh := ld.fresh()
			if err := plan.Scan(rows, fresh); err != nil {
				yield(nil, err)
				return
			}
			p := fresh
			switch {
			case q.noTrack:
				err = untrackedLoad(ctx, q.t, fresh)
			case stream:
				p, err = st.load(ctx, fresh)
			default:
				p, err = ld.load(ctx, fresh)
			}
			if err == nil && relOpts {
				// Only options without SQL remain (streamOptions):
				// Raise, NoLoad, Lazy, per row.
				err = s.runLoadOptions(ctx, q.t, q.opts, []unsafe.Pointer{p})
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(layout.As[T](p), nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, s.eng.Wrap(err, c.sql, nil))
		}
	}
}

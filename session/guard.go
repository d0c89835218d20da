package session

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/meta"
)

// errNilEngine is the error of every use of a session made with a nil
// engine (New(nil)).
var errNilEngine = fmt.Errorf("%w: the session has no engine (session.New(nil))", arcerr.ErrInvalidRequest)

// nilQuery is the error of a nil *Query given where a query is expected.
func nilQuery(where string) error {
	return fmt.Errorf("%w: nil query given to %s", arcerr.ErrInvalidRequest, where)
}

// guard detects a session used from two goroutines at once. A Session
// belongs to one goroutine at a time (as SQLAlchemy's does); the entry
// points that run SQL or change the session's state take the in-use flag
// with one atomic compare-and-swap and give it back when they return. A
// second goroutine that arrives meanwhile gets ErrInvalidRequest "session
// used concurrently" at once, instead of interleaving statements on the
// session's connection (which loses writes on SQLite and can hang on
// PostgreSQL). No mutex is taken; the uncontended cost is two atomic
// operations per call.
//
// The callbacks a call runs (model hooks, OnBeforeFlush/AfterCommit/
// AfterRollback functions, AfterLoad) may use the session: while one
// runs, cb is not zero and the entry points let the nested call through.
//
// An iteration (Query.Iter, Query.Stream) holds the flag from its first
// row until the loop ends, so another goroutine that uses the session
// meanwhile, also while the loop body runs, gets the same error. The loop
// body itself may use the session as before (Add, Delete, Dirty; SQL
// returns ErrIteratorOpen): owner is the goroutine running the loop, and
// only its calls are let through. The goroutine is told apart by its id,
// read from its stack header once per iteration and on the contended
// path only.
type guard struct {
	busy  atomic.Bool
	cb    atomic.Int32
	owner atomic.Int64 // goroutine id of the iteration holding the flag, 0 when none
}

// enter takes the flag. held reports whether this call took it (and must
// give it back with leave); false with a nil error is a call made from a
// callback of the call in progress.
func (g *guard) enter(op string) (held bool, err error) {
	if g.busy.CompareAndSwap(false, true) {
		return true, nil
	}
	return false, g.contended(op)
}

// contended is enter's slow path (kept out of line so enter inlines).
//
//go:noinline
func (g *guard) contended(op string) error {
	if g.cb.Load() > 0 {
		return nil
	}
	if o := g.owner.Load(); o != 0 && o == goid() {
		return nil
	}
	return concurrentUse(op)
}

// enterIter is enter for an iteration: the flag, held until leaveIter,
// and the calling goroutine recorded as its owner. A nested iteration
// (from the loop body or a callback) holds nothing and records nothing.
func (g *guard) enterIter(op string) (held bool, err error) {
	held, err = g.enter(op)
	if held {
		g.owner.Store(goid())
	}
	return held, err
}

// leaveIter ends what enterIter began.
func (g *guard) leaveIter(held bool) {
	if held {
		g.owner.Store(0)
		g.busy.Store(false)
	}
}

// goid returns the id of the calling goroutine, from the header line of
// its stack trace ("goroutine 17 [running]:"); 0 if it cannot be read.
// Go has no API for it; the guard needs it only to tell the goroutine
// running an iteration's loop body from any other.
func goid() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b, ok := bytes.CutPrefix(b, []byte("goroutine "))
	if !ok {
		return 0
	}
	var id int64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + int64(c-'0')
	}
	return id
}

// leave gives the flag back when held.
func (g *guard) leave(held bool) {
	if held {
		g.busy.Store(false)
	}
}

// callbacks marks the start of user callbacks run by the call holding
// the flag.
func (g *guard) callbacks() { g.cb.Add(1) }

// callbacksDone ends what callbacks began.
func (g *guard) callbacksDone() { g.cb.Add(-1) }

// concurrentMsg is in the message of a session used from two goroutines
// at once; the error wraps arcerr.ErrInvalidRequest.
const concurrentMsg = "session used concurrently"

func concurrentUse(op string) error {
	return fmt.Errorf("%w: %s: %s called while another goroutine is using the session (a Session belongs to one goroutine at a time; give each goroutine its own)",
		arcerr.ErrInvalidRequest, concurrentMsg, op)
}

// Flush writes all pending changes in one transaction (begun if needed),
// in foreign-key order: for each table, parents first, UPDATEs then
// INSERTs; then DELETEs, children first. Generated keys and server
// defaults are read back into the objects. When it fails, the database
// is rolled back to where it was before the flush and every object is
// restored exactly: the caller can fix the problem and flush again.
func (s *Session) Flush(ctx context.Context) error {
	held, err := s.inUse.enter("Flush")
	if err != nil {
		return err
	}
	defer s.inUse.leave(held)
	return s.flush(ctx)
}

// Rollback rolls back the transaction (and every savepoint in it): objects
// added in it leave the session, objects deleted in it are persistent
// again, and every persistent object gets its values from the start of
// the transaction and is expired (refreshed at its next use).
func (s *Session) Rollback(ctx context.Context) error {
	held, err := s.inUse.enter("Rollback")
	if err != nil {
		return err
	}
	defer s.inUse.leave(held)
	if s.flushing {
		return inFlush("Rollback")
	}
	if s.scopes > 0 {
		return inScope("Rollback")
	}
	if s.iterating > 0 {
		// The loop's rows come from the transaction being ended, and
		// the objects it yields would be expired under it.
		return fmt.Errorf("%w: Rollback called from the body of an Iter or Stream loop; break out of the loop first", arcerr.ErrIteratorOpen)
	}
	return s.rollback(ctx)
}

// inScope is the error of a call that would end the transaction of a
// Transaction(...) call from inside its function: Transaction commits
// when the function returns nil and rolls back when it returns an error.
// A Commit there made the work before it permanent although Transaction
// then failed (and a retry did it twice); a Rollback or Close made the
// rest run outside the transaction.
func inScope(op string) error {
	return fmt.Errorf("%w: %s called inside Transaction's function (Transaction commits when the function returns nil and rolls back when it returns an error; use Flush to send changes early, or Transaction again for a savepoint)",
		arcerr.ErrInvalidRequest, op)
}

// inFlush is the error of a call that would end or restart the flush in
// progress, made from its own callbacks (an OnBeforeFlush function or a
// model hook such as BeforeSave or AfterCreate): a nested flush would run
// the same hooks on the same objects again, without end, and a Rollback
// or Close would pull the transaction from under the statements still to
// come (the outer Commit then reported success for rows it never wrote).
// Queries in a hook run without autoflush instead, as in SQLAlchemy.
func inFlush(op string) error {
	return fmt.Errorf("%w: %s called from a hook or callback of the flush in progress (the flush in progress writes the session's changes; a hook may change objects, Add new ones and query)",
		arcerr.ErrInvalidRequest, op)
}

// runBeforeFlush runs the OnBeforeFlush functions, as callbacks of the
// flush in progress.
func (s *Session) runBeforeFlush(ctx context.Context) error {
	if len(s.beforeFlush) == 0 {
		return nil
	}
	s.inUse.callbacks()
	defer s.inUse.callbacksDone()
	for _, fn := range s.beforeFlush {
		if err := fn(ctx, s); err != nil {
			return fmt.Errorf("arc: before-flush hook: %w", err)
		}
	}
	return nil
}

// planHasHooks reports whether a table of the flush plan has a save or
// delete hook: only then do the hook phases run user code.
func planHasHooks(p *flushPlan) bool {
	for _, t := range p.tables {
		if t.Hooks&^meta.HookAfterLoad != 0 {
			return true
		}
	}
	return false
}

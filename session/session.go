package session

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/identity"
	"github.com/arcorm/arc/internal/relcore"
	"github.com/arcorm/arc/meta"
)

// Session is a unit of work over one engine. See the package doc.
type Session struct {
	eng  *engine.Engine
	opts options

	tx        *engine.Tx
	txFlushed bool                // the transaction holds flushed work
	relPre    map[*state]preImage // objects relationship bookkeeping changed in the current flush
	// relExpunged are the pending objects the current flush expunged
	// (rel_moves.go), put back if it fails.
	relExpunged []expunged
	relFlush    *relFlush     // the relationship work the running flush found (rel_session.go), nil when none
	failed      error         // set when a flush failed outside a savepoint: Rollback needed
	restored    restoreCounts // objects failed flushes restored, by path (flush.go; read by tests)
	closed      bool
	iterating   int // open iterators holding the connection

	states    stateTable     // object address → state
	ldRef     relcore.Loader // s as the loader its relationship fields point at (see loaderRef)
	stChunk   []state
	relModels bool    // an object with relationship fields joined the session (since the last ExpungeAll)
	holders   bool    // a tracked object (with a Holder) joined the session (since the last ExpungeAll)
	lastCodec *codec  // the codec add used last (a run of Adds is usually of one model)
	stNext    int     // stChunk[stNext:] are free (see newState)
	batches   []int32 // objects per multi-row load, by batchID-1 (see newBatch)
	batch0    [4]int32
	identity  identityMap
	pending   []*state // in Add order
	deleted   []*state // Delete() order
	// hardDeletes marks objects of soft-delete models that HardDelete
	// deletes for real (nil until used).
	hardDeletes map[*state]bool
	addSeq      int

	nested []*Nested
	// leftInTx holds the states of objects detached during the current
	// transaction that carry its bookkeeping (values at its start, inserted
	// or deleted in it): an object added again before it ends takes that
	// bookkeeping back, so that a rollback still puts it back. Cleared
	// when the transaction ends.
	leftInTx map[*state]struct{}
	plans    map[*meta.Table]*engine.ScanPlan // whole-row scan plans (selectByKey)

	beforeFlush   []func(context.Context, *Session) error
	afterCommit   []func(context.Context, *Session)
	afterRollback []func(context.Context, *Session)

	noAutoflushDepth int
	// flushing is set while a flush runs (its BeforeFlush callbacks, model
	// hooks and statements): see inFlush.
	flushing bool
	inUse    guard // detects use from two goroutines at once (guard.go)
	scopes   int   // open Transaction(...) calls

	// wrote is set when the session first begins a write transaction:
	// from then on its reads outside a transaction go to the primary.
	wrote bool
	// txIso is the isolation level a running Transaction asked for.
	txIso sql.IsolationLevel

	// committing: Commit's own flush runs, which may send a
	// one-statement unit of work in autocommit (flush_single.go).
	committing bool

	// The *T type and table Add resolved last (meta.TableOf's answer for
	// a type never changes): a run of Adds of one model skips the lookup.
	lastAddType  reflect.Type
	lastAddTable *meta.Table
}

// New returns a session on eng. It holds no connection until it first
// needs one.
func New(eng *engine.Engine, opts ...Option) *Session {
	o := options{autoflush: true, expireOnCommit: true}
	if eng != nil {
		o.log = eng.Logger()
	}
	for _, f := range opts {
		f(&o)
	}
	return &Session{eng: eng, opts: o, states: identity.New(byObject)}
}

// stateAt returns the state of the object at p, or nil.
func (s *Session) stateAt(p unsafe.Pointer) *state { return s.states.Get(identity.Addr(p)) }

// Engine returns the session's engine.
func (s *Session) Engine() *engine.Engine { return s.eng }

// Guard returns the N+1 guard mode.
func (s *Session) Guard() LazyGuard { return s.opts.guard }

type ctxKey struct{}

// With returns a context carrying s.
func With(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// From returns the session carried by ctx, or nil.
func From(ctx context.Context) *Session {
	s, _ := ctx.Value(ctxKey{}).(*Session)
	return s
}

func (s *Session) check() error {
	if s.closed {
		return fmt.Errorf("%w: the session is closed", arcerr.ErrInvalidRequest)
	}
	if s.eng == nil {
		return errNilEngine
	}
	return nil
}

// objectOf validates obj as a non-nil pointer to a model struct.
func objectOf(obj any) (unsafe.Pointer, *meta.Table, error) {
	if obj == nil {
		return nil, nil, fmt.Errorf("%w: nil object", arcerr.ErrInvalidRequest)
	}
	rv := reflect.ValueOf(obj)
	if rv.Kind() != reflect.Pointer || rv.Type().Elem().Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("%w: %T is not a pointer to a model struct (pass &obj)", arcerr.ErrInvalidRequest, obj)
	}
	if rv.IsNil() {
		return nil, nil, fmt.Errorf("%w: nil %T", arcerr.ErrInvalidRequest, obj)
	}
	t, err := meta.TableOf(rv.Type().Elem())
	if err != nil {
		return nil, nil, err
	}
	return rv.UnsafePointer(), t, nil
}

func describe(st *state) string {
	if st.is(bHasKey) {
		return st.cd.t.GoType.Name() + keyString(st.keyArgs())
	}
	return st.cd.t.GoType.Name() + "(pending)"
}

// keyArgs returns the object's key values as loaded or last flushed (the
// snapshot's), else as they are now.
func (st *state) keyArgs() []any {
	if st.snap != nil {
		return pkValues(st.cd.t, st.snap.p)
	}
	return pkValues(st.cd.t, st.obj)
}

func keyString(k []any) string {
	if len(k) == 1 {
		return fmt.Sprintf("(%v)", k[0])
	}
	return fmt.Sprintf("%v", k)
}

// OnBeforeFlush registers fn to run at the start of every flush that has
// work; an error aborts the flush.
func (s *Session) OnBeforeFlush(fn func(context.Context, *Session) error) {
	s.beforeFlush = append(s.beforeFlush, fn)
}

// OnAfterCommit registers fn to run after each commit.
func (s *Session) OnAfterCommit(fn func(context.Context, *Session)) {
	s.afterCommit = append(s.afterCommit, fn)
}

// OnAfterRollback registers fn to run after each rollback.
func (s *Session) OnAfterRollback(fn func(context.Context, *Session)) {
	s.afterRollback = append(s.afterRollback, fn)
}

// NoAutoflush runs fn with autoflush off.
func (s *Session) NoAutoflush(fn func() error) error {
	if fn == nil {
		return fmt.Errorf("%w: NoAutoflush(nil)", arcerr.ErrInvalidRequest)
	}
	s.noAutoflushDepth++
	defer func() { s.noAutoflushDepth-- }()
	return fn()
}

func (s *Session) autoflush(ctx context.Context) error {
	if !s.opts.autoflush || s.noAutoflushDepth > 0 || s.opts.readOnly || s.flushing {
		return nil
	}
	return s.flush(ctx)
}

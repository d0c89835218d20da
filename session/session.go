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
	"github.com/arcorm/arc/internal/layout"
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

// Add puts obj (a pointer to a model) into the session: a new object
// becomes pending and is inserted at the next flush; a detached one
// (record.Base keeps its identity) becomes persistent again. Adding an
// object already in the session is a no-op.
func (s *Session) Add(obj any) error {
	gHeld, gErr := s.inUse.enter("Add")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	if err := s.check(); err != nil {
		return err
	}
	if typ := reflect.TypeOf(obj); typ != nil && typ == s.lastAddType {
		if p := reflect.ValueOf(obj).UnsafePointer(); p != nil {
			_, err := s.add(obj, p, s.lastAddTable)
			return err
		}
	}
	p, t, err := objectOf(obj)
	if err != nil {
		return err
	}
	s.lastAddType, s.lastAddTable = reflect.TypeOf(obj), t
	_, err = s.add(obj, p, t)
	return err
}

// AddAll adds every object; it stops at the first error.
func (s *Session) AddAll(objs ...any) error {
	for _, o := range objs {
		if err := s.Add(o); err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) add(obj any, p unsafe.Pointer, t *meta.Table) (*state, error) {
	if st := s.stateAt(p); st != nil {
		if st.markedDelete {
			return st, nil
		}
		return st, nil
	}
	h := holderOf(obj, p)
	if h != nil && h.Session() != nil && h.sess != s {
		return nil, fmt.Errorf("%w: %s belongs to another open session; close it or Expunge the object first", arcerr.ErrInvalidRequest, t.GoType.Name())
	}
	st := s.newState()
	cd := s.lastCodec
	if cd == nil || cd.t != t {
		cd = codecOf(t)
		s.lastCodec = cd
	}
	st.obj, st.cd = p, cd
	if len(t.Relations) > 0 {
		s.relModels = true
	}
	if d := h.detached(); d != nil {
		// Re-attach a detached object.
		if other := s.identity.get(d.ikey()); other != nil && other.obj != p {
			return nil, fmt.Errorf("%w: cannot attach %s: another instance with the same key is already in this session (use Merge)",
				arcerr.ErrInvalidRequest, describe(other))
		}
		st.status = Persistent
		st.key = d.key
		st.set(bHasKey, true)
		st.snap = d.snap
		st.expired = d.expired // an expired object still reloads at its next use
		if _, ok := s.leftInTx[d]; ok {
			// Expunged in this transaction: what it did to the object
			// still has to be undone by a rollback.
			st.txSnap = d.txSnap
			st.set(bNewInTx, d.is(bNewInTx))
			st.set(bDeletedInTx, d.is(bDeletedInTx))
			delete(s.leftInTx, d)
		}
		s.identity.put(st)
	} else {
		// A new object that carries a key already mapped here (say, a plain
		// struct loaded by another session, or a decoded payload) would
		// fail at flush with a duplicate key; say so now, and point to Merge.
		if k, ok := clientKey(st); ok {
			if other := s.identity.get(k); other != nil {
				return nil, fmt.Errorf("%w: cannot add %s: the session already holds %s with that key (use Merge to copy its values)",
					arcerr.ErrInvalidRequest, t.GoType.Name(), describe(other))
			}
		}
		st.status = Pending
		s.addSeq++
		s.pending = append(s.pending, st)
	}
	s.states.Put(st)
	if h != nil {
		*h = Holder{owner: p, sess: s, st: st}
		s.holders = true
	}
	if err := s.cascadeAdd(st); err != nil {
		return nil, err
	}
	return st, nil
}

// clientKey returns the identity a new object's key fields give, when
// every one of them is set.
func clientKey(st *state) (ikey, bool) {
	for _, c := range st.cd.t.PrimaryKey {
		for i := range st.cd.cols {
			if cc := &st.cd.cols[i]; cc.c == c && cc.zero(layout.At(st.obj, c.Offset)) {
				return ikey{}, false
			}
		}
	}
	if len(st.cd.t.PrimaryKey) == 0 {
		return ikey{}, false
	}
	return identityOf(st.cd.t, st.obj), true
}

// Contains reports whether obj is in the session (pending, persistent or
// marked for deletion).
func (s *Session) Contains(obj any) bool {
	p, _, err := objectOf(obj)
	if err != nil {
		return false
	}
	st := s.stateAt(p)
	return st != nil && st.status != Deleted
}

// StateOf returns obj's state with respect to this session. An object this
// session does not hold is detached when record.Base remembers an identity
// for it, and transient otherwise.
func (s *Session) StateOf(obj any) Status {
	p, _, err := objectOf(obj)
	if err != nil {
		return Transient
	}
	if st := s.stateAt(p); st != nil {
		return st.status
	}
	return StateOf(obj)
}

// StateOf returns the state of obj as far as the object itself knows
// (record.Base keeps it): pending, persistent or deleted in the session
// that holds it, detached, or transient. Plain structs read as transient
// unless asked through Session.StateOf.
func StateOf(obj any) Status {
	p, _, err := objectOf(obj)
	if err != nil {
		return Transient
	}
	h := holderOf(obj, p)
	if h == nil {
		return Transient
	}
	if h.Session() != nil && h.st != nil {
		return h.st.status
	}
	if h.detached() != nil {
		return Detached
	}
	return Transient
}

// Delete marks a persistent object for deletion at the next flush.
// Deleting an object that was never saved is an error.
func (s *Session) Delete(obj any) error {
	gHeld, gErr := s.inUse.enter("Delete")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	if err := s.check(); err != nil {
		return err
	}
	p, t, err := objectOf(obj)
	if err != nil {
		return err
	}
	st := s.stateAt(p)
	if st == nil {
		h := holderOf(obj, p)
		if h.detached() == nil {
			return fmt.Errorf("%w: %s is not persisted (transient); nothing to delete", arcerr.ErrInvalidRequest, t.GoType.Name())
		}
		if st, err = s.add(obj, p, t); err != nil {
			return err
		}
	}
	switch st.status {
	case Pending:
		return fmt.Errorf("%w: %s is pending (not flushed); Expunge it instead of deleting", arcerr.ErrInvalidRequest, t.GoType.Name())
	case Deleted:
		return nil
	}
	if !st.markedDelete {
		st.markedDelete = true
		s.deleted = append(s.deleted, st)
	}
	s.markSoft(st) // Delete is soft for a soft-delete model; HardDelete marks it again
	return s.cascadeDelete(st)
}

// Expunge removes obj from the session: a pending object becomes
// transient, a persistent one detached. Its field values are untouched.
func (s *Session) Expunge(obj any) error {
	gHeld, gErr := s.inUse.enter("Expunge")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	p, t, err := objectOf(obj)
	if err != nil {
		return err
	}
	st := s.stateAt(p)
	if st == nil {
		return fmt.Errorf("%w: %s is not in this session", arcerr.ErrInvalidRequest, t.GoType.Name())
	}
	s.detach(st)
	return nil
}

// ExpungeAll detaches every object.
func (s *Session) ExpungeAll() { s.expungeAll(false) }

// expungeAll detaches every object. closing: the session is closing, so
// the detached states drop their objects' addresses (a detached object's
// Holder needs only its state's key and snapshot): states are allocated
// in chunks, and a state that kept its object would let one object the
// caller keeps hold, through its Holder, its state's chunk, the objects of
// that chunk's states, their Holders and chunks, and so on, every object
// the session ever had (TestRetainedByOneObject).
func (s *Session) expungeAll(closing bool) {
	// Only a Holder can reach a state once the indexes forget it, so
	// without tracked objects there is no state worth marking detached.
	if s.holders {
		for st := range s.states.All() {
			s.detachState(st)
			if closing {
				st.obj = nil
			}
		}
	}
	s.states.Clear()
	s.identity.clear()
	s.relModels, s.holders = false, false
	s.pending = s.pending[:0]
	s.deleted = s.deleted[:0]
}

func (s *Session) detach(st *state) {
	s.states.Del(identity.Addr(st.obj))
	if st.is(bHasKey) && s.identity.get(st.ikey()) == st {
		s.identity.del(st.ikey())
	}
	s.pending = removeState(s.pending, st)
	s.deleted = removeState(s.deleted, st)
	s.detachState(st)
}

// detachState moves st out of the session (the maps are the caller's
// business): pending becomes transient, anything else detached, and a
// record.Base keeps the identity and snapshot for a later re-attach.
func (s *Session) detachState(st *state) {
	prev := st.status
	if s.tx != nil && (st.txSnap != nil || st.is(bNewInTx) || st.is(bDeletedInTx)) {
		if s.leftInTx == nil {
			s.leftInTx = map[*state]struct{}{}
		}
		s.leftInTx[st] = struct{}{}
	}
	switch prev {
	case Pending:
		st.status = Transient
	default:
		st.status = Detached
	}
	if h := st.holder(); h != nil && h.st == st {
		if (prev == Persistent || prev == Deleted) && st.snap != nil {
			*h = Holder{owner: st.obj, st: st}
		} else {
			*h = Holder{owner: st.obj}
		}
	}
}

func removeState(list []*state, st *state) []*state {
	for i, x := range list {
		if x == st {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// New lists pending objects in Add order.
func (s *Session) New() []any {
	out := make([]any, 0, len(s.pending))
	for _, st := range s.pending {
		out = append(out, st.ifc())
	}
	return out
}

// Dirty lists persistent objects whose columns differ from their snapshot
// (exact, unlike SQLAlchemy's optimistic list).
func (s *Session) Dirty() []any {
	var out []any
	for _, st := range s.changedStates() {
		out = append(out, st.ifc())
	}
	return out
}

// changedStates returns the persistent objects not marked for deletion
// whose columns differ from their snapshot, in a stable order (by table
// name, then key).
// Only the changed states are collected and sorted: a flush of one change
// in a session holding many objects compares each once and sorts one.
func (s *Session) changedStates() []*state {
	var out []*state
	for st := range s.identity.all() {
		if st.status == Persistent && !st.markedDelete && st.snap != nil && st.cd.anyChanged(st.obj, st.snap) {
			out = append(out, st)
		}
	}
	sortStates(out)
	return out
}

// Deleted lists objects marked for deletion and not yet flushed.
func (s *Session) Deleted() []any {
	out := make([]any, 0, len(s.deleted))
	for _, st := range s.deleted {
		out = append(out, st.ifc())
	}
	return out
}

// IsModified reports whether obj's columns differ from its snapshot.
func (s *Session) IsModified(obj any) bool {
	p, _, err := objectOf(obj)
	if err != nil {
		return false
	}
	st := s.stateAt(p)
	if st == nil {
		return false
	}
	if st.status == Pending {
		return true
	}
	return st.snap != nil && st.cd.anyChanged(st.obj, st.snap)
}

// hasChanges reports whether a flush would do anything.
func (s *Session) hasChanges() bool {
	if len(s.pending) > 0 || len(s.deleted) > 0 {
		return true
	}
	for st := range s.identity.all() {
		if st.status == Persistent && st.snap != nil && st.cd.anyChanged(st.obj, st.snap) {
			return true
		}
		if st.is(bRelBound) && s.relChanged(st) {
			return true
		}
	}
	return false
}

// Expire reverts obj's unflushed changes at once and marks it so that
// its next use (Get, a query returning it, a lazy load) reloads its row.
// A field set after Expire is kept by that reload, as SQLAlchemy keeps
// attributes set after expiry: Go has no attribute instrumentation, so a
// column counts as set after expiry when its value differs from the one
// Expire left in it (the snapshot); a field set back to that same value
// is indistinguishable from an untouched one and takes the database's
// value. Refresh overwrites every column.
func (s *Session) Expire(obj any) error {
	gHeld, gErr := s.inUse.enter("Expire")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	st, err := s.stateOf(obj)
	if err != nil {
		return err
	}
	if st.snap != nil {
		st.cd.restore(st.obj, st.snap)
	}
	st.expired = true
	s.expireRelations(st)
	return nil
}

// ExpireAll expires every persistent object.
func (s *Session) ExpireAll() {
	for st := range s.identity.all() {
		if st.snap != nil {
			st.cd.restore(st.obj, st.snap)
		}
		st.expired = true
		s.expireRelations(st)
	}
}

func (s *Session) stateOf(obj any) (*state, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	p, t, err := objectOf(obj)
	if err != nil {
		return nil, err
	}
	st := s.stateAt(p)
	if st == nil {
		return nil, fmt.Errorf("%w: %s is not in this session", arcerr.ErrDetached, t.GoType.Name())
	}
	return st, nil
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

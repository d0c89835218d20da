package session

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/identity"
)

// begin returns the session's transaction, starting a write transaction
// if none is open (engine.TxOptions.Write: on SQLite, BEGIN IMMEDIATE).
// Writes (flushes, bulk UPDATE and DELETE, savepoints, locking reads)
// come here; reads use executor, which begins nothing unless the session
// asked for an isolation level.
func (s *Session) begin(ctx context.Context) (*engine.Tx, error) {
	if s.tx != nil {
		return s.tx, nil
	}
	if s.opts.readOnly {
		return nil, fmt.Errorf("%w: the session is read-only (session.ReadOnly): it cannot write or begin a transaction", arcerr.ErrInvalidRequest)
	}
	return s.startTx(ctx)
}

// startTx begins the session's transaction: a write transaction, or a
// read-only one in a read-only session.
func (s *Session) startTx(ctx context.Context) (*engine.Tx, error) {
	tx, err := s.eng.BeginTx(ctx, engine.TxOptions{Isolation: s.isolation(), ReadOnly: s.opts.readOnly, Write: !s.opts.readOnly})
	if err != nil {
		return nil, err
	}
	s.tx = tx
	s.txFlushed = false
	if !s.opts.readOnly {
		s.wrote = true
	}
	return tx, nil
}

// isolation is the isolation level of the next transaction: the one a
// running Transaction(..., Isolation(l)) asked for, else the session's.
func (s *Session) isolation() sql.IsolationLevel {
	if s.txIso != sql.LevelDefault {
		return s.txIso
	}
	return s.opts.isolation
}

// executor returns what reads run on. In an open transaction, that
// transaction. Otherwise no transaction is begun (no BEGIN, no ROLLBACK):
// the read runs on its own, on a replica (engine.Reader) until the
// session first writes or when it forces the primary (WithPrimary), on
// the primary after that, so that the session reads what it wrote. A
// session with an isolation level (WithIsolation, Isolation) begins its
// transaction at its first read instead, so that the level covers it.
func (s *Session) executor(ctx context.Context) (engine.Executor, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	switch {
	case s.tx != nil:
		return s.tx, nil
	case s.isolation() != sql.LevelDefault:
		return s.startTx(ctx)
	case s.wrote || s.opts.primary:
		return s.eng, nil
	}
	return s.eng.Reader(), nil
}

// writer returns the session's write transaction, beginning it if
// needed, for SQL that writes or locks rows.
func (s *Session) writer(ctx context.Context) (*engine.Tx, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	return s.begin(ctx)
}

// queryExecutor is executor, or writer for a locking read (FOR UPDATE):
// row locks last as long as a transaction.
func (s *Session) queryExecutor(ctx context.Context, locks bool) (engine.Executor, error) {
	if locks {
		return s.writer(ctx)
	}
	return s.executor(ctx)
}

// usable checks that the session can run SQL now.
func (s *Session) usable() error {
	if err := s.check(); err != nil {
		return err
	}
	if s.failed != nil {
		return fmt.Errorf("%w (cause: %v)", arcerr.ErrNeedsRollback, s.failed)
	}
	if s.iterating > 0 {
		return fmt.Errorf("%w: finish or close the open iterator first", arcerr.ErrIteratorOpen)
	}
	return nil
}

// InTransaction reports whether the session holds an open transaction.
func (s *Session) InTransaction() bool { return s.tx != nil }

// Commit flushes, commits the transaction, and expires loaded objects
// (unless WithExpireOnCommit(false)); objects deleted in the transaction
// become detached. Without an open transaction it only flushes.
func (s *Session) Commit(ctx context.Context) error {
	gHeld, gErr := s.inUse.enter("Commit")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	s.committing = true
	err := s.flush(ctx)
	s.committing = false
	if err != nil {
		return err
	}
	for len(s.nested) > 0 {
		if err := s.nested[len(s.nested)-1].Commit(ctx); err != nil {
			return err
		}
	}
	if s.tx != nil {
		tx := s.tx
		s.tx = nil
		if err := tx.Commit(); err != nil {
			s.afterFailedCommit()
			return fmt.Errorf("arc: commit: %w", err)
		}
	}
	for st := range s.states.All() {
		switch st.status {
		case Deleted:
			s.detach(st)
			continue
		case Persistent:
			st.set(bNewInTx|bDeletedInTx, false)
			st.txSnap = nil
			if s.opts.expireOnCommit {
				st.expired = true
				s.expireRelations(st)
			}
		}
	}
	s.txFlushed = false
	clear(s.leftInTx)
	if len(s.afterCommit) > 0 {
		s.inUse.callbacks()
		for _, fn := range s.afterCommit {
			fn(ctx, s)
		}
		s.inUse.callbacksDone()
	}
	return nil
}

// afterFailedCommit treats a failed COMMIT like a rollback of the objects.
func (s *Session) afterFailedCommit() { s.rollbackObjects() }

// Rollback rolls the transaction back and puts the objects back as they
// were when it began: objects added or inserted in it become transient and
// leave the session, objects deleted in it are persistent again, and every
// persistent object gets its values from the start of the transaction and
// is expired (refreshed at its next use).
func (s *Session) rollback(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	var err error
	if s.tx != nil {
		err = s.tx.Rollback()
		s.tx = nil
	}
	s.nested = nil
	s.rollbackObjects()
	s.failed = nil
	s.txFlushed = false
	clear(s.leftInTx)
	if len(s.afterRollback) > 0 {
		if len(s.afterRollback) > 0 {
			s.inUse.callbacks()
			for _, fn := range s.afterRollback {
				fn(ctx, s)
			}
			s.inUse.callbacksDone()
		}
	}
	return err
}

func (s *Session) rollbackObjects() {
	for st := range s.states.All() {
		switch {
		case st.status == Pending || st.is(bNewInTx):
			s.detach(st)
			st.status = Transient
			if h := st.holder(); h != nil {
				*h = Holder{owner: st.obj}
			}
			continue
		case st.status == Deleted || st.is(bDeletedInTx):
			st.status = Persistent
			st.set(bDeletedInTx, false)
			s.identity.put(st)
		}
		st.markedDelete = false
		if st.txSnap != nil {
			st.snap = st.txSnap
			st.txSnap = nil
		}
		if st.snap != nil && st.cd.restoreChanged(st.obj, st.snap) {
			s.rekey(st)
		}
		st.expired = true
		s.expireRelations(st)
	}
	s.deleted = s.deleted[:0]
	s.pending = s.pending[:0]
	s.hardDeletes = nil
	s.relRollback()
}

// rekey moves st in the identity map when restoring its values gave it
// back an earlier primary key (a flushed key change that was rolled back).
func (s *Session) rekey(st *state) {
	if !st.is(bHasKey) {
		return
	}
	k := identityOf(st.cd.t, st.obj)
	if k == st.ikey() {
		return
	}
	if s.identity.get(st.ikey()) == st {
		s.identity.del(st.ikey())
	}
	st.key = k.sk()
	s.identity.put(st)
}

// Close rolls back any open transaction, detaches every object and closes
// the session; using it afterwards is an error. When the transaction
// wrote something (a flush, a bulk UPDATE or DELETE), the objects are put
// back as Rollback does before they are detached, so they match the
// database; when it wrote nothing they are detached as they are, with
// their unflushed changes and their loaded relationships, as after a
// Commit (SQLAlchemy's close() never touches them).
func (s *Session) Close(ctx context.Context) error {
	if s.closed {
		return nil
	}
	gHeld, gErr := s.inUse.enter("Close")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	if s.flushing {
		return inFlush("Close")
	}
	var err error
	switch {
	case s.tx != nil && (s.txFlushed || len(s.nested) > 0 || s.failed != nil):
		err = s.rollback(ctx)
	case s.tx != nil:
		err = s.tx.Rollback()
		s.tx = nil
		if len(s.afterRollback) > 0 {
			s.inUse.callbacks()
			for _, fn := range s.afterRollback {
				fn(ctx, s)
			}
			s.inUse.callbacksDone()
		}
	}
	s.expungeAll(true)
	s.relRollback()
	s.closed = true
	// Let go of what only an open session uses: relationship fields keep
	// their (closed) session as loader, and must not keep its tables.
	s.states, s.identity = identity.New(byObject), identityMap{}
	s.stChunk, s.stNext, s.leftInTx = nil, 0, nil
	return err
}

// Nested is a SAVEPOINT inside the session's transaction.
type Nested struct {
	s    *Session
	name string
	// saved is keyed by the object, not its state: an object expunged and
	// added again inside the savepoint has a new state, and the savepoint's
	// rollback must still put it back.
	saved map[unsafe.Pointer]savedState
	done  bool
}

type savedState struct {
	status    Status
	snap      *snapshot
	txSnap    *snapshot
	values    *snapshot
	marked    bool
	newIn     bool
	deletedIn bool
	expired   bool
}

// BeginNested flushes, then sets a SAVEPOINT. Its Rollback undoes the
// database work since then and restores the objects to their state at
// BeginNested; its Commit releases the savepoint.
func (s *Session) BeginNested(ctx context.Context) (*Nested, error) {
	gHeld, gErr := s.inUse.enter("BeginNested")
	if gErr != nil {
		return nil, gErr
	}
	defer s.inUse.leave(gHeld)
	if err := s.flush(ctx); err != nil {
		return nil, err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	n := &Nested{s: s, name: "arc_sp_" + strconv.Itoa(len(s.nested)+1), saved: map[unsafe.Pointer]savedState{}}
	if err := tx.Savepoint(ctx, n.name); err != nil {
		return nil, err
	}
	for st := range s.states.All() {
		n.saved[st.obj] = savedState{status: st.status, snap: st.snap, txSnap: st.txSnap, values: st.cd.take(st.obj),
			marked: st.markedDelete, newIn: st.is(bNewInTx), deletedIn: st.is(bDeletedInTx), expired: st.expired}
	}
	s.nested = append(s.nested, n)
	return n, nil
}

func (n *Nested) pop() error {
	s := n.s
	if n.done {
		return fmt.Errorf("%w: savepoint %s already ended", arcerr.ErrInvalidRequest, n.name)
	}
	if len(s.nested) == 0 || s.nested[len(s.nested)-1] != n {
		return fmt.Errorf("%w: savepoint %s is not the innermost one", arcerr.ErrInvalidRequest, n.name)
	}
	s.nested = s.nested[:len(s.nested)-1]
	n.done = true
	return nil
}

// Commit flushes and releases the savepoint.
func (n *Nested) Commit(ctx context.Context) error {
	if err := n.s.flush(ctx); err != nil {
		return err
	}
	if err := n.pop(); err != nil {
		return err
	}
	return n.s.tx.Release(ctx, n.name)
}

// Rollback rolls back to the savepoint and restores the objects.
func (n *Nested) Rollback(ctx context.Context) error {
	if n.s.flushing {
		return inFlush("Nested.Rollback")
	}
	if err := n.pop(); err != nil {
		return err
	}
	s := n.s
	if err := s.tx.RollbackTo(ctx, n.name); err != nil {
		return err
	}
	if err := s.tx.Release(ctx, n.name); err != nil {
		return err
	}
	s.failed = nil
	for st := range s.states.All() {
		sv, ok := n.saved[st.obj]
		if !ok {
			// Added or loaded after the savepoint.
			if st.status == Pending || st.is(bNewInTx) {
				s.detach(st)
				st.status = Transient
				if h := st.holder(); h != nil {
					*h = Holder{owner: st.obj}
				}
				continue
			}
			// Loaded after the savepoint: what it flushed since is gone
			// from the database, so it reloads on next use.
			if st.status == Deleted {
				st.status = Persistent
				st.set(bDeletedInTx, false)
				s.identity.put(st)
			}
			st.markedDelete = false
			st.expired = true
			s.expireRelations(st)
			continue
		}
		// What the savepoint wrote or reloaded is gone from the database:
		// an object whose snapshot moved since is expired, and so is one
		// that was expired at BeginNested (a reload inside the savepoint
		// must not make its old values look fresh).
		st.expired = sv.expired || st.snap != sv.snap
		st.cd.restore(st.obj, sv.values)
		st.snap, st.txSnap = sv.snap, sv.txSnap
		if !st.is(bHasKey) && sv.status != Pending && sv.snap != nil {
			// Expunged and added again as new inside the savepoint.
			st.key = identityOf(st.cd.t, sv.snap.p).sk()
			st.set(bHasKey, true)
			s.pending = removeState(s.pending, st)
			if other := s.identity.get(st.ikey()); other != nil && other != st {
				s.detach(other) // loaded after the savepoint: this object holds the row again
			}
			s.identity.put(st)
		}
		s.rekey(st)
		s.expireRelations(st) // memberships flushed after the savepoint are gone too
		st.markedDelete = sv.marked
		st.set(bNewInTx, sv.newIn)
		st.set(bDeletedInTx, sv.deletedIn)
		if sv.status != st.status {
			if st.status == Deleted && sv.status == Persistent {
				s.identity.put(st)
				st.set(bDeletedInTx, false)
			}
			if sv.status == Pending && st.status == Persistent {
				s.identity.del(st.ikey())
				st.set(bHasKey, false)
				s.pending = append(s.pending, st)
			}
			st.status = sv.status
		}
	}
	s.deleted = s.deleted[:0]
	for p, sv := range n.saved {
		if st := s.stateAt(p); sv.marked && st != nil {
			s.deleted = append(s.deleted, st)
		}
	}
	s.relRollback()
	return nil
}

// Transaction runs fn in a transaction of the session carried by ctx:
// commit when fn returns nil, roll back when it returns an error or
// panics (the panic is re-raised). When the session is already in a
// transaction, fn runs inside a SAVEPOINT instead. Without a session in
// ctx, it opens one on eng (which must then be non-nil), puts it in the
// context fn receives, and closes it afterwards.
//
// With Retry, a transaction that fails with a retryable error
// (arcerr.IsRetryable: a serialization failure, a deadlock, a busy
// database, a connection lost before any statement) is rolled back,
// which puts the session's objects back as Rollback does, and fn runs
// again after a backoff. fn must therefore do all of its work itself
// (load, change, add) on each call. Inside a savepoint there is no
// retry: the error goes to the outermost Transaction, which retries the
// whole transaction.
func Transaction(ctx context.Context, eng *engine.Engine, fn func(ctx context.Context) error, opts ...TxOption) (err error) {
	if fn == nil {
		return fmt.Errorf("%w: Transaction with a nil function", arcerr.ErrInvalidRequest)
	}
	var cfg txConfig
	for _, o := range opts {
		o(&cfg)
	}
	s := From(ctx)
	if s == nil {
		if eng == nil {
			return fmt.Errorf("%w: Transaction needs a session in ctx or an engine", arcerr.ErrInvalidRequest)
		}
		s = New(eng)
		ctx = With(ctx, s)
		defer func() {
			if cerr := s.Close(ctx); err == nil {
				err = cerr
			}
		}()
	}
	if s.InTransaction() || s.scopes > 0 {
		n, err := s.BeginNested(ctx)
		if err != nil {
			return err
		}
		defer func() {
			if p := recover(); p != nil {
				_ = n.Rollback(ctx)
				panic(p)
			}
		}()
		if err := fn(ctx); err != nil {
			if rerr := n.Rollback(ctx); rerr != nil {
				return fmt.Errorf("%w (and rolling back the savepoint: %w)", err, rerr)
			}
			return err
		}
		return n.Commit(ctx)
	}
	if cfg.isolation != sql.LevelDefault {
		prev := s.txIso
		s.txIso = cfg.isolation
		defer func() { s.txIso = prev }()
	}
	for attempt := 1; ; attempt++ {
		err = s.runTransaction(ctx, fn)
		if err == nil || attempt >= cfg.attempts || !arcerr.IsRetryable(err) {
			return err
		}
		if werr := sleepCtx(ctx, backoff(attempt, cfg.maxDelay)); werr != nil {
			return fmt.Errorf("%w (not retried: %w)", err, werr)
		}
	}
}

// runTransaction is one attempt of a top-level Transaction.
func (s *Session) runTransaction(ctx context.Context, fn func(ctx context.Context) error) error {
	s.scopes++
	defer func() {
		s.scopes--
		if p := recover(); p != nil {
			_ = s.Rollback(ctx)
			panic(p)
		}
	}()
	if err := fn(ctx); err != nil {
		if rerr := s.Rollback(ctx); rerr != nil {
			return fmt.Errorf("%w (and rolling back: %w)", err, rerr)
		}
		return err
	}
	if err := s.Commit(ctx); err != nil {
		// A flush or COMMIT that failed: put the objects back as the
		// transaction found them (a failed flush restored them only to
		// before itself), and end the transaction if it is still open.
		if rerr := s.Rollback(ctx); rerr != nil {
			return fmt.Errorf("%w (and rolling back: %w)", err, rerr)
		}
		return err
	}
	return nil
}

// TxOption configures Transaction.
type TxOption func(*txConfig)

type txConfig struct {
	attempts  int
	maxDelay  time.Duration
	isolation sql.IsolationLevel
}

// Retry makes Transaction run fn up to attempts times in all while it
// fails with a retryable error (arcerr.IsRetryable), waiting between
// attempts with exponential backoff from 2 ms, with jitter, up to
// maxDelay (0: 1 s).
func Retry(attempts int, maxDelay time.Duration) TxOption {
	return func(c *txConfig) {
		c.attempts = attempts
		if maxDelay <= 0 {
			maxDelay = time.Second
		}
		c.maxDelay = maxDelay
	}
}

// Isolation sets the isolation level of the transaction Transaction
// begins (sql.LevelSerializable, say; PostgreSQL's SERIALIZABLE needs
// Retry). As with WithIsolation, the transaction then begins at fn's
// first statement, read or write. Inside a savepoint it has no effect.
func Isolation(level sql.IsolationLevel) TxOption {
	return func(c *txConfig) { c.isolation = level }
}

// backoff is the wait before attempt n+1: 2 ms doubled per attempt, up
// to maxDelay, with up to half of it random so that transactions that
// conflicted do not meet again.
func backoff(n int, maxDelay time.Duration) time.Duration {
	d := 2 * time.Millisecond << min(n-1, 20)
	if d > maxDelay || d <= 0 {
		d = maxDelay
	}
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// forgetTx drops the bookkeeping of a transaction that ended without
// writing anything (a failed first flush rolls it back): the snapshots
// reloaded in it are what the database holds.
func (s *Session) forgetTx() {
	for st := range s.states.All() {
		st.txSnap = nil
	}
	clear(s.leftInTx)
}

// The session's transaction: begin, Commit, Rollback, Close, and which
// executor reads and writes use.

package session

import (
	"context"
	"database/sql"
	"fmt"

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
	if s.scopes > 0 {
		return inScope("Commit")
	}
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
// Commit (SQLAlchemy's close() never touches them). Close from the body
// of an Iter or Stream loop over the session fails with ErrIteratorOpen.
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
	if s.scopes > 0 {
		return inScope("Close")
	}
	if s.iterating > 0 {
		// The loop would go on yielding objects of a closed session.
		return fmt.Errorf("%w: Close called from the body of an Iter or Stream loop; break out of the loop first", arcerr.ErrIteratorOpen)
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

// forgetTx drops the bookkeeping of a transaction that ended without
// writing anything (a failed first flush rolls it back): the snapshots
// reloaded in it are what the database holds.
func (s *Session) forgetTx() {
	for st := range s.states.All() {
		st.txSnap = nil
	}
	clear(s.leftInTx)
}

package session

import (
	"context"
	"fmt"
	"strconv"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
)

// begin returns the session's transaction, starting one if needed
// (SQLAlchemy's autobegin).
func (s *Session) begin(ctx context.Context) (*engine.Tx, error) {
	if s.tx != nil {
		return s.tx, nil
	}
	tx, err := s.eng.Begin(ctx, nil)
	if err != nil {
		return nil, err
	}
	s.tx = tx
	s.txFlushed = false
	return tx, nil
}

// executor returns what reads run on: the open transaction, or a new one.
func (s *Session) executor(ctx context.Context) (engine.Executor, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if s.failed != nil {
		return nil, fmt.Errorf("%w (cause: %v)", arcerr.ErrNeedsRollback, s.failed)
	}
	if s.iterating > 0 {
		return nil, fmt.Errorf("%w: finish or close the open iterator first", arcerr.ErrBusy)
	}
	return s.begin(ctx)
}

// InTransaction reports whether the session holds an open transaction.
func (s *Session) InTransaction() bool { return s.tx != nil }

// Commit flushes, commits the transaction, and expires loaded objects
// (unless WithExpireOnCommit(false)); objects deleted in the transaction
// become detached. Without an open transaction it only flushes.
func (s *Session) Commit(ctx context.Context) error {
	if err := s.Flush(ctx); err != nil {
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
	for st := range s.states.all() {
		switch st.status {
		case Deleted:
			s.detach(st)
			continue
		case Persistent:
			st.newInTx, st.deletedInTx, st.txSnap = false, false, nil
			if s.opts.expireOnCommit {
				st.expired = true
				s.expireRelations(st)
			}
		}
	}
	s.txFlushed = false
	for _, fn := range s.afterCommit {
		fn(ctx, s)
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
func (s *Session) Rollback(ctx context.Context) error {
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
	for _, fn := range s.afterRollback {
		fn(ctx, s)
	}
	return err
}

func (s *Session) rollbackObjects() {
	for st := range s.states.all() {
		switch {
		case st.status == Pending || st.newInTx:
			s.detach(st)
			st.status = Transient
			if h := st.holder(); h != nil {
				*h = Holder{owner: st.obj}
			}
			continue
		case st.status == Deleted || st.deletedInTx:
			st.status = Persistent
			st.deletedInTx = false
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
	s.relRollback()
}

// rekey moves st in the identity map when restoring its values gave it
// back an earlier primary key (a flushed key change that was rolled back).
func (s *Session) rekey(st *state) {
	if !st.hasKey {
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
	var err error
	switch {
	case s.tx != nil && (s.txFlushed || len(s.nested) > 0 || s.failed != nil):
		err = s.Rollback(ctx)
	case s.tx != nil:
		err = s.tx.Rollback()
		s.tx = nil
		for _, fn := range s.afterRollback {
			fn(ctx, s)
		}
	}
	s.ExpungeAll()
	s.relRollback()
	s.closed = true
	return err
}

// Nested is a SAVEPOINT inside the session's transaction.
type Nested struct {
	s     *Session
	name  string
	saved map[*state]savedState
	done  bool
}

type savedState struct {
	status Status
	snap   *snapshot
	values *snapshot
	marked bool
	newIn  bool
}

// BeginNested flushes, then sets a SAVEPOINT. Its Rollback undoes the
// database work since then and restores the objects to their state at
// BeginNested; its Commit releases the savepoint.
func (s *Session) BeginNested(ctx context.Context) (*Nested, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	n := &Nested{s: s, name: "arc_sp_" + strconv.Itoa(len(s.nested)+1), saved: map[*state]savedState{}}
	if err := tx.Savepoint(ctx, n.name); err != nil {
		return nil, err
	}
	for st := range s.states.all() {
		n.saved[st] = savedState{status: st.status, snap: st.snap, values: st.cd.take(st.obj), marked: st.markedDelete, newIn: st.newInTx}
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
	if err := n.s.Flush(ctx); err != nil {
		return err
	}
	if err := n.pop(); err != nil {
		return err
	}
	return n.s.tx.Release(ctx, n.name)
}

// Rollback rolls back to the savepoint and restores the objects.
func (n *Nested) Rollback(ctx context.Context) error {
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
	for st := range s.states.all() {
		sv, ok := n.saved[st]
		if !ok {
			// Added or loaded after the savepoint.
			if st.status == Pending || st.newInTx {
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
				st.deletedInTx = false
				s.identity.put(st)
			}
			st.markedDelete = false
			st.expired = true
			s.expireRelations(st)
			continue
		}
		st.cd.restore(st.obj, sv.values)
		st.snap = sv.snap
		s.rekey(st)
		s.expireRelations(st) // memberships flushed after the savepoint are gone too
		st.markedDelete = sv.marked
		st.newInTx = sv.newIn
		if sv.status != st.status {
			if st.status == Deleted && sv.status == Persistent {
				s.identity.put(st)
				st.deletedInTx = false
			}
			if sv.status == Pending && st.status == Persistent {
				s.identity.del(st.ikey())
				st.hasKey = false
				s.pending = append(s.pending, st)
			}
			st.status = sv.status
		}
	}
	s.deleted = s.deleted[:0]
	for st, sv := range n.saved {
		if sv.marked && s.stateAt(st.obj) == st {
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
func Transaction(ctx context.Context, eng *engine.Engine, fn func(ctx context.Context) error) (err error) {
	if fn == nil {
		return fmt.Errorf("%w: Transaction with a nil function", arcerr.ErrInvalidRequest)
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
				return fmt.Errorf("%w (and rolling back the savepoint: %v)", err, rerr)
			}
			return err
		}
		return n.Commit(ctx)
	}
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
			return fmt.Errorf("%w (and rolling back: %v)", err, rerr)
		}
		return err
	}
	return s.Commit(ctx)
}

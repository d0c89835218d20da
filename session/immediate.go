package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/arcorm/arc/engine"
)

// writeNow runs fn, a write sent at once rather than at flush (Upsert,
// Link, Unlink), in the session's transaction, as a flush would: under a
// savepoint when the transaction already holds flushed work, so that a
// failure undoes fn's statements only; otherwise a failure rolls the
// transaction back. After success the transaction counts as holding
// flushed work. The caller has run autoflush and the usual checks.
func (s *Session) writeNow(ctx context.Context, sp string, fn func(tx *engine.Tx) error) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	if err := s.runProtected(ctx, tx, s.txFlushed || len(s.nested) > 0, sp, func() error { return fn(tx) }); err != nil {
		return err
	}
	s.txFlushed = true
	return nil
}

// runProtected runs fn, the statements of a flush or of a write sent at
// once, on tx. With useSavepoint (the transaction holds earlier work) it
// runs under savepoint sp, and a failure rolls back to it; without, a
// failure rolls the whole transaction back. A savepoint that cannot be
// rolled back or released leaves the session needing a rollback
// (s.failed). The caller puts its objects back when it fails.
func (s *Session) runProtected(ctx context.Context, tx *engine.Tx, useSavepoint bool, sp string, fn func() error) error {
	if useSavepoint {
		if err := tx.Savepoint(ctx, sp); err != nil {
			return err
		}
	}
	if err := fn(); err != nil {
		if useSavepoint {
			if rerr := tx.RollbackTo(ctx, sp); rerr != nil {
				s.failed = err
				return errors.Join(err, rerr)
			}
			if rerr := tx.Release(ctx, sp); rerr != nil {
				s.failed = err
				return fmt.Errorf("%w (and releasing savepoint %s: %w)", err, sp, rerr)
			}
		} else {
			rerr := tx.Rollback()
			s.tx = nil
			s.forgetTx()
			if rerr != nil {
				return fmt.Errorf("%w (and rolling back: %w)", err, rerr)
			}
		}
		return err
	}
	if useSavepoint {
		if err := tx.Release(ctx, sp); err != nil {
			s.failed = err
			return err
		}
	}
	return nil
}

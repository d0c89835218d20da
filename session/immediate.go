package session

import (
	"context"
	"errors"

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
	useSavepoint := s.txFlushed || len(s.nested) > 0
	if useSavepoint {
		if err := tx.Savepoint(ctx, sp); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		if useSavepoint {
			if rerr := tx.RollbackTo(ctx, sp); rerr != nil {
				s.failed = err
				return errors.Join(err, rerr)
			}
			_ = tx.Release(ctx, sp)
		} else {
			_ = tx.Rollback()
			s.tx = nil
			s.forgetTx()
		}
		return err
	}
	if useSavepoint {
		if err := tx.Release(ctx, sp); err != nil {
			s.failed = err
			return err
		}
	}
	s.txFlushed = true
	return nil
}

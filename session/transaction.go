// Transaction: run a function in a transaction (or a savepoint inside one),
// with optional retry of retryable failures and isolation level.

package session

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
)

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

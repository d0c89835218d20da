package session_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/session"
)

// Counter is a shared row that concurrent requests read and then write.
type Counter struct {
	ID    int64
	Name  string
	Value int64
}

// readThenWrite runs n sessions at once that each read the shared
// counter, wait until all of them have read it, then change it and add a
// row of their own, and commit: a DEFERRED SQLite transaction could not
// upgrade its read lock here ("database is locked"). It returns each
// session's error.
func readThenWrite(t *testing.T, eng *engine.Engine, n int) []error {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, migrate.CreateAll(ctx, eng, Counter{}, User{}))
	seed := session.New(eng)
	require.NoError(t, seed.Add(&Counter{Name: "shared"}))
	require.NoError(t, seed.Commit(ctx))
	require.NoError(t, seed.Close(ctx))

	errs := make([]error, n)
	var read sync.WaitGroup
	read.Add(n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := session.New(eng)
			defer s.Close(ctx)
			c, err := session.Get[Counter](ctx, s, int64(1))
			read.Done()
			if err != nil {
				errs[i] = err
				return
			}
			read.Wait() // every session has read before any writes
			c.Value += 1
			if err := s.Add(&User{Name: fmt.Sprintf("user%d", i)}); err != nil {
				errs[i] = err
				return
			}
			errs[i] = s.Commit(ctx)
		}()
	}
	wg.Wait()
	return errs
}

// TestRegression_ConcurrentReadThenWriteSessions: 8 sessions that read
// and then write at the same time all succeed on the default SQLite URL
// (reads run outside the write lock, the write transaction begins with
// BEGIN IMMEDIATE at the first flush), and on PostgreSQL.
func TestRegression_ConcurrentReadThenWriteSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		for i, err := range readThenWrite(t, eng, 8) {
			assert.NoError(t, err, "session %d", i)
		}
		assert.Equal(t, 8, countRows(t, eng, "users", ""))
	})
}

// TestConcurrentReadThenWriteSQLiteVariants: the in-memory database (one
// connection) and a shared-cache file database keep working.
func TestConcurrentReadThenWriteSQLiteVariants(t *testing.T) {
	if v := strings.TrimSpace(dbtestDialects()); v != "" && !strings.Contains(v, "sqlite") {
		t.Skip("sqlite not in ARC_TEST_DIALECTS")
	}
	for name, url := range map[string]string{
		"memory":       "sqlite::memory:",
		"shared-cache": dbtest.SQLiteURL(t) + "?cache=shared",
	} {
		t.Run(name, func(t *testing.T) {
			eng, err := engine.Open(context.Background(), url)
			require.NoError(t, err)
			t.Cleanup(func() { _ = eng.Close() })
			for i, err := range readThenWrite(t, eng, 8) {
				assert.NoError(t, err, "session %d", i)
			}
			assert.Equal(t, 8, countRows(t, eng, "users", ""))
		})
	}
}

// TestReadsRunWithoutTransaction: a read-only session, a default session
// before its first write, and a query outside any session send no BEGIN
// and no ROLLBACK; a read-only session refuses to write.
func TestReadsRunWithoutTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, createAll(ctx, eng))
		seed := session.New(eng)
		require.NoError(t, seed.AddAll(&User{Name: "ed"}, &User{Name: "wendy"}))
		require.NoError(t, seed.Commit(ctx))
		require.NoError(t, seed.Close(ctx))
		rec := dbtest.Record(eng)
		U := expr.Cols[User]()

		ro := session.New(eng, session.ReadOnly())
		rctx := session.With(ctx, ro)
		ed, err := session.Get[User](rctx, ro, int64(1))
		require.NoError(t, err)
		all, err := session.Select[User]().Where(expr.Ne(&U.Name, "x")).All(rctx)
		require.NoError(t, err)
		assert.Len(t, all, 2)
		n, err := session.Select[User]().Count(rctx)
		require.NoError(t, err)
		assert.Equal(t, int64(2), n)
		ed.Name = "edward"
		_, err = session.Select[User]().All(rctx) // no autoflush in a read-only session
		require.NoError(t, err)
		assert.ErrorIs(t, ro.Flush(rctx), arcerr.ErrInvalidRequest)
		assert.ErrorIs(t, ro.Commit(rctx), arcerr.ErrInvalidRequest)
		_, err = ro.BeginNested(rctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		_, err = session.Select[User]().Where(expr.Eq(&U.Name, "wendy")).Update(rctx, expr.P{"nickname": "w"})
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		require.NoError(t, ro.Close(rctx))

		// Outside any session (record's one-shot sessions).
		rctx = record.WithEngine(ctx, eng)
		got, err := record.Find[User](rctx, int64(2))
		require.NoError(t, err)
		assert.Equal(t, "wendy", got.Name)
		_, err = record.Where[User](expr.Eq(&U.Name, "ed")).All(rctx)
		require.NoError(t, err)

		// A default session reads without a transaction until it writes.
		s := session.New(eng)
		sctx := session.With(ctx, s)
		u, err := session.Get[User](sctx, s, int64(1))
		require.NoError(t, err)
		for _, st := range rec.Statements() {
			assert.NotContains(t, []string{"BEGIN (implicit)", "ROLLBACK", "COMMIT"}, st, "reads must not open a transaction")
		}
		require.Empty(t, filterSQL(rec.Statements(), "BEGIN"))
		u.Nickname = "eddie"
		require.NoError(t, s.Commit(sctx))
		require.NoError(t, s.Close(sctx))
		// A one-statement commit is sent alone in autocommit (flush_single.go).
		assert.Empty(t, filterSQL(rec.Statements(), "BEGIN"))
		assert.Equal(t, 1, countRows(t, eng, "users", "nickname = ?", "eddie"))
	})
}

func dbtestDialects() string { return os.Getenv("ARC_TEST_DIALECTS") }

// TestTransactionRetry: a retryable failure rolls the session's objects
// back and runs fn again. On PostgreSQL two real SERIALIZABLE
// transactions conflict; on SQLite another connection holds the write
// lock past the busy timeout during the first attempt.
func TestTransactionRetry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, Counter{}, User{}))
		seed := session.New(eng)
		require.NoError(t, seed.Add(&Counter{Name: "shared"}))
		require.NoError(t, seed.Commit(ctx))
		require.NoError(t, seed.Close(ctx))
		// The retryable failure each database gives: a serialization
		// failure where SERIALIZABLE detects conflicts (PostgreSQL), else
		// the timeout of a write waiting for a lock that a blocker holds
		// (SQLite's busy timeout, InnoDB's lock wait timeout).
		if eng.Dialect().Has(dialect.SerializableSnapshot) {
			retrySerializable(t, eng)
			return
		}
		// The URL parameter that shortens the wait is the driver's.
		short, ok := map[string]string{"arc_sqlite3": "_busy_timeout=50", "mysql": "innodb_lock_wait_timeout=1"}[eng.Dialect().DriverName()]
		if !ok {
			t.Fatalf("no lock-wait timeout URL parameter known for driver %s: add it here", eng.Dialect().DriverName())
		}
		retryBusy(t, eng, short, "UPDATE counters SET value = value WHERE id = 1")
	})
}

// retrySerializable: the session's first attempt reads the counter, then
// a second SERIALIZABLE transaction increments it and commits, then the
// first writes it: 40001. The retry succeeds; the user added in the
// first attempt was made transient again and the counter restored.
func retrySerializable(t *testing.T, eng *engine.Engine) {
	ctx := context.Background()
	s := session.New(eng)
	defer s.Close(ctx)
	sctx := session.With(ctx, s)
	var attempts int
	var firstUser *User
	var firstErr error
	err := session.Transaction(sctx, nil, func(ctx context.Context) error {
		attempts++
		c, err := session.Get[Counter](ctx, s, int64(1))
		if err != nil {
			return err
		}
		u := &User{Name: fmt.Sprintf("attempt%d", attempts)}
		if err := s.Add(u); err != nil {
			return err
		}
		if attempts == 1 {
			firstUser = u
			other := session.New(eng, session.WithIsolation(sql.LevelSerializable))
			oc, err := session.Get[Counter](ctx, other, int64(1))
			require.NoError(t, err)
			oc.Value += 100
			require.NoError(t, other.Commit(ctx))
			require.NoError(t, other.Close(ctx))
		}
		c.Value++
		err = s.Flush(ctx)
		if attempts == 1 {
			firstErr = err
		}
		return err
	}, session.Isolation(sql.LevelSerializable), session.Retry(3, 50*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, 2, attempts)
	require.Error(t, firstErr)
	assert.ErrorIs(t, firstErr, arcerr.ErrConflict)
	assert.True(t, arcerr.IsRetryable(firstErr))
	assert.Equal(t, session.Transient, s.StateOf(firstUser), "the rollback between attempts made the first attempt's user transient")
	assert.Equal(t, 1, countRows(t, eng, "users", ""))
	assert.Equal(t, 1, countRows(t, eng, "counters", "value = ?", 101))
}

// retryBusy: another connection holds the write lock (SQLite) or the
// counter's row lock (lock, MySQL) while the first attempt tries to
// write; its busy timeout (50 ms) or lock wait timeout (1 s) runs out.
func retryBusy(t *testing.T, eng *engine.Engine, shortParam, lock string) {
	ctx := context.Background()
	// A second engine on the same database with a short timeout.
	short, err := engine.Open(ctx, eng.URL()+"?"+shortParam)
	require.NoError(t, err)
	defer short.Close()
	blocker, err := eng.BeginTx(ctx, engine.TxOptions{Write: true})
	require.NoError(t, err)
	if lock != "" {
		_, err := blocker.Exec(ctx, lock)
		require.NoError(t, err)
	}
	released := false
	defer func() {
		if !released {
			_ = blocker.Rollback()
		}
	}()
	s := session.New(short)
	defer s.Close(ctx)
	sctx := session.With(ctx, s)
	var attempts int
	var firstErr error
	var firstUser *User
	err = session.Transaction(sctx, nil, func(ctx context.Context) error {
		attempts++
		c, err := session.Get[Counter](ctx, s, int64(1))
		if err != nil {
			return err
		}
		c.Value++
		u := &User{Name: "u"}
		if err := s.Add(u); err != nil {
			return err
		}
		err = s.Flush(ctx)
		if attempts == 1 {
			firstErr, firstUser = err, u
			require.NoError(t, blocker.Commit())
			released = true
		}
		return err
	}, session.Retry(3, 20*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, 2, attempts)
	assert.ErrorIs(t, firstErr, arcerr.ErrDatabaseBusy)
	assert.True(t, arcerr.IsRetryable(firstErr))
	assert.Equal(t, session.Transient, s.StateOf(firstUser))
	assert.Equal(t, 1, countRows(t, eng, "users", ""))
	assert.Equal(t, 1, countRows(t, eng, "counters", "value = ?", 1))
}

// TestTransactionConflictingSerializable: two SERIALIZABLE transactions
// that read the same rows and write at the same time (a write skew);
// PostgreSQL aborts one with 40001, Retry runs it again, and both end
// committed. On SQLite the second waits for the first's write lock.
func TestTransactionConflictingSerializable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, Counter{}))
		seed := session.New(eng)
		require.NoError(t, seed.AddAll(&Counter{Name: "a"}, &Counter{Name: "b"}))
		require.NoError(t, seed.Commit(ctx))
		require.NoError(t, seed.Close(ctx))
		var read sync.WaitGroup
		read.Add(2)
		var conflicts atomic.Int32
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				attempt := 0
				errs[i] = session.Transaction(ctx, eng, func(ctx context.Context) error {
					attempt++
					s := session.From(ctx)
					all, err := session.Select[Counter]().OrderBy(expr.Asc("id")).All(ctx)
					if err != nil {
						return err
					}
					if attempt == 1 {
						read.Done()
						if eng.Dialect().Has(dialect.SerializableSnapshot) {
							read.Wait() // both have read before either writes (reads take no locks)
						}
					}
					var sum int64
					for _, c := range all {
						sum += c.Value
					}
					all[i].Value = sum + 1 // each writes the row the other read
					err = s.Flush(ctx)
					if arcerr.IsRetryable(err) {
						conflicts.Add(1)
					}
					return err
				}, session.Isolation(sql.LevelSerializable), session.Retry(5, 50*time.Millisecond))
			}()
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "transaction %d", i)
		}
		if eng.Dialect().Has(dialect.SerializableSnapshot) {
			// Serializable: the sum one wrote includes the other's write.
			assert.Equal(t, 1, countRows(t, eng, "counters", "value = 2"))
		}
	})
}

// TestIteratorOpenIsUsageError: ErrBusy is the deprecated name of
// ErrIteratorOpen, which is not retryable.
func TestIteratorOpenIsUsageError(t *testing.T) {
	//lint:ignore SA1019 the deprecated name must keep matching
	assert.True(t, errors.Is(arcerr.ErrBusy, arcerr.ErrIteratorOpen))
	assert.False(t, arcerr.IsRetryable(fmt.Errorf("x: %w", arcerr.ErrIteratorOpen)))
	assert.True(t, arcerr.IsRetryable(fmt.Errorf("x: %w", arcerr.ErrConflict)))
	assert.True(t, arcerr.IsRetryable(fmt.Errorf("x: %w", arcerr.ErrDatabaseBusy)))
	assert.False(t, arcerr.IsRetryable(&arcerr.StatementError{SQL: "COMMIT", Kind: arcerr.ErrConnectionLost, Err: errors.New("eof")}))
	assert.True(t, arcerr.IsRetryable(&arcerr.StatementError{SQL: "SELECT 1", Kind: arcerr.ErrConnectionLost, Err: errors.New("eof"), Retryable: true}))
}

// TestLockNotAvailableIsRetryable: on PostgreSQL a FOR UPDATE NOWAIT on a
// row another transaction holds fails with 55P03, which is
// ErrDatabaseBusy and retryable; the locking read began the session's
// transaction (a read-only session refuses it).
func TestLockNotAvailableIsRetryable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		if !eng.Dialect().Has(dialect.ForUpdate) {
			t.Skip("no row locks")
		}
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, Counter{}))
		seed := session.New(eng)
		require.NoError(t, seed.Add(&Counter{Name: "c"}))
		require.NoError(t, seed.Commit(ctx))
		require.NoError(t, seed.Close(ctx))
		C := expr.Cols[Counter]()

		holder := session.New(eng)
		defer holder.Close(ctx)
		_, err := session.Select[Counter]().Where(expr.Eq(&C.ID, int64(1))).ForUpdate().All(session.With(ctx, holder))
		require.NoError(t, err)
		require.True(t, holder.InTransaction(), "a locking read begins the transaction")

		s := session.New(eng)
		defer s.Close(ctx)
		_, err = session.Select[Counter]().Where(expr.Eq(&C.ID, int64(1))).ForUpdate(session.ForUpdateNoWait).All(session.With(ctx, s))
		require.Error(t, err)
		assert.ErrorIs(t, err, arcerr.ErrDatabaseBusy)
		assert.True(t, arcerr.IsRetryable(err))

		ro := session.New(eng, session.ReadOnly())
		defer ro.Close(ctx)
		_, err = session.Select[Counter]().ForUpdate().All(session.With(ctx, ro))
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
	})
}

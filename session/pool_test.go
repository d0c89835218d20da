package session_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/session"
)

// TestRegression_PoolRecoversAfterTerminate: after the server terminates
// every idle pooled connection (pg_terminate_backend, as a failover or a
// proxy's cut does), no call fails: transactions begun on a dead
// connection move to a live one, as database/sql's own statements do.
func TestRegression_PoolRecoversAfterTerminate(t *testing.T) {
	if !enabledDialect("postgres") {
		t.Skip("postgres not in ARC_TEST_DIALECTS")
	}
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	app := "arc_pool_" + hex.EncodeToString(b)
	eng, err := engine.Open(ctx, dbtest.NewSchemaURL(t)+"&application_name="+app, engine.WithMaxOpenConns(10))
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	require.NoError(t, migrate.CreateAll(ctx, eng, User{}))

	// Fill the pool: 10 transactions open at once, then idle.
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	ready.Add(10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx, err := eng.BeginTx(ctx, engine.TxOptions{Write: true})
			ready.Done()
			if !assert.NoError(t, err) {
				return
			}
			ready.Wait()
			assert.NoError(t, tx.Commit())
		}()
	}
	wg.Wait()
	require.Equal(t, 10, eng.DB().Stats().Idle)

	admin, err := sql.Open("postgres", dbtest.PGURL())
	require.NoError(t, err)
	defer admin.Close()
	var killed int
	require.NoError(t, admin.QueryRow(`SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
		WHERE application_name = $1 AND state = 'idle'`, app).Scan(&killed))
	require.Equal(t, 10, killed)
	for { // wait until the server has closed them (no timing asserted)
		var left int
		require.NoError(t, admin.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&left))
		if left == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	rctx := record.WithEngine(ctx, eng)
	for i := range 20 {
		var err error
		switch i % 4 {
		case 0: // a session that writes
			err = session.Transaction(ctx, eng, func(ctx context.Context) error {
				return session.From(ctx).Add(&User{Name: fmt.Sprintf("u%d", i)})
			})
		case 1: // a session's reads
			s := session.New(eng)
			_, err = session.Select[User]().All(session.With(ctx, s))
			_ = s.Close(ctx)
		case 2: // the engine's own transaction
			err = eng.InTx(ctx, func(tx *engine.Tx) error {
				_, err := tx.Exec(ctx, "UPDATE users SET nickname = $1", "n")
				return err
			})
		case 3: // outside any session
			_, err = record.Where[User]().All(rctx)
		}
		assert.NoError(t, err, "call %d", i)
	}
	assert.Equal(t, 5, countRows(t, eng, "users", ""))
}

func enabledDialect(name string) bool {
	v := dbtestDialects()
	return v == "" || strings.Contains(v, name)
}

// TestConnectionLostRetryable: a transaction whose connection the server
// terminates fails with ErrConnectionLost; that is retryable when no
// statement of the transaction had succeeded, and not after one had
// (arcerr.IsRetryable).
func TestConnectionLostRetryable(t *testing.T) {
	if !enabledDialect("postgres") {
		t.Skip("postgres not in ARC_TEST_DIALECTS")
	}
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	app := "arc_lost_" + hex.EncodeToString(b)
	eng, err := engine.Open(ctx, dbtest.NewSchemaURL(t)+"&application_name="+app, engine.WithMaxOpenConns(1))
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	admin, err := sql.Open("postgres", dbtest.PGURL())
	require.NoError(t, err)
	defer admin.Close()
	kill := func() {
		var n int
		require.NoError(t, admin.QueryRow(`SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
			WHERE application_name = $1`, app).Scan(&n))
		require.Equal(t, 1, n)
	}
	for _, ranFirst := range []bool{false, true} {
		tx, err := eng.BeginTx(ctx, engine.TxOptions{Write: true})
		require.NoError(t, err)
		if ranFirst {
			_, err = tx.Exec(ctx, "SELECT 1")
			require.NoError(t, err)
		}
		kill()
		_, err = tx.Exec(ctx, "SELECT $1::int", 1)
		require.Error(t, err)
		assert.ErrorIs(t, err, arcerr.ErrConnectionLost)
		assert.Equal(t, !ranFirst, arcerr.IsRetryable(err), "retryable only before any statement succeeded (ran first: %v)", ranFirst)
		_ = tx.Rollback()
	}
}

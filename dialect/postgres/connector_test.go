package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/dialect/postgres"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/internal/stmtcache"
)

// openCached opens a one-connection pool through the dialect's Connector,
// keeping at most size statements prepared, on a new schema.
func openCached(t *testing.T, size int) (*sql.DB, *sql.Conn) {
	t.Helper()
	c, err := postgres.New().Connector(dbtest.NewSchemaURL(t), size)
	require.NoError(t, err)
	db := sql.OpenDB(c)
	t.Cleanup(func() { _ = db.Close() })
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_, err = conn.ExecContext(context.Background(), "CREATE TABLE t (id int PRIMARY KEY, v text)")
	require.NoError(t, err)
	return db, conn
}

func prepared(t *testing.T, conn *sql.Conn) int {
	t.Helper()
	var n int
	require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT count(*) FROM pg_prepared_statements").Scan(&n))
	return n
}

// insertRows inserts rows 0..n-1 of t, all with v = 'x', through one
// statement text.
func insertRows(t *testing.T, conn *sql.Conn, n int) {
	t.Helper()
	for i := range n {
		_, err := conn.ExecContext(context.Background(), "INSERT INTO t (id, v) VALUES ($1, $2)", i, "x")
		require.NoError(t, err)
	}
}

func TestConnectorCachesStatementsPerConnection(t *testing.T) {
	ctx := context.Background()
	_, conn := openCached(t, 2)
	insertRows(t, conn, 5)
	require.Equal(t, 1, prepared(t, conn), "one INSERT, prepared once")

	var v string
	for _, q := range []string{
		"SELECT v FROM t WHERE id = $1",
		"SELECT v FROM t WHERE id = $1 AND v IS NOT NULL",
		"SELECT v FROM t WHERE id = $1 AND v <> ''",
	} {
		require.NoError(t, conn.QueryRowContext(ctx, q, 1).Scan(&v))
		require.Equal(t, "x", v)
	}
	require.Equal(t, 2, prepared(t, conn), "the least recently used statement was closed")
}

func TestConnectorDropsStaleStatements(t *testing.T) {
	ctx := context.Background()
	_, conn := openCached(t, 8)
	_, err := conn.ExecContext(ctx, "INSERT INTO t (id, v) VALUES ($1, $2)", 1, "x")
	require.NoError(t, err)
	sel := func() error {
		rows, err := conn.QueryContext(ctx, "SELECT * FROM t WHERE id = $1", 1)
		if err != nil {
			return err
		}
		return rows.Close()
	}
	require.NoError(t, sel())

	// The table changes under the prepared statement: the server refuses
	// it once, the cache drops it, the next run prepares it again.
	_, err = conn.ExecContext(ctx, "ALTER TABLE t ADD COLUMN w int")
	require.NoError(t, err)
	var pe *pq.Error
	require.ErrorAs(t, sel(), &pe)
	require.Equal(t, "0A000", string(pe.Code))
	require.NoError(t, sel())

	// DISCARD ALL deallocates every statement behind the cache's back.
	_, err = conn.ExecContext(ctx, "DISCARD ALL")
	require.NoError(t, err)
	require.ErrorAs(t, sel(), &pe)
	require.Equal(t, "26000", string(pe.Code))
	require.NoError(t, sel())

	// Inside a transaction the failure aborts it; after ROLLBACK the
	// statement runs again.
	require.NoError(t, sel())
	_, err = conn.ExecContext(ctx, "ALTER TABLE t DROP COLUMN w")
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, "BEGIN")
	require.NoError(t, err)
	require.ErrorAs(t, sel(), &pe)
	_, err = conn.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
	require.NoError(t, sel())
}

func TestConnectorRefusesAStatementWhileAResultIsOpen(t *testing.T) {
	ctx := context.Background()
	_, conn := openCached(t, 8)
	insertRows(t, conn, 3)
	rows, err := conn.QueryContext(ctx, "SELECT id FROM t WHERE id >= $1 ORDER BY id", 0)
	require.NoError(t, err)
	require.True(t, rows.Next())

	// A second statement would interleave with the result still being
	// read (lib/pq would hang): it is refused.
	_, err = conn.ExecContext(ctx, "UPDATE t SET v = $1 WHERE id = $2", "y", 0)
	require.ErrorIs(t, err, stmtcache.ErrBusy)
	_, err = conn.ExecContext(ctx, "SAVEPOINT s")
	require.ErrorIs(t, err, stmtcache.ErrBusy)

	var ids []int
	for ok := true; ok; ok = rows.Next() {
		var id int
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []int{0, 1, 2}, ids)
	_, err = conn.ExecContext(ctx, "UPDATE t SET v = $1 WHERE id = $2", "y", 0)
	require.NoError(t, err)
}

func TestConnectorWithoutCache(t *testing.T) {
	ctx := context.Background()
	_, conn := openCached(t, 0)
	_, err := conn.ExecContext(ctx, "INSERT INTO t (id, v) VALUES ($1, $2)", 1, "x")
	require.NoError(t, err)
	var v string
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT v FROM t WHERE id = $1", 1).Scan(&v))
	require.Equal(t, 0, prepared(t, conn))
}

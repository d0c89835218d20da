package session_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// TestRegression_RollbackAfterConnectionLost: when the server ends a
// session's connection in the middle of its transaction, the next flush
// fails with ErrConnectionLost and leaves the objects as they were; the
// Rollback that follows then failed too ("connection is already closed")
// although the server had rolled the transaction back and the session
// had put every object back. Rollback now succeeds, and the session goes
// on with a new connection.
func TestRegression_RollbackAfterConnectionLost(t *testing.T) {
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
	require.NoError(t, migrate.CreateAll(ctx, eng, allModels...))
	admin, err := sql.Open("postgres", dbtest.PGURL())
	require.NoError(t, err)
	defer admin.Close()

	s := session.New(eng)
	defer s.Close(ctx)
	u := &User{Name: "ed"}
	require.NoError(t, s.Add(u))
	require.NoError(t, s.Commit(ctx))
	u.Name = "edward"
	require.NoError(t, s.Flush(ctx)) // the transaction holds written work
	u.Fullname = "Ed"
	var n int
	require.NoError(t, admin.QueryRow(`SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n))
	require.Equal(t, 1, n)

	err = s.Flush(ctx)
	require.ErrorIs(t, err, arcerr.ErrConnectionLost)
	assert.Equal(t, "edward", u.Name, "a failed flush leaves the objects as they were")
	assert.Equal(t, "Ed", u.Fullname)

	require.NoError(t, s.Rollback(ctx), "the server rolled the transaction back with the connection")
	assert.Equal(t, "ed", u.Name, "values from the start of the transaction")
	assert.Equal(t, "", u.Fullname)

	u.Nickname = "eddie"
	require.NoError(t, s.Commit(ctx))
	s2 := session.New(eng)
	defer s2.Close(ctx)
	got, err := session.Get[User](ctx, s2, u.ID)
	require.NoError(t, err)
	assert.Equal(t, "ed", got.Name)
	assert.Equal(t, "eddie", got.Nickname)
}

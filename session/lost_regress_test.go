package session_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
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
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		idFunc := dbtest.ConnIDFunc(eng)
		if idFunc == "" {
			t.Skip("no server connection to lose on " + eng.Dialect().Name())
		}
		ctx, _ := setup(t, eng)
		s := session.New(eng)
		defer s.Close(ctx)
		sctx := session.With(ctx, s)
		u := &User{Name: "ed"}
		require.NoError(t, s.Add(u))
		require.NoError(t, s.Commit(ctx))
		u.Name = "edward"
		require.NoError(t, s.Flush(ctx)) // the transaction holds written work
		id, err := session.Scalar[int64](sctx, session.Select[User]().Select(expr.Func(idFunc)).Limit(1))
		require.NoError(t, err)
		u.Fullname = "Ed"
		dbtest.Kill(t, eng, id)

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
	})
}

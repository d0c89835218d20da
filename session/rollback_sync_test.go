package session_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// Bulk statements, key changes and savepoints must leave the in-memory
// objects where a rollback finds the database.
func TestRollbackKeepsObjectsInStepWithDatabase(t *testing.T) {
	U := expr.Cols[User]()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		t.Run("bulk update then rollback", func(t *testing.T) {
			ctx, s := setup(t, eng)
			u := &User{Name: "bulk-a"}
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Commit(ctx))
			_, err := session.Get[User](ctx, s, u.ID) // reload after the commit's expiry
			require.NoError(t, err)
			_, err = session.NewQuery[User](s).Where(expr.Eq(&U.ID, u.ID)).Update(ctx, expr.P{"Name": "bulk-b"})
			require.NoError(t, err)
			require.Equal(t, "bulk-b", u.Name, "the identity map follows the bulk UPDATE")
			require.NoError(t, s.Rollback(ctx))
			require.Equal(t, "bulk-a", u.Name, "a rollback gives back the value the database kept")
		})
		t.Run("failed flush keeps an earlier bulk update", func(t *testing.T) {
			ctx, s := setup(t, eng)
			u := &User{Name: "keep-a"}
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Commit(ctx))
			taken := u.ID + 1000
			_, err := eng.DB().Exec(fmt.Sprintf("INSERT INTO users (id, name, fullname, nickname) VALUES (%d, 'x', '', '')", taken))
			require.NoError(t, err)
			_, err = session.NewQuery[User](s).Where(expr.Eq(&U.ID, u.ID)).Update(ctx, expr.P{"Name": "keep-b"})
			require.NoError(t, err)
			dup := &User{ID: taken, Name: "dup"}
			require.NoError(t, s.Add(dup))
			require.Error(t, s.Flush(ctx), "duplicate primary key")
			require.NoError(t, s.Expunge(dup))
			require.NoError(t, s.Commit(ctx))
			require.Equal(t, 1, countRows(t, eng, "users", "id = ? AND name = ?", u.ID, "keep-b"))
		})
		t.Run("rolled-back key change", func(t *testing.T) {
			ctx, s := setup(t, eng)
			u := &User{Name: "rekey"}
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Commit(ctx))
			old := u.ID
			got, err := session.Get[User](ctx, s, old)
			require.NoError(t, err)
			require.Same(t, u, got)
			u.ID = old + 5000
			require.NoError(t, s.Flush(ctx))
			require.NoError(t, s.Rollback(ctx))
			require.Equal(t, old, u.ID)
			got, err = session.Get[User](ctx, s, old)
			require.NoError(t, err)
			require.Same(t, u, got, "one object per row: the map is keyed by the restored key")
			_, err = session.Get[User](ctx, s, old+5000)
			require.Error(t, err)
		})
		t.Run("savepoint rollback of an object loaded inside it", func(t *testing.T) {
			ctx, s := setup(t, eng)
			u := &User{Name: "sp-a"}
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Commit(ctx))
			id := u.ID
			require.NoError(t, s.Expunge(u))
			n, err := s.BeginNested(ctx)
			require.NoError(t, err)
			inner, err := session.Get[User](ctx, s, id)
			require.NoError(t, err)
			inner.Name = "sp-changed"
			require.NoError(t, s.Flush(ctx))
			require.NoError(t, n.Rollback(ctx))
			again, err := session.Get[User](ctx, s, id)
			require.NoError(t, err)
			require.Same(t, inner, again)
			require.Equal(t, "sp-a", again.Name, "reloaded: the savepoint's UPDATE is gone")
			require.NoError(t, s.Commit(ctx))
			require.Equal(t, 1, countRows(t, eng, "users", "id = ? AND name = ?", id, "sp-a"))
		})
	})
}

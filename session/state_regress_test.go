package session_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// Issue 19 item 16: a field set after expiry survives the reload (as
// SQLAlchemy keeps attributes set after expiry) and is written by the
// next commit.
func TestRegression_WriteAfterExpiryKept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		for _, name := range []string{"ExpireAll", "Expire"} {
			t.Run(name, func(t *testing.T) {
				ctx, s := setup(t, eng)
				u := &User{Name: "before", Nickname: "nick"}
				require.NoError(t, s.Add(u))
				require.NoError(t, s.Flush(ctx))
				u.Nickname = "unflushed"
				if name == "ExpireAll" {
					s.ExpireAll()
				} else {
					require.NoError(t, s.Expire(u))
				}
				require.Equal(t, "nick", u.Nickname, "expiry reverts unflushed changes at once")
				u.Name = "a"
				got, err := session.Get[User](ctx, s, u.ID)
				require.NoError(t, err)
				require.Same(t, u, got)
				require.Equal(t, "a", u.Name, "set after expiry: kept by the reload")
				require.Equal(t, "nick", u.Nickname)
				require.NoError(t, s.Commit(ctx))
				require.Equal(t, 1, countRows(t, eng, "users", "id = ? AND name = ?", u.ID, "a"))
				// Across a commit's expiry too.
				u.Name = ""
				_, err = session.Get[User](ctx, s, u.ID)
				require.NoError(t, err)
				require.Equal(t, "", u.Name, "a zero value set after expiry is kept as well")
				require.NoError(t, s.Commit(ctx))
				require.Equal(t, 1, countRows(t, eng, "users", "id = ? AND name = ''", u.ID))
				// Refresh overwrites everything.
				u.Name = "dropped"
				require.NoError(t, s.Refresh(ctx, u))
				require.Equal(t, "", u.Name)
			})
		}
	})
}

// Issue 19 item 23: expunging and adding an object again inside a
// savepoint must not outlive the savepoint's rollback; nor may a change
// flushed before an expunge and re-add outlive a full rollback.
func TestRegression_ExpungeReaddRolledBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		t.Run("savepoint", func(t *testing.T) {
			ctx, s := setup(t, eng)
			u := &User{Name: "old"}
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Commit(ctx))
			n, err := s.BeginNested(ctx)
			require.NoError(t, err)
			require.NoError(t, s.Expunge(u))
			u.Name = "new"
			require.NoError(t, s.Add(u))
			require.NoError(t, n.Rollback(ctx))
			require.Equal(t, "old", u.Name, "the savepoint's rollback puts the object back")
			require.Equal(t, session.Persistent, s.StateOf(u))
			require.NoError(t, s.Commit(ctx))
			require.Equal(t, 1, countRows(t, eng, "users", "id = ? AND name = ?", u.ID, "old"))
		})
		t.Run("savepoint, flushed inside", func(t *testing.T) {
			ctx, s := setup(t, eng)
			u := &User{Name: "old"}
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Commit(ctx))
			n, err := s.BeginNested(ctx)
			require.NoError(t, err)
			require.NoError(t, s.Expunge(u))
			u.Name = "new"
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Flush(ctx))
			require.NoError(t, n.Rollback(ctx))
			require.Equal(t, "old", u.Name)
			require.NoError(t, s.Commit(ctx))
			require.Equal(t, 1, countRows(t, eng, "users", "id = ? AND name = ?", u.ID, "old"))
		})
		t.Run("full rollback", func(t *testing.T) {
			ctx, s := setup(t, eng)
			u := &User{Name: "old"}
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Commit(ctx))
			_, err := session.Get[User](ctx, s, u.ID)
			require.NoError(t, err)
			u.Name = "mid"
			require.NoError(t, s.Flush(ctx))
			require.NoError(t, s.Expunge(u))
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Rollback(ctx))
			require.Equal(t, "old", u.Name, "the rollback undoes the flushed change")
			require.NoError(t, s.Commit(ctx))
			require.Equal(t, 1, countRows(t, eng, "users", "id = ? AND name = ?", u.ID, "old"))
		})
		t.Run("inserted in the transaction", func(t *testing.T) {
			ctx, s := setup(t, eng)
			u := &User{Name: "fresh"}
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Flush(ctx))
			require.NoError(t, s.Expunge(u))
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Rollback(ctx))
			require.Equal(t, session.Transient, s.StateOf(u), "its INSERT is rolled back")
		})
	})
}

// Issue 19 item 24: a bulk UPDATE's values must not stay in memory after
// a rollback when the object was expired and reloaded in the transaction.
func TestRegression_BulkUpdateReloadRolledBack(t *testing.T) {
	U := expr.Cols[User]()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		u := &User{Name: "old"}
		require.NoError(t, s.Add(u))
		require.NoError(t, s.Commit(ctx)) // expired
		_, err := session.NewQuery[User](s).Where(expr.Eq(&U.ID, u.ID)).Update(ctx, expr.P{"Name": "new"})
		require.NoError(t, err)
		_, err = session.Get[User](ctx, s, u.ID) // reloads
		require.NoError(t, err)
		require.Equal(t, "new", u.Name)
		require.NoError(t, s.Rollback(ctx))
		require.Equal(t, "old", u.Name, "the database kept old")
		_, err = session.Get[User](ctx, s, u.ID)
		require.NoError(t, err)
		require.Equal(t, "old", u.Name)
	})
}

// Found by TestRandomizedUnitOfWork: an expired object expunged and added
// again came back as fresh, so a bulk UPDATE wrote into it and a Get
// returned its stale values without reloading.
func TestRegression_ReaddExpiredStaysExpired(t *testing.T) {
	U := expr.Cols[User]()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		u := &User{Name: "w1"}
		require.NoError(t, s.Add(u))
		require.NoError(t, s.Commit(ctx)) // expired
		require.NoError(t, s.Expunge(u))
		require.NoError(t, s.Add(u))
		_, err := eng.DB().Exec(phs(eng, "UPDATE users SET nickname = ? WHERE id = ?"), "elsewhere", u.ID)
		require.NoError(t, err)
		_, err = session.NewQuery[User](s).Where(expr.Eq(&U.ID, u.ID)).Update(ctx, expr.P{"Name": "w2"})
		require.NoError(t, err)
		require.Equal(t, "w1", u.Name, "an expired object is not written into: it reloads")
		got, err := session.Get[User](ctx, s, u.ID)
		require.NoError(t, err)
		require.Same(t, u, got)
		require.Equal(t, "w2", u.Name)
		require.Equal(t, "elsewhere", u.Nickname, "reloaded, not served stale")
	})
}

// A savepoint's rollback must expire an object that was expired at
// BeginNested and reloaded inside the savepoint: its values go back to
// the stale ones it held, which must not pass for fresh.
func TestRegression_SavepointRollbackKeepsExpiry(t *testing.T) {
	U := expr.Cols[User]()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		u := &User{Name: "old"}
		require.NoError(t, s.Add(u))
		require.NoError(t, s.Commit(ctx)) // expired
		_, err := session.NewQuery[User](s).Where(expr.Eq(&U.ID, u.ID)).Update(ctx, expr.P{"Name": "new"})
		require.NoError(t, err)
		require.Equal(t, "old", u.Name, "expired: not written into")
		n, err := s.BeginNested(ctx)
		require.NoError(t, err)
		_, err = session.Get[User](ctx, s, u.ID)
		require.NoError(t, err)
		require.Equal(t, "new", u.Name)
		require.NoError(t, n.Rollback(ctx))
		got, err := session.Get[User](ctx, s, u.ID)
		require.NoError(t, err)
		require.Same(t, u, got)
		require.Equal(t, "new", u.Name, "the row still says new: Get reloads")
	})
}

// A reload that finds the row gone detaches the object completely: it
// leaves the list of objects marked for deletion too, so the next flush
// does not DELETE a row that is not there.
func TestRegression_ObjectDeletedLeavesSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		u := &User{Name: "gone"}
		require.NoError(t, s.Add(u))
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Delete(u))
		_, err := eng.DB().Exec(phs(eng, "DELETE FROM users WHERE id = ?"), u.ID)
		require.NoError(t, err)
		require.ErrorIs(t, s.Refresh(ctx, u), arcerr.ErrObjectDeleted)
		require.Equal(t, session.Detached, s.StateOf(u))
		require.Empty(t, s.Deleted())
		require.NoError(t, s.Flush(ctx))
		require.NoError(t, session.CheckIndexes(s))
	})
}

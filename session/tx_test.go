package session_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/session"
)

func TestSavepoints(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		keep := &User{Name: "keep"}
		require.NoError(t, s.Add(keep))
		rec := dbtest.Record(eng)
		n, err := s.BeginNested(ctx)
		require.NoError(t, err)
		keep.Name = "changed"
		gone := &User{Name: "gone"}
		require.NoError(t, s.Add(gone))
		require.NoError(t, s.Flush(ctx))
		require.NoError(t, n.Rollback(ctx))
		assert.Equal(t, "keep", keep.Name)
		assert.Equal(t, session.Transient, s.StateOf(gone))
		assert.Equal(t, session.Persistent, s.StateOf(keep))
		assert.Contains(t, rec.Statements(), "SAVEPOINT arc_sp_1")
		assert.Contains(t, rec.Statements(), "ROLLBACK TO SAVEPOINT arc_sp_1")

		n2, err := s.BeginNested(ctx)
		require.NoError(t, err)
		keep.Nickname = "k"
		require.NoError(t, n2.Commit(ctx))
		assert.Contains(t, rec.Statements(), "RELEASE SAVEPOINT arc_sp_1")
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, 1, countRows(t, eng, "users", "name = ? AND nickname = ?", "keep", "k"))
		assert.Equal(t, 0, countRows(t, eng, "users", "name = ?", "gone"))
	})
}

func TestTransactionHelper(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrateAll(ctx, eng))
		// Without a session in ctx: a new one, committed.
		err := session.Transaction(ctx, eng, func(ctx context.Context) error {
			return session.From(ctx).Add(&User{Name: "committed"})
		})
		require.NoError(t, err)
		assert.Equal(t, 1, countRows(t, eng, "users", "name = ?", "committed"))

		// An error rolls back.
		boom := errors.New("boom")
		err = session.Transaction(ctx, eng, func(ctx context.Context) error {
			require.NoError(t, session.From(ctx).Add(&User{Name: "rolled"}))
			require.NoError(t, session.From(ctx).Flush(ctx))
			return boom
		})
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, 0, countRows(t, eng, "users", "name = ?", "rolled"))

		// A panic rolls back and is re-raised.
		assert.PanicsWithValue(t, "oops", func() {
			_ = session.Transaction(ctx, eng, func(ctx context.Context) error {
				_ = session.From(ctx).Add(&User{Name: "panicked"})
				_ = session.From(ctx).Flush(ctx)
				panic("oops")
			})
		})
		assert.Equal(t, 0, countRows(t, eng, "users", "name = ?", "panicked"))

		// Nested: an inner failure rolls back only the savepoint.
		s := session.New(eng)
		defer s.Close(ctx)
		sctx := session.With(ctx, s)
		err = session.Transaction(sctx, nil, func(ctx context.Context) error {
			require.NoError(t, s.Add(&User{Name: "outer"}))
			ierr := session.Transaction(ctx, nil, func(ctx context.Context) error {
				require.NoError(t, s.Add(&User{Name: "inner"}))
				require.NoError(t, s.Flush(ctx))
				return boom
			})
			assert.ErrorIs(t, ierr, boom)
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, 1, countRows(t, eng, "users", "name = ?", "outer"))
		assert.Equal(t, 0, countRows(t, eng, "users", "name = ?", "inner"))
	})
}

func migrateAll(ctx context.Context, eng *engine.Engine) error {
	s := session.New(eng)
	_ = s
	return createAll(ctx, eng)
}

func TestExpireRefreshMerge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		u := &User{Name: "ed", Nickname: "n"}
		require.NoError(t, s.Add(u))
		require.NoError(t, s.Commit(ctx))
		_, err := session.Get[User](ctx, s, u.ID)
		require.NoError(t, err)

		// Expire drops unflushed changes.
		u.Nickname = "unsaved"
		require.NoError(t, s.Expire(u))
		assert.Equal(t, "n", u.Nickname)

		// Refresh overwrites from the database.
		_, err = eng.Exec(ctx, "UPDATE users SET nickname = 'db'")
		if err != nil { // SQLite: our read transaction does not block writers; PG neither
			t.Fatal(err)
		}
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Refresh(ctx, u))
		assert.Equal(t, "db", u.Nickname)

		// After commit expiry, a refresh keeps fields the user changed.
		require.NoError(t, s.Commit(ctx))
		u.Fullname = "mine"
		_, err = session.Get[User](ctx, s, u.ID)
		require.NoError(t, err)
		assert.Equal(t, "mine", u.Fullname)
		assert.Equal(t, []any{u}, s.Dirty())

		// PopulateExisting overwrites unflushed changes.
		U := expr.Cols[User]()
		got, err := session.Select[User]().Where(expr.Eq(&U.ID, u.ID)).PopulateExisting().WithFallback(nil).One(ctx)
		require.NoError(t, s.NoAutoflush(func() error { return nil }))
		require.NoError(t, err)
		assert.Same(t, u, got)

		// Merge copies a detached copy's values onto the mapped object.
		cp := User{ID: u.ID, Name: "ed", Nickname: "merged"}
		m, err := session.Merge(ctx, s, &cp)
		require.NoError(t, err)
		assert.Same(t, u, m)
		assert.Equal(t, "merged", u.Nickname)
		// Merge of an unknown key adds a new pending copy.
		m2, err := session.Merge(ctx, s, &User{Name: "brand new"})
		require.NoError(t, err)
		assert.Equal(t, session.Pending, s.StateOf(m2))
	})
}

func TestAutoflushSwitch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, createAll(ctx, eng))
		s := session.New(eng, session.WithAutoflush(false))
		defer s.Close(ctx)
		ctx = session.With(ctx, s)
		require.NoError(t, s.Add(&User{Name: "hidden"}))
		n, err := session.Select[User]().Count(ctx)
		require.NoError(t, err)
		assert.Zero(t, n)

		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		require.NoError(t, s2.Add(&User{Name: "hidden2"}))
		require.NoError(t, s2.NoAutoflush(func() error {
			n, err := session.Select[User]().Count(ctx2)
			assert.Zero(t, n)
			return err
		}))
		n, err = session.Select[User]().Count(ctx2)
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
	})
}

func TestCompositeKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		m := &Membership{GroupID: 1, UserID: 2, Role: "admin"}
		require.NoError(t, s.Add(m))
		require.NoError(t, s.Commit(ctx))
		got, err := session.Get[Membership](ctx, s, 1, 2)
		require.NoError(t, err)
		assert.Same(t, m, got)
		got, err = session.Get[Membership](ctx, s, map[string]any{"GroupID": 1, "UserID": 2})
		require.NoError(t, err)
		assert.Same(t, m, got)
		_, err = session.Get[Membership](ctx, s, 1)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		m.Role = "member"
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, 1, countRows(t, eng, "memberships", "role = ?", "member"))
	})
}

func TestIter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		for i := 0; i < 50; i++ {
			require.NoError(t, s.Add(&User{Name: "u"}))
		}
		require.NoError(t, s.Commit(ctx))
		n := 0
		for u, err := range session.Select[User]().Iter(ctx) {
			require.NoError(t, err)
			require.NotNil(t, u)
			if n == 0 {
				// The connection is busy while iterating.
				assert.ErrorIs(t, s.Flush(ctx), arcerr.ErrIteratorOpen)
			}
			n++
			if n == 40 {
				break
			}
		}
		assert.Equal(t, 40, n)
		require.NoError(t, s.Flush(ctx))
	})
}

// TestRecordBase: active-record calls with and without a session.
func TestRecordBase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, createAll(ctx, eng))
		ctx = record.WithEngine(ctx, eng)

		// Without a session: own transaction, detached result.
		u := &User{Name: "rec", Nickname: "a"}
		require.NoError(t, u.Save(ctx))
		assert.NotZero(t, u.ID)
		assert.Equal(t, session.Detached, session.StateOf(u))
		rec := dbtest.Record(eng)
		u.Nickname = "b"
		require.NoError(t, u.Save(ctx))
		ups := filterSQL(rec.SQL(), "UPDATE")
		require.Len(t, ups, 1)
		assert.Contains(t, ups[0], "SET nickname = ")
		assert.NotContains(t, ups[0], "name = "+ph(eng, 1)+", ")

		found, err := record.Find[User](ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, "b", found.Nickname)
		_, err = record.Find[User](ctx, 99999)
		assert.ErrorIs(t, err, arcerr.ErrNotFound)
		U := expr.Cols[User]()
		list, err := record.Where[User](expr.Eq(&U.Name, "rec")).All(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)
		n, err := record.Where[User]().Count(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)

		_, err = eng.Exec(ctx, "UPDATE users SET nickname = 'db'")
		require.NoError(t, err)
		require.NoError(t, u.Reload(ctx))
		assert.Equal(t, "db", u.Nickname)
		require.NoError(t, u.Delete(ctx))
		assert.Equal(t, 0, countRows(t, eng, "users", ""))

		// With a session: joins its unit of work; nothing is committed until Commit.
		s := session.New(eng)
		defer s.Close(ctx)
		sctx := session.With(ctx, s)
		v := &User{Name: "in-session"}
		require.NoError(t, v.Save(sctx))
		assert.Equal(t, session.Persistent, s.StateOf(v))
		same, err := record.Find[User](sctx, v.ID)
		require.NoError(t, err)
		assert.Same(t, v, same)
		require.NoError(t, s.Rollback(sctx))
		assert.Equal(t, 0, countRows(t, eng, "users", ""))

		// No session and no engine: a clear error.
		record.SetDefault(nil)
		err = (&User{}).Save(context.Background())
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
	})
}

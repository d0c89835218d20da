package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// UpTag has two unique keys, a version and timestamps.
type UpTag struct {
	ID        int64
	Name      string `arc:"size:50;notnull;unique"`
	Code      string `arc:"size:20;notnull;unique"`
	Uses      int64
	Note      string
	Version   int64 `arc:"version"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func upsertSetup(t *testing.T, eng *engine.Engine) (context.Context, *session.Session) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, migrate.CreateAll(ctx, eng, UpTag{}))
	s := session.New(eng)
	t.Cleanup(func() { _ = s.Close(ctx) })
	return session.With(ctx, s), s
}

func TestUpsertInsertsThenUpdates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := upsertSetup(t, eng)
		T := expr.Cols[UpTag]()
		byName := session.OnConflict(&T.Name).DoUpdate(&T.Uses)

		first := &UpTag{Name: "go", Code: "g", Uses: 1, Note: "kept"}
		got, err := session.Upsert(ctx, s, first, byName)
		require.NoError(t, err)
		require.Same(t, first, got)
		require.Equal(t, session.Persistent, s.StateOf(first))
		require.NotZero(t, first.ID)
		require.Equal(t, int64(1), first.Version)
		require.False(t, first.CreatedAt.IsZero())
		require.NoError(t, s.Commit(ctx))

		// A new session: the row exists, so the upsert updates Uses (and
		// UpdatedAt and the version), not Note, and the object holds the row.
		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		time.Sleep(2 * time.Millisecond) // UpdatedAt must move
		second := &UpTag{Name: "go", Code: "other", Uses: 7, Note: "ignored"}
		got, err = session.Upsert(ctx2, s2, second, byName)
		require.NoError(t, err)
		require.Same(t, second, got)
		require.Equal(t, first.ID, second.ID)
		require.Equal(t, int64(7), second.Uses)
		require.Equal(t, "kept", second.Note, "columns DoUpdate does not name keep the database's value")
		require.Equal(t, "g", second.Code)
		require.Equal(t, int64(2), second.Version, "the version is incremented")
		require.True(t, second.CreatedAt.Equal(first.CreatedAt), "CreatedAt is not overwritten")
		require.True(t, second.UpdatedAt.After(first.UpdatedAt))
		require.False(t, s2.IsModified(second), "the object's snapshot is the row")
		require.NoError(t, s2.Commit(ctx2))
		require.Equal(t, 1, countRows(t, eng, "up_tags", ""))

		// DoUpdate() with no columns updates every inserted column but the
		// key, the primary key and CreatedAt.
		s3 := session.New(eng)
		defer s3.Close(ctx)
		ctx3 := session.With(ctx, s3)
		third, err := session.Upsert(ctx3, s3, &UpTag{Name: "go", Code: "g3", Uses: 9, Note: "new"}, session.OnConflict("Name").DoUpdate())
		require.NoError(t, err)
		require.Equal(t, []any{"g3", int64(9), "new", int64(3)}, []any{third.Code, third.Uses, third.Note, third.Version})
		require.NoError(t, s3.Commit(ctx3))
	})
}

func TestUpsertDoNothingReadsTheExistingRow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := upsertSetup(t, eng)
		orig := &UpTag{Name: "sql", Code: "s", Uses: 3}
		require.NoError(t, s.Add(orig))
		require.NoError(t, s.Commit(ctx))

		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		again := &UpTag{Name: "sql", Code: "zz", Uses: 100}
		got, err := session.Upsert(ctx2, s2, again, session.OnConflict("name").DoNothing())
		require.NoError(t, err)
		require.Same(t, again, got)
		require.Equal(t, orig.ID, again.ID)
		require.Equal(t, int64(3), again.Uses, "DO NOTHING keeps the row, and the object holds it")
		require.Equal(t, "s", again.Code)
		require.Equal(t, session.Persistent, s2.StateOf(again))
		// The object is the identity map's: Get returns it without SQL.
		same, err := session.Get[UpTag](ctx2, s2, orig.ID)
		require.NoError(t, err)
		require.Same(t, again, same)
	})
}

func TestUpsertRefreshesTheSessionsObject(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := upsertSetup(t, eng)
		require.NoError(t, s.Add(&UpTag{Name: "orm", Code: "o", Uses: 1}))
		require.NoError(t, s.Commit(ctx))
		T := expr.Cols[UpTag]()
		loaded, err := session.Select[UpTag]().Where(expr.Eq(&T.Name, "orm")).One(ctx)
		require.NoError(t, err)

		other := &UpTag{Name: "orm", Code: "x", Uses: 42}
		got, err := session.Upsert(ctx, s, other, session.OnConflict(&T.Name).DoUpdate(&T.Uses))
		require.NoError(t, err)
		require.Same(t, loaded, got, "the session's object for the row is returned")
		require.Equal(t, int64(42), loaded.Uses)
		require.Zero(t, other.ID, "the argument is left as it was")
		require.Equal(t, session.Transient, s.StateOf(other))
	})
}

func TestUpsertAllBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := upsertSetup(t, eng)
		require.NoError(t, s.Add(&UpTag{Name: "b", Code: "b", Uses: 2}))
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Close(ctx))
		s = session.New(eng)
		defer s.Close(ctx)
		ctx = session.With(ctx, s)

		in := []*UpTag{{Name: "a", Code: "a"}, {Name: "b", Code: "bb", Uses: 99}, {Name: "c", Code: "c"}}
		out, err := session.UpsertAll(ctx, s, in, session.OnConflict("Name").DoNothing())
		require.NoError(t, err)
		require.Len(t, out, 3)
		for i := range in {
			require.Same(t, in[i], out[i])
			require.NotZero(t, out[i].ID)
		}
		require.Equal(t, int64(2), out[1].Uses)
		require.Equal(t, "b", out[1].Code, "the existing row's values")
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 3, countRows(t, eng, "up_tags", ""))

		// Two inputs with one key are refused before any SQL.
		_, err = session.UpsertAll(ctx, s, []*UpTag{{Name: "d", Code: "d1"}, {Name: "d", Code: "d2"}}, session.OnConflict("Name").DoNothing())
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		require.Equal(t, 3, countRows(t, eng, "up_tags", ""))
	})
}

func TestUpsertRefusesMisuse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := upsertSetup(t, eng)
		T := expr.Cols[UpTag]()
		U := expr.Cols[User]()
		cases := []struct {
			name string
			c    session.Conflict
			obj  *UpTag
		}{
			{"no action", session.OnConflict(&T.Name), &UpTag{Name: "x", Code: "x"}},
			{"not unique", session.OnConflict(&T.Uses).DoNothing(), &UpTag{Name: "x", Code: "x"}},
			{"no such field", session.OnConflict("Nmae").DoNothing(), &UpTag{Name: "x", Code: "x"}},
			{"another model's field", session.OnConflict(&U.Name).DoNothing(), &UpTag{Name: "x", Code: "x"}},
			{"updates its key", session.OnConflict(&T.Name).DoUpdate(&T.Name), &UpTag{Name: "x", Code: "x"}},
			{"nil object", session.OnConflict(&T.Name).DoNothing(), nil},
		}
		for _, tc := range cases {
			_, err := session.Upsert(ctx, s, tc.obj, tc.c)
			require.ErrorIs(t, err, arcerr.ErrInvalidRequest, tc.name)
		}
		pending := &UpTag{Name: "p", Code: "p"}
		require.NoError(t, s.Add(pending))
		_, err := session.Upsert(ctx, s, pending, session.OnConflict(&T.Name).DoNothing())
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		require.Equal(t, 0, countRows(t, eng, "up_tags", ""), "nothing was sent")
	})
}

// A failed upsert (here a conflict on the other unique key, which ON
// CONFLICT (name) does not cover) leaves the object as it was and keeps
// the transaction's earlier work.
func TestUpsertFailureChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := upsertSetup(t, eng)
		require.NoError(t, s.Add(&UpTag{Name: "one", Code: "dup"}))
		require.NoError(t, s.Flush(ctx)) // earlier work of the transaction

		bad := &UpTag{Name: "two", Code: "dup", Uses: 5}
		_, err := session.Upsert(ctx, s, bad, session.OnConflict("Name").DoUpdate())
		require.ErrorIs(t, err, arcerr.ErrIntegrity)
		require.Zero(t, bad.ID)
		require.Zero(t, bad.Version)
		require.True(t, bad.CreatedAt.IsZero(), "defaults filled for the INSERT are taken back")
		require.Equal(t, session.Transient, s.StateOf(bad))

		ok, err := session.Upsert(ctx, s, &UpTag{Name: "three", Code: "c3"}, session.OnConflict("Name").DoNothing())
		require.NoError(t, err)
		require.NotZero(t, ok.ID)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 2, countRows(t, eng, "up_tags", ""))
		require.False(t, errors.Is(err, arcerr.ErrNeedsRollback))
	})
}

// An object Upsert made persistent leaves the session on Rollback, as an
// inserted one does (its row is gone).
func TestRegression_UpsertRolledBackDetaches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := upsertSetup(t, eng)
		obj := &UpTag{Name: "r", Code: "r"}
		_, err := session.Upsert(ctx, s, obj, session.OnConflict("Name").DoNothing())
		require.NoError(t, err)
		require.NoError(t, s.Rollback(ctx))
		require.NotEqual(t, session.Persistent, s.StateOf(obj))
		require.Equal(t, 0, countRows(t, eng, "up_tags", ""))
	})
}

// UpdatedAt moves on every upsert that writes the row, also when the
// object carried an old value.
func TestRegression_UpsertMovesUpdatedAt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := upsertSetup(t, eng)
		old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		got, err := session.Upsert(ctx, s, &UpTag{Name: "u", Code: "u", UpdatedAt: old}, session.OnConflict("Name").DoUpdate())
		require.NoError(t, err)
		require.True(t, got.UpdatedAt.After(old))
	})
}

package session_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// These tests pin the guarantees that any shortcut around autoflush's
// scan of tracked objects (issue 25, item 6) or any weak identity map
// (item 5) must keep; docs/performance.md says which shortcut each one
// rules out. Go has no hook on a field assignment, so the session learns
// of a change only by comparing the object with its snapshot.

// An object handed to the user before the last flush is still a
// candidate: the user keeps the pointer and may change it at any time.
// This rules out "compare only what was handed out since the last flush"
// (a generation counter).
func TestAutoflush_RetainedObjectChangedAfterFlush(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		U := expr.Cols[User]()
		for i := range 3 {
			require.NoError(t, s.Add(&User{Name: fmt.Sprint("u", i)}))
		}
		require.NoError(t, s.Commit(ctx))
		us, err := session.Select[User]().OrderBy(expr.Asc(&U.ID)).All(ctx)
		require.NoError(t, err)
		require.Len(t, us, 3)
		require.NoError(t, s.Flush(ctx)) // the objects are compared (clean) here
		_, err = session.Select[User]().Count(ctx)
		require.NoError(t, err) // and by this query's autoflush

		us[1].Name = "changed" // after both: no generation is newer than the flush
		n, err := session.Select[User]().Where(expr.Eq(&U.Name, "changed")).Count(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(1), n, "the query must see the change made to a retained object")

		// An object reached only through an identity-map hit (Get of a
		// loaded key sends no SQL) is as changeable.
		u0, err := session.Get[User](ctx, s, us[0].ID)
		require.NoError(t, err)
		require.Same(t, us[0], u0)
		u0.Name = "via get"
		n, err = session.Select[User]().Where(expr.Eq(&U.Name, "via get")).Count(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
	})
}

// A query flushes the changes of every table, not only the tables it
// reads (SQLAlchemy's autoflush): an UPDATE of an unrelated table fails,
// if it fails, at the first query after the change, and database-side
// effects (triggers, cascades) are in place before any query. This rules
// out narrowing autoflush to the query's tables without saying so.
func TestAutoflush_FlushesEveryTableBeforeAnyQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		u := &User{Name: "a"}
		require.NoError(t, s.Add(u))
		require.NoError(t, s.Commit(ctx))
		u.Name = "b"
		require.Len(t, s.Dirty(), 1)
		_, err := session.Select[Gadget]().Count(ctx) // another table
		require.NoError(t, err)
		assert.Empty(t, s.Dirty(), "a query on another table flushed the change")
		require.NoError(t, s.Rollback(ctx))
	})
}

// A change made to an object the user then drops is still written by
// Commit, even when a garbage collection ran in between. This rules out
// an identity map that holds clean objects only weakly without looking
// at them again before they go: the session cannot see the assignment.
func TestCommit_FlushesChangeToDroppedObject(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		const n = 300
		for i := range n {
			require.NoError(t, s.Add(&User{Name: fmt.Sprint("u", i), Nickname: "old"}))
		}
		require.NoError(t, s.Commit(ctx))
		s.ExpungeAll()

		for u, err := range session.Select[User]().Iter(ctx) {
			require.NoError(t, err)
			u.Nickname = "new" // and the loop drops u
		}
		runtime.GC()
		runtime.GC()
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, n, countRows(t, eng, "users", "nickname = ?", "new"))
	})
}

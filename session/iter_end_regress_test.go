package session_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// TestRegression_EndSessionInsideIter: Close called from the body of an
// Iter or Stream loop returned nil and the loop went on yielding objects
// of a closed session. Calls that end the session's work (Close, Commit,
// Rollback, Expunge of everything) from a loop body now fail with
// ErrIteratorOpen, the session is left as it was, and the loop goes on;
// after the loop they work.
func TestRegression_EndSessionInsideIter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng)
		relSeed(t, eng)
		ends := map[string]func(*session.Session, context.Context) error{
			"Close":    (*session.Session).Close,
			"Commit":   (*session.Session).Commit,
			"Rollback": (*session.Session).Rollback,
		}
		for mode := range iterModes(session.NewQuery[RUser](nil)) {
			for name, end := range ends {
				s := session.New(eng)
				run := iterModes(session.NewQuery[RUser](s).OrderBy(&U.ID))[mode]
				n := 0
				var kept []*RUser
				for u, err := range run(ctx) {
					require.NoError(t, err, "%s %s", mode, name)
					u.Name += "!"
					kept = append(kept, u)
					if n == 0 {
						err := end(s, ctx)
						assert.ErrorIs(t, err, arcerr.ErrIteratorOpen, "%s: %s inside the loop", mode, name)
					}
					n++
				}
				assert.Equal(t, 5, n, "%s %s: the loop goes on", mode, name)
				assert.True(t, s.IsModified(kept[0]), "%s %s: the session keeps its objects", mode, name)
				require.NoError(t, s.Rollback(ctx), "%s %s", mode, name)
				require.NoError(t, s.Close(ctx), "%s %s", mode, name)
			}
		}
	})
}

// TestRegression_RowsIterBodyUsesSession: the body of a Rows[R].Iter
// loop could not use its own session (Add, Delete, Dirty work): the loop
// held the session's guard without recording its goroutine as the owner,
// so the body's calls failed as concurrent use. Now they work as in a
// Query.Iter loop, SQL from the body returns ErrIteratorOpen, and another
// goroutine still gets the concurrent-use error.
func TestRegression_RowsIterBodyUsesSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng)
		relSeed(t, eng)
		s := session.New(eng)
		defer s.Close(ctx)
		sctx := session.With(ctx, s)
		type nameRow struct{ Name string }
		n := 0
		for row, err := range session.Rows[nameRow](session.Select[RUser]().Select(&U.Name).OrderBy(&U.ID)).Iter(sctx) {
			require.NoError(t, err)
			if n == 0 {
				require.NoError(t, s.Add(&RUser{Name: row.Name + "-copy"}), "the loop body uses its session")
				_, err := session.NewQuery[RUser](s).Count(ctx)
				assert.ErrorIs(t, err, arcerr.ErrIteratorOpen)
				assert.ErrorIs(t, s.Close(ctx), arcerr.ErrIteratorOpen)
				done := make(chan error)
				go func() { done <- s.Add(&RUser{Name: "other goroutine"}) }()
				assert.True(t, isConcurrentUse(<-done), "another goroutine during the loop")
			}
			n++
		}
		assert.Equal(t, 5, n)
		require.NoError(t, s.Commit(ctx))
		c, err := session.NewQuery[RUser](s).Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 6, c)
	})
}

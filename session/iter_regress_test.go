package session_test

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// iterModes runs body for Iter and for Stream.
func iterModes[T any](q *session.Query[T]) map[string]func(context.Context) iter.Seq2[*T, error] {
	return map[string]func(context.Context) iter.Seq2[*T, error]{"Iter": q.Iter, "Stream": q.Stream}
}

// collect ranges over seq and returns the objects and the errors yielded.
func collect[T any](seq iter.Seq2[*T, error]) (objs []*T, errs []error) {
	for o, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o)
	}
	return objs, errs
}

// TestRegression_IterHonoursLoadOptions: Iter and Stream ignored the
// query's loading options. Options without SQL (Raise, NoLoad, Lazy) now
// apply to every object yielded; options that need SQL of their own
// while the rows hold the connection (SelectIn, Joined, ContainsEager, a
// lazy:"selectin" tag) fail with ErrCannotStream naming the option, and
// yield no rows.
func TestRegression_IterHonoursLoadOptions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng)
		relSeed(t, eng)
		for _, tc := range []struct {
			opt  session.LoadOption
			want string
		}{
			{relations.SelectIn(&U.Addresses), "relations.SelectIn(&RUser.Addresses)"},
			{relations.Joined(&U.Addresses), "relations.Joined(&RUser.Addresses)"},
			{relations.ContainsEager(&U.Addresses), "relations.ContainsEager(&RUser.Addresses)"},
		} {
			s := session.New(eng)
			for mode, run := range iterModes(session.NewQuery[RUser](s).Options(tc.opt)) {
				objs, errs := collect(run(ctx))
				assert.Empty(t, objs, "%s %s", mode, tc.want)
				require.Len(t, errs, 1, "%s %s", mode, tc.want)
				assert.ErrorIs(t, errs[0], arcerr.ErrCannotStream)
				assert.Contains(t, errs[0].Error(), tc.want)
				assert.Contains(t, errs[0].Error(), mode)
			}
			require.NoError(t, s.Close(ctx))
		}

		for mode := range iterModes(session.NewQuery[RUser](nil)) {
			// Raise: a lazy load after the loop fails as after All.
			s := session.New(eng)
			run := iterModes(session.NewQuery[RUser](s).Options(relations.Raise(&U.Addresses)).OrderBy(&U.ID))[mode]
			var kept []*RUser
			for u, err := range run(ctx) {
				require.NoError(t, err)
				u.Name += "!" // changed: Stream keeps it in the session
				kept = append(kept, u)
			}
			require.Len(t, kept, 5)
			_, err := kept[4].Addresses.Load(ctx)
			assert.ErrorIs(t, err, arcerr.ErrLazyLoad, mode)
			require.NoError(t, s.Rollback(ctx))
			require.NoError(t, s.Close(ctx))

			// NoLoad: reads as empty without SQL.
			s = session.New(eng)
			run = iterModes(session.NewQuery[RUser](s).Options(relations.NoLoad(&U.Addresses)).OrderBy(&U.ID))[mode]
			kept = kept[:0]
			for u, err := range run(ctx) {
				require.NoError(t, err)
				kept = append(kept, u)
			}
			require.Len(t, kept, 5)
			rec := dbtest.Record(eng)
			items, err := kept[4].Addresses.Load(ctx)
			require.NoError(t, err, mode)
			assert.Empty(t, items, mode)
			assert.Empty(t, rec.SQL(), mode)
			require.NoError(t, s.Close(ctx))

			// A lazy:selectin tag cannot stream; Lazy overrides it and
			// the collection loads after the loop.
			QL := expr.Cols[QLUser]()
			s = session.New(eng)
			_, errs := collect(iterModes(session.NewQuery[QLUser](s))[mode](ctx))
			require.Len(t, errs, 1, mode)
			assert.ErrorIs(t, errs[0], arcerr.ErrCannotStream)
			assert.Contains(t, errs[0].Error(), `QLUser.Addresses has lazy:"selectin"`)
			var jack *QLUser
			for u, err := range iterModes(session.NewQuery[QLUser](s).Options(relations.Lazy(&QL.Addresses)).Where(expr.Eq(&QL.Name, "jack")))[mode](ctx) {
				require.NoError(t, err)
				u.Nickname += "!" // keep it in a Stream's session
				jack = u
			}
			require.NotNil(t, jack, mode)
			addrs, err := jack.Addresses.Load(ctx)
			require.NoError(t, err, mode)
			assert.Len(t, addrs, 2, mode)
			require.NoError(t, s.Rollback(ctx))
			require.NoError(t, s.Close(ctx))
		}
	})
}

func isConcurrentUse(err error) bool {
	return errors.Is(err, arcerr.ErrInvalidRequest) && err != nil && strings.Contains(err.Error(), "session used concurrently")
}

// TestRegression_IterHoldsSession: Iter and Stream did not enter the
// session's concurrency guard, so another goroutine using the session
// during the loop raced with it. Now the loop holds the session: another
// goroutine gets the concurrent-use error, also while the loop body
// runs; the loop body itself uses the session as before (Add, Delete,
// Dirty work; SQL returns ErrIteratorOpen), and after the loop any
// goroutine may use it.
func TestRegression_IterHoldsSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng)
		relSeed(t, eng)
		for mode := range iterModes(session.NewQuery[RUser](nil)) {
			s := session.New(eng)
			sctx := session.With(ctx, s)
			other := &RUser{Name: "other"}
			mine := &RUser{Name: "mine"}
			calls := map[string]func() error{
				"Add":   func() error { return s.Add(other) },
				"Get":   func() error { _, err := session.Get[RUser](sctx, s, int64(1)); return err },
				"All":   func() error { _, err := session.NewQuery[RUser](s).All(ctx); return err },
				"Flush": func() error { return s.Flush(ctx) },
				"Iter": func() error {
					_, errs := collect(session.NewQuery[RUser](s).Iter(ctx))
					return errors.Join(errs...)
				},
			}
			n := 0
			for u, err := range iterModes(session.NewQuery[RUser](s).OrderBy(&U.ID))[mode](ctx) {
				require.NoError(t, err)
				n++
				if n != 2 {
					continue
				}
				for name, call := range calls {
					done := make(chan error)
					go func() { done <- call() }()
					err := <-done
					assert.True(t, isConcurrentUse(err), "%s: other goroutine's %s during the loop body: %v", mode, name, err)
				}
				// The loop body's own goroutine.
				require.NoError(t, s.Add(mine), mode)
				u.Name += "!"
				assert.NotEmpty(t, s.Dirty(), mode)
				_, err := session.NewQuery[RUser](s).All(ctx)
				assert.ErrorIs(t, err, arcerr.ErrIteratorOpen, mode)
			}
			require.Equal(t, 5, n, mode)
			assert.Equal(t, session.Transient, s.StateOf(other), "%s: the refused Add changed nothing", mode)
			assert.Equal(t, session.Pending, s.StateOf(mine), mode)
			// After the loop another goroutine may use the session.
			done := make(chan error)
			go func() { _, err := session.NewQuery[RUser](s).All(ctx); done <- err }()
			require.NoError(t, <-done, mode)
			require.NoError(t, s.Rollback(ctx))
			require.NoError(t, s.Close(ctx))
		}
	})
}

package session_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// TestBulkTemplates: a bulk UPDATE or DELETE built anew on every call
// reuses the SQL rendered for its shape (the engine's templates) and
// sends each call's own values: plain values, NULL, expressions with
// values of their own, IN lists of different lengths (their own shapes),
// in sessions and without one.
func TestBulkTemplates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := context.Background()
		// run does fn as a call without a session does: a one-shot
		// session, committed.
		run := func(fn func(ctx context.Context) (int64, error)) (int64, error) {
			s := session.New(eng, session.OneShot())
			defer s.Close(ctx)
			n, err := fn(session.With(ctx, s))
			if err != nil {
				return n, err
			}
			return n, s.Commit(ctx)
		}
		_ = d
		U := expr.Cols[QUser]()
		rec := dbtest.Record(eng)
		names := []string{"ed", "wendy", "mary", "fred"}
		var texts []string
		for round := range 2 {
			for i, name := range names {
				rec.Reset()
				nick := fmt.Sprintf("n%d-%d", round, i)
				n, err := run(func(ctx context.Context) (int64, error) {
					return session.Select[QUser]().Where(expr.Eq(&U.Name, name)).
						Update(ctx, expr.P{"Nickname": nick, "Fullname": expr.Func("upper", nick)})
				})
				require.NoError(t, err)
				assert.EqualValues(t, 1, n, name)
				texts = append(texts, rec.Statements()...)
			}
			s := session.New(eng)
			got, err := session.NewQuery[QUser](s).OrderBy(&U.ID).All(ctx)
			require.NoError(t, err)
			for i, u := range got[:len(names)] {
				nick := fmt.Sprintf("n%d-%d", round, i)
				assert.Equal(t, nick, u.Nickname, "round %d %s", round, u.Name)
				assert.Equal(t, fmt.Sprintf("N%d-%d", round, i), u.Fullname, "round %d %s", round, u.Name)
			}
			require.NoError(t, s.Close(ctx))
		}
		for _, tx := range texts[1:] {
			if len(texts[0]) > 0 {
				assert.Equal(t, texts[0], tx, "one statement text for every call")
			}
		}

		// IN lists of different lengths, then a DELETE reusing its shape.
		for _, list := range [][]string{{"ed"}, {"ed", "wendy"}, {"mary"}, {"wendy", "fred"}} {
			n, err := run(func(ctx context.Context) (int64, error) {
				return session.Select[QUser]().Where(expr.In(&U.Name, list...)).Update(ctx, expr.P{"Nickname": list[len(list)-1]})
			})
			require.NoError(t, err)
			assert.EqualValues(t, len(list), n, "%v", list)
			s := session.New(eng)
			c, err := session.NewQuery[QUser](s).Where(expr.Eq(&U.Nickname, list[len(list)-1])).Count(ctx)
			require.NoError(t, err)
			assert.EqualValues(t, len(list), c, "%v", list)
			require.NoError(t, s.Close(ctx))
		}
		for _, name := range []string{"ed", "mary"} {
			n, err := run(session.Select[QUser]().Where(expr.Eq(&U.Name, name)).HardDelete)
			require.NoError(t, err)
			assert.EqualValues(t, 1, n, name)
		}
		s := session.New(eng)
		defer s.Close(ctx)
		left, err := session.NewQuery[QUser](s).OrderBy(&U.ID).All(ctx)
		require.NoError(t, err)
		require.Len(t, left, 3)
		assert.Equal(t, []string{"wendy", "fred", "jack"}, []string{left[0].Name, left[1].Name, left[2].Name})
	})
}

package session_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/session"
)

// BenchmarkQueryTracked: the same one-row query in a session that tracks
// N clean objects (issue 25, item 6: the query's cost should not grow
// with N; autoflush compares every tracked object with its snapshot).
// N=0 is the empty session.
func BenchmarkQueryTracked(b *testing.B) {
	benchEach(b, func(b *testing.B, ctx context.Context, eng *engine.Engine) {
		const total = 100_000
		seed := session.New(eng)
		for i := range total {
			if err := seed.Add(&User{Name: fmt.Sprint("u", i), Nickname: "n"}); err != nil {
				b.Fatal(err)
			}
		}
		if err := seed.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		_ = seed.Close(ctx)
		U := expr.Cols[User]()
		for _, n := range []int{0, 100, 1_000, 10_000, 100_000} {
			b.Run(fmt.Sprint("tracked=", n), func(b *testing.B) {
				s := session.New(eng, session.WithExpireOnCommit(false))
				defer s.Close(ctx)
				sctx := session.With(ctx, s)
				if n > 0 {
					us, err := session.Select[User]().OrderBy(expr.Asc(&U.ID)).Limit(n).All(sctx)
					if err != nil || len(us) != n {
						b.Fatal(err, len(us))
					}
				}
				q := session.Select[User]().Where(expr.Eq(&U.ID, int64(1)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := q.All(sctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

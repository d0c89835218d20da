package session_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"unsafe"
	"weak"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/session"
)

// BenchmarkQueryTracked: the same one-row query by key in a session that
// tracks N clean objects the caller still holds (issue 25, item 6: the
// query's cost should not grow with N; autoflush compares every tracked
// object with its snapshot, see docs/performance.md). tracked=0 is the
// empty session; raw is the same SELECT through database/sql in
// autocommit, unprepared, scanned into a struct. dirty=1 changes one of
// the N objects before each query, so every query also flushes one
// UPDATE.
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
		b.Run("raw", func(b *testing.B) {
			q := rebind(eng, "SELECT users.id, users.name, users.fullname, users.nickname FROM users WHERE users.id = ?")
			b.ReportAllocs()
			for b.Loop() {
				rows, err := eng.DB().QueryContext(ctx, q, int64(1))
				check(b, err)
				var us []*User
				for rows.Next() {
					u := new(User)
					check(b, rows.Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname))
					us = append(us, u)
				}
				check(b, rows.Err())
				check(b, rows.Close())
				if len(us) != 1 {
					b.Fatal(len(us))
				}
			}
		})
		for _, dirty := range []bool{false, true} {
			for _, n := range []int{0, 100, 1_000, 10_000, 100_000} {
				if dirty && n == 0 {
					continue
				}
				name := fmt.Sprint("tracked=", n)
				if dirty {
					name = fmt.Sprint("dirty=1/tracked=", n)
				}
				b.Run(name, func(b *testing.B) {
					s := session.New(eng, session.WithExpireOnCommit(false))
					defer s.Close(ctx)
					sctx := session.With(ctx, s)
					var us []*User
					if n > 0 {
						var err error
						us, err = session.Select[User]().OrderBy(expr.Asc(&U.ID)).Limit(n).All(sctx)
						if err != nil || len(us) != n {
							b.Fatal(err, len(us))
						}
					}
					q := session.Select[User]().Where(expr.Eq(&U.ID, int64(1)))
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						if dirty {
							i++
							us[n/2].Fullname = nicks[i&1]
						}
						if _, err := q.All(sctx); err != nil {
							b.Fatal(err)
						}
					}
					runtime.KeepAlive(us) // the caller holds every object
				})
			}
		}
	})
}

// BenchmarkWeakPrimitives: what a weak identity map (issue 25, item 5)
// would add to its hot paths, without a database: reading a state's
// object through a plain pointer against weak.Pointer.Value, and arming
// a finalizer per object against one per 128-object chunk (the check a
// dropped object needs so that a change made to it is not lost; see
// docs/performance.md).
func BenchmarkWeakPrimitives(b *testing.B) {
	type obj struct {
		ID             int64
		Name, Nickname string
	}
	o := &obj{ID: 1}
	b.Run("load/pointer", func(b *testing.B) {
		p := unsafe.Pointer(o)
		var sink unsafe.Pointer
		for b.Loop() {
			sink = p
		}
		runtime.KeepAlive(sink)
	})
	b.Run("load/weak", func(b *testing.B) {
		w := weak.Make(o)
		var sink *obj
		for b.Loop() {
			sink = w.Value()
		}
		runtime.KeepAlive(sink)
	})
	b.Run("make/weak", func(b *testing.B) {
		objs := make([]obj, 1024)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_ = weak.Make(&objs[i&1023])
			i++
		}
	})
	b.Run("finalizer/per-object", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			runtime.SetFinalizer(new(obj), func(*obj) {})
		}
	})
	b.Run("finalizer/per-128-chunk", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i%128 == 0 {
				runtime.SetFinalizer(new([128]obj), func(*[128]obj) {})
			}
			i++
		}
	})
}

package benchmarks

import (
	"context"
	"testing"

	"github.com/arcorm/arc"
)

// BenchmarkStream: all 100,000 users, one at a time, never holding more
// than the row at hand (Arc: tracked Iter, NoTrack().Iter, and Stream). Besides time and allocations it reports
// peak-live-B: the most heap found live after a GC during the run, above
// the level before it (constant memory keeps it flat; a library that
// keeps every row would show the whole result, ~10 MB).
func BenchmarkStream(b *testing.B) {
	ctx := context.Background()
	const every = 10_000 // rows between heap samples
	each(b, func(b *testing.B, e *env) {
		raw := func(b *testing.B, query func() (rowsLike, error)) {
			p := newPeak()
			b.ReportAllocs()
			for b.Loop() {
				rows, err := query()
				check(b, err)
				n := 0
				for rows.Next() {
					u := new(RUser)
					check(b, rows.Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname))
					if n++; n%every == 0 {
						p.sample()
					}
				}
				check(b, rows.Err())
				check(b, rows.Close())
				want(b, n, nUsers)
			}
			p.report(b)
		}
		b.Run("raw", func(b *testing.B) {
			q := e.q(streamSQL)
			raw(b, func() (rowsLike, error) { return e.db.QueryContext(ctx, q, nUsers) })
		})
		b.Run("raw-prep", func(b *testing.B) {
			st, err := e.db.PrepareContext(ctx, e.q(streamSQL))
			check(b, err)
			defer st.Close()
			raw(b, func() (rowsLike, error) { return st.QueryContext(ctx, nUsers) })
		})
		b.Run("sqlx", func(b *testing.B) {
			q := e.q(streamSQL)
			p := newPeak()
			b.ReportAllocs()
			for b.Loop() {
				rows, err := e.sqlx.QueryxContext(ctx, q, nUsers)
				check(b, err)
				n := 0
				for rows.Next() {
					u := new(RUser)
					check(b, rows.StructScan(u))
					if n++; n%every == 0 {
						p.sample()
					}
				}
				check(b, rows.Err())
				check(b, rows.Close())
				want(b, n, nUsers)
			}
			p.report(b)
		})
		for _, g := range gorms {
			b.Run(g.name, func(b *testing.B) {
				db := g.db(e).WithContext(ctx)
				p := newPeak()
				b.ReportAllocs()
				for b.Loop() {
					rows, err := db.Model(&GUser{}).Limit(nUsers).Rows()
					check(b, err)
					n := 0
					for rows.Next() {
						u := new(GUser)
						check(b, db.ScanRows(rows, u))
						if n++; n%every == 0 {
							p.sample()
						}
					}
					check(b, rows.Err())
					check(b, rows.Close())
					want(b, n, nUsers)
				}
				p.report(b)
			})
		}
		b.Run("bun", func(b *testing.B) {
			p := newPeak()
			b.ReportAllocs()
			for b.Loop() {
				rows, err := e.bun.NewSelect().Model((*BUser)(nil)).Limit(nUsers).Rows(ctx)
				check(b, err)
				n := 0
				for rows.Next() {
					u := new(BUser)
					check(b, e.bun.ScanRow(ctx, rows, u))
					if n++; n%every == 0 {
						p.sample()
					}
				}
				check(b, rows.Err())
				check(b, rows.Close())
				want(b, n, nUsers)
			}
			p.report(b)
		})
		for _, v := range []struct {
			name            string
			notrack, stream bool
		}{{"arc", false, false}, {"arc-notrack", true, false}, {"arc-stream", false, true}} {
			b.Run(v.name, func(b *testing.B) {
				s := arc.NewSession(e.eng)
				defer s.Close(ctx)
				sctx := arc.WithSession(ctx, s)
				p := newPeak()
				b.ReportAllocs()
				for b.Loop() {
					q := arc.Select[User]().Limit(nUsers)
					if v.notrack {
						q = q.NoTrack()
					}
					seq := q.Iter(sctx)
					if v.stream {
						seq = q.Stream(sctx) // tracked, unchanged objects detached as the loop moves on
					}
					n := 0
					for u, err := range seq {
						check(b, err)
						_ = u
						if n++; n%every == 0 {
							p.sample()
						}
					}
					want(b, n, nUsers)
					s.ExpungeAll()
				}
				p.report(b)
			})
		}
	})
}

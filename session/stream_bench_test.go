package session_test

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/session"
)

// StreamUser is the users table as a plain struct (no record.Base): the
// model whose states Query.Stream reuses.
type StreamUser struct {
	ID       int64
	Name     string `arc:"size:50"`
	Fullname string
	Nickname string `arc:"size:50"`
}

func (StreamUser) TableName() string { return "users" }

// BenchmarkStream: 100,000 users one at a time, the caller dropping each
// (issue 25, item 5: tracked streaming in constant memory; target: peak
// live heap ≤ 2× the untracked iterator's, time ≤ 1.2× raw).
//
//   - raw: database/sql, unprepared, rows.Scan into a new struct per row;
//   - notrack: Query.NoTrack().Iter;
//   - iter: the tracked Query.Iter (the session keeps every object until
//     ExpungeAll after the loop);
//   - stream: Query.Stream, plain struct (states and snapshots reused);
//   - stream-base: Query.Stream of a record.Base model (the detached
//     object's Holder keeps its state: no reuse);
//   - stream-1in1000: stream, changing every 1,000th object (100 stay
//     tracked; the changes are not flushed).
//
// peak-live-B is the most heap found live (runtime/metrics
// /gc/heap/live:bytes, as of the last collection) at samples every 1,000
// rows, above the level before the run; retained-B is the live heap after
// a forced collection once a loop ended (before ExpungeAll), measured on a
// warm-up run outside the timing; cpu-ns/op is the process's CPU time.
func BenchmarkStream(b *testing.B) {
	benchEach(b, func(b *testing.B, ctx context.Context, eng *engine.Engine) {
		const total = 100_000
		seed := session.New(eng)
		for i := range total {
			if err := seed.Add(&StreamUser{Name: fmt.Sprint("u", i), Fullname: "full name", Nickname: "n"}); err != nil {
				b.Fatal(err)
			}
		}
		if err := seed.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		_ = seed.Close(ctx)
		U := expr.Cols[StreamUser]()
		q := session.Select[StreamUser]().OrderBy(&U.ID)
		B := expr.Cols[User]()
		qb := session.Select[User]().OrderBy(&B.ID)
		raw := rebind(eng, "SELECT users.id, users.name, users.fullname, users.nickname FROM users ORDER BY users.id")

		type run func(sctx context.Context, sample func()) int
		loop := func(seq iter.Seq2[*StreamUser, error], change bool, sample func()) int {
			n := 0
			for u, err := range seq {
				if err != nil {
					b.Fatal(err)
				}
				if change && n%1000 == 0 {
					u.Nickname = nicks[n&1]
				}
				if n++; n%1000 == 0 {
					sample()
				}
			}
			return n
		}
		cases := []struct {
			name string
			run  run
		}{
			{"raw", func(_ context.Context, sample func()) int {
				rows, err := eng.DB().QueryContext(ctx, raw)
				check(b, err)
				n := 0
				for rows.Next() {
					u := new(StreamUser)
					check(b, rows.Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname))
					if n++; n%1000 == 0 {
						sample()
					}
				}
				check(b, rows.Err())
				check(b, rows.Close())
				return n
			}},
			{"notrack", func(sctx context.Context, sample func()) int { return loop(q.NoTrack().Iter(sctx), false, sample) }},
			{"iter", func(sctx context.Context, sample func()) int { return loop(q.Iter(sctx), false, sample) }},
			{"stream", func(sctx context.Context, sample func()) int { return loop(q.Stream(sctx), false, sample) }},
			{"stream-1in1000", func(sctx context.Context, sample func()) int { return loop(q.Stream(sctx), true, sample) }},
			{"stream-base", func(sctx context.Context, sample func()) int {
				n := 0
				for _, err := range qb.Stream(sctx) {
					if err != nil {
						b.Fatal(err)
					}
					if n++; n%1000 == 0 {
						sample()
					}
				}
				return n
			}},
		}
		for _, c := range cases {
			b.Run(c.name, func(b *testing.B) {
				s := session.New(eng)
				defer s.Close(ctx)
				sctx := session.With(ctx, s)
				// Warm-up, and what a loop leaves live.
				runtime.GC()
				base := liveHeap()
				if n := c.run(sctx, func() {}); n != total {
					b.Fatal(n)
				}
				runtime.GC()
				retained := liveHeap() - min(base, liveHeap())
				s.ExpungeAll()
				if err := s.Rollback(ctx); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				base = liveHeap()
				var peak uint64
				sample := func() {
					if h := liveHeap(); h > base && h-base > peak {
						peak = h - base
					}
				}
				reportCPU(b)
				for b.Loop() {
					if n := c.run(sctx, sample); n != total {
						b.Fatal(n)
					}
					s.ExpungeAll()
					if err := s.Rollback(ctx); err != nil { // the changes of stream-1in1000 are not written
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(peak), "peak-live-B")
				b.ReportMetric(float64(retained), "retained-B")
			})
		}
	})
}

func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

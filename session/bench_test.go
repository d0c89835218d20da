package session_test

// Benchmarks of the unit of work against hand-written database/sql code
// with prepared statements, run side by side on both dialects:
//
//	go test -run '^$' -bench . -benchmem -count 3 -benchtime 300x ./session/
//
// Each Benchmark* has a sub-benchmark per dialect and, under it, "arc" and
// "raw" (database/sql, prepared statements, same pool and transaction
// shape). docs/performance.md has the numbers and the ratios.

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// benchEach runs fn once per dialect on a fresh database with the test
// schema.
func benchEach(b *testing.B, fn func(b *testing.B, ctx context.Context, eng *engine.Engine)) {
	for _, name := range dbtest.Dialects {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			eng := dbtest.Open(b, name)
			if err := createAll(ctx, eng); err != nil {
				b.Fatal(err)
			}
			fn(b, ctx, eng)
		})
	}
}

// rebind turns the ? placeholders of a test's SQL text (with no ? in
// its literals) into the dialect's.
func rebind(eng *engine.Engine, q string) string {
	d := eng.Dialect()
	b := make([]byte, 0, len(q)+8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b = d.AppendPlaceholder(b, n)
			continue
		}
		b = append(b, q[i])
	}
	return string(b)
}

func mustPrepare(b *testing.B, eng *engine.Engine, q string) *sql.Stmt {
	b.Helper()
	st, err := eng.DB().Prepare(rebind(eng, q))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func check(b *testing.B, err error) {
	if err != nil {
		b.Helper()
		b.Fatal(err)
	}
}

// seedUsers inserts n users and returns their ids.
func seedUsers(b *testing.B, ctx context.Context, eng *engine.Engine, n int) []int64 {
	s := session.New(eng)
	defer s.Close(ctx)
	us := make([]*User, n)
	for i := range us {
		us[i] = &User{Name: "seed" + strconv.Itoa(i), Fullname: "Seed User", Nickname: "s"}
		check(b, s.Add(us[i]))
	}
	check(b, s.Commit(ctx))
	ids := make([]int64, n)
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}

// BenchmarkInsertCommit: one new object, flushed and committed (BEGIN,
// INSERT … RETURNING id, COMMIT).
func BenchmarkInsertCommit(b *testing.B) {
	benchEach(b, func(b *testing.B, ctx context.Context, eng *engine.Engine) {
		b.Run("arc", func(b *testing.B) {
			reportCPU(b)
			for b.Loop() {
				s := session.New(eng)
				check(b, s.Add(&User{Name: "bench", Fullname: "Bench User", Nickname: "b"}))
				check(b, s.Commit(ctx))
				check(b, s.Close(ctx))
			}
		})
		b.Run("raw", func(b *testing.B) {
			st := mustPrepare(b, eng, "INSERT INTO users (name, fullname, nickname) VALUES (?, ?, ?) RETURNING id")
			reportCPU(b)
			for b.Loop() {
				u := &User{Name: "bench", Fullname: "Bench User", Nickname: "b"}
				tx, err := eng.DB().BeginTx(ctx, nil)
				check(b, err)
				check(b, tx.StmtContext(ctx, st).QueryRowContext(ctx, u.Name, u.Fullname, u.Nickname).Scan(&u.ID))
				check(b, tx.Commit())
			}
		})
	})
}

// BenchmarkFlush: 100 and 1,000 new objects in one flush and commit,
// against one hand-written multi-row INSERT … RETURNING id (prepared)
// that also reads the ids back into the structs.
func BenchmarkFlush(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			benchEach(b, func(b *testing.B, ctx context.Context, eng *engine.Engine) {
				b.Run("arc", func(b *testing.B) {
					reportCPU(b)
					for b.Loop() {
						s := session.New(eng)
						for i := 0; i < n; i++ {
							check(b, s.Add(&User{Name: "bulk", Fullname: "Bulk User", Nickname: "k"}))
						}
						check(b, s.Commit(ctx))
						check(b, s.Close(ctx))
					}
				})
				b.Run("raw", func(b *testing.B) {
					var q strings.Builder
					q.WriteString("INSERT INTO users (name, fullname, nickname) VALUES ")
					for i := 0; i < n; i++ {
						if i > 0 {
							q.WriteString(", ")
						}
						q.WriteString("(?, ?, ?)")
					}
					q.WriteString(" RETURNING id")
					rawFlush(b, ctx, eng, q.String(), n)
				})
				b.Run("raw-loop", func(b *testing.B) {
					// Issue 25's SQLite baseline: the loop users write, one
					// unprepared INSERT … RETURNING id per object in one
					// transaction. (On PostgreSQL that is 2,000 round trips;
					// its baseline is the prepared multi-row "raw".)
					if !eng.Dialect().Has(dialect.ConnTx) {
						b.Skip("the baseline of dialects whose transactions run unprepared statements on a pooled connection (ConnTx: SQLite)")
					}
					q := "INSERT INTO users (name, fullname, nickname) VALUES (?, ?, ?) RETURNING id"
					reportCPU(b)
					for b.Loop() {
						us := make([]*User, n)
						tx, err := eng.DB().BeginTx(ctx, nil)
						check(b, err)
						for i := range us {
							u := &User{Name: "bulk", Fullname: "Bulk User", Nickname: "k"}
							check(b, tx.QueryRowContext(ctx, q, u.Name, u.Fullname, u.Nickname).Scan(&u.ID))
							us[i] = u
						}
						check(b, tx.Commit())
					}
				})
				b.Run("raw-unnest", func(b *testing.B) {
					// What Arc sends on PostgreSQL (dialect.ArrayRows),
					// written by hand: one array per column through
					// pq.Array, the keys read back in RETURNING's order.
					if _, ok := eng.Dialect().(dialect.ArrayRows); !ok {
						b.Skip("needs arrays as parameters (dialect.ArrayRows)")
					}
					st := mustPrepare(b, eng, "INSERT INTO users (name, fullname, nickname) "+
						"SELECT * FROM unnest($1::varchar[], $2::text[], $3::varchar[]) RETURNING id")
					reportCPU(b)
					for b.Loop() {
						us := make([]*User, n)
						names, fulls, nicks := make([]string, n), make([]string, n), make([]string, n)
						for i := range us {
							us[i] = &User{Name: "bulk", Fullname: "Bulk User", Nickname: "k"}
							names[i], fulls[i], nicks[i] = us[i].Name, us[i].Fullname, us[i].Nickname
						}
						tx, err := eng.DB().BeginTx(ctx, nil)
						check(b, err)
						rows, err := tx.StmtContext(ctx, st).QueryContext(ctx, pq.Array(names), pq.Array(fulls), pq.Array(nicks))
						check(b, err)
						i := 0
						for rows.Next() {
							check(b, rows.Scan(&us[i].ID))
							i++
						}
						check(b, rows.Err())
						check(b, rows.Close())
						check(b, tx.Commit())
						if i != n {
							b.Fatalf("got %d ids", i)
						}
					}
				})
				b.Run("raw-ordered", func(b *testing.B) {
					// The statement Arc runs: keys drawn in VALUES order
					// (docs/session.md), so they can be matched to the
					// objects without trusting RETURNING's row order.
					d := eng.Dialect()
					if !d.Has(dialect.ValuesTable | dialect.ReturningInsert) {
						b.Skip("needs SELECT ... FROM (VALUES ...) and INSERT ... RETURNING")
					}
					var q strings.Builder
					fmt.Fprintf(&q, "INSERT INTO users (name, fullname, nickname) SELECT %s, %s, %s FROM (VALUES ",
						d.ValuesColumn(0), d.ValuesColumn(1), d.ValuesColumn(2))
					for i := 0; i < n; i++ {
						if i > 0 {
							q.WriteString(", ")
						}
						if i == 0 && d.Has(dialect.TypedValues) {
							q.WriteString("(CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS VARCHAR), 0)")
						} else {
							fmt.Fprintf(&q, "(?, ?, ?, %d)", i)
						}
					}
					fmt.Fprintf(&q, ") AS arc_rows ORDER BY %s RETURNING id", d.ValuesColumn(3))
					rawFlush(b, ctx, eng, q.String(), n)
				})
			})
		})
	}
}

// rawFlush runs the prepared multi-row INSERT q of n users per
// iteration, in a transaction, reading the ids back into the structs.
func rawFlush(b *testing.B, ctx context.Context, eng *engine.Engine, q string, n int) {
	st := mustPrepare(b, eng, q)
	reportCPU(b)
	for b.Loop() {
		us := make([]*User, n)
		args := make([]any, 0, 3*n)
		for i := range us {
			us[i] = &User{Name: "bulk", Fullname: "Bulk User", Nickname: "k"}
			args = append(args, us[i].Name, us[i].Fullname, us[i].Nickname)
		}
		tx, err := eng.DB().BeginTx(ctx, nil)
		check(b, err)
		rows, err := tx.StmtContext(ctx, st).QueryContext(ctx, args...)
		check(b, err)
		i := 0
		for rows.Next() {
			check(b, rows.Scan(&us[i].ID))
			i++
		}
		check(b, rows.Err())
		check(b, rows.Close())
		check(b, tx.Commit())
		if i != n {
			b.Fatalf("got %d ids", i)
		}
	}
}

// BenchmarkUpdateOneColumn: change one field of a loaded object and
// commit (BEGIN, UPDATE users SET nickname = ? WHERE id = ?, COMMIT).
func BenchmarkUpdateOneColumn(b *testing.B) {
	benchEach(b, func(b *testing.B, ctx context.Context, eng *engine.Engine) {
		id := seedUsers(b, ctx, eng, 1)[0]
		b.Run("arc", func(b *testing.B) {
			s := session.New(eng, session.WithExpireOnCommit(false))
			defer s.Close(ctx)
			u, err := session.Get[User](ctx, s, id)
			check(b, err)
			check(b, s.Commit(ctx))
			reportCPU(b)
			i := 0
			for b.Loop() {
				i++
				u.Nickname = nicks[i&1]
				check(b, s.Commit(ctx))
			}
		})
		b.Run("raw", func(b *testing.B) {
			st := mustPrepare(b, eng, "UPDATE users SET nickname = ? WHERE id = ?")
			reportCPU(b)
			i := 0
			for b.Loop() {
				i++
				tx, err := eng.DB().BeginTx(ctx, nil)
				check(b, err)
				res, err := tx.StmtContext(ctx, st).ExecContext(ctx, nicks[i&1], id)
				check(b, err)
				if n, _ := res.RowsAffected(); n != 1 {
					b.Fatal("no row")
				}
				check(b, tx.Commit())
			}
		})
	})
}

var nicks = [2]string{"even", "odd"}

// BenchmarkGet: an identity-map hit (no SQL), and a miss that runs the
// SELECT by primary key inside the session's open transaction, against a
// prepared SELECT in an open transaction scanning into a struct.
func BenchmarkGet(b *testing.B) {
	benchEach(b, func(b *testing.B, ctx context.Context, eng *engine.Engine) {
		id := seedUsers(b, ctx, eng, 1)[0]
		b.Run("hit", func(b *testing.B) {
			s := session.New(eng)
			defer s.Close(ctx)
			_, err := session.Get[User](ctx, s, id)
			check(b, err)
			reportCPU(b)
			for b.Loop() {
				if _, err := session.Get[User](ctx, s, id); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("miss/arc", func(b *testing.B) {
			s := session.New(eng)
			defer s.Close(ctx)
			reportCPU(b)
			for b.Loop() {
				u, err := session.Get[User](ctx, s, id)
				check(b, err)
				check(b, s.Expunge(u))
			}
		})
		b.Run("miss/raw", func(b *testing.B) {
			st := mustPrepare(b, eng, "SELECT users.id, users.name, users.fullname, users.nickname FROM users WHERE users.id = ?")
			tx, err := eng.DB().BeginTx(ctx, nil)
			check(b, err)
			defer tx.Rollback()
			ts := tx.StmtContext(ctx, st)
			reportCPU(b)
			for b.Loop() {
				u := new(User)
				check(b, ts.QueryRowContext(ctx, id).Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname))
			}
		})
	})
}

// BenchmarkLoad100: a query returning 100 rows into new tracked objects
// (the session's transaction is open; objects are expunged after each
// round so every row is a new object), against a prepared SELECT scanning
// into 100 new structs.
func BenchmarkLoad100(b *testing.B) {
	benchEach(b, func(b *testing.B, ctx context.Context, eng *engine.Engine) {
		seedUsers(b, ctx, eng, 100)
		b.Run("arc", func(b *testing.B) {
			s := session.New(eng)
			defer s.Close(ctx)
			sctx := session.With(ctx, s)
			q := session.Select[User]().Limit(100)
			reportCPU(b)
			for b.Loop() {
				us, err := q.All(sctx)
				check(b, err)
				if len(us) != 100 {
					b.Fatalf("got %d rows", len(us))
				}
				s.ExpungeAll()
			}
		})
		b.Run("raw", func(b *testing.B) {
			st := mustPrepare(b, eng, "SELECT users.id, users.name, users.fullname, users.nickname FROM users LIMIT ?")
			tx, err := eng.DB().BeginTx(ctx, nil)
			check(b, err)
			defer tx.Rollback()
			ts := tx.StmtContext(ctx, st)
			reportCPU(b)
			for b.Loop() {
				rows, err := ts.QueryContext(ctx, 100)
				check(b, err)
				us := make([]*User, 0, 100)
				for rows.Next() {
					u := new(User)
					check(b, rows.Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname))
					us = append(us, u)
				}
				check(b, rows.Err())
				check(b, rows.Close())
				if len(us) != 100 {
					b.Fatalf("got %d rows", len(us))
				}
			}
		})
	})
}

var _ = fmt.Sprint

// BenchmarkCleanFlush: what autoflush costs before each query and Get
// miss when nothing changed: Flush on a session holding n loaded,
// unchanged objects compares every one with its snapshot (Go has no
// attribute instrumentation to tell it which objects were touched). No
// SQL runs; the database only serves the initial load.
func BenchmarkCleanFlush(b *testing.B) {
	benchEach(b, func(b *testing.B, ctx context.Context, eng *engine.Engine) {
		if eng.Dialect().Name() != dbtest.Dialects[0] {
			b.Skip("no SQL runs: the first dialect of the run is enough")
		}
		seedUsers(b, ctx, eng, 10000)
		for _, n := range []int{100, 1000, 10000} {
			b.Run(strconv.Itoa(n), func(b *testing.B) {
				s := session.New(eng)
				defer s.Close(ctx)
				us, err := session.Select[User]().Limit(n).All(session.With(ctx, s))
				check(b, err)
				if len(us) != n {
					b.Fatalf("loaded %d", len(us))
				}
				reportCPU(b)
				for b.Loop() {
					check(b, s.Flush(ctx))
				}
			})
		}
	})
}

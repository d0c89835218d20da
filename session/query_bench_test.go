package session_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// benchUsers is the benchmark table's size: 1000 users in 10 nickname
// groups of 100 (a filtered query returns 1 row by name, 100 by nickname).
const benchUsers = 1000

func benchDB(b *testing.B, dialectName string) *engine.Engine {
	b.Helper()
	eng := dbtest.Open(b, dialectName)
	ctx := context.Background()
	if err := migrate.CreateAll(ctx, eng, QUser{}); err != nil {
		b.Fatal(err)
	}
	for _, ddl := range []string{"CREATE INDEX ix_bench_users_name ON users (name)", "CREATE INDEX ix_bench_users_nickname ON users (nickname)"} {
		if _, err := eng.DB().ExecContext(ctx, ddl); err != nil {
			b.Fatal(err)
		}
	}
	for start := 0; start < benchUsers; start += 100 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO users (name, fullname, nickname) VALUES ")
		for i := start; i < start+100; i++ {
			if i > start {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "('u%04d', 'User Number %d', 'g%d')", i, i, i%10)
		}
		if _, err := eng.DB().ExecContext(ctx, sb.String()); err != nil {
			b.Fatal(err)
		}
	}
	return eng
}

func rawSQL(eng *engine.Engine, where string) string {
	return rebind(eng, "SELECT users.id, users.name, users.fullname, users.nickname FROM users WHERE "+where)
}

// BenchmarkQuery compares a filtered entity query returning 1 and 100 rows
// with prepared raw database/sql scanning into the same structs, in the
// same run, on both dialects:
//
//	go test -run '^$' -bench BenchmarkQuery -benchmem -benchtime 2000x ./session/
//
// "raw" runs a prepared statement on the pool; "raw-tx" runs it inside
// one open transaction, as a session does (database/sql costs a little
// more per query in a transaction). "arc" builds the query on
// each call (Select/Where/All) in a session that keeps its transaction
// open across iterations (SQLAlchemy's autobegin: a session's reads run in
// its transaction), expunging the loaded objects after each call so that
// every iteration builds, snapshots and identity-maps new objects.
// "arc-notrack" is "arc" with NoTrack (no identity map, no snapshots).
// "arc-prebuilt" runs a stored query with new Params values (compiled SQL
// reused).
func BenchmarkQuery(b *testing.B) {
	for _, dn := range dbtest.Dialects {
		b.Run(dn, func(b *testing.B) {
			eng := benchDB(b, dn)
			U := expr.Cols[QUser]()
			ctx := context.Background()
			for _, size := range []struct {
				name  string
				where string
				val   func(i int) string
				pred  func(v string) expr.Expr
				text  string
				want  int
			}{
				{"1row", "users.name = ?", func(i int) string { return fmt.Sprintf("u%04d", i%benchUsers) }, func(v string) expr.Expr { return expr.Eq(&U.Name, v) }, "users.name = :v", 1},
				{"100rows", "users.nickname = ?", func(i int) string { return fmt.Sprintf("g%d", i%10) }, func(v string) expr.Expr { return expr.Eq(&U.Nickname, v) }, "users.nickname = :v", 100},
			} {
				b.Run(size.name+"/raw", func(b *testing.B) {
					stmt, err := eng.DB().PrepareContext(ctx, rawSQL(eng, size.where))
					if err != nil {
						b.Fatal(err)
					}
					defer stmt.Close()
					reportCPU(b)
					for i := 0; b.Loop(); i++ {
						out, err := rawQuery(ctx, stmt, size.val(i))
						if err != nil || len(out) != size.want {
							b.Fatalf("%d rows, %v", len(out), err)
						}
					}
				})
				b.Run(size.name+"/raw-tx", func(b *testing.B) {
					stmt, err := eng.DB().PrepareContext(ctx, rawSQL(eng, size.where))
					if err != nil {
						b.Fatal(err)
					}
					defer stmt.Close()
					tx, err := eng.DB().BeginTx(ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
					defer tx.Rollback()
					txStmt := tx.StmtContext(ctx, stmt)
					reportCPU(b)
					for i := 0; b.Loop(); i++ {
						out, err := rawQuery(ctx, txStmt, size.val(i))
						if err != nil || len(out) != size.want {
							b.Fatalf("%d rows, %v", len(out), err)
						}
					}
				})
				b.Run(size.name+"/arc", func(b *testing.B) {
					s := session.New(eng)
					defer s.Close(ctx)
					sctx := session.With(ctx, s)
					reportCPU(b)
					for i := 0; b.Loop(); i++ {
						out, err := session.Select[QUser]().Where(size.pred(size.val(i))).All(sctx)
						if err != nil || len(out) != size.want {
							b.Fatalf("%d rows, %v", len(out), err)
						}
						s.ExpungeAll()
					}
				})
				b.Run(size.name+"/arc-fresh", func(b *testing.B) {
					// As a request does it (issue 25): a new session per
					// query, closed after it.
					reportCPU(b)
					for i := 0; b.Loop(); i++ {
						s := session.New(eng)
						out, err := session.Select[QUser]().Where(size.pred(size.val(i))).All(session.With(ctx, s))
						if err != nil || len(out) != size.want {
							b.Fatalf("%d rows, %v", len(out), err)
						}
						_ = s.Close(ctx)
					}
				})
				b.Run(size.name+"/arc-notrack", func(b *testing.B) {
					s := session.New(eng)
					defer s.Close(ctx)
					sctx := session.With(ctx, s)
					reportCPU(b)
					for i := 0; b.Loop(); i++ {
						out, err := session.Select[QUser]().Where(size.pred(size.val(i))).NoTrack().All(sctx)
						if err != nil || len(out) != size.want {
							b.Fatalf("%d rows, %v", len(out), err)
						}
					}
				})
				b.Run(size.name+"/arc-prebuilt", func(b *testing.B) {
					s := session.New(eng)
					defer s.Close(ctx)
					sctx := session.With(ctx, s)
					q := session.Select[QUser]().Where(expr.Text(size.text))
					reportCPU(b)
					for i := 0; b.Loop(); i++ {
						out, err := q.Params(expr.P{"v": size.val(i)}).All(sctx)
						if err != nil || len(out) != size.want {
							b.Fatalf("%d rows, %v", len(out), err)
						}
						s.ExpungeAll()
					}
				})
			}
		})
	}
}

func rawQuery(ctx context.Context, stmt *sql.Stmt, v string) ([]*QUser, error) {
	rows, err := stmt.QueryContext(ctx, v)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*QUser
	for rows.Next() {
		u := new(QUser)
		if err := rows.Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// BenchmarkQueryRender measures building and rendering a query without a
// database: "build" makes and renders a new query each time (what a
// query written inline costs), "cached" re-runs a stored query with new
// Params (the compiled SQL is reused).
func BenchmarkQueryRender(b *testing.B) {
	d := dbtest.SQLite(b).Dialect()
	U := expr.Cols[QUser]()
	b.Run("build", func(b *testing.B) {
		reportCPU(b)
		for i := 0; b.Loop(); i++ {
			if _, _, err := session.Select[QUser]().Where(expr.Eq(&U.Name, "u0001")).SQL(d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		q := session.Select[QUser]().Where(expr.Text("users.name = :v"))
		reportCPU(b)
		for i := 0; b.Loop(); i++ {
			if _, _, err := q.Params(expr.P{"v": "u0001"}).SQL(d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package session_test

// Eager loading against hand-written database/sql doing the same
// queries: 100 users with 10 addresses each.
//
//	go test -run '^$' -bench 'BenchmarkRel' -benchmem -benchtime 200x ./session/

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
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

const relBenchParents, relBenchChildren = 100, 10

func relBenchEach(b *testing.B, fn func(b *testing.B, ctx context.Context, eng *engine.Engine)) {
	for _, name := range dbtest.Dialects {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			eng := dbtest.Open(b, name)
			check(b, migrate.CreateAll(ctx, eng, relModels...))
			s := session.New(eng)
			for i := range relBenchParents {
				u := &RUser{Name: fmt.Sprintf("user%03d", i), Fullname: "Full Name", Nickname: "nick"}
				for j := range relBenchChildren {
					u.Addresses.Append(&RAddress{Email: fmt.Sprintf("u%03d-%02d@example.com", i, j)})
				}
				check(b, s.Add(u))
			}
			check(b, s.Commit(ctx))
			check(b, s.Close(ctx))
			fn(b, ctx, eng)
		})
	}
}

type rawUser struct {
	ID                       int64
	Name, Fullname, Nickname string
	Addresses                []*rawAddress
}

type rawAddress struct {
	ID     int64
	Email  string
	UserID *int64
}

func verify(b *testing.B, users int, children int) {
	if users != relBenchParents || children != relBenchParents*relBenchChildren {
		b.Helper()
		b.Fatalf("loaded %d users and %d addresses", users, children)
	}
}

func BenchmarkRelSelectIn(b *testing.B) {
	relBenchEach(b, func(b *testing.B, ctx context.Context, eng *engine.Engine) {
		b.Run("arc", func(b *testing.B) {
			q := session.Select[RUser]().Options(relations.SelectIn(&U.Addresses))
			reportCPU(b)
			for b.Loop() {
				s := session.New(eng)
				users, err := q.All(session.With(ctx, s))
				check(b, err)
				n := 0
				for _, u := range users {
					n += u.Addresses.Len()
				}
				verify(b, len(users), n)
				check(b, s.Close(ctx))
			}
		})
		b.Run("arc-two-plain-queries", func(b *testing.B) {
			// The session's own cost: the same two queries as entity
			// queries, without relationship bookkeeping.
			qu := session.Select[RUser]()
			reportCPU(b)
			for b.Loop() {
				s := session.New(eng)
				c := session.With(ctx, s)
				users, err := qu.All(c)
				check(b, err)
				ids := make([]*int64, len(users))
				for i, u := range users {
					ids[i] = &u.ID
				}
				addrs, err := session.Select[RAddress]().Where(expr.In(&A.UserID, ids...)).OrderBy(&A.ID).All(c)
				check(b, err)
				verify(b, len(users), len(addrs))
				check(b, s.Close(ctx))
			}
		})
		b.Run("raw", func(b *testing.B) {
			// What users write (issue 25): two unprepared queries in
			// autocommit on the pool.
			db := eng.DB()
			qu := "SELECT users.id, users.name, users.fullname, users.nickname FROM users"
			ph := strings.TrimSuffix(strings.Repeat("?, ", relBenchParents), ", ")
			qa := rebind(eng, "SELECT addresses.id, addresses.email_address, addresses.user_id FROM addresses WHERE addresses.user_id IN ("+ph+") ORDER BY addresses.id")
			reportCPU(b)
			for b.Loop() {
				rows, err := db.QueryContext(ctx, qu)
				check(b, err)
				var users []*rawUser
				byID := map[int64]*rawUser{}
				for rows.Next() {
					u := &rawUser{}
					check(b, rows.Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname))
					users = append(users, u)
					byID[u.ID] = u
				}
				check(b, rows.Err())
				rows.Close()
				args := make([]any, len(users))
				for i, u := range users {
					args[i] = u.ID
				}
				rows, err = db.QueryContext(ctx, qa, args...)
				check(b, err)
				n := 0
				for rows.Next() {
					a := &rawAddress{}
					check(b, rows.Scan(&a.ID, &a.Email, &a.UserID))
					byID[*a.UserID].Addresses = append(byID[*a.UserID].Addresses, a)
					n++
				}
				check(b, rows.Err())
				rows.Close()
				verify(b, len(users), n)
			}
		})
		b.Run("raw-prep-tx", func(b *testing.B) {
			// The earlier baseline: both statements prepared, in a
			// transaction.
			qu := mustPrepare(b, eng, "SELECT users.id, users.name, users.fullname, users.nickname FROM users")
			ph := strings.TrimSuffix(strings.Repeat("?, ", relBenchParents), ", ")
			qa := mustPrepare(b, eng, "SELECT addresses.id, addresses.email_address, addresses.user_id FROM addresses WHERE addresses.user_id IN ("+ph+") ORDER BY addresses.id")
			reportCPU(b)
			for b.Loop() {
				tx, err := eng.DB().BeginTx(ctx, nil)
				check(b, err)
				rows, err := tx.StmtContext(ctx, qu).QueryContext(ctx)
				check(b, err)
				var users []*rawUser
				byID := map[int64]*rawUser{}
				for rows.Next() {
					u := &rawUser{}
					check(b, rows.Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname))
					users = append(users, u)
					byID[u.ID] = u
				}
				check(b, rows.Err())
				rows.Close()
				args := make([]any, len(users))
				for i, u := range users {
					args[i] = u.ID
				}
				rows, err = tx.StmtContext(ctx, qa).QueryContext(ctx, args...)
				check(b, err)
				n := 0
				for rows.Next() {
					a := &rawAddress{}
					check(b, rows.Scan(&a.ID, &a.Email, &a.UserID))
					byID[*a.UserID].Addresses = append(byID[*a.UserID].Addresses, a)
					n++
				}
				check(b, rows.Err())
				rows.Close()
				check(b, tx.Rollback())
				verify(b, len(users), n)
			}
		})
	})
}

func BenchmarkRelJoined(b *testing.B) {
	relBenchEach(b, func(b *testing.B, ctx context.Context, eng *engine.Engine) {
		b.Run("arc", func(b *testing.B) {
			q := session.Select[RUser]().Options(relations.Joined(&U.Addresses))
			reportCPU(b)
			for b.Loop() {
				s := session.New(eng)
				users, handled, err := session.AllJoined(session.With(ctx, s), s, q)
				check(b, err)
				if !handled {
					b.Fatal("not run as one query")
				}
				n := 0
				for _, u := range users {
					n += u.Addresses.Len()
				}
				verify(b, len(users), n)
				check(b, s.Close(ctx))
			}
		})
		const joined = "SELECT users.id, users.name, users.fullname, users.nickname, addresses_1.id, addresses_1.email_address, addresses_1.user_id FROM users LEFT OUTER JOIN addresses AS addresses_1 ON users.id = addresses_1.user_id ORDER BY addresses_1.id"
		b.Run("raw", func(b *testing.B) {
			// What users write (issue 25): one unprepared query in
			// autocommit on the pool.
			reportCPU(b)
			for b.Loop() {
				rows, err := eng.DB().QueryContext(ctx, joined)
				check(b, err)
				users, n := rawJoined(b, rows)
				verify(b, users, n)
			}
		})
		b.Run("raw-prep-tx", func(b *testing.B) {
			// The earlier baseline: prepared, in a transaction.
			qj := mustPrepare(b, eng, joined)
			reportCPU(b)
			for b.Loop() {
				tx, err := eng.DB().BeginTx(ctx, nil)
				check(b, err)
				rows, err := tx.StmtContext(ctx, qj).QueryContext(ctx)
				check(b, err)
				users, n := rawJoined(b, rows)
				check(b, tx.Rollback())
				verify(b, users, n)
			}
		})
	})
}

// rawJoined reads the joined rows by hand into parents with their
// children; it returns the number of each.
func rawJoined(b *testing.B, rows *sql.Rows) (int, int) {
	var users []*rawUser
	byID := map[int64]*rawUser{}
	n := 0
	for rows.Next() {
		var u rawUser
		var aid sql.NullInt64
		var email sql.NullString
		var uid *int64
		check(b, rows.Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname, &aid, &email, &uid))
		p := byID[u.ID]
		if p == nil {
			p = &u
			byID[u.ID] = p
			users = append(users, p)
		}
		if aid.Valid {
			p.Addresses = append(p.Addresses, &rawAddress{ID: aid.Int64, Email: email.String, UserID: uid})
			n++
		}
	}
	check(b, rows.Err())
	rows.Close()
	return len(users), n
}

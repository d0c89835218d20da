package benchmarks

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/uptrace/bun"
	"gorm.io/gorm"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/session"
)

// Writes: every library does each write in a transaction of its own
// (BEGIN, statement, COMMIT), as Arc's unit of work and GORM's default
// transaction do, so the hand-written baselines do too.

const insertSQL = "INSERT INTO users (name, fullname, nickname) VALUES (?, ?, ?) RETURNING id"

// BenchmarkInsertOne: one new row, its generated key read back.
func BenchmarkInsertOne(b *testing.B) {
	ctx := context.Background()
	each(b, func(b *testing.B, e *env) {
		b.Run("raw", func(b *testing.B) {
			q := e.q(insertSQL)
			b.ReportAllocs()
			for b.Loop() {
				u := &RUser{Name: "new", Fullname: "New User", Nickname: "new"}
				tx, err := e.db.BeginTx(ctx, nil)
				check(b, err)
				u.ID, err = e.insertID(ctx, tx, q, u.Name, u.Fullname, u.Nickname)
				check(b, err)
				check(b, tx.Commit())
			}
		})
		b.Run("raw-prep", func(b *testing.B) {
			st, err := e.db.PrepareContext(ctx, e.q(insertSQL))
			check(b, err)
			defer st.Close()
			b.ReportAllocs()
			for b.Loop() {
				u := &RUser{Name: "new", Fullname: "New User", Nickname: "new"}
				tx, err := e.db.BeginTx(ctx, nil)
				check(b, err)
				u.ID, err = e.insertID(ctx, stmtQ{tx.StmtContext(ctx, st)}, "", u.Name, u.Fullname, u.Nickname)
				check(b, err)
				check(b, tx.Commit())
			}
		})
		b.Run("sqlx", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				u := &RUser{Name: "new", Fullname: "New User", Nickname: "new"}
				tx, err := e.sqlx.BeginTxx(ctx, nil)
				check(b, err)
				if e.my { // no RETURNING: the key from LastInsertId
					res, err := tx.NamedExecContext(ctx, "INSERT INTO users (name, fullname, nickname) VALUES (:name, :fullname, :nickname)", u)
					check(b, err)
					u.ID, err = res.LastInsertId()
					check(b, err)
				} else {
					rows, err := sqlx.NamedQueryContext(ctx, tx, "INSERT INTO users (name, fullname, nickname) VALUES (:name, :fullname, :nickname) RETURNING id", u)
					check(b, err)
					for rows.Next() {
						check(b, rows.Scan(&u.ID))
					}
					check(b, rows.Close())
				}
				check(b, tx.Commit())
			}
		})
		for _, g := range []struct {
			name string
			db   func() *gorm.DB
		}{{"gorm", func() *gorm.DB { return e.gorm }}, {"gorm-prep", func() *gorm.DB { return e.gormPrep }}} {
			b.Run(g.name, func(b *testing.B) {
				db := g.db().WithContext(ctx)
				b.ReportAllocs()
				for b.Loop() {
					u := &GUser{Name: "new", Fullname: "New User", Nickname: "new"}
					check(b, db.Create(u).Error)
					if u.ID == 0 {
						b.Fatal("no id")
					}
				}
			})
		}
		b.Run("bun", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				u := &BUser{Name: "new", Fullname: "New User", Nickname: "new"}
				check(b, e.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					_, err := tx.NewInsert().Model(u).Exec(ctx)
					return err
				}))
				if u.ID == 0 {
					b.Fatal("no id")
				}
			}
		})
		b.Run("arc", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s := arc.NewSession(e.eng)
				u := &User{Name: "new", Fullname: "New User", Nickname: "new"}
				check(b, s.Add(u))
				check(b, s.Commit(ctx))
				check(b, s.Close(ctx))
				if u.ID == 0 {
					b.Fatal("no id")
				}
			}
		})
	})
}

const batch = 100

func multiInsertSQL(n int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO users (name, fullname, nickname) VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?)")
	}
	sb.WriteString(" RETURNING id")
	return sb.String()
}

// BenchmarkInsert100: 100 new rows in one transaction, keys read back.
// raw and raw-prep send one multi-row INSERT … RETURNING id (the
// baseline); raw-prep-100x sends 100 single prepared INSERTs.
func BenchmarkInsert100(b *testing.B) {
	ctx := context.Background()
	each(b, func(b *testing.B, e *env) {
		multi := func(b *testing.B, x func(tx *sql.Tx) querier) {
			q := e.q(multiInsertSQL(batch))
			b.ReportAllocs()
			for b.Loop() {
				us := make([]*RUser, batch)
				args := make([]any, 0, 3*batch)
				for i := range us {
					us[i] = &RUser{Name: "bulk", Fullname: "Bulk User", Nickname: "bulk"}
					args = append(args, us[i].Name, us[i].Fullname, us[i].Nickname)
				}
				tx, err := e.db.BeginTx(ctx, nil)
				check(b, err)
				ids := make([]int64, batch)
				check(b, e.insertIDs(ctx, x(tx), q, ids, args...))
				for i, id := range ids {
					us[i].ID = id
				}
				check(b, tx.Commit())
			}
		}
		b.Run("raw", func(b *testing.B) {
			multi(b, func(tx *sql.Tx) querier { return tx })
		})
		b.Run("raw-prep", func(b *testing.B) {
			st, err := e.db.PrepareContext(ctx, e.q(multiInsertSQL(batch)))
			check(b, err)
			defer st.Close()
			multi(b, func(tx *sql.Tx) querier { return stmtQ{tx.StmtContext(ctx, st)} })
		})
		b.Run("raw-prep-100x", func(b *testing.B) {
			st, err := e.db.PrepareContext(ctx, e.q(insertSQL))
			check(b, err)
			defer st.Close()
			b.ReportAllocs()
			for b.Loop() {
				tx, err := e.db.BeginTx(ctx, nil)
				check(b, err)
				ts := stmtQ{tx.StmtContext(ctx, st)}
				for range batch {
					u := &RUser{Name: "bulk", Fullname: "Bulk User", Nickname: "bulk"}
					u.ID, err = e.insertID(ctx, ts, "", u.Name, u.Fullname, u.Nickname)
					check(b, err)
				}
				check(b, tx.Commit())
			}
		})
		b.Run("sqlx", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				us := make([]*RUser, batch)
				for i := range us {
					us[i] = &RUser{Name: "bulk", Fullname: "Bulk User", Nickname: "bulk"}
				}
				tx, err := e.sqlx.BeginTxx(ctx, nil)
				check(b, err)
				q, args, err := sqlx.Named(e.q("INSERT INTO users (name, fullname, nickname) VALUES (:name, :fullname, :nickname) RETURNING id"), us)
				check(b, err)
				ids := make([]int64, batch)
				check(b, e.insertIDs(ctx, tx, tx.Rebind(q), ids, args...))
				for i, id := range ids {
					us[i].ID = id
				}
				check(b, tx.Commit())
			}
		})
		for _, g := range []struct {
			name string
			db   func() *gorm.DB
		}{{"gorm", func() *gorm.DB { return e.gorm }}, {"gorm-prep", func() *gorm.DB { return e.gormPrep }}} {
			b.Run(g.name, func(b *testing.B) {
				db := g.db().WithContext(ctx)
				b.ReportAllocs()
				for b.Loop() {
					us := make([]*GUser, batch)
					for i := range us {
						us[i] = &GUser{Name: "bulk", Fullname: "Bulk User", Nickname: "bulk"}
					}
					check(b, db.Create(&us).Error)
					if us[batch-1].ID == 0 {
						b.Fatal("no id")
					}
				}
			})
		}
		b.Run("bun", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				us := make([]*BUser, batch)
				for i := range us {
					us[i] = &BUser{Name: "bulk", Fullname: "Bulk User", Nickname: "bulk"}
				}
				check(b, e.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					_, err := tx.NewInsert().Model(&us).Exec(ctx)
					return err
				}))
				if us[batch-1].ID == 0 {
					b.Fatal("no id")
				}
			}
		})
		b.Run("arc", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s := arc.NewSession(e.eng)
				us := make([]*User, batch)
				for i := range us {
					us[i] = &User{Name: "bulk", Fullname: "Bulk User", Nickname: "bulk"}
					check(b, s.Add(us[i]))
				}
				check(b, s.Commit(ctx))
				check(b, s.Close(ctx))
				if us[batch-1].ID == 0 {
					b.Fatal("no id")
				}
			}
		})
	})
}

// BenchmarkUpdate: set one column of one row whose object the code
// already holds. arc: the object stays in a session (loaded once, not
// expired on commit); each iteration changes it and commits (the flush
// sends UPDATE users SET fullname = ? WHERE id = ?). arc-load does what a
// request handler would: new session, Get (SELECT), change, commit.
func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	const id = 7
	names := [2]string{"Fullname Even", "Fullname Odd"}
	const updSQL = "UPDATE users SET fullname = ? WHERE id = ?"
	each(b, func(b *testing.B, e *env) {
		b.Run("raw", func(b *testing.B) {
			q := e.q(updSQL)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				tx, err := e.db.BeginTx(ctx, nil)
				check(b, err)
				res, err := tx.ExecContext(ctx, q, names[i&1], id)
				check(b, err)
				if n, _ := res.RowsAffected(); n != 1 {
					b.Fatal("no row")
				}
				check(b, tx.Commit())
			}
		})
		b.Run("raw-prep", func(b *testing.B) {
			st, err := e.db.PrepareContext(ctx, e.q(updSQL))
			check(b, err)
			defer st.Close()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				tx, err := e.db.BeginTx(ctx, nil)
				check(b, err)
				res, err := tx.StmtContext(ctx, st).ExecContext(ctx, names[i&1], id)
				check(b, err)
				if n, _ := res.RowsAffected(); n != 1 {
					b.Fatal("no row")
				}
				check(b, tx.Commit())
			}
		})
		b.Run("sqlx", func(b *testing.B) {
			u := &RUser{ID: id}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				u.Fullname = names[i&1]
				tx, err := e.sqlx.BeginTxx(ctx, nil)
				check(b, err)
				_, err = tx.NamedExecContext(ctx, "UPDATE users SET fullname = :fullname WHERE id = :id", u)
				check(b, err)
				check(b, tx.Commit())
			}
		})
		for _, g := range []struct {
			name string
			db   func() *gorm.DB
		}{{"gorm", func() *gorm.DB { return e.gorm }}, {"gorm-prep", func() *gorm.DB { return e.gormPrep }}} {
			b.Run(g.name, func(b *testing.B) {
				db := g.db().WithContext(ctx)
				u := &GUser{}
				check(b, db.Take(u, id).Error)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					check(b, db.Model(u).Update("fullname", names[i&1]).Error)
				}
			})
		}
		b.Run("bun", func(b *testing.B) {
			u := &BUser{ID: id}
			check(b, e.bun.NewSelect().Model(u).WherePK().Scan(ctx))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				u.Fullname = names[i&1]
				check(b, e.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					_, err := tx.NewUpdate().Model(u).Column("fullname").WherePK().Exec(ctx)
					return err
				}))
			}
		})
		b.Run("arc", func(b *testing.B) {
			s := arc.NewSession(e.eng, sessionNoExpire())
			defer s.Close(ctx)
			u, err := arc.Get[User](arc.WithSession(ctx, s), int64(id))
			check(b, err)
			check(b, s.Commit(ctx))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				u.Fullname = names[i&1]
				check(b, s.Commit(ctx))
			}
		})
		b.Run("arc-load", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				s := arc.NewSession(e.eng)
				u, err := arc.Get[User](arc.WithSession(ctx, s), int64(id))
				check(b, err)
				u.Fullname = names[i&1]
				check(b, s.Commit(ctx))
				check(b, s.Close(ctx))
			}
		})
	})
}

func sessionNoExpire() session.Option { return session.WithExpireOnCommit(false) }

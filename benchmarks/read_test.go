package benchmarks

import (
	"context"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"gorm.io/gorm"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/session"
)

// Reads run on the pool, outside any explicit transaction, except Arc's
// (and raw-prep-tx, the prepared statement inside one open transaction, to
// show what that costs):
// an Arc session runs its reads in its transaction (begun at the first
// query and kept open, SQLAlchemy's autobegin), so each arc benchmark
// keeps one session open and expunges what it loaded after every
// iteration: every iteration builds, snapshots and identity-maps new
// objects, as a fresh request would (an identity-map miss).

const (
	userCols   = "users.id, users.name, users.fullname, users.nickname"
	getSQL     = "SELECT " + userCols + " FROM users WHERE users.id = ?"
	filterSQL  = "SELECT " + userCols + " FROM users WHERE users.nickname = ?"
	countSQL   = "SELECT count(*) FROM users WHERE users.nickname = ?"
	streamSQL  = "SELECT " + userCols + " FROM users LIMIT ?"
	authorsSQL = "SELECT authors.id, authors.name FROM authors"
)

type gormVariant struct {
	name string
	db   func(e *env) *gorm.DB
}

var gorms = []gormVariant{
	{"gorm", func(e *env) *gorm.DB { return e.gorm }},
	{"gorm-prep", func(e *env) *gorm.DB { return e.gormPrep }},
}

// BenchmarkGet: one row by primary key. arc-hit finds the object in the
// session's identity map (no SQL); arc is a miss (SELECT).
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	each(b, func(b *testing.B, e *env) {
		b.Run("raw", func(b *testing.B) {
			q := e.q(getSQL)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				u := new(RUser)
				check(b, e.db.QueryRowContext(ctx, q, userID(i)).Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname))
			}
		})
		b.Run("raw-prep", func(b *testing.B) {
			st, err := e.db.PrepareContext(ctx, e.q(getSQL))
			check(b, err)
			defer st.Close()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				u := new(RUser)
				check(b, st.QueryRowContext(ctx, userID(i)).Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname))
			}
		})
		b.Run("raw-prep-tx", func(b *testing.B) {
			st, err := e.db.PrepareContext(ctx, e.q(getSQL))
			check(b, err)
			defer st.Close()
			tx, err := e.db.BeginTx(ctx, nil)
			check(b, err)
			defer tx.Rollback()
			ts := tx.StmtContext(ctx, st)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				u := new(RUser)
				check(b, ts.QueryRowContext(ctx, userID(i)).Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname))
			}
		})
		b.Run("sqlx", func(b *testing.B) {
			q := e.q(getSQL)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				u := new(RUser)
				check(b, e.sqlx.GetContext(ctx, u, q, userID(i)))
			}
		})
		for _, g := range gorms {
			b.Run(g.name, func(b *testing.B) {
				db := g.db(e).WithContext(ctx)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					u := new(GUser)
					check(b, db.Take(u, userID(i)).Error)
				}
			})
		}
		b.Run("bun", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				u := &BUser{ID: userID(i)}
				check(b, e.bun.NewSelect().Model(u).WherePK().Scan(ctx))
			}
		})
		b.Run("arc", func(b *testing.B) {
			s := arc.NewSession(e.eng)
			defer s.Close(ctx)
			sctx := arc.WithSession(ctx, s)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				u, err := arc.Get[User](sctx, userID(i))
				check(b, err)
				check(b, s.Expunge(u))
			}
		})
		b.Run("arc-hit", func(b *testing.B) {
			s := arc.NewSession(e.eng)
			defer s.Close(ctx)
			sctx := arc.WithSession(ctx, s)
			_, err := arc.Get[User](sctx, userID(0))
			check(b, err)
			b.ReportAllocs()
			for b.Loop() {
				_, err := arc.Get[User](sctx, userID(0))
				check(b, err)
			}
		})
	})
}

func scanUsers(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}, out []*RUser) ([]*RUser, error) {
	defer rows.Close()
	for rows.Next() {
		u := new(RUser)
		if err := rows.Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// BenchmarkRead100: WHERE nickname = ? (indexed), 100 rows into new
// structs.
func BenchmarkRead100(b *testing.B) {
	ctx := context.Background()
	each(b, func(b *testing.B, e *env) {
		b.Run("raw", func(b *testing.B) {
			q := e.q(filterSQL)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				rows, err := e.db.QueryContext(ctx, q, group(i))
				check(b, err)
				us, err := scanUsers(rows, nil)
				check(b, err)
				want(b, len(us), 100)
			}
		})
		b.Run("raw-prep", func(b *testing.B) {
			st, err := e.db.PrepareContext(ctx, e.q(filterSQL))
			check(b, err)
			defer st.Close()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				rows, err := st.QueryContext(ctx, group(i))
				check(b, err)
				us, err := scanUsers(rows, nil)
				check(b, err)
				want(b, len(us), 100)
			}
		})
		b.Run("raw-prep-tx", func(b *testing.B) {
			st, err := e.db.PrepareContext(ctx, e.q(filterSQL))
			check(b, err)
			defer st.Close()
			tx, err := e.db.BeginTx(ctx, nil)
			check(b, err)
			defer tx.Rollback()
			ts := tx.StmtContext(ctx, st)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				rows, err := ts.QueryContext(ctx, group(i))
				check(b, err)
				us, err := scanUsers(rows, nil)
				check(b, err)
				want(b, len(us), 100)
			}
		})
		b.Run("sqlx", func(b *testing.B) {
			q := e.q(filterSQL)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				var us []*RUser
				check(b, e.sqlx.SelectContext(ctx, &us, q, group(i)))
				want(b, len(us), 100)
			}
		})
		for _, g := range gorms {
			b.Run(g.name, func(b *testing.B) {
				db := g.db(e).WithContext(ctx)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					var us []*GUser
					check(b, db.Where("nickname = ?", group(i)).Find(&us).Error)
					want(b, len(us), 100)
				}
			})
		}
		b.Run("bun", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				var us []*BUser
				check(b, e.bun.NewSelect().Model(&us).Where("nickname = ?", group(i)).Scan(ctx))
				want(b, len(us), 100)
			}
		})
		U := arc.Cols[User]()
		b.Run("arc", func(b *testing.B) {
			s := arc.NewSession(e.eng)
			defer s.Close(ctx)
			sctx := arc.WithSession(ctx, s)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				us, err := arc.Select[User]().Where(arc.Eq(&U.Nickname, group(i))).All(sctx)
				check(b, err)
				want(b, len(us), 100)
				s.ExpungeAll()
			}
		})
		b.Run("arc-notrack", func(b *testing.B) {
			s := arc.NewSession(e.eng)
			defer s.Close(ctx)
			sctx := arc.WithSession(ctx, s)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				us, err := arc.Select[User]().Where(arc.Eq(&U.Nickname, group(i))).NoTrack().All(sctx)
				check(b, err)
				want(b, len(us), 100)
			}
		})
	})
}

// BenchmarkCount: count(*) with WHERE nickname = ? (100).
func BenchmarkCount(b *testing.B) {
	ctx := context.Background()
	each(b, func(b *testing.B, e *env) {
		b.Run("raw", func(b *testing.B) {
			q := e.q(countSQL)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				var n int64
				check(b, e.db.QueryRowContext(ctx, q, group(i)).Scan(&n))
				want(b, int(n), 100)
			}
		})
		b.Run("raw-prep", func(b *testing.B) {
			st, err := e.db.PrepareContext(ctx, e.q(countSQL))
			check(b, err)
			defer st.Close()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				var n int64
				check(b, st.QueryRowContext(ctx, group(i)).Scan(&n))
				want(b, int(n), 100)
			}
		})
		b.Run("sqlx", func(b *testing.B) {
			q := e.q(countSQL)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				var n int64
				check(b, e.sqlx.GetContext(ctx, &n, q, group(i)))
				want(b, int(n), 100)
			}
		})
		for _, g := range gorms {
			b.Run(g.name, func(b *testing.B) {
				db := g.db(e).WithContext(ctx)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					var n int64
					check(b, db.Model(&GUser{}).Where("nickname = ?", group(i)).Count(&n).Error)
					want(b, int(n), 100)
				}
			})
		}
		b.Run("bun", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				n, err := e.bun.NewSelect().Model((*BUser)(nil)).Where("nickname = ?", group(i)).Count(ctx)
				check(b, err)
				want(b, int(n), 100)
			}
		})
		U := arc.Cols[User]()
		b.Run("arc", func(b *testing.B) {
			s := arc.NewSession(e.eng)
			defer s.Close(ctx)
			sctx := arc.WithSession(ctx, s)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				n, err := arc.Select[User]().Where(arc.Eq(&U.Nickname, group(i))).Count(sctx)
				check(b, err)
				want(b, int(n), 100)
			}
		})
	})
}

// BenchmarkRelations: 100 authors with 10 books each, children attached
// to their parents. The baseline is the hand-written pair of queries
// (authors; books WHERE author_id IN (…100 keys…)) with the grouping by
// hand. arc: SelectIn and Joined options; GORM Preload; bun Relation.
func BenchmarkRelations(b *testing.B) {
	ctx := context.Background()
	ph := strings.TrimSuffix(strings.Repeat("?, ", nAuthors), ", ")
	booksSQL := "SELECT books.id, books.title, books.author_id FROM books WHERE books.author_id IN (" + ph + ")"
	verify := func(b *testing.B, parents, children int) {
		if parents != nAuthors || children != nAuthors*nBooksPer {
			b.Helper()
			b.Fatalf("loaded %d parents and %d children", parents, children)
		}
	}
	each(b, func(b *testing.B, e *env) {
		hand := func(b *testing.B, qa, qb func(args ...any) (rowsLike, error)) {
			b.ReportAllocs()
			for b.Loop() {
				rows, err := qa()
				check(b, err)
				var as []*RAuthor
				byID := make(map[int64]*RAuthor, nAuthors)
				for rows.Next() {
					a := new(RAuthor)
					check(b, rows.Scan(&a.ID, &a.Name))
					as = append(as, a)
					byID[a.ID] = a
				}
				check(b, rows.Err())
				check(b, rows.Close())
				args := make([]any, len(as))
				for i, a := range as {
					args[i] = a.ID
				}
				rows, err = qb(args...)
				check(b, err)
				n := 0
				for rows.Next() {
					bk := new(RBook)
					check(b, rows.Scan(&bk.ID, &bk.Title, &bk.AuthorID))
					p := byID[bk.AuthorID]
					p.Books = append(p.Books, bk)
					n++
				}
				check(b, rows.Err())
				check(b, rows.Close())
				verify(b, len(as), n)
			}
		}
		b.Run("raw", func(b *testing.B) {
			qa, qb := e.q(authorsSQL), e.q(booksSQL)
			hand(b, func(args ...any) (rowsLike, error) { return e.db.QueryContext(ctx, qa, args...) },
				func(args ...any) (rowsLike, error) { return e.db.QueryContext(ctx, qb, args...) })
		})
		b.Run("raw-prep", func(b *testing.B) {
			sa, err := e.db.PrepareContext(ctx, e.q(authorsSQL))
			check(b, err)
			defer sa.Close()
			sb, err := e.db.PrepareContext(ctx, e.q(booksSQL))
			check(b, err)
			defer sb.Close()
			hand(b, func(args ...any) (rowsLike, error) { return sa.QueryContext(ctx, args...) },
				func(args ...any) (rowsLike, error) { return sb.QueryContext(ctx, args...) })
		})
		b.Run("sqlx", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var as []*RAuthor
				check(b, e.sqlx.SelectContext(ctx, &as, authorsSQL))
				ids := make([]int64, len(as))
				byID := make(map[int64]*RAuthor, len(as))
				for i, a := range as {
					ids[i] = a.ID
					byID[a.ID] = a
				}
				q, args, err := sqlx.In("SELECT books.id, books.title, books.author_id FROM books WHERE books.author_id IN (?)", ids)
				check(b, err)
				var bs []*RBook
				check(b, e.sqlx.SelectContext(ctx, &bs, e.sqlx.Rebind(q), args...))
				for _, bk := range bs {
					p := byID[bk.AuthorID]
					p.Books = append(p.Books, bk)
				}
				verify(b, len(as), len(bs))
			}
		})
		for _, g := range gorms {
			b.Run(g.name, func(b *testing.B) {
				db := g.db(e).WithContext(ctx)
				b.ReportAllocs()
				for b.Loop() {
					var as []*GAuthor
					check(b, db.Preload("Books").Find(&as).Error)
					n := 0
					for _, a := range as {
						n += len(a.Books)
					}
					verify(b, len(as), n)
				}
			})
		}
		b.Run("bun", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var as []*BAuthor
				check(b, e.bun.NewSelect().Model(&as).Relation("Books").Scan(ctx))
				n := 0
				for _, a := range as {
					n += len(a.Books)
				}
				verify(b, len(as), n)
			}
		})
		A := arc.Cols[Author]()
		for _, v := range []struct {
			name string
			opt  func() session.LoadOption
		}{
			{"arc-selectin", func() session.LoadOption { return arc.SelectIn(&A.Books) }},
			{"arc-joined", func() session.LoadOption { return arc.Joined(&A.Books) }},
		} {
			b.Run(v.name, func(b *testing.B) {
				s := arc.NewSession(e.eng)
				defer s.Close(ctx)
				sctx := arc.WithSession(ctx, s)
				b.ReportAllocs()
				for b.Loop() {
					as, err := arc.Select[Author]().Options(v.opt()).All(sctx)
					check(b, err)
					n := 0
					for _, a := range as {
						n += a.Books.Len()
					}
					verify(b, len(as), n)
					s.ExpungeAll()
				}
			})
		}
	})
}

type rowsLike interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}

package benchmarks

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx": the driver item 2 of issue 25 compares with lib/pq
	"github.com/jmoiron/sqlx"
	"github.com/uptrace/bun"
	"gorm.io/gorm"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/engine"
)

// The five everyday operations (issue 25, item 7), each written the way a
// user of each library writes it, every write in autocommit unless the
// library itself opens a transaction (GORM does by default; Arc's unit of
// work does when its flush has more than one statement):
//
//	insert1    insert one row, read its generated id back
//	insert100  insert 100 rows, ids read back
//	update     update one column of one row by its key
//	get        read one row by its key
//	read100    read 100 rows: WHERE id > ? ORDER BY id LIMIT 100 (keyset
//	           paging; without the ORDER BY, PostgreSQL picks a
//	           sequential scan for some keys and the time measures the
//	           planner's luck, 10× apart, not the library)
//
// Libraries ("raw", unprepared autocommit database/sql, is the baseline of
// every ratio): raw-prep (the statement prepared once on the pool), sqlx,
// gorm, gorm-prep (PrepareStmt: true), bun, arc (arc.Open, a fresh session
// per operation: Add+Commit, Get, Select...All; update is Get, change,
// Commit), arc-query (update only: arc.Where(...).Update without a
// session, one UPDATE in autocommit) and arc-new (engine.New over the same *sql.DB the peers
// use; the only Arc on pgx).
//
// Dialects: sqlite (file, WAL), postgres (lib/pq), pgx (PostgreSQL
// through github.com/jackc/pgx/v5/stdlib; every library on the same pool)
// and mysql (MariaDB/MySQL through go-sql-driver/mysql, the DSN options
// Arc's mysql dialect sets). On MySQL the hand-written inserts (raw,
// raw-prep, sqlx) send no RETURNING and read the key from LastInsertId
// (the first of a multi-row INSERT, the rest consecutive), as MySQL code
// is written and MySQL itself requires; GORM and bun use MariaDB's
// INSERT … RETURNING, which they detect from the server version.
//
// BenchmarkEveryday runs EVERYDAY_ROUNDS rounds (default 8) in one
// process; each round runs every (dialect, operation, library) once, so
// the libraries of one operation run seconds apart and cmd/everyday
// divides each by raw of the same round (paired ratios). `make
// bench-everyday` runs it and prints the table of docs/performance.md.

var everydayOps = []string{"insert1", "insert100", "update", "get", "read100"}

var everydayLibs = map[string][]string{
	"sqlite":   {"raw", "raw-prep", "sqlx", "gorm", "gorm-prep", "bun", "arc", "arc-query"},
	"postgres": {"raw", "raw-prep", "sqlx", "gorm", "gorm-prep", "bun", "arc", "arc-query", "arc-new"},
	"pgx":      {"raw", "raw-prep", "sqlx", "gorm", "gorm-prep", "bun", "arc-new"},
	"mysql":    {"raw", "raw-prep", "sqlx", "gorm", "gorm-prep", "bun", "arc", "arc-query", "arc-new"},
}

// libs is every library's handle on one database.
type libs struct {
	sqlKind
	dialect  string
	db       *sql.DB
	sqlx     *sqlx.DB
	gorm     *gorm.DB
	gormPrep *gorm.DB
	bun      *bun.DB
	arc      *arc.Engine // arc.Open(url), nil on pgx
	arcNew   *arc.Engine // engine.New(db)
	prep     map[string]*sql.Stmt
	closers  []func()
}

func (l *libs) close() {
	for i := len(l.closers) - 1; i >= 0; i-- {
		l.closers[i]()
	}
}

const (
	edSelectOne = "SELECT id, name, fullname, nickname FROM users WHERE id = ?"
	edSelect100 = "SELECT id, name, fullname, nickname FROM users WHERE id > ? ORDER BY id LIMIT 100"
	edUpdate    = "UPDATE users SET fullname = ? WHERE id = ?"
)

// newLibs opens every library on the database reached by driver and dsn
// (arcURL: the same database as an Arc URL, "" for none).
func newLibs(ctx context.Context, dialect, driverName, dsn, arcURL string) (*libs, error) {
	l := &libs{dialect: dialect, prep: map[string]*sql.Stmt{}}
	l.pg = dialect == "postgres" || dialect == "pgx"
	l.my = dialect == "mysql"
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(4)
	l.db = db
	l.closers = append(l.closers, func() { db.Close() })
	if err := db.PingContext(ctx); err != nil {
		l.close()
		return nil, err
	}
	for _, s := range []string{insertSQL, multiInsertSQL(batch), edSelectOne, edSelect100, edUpdate} {
		st, err := db.PrepareContext(ctx, l.q(s))
		if err != nil {
			l.close()
			return nil, fmt.Errorf("prepare %q: %w", s, err)
		}
		l.prep[s] = st
		l.closers = append(l.closers, func() { st.Close() })
	}
	if l.sqlx, l.gorm, l.gormPrep, l.bun, err = l.peers(db); err != nil {
		l.close()
		return nil, err
	}
	dn := "sqlite"
	switch {
	case l.pg:
		dn = "postgres"
	case l.my:
		dn = "mysql"
	}
	if l.arcNew, err = engine.New(db, dn); err != nil {
		l.close()
		return nil, err
	}
	if arcURL != "" {
		if l.arc, err = arc.Open(ctx, arcURL); err != nil {
			l.close()
			return nil, err
		}
		l.closers = append(l.closers, func() { l.arc.Close() })
	}
	return l, nil
}

var everydayLibsCache = map[string]*libs{}

// getLibs opens (once per process) the libraries on the seeded database of
// the dialect, getEnv's (pgx: the postgres schema through pgx), on a pool
// of their own.
func getLibs(ctx context.Context, dialect string) (*libs, error) {
	if l := everydayLibsCache[dialect]; l != nil {
		return l, nil
	}
	envName := dialect
	if dialect == "pgx" {
		envName = "postgres" // the same schema, reached through pgx
	}
	e, err := getEnv(envName)
	if err != nil {
		return nil, err
	}
	driverName, arcURL := "sqlite3", e.arcURL
	switch dialect {
	case "postgres":
		driverName = "postgres"
	case "pgx":
		driverName, arcURL = "pgx", ""
	case "mysql":
		driverName = "mysql"
	}
	l, err := newLibs(ctx, dialect, driverName, e.dsn, arcURL)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, l.close)
	everydayLibsCache[dialect] = l
	return l, nil
}

// edSeq makes every iteration's key and value differ from the last (an
// update always changes the row, so every library sends its UPDATE).
var edSeq atomic.Int64

// edOp returns the operation op of library lib, or nil if it has none.
func edOp(l *libs, op, lib string) func(ctx context.Context) error {
	raw := func(s string) string { return l.q(s) }
	switch op + "/" + lib {
	// insert one row, id back
	case "insert1/raw", "insert1/raw-prep":
		var x querier = l.db
		if lib == "raw-prep" {
			x = stmtQ{l.prep[insertSQL]}
		}
		q := raw(insertSQL)
		return func(ctx context.Context) error {
			u := &RUser{Name: "new", Fullname: "New User", Nickname: "new"}
			var err error
			if u.ID, err = l.insertID(ctx, x, q, u.Name, u.Fullname, u.Nickname); err != nil {
				return err
			}
			return nonZero(u.ID)
		}
	case "insert1/sqlx":
		if l.my { // no RETURNING: the key from LastInsertId
			return func(ctx context.Context) error {
				u := &RUser{Name: "new", Fullname: "New User", Nickname: "new"}
				res, err := l.sqlx.NamedExecContext(ctx, "INSERT INTO users (name, fullname, nickname) VALUES (:name, :fullname, :nickname)", u)
				if err != nil {
					return err
				}
				if u.ID, err = res.LastInsertId(); err != nil {
					return err
				}
				return nonZero(u.ID)
			}
		}
		return func(ctx context.Context) error {
			u := &RUser{Name: "new", Fullname: "New User", Nickname: "new"}
			rows, err := l.sqlx.NamedQueryContext(ctx, "INSERT INTO users (name, fullname, nickname) VALUES (:name, :fullname, :nickname) RETURNING id", u)
			if err != nil {
				return err
			}
			for rows.Next() {
				if err := rows.Scan(&u.ID); err != nil {
					return err
				}
			}
			if err := rows.Close(); err != nil {
				return err
			}
			return nonZero(u.ID)
		}
	case "insert1/gorm", "insert1/gorm-prep":
		g := l.gormOf(lib)
		return func(ctx context.Context) error {
			u := &GUser{Name: "new", Fullname: "New User", Nickname: "new"}
			if err := g.WithContext(ctx).Create(u).Error; err != nil {
				return err
			}
			return nonZero(u.ID)
		}
	case "insert1/bun":
		return func(ctx context.Context) error {
			u := &BUser{Name: "new", Fullname: "New User", Nickname: "new"}
			if _, err := l.bun.NewInsert().Model(u).Exec(ctx); err != nil {
				return err
			}
			return nonZero(u.ID)
		}
	case "insert1/arc", "insert1/arc-new":
		eng := l.arcOf(lib)
		if eng == nil {
			return nil
		}
		return func(ctx context.Context) error {
			s := arc.NewSession(eng)
			defer s.Close(ctx)
			u := &User{Name: "new", Fullname: "New User", Nickname: "new"}
			if err := s.Add(u); err != nil {
				return err
			}
			if err := s.Commit(ctx); err != nil {
				return err
			}
			return nonZero(u.ID)
		}

	// insert 100 rows, ids back
	case "insert100/raw", "insert100/raw-prep":
		var x querier = l.db
		if lib == "raw-prep" {
			x = stmtQ{l.prep[multiInsertSQL(batch)]}
		}
		q := raw(multiInsertSQL(batch))
		return func(ctx context.Context) error {
			us := make([]RUser, batch)
			args := make([]any, 0, 3*batch)
			for i := range us {
				us[i] = RUser{Name: "bulk", Fullname: "Bulk User", Nickname: "bulk"}
				args = append(args, us[i].Name, us[i].Fullname, us[i].Nickname)
			}
			ids := make([]int64, batch)
			if err := l.insertIDs(ctx, x, q, ids, args...); err != nil {
				return err
			}
			for i := range us {
				us[i].ID = ids[i]
			}
			return nil
		}
	case "insert100/sqlx":
		return func(ctx context.Context) error {
			us := make([]RUser, batch)
			for i := range us {
				us[i] = RUser{Name: "bulk", Fullname: "Bulk User", Nickname: "bulk"}
			}
			q, args, err := sqlx.Named(l.q("INSERT INTO users (name, fullname, nickname) VALUES (:name, :fullname, :nickname) RETURNING id"), us)
			if err != nil {
				return err
			}
			ids := make([]int64, batch)
			if err := l.insertIDs(ctx, l.sqlx, l.sqlx.Rebind(q), ids, args...); err != nil {
				return err
			}
			for i := range us {
				us[i].ID = ids[i]
			}
			return nil
		}
	case "insert100/gorm", "insert100/gorm-prep":
		g := l.gormOf(lib)
		return func(ctx context.Context) error {
			us := make([]GUser, batch)
			for i := range us {
				us[i] = GUser{Name: "bulk", Fullname: "Bulk User", Nickname: "bulk"}
			}
			if err := g.WithContext(ctx).Create(&us).Error; err != nil {
				return err
			}
			return nonZero(us[batch-1].ID)
		}
	case "insert100/bun":
		return func(ctx context.Context) error {
			us := make([]BUser, batch)
			for i := range us {
				us[i] = BUser{Name: "bulk", Fullname: "Bulk User", Nickname: "bulk"}
			}
			if _, err := l.bun.NewInsert().Model(&us).Exec(ctx); err != nil {
				return err
			}
			return nonZero(us[batch-1].ID)
		}
	case "insert100/arc", "insert100/arc-new":
		eng := l.arcOf(lib)
		if eng == nil {
			return nil
		}
		return func(ctx context.Context) error {
			s := arc.NewSession(eng)
			defer s.Close(ctx)
			us := make([]*User, batch)
			for i := range us {
				us[i] = &User{Name: "bulk", Fullname: "Bulk User", Nickname: "bulk"}
				if err := s.Add(us[i]); err != nil {
					return err
				}
			}
			if err := s.Commit(ctx); err != nil {
				return err
			}
			return nonZero(us[batch-1].ID)
		}

	// update one column of one row by key
	case "update/raw", "update/raw-prep", "update/sqlx":
		q, st := raw(edUpdate), l.prep[edUpdate]
		return func(ctx context.Context) error {
			n := edSeq.Add(1)
			var res sql.Result
			var err error
			switch lib {
			case "raw":
				res, err = l.db.ExecContext(ctx, q, "Fullname "+strconv.FormatInt(n, 10), userID(int(n)))
			case "raw-prep":
				res, err = st.ExecContext(ctx, "Fullname "+strconv.FormatInt(n, 10), userID(int(n)))
			default:
				res, err = l.sqlx.ExecContext(ctx, l.sqlx.Rebind(edUpdate), "Fullname "+strconv.FormatInt(n, 10), userID(int(n)))
			}
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			return wantN(int(k), 1)
		}
	case "update/gorm", "update/gorm-prep":
		g := l.gormOf(lib)
		return func(ctx context.Context) error {
			n := edSeq.Add(1)
			r := g.WithContext(ctx).Model(&GUser{ID: userID(int(n))}).Update("fullname", "Fullname "+strconv.FormatInt(n, 10))
			if r.Error != nil {
				return r.Error
			}
			return wantN(int(r.RowsAffected), 1)
		}
	case "update/bun":
		return func(ctx context.Context) error {
			n := edSeq.Add(1)
			u := &BUser{ID: userID(int(n)), Fullname: "Fullname " + strconv.FormatInt(n, 10)}
			res, err := l.bun.NewUpdate().Model(u).Column("fullname").WherePK().Exec(ctx)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			return wantN(int(k), 1)
		}
	case "update/arc", "update/arc-new":
		eng := l.arcOf(lib)
		if eng == nil {
			return nil
		}
		return func(ctx context.Context) error {
			n := edSeq.Add(1)
			s := arc.NewSession(eng)
			defer s.Close(ctx)
			u, err := arc.Get[User](arc.WithSession(ctx, s), userID(int(n)))
			if err != nil {
				return err
			}
			u.Fullname = "Fullname " + strconv.FormatInt(n, 10)
			return s.Commit(ctx)
		}
	case "update/arc-query":
		if l.arc == nil {
			return nil
		}
		U := arc.Cols[User]()
		eng := l.arc
		return func(ctx context.Context) error {
			n := edSeq.Add(1)
			// The active-record form without a session (Rails' update_all):
			// one UPDATE in autocommit, as GORM's and bun's rows send.
			k, err := arc.Where[User](arc.Eq(&U.ID, userID(int(n)))).Update(arc.WithEngine(ctx, eng), arc.P{"fullname": "Fullname " + strconv.FormatInt(n, 10)})
			if err != nil {
				return err
			}
			return wantN(int(k), 1)
		}

	// read one row by key
	case "get/raw", "get/raw-prep":
		q, st := raw(edSelectOne), l.prep[edSelectOne]
		return func(ctx context.Context) error {
			var u RUser
			id := userID(int(edSeq.Add(1)))
			var row *sql.Row
			if lib == "raw" {
				row = l.db.QueryRowContext(ctx, q, id)
			} else {
				row = st.QueryRowContext(ctx, id)
			}
			return row.Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname)
		}
	case "get/sqlx":
		q := l.sqlx.Rebind(edSelectOne)
		return func(ctx context.Context) error {
			var u RUser
			return l.sqlx.GetContext(ctx, &u, q, userID(int(edSeq.Add(1))))
		}
	case "get/gorm", "get/gorm-prep":
		g := l.gormOf(lib)
		return func(ctx context.Context) error {
			var u GUser
			return g.WithContext(ctx).First(&u, userID(int(edSeq.Add(1)))).Error
		}
	case "get/bun":
		return func(ctx context.Context) error {
			u := &BUser{ID: userID(int(edSeq.Add(1)))}
			return l.bun.NewSelect().Model(u).WherePK().Scan(ctx)
		}
	case "get/arc", "get/arc-new":
		eng := l.arcOf(lib)
		if eng == nil {
			return nil
		}
		return func(ctx context.Context) error {
			s := arc.NewSession(eng)
			defer s.Close(ctx)
			_, err := arc.Get[User](arc.WithSession(ctx, s), userID(int(edSeq.Add(1))))
			return err
		}

	// read 100 rows
	case "read100/raw", "read100/raw-prep":
		q, st := raw(edSelect100), l.prep[edSelect100]
		return func(ctx context.Context) error {
			after := read100After()
			var rows *sql.Rows
			var err error
			if lib == "raw" {
				rows, err = l.db.QueryContext(ctx, q, after)
			} else {
				rows, err = st.QueryContext(ctx, after)
			}
			if err != nil {
				return err
			}
			defer rows.Close()
			us := make([]RUser, 0, 100)
			for rows.Next() {
				var u RUser
				if err := rows.Scan(&u.ID, &u.Name, &u.Fullname, &u.Nickname); err != nil {
					return err
				}
				us = append(us, u)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			return wantN(len(us), 100)
		}
	case "read100/sqlx":
		q := l.sqlx.Rebind(edSelect100)
		return func(ctx context.Context) error {
			var us []RUser
			if err := l.sqlx.SelectContext(ctx, &us, q, read100After()); err != nil {
				return err
			}
			return wantN(len(us), 100)
		}
	case "read100/gorm", "read100/gorm-prep":
		g := l.gormOf(lib)
		return func(ctx context.Context) error {
			var us []GUser
			if err := g.WithContext(ctx).Where("id > ?", read100After()).Order("id").Limit(100).Find(&us).Error; err != nil {
				return err
			}
			return wantN(len(us), 100)
		}
	case "read100/bun":
		return func(ctx context.Context) error {
			var us []BUser
			if err := l.bun.NewSelect().Model(&us).Where("id > ?", read100After()).Order("id").Limit(100).Scan(ctx); err != nil {
				return err
			}
			return wantN(len(us), 100)
		}
	case "read100/arc", "read100/arc-new":
		eng := l.arcOf(lib)
		if eng == nil {
			return nil
		}
		U := arc.Cols[User]()
		return func(ctx context.Context) error {
			s := arc.NewSession(eng)
			defer s.Close(ctx)
			us, err := arc.Select[User]().Where(arc.Gt(&U.ID, read100After())).OrderBy(arc.Asc(&U.ID)).Limit(100).All(arc.WithSession(ctx, s))
			if err != nil {
				return err
			}
			return wantN(len(us), 100)
		}
	}
	return nil
}

func (l *libs) gormOf(lib string) *gorm.DB {
	if lib == "gorm-prep" {
		return l.gormPrep
	}
	return l.gorm
}

func (l *libs) arcOf(lib string) *arc.Engine {
	if lib == "arc-new" {
		return l.arcNew
	}
	return l.arc
}

// read100After is the key read100 reads after: 100 seeded rows follow it.
func read100After() int64 { return int64(edSeq.Add(1)*101) % (nUsers - 200) }

func nonZero(id int64) error {
	if id == 0 {
		return fmt.Errorf("no id read back")
	}
	return nil
}

func wantN(got, n int) error {
	if got != n {
		return fmt.Errorf("got %d rows, want %d", got, n)
	}
	return nil
}

// BenchmarkEveryday: the five operations × every library × every dialect,
// in EVERYDAY_ROUNDS interleaved rounds (names repeat; go test numbers
// them #01, #02 …, which cmd/everyday strips). Run with a short
// fixed -benchtime (make bench-everyday: 30x, so that one stall, such as
// a WAL checkpoint, is amortised; a time-based one runs it once).
func BenchmarkEveryday(b *testing.B) {
	ctx := context.Background()
	rounds := 8
	if v, err := strconv.Atoi(os.Getenv("EVERYDAY_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	ds := everydayDialects()
	for r := range rounds {
		// The machine is shared: each round records when it ran and
		// the load average then (cmd/everyday prints their range).
		fmt.Printf("# round %d of %d, %s, load: %s\n", r+1, rounds, time.Now().UTC().Format("2006-01-02 15:04:05 UTC"), loadAvg())
		for _, d := range ds {
			l, err := getLibs(ctx, d)
			if err != nil {
				b.Logf("%s: %v (skipped)", d, err)
				continue
			}
			for _, op := range everydayOps {
				for _, lib := range everydayLibs[d] {
					fn := edOp(l, op, lib)
					if fn == nil {
						continue
					}
					b.Run(d+"/"+op+"/"+lib, func(b *testing.B) {
						b.ReportAllocs()
						for b.Loop() {
							if err := fn(ctx); err != nil {
								b.Fatalf("%s %s %s: %v", d, op, lib, err)
							}
						}
					})
				}
			}
		}
	}
}

// loadAvg is the 1, 5 and 15 minute load averages, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// everydayDialects: BENCH_DIALECTS (sqlite, postgres, pgx, mysql), all
// four by default.
func everydayDialects() []string {
	if v := os.Getenv("BENCH_DIALECTS"); v != "" {
		return dialects // TestMain split it
	}
	return []string{"sqlite", "postgres", "pgx", "mysql"}
}

package benchmarks

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql" // "mysql", shared by every library
	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"           // "postgres", shared by every library
	_ "github.com/mattn/go-sqlite3" // "sqlite3", shared by every library
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	gormmysql "gorm.io/driver/mysql"
	gormpg "gorm.io/driver/postgres"
	gormsqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/arcorm/arc"
	arcmysql "github.com/arcorm/arc/dialect/mysql"
	"github.com/arcorm/arc/engine"
)

// Table sizes.
const (
	nUsers    = 100_000 // streamed whole; nickname groups of 100
	nGroups   = nUsers / 100
	nAuthors  = 100
	nBooksPer = 10
)

// sqlKind is how hand-written SQL differs between the databases: $n
// placeholders on PostgreSQL; on MySQL/MariaDB no RETURNING, the new key
// read from LastInsertId as MySQL code writes it (MariaDB has INSERT …
// RETURNING, MySQL has not; the baseline is the form both run).
type sqlKind struct {
	pg bool // PostgreSQL (lib/pq or pgx)
	my bool // MySQL/MariaDB (go-sql-driver/mysql)
}

// env is one dialect's database, reached by every library through the
// same *sql.DB.
type env struct {
	sqlKind
	name     string
	db       *sql.DB
	eng      *arc.Engine
	sqlx     *sqlx.DB
	gorm     *gorm.DB
	gormPrep *gorm.DB
	bun      *bun.DB
	file     string // SQLite: the database file
	dsn      string // the driver's DSN (PostgreSQL: with search_path; MySQL: the bench database)
	arcURL   string // the same database as an Arc URL
}

// q adapts hand-written SQL (? placeholders, INSERT … RETURNING id) to
// the database: $n placeholders on PostgreSQL; on MySQL the RETURNING
// clause is dropped (insertIDs reads LastInsertId instead).
func (k sqlKind) q(s string) string {
	if k.my {
		return strings.TrimSuffix(s, " RETURNING id")
	}
	if !k.pg {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// querier is a *sql.DB, *sql.Tx, *sqlx.DB or a prepared statement
// (stmtQ).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmtQ makes a prepared statement a querier (the query text is ignored).
type stmtQ struct{ st *sql.Stmt }

func (s stmtQ) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return s.st.ExecContext(ctx, args...)
}

func (s stmtQ) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return s.st.QueryContext(ctx, args...)
}

func (s stmtQ) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return s.st.QueryRowContext(ctx, args...)
}

// insertIDs runs an INSERT of len(ids) rows (query already adapted by q)
// and stores the generated keys in ids: RETURNING id read back, or on
// MySQL the statement's LastInsertId, the first key of a multi-row
// INSERT, and the following ones (consecutive for one multi-row INSERT
// under innodb_autoinc_lock_mode 0 or 1, the default 1 of MariaDB 10.11
// here, as GORM and bun also assume).
func (k sqlKind) insertIDs(ctx context.Context, x querier, query string, ids []int64, args ...any) error {
	if k.my {
		res, err := x.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		first, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || int(n) != len(ids) {
			return fmt.Errorf("inserted %d rows (%v), want %d", n, err, len(ids))
		}
		for i := range ids {
			ids[i] = first + int64(i)
		}
		return nil
	}
	rows, err := x.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		if i == len(ids) {
			return fmt.Errorf("more than %d keys returned", len(ids))
		}
		if err := rows.Scan(&ids[i]); err != nil {
			return err
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if i != len(ids) {
		return fmt.Errorf("got %d keys, want %d", i, len(ids))
	}
	return rows.Close()
}

// insertID is insertIDs for one row (QueryRow…Scan where RETURNING).
func (k sqlKind) insertID(ctx context.Context, x querier, query string, args ...any) (int64, error) {
	var id int64
	if !k.my {
		err := x.QueryRowContext(ctx, query, args...).Scan(&id)
		return id, err
	}
	res, err := x.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// sqlxDriver is the driver name sqlx picks its bind style by.
func (k sqlKind) sqlxDriver() string {
	switch {
	case k.pg:
		return "postgres"
	case k.my:
		return "mysql"
	}
	return "sqlite3"
}

// peers opens sqlx, GORM (without and with PrepareStmt) and bun on db.
func (k sqlKind) peers(db *sql.DB) (sx *sqlx.DB, g, gPrep *gorm.DB, bd *bun.DB, err error) {
	sx = sqlx.NewDb(db, k.sqlxDriver())
	for _, prep := range []bool{false, true} {
		var d gorm.Dialector
		switch {
		case k.pg:
			d = gormpg.New(gormpg.Config{Conn: db})
		case k.my:
			d = gormmysql.New(gormmysql.Config{Conn: db})
		default:
			d = gormsqlite.New(gormsqlite.Config{Conn: db})
		}
		gd, err := gorm.Open(d, &gorm.Config{PrepareStmt: prep, Logger: logger.Default.LogMode(logger.Silent)})
		if err != nil {
			return nil, nil, nil, nil, err
		}
		if prep {
			gPrep = gd
		} else {
			g = gd
		}
	}
	switch {
	case k.pg:
		bd = bun.NewDB(db, pgdialect.New())
	case k.my:
		bd = bun.NewDB(db, mysqldialect.New())
	default:
		bd = bun.NewDB(db, sqlitedialect.New())
	}
	return sx, g, gPrep, bd, nil
}

var (
	envs     = map[string]*env{}
	cleanups []func()
	dialects = []string{"sqlite", "postgres", "mysql"}
)

func TestMain(m *testing.M) {
	if v := os.Getenv("BENCH_DIALECTS"); v != "" {
		dialects = strings.Split(v, ",")
	}
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

// each runs fn as a sub-benchmark per dialect; databases are built and
// seeded once per process.
func each(b *testing.B, fn func(b *testing.B, e *env)) {
	for _, name := range dialects {
		b.Run(name, func(b *testing.B) {
			e, err := getEnv(name)
			if err != nil {
				b.Skipf("%s: %v", name, err)
			}
			fn(b, e)
		})
	}
}

func getEnv(name string) (*env, error) {
	if e := envs[name]; e != nil {
		return e, nil
	}
	e := &env{name: name, sqlKind: sqlKind{pg: name == "postgres", my: name == "mysql"}}
	driverName := "sqlite3"
	var err error
	switch name {
	case "sqlite":
		dir, derr := os.MkdirTemp("", "arcbench")
		if derr != nil {
			return nil, derr
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		// The DSN Arc's sqlite dialect builds for sqlite:///file.db.
		e.file = filepath.Join(dir, "bench.db")
		e.dsn = "file:" + e.file + "?_busy_timeout=5000&_foreign_keys=1&_journal_mode=WAL&_synchronous=NORMAL"
		e.arcURL = "sqlite:///" + e.file
	case "postgres":
		driverName = "postgres"
		base := os.Getenv("ARC_TEST_PG_URL")
		if base == "" {
			base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		admin, aerr := sql.Open("postgres", base)
		if aerr != nil {
			return nil, aerr
		}
		schema := "arc_bench_" + randHex()
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			admin.Close()
			return nil, err
		}
		cleanups = append(cleanups, func() {
			admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
			admin.Close()
		})
		u, perr := url.Parse(base)
		if perr != nil {
			return nil, perr
		}
		qv := u.Query()
		qv.Set("search_path", schema)
		u.RawQuery = qv.Encode()
		e.dsn = u.String()
		e.arcURL = e.dsn
	case "mysql":
		driverName = "mysql"
		if e.dsn, e.arcURL, err = mysqlDatabase(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown dialect %q", name)
	}
	if e.db, err = sql.Open(driverName, e.dsn); err != nil {
		return nil, err
	}
	e.db.SetMaxIdleConns(4)
	cleanups = append(cleanups, func() { e.db.Close() })
	if err := e.db.Ping(); err != nil {
		return nil, err
	}
	if err := seed(e); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if e.eng, err = engine.New(e.db, name); err != nil {
		return nil, err
	}
	if e.sqlx, e.gorm, e.gormPrep, e.bun, err = e.peers(e.db); err != nil {
		return nil, err
	}
	envs[name] = e
	return e, nil
}

func randHex() string {
	rb := make([]byte, 6)
	_, _ = rand.Read(rb)
	return hex.EncodeToString(rb)
}

// mysqlDatabase creates a database of its own on the MySQL/MariaDB
// server that ARC_TEST_MYSQL_URL names (default
// mysql://root@127.0.0.1:3306/test), dropped at the end, and returns the
// go-sql-driver DSN and the Arc URL of it. The DSN carries the options
// Arc's mysql dialect sets (mysqlDSN).
func mysqlDatabase() (dsn, arcURL string, err error) {
	base := os.Getenv("ARC_TEST_MYSQL_URL")
	if base == "" {
		base = "mysql://root@127.0.0.1:3306/test"
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", "", err
	}
	adminDSN, err := mysqlDSN(u)
	if err != nil {
		return "", "", err
	}
	admin, err := sql.Open("mysql", adminDSN)
	if err != nil {
		return "", "", err
	}
	name := "arc_bench_" + randHex()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		admin.Close()
		return "", "", err
	}
	cleanups = append(cleanups, func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name)
		admin.Close()
	})
	u.Path = "/" + name
	dsn, err = mysqlDSN(u)
	return dsn, u.String(), err
}

// mysqlDSN is the go-sql-driver DSN that Arc's mysql dialect builds for
// the mysql:// URL (dialect/mysql.Config: parseTime and loc=UTC, utf8mb4,
// clientFoundRows, a strict sql_mode, time_zone +00:00). Every library
// uses this DSN, so the options are the same for all.
func mysqlDSN(u *url.URL) (string, error) {
	c, err := arcmysql.Config(u)
	if err != nil {
		return "", err
	}
	return c.FormatDSN(), nil
}

// seed creates the tables with plain DDL (no library's migrator) and
// fills them in one transaction.
func seed(e *env) error {
	pk, fk := "INTEGER PRIMARY KEY", "REFERENCES authors (id)"
	switch {
	case e.pg:
		pk = "BIGSERIAL PRIMARY KEY"
	case e.my:
		// MySQL ignores a column's inline REFERENCES: the table form.
		pk, fk = "BIGINT AUTO_INCREMENT PRIMARY KEY", ", FOREIGN KEY (author_id) REFERENCES authors (id)"
	}
	ddl := []string{
		"CREATE TABLE users (id " + pk + ", name VARCHAR(50) NOT NULL, fullname VARCHAR(100) NOT NULL, nickname VARCHAR(50) NOT NULL)",
		"CREATE INDEX ix_users_nickname ON users (nickname)",
		"CREATE TABLE authors (id " + pk + ", name VARCHAR(50) NOT NULL)",
		"CREATE TABLE books (id " + pk + ", title VARCHAR(100) NOT NULL, author_id BIGINT NOT NULL " + fk + ")",
		"CREATE INDEX ix_books_author_id ON books (author_id)",
	}
	ctx := context.Background()
	if e.my { // DDL is not transactional on MySQL: before the transaction
		for _, s := range ddl {
			if _, err := e.db.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		ddl = nil
	}
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, s := range ddl {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	batch := func(prefix string, n int, row func(i int) string) error {
		for start := 0; start < n; start += 500 {
			var sb strings.Builder
			sb.WriteString(prefix)
			for i := start; i < start+500 && i < n; i++ {
				if i > start {
					sb.WriteString(", ")
				}
				sb.WriteString(row(i))
			}
			if _, err := tx.ExecContext(ctx, sb.String()); err != nil {
				return err
			}
		}
		return nil
	}
	if err := batch("INSERT INTO users (name, fullname, nickname) VALUES ", nUsers, func(i int) string {
		return fmt.Sprintf("('u%06d', 'User Number %d', '%s')", i, i, group(i))
	}); err != nil {
		return err
	}
	if err := batch("INSERT INTO authors (name) VALUES ", nAuthors, func(i int) string {
		return fmt.Sprintf("('author%03d')", i)
	}); err != nil {
		return err
	}
	if err := batch("INSERT INTO books (title, author_id) VALUES ", nAuthors*nBooksPer, func(i int) string {
		return fmt.Sprintf("('book %d', %d)", i, i/nBooksPer+1)
	}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	analyze := "ANALYZE"
	if e.my {
		analyze = "ANALYZE TABLE users, authors, books"
	}
	_, err = e.db.ExecContext(ctx, analyze)
	return err
}

// group is the nickname of the i-th seeded user (0-based): 100 users each.
func group(i int) string { return fmt.Sprintf("g%04d", i%nGroups) }

// userID is the key the i-th iteration reads.
func userID(i int) int64 { return int64(i%nUsers) + 1 }

func check(b *testing.B, err error) {
	if err != nil {
		b.Helper()
		b.Fatal(err)
	}
}

func want(b *testing.B, got, n int) {
	if got != n {
		b.Helper()
		b.Fatalf("got %d rows, want %d", got, n)
	}
}

// liveHeap is the heap still live after the last GC.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peak tracks the largest live heap seen while streaming, above the
// level before the loop; reported as peak-live-B.
type peak struct{ base, max uint64 }

func newPeak() *peak { h := liveHeap(); return &peak{base: h, max: h} }

func (p *peak) sample() {
	if h := liveHeap(); h > p.max {
		p.max = h
	}
}

func (p *peak) report(b *testing.B) {
	b.ReportMetric(float64(p.max-p.base), "peak-live-B")
}

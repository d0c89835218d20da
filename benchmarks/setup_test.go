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

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"           // "postgres", shared by every library
	_ "github.com/mattn/go-sqlite3" // "sqlite3", shared by every library
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	gormpg "gorm.io/driver/postgres"
	gormsqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/engine"
)

// Table sizes.
const (
	nUsers    = 100_000 // streamed whole; nickname groups of 100
	nGroups   = nUsers / 100
	nAuthors  = 100
	nBooksPer = 10
)

// env is one dialect's database, reached by every library through the
// same *sql.DB.
type env struct {
	name     string
	db       *sql.DB
	eng      *arc.Engine
	sqlx     *sqlx.DB
	gorm     *gorm.DB
	gormPrep *gorm.DB
	bun      *bun.DB
	pg       bool
	file     string // SQLite: the database file
	dsn      string // the driver's DSN (PostgreSQL: with search_path)
}

// q turns ? placeholders into $n on PostgreSQL.
func (e *env) q(s string) string {
	if !e.pg {
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

var (
	envs     = map[string]*env{}
	cleanups []func()
	dialects = []string{"sqlite", "postgres"}
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
	e := &env{name: name, pg: name == "postgres"}
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
		e.db, err = sql.Open("sqlite3", e.dsn)
	case "postgres":
		base := os.Getenv("ARC_TEST_PG_URL")
		if base == "" {
			base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		admin, aerr := sql.Open("postgres", base)
		if aerr != nil {
			return nil, aerr
		}
		rb := make([]byte, 6)
		_, _ = rand.Read(rb)
		schema := "arc_bench_" + hex.EncodeToString(rb)
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
		e.db, err = sql.Open("postgres", e.dsn)
	default:
		return nil, fmt.Errorf("unknown dialect %q", name)
	}
	if err != nil {
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
	e.sqlx = sqlx.NewDb(e.db, map[bool]string{false: "sqlite3", true: "postgres"}[e.pg])
	gcfg := func(prep bool) *gorm.Config {
		return &gorm.Config{PrepareStmt: prep, Logger: logger.Default.LogMode(logger.Silent)}
	}
	for _, prep := range []bool{false, true} {
		var d gorm.Dialector
		if e.pg {
			d = gormpg.New(gormpg.Config{Conn: e.db})
		} else {
			d = gormsqlite.New(gormsqlite.Config{Conn: e.db})
		}
		g, err := gorm.Open(d, gcfg(prep))
		if err != nil {
			return nil, err
		}
		if prep {
			e.gormPrep = g
		} else {
			e.gorm = g
		}
	}
	if e.pg {
		e.bun = bun.NewDB(e.db, pgdialect.New())
	} else {
		e.bun = bun.NewDB(e.db, sqlitedialect.New())
	}
	envs[name] = e
	return e, nil
}

// seed creates the tables with plain DDL (no library's migrator) and
// fills them in one transaction.
func seed(e *env) error {
	pk := "INTEGER PRIMARY KEY"
	if e.pg {
		pk = "BIGSERIAL PRIMARY KEY"
	}
	ddl := []string{
		"CREATE TABLE users (id " + pk + ", name VARCHAR(50) NOT NULL, fullname VARCHAR(100) NOT NULL, nickname VARCHAR(50) NOT NULL)",
		"CREATE INDEX ix_users_nickname ON users (nickname)",
		"CREATE TABLE authors (id " + pk + ", name VARCHAR(50) NOT NULL)",
		"CREATE TABLE books (id " + pk + ", title VARCHAR(100) NOT NULL, author_id BIGINT NOT NULL REFERENCES authors (id))",
		"CREATE INDEX ix_books_author_id ON books (author_id)",
	}
	ctx := context.Background()
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
	if e.pg {
		_, err = e.db.ExecContext(ctx, "ANALYZE")
	} else {
		_, err = e.db.ExecContext(ctx, "ANALYZE")
	}
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

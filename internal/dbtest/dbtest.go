// Package dbtest is the shared harness of Arc's own tests: Each runs a
// test body once per dialect, each on a fresh database — a SQLite file in
// a temp dir, a new PostgreSQL schema, a new MySQL/MariaDB database — and
// cleans up. PostgreSQL comes from ARC_TEST_PG_URL (default
// postgres://postgres@127.0.0.1:5432/test), MySQL/MariaDB from
// ARC_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test); when a
// server cannot be reached its half skips with a message, except under
// CI=true, where it fails. ARC_TEST_DIALECTS=sqlite,postgres,mysql (a
// comma list) selects the dialects; without it the default ones run
// (DefaultDialects).
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc/engine"

	_ "github.com/arcorm/arc/dialect/mysql"    // register
	_ "github.com/arcorm/arc/dialect/postgres" // register
	_ "github.com/arcorm/arc/dialect/sqlite"   // register
)

// DefaultPGURL is used when ARC_TEST_PG_URL is not set.
const DefaultPGURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// DefaultMySQLURL is used when ARC_TEST_MYSQL_URL is not set.
const DefaultMySQLURL = "mysql://root@127.0.0.1:3306/test"

// DefaultDialects run when ARC_TEST_DIALECTS is not set: all three.
var DefaultDialects = []string{"sqlite", "postgres", "mysql"}

// Dialects are the dialect names Each runs, in order: the default ones,
// plus mysql when ARC_TEST_DIALECTS names it.
var Dialects = func() []string {
	ds := append([]string(nil), DefaultDialects...)
	for _, n := range []string{"sqlite", "postgres", "mysql"} {
		if !contains(ds, n) && listed(n) {
			ds = append(ds, n)
		}
	}
	return ds
}()

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// listed reports whether ARC_TEST_DIALECTS names the dialect.
func listed(name string) bool {
	for _, d := range strings.Split(os.Getenv("ARC_TEST_DIALECTS"), ",") {
		if strings.TrimSpace(d) == name {
			return true
		}
	}
	return false
}

// PGURL returns the PostgreSQL URL tests use.
func PGURL() string {
	if u := os.Getenv("ARC_TEST_PG_URL"); u != "" {
		return u
	}
	return DefaultPGURL
}

// MySQLURL returns the MySQL/MariaDB URL tests use.
func MySQLURL() string {
	if u := os.Getenv("ARC_TEST_MYSQL_URL"); u != "" {
		return u
	}
	return DefaultMySQLURL
}

func enabled(name string) bool {
	if os.Getenv("ARC_TEST_DIALECTS") == "" {
		return contains(DefaultDialects, name)
	}
	return listed(name)
}

// Each runs fn as a subtest per dialect, each with a new, empty database.
func Each(t *testing.T, fn func(t *testing.T, eng *engine.Engine)) {
	t.Helper()
	for _, name := range Dialects {
		t.Run(name, func(t *testing.T) {
			fn(t, Open(t, name))
		})
	}
}

// EachDialect runs fn as a subtest per dialect with the dialect's name,
// for tests that open their databases themselves (by URL, through
// fixtures.TestDB or a command line): the dialects not in
// ARC_TEST_DIALECTS skip, and PostgreSQL skips or fails as in Each when
// the server is down. URL gives a fresh database of the dialect.
func EachDialect(t *testing.T, fn func(t *testing.T, name string)) {
	t.Helper()
	for _, name := range Dialects {
		t.Run(name, func(t *testing.T) {
			if !enabled(name) {
				t.Skipf("dialect %s not in ARC_TEST_DIALECTS=%s", name, os.Getenv("ARC_TEST_DIALECTS"))
			}
			switch name {
			case "postgres":
				RequirePG(t)
			case "mysql":
				RequireMySQL(t)
			}
			fn(t, name)
		})
	}
}

// URL returns the URL of a new empty database of the named dialect (a
// SQLite file in a temp dir, a PostgreSQL schema, a MySQL database),
// removed when the test ends.
func URL(t testing.TB, name string) string {
	t.Helper()
	switch name {
	case "postgres":
		return NewSchemaURL(t)
	case "mysql":
		return NewMySQLURL(t)
	}
	return SQLiteURL(t)
}

// Open returns an engine on a new empty database of the named dialect,
// closed and removed when the test ends.
func Open(t testing.TB, name string, opts ...engine.Option) *engine.Engine {
	t.Helper()
	if !enabled(name) {
		t.Skipf("dialect %s not in ARC_TEST_DIALECTS=%s", name, os.Getenv("ARC_TEST_DIALECTS"))
	}
	switch name {
	case "sqlite":
		return SQLite(t, opts...)
	case "postgres":
		return Postgres(t, opts...)
	case "mysql":
		return MySQL(t, opts...)
	}
	t.Fatalf("dbtest: unknown dialect %q", name)
	return nil
}

// SQLiteURL returns a URL for a new SQLite file in the test's temp dir.
func SQLiteURL(t testing.TB) string {
	// Escape the path: a repeated subtest name puts '#' in t.TempDir(),
	// which a raw URL would read as the start of a fragment.
	p := filepath.ToSlash(filepath.Join(t.TempDir(), "arc.db"))
	return "sqlite:///" + (&url.URL{Path: p}).EscapedPath()
}

// SQLite opens a new SQLite database file in a temp dir.
func SQLite(t testing.TB, opts ...engine.Option) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(context.Background(), SQLiteURL(t), opts...)
	if err != nil {
		t.Fatalf("dbtest: open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	return eng
}

var (
	pgOnce sync.Once
	pgErr  error
)

func pgReachable() error {
	pgOnce.Do(func() {
		db, err := sql.Open("postgres", PGURL())
		if err != nil {
			pgErr = err
			return
		}
		defer db.Close()
		pgErr = db.PingContext(context.Background())
	})
	return pgErr
}

// RequirePG skips (or, under CI=true, fails) when PostgreSQL is unreachable.
func RequirePG(t testing.TB) {
	t.Helper()
	if err := pgReachable(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("dbtest: PostgreSQL at %s is required in CI but unreachable: %v", PGURL(), err)
		}
		t.Skipf("dbtest: PostgreSQL at %s unreachable, skipping: %v (set ARC_TEST_PG_URL)", PGURL(), err)
	}
}

// NewSchemaURL creates a new schema on the test server and returns a URL
// whose connections use it (search_path); the schema is dropped when the
// test ends.
func NewSchemaURL(t testing.TB) string {
	t.Helper()
	RequirePG(t)
	schema := "arc_t_" + randHex(6)
	admin, err := sql.Open("postgres", PGURL())
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE"); err != nil {
			t.Errorf("dbtest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(PGURL())
	if err != nil {
		t.Fatalf("dbtest: bad ARC_TEST_PG_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens an engine on a new schema of the test server.
func Postgres(t testing.TB, opts ...engine.Option) *engine.Engine {
	t.Helper()
	u := NewSchemaURL(t)
	eng, err := engine.Open(context.Background(), u, opts...)
	if err != nil {
		t.Fatalf("dbtest: open postgres: %v", err)
	}
	// Registered after the schema's cleanup, so it runs first.
	t.Cleanup(func() { _ = eng.Close() })
	return eng
}

var (
	myOnce sync.Once
	myErr  error
)

// mysqlAdmin opens a pool on the test server's database of
// ARC_TEST_MYSQL_URL, through the dialect's own DSN.
func mysqlAdmin() (*sql.DB, error) {
	eng, err := engine.Open(context.Background(), MySQLURL(), engine.WithoutPing())
	if err != nil {
		return nil, err
	}
	return eng.DB(), nil
}

func mysqlReachable() error {
	myOnce.Do(func() {
		db, err := mysqlAdmin()
		if err != nil {
			myErr = err
			return
		}
		defer db.Close()
		myErr = db.PingContext(context.Background())
	})
	return myErr
}

// RequireMySQL skips (or, under CI=true, fails) when the MySQL/MariaDB
// test server is unreachable.
func RequireMySQL(t testing.TB) {
	t.Helper()
	if err := mysqlReachable(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("dbtest: MySQL/MariaDB at %s is required in CI but unreachable: %v", MySQLURL(), err)
		}
		t.Skipf("dbtest: MySQL/MariaDB at %s unreachable, skipping: %v (set ARC_TEST_MYSQL_URL)", MySQLURL(), err)
	}
}

// NewMySQLURL creates a new database (arc_t_<random>, utf8mb4 with a
// binary collation that does not pad — MariaDB's utf8mb4_nopad_bin,
// MySQL 8's utf8mb4_0900_bin — so that string comparison and order are
// those of the other dialects: 'a' <> 'a ', 'A' <> 'a') on the test
// server and returns its URL;
// the database is dropped when the test ends.
func NewMySQLURL(t testing.TB) string {
	t.Helper()
	RequireMySQL(t)
	name := "arc_t_" + randHex(6)
	admin, err := mysqlAdmin()
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	var err2 error
	for _, coll := range []string{"utf8mb4_nopad_bin", "utf8mb4_0900_bin", "utf8mb4_bin"} {
		if _, err2 = admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE " + coll); err2 == nil {
			break
		}
	}
	if err2 != nil {
		admin.Close()
		t.Fatalf("dbtest: create database: %v", err2)
	}
	t.Cleanup(func() {
		defer admin.Close()
		// A test that failed half-way may leave a transaction open on the
		// database (a session never closed), whose metadata locks would
		// make DROP DATABASE wait for ever: end its connections first.
		killConnections(admin, name)
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(MySQLURL())
	if err != nil {
		t.Fatalf("dbtest: bad ARC_TEST_MYSQL_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// killConnections kills the server's connections to database db.
func killConnections(admin *sql.DB, db string) {
	rows, err := admin.Query("SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()", db)
	if err != nil {
		return
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	for _, id := range ids {
		_, _ = admin.Exec(fmt.Sprintf("KILL %d", id))
	}
}

// MySQL opens an engine on a new database of the MySQL/MariaDB test server.
func MySQL(t testing.TB, opts ...engine.Option) *engine.Engine {
	t.Helper()
	u := NewMySQLURL(t)
	eng, err := engine.Open(context.Background(), u, opts...)
	if err != nil {
		t.Fatalf("dbtest: open mysql: %v", err)
	}
	// Registered after the database's cleanup, so it runs first.
	t.Cleanup(func() { _ = eng.Close() })
	return eng
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Recorder collects the statements an engine echoes.
type Recorder struct {
	mu    sync.Mutex
	stmts []string
	args  []string // per statement, as echoed ("" without arguments)
}

// Levels implements logrus.Hook.
func (r *Recorder) Levels() []logrus.Level { return []logrus.Level{logrus.InfoLevel} }

// Fire implements logrus.Hook.
func (r *Recorder) Fire(e *logrus.Entry) error {
	r.mu.Lock()
	r.stmts = append(r.stmts, e.Message)
	a, _ := e.Data["args"].(string)
	r.args = append(r.args, a)
	r.mu.Unlock()
	return nil
}

// Statements returns what was recorded since the last Reset.
func (r *Recorder) Statements() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.stmts...)
}

// Args returns the echoed arguments of the recorded statements that
// start with prefix, in order.
func (r *Recorder) Args(prefix string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for i, s := range r.stmts {
		if strings.HasPrefix(s, prefix) {
			out = append(out, r.args[i])
		}
	}
	return out
}

// SQL returns the recorded statements that are not transaction boundaries.
func (r *Recorder) SQL() []string {
	var out []string
	for _, s := range r.Statements() {
		switch s {
		case "BEGIN (implicit)", "COMMIT", "ROLLBACK":
			continue
		}
		out = append(out, s)
	}
	return out
}

// Reset forgets what was recorded.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.stmts, r.args = nil, nil
	r.mu.Unlock()
}

// Record turns echo on for eng and returns a recorder of its statements;
// the log output itself is discarded.
func Record(eng *engine.Engine) *Recorder {
	r := &Recorder{}
	l := eng.Logger()
	l.AddHook(r)
	l.SetOutput(discard{})
	eng.SetEcho(true)
	return r
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Name is a helper for messages.
func Name(eng *engine.Engine) string { return fmt.Sprint(eng.Dialect().Name()) }

// ConnIDFunc names the SQL function that returns the id of the server
// connection it runs on (PostgreSQL's pg_backend_pid(), MySQL's
// CONNECTION_ID()), or "" for a dialect without a server (SQLite): a test
// that injects a lost connection reads it inside the transaction it then
// breaks with Kill.
func ConnIDFunc(eng *engine.Engine) string {
	switch eng.Dialect().Name() {
	case "postgres":
		return "pg_backend_pid"
	case "mysql":
		return "CONNECTION_ID"
	}
	return ""
}

// Kill ends server connection id (from ConnIDFunc) from another
// connection, as a server restart or an administrator would.
func Kill(t testing.TB, eng *engine.Engine, id int64) {
	t.Helper()
	var admin *sql.DB
	var err error
	switch eng.Dialect().Name() {
	case "postgres":
		admin, err = sql.Open("postgres", PGURL())
	case "mysql":
		admin, err = mysqlAdmin()
	default:
		t.Fatalf("dbtest: Kill: no server connections on %s", eng.Dialect().Name())
	}
	if err != nil {
		t.Fatalf("dbtest: Kill: %v", err)
	}
	defer admin.Close()
	q := fmt.Sprintf("KILL %d", id)
	if eng.Dialect().Name() == "postgres" {
		q = fmt.Sprintf("SELECT pg_terminate_backend(%d, 5000)", id)
	}
	if _, err := admin.Exec(q); err != nil {
		t.Fatalf("dbtest: Kill %d: %v", id, err)
	}
}

package engine_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/lib/pq"
	"github.com/mattn/go-sqlite3"
	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/postgres"
	"github.com/arcorm/arc/dialect/sqlite"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
)

var ctx = context.Background()

func ph(eng *engine.Engine, n int) string { return string(eng.Dialect().AppendPlaceholder(nil, n)) }

func mustExec(t *testing.T, x engine.Executor, q string, args ...any) {
	t.Helper()
	if _, err := x.Exec(ctx, q, args...); err != nil {
		t.Fatal(err)
	}
}

func queryInt(t *testing.T, x engine.Executor, q string, args ...any) int64 {
	t.Helper()
	rows, err := x.Query(ctx, q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int64
	if !rows.Next() {
		t.Fatalf("%s: no row (%v)", q, rows.Err())
	}
	if err := rows.Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func pragma(t *testing.T, c *sql.Conn, name string) string {
	t.Helper()
	var v string
	if err := c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(dir, "abs.db")
	eng, err := engine.Open(ctx, "sqlite:///"+abs) // sqlite:////tmp/.../abs.db
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, ok := eng.Dialect().(*sqlite.Dialect); !ok || eng.URL() != "sqlite:///"+abs {
		t.Errorf("dialect %s url %s", eng.Dialect().Name(), eng.URL())
	}
	if _, err := os.Stat(abs); err != nil {
		t.Errorf("database file not created: %v", err)
	}
	// Every pooled connection carries the pragmas: hold two at once.
	c1, err := eng.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := eng.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	for _, c := range []*sql.Conn{c1, c2} {
		if v := pragma(t, c, "foreign_keys"); v != "1" {
			t.Errorf("foreign_keys = %s", v)
		}
		if v := pragma(t, c, "journal_mode"); v != "wal" {
			t.Errorf("journal_mode = %s", v)
		}
		if v := pragma(t, c, "busy_timeout"); v != "5000" {
			t.Errorf("busy_timeout = %s", v)
		}
		if v := pragma(t, c, "synchronous"); v != "1" { // NORMAL
			t.Errorf("synchronous = %s", v)
		}
	}

	// A relative path is relative to the working directory; URL
	// parameters override the defaults.
	t.Chdir(dir)
	rel, err := engine.Open(ctx, "sqlite:///rel.db?_busy_timeout=1234")
	if err != nil {
		t.Fatal(err)
	}
	defer rel.Close()
	c, err := rel.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v := pragma(t, c, "busy_timeout"); v != "1234" {
		t.Errorf("busy_timeout override = %s", v)
	}
	if _, err := os.Stat(filepath.Join(dir, "rel.db")); err != nil {
		t.Errorf("relative database not created in the working directory: %v", err)
	}
}

// sqlite::memory: is one database shared through one connection.
func TestOpenSQLiteMemory(t *testing.T) {
	for _, u := range []string{"sqlite::memory:", "sqlite:///:memory:"} {
		t.Run(u, func(t *testing.T) {
			eng, err := engine.Open(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			if got := eng.DB().Stats().MaxOpenConnections; got != 1 {
				t.Errorf("MaxOpenConnections = %d, want 1", got)
			}
			mustExec(t, eng, "CREATE TABLE t (x INTEGER)")
			mustExec(t, eng, "INSERT INTO t VALUES (?)", 7)
			err = eng.InTx(ctx, func(tx *engine.Tx) error {
				// A prepared statement inside the transaction must not wait
				// for a second connection (there is none).
				_, err := tx.Exec(ctx, "INSERT INTO t VALUES (?)", 8)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := queryInt(t, eng, "SELECT sum(x) FROM t WHERE x > ?", 0); n != 15 {
				t.Errorf("sum = %d: connections do not share the database", n)
			}
			c, _ := eng.DB().Conn(ctx)
			defer c.Close()
			if v := pragma(t, c, "foreign_keys"); v != "1" {
				t.Errorf("foreign_keys = %s", v)
			}
		})
	}
}

func TestOpenPostgres(t *testing.T) {
	u := dbtest.NewSchemaURL(t)
	eng, err := engine.Open(ctx, u, engine.WithMaxOpenConns(4))
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, ok := eng.Dialect().(*postgres.Dialect); !ok {
		t.Errorf("dialect %s", eng.Dialect().Name())
	}
	mustExec(t, eng, "CREATE TABLE t (x BIGINT)")
	mustExec(t, eng, "INSERT INTO t VALUES ($1)", 3)
	if n := queryInt(t, eng, "SELECT x FROM t WHERE x = $1", 3); n != 3 {
		t.Errorf("x = %d", n)
	}
	// postgresql:// is an alias.
	alias, err := engine.Open(ctx, strings.Replace(u, "postgres://", "postgresql://", 1))
	if err != nil {
		t.Fatal(err)
	}
	alias.Close()
}

func TestNewFromDB(t *testing.T) {
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eng, err := engine.New(db, "sqlite", engine.WithMaxOpenConns(2))
	if err != nil {
		t.Fatal(err)
	}
	if eng.DB() != db || db.Stats().MaxOpenConnections != 2 {
		t.Error("New does not use the given pool / options")
	}
	mustExec(t, eng, "CREATE TABLE t (x INTEGER)")
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Errorf("engine.Close closed a pool it does not own: %v", err)
	}
	if _, err := engine.New(db, "oracle"); !errors.Is(err, arcerr.ErrUnknownDialect) {
		t.Errorf("unknown dialect: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		url  string
		is   error
		msg  string
		hide string
	}{
		{"://nothing", nil, "bad database URL", ""},
		{"just-a-file.db", nil, "has no scheme", ""},
		{"oracle://u@h/db", arcerr.ErrUnknownDialect, `unknown dialect "oracle"`, ""},
		{"mysql://bob:s3cret@127.0.0.1:1/db?timeout=2s", nil, "cannot connect", "s3cret"},
		{"postgres://bob:s3cret@127.0.0.1:1/db?connect_timeout=2", nil, "cannot connect", "s3cret"},
		{"sqlite:////nonexistent-dir/sub/x.db", nil, "cannot connect", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			eng, err := engine.Open(ctx, tt.url)
			if err == nil {
				eng.Close()
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%q does not say %q", err, tt.msg)
			}
			if tt.hide != "" && strings.Contains(err.Error(), tt.hide) {
				t.Errorf("password in error: %v", err)
			}
		})
	}
	// WithoutPing defers the failure to the first statement.
	eng, err := engine.Open(ctx, "postgres://bob:s3cret@127.0.0.1:1/db", engine.WithoutPing())
	if err != nil {
		t.Fatalf("WithoutPing: %v", err)
	}
	defer eng.Close()
	if eng.URL() != "postgres://bob:xxxxx@127.0.0.1:1/db" {
		t.Errorf("URL not redacted: %s", eng.URL())
	}
	if _, err := eng.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("no error from an unreachable server")
	}
}

func TestPoolOptions(t *testing.T) {
	eng := dbtest.SQLite(t, engine.WithMaxOpenConns(3), engine.WithMaxIdleConns(1),
		engine.WithConnMaxLifetime(time.Minute), engine.WithConnMaxIdleTime(time.Minute))
	if got := eng.DB().Stats().MaxOpenConnections; got != 3 {
		t.Errorf("MaxOpenConnections = %d", got)
	}
	var conns []*sql.Conn
	for range 3 {
		c, err := eng.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	st := eng.DB().Stats()
	if st.Idle != 1 || st.MaxIdleClosed < 2 {
		t.Errorf("idle = %d, max idle closed = %d; WithMaxIdleConns(1) not applied", st.Idle, st.MaxIdleClosed)
	}
}

// echoLogger returns a logrus logger writing plain text into buf.
func echoLogger(buf *bytes.Buffer) *logrus.Logger {
	l := logrus.New()
	l.SetOutput(buf)
	l.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true, DisableQuote: true})
	return l
}

func TestEcho(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		var buf bytes.Buffer
		e2, err := engine.New(eng.DB(), eng.Dialect().Name(), engine.WithLogger(echoLogger(&buf)))
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, e2, "CREATE TABLE t (x INTEGER, s VARCHAR(20))")
		if e2.Echo() || buf.Len() != 0 {
			t.Fatalf("echo is on by default: %q", buf.String())
		}
		e2.SetEcho(true)
		q := "INSERT INTO t (x, s) VALUES (" + ph(e2, 1) + ", " + ph(e2, 2) + ")"
		mustExec(t, e2, q, 42, "it's")
		out := buf.String()
		for _, want := range []string{"level=info", "msg=" + q, `args=(42, "it's")`, "took="} {
			if !strings.Contains(out, want) {
				t.Errorf("echo %q lacks %q", out, want)
			}
		}
		buf.Reset()
		err = e2.InTx(ctx, func(tx *engine.Tx) error {
			_, err := tx.Query(ctx, "SELECT x FROM t")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 3 || !strings.Contains(lines[0], "BEGIN (implicit)") || !strings.Contains(lines[1], "msg=SELECT x FROM t") ||
			strings.Contains(lines[1], "args=") || !strings.Contains(lines[2], "COMMIT") {
			t.Errorf("transaction echo:\n%s", buf.String())
		}
		// A failing statement is echoed with its error.
		buf.Reset()
		_, _ = e2.Exec(ctx, "INSERT INTO nowhere (x) VALUES ("+ph(e2, 1)+")", 5)
		if out := buf.String(); !strings.Contains(out, "msg=INSERT INTO nowhere") || !strings.Contains(out, "error=") || !strings.Contains(out, "nowhere") {
			t.Errorf("failed statement echo: %q", out)
		}
		buf.Reset()
		e2.SetEcho(false)
		mustExec(t, e2, q, 1, "x")
		if buf.Len() != 0 {
			t.Errorf("echo after SetEcho(false): %q", buf.String())
		}
		// WithEcho at open.
		var b3 bytes.Buffer
		e3, _ := engine.New(eng.DB(), eng.Dialect().Name(), engine.WithEcho(true), engine.WithLogger(echoLogger(&b3)))
		if !e3.Echo() || e3.Logger() == nil {
			t.Error("WithEcho(true)")
		}
		mustExec(t, e3, "DELETE FROM t")
		if !strings.Contains(b3.String(), "msg=DELETE FROM t") {
			t.Errorf("WithEcho output: %q", b3.String())
		}
	})
}

func TestStatementCache(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		mustExec(t, eng, "CREATE TABLE t (x INTEGER)")
		if eng.CachedStatements() != 0 {
			t.Errorf("DDL and argument-less statements are cached: %d", eng.CachedStatements())
		}
		ins := "INSERT INTO t (x) VALUES (" + ph(eng, 1) + ")"
		for i := range 5 {
			mustExec(t, eng, ins, i)
		}
		sel := "SELECT count(*) FROM t WHERE x >= " + ph(eng, 1)
		for range 3 {
			if n := queryInt(t, eng, sel, 0); n != 5 {
				t.Fatalf("count = %d", n)
			}
		}
		if got := eng.CachedStatements(); got != 2 {
			t.Errorf("cache holds %d statements after 2 distinct texts, want 2", got)
		}
		// Transactions reuse the engine's statements.
		err := eng.InTx(ctx, func(tx *engine.Tx) error {
			for i := range 3 {
				if _, err := tx.Exec(ctx, ins, 10+i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := eng.CachedStatements(); got != 2 {
			t.Errorf("cache holds %d after a transaction reused it, want 2", got)
		}
	})
}

// On PostgreSQL the server itself shows one prepared statement per SQL
// text, however often it runs.
func TestStatementCacheOnServer(t *testing.T) {
	eng := dbtest.Postgres(t, engine.WithMaxOpenConns(1))
	mustExec(t, eng, "CREATE TABLE t (x BIGINT)")
	for i := range 10 {
		mustExec(t, eng, "INSERT INTO t (x) VALUES ($1)", i)
	}
	for range 10 {
		queryInt(t, eng, "SELECT count(*) FROM t WHERE x > $1", -1)
	}
	if n := queryInt(t, eng, "SELECT count(*) FROM pg_prepared_statements"); n != 2 {
		t.Errorf("server holds %d prepared statements, want 2", n)
	}
	noCache := dbtest.Postgres(t, engine.WithMaxOpenConns(1), engine.WithoutStatementCache())
	mustExec(t, noCache, "CREATE TABLE t (x BIGINT)")
	for i := range 3 {
		mustExec(t, noCache, "INSERT INTO t (x) VALUES ($1)", i)
	}
	if noCache.CachedStatements() != 0 {
		t.Error("WithoutStatementCache still caches")
	}
}

func TestStatementCacheBound(t *testing.T) {
	eng := dbtest.SQLite(t, engine.WithStatementCacheSize(2))
	mustExec(t, eng, "CREATE TABLE t (x INTEGER)")
	for i := range 5 {
		// five distinct texts
		q := "SELECT count(*) FROM t WHERE x > ? AND " + strings.Repeat("1 = 1 AND ", i) + "1 = 1"
		queryInt(t, eng, q, 0)
	}
	if got := eng.CachedStatements(); got != 2 {
		t.Errorf("cache holds %d, bound is 2", got)
	}
	if engine.MaxCachedStatements < 100 {
		t.Errorf("default bound %d is too small", engine.MaxCachedStatements)
	}
}

func TestErrorsAreWrapped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		mustExec(t, eng, "CREATE TABLE t (x INTEGER PRIMARY KEY)")
		q := "SELECT nope FROM t WHERE x = " + ph(eng, 1)
		_, err := eng.Query(ctx, q, 7)
		var se *arcerr.StatementError
		if !errors.As(err, &se) || se.SQL != q || len(se.Args) != 1 || se.Args[0] != 7 || se.Kind != nil {
			t.Fatalf("not a StatementError with SQL and args: %#v", err)
		}
		if !strings.Contains(err.Error(), "statement: "+q) || !strings.Contains(err.Error(), "args: (7)") {
			t.Errorf("message: %v", err)
		}
		if errors.Is(err, arcerr.ErrIntegrity) {
			t.Error("a missing column is an integrity error")
		}
		// The driver's own error stays reachable, whichever driver it is.
		if n := driverErrors(err); n != 1 {
			t.Errorf("driver error lost (%d driver errors with the unknown column's code found): %#v", n, err)
		}
		// Inside a transaction, and for integrity errors.
		ins := "INSERT INTO t (x) VALUES (" + ph(eng, 1) + ")"
		err = eng.InTx(ctx, func(tx *engine.Tx) error {
			if _, err := tx.Exec(ctx, ins, 1); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, ins, 1)
			return err
		})
		if !errors.Is(err, arcerr.ErrIntegrity) || !errors.As(err, &se) || se.SQL != ins {
			t.Errorf("duplicate key in a transaction: %v", err)
		}
		if n := queryInt(t, eng, "SELECT count(*) FROM t"); n != 0 {
			t.Errorf("InTx did not roll back: %d rows", n)
		}
	})
}

func TestTransactions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		mustExec(t, eng, "CREATE TABLE t (x INTEGER)")
		ins := "INSERT INTO t (x) VALUES (" + ph(eng, 1) + ")"
		func() {
			defer func() {
				if p := recover(); p != "boom" {
					t.Errorf("panic not re-raised: %v", p)
				}
			}()
			_ = eng.InTx(ctx, func(tx *engine.Tx) error {
				mustExec(t, tx, ins, 1)
				panic("boom")
			})
		}()
		if n := queryInt(t, eng, "SELECT count(*) FROM t"); n != 0 {
			t.Errorf("panic did not roll back: %d", n)
		}
		tx, err := eng.Begin(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, tx, ins, 1)
		if err := tx.Savepoint(ctx, "sp 1"); err != nil {
			t.Fatal(err)
		}
		mustExec(t, tx, ins, 2)
		if err := tx.RollbackTo(ctx, "sp 1"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Release(ctx, "sp 1"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil || !tx.Done() {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Errorf("rollback after commit: %v", err)
		}
		if n := queryInt(t, eng, "SELECT sum(x) FROM t"); n != 1 {
			t.Errorf("sum = %d, want 1", n)
		}
	})
}

// Many goroutines share one engine and its cache (run under -race).
func TestConcurrentUse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		mustExec(t, eng, "CREATE TABLE t (x INTEGER)")
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 8 {
					if _, err := eng.Exec(ctx, "INSERT INTO t (x) VALUES ("+ph(eng, 1)+")", g*100+i); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := queryInt(t, eng, "SELECT count(*) FROM t WHERE x >= "+ph(eng, 1), 0); n != 64 {
			t.Errorf("count = %d", n)
		}
	})
}

// However a transaction ends, its connection goes back to the pool clean:
// after COMMIT with a result its reader never closed, after ROLLBACK, and
// after a COMMIT that fails (a deferred foreign key), which leaves no
// trace of the transaction's writes. On SQLite the transaction runs on a
// plain connection (dialect.ConnTx), on PostgreSQL on database/sql's Tx.
func TestTransactionEnds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		mustExec(t, eng, "CREATE TABLE p (id INTEGER PRIMARY KEY)")
		// Without deferrable constraints (MySQL) the foreign key fails the
		// INSERT itself rather than the COMMIT: the case asserts that.
		deferred := eng.Dialect().Has(dialect.DeferrableConstraints)
		if deferred {
			mustExec(t, eng, "CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)")
		} else {
			mustExec(t, eng, "CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER, FOREIGN KEY (p) REFERENCES p (id))")
		}
		mustExec(t, eng, "INSERT INTO p (id) VALUES (1)")
		inUse := func(when string) {
			t.Helper()
			if n := eng.DB().Stats().InUse; n != 0 {
				t.Errorf("%s: %d connections still in use", when, n)
			}
		}
		for _, tc := range []struct {
			name    string
			commit  bool
			insertP int
			wantErr bool
			want    int64 // rows of c afterwards
		}{
			{"commit with an open result", true, 1, false, 1},
			{"rollback with an open result", false, 1, false, 1},
			{"failed commit", true, 99, true, 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tx, err := eng.Begin(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				n := queryInt(t, tx, "SELECT count(*) FROM c") + 1
				if !deferred && tc.wantErr {
					_, err := tx.Exec(ctx, "INSERT INTO c (id, p) VALUES ("+ph(eng, 1)+", "+ph(eng, 2)+")", n, tc.insertP)
					if !errors.Is(err, arcerr.ErrIntegrity) {
						t.Fatalf("insert of a missing parent: %v, want ErrIntegrity", err)
					}
					if err := tx.Rollback(); err != nil {
						t.Fatal(err)
					}
					inUse(tc.name)
					return
				}
				mustExec(t, tx, "INSERT INTO c (id, p) VALUES ("+ph(eng, 1)+", "+ph(eng, 2)+")", n, tc.insertP)
				rows, err := tx.Query(ctx, "SELECT id FROM p")
				if err != nil {
					t.Fatal(err)
				}
				_ = rows.Next() // read, never closed
				if tc.commit {
					err = tx.Commit()
				} else {
					err = tx.Rollback()
				}
				if tc.wantErr != (err != nil) {
					t.Fatalf("end: %v", err)
				}
				if tc.wantErr && !errors.Is(err, arcerr.ErrIntegrity) {
					t.Errorf("failed commit: %v, want ErrIntegrity", err)
				}
				inUse(tc.name)
				if got := queryInt(t, eng, "SELECT count(*) FROM c"); got != tc.want {
					t.Errorf("rows of c = %d, want %d", got, tc.want)
				}
			})
		}
		// The pool's connections still work after all that.
		if err := eng.InTx(ctx, func(tx *engine.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO c (id, p) VALUES (10, 1)")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		inUse("after InTx")
	})
}

// driverErrors counts the drivers whose own error errors.As finds in err
// with that driver's code for an unknown column: one, for any dialect.
func driverErrors(err error) int {
	n := 0
	var le sqlite3.Error
	if errors.As(err, &le) && le.Code == sqlite3.ErrError {
		n++
	}
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "42703" {
		n++
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1054 { // ER_BAD_FIELD_ERROR
		n++
	}
	return n
}

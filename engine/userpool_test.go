package engine_test

import (
	"bytes"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
)

// TestRegression_EngineNewWarnsWithoutStatementCache (issue 25, item 4):
// an engine from engine.New over the caller's pool says, once, when that
// pool's connections would compile every statement of every transaction
// again (SQLite without _stmt_cache_size), and stays quiet when they keep
// them (the DSN Open uses) and on PostgreSQL, whose transactions run the
// engine's prepared statements.
func TestRegression_EngineNewWarnsWithoutStatementCache(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, opened *engine.Engine) {
		dsns := map[string]bool{"": false} // the pool Open made: no warning
		// Pools of the caller's whose connections may or may not cache
		// statements, where the dialect can tell (SQLite's go-sqlite3).
		if _, ok := opened.Dialect().(dialect.StatementCacheProbe); ok {
			dir := t.TempDir()
			dsns = map[string]bool{
				"file:" + filepath.Join(dir, "plain.db") + "?_busy_timeout=5000":                      true,
				"file:" + filepath.Join(dir, "cached.db") + "?_busy_timeout=5000&_stmt_cache_size=16": false,
			}
		}
		for dsn, warns := range dsns {
			db := opened.DB()
			if dsn != "" {
				var err error
				if db, err = sql.Open(opened.Dialect().DriverName(), dsn); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
			}
			var buf bytes.Buffer
			eng, err := engine.New(db, opened.Dialect().Name(), engine.WithLogger(echoLogger(&buf)))
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				tx, err := eng.BeginTx(ctx, engine.TxOptions{Write: true})
				if err != nil {
					t.Fatal(err)
				}
				if got := queryInt(t, tx, "SELECT "+ph(eng, 1), 7); got != 7 {
					t.Fatalf("read %d", got)
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			n := strings.Count(buf.String(), "_stmt_cache_size")
			if warns && n != 1 || !warns && n != 0 {
				t.Errorf("%q: %d warnings, want warning=%v; log: %s", dsn, n, warns, buf.String())
			}
		}
	})
}

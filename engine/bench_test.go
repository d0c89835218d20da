package engine_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
)

// Single-row SELECT by key: the engine (cache lookup, echo check, error
// wrap) against raw database/sql with a prepared statement and without.
func BenchmarkQueryRow(b *testing.B) {
	for _, name := range dbtest.Dialects {
		b.Run(name, func(b *testing.B) {
			eng := dbtest.Open(b, name)
			if _, err := eng.Exec(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20))"); err != nil {
				b.Fatal(err)
			}
			for i := range 100 {
				if _, err := eng.Exec(ctx, "INSERT INTO t (id, name) VALUES ("+ph(eng, 1)+", "+ph(eng, 2)+")", i, "n"); err != nil {
					b.Fatal(err)
				}
			}
			q := "SELECT name FROM t WHERE id = " + ph(eng, 1)
			read := func(b *testing.B, query func(i int) (string, error)) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if s, err := query(i % 100); err != nil || s != "n" {
						b.Fatal(s, err)
					}
				}
			}
			b.Run("arc-engine", func(b *testing.B) {
				read(b, func(i int) (string, error) { return scanOne(eng, q, i) })
			})
			b.Run("raw-prepared", func(b *testing.B) {
				st, err := eng.DB().PrepareContext(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				read(b, func(i int) (string, error) {
					var s string
					err := st.QueryRowContext(ctx, i).Scan(&s)
					return s, err
				})
			})
			b.Run("raw-unprepared", func(b *testing.B) {
				read(b, func(i int) (string, error) {
					var s string
					err := eng.DB().QueryRowContext(ctx, q, i).Scan(&s)
					return s, err
				})
			})
		})
	}
}

func scanOne(eng *engine.Engine, q string, arg int) (string, error) {
	rows, err := eng.Query(ctx, q, arg)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var s string
	rows.Next()
	err = rows.Scan(&s)
	return s, err
}

// BenchmarkUserPool (issue 25, item 4): a write transaction of two
// statements and a one-row read, on an engine from engine.Open and on
// one from engine.New over a *sql.DB the user opened on the same SQLite
// file with a plain DSN (no _stmt_cache_size), against hand-written
// database/sql on that plain pool (unprepared, as users write it).
// arc-new-cached is engine.New over a pool opened with _stmt_cache_size,
// as engine.New's documentation asks.
func BenchmarkUserPool(b *testing.B) {
	path := filepath.Join(b.TempDir(), "pool.db")
	opened, err := engine.Open(ctx, "sqlite:///"+filepath.ToSlash(path))
	if err != nil {
		b.Fatal(err)
	}
	defer opened.Close()
	if _, err := opened.Exec(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20))"); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_journal_mode=WAL")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	own, err := engine.New(db, "sqlite")
	if err != nil {
		b.Fatal(err)
	}
	defer own.Close()
	// The pool as engine.New's documentation asks for it.
	cdb, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_journal_mode=WAL&_stmt_cache_size=128")
	if err != nil {
		b.Fatal(err)
	}
	defer cdb.Close()
	ownCached, err := engine.New(cdb, "sqlite")
	if err != nil {
		b.Fatal(err)
	}
	defer ownCached.Close()
	own.Logger().SetLevel(logrus.ErrorLevel) // its warning is the point here
	const ins = "INSERT INTO t (name) VALUES (?) RETURNING id"
	const upd = "UPDATE t SET name = ? WHERE id = ?"
	const sel = "SELECT id, name FROM t WHERE id = ?"
	write := func(b *testing.B, eng *engine.Engine) {
		b.ReportAllocs()
		for b.Loop() {
			tx, err := eng.BeginTx(ctx, engine.TxOptions{Write: true})
			if err != nil {
				b.Fatal(err)
			}
			rows, err := tx.Query(ctx, ins, "n")
			if err != nil {
				b.Fatal(err)
			}
			var id int64
			rows.Next()
			if err := rows.Scan(&id); err != nil {
				b.Fatal(err)
			}
			_ = rows.Close()
			if _, err := tx.Exec(ctx, upd, "m", id); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	read := func(b *testing.B, eng *engine.Engine) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := eng.Query(ctx, sel, 1)
			if err != nil {
				b.Fatal(err)
			}
			var id int64
			var s string
			rows.Next()
			if err := rows.Scan(&id, &s); err != nil {
				b.Fatal(err)
			}
			_ = rows.Close()
		}
	}
	b.Run("write/arc-open", func(b *testing.B) { write(b, opened) })
	b.Run("write/arc-new", func(b *testing.B) { write(b, own) })
	b.Run("write/arc-new-cached", func(b *testing.B) { write(b, ownCached) })
	b.Run("write/raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			var id int64
			if err := tx.QueryRowContext(ctx, ins, "n").Scan(&id); err != nil {
				b.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, upd, "m", id); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read/arc-open", func(b *testing.B) { read(b, opened) })
	b.Run("read/arc-new", func(b *testing.B) { read(b, own) })
	b.Run("read/raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var id int64
			var s string
			if err := db.QueryRowContext(ctx, sel, 1).Scan(&id, &s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package engine_test

import (
	"testing"

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

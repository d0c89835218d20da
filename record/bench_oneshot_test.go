package record_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/record"
)

// BenchmarkWhereUpdate: record.Where(...).Update without a session, one
// UPDATE by key in autocommit, against the same UPDATE by database/sql.
func BenchmarkWhereUpdate(b *testing.B) {
	ctx := context.Background()
	eng, err := engine.Open(ctx, "sqlite:///"+filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	if err := migrate.CreateAll(ctx, eng, Author{}); err != nil {
		b.Fatal(err)
	}
	ctx = record.WithEngine(ctx, eng)
	a := &Author{Name: "ed"}
	if err := a.Save(ctx); err != nil {
		b.Fatal(err)
	}
	A := expr.Cols[Author]()
	b.Run("arc", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := record.Where[Author](expr.Eq(&A.ID, a.ID)).Update(ctx, expr.P{"Nickname": "n"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		db := eng.DB()
		for i := 0; b.Loop(); i++ {
			if _, err := db.ExecContext(ctx, "UPDATE authors SET nickname = ? WHERE id = ?", "n", a.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

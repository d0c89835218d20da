package expr_test

import (
	"testing"

	"github.com/arcorm/arc/expr"
)

// Compiling a typical query shape: probe resolution, quoting, placeholders.
func BenchmarkCompileSelect(b *testing.B) {
	q := expr.NewSelect(&U.ID, &U.Name, &U.Fullname, &U.Nickname).
		Filter(expr.Eq(&U.Name, "ed"), expr.In(&U.Age, 1, 2, 3)).
		Order(&U.ID).SetLimit(10)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := expr.Compile(pg, q); err != nil {
			b.Fatal(err)
		}
	}
}

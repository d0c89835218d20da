package expr_test

import (
	"strings"
	"testing"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"

	_ "github.com/arcorm/arc/dialect/postgres"
	_ "github.com/arcorm/arc/dialect/sqlite"
)

// FuzzText: the :name parameter scanner of textual SQL never panics, and
// the SQL it writes has exactly one placeholder per bind argument, which
// are the values of the parameters it found; text without a ':' passes
// through unchanged.
func FuzzText(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM users WHERE id = :id", "x::int", `a\:b`, "':id'", "E'\\':id'", "$$ :id $$", "$tag$ :id $tag$",
		"-- :id\n:name", "/* :id */ :name", "/* unterminated :id", "'unterminated :id", "\"quoted :id\" :name",
		":id:name", ":_a1", ": id", ":", "::", "$1 :id", "e'x'", "$", "$a", "$$", "/*", "--", "':'':id'",
	} {
		f.Add(s)
	}
	sqlite, err := dialect.Lookup("sqlite")
	if err != nil {
		f.Fatal(err)
	}
	pg, err := dialect.Lookup("postgres")
	if err != nil {
		f.Fatal(err)
	}
	params := expr.P{"id": 1, "name": "n", "_a1": 2.5}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range []dialect.Dialect{sqlite, pg} {
			sql, args, err := expr.Compile(d, expr.Text(s, params))
			if err != nil {
				continue // a missing parameter: an error, not a panic
			}
			if !strings.Contains(s, ":") && !strings.Contains(s, "?") && sql != s {
				t.Fatalf("%s: text without parameters changed: %q -> %q", d.Name(), s, sql)
			}
			for _, a := range args {
				switch a {
				case 1, "n", 2.5:
				default:
					t.Fatalf("%s: %q bound %v, which is no parameter's value", d.Name(), s, a)
				}
			}
			if d == sqlite && strings.Count(sql, "?")-strings.Count(s, "?") != len(args) {
				t.Fatalf("%q -> %q: %d placeholders for %d arguments", s, sql, strings.Count(sql, "?")-strings.Count(s, "?"), len(args))
			}
			if len(args) > strings.Count(s, ":") {
				t.Fatalf("%s: %q: %d arguments from %d colons", d.Name(), s, len(args), strings.Count(s, ":"))
			}
		}
	})
}

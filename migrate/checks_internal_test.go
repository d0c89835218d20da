package migrate

import (
	"reflect"
	"testing"

	"github.com/arcorm/arc/dialect"
)

// TestChecksOfSQLiteText: checks read from the CREATE TABLE text SQLite
// keeps, named and unnamed, column and table level, with CHECK-like text
// inside strings and quoted names left alone.
func TestChecksOfSQLiteText(t *testing.T) {
	for _, tc := range []struct {
		ddl  string
		want map[string]string
	}{
		{`CREATE TABLE t (id INTEGER PRIMARY KEY, CONSTRAINT ck_a CHECK (id > 0))`,
			map[string]string{"ck_a": "CHECK (id > 0)"}},
		{`CREATE TABLE t (id INTEGER, price INT NOT NULL CHECK (price > 0), lo INT, hi INT, CHECK(lo < hi))`,
			map[string]string{"t_price_check": "CHECK (price > 0)", "t_check": "CHECK (lo < hi)"}},
		{`CREATE TABLE t (a INT CHECK (a > 0) CHECK (a < 9), CHECK (a <> 5), CHECK (a <> 6))`,
			map[string]string{"t_a_check": "CHECK (a > 0)", "t_a_check1": "CHECK (a < 9)", "t_check": "CHECK (a <> 5)", "t_check1": "CHECK (a <> 6)"}},
		{`CREATE TABLE t (note TEXT DEFAULT 'CHECK (x)', "check" INT, b INT CONSTRAINT ck_b CHECK (b IN (1, 2)))`,
			map[string]string{"ck_b": "CHECK (b IN (1, 2))"}},
		{`CREATE TABLE t ("odd col" INT CHECK ("odd col" > 0), [br] INT CHECK ([br] > 1))`,
			map[string]string{"t_odd col_check": `CHECK ("odd col" > 0)`, "t_br_check": "CHECK ([br] > 1)"}},
		{`CREATE TABLE t (id INTEGER PRIMARY KEY)`, map[string]string{}},
	} {
		got := checksOf(&dialect.TableSchema{Name: "t", DDL: tc.ddl})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.ddl, got, tc.want)
		}
	}
}

// TestRegression_ChecksOfNonASCIIText: reading named checks indexed the
// DDL with positions found in strings.ToUpper of it, which is longer when
// the text holds invalid UTF-8 or letters such as ſ: a slice out of range
// (a panic inside migrate.Diff) or a check cut in the wrong place. Found
// by FuzzChecksOf.
func TestRegression_ChecksOfNonASCIIText(t *testing.T) {
	for _, tc := range []struct {
		ddl  string
		want map[string]string
	}{
		{"\xbeCONSTRAINT ", map[string]string{}},
		{"CREATE TABLE t (note TEXT DEFAULT '\xbe\xbe', CONSTRAINT ck_a CHECK (id > 0))", map[string]string{"ck_a": "CHECK (id > 0)"}},
		{"CREATE TABLE t (note TEXT DEFAULT 'ſſſſ', CONSTRAINT ck_a CHECK (id > 0))", map[string]string{"ck_a": "CHECK (id > 0)"}},
	} {
		got := checksOf(&dialect.TableSchema{Name: "t", DDL: tc.ddl})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %q\nwant %q", tc.ddl, got, tc.want)
		}
	}
}

// FuzzChecksOf: reading checks from any CREATE TABLE text never panics,
// and every check it reports is a CHECK with its parenthesized text.
func FuzzChecksOf(f *testing.F) {
	for _, s := range []string{
		`CREATE TABLE t (a INT CHECK (a > 0), CHECK (a < 9), CONSTRAINT c CHECK (a <> 5))`,
		`CREATE TABLE t ("x" INT CHECK ("x" > 0) CONSTRAINT y CHECK (x < 1))`,
		`CREATE TABLE t (a TEXT DEFAULT 'CHECK (', b INT CHECK (`, `CREATE TABLE t (`, `(((`, `CHECK`, `[`, "`a` INT CHECK(1)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ddl string) {
		for name, def := range checksOf(&dialect.TableSchema{Name: "t", DDL: ddl}) {
			if len(def) < len("CHECK ()") || def[:6] != "CHECK " || def[6] != '(' || def[len(def)-1] != ')' {
				t.Fatalf("%q: check %q is %q", ddl, name, def)
			}
		}
	})
}

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

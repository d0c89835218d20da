package migrate

import (
	"reflect"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []statement
	}{
		{"plain", "SELECT 1;\nSELECT 2;", []statement{{"SELECT 1", 1}, {"SELECT 2", 2}}},
		{"strings and comments", "-- a; b\nINSERT INTO t VALUES ('x;y', \"q;\"); /* c; */ SELECT 3;\n-- trailing",
			[]statement{{"-- a; b\nINSERT INTO t VALUES ('x;y', \"q;\")", 2}, {"/* c; */ SELECT 3", 2}}},
		{"dollar quoting", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT $tag$;$tag$;",
			[]statement{{"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", 1}, {"SELECT $tag$;$tag$", 2}}},
		{"trigger body", "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET n = CASE WHEN 1 THEN 2 END;\n  DELETE FROM u;\nEND;\nSELECT 1;",
			[]statement{{"CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET n = CASE WHEN 1 THEN 2 END;\n  DELETE FROM u;\nEND", 1}, {"SELECT 1", 5}}},
		{"only comments", "-- nothing\n/* here */\n", nil},
		{"doubled quote", "SELECT 'it''s;';", []statement{{"SELECT 'it''s;'", 1}}},
		// Regression (issue 21 item 6): a backslash-escaped quote inside
		// PostgreSQL's E'...' does not end the string.
		{"E string", "INSERT INTO t VALUES (E'esc\\'; still string');\nSELECT e'a\\\\';\nSELECT 1;",
			[]statement{{"INSERT INTO t VALUES (E'esc\\'; still string')", 1}, {"SELECT e'a\\\\'", 2}, {"SELECT 1", 3}}},
		{"dollar after identifier", "SELECT a$b$; SELECT 2;", []statement{{"SELECT a$b$", 1}, {"SELECT 2", 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := splitStatements(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestWidens(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"VARCHAR(50)", "VARCHAR(80)", true},
		{"character varying(50)", "character varying(20)", false},
		{"character varying(50)", "text", true},
		{"integer", "bigint", true},
		{"bigint", "integer", false},
		{"numeric(10,2)", "numeric(12,2)", true},
		{"numeric(10,2)", "numeric(10,3)", false},
		{"text", "integer", false},
		{"bigint", "numeric(22,2)", true},
		{"bigint", "numeric(20,2)", false},
		{"integer", "numeric", true},
	} {
		if got := widens(tc.a, tc.b); got != tc.want {
			t.Errorf("widens(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

package postgres

import (
	"testing"
	"time"
)

// TestAppendArrayElem: each value is written as an array element whose
// text is what lib/pq sends for the value alone.
func TestAppendArrayElem(t *testing.T) {
	d := &Dialect{}
	when := time.Date(2026, 12, 3, 4, 5, 6, 789000000, time.UTC)
	for _, tc := range []struct {
		v     any
		bytea bool
		want  string
		ok    bool
	}{
		{nil, false, `NULL`, true},
		{int64(-42), false, `-42`, true},
		{1.5, false, `"1.5"`, true},
		{true, false, `true`, true},
		{"", false, `""`, true},
		{"NULL", false, `"NULL"`, true},
		{`a"b\c,{d}`, false, `"a\"b\\c,{d}"`, true},
		{[]byte{0x0a, 0xff}, true, `"\\x0aff"`, true},
		{"ab", true, `"\\x6162"`, true},
		{[]byte(nil), true, `NULL`, true},
		{[]byte("text"), false, `"text"`, true},
		{when, false, `"2026-12-03 04:05:06.789Z"`, true},
		{int32(1), false, ``, false},
		{struct{}{}, false, ``, false},
	} {
		got, ok := d.AppendArrayElem(nil, tc.v, tc.bytea)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("AppendArrayElem(%#v, bytea=%v) = %q, %v; want %q, %v", tc.v, tc.bytea, got, ok, tc.want, tc.ok)
		}
	}
}

// TestArrayOf: a column type gets its array type, except array types
// (unnest would flatten them) and box (';' separates its elements).
func TestArrayOf(t *testing.T) {
	d := &Dialect{}
	for in, want := range map[string]string{
		"BIGINT":                   "BIGINT[]",
		"TIMESTAMP WITH TIME ZONE": "TIMESTAMP WITH TIME ZONE[]",
		"mood":                     "mood[]",
		`"My Type"`:                `"My Type"[]`,
		"text[]":                   "",
		"INT[3]":                   "",
		"integer ARRAY":            "",
		"integer ARRAY[4]":         "",
		"_int4":                    "",
		"box":                      "",
		"BOX":                      "",
		" ":                        "",
	} {
		if got := d.ArrayOf(in); got != want {
			t.Errorf("ArrayOf(%q) = %q; want %q", in, got, want)
		}
	}
}

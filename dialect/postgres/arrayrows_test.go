package postgres

import (
	"encoding/hex"
	"errors"
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

// FuzzAppendArrayElem: any string, as text or bytea, written as an array
// element and read back by PostgreSQL's rules for a quoted element (a
// backslash takes the next byte literally; an unescaped quote ends it),
// gives back the text lib/pq would send for it alone; a sequence of
// elements stays separable at its commas.
func FuzzAppendArrayElem(f *testing.F) {
	for _, s := range []string{"", "NULL", `"`, `\`, `\"`, ",", "{}", "a b", "é🙂", "\x00", "\\x00"} {
		f.Add(s)
	}
	d := &Dialect{}
	f.Fuzz(func(t *testing.T, s string) {
		for _, bytea := range []bool{false, true} {
			b, ok := d.AppendArrayElem(nil, s, bytea)
			if !ok {
				t.Fatalf("refused %q", s)
			}
			b = append(b, ',')
			got, rest, err := readQuoted(b)
			if err != nil {
				t.Fatalf("%q (bytea %v) wrote %q: %v", s, bytea, b, err)
			}
			want := s
			if bytea {
				want = `\x` + hexOf(s)
			}
			if got != want || string(rest) != "," {
				t.Fatalf("%q (bytea %v): element %q reads back as %q, rest %q", s, bytea, b, got, rest)
			}
		}
	})
}

// readQuoted reads one double-quoted array element as PostgreSQL does.
func readQuoted(b []byte) (string, []byte, error) {
	if len(b) == 0 || b[0] != '"' {
		return "", nil, errUnquoted
	}
	var out []byte
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
			if i == len(b) {
				return "", nil, errUnquoted
			}
			out = append(out, b[i])
		case '"':
			return string(out), b[i+1:], nil
		default:
			out = append(out, b[i])
		}
	}
	return "", nil, errUnquoted
}

var errUnquoted = errors.New("not a complete quoted element")

func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }

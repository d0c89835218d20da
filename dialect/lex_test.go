package dialect_test

import (
	"testing"

	"github.com/arcorm/arc/dialect"
)

func TestSkipQuoted(t *testing.T) {
	for _, tc := range []struct {
		in   string
		at   int
		want int
	}{
		{"'a''b' x", 0, 6},
		{`E'esc\'; still' x`, 0, 15},
		{`e'a\\' x`, 0, 6},
		{`xE'a' `, 1, 1}, // E after an identifier byte is not a prefix
		{`"q""x" y`, 0, 6},
		{"`b` y", 0, 3},
		{"$$ a; $$ b", 0, 8},
		{"$tag$ $$ $tag$ b", 0, 14},
		{"$1 + 2", 0, 0},
		{"a$b$", 1, 1},
		{"-- c\nx", 0, 4},
		{"/* c */x", 0, 7},
		{"'open", 0, 5},
		{"plain", 0, 0},
	} {
		if got := dialect.SkipQuoted(tc.in, tc.at); got != tc.want {
			t.Errorf("SkipQuoted(%q, %d) = %d, want %d", tc.in, tc.at, got, tc.want)
		}
	}
}

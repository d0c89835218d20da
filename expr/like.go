package expr

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/arcorm/arc/arcerr"
)

// DefaultEscape is the escape character of HasSubstr, StartsWith and
// EndsWith, and the one EscapeLike uses.
const DefaultEscape = '\\'

// EscapeLike returns s with the LIKE wildcards % and _ and the escape
// character esc itself preceded by esc, so that the result matches s
// literally in "LIKE pattern ESCAPE 'esc'".
func EscapeLike(s string, esc rune) string {
	if !strings.ContainsAny(s, "%_") && !strings.ContainsRune(s, esc) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for _, r := range s {
		if r == '%' || r == '_' || r == esc {
			b.WriteRune(esc)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// checkEscape validates a LIKE escape character: a single printable
// character that is not a quote or a wildcard.
func checkEscape(esc rune) error {
	if esc <= ' ' || esc == '\'' || esc == '%' || esc == '_' || esc == utf8.RuneError || esc == 0x7f {
		return fmt.Errorf("%w: LIKE escape character %q: choose a printable character other than a quote, %% or _", arcerr.ErrInvalidRequest, esc)
	}
	return nil
}

// LikeEscape is col LIKE pattern ESCAPE 'esc' on every dialect: in
// pattern, esc makes the next %, _ or esc literal. Use it instead of Like
// when a pattern holds a literal % or _, so that both dialects read it
// the same way (PostgreSQL's default escape is \, SQLite has none).
func LikeEscape[S ~string](col *S, pattern string, esc rune) Expr {
	return &LikeExpr{X: Field(col), Pattern: pattern, Escape: esc}
}

// ILikeEscape is the case-insensitive LikeEscape.
func ILikeEscape[S ~string](col *S, pattern string, esc rune) Expr {
	return &LikeExpr{X: Field(col), Pattern: pattern, CI: true, Escape: esc}
}

// HasSubstr is true where col contains s literally: col LIKE '%s%'
// ESCAPE '\' with the %, _ and \ of s escaped. Like LIKE, it ignores ASCII
// case on SQLite and respects it on PostgreSQL.
func HasSubstr[S ~string](col *S, s string) Expr {
	return &LikeExpr{X: Field(col), Pattern: "%" + EscapeLike(s, DefaultEscape) + "%", Escape: DefaultEscape}
}

// StartsWith is true where col begins with s literally (see HasSubstr).
func StartsWith[S ~string](col *S, s string) Expr {
	return &LikeExpr{X: Field(col), Pattern: EscapeLike(s, DefaultEscape) + "%", Escape: DefaultEscape}
}

// EndsWith is true where col ends with s literally (see HasSubstr).
func EndsWith[S ~string](col *S, s string) Expr {
	return &LikeExpr{X: Field(col), Pattern: "%" + EscapeLike(s, DefaultEscape), Escape: DefaultEscape}
}

package arc

import "github.com/arcorm/arc/expr"

// HasSubstr is true where col contains s literally: the %, _ and \ of s
// are escaped and the pattern carries ESCAPE '\', so both dialects match
// the same rows (named HasSubstr because Contains is the relationship
// predicate). LIKE ignores ASCII case on SQLite, not on PostgreSQL.
func HasSubstr[S ~string](col *S, s string) Expr { return expr.HasSubstr(col, s) }

// StartsWith is true where col begins with s literally (see HasSubstr).
func StartsWith[S ~string](col *S, s string) Expr { return expr.StartsWith(col, s) }

// EndsWith is true where col ends with s literally (see HasSubstr).
func EndsWith[S ~string](col *S, s string) Expr { return expr.EndsWith(col, s) }

// LikeEscape is col LIKE pattern ESCAPE 'esc', the same on every dialect:
// esc makes the next %, _ or esc literal. Plain Like leaves escaping to
// the dialect (PostgreSQL: \ escapes; SQLite: nothing does).
func LikeEscape[S ~string](col *S, pattern string, esc rune) Expr {
	return expr.LikeEscape(col, pattern, esc)
}

// ILikeEscape is the case-insensitive LikeEscape.
func ILikeEscape[S ~string](col *S, pattern string, esc rune) Expr {
	return expr.ILikeEscape(col, pattern, esc)
}

// EscapeLike escapes %, _ and esc in s with esc, for a LikeEscape pattern
// built around user input: LikeEscape(&U.Name, arc.EscapeLike(q, '\\')+"%", '\\').
func EscapeLike(s string, esc rune) string { return expr.EscapeLike(s, esc) }

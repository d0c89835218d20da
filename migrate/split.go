package migrate

import (
	"strings"
	"unicode"

	"github.com/arcorm/arc/dialect"
)

// statement is one SQL statement of a migration file and the line it
// starts on (1-based).
type statement struct {
	SQL  string
	Line int
}

// splitStatements cuts a migration file into statements at top-level
// semicolons. It skips what dialect.SkipQuoted does (strings, PostgreSQL's
// E'...' strings with backslash escapes, quoted identifiers, dollar-quoted
// bodies, comments), bracketed identifiers and the BEGIN ... END body of
// SQLite's CREATE TRIGGER, so semicolons inside any of them do not split. Statements that hold only comments are dropped.
func splitStatements(src string) []statement {
	var out []statement
	start, line, startLine := 0, 1, 1
	depth := 0 // BEGIN/CASE ... END nesting inside a CREATE TRIGGER
	trigger := false
	emit := func(end int) {
		s := strings.TrimSpace(src[start:end])
		if !onlyComments(s) {
			out = append(out, statement{SQL: s, Line: startLine + leadingLines(src[start:end])})
		}
	}
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case dialect.SkipQuoted(src, i) > i:
			// A string, quoted identifier, dollar-quoted body or comment.
			j := dialect.SkipQuoted(src, i)
			line += strings.Count(src[i:j], "\n")
			i = j
		case c == '[' && trigger:
			j := strings.IndexByte(src[i:], ']')
			if j < 0 {
				i = len(src)
			} else {
				line += strings.Count(src[i:i+j], "\n")
				i += j + 1
			}
		case isWordStart(c) && (i == 0 || !isWordChar(src[i-1])):
			j := i
			for j < len(src) && isWordChar(src[j]) {
				j++
			}
			word := strings.ToUpper(src[i:j])
			if !trigger && word == "TRIGGER" && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(stripComments(src[start:i]))), "CREATE") {
				trigger = true
			}
			if trigger {
				switch word {
				case "BEGIN", "CASE":
					depth++
				case "END":
					if depth > 0 {
						depth--
					}
				}
			}
			i = j
		case c == ';' && depth == 0:
			emit(i)
			i++
			start, startLine, trigger = i, line, false
		default:
			i++
		}
	}
	if start < len(src) {
		emit(len(src))
	}
	return out
}

func isWordStart(c byte) bool { return c == '_' || unicode.IsLetter(rune(c)) }
func isWordChar(c byte) bool  { return isWordStart(c) || (c >= '0' && c <= '9') }

// leadingLines counts the newlines before the first non-space, non-comment
// character of s.
func leadingLines(s string) int {
	n := 0
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\n':
			n++
			i++
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\r':
			i++
		case strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return n
			}
			i += j
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i:], "*/")
			if j < 0 {
				return n
			}
			n += strings.Count(s[i:i+j], "\n")
			i += j + 2
		default:
			return n
		}
	}
	return n
}

// stripComments removes -- and /* */ comments (outside strings; good
// enough for looking at a statement's first words).
func stripComments(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return b.String()
			}
			i += j
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i:], "*/")
			if j < 0 {
				return b.String()
			}
			i += j + 2
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

func onlyComments(s string) bool { return strings.TrimSpace(stripComments(s)) == "" }

// firstWords returns the first n upper-cased words of a statement,
// comments skipped.
func firstWords(s string, n int) []string {
	f := strings.Fields(strings.ToUpper(stripComments(s)))
	if len(f) > n {
		f = f[:n]
	}
	return f
}

package expr

import (
	"fmt"
	"strings"

	"github.com/arcorm/arc/arcerr"
)

// P holds named parameters for textual SQL.
type P map[string]any

// TextExpr is textual SQL with :name parameters, which compile to the
// dialect's placeholders. "::" (a PostgreSQL cast) and "\:" are left alone,
// and so is anything inside quotes (including PostgreSQL's E'...' and
// dollar-quoted $$...$$ strings) or comments (-- and /* */).
type TextExpr struct {
	SQL    string
	Params P
}

// Text returns a textual SQL fragment or statement; params may be given
// now or later with Bind.
func Text(sql string, params ...P) *TextExpr {
	t := &TextExpr{SQL: sql}
	for _, p := range params {
		t = t.Bind(p)
	}
	return t
}

// Bind returns a copy of t with more parameters merged in (later wins).
func (t *TextExpr) Bind(p P) *TextExpr {
	n := &TextExpr{SQL: t.SQL, Params: make(P, len(t.Params)+len(p))}
	for k, v := range t.Params {
		n.Params[k] = v
	}
	for k, v := range p {
		n.Params[k] = v
	}
	return n
}

func (*TextExpr) statement() {}

// AppendSQL translates :name parameters into bind placeholders.
func (t *TextExpr) AppendSQL(c *Compiler) { appendText(c, t.SQL, t.Params) }

func isIdentByte(b byte) bool {
	return b == '_' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
}

// dollarTag returns the opening tag of a dollar-quoted string at the start
// of s ("$$", "$body$"), or "" ($1 is a positional parameter, not a tag).
func dollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		switch b := s[j]; {
		case b == '$':
			return s[:j+1]
		case b >= '0' && b <= '9':
			if j == 1 {
				return ""
			}
		case !isIdentByte(b):
			return ""
		}
	}
	return ""
}

func appendText(c *Compiler, s string, params P) {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case (ch == 'E' || ch == 'e') && i+1 < len(s) && s[i+1] == '\'' && (i == 0 || !isIdentByte(s[i-1])):
			// PostgreSQL's E'...' string, where a backslash escapes the next byte.
			j := i + 2
			for j < len(s) {
				if s[j] == '\\' {
					j += 2
					continue
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			j = min(j, len(s)-1)
			c.Write(s[i : j+1])
			i = j
		case ch == '$' && (i == 0 || !isIdentByte(s[i-1])):
			// A dollar-quoted string ($$...$$, $fn$...$fn$), copied as is.
			tag := dollarTag(s[i:])
			if tag == "" {
				c.Byte(ch)
				continue
			}
			end := len(s)
			if j := strings.Index(s[i+len(tag):], tag); j >= 0 {
				end = i + len(tag) + j + len(tag)
			}
			c.Write(s[i:end])
			i = end - 1
		case ch == '\'' || ch == '"':
			j := i + 1
			for j < len(s) {
				if s[j] == ch {
					if j+1 < len(s) && s[j+1] == ch {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(s) {
				j = len(s) - 1
			}
			c.Write(s[i : j+1])
			i = j
		case ch == '-' && i+1 < len(s) && s[i+1] == '-':
			// A line comment: copied as is, to the end of the line.
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				j = len(s) - i
			}
			c.Write(s[i : i+j])
			i += j - 1
		case ch == '/' && i+1 < len(s) && s[i+1] == '*':
			// A block comment: copied as is.
			j := strings.Index(s[i+2:], "*/")
			end := len(s)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			c.Write(s[i:end])
			i = end - 1
		case ch == '\\' && i+1 < len(s) && s[i+1] == ':':
			c.Byte(':')
			i++
		case ch == ':' && i+1 < len(s) && s[i+1] == ':':
			c.Write("::")
			i++
		case ch == ':' && i+1 < len(s) && isIdentByte(s[i+1]) && (i == 0 || !isIdentByte(s[i-1])):
			j := i + 1
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			name := s[i+1 : j]
			v, ok := params[name]
			if !ok {
				v, ok = c.Params[name]
			}
			if !ok {
				c.Fail(fmt.Errorf("%w: text SQL %q: no value for parameter :%s", arcerr.ErrInvalidRequest, s, name))
				return
			}
			c.Bind(v)
			i = j - 1
		default:
			c.Byte(ch)
		}
	}
}

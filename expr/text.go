package expr

import (
	"fmt"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
)

// P holds named parameters for textual SQL.
type P map[string]any

// TextExpr is textual SQL with :name parameters, which compile to the
// dialect's placeholders. "::" (a PostgreSQL cast) and "\:" are left alone,
// and so is anything inside quotes (including PostgreSQL's E'...' and
// dollar-quoted $$...$$ strings) or comments (-- and /* */): what
// dialect.SkipQuoted skips.
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

func appendText(c *Compiler, s string, params P) {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case dialect.SkipQuoted(s, i) > i:
			// A string (also E'...' and $$...$$), quoted identifier or
			// comment: copied as is. The migration splitter skips the same.
			j := dialect.SkipQuoted(s, i)
			c.Write(s[i:j])
			i = j - 1
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

package dialect

import (
	"strconv"
	"time"
)

// Base holds what most dialects share: ANSI double-quote identifiers quoted
// only when needed, and a feature mask. Dialects embed it.
type Base struct {
	Features Feature
	Params   int
	// Reserved words that must be quoted (lower case).
	Reserved map[string]bool
	// TimeResolution is what TimePrecision returns; 0 means a microsecond.
	TimeResolution time.Duration
}

// ValuesColumn is SQLite's and PostgreSQL's name of a VALUES list's
// column: column1 for i == 0.
func (b *Base) ValuesColumn(i int) string { return "column" + strconv.Itoa(i+1) }

// TimePrecision is TimeResolution, a microsecond when it is 0.
func (b *Base) TimePrecision() time.Duration {
	if b.TimeResolution > 0 {
		return b.TimeResolution
	}
	return time.Microsecond
}

// Has reports whether all of f is supported.
func (b *Base) Has(f Feature) bool { return b.Features&f == f }

// MaxParams is the bind-parameter limit.
func (b *Base) MaxParams() int { return b.Params }

// AppendIdent quotes ident with double quotes when it is not a plain
// lower-case identifier or is a reserved word; embedded quotes are doubled.
func (b *Base) AppendIdent(buf []byte, ident string) []byte {
	return b.AppendQuotedIdent(buf, ident, '"')
}

// AppendQuotedIdent is AppendIdent with the quote character q (a dialect
// that quotes with backticks calls it with '`'): ident is written as it is
// when it is a plain lower-case identifier and not in Reserved, else
// between q's with embedded q's doubled.
func (b *Base) AppendQuotedIdent(buf []byte, ident string, q byte) []byte {
	if !b.needsQuote(ident) {
		return append(buf, ident...)
	}
	buf = append(buf, q)
	for i := 0; i < len(ident); i++ {
		if ident[i] == q {
			buf = append(buf, q)
		}
		buf = append(buf, ident[i])
	}
	return append(buf, q)
}

func (b *Base) needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case c >= '0' && c <= '9':
			if i == 0 {
				return true
			}
		default:
			return true
		}
	}
	return b.Reserved[s]
}

// AppendQuestion appends '?' (SQLite, MySQL).
func AppendQuestion(buf []byte, _ int) []byte { return append(buf, '?') }

// AppendDollar appends $n (PostgreSQL).
func AppendDollar(buf []byte, n int) []byte {
	buf = append(buf, '$')
	return strconv.AppendInt(buf, int64(n), 10)
}

// ReservedWords is a set of words reserved in SQL:2016, PostgreSQL or
// SQLite, which Arc always quotes as identifiers.
var ReservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"abort", "action", "add", "after", "all", "alter", "analyze", "and", "any", "array", "as", "asc",
		"asymmetric", "attach", "authorization", "autoincrement", "before", "begin", "between", "binary", "both", "by",
		"cascade", "case", "cast", "check", "collate", "column", "commit", "conflict", "constraint", "create",
		"cross", "current", "current_catalog", "current_date", "current_role", "current_schema", "current_time",
		"current_timestamp", "current_user", "database", "default", "deferrable", "deferred", "delete", "desc",
		"detach", "distinct", "do", "drop", "each", "else", "end", "escape", "except", "exclusive", "exists",
		"explain", "false", "fetch", "filter", "for", "foreign", "freeze", "from", "full", "glob", "grant", "group",
		"groups", "having", "if", "ignore", "ilike", "immediate", "in", "index", "indexed", "initially", "inner",
		"insert", "instead", "intersect", "into", "is", "isnull", "join", "key", "lateral", "leading", "left",
		"like", "limit", "localtime", "localtimestamp", "match", "natural", "no", "not", "nothing", "notnull",
		"null", "nulls", "of", "offset", "on", "only", "or", "order", "others", "outer", "over", "overlaps",
		"partition", "placing", "plan", "pragma", "preceding", "primary", "query", "raise", "range", "recursive",
		"references", "regexp", "reindex", "release", "rename", "replace", "restrict", "returning", "right",
		"rollback", "row", "rows", "savepoint", "select", "session_user", "set", "similar", "some", "symmetric",
		"table", "tablesample", "temp", "temporary", "then", "ties", "to", "trailing", "transaction", "trigger",
		"true", "unbounded", "union", "unique", "update", "user", "using", "vacuum", "values", "variadic",
		"verbose", "view", "virtual", "when", "where", "window", "with", "without",
	} {
		m[w] = true
	}
	return m
}()

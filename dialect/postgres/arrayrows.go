package postgres

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/arcorm/arc/dialect"
)

// AppendArrayElem implements dialect.ArrayRows: v as one element of an
// array literal, its text exactly what lib/pq sends for v as a text
// parameter (lib/pq's encode), quoted so that any text survives: "NULL",
// commas, braces, quotes and backslashes included. bytea says the
// column is bytea, whose values lib/pq sends in hex (\x…).
func (*Dialect) AppendArrayElem(b []byte, v any, bytea bool) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "NULL"...), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case float64:
		b = append(b, '"')
		b = strconv.AppendFloat(b, x, 'f', -1, 64) // NaN, +Inf: quoted
		return append(b, '"'), true
	case bool:
		return strconv.AppendBool(b, x), true
	case string:
		if bytea {
			return appendHex(b, []byte(x)), true
		}
		return appendQuoted(b, x), true
	case []byte:
		if x == nil {
			return append(b, "NULL"...), true
		}
		if bytea {
			return appendHex(b, x), true
		}
		return appendQuoted(b, string(x)), true
	case time.Time:
		b = append(b, '"')
		b = append(b, pq.FormatTimestamp(x)...) // digits, '-', ':', '.', ' ', '+', letters: no quoting needed
		return append(b, '"'), true
	}
	return b, false
}

// ArrayOf implements dialect.ArrayRows: elem + "[]", or "" for an array
// type (T[], T[n], T ARRAY, PostgreSQL's own _T) and for box, the one built-in type whose
// array elements are separated by ';' (typdelim). A user's type with its
// own DELIMITER is not known here; enums and domains use ','.
func (*Dialect) ArrayOf(elem string) string {
	t := strings.ToLower(strings.TrimSpace(elem))
	if t == "" || t[0] == '_' || strings.HasSuffix(t, "]") || strings.HasSuffix(t, " array") || strings.Contains(t, " array[") {
		return ""
	}
	if t == "box" || t == "pg_catalog.box" || t == `"box"` {
		return ""
	}
	return elem + "[]"
}

// appendQuoted appends s as a double-quoted array element: " and \ are
// escaped with a backslash; every other byte stands for itself.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0 // s[start:i] is still to be copied, as one run
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(b, s[start:i]...)
			b = append(b, '\\')
			start = i // the quote or backslash itself opens the next run
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendHex appends p as a quoted bytea element in hex ("\\x0a1b": the
// element's text is \x0a1b once its backslash escape is read).
func appendHex(b []byte, p []byte) []byte {
	b = append(b, `"\\x`...)
	b = hex.AppendEncode(b, p)
	return append(b, '"')
}

var _ dialect.ArrayRows = (*Dialect)(nil)

package postgres

import (
	"strings"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
)

// RenderOperation writes ALTER COLUMN ... TYPE with a USING cast where
// PostgreSQL has no assignment cast from the old type to the new one;
// every other operation is the standard SQL.
func (d *Dialect) RenderOperation(op ddl.Operation) ([]string, bool) {
	if o, ok := op.(ddl.AlterColumnType); ok {
		stmts := ddl.Standard(d, op)
		stmts[0] += using(dialect.QuoteIdent(d, o.Column), o.From, o.To)
		return stmts, true
	}
	return nil, false
}

// using is the USING clause of ALTER COLUMN ... TYPE from a to b: none
// where PostgreSQL has an assignment cast (anything to a string type,
// between number types, between date/time types, between spellings of
// one type), so the database checks the values against the new type
// (a value that does not fit fails the statement instead of being cut,
// where an explicit ::varchar(50) would truncate); otherwise an explicit
// cast, which fails on a value it cannot convert.
func using(col, a, b string) string {
	na, nb := typeName(a), typeName(b)
	switch {
	case na == nb, strType[nb], numeric(na) && numeric(nb), dateTime[na] && dateTime[nb]:
		return ""
	}
	return " USING " + col + "::" + b
}

// typeName is a type's name without its arguments, upper-cased:
// "character varying(20)" is CHARACTER VARYING.
func typeName(t string) string {
	t = strings.ToUpper(strings.TrimSpace(t))
	if i := strings.IndexByte(t, '('); i >= 0 {
		return strings.TrimSpace(t[:i])
	}
	return t
}

func numeric(n string) bool { return intType[n] || numType[n] }

var (
	intType  = map[string]bool{"SMALLINT": true, "INT2": true, "INTEGER": true, "INT": true, "INT4": true, "BIGINT": true, "INT8": true}
	strType  = map[string]bool{"TEXT": true, "VARCHAR": true, "CHARACTER VARYING": true, "CHAR": true, "CHARACTER": true, "BPCHAR": true}
	numType  = map[string]bool{"NUMERIC": true, "DECIMAL": true, "REAL": true, "FLOAT4": true, "DOUBLE PRECISION": true, "FLOAT8": true}
	dateTime = map[string]bool{"DATE": true, "TIMESTAMP WITHOUT TIME ZONE": true, "TIMESTAMP WITH TIME ZONE": true,
		"TIMESTAMP": true, "TIMESTAMPTZ": true}
)

var _ ddl.Renderer = (*Dialect)(nil)

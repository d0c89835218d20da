package session

import (
	"strconv"
	"strings"
	"sync"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/meta"
)

// Statement texts for the unit of work are cached per dialect, table and
// column set, so a hot flush does not re-render SQL.
type sqlKey struct {
	d    dialect.Dialect
	t    *meta.Table
	kind byte
	mask uint64 // columns included (bit i = table column i); 0 with kind 'x' means "use cols"
	rows int
	ret  uint64
}

var sqlCache sync.Map // sqlKey -> string

func cachedSQL(k sqlKey, build func() string) string {
	if k.t != nil && len(k.t.Columns) <= 64 {
		if v, ok := sqlCache.Load(k); ok {
			return v.(string)
		}
		q := build()
		sqlCache.Store(k, q)
		return q
	}
	return build()
}

func appendPlaceholder(d dialect.Dialect, b []byte, n *int) []byte {
	*n++
	return d.AppendPlaceholder(b, *n)
}

// insertSQL renders INSERT INTO t (cols) VALUES (...)×rows [RETURNING ret].
func insertSQL(d dialect.Dialect, t *meta.Table, cols []*meta.Column, mask uint64, rows int, ret []*meta.Column, retMask uint64) string {
	return cachedSQL(sqlKey{d: d, t: t, kind: 'i', mask: mask, rows: rows, ret: retMask}, func() string {
		b := make([]byte, 0, 64+rows*len(cols)*4)
		b = append(b, "INSERT INTO "...)
		b = d.AppendIdent(b, t.Name)
		if len(cols) == 0 {
			if d.Has(dialect.DefaultValues) {
				b = append(b, " DEFAULT VALUES"...)
			} else {
				b = append(b, " () VALUES ()"...)
			}
		} else {
			b = append(b, " ("...)
			for i, c := range cols {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = d.AppendIdent(b, c.Name)
			}
			b = append(b, ") VALUES "...)
			n := 0
			for r := 0; r < rows; r++ {
				if r > 0 {
					b = append(b, ", "...)
				}
				b = append(b, '(')
				for i := range cols {
					if i > 0 {
						b = append(b, ", "...)
					}
					b = appendPlaceholder(d, b, &n)
				}
				b = append(b, ')')
			}
		}
		b = appendReturning(d, b, ret)
		return string(b)
	})
}

// insertOrderedSQL renders, for a dialect with dialect.ValuesTable, the form that fixes the order in which the
// database assigns generated keys to a multi-row INSERT:
//
//	INSERT INTO t (a, b) SELECT column1, column2 FROM (VALUES (?, ?, 0), (?, ?, 1)) AS arc_rows ORDER BY column3 RETURNING id
//
// (the VALUES columns named by the dialect's ValuesColumn).
//
// Rows are inserted, and their keys drawn, in sentinel order, so sorting
// the returned keys matches them to the objects in VALUES order. The
// order of the RETURNING rows themselves is never relied on. This is the
// form SQLAlchemy's "insertmanyvalues" uses on PostgreSQL.
func insertOrderedSQL(d dialect.Dialect, t *meta.Table, cols []*meta.Column, mask uint64, rows int, ret []*meta.Column, retMask uint64) string {
	return cachedSQL(sqlKey{d: d, t: t, kind: 'o', mask: mask, rows: rows, ret: retMask}, func() string {
		typed := d.Has(dialect.TypedValues)
		casts := make([]string, len(cols))
		if typed {
			for i, c := range cols {
				casts[i] = "::" + castType(d.ColumnType(c))
			}
		}
		b := make([]byte, 0, 96+rows*(len(cols)*6+8))
		b = append(b, "INSERT INTO "...)
		b = d.AppendIdent(b, t.Name)
		b = append(b, " ("...)
		for i, c := range cols {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = d.AppendIdent(b, c.Name)
		}
		b = append(b, ") SELECT "...)
		for i := range cols {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = d.AppendIdent(b, d.ValuesColumn(i))
		}
		b = append(b, " FROM (VALUES "...)
		n := 0
		for r := 0; r < rows; r++ {
			if r > 0 {
				b = append(b, ", "...)
			}
			b = append(b, '(')
			for i := range cols {
				b = appendPlaceholder(d, b, &n)
				if r == 0 {
					// The first row types the VALUES columns; later rows'
					// parameters take the resolved column type.
					b = append(b, casts[i]...)
				}
				b = append(b, ", "...)
			}
			b = strconv.AppendInt(b, int64(r), 10)
			b = append(b, ')')
		}
		b = append(b, ") AS arc_rows ORDER BY "...)
		b = d.AppendIdent(b, d.ValuesColumn(len(cols)))
		b = appendReturning(d, b, ret)
		return string(b)
	})
}

// castType drops a type's length or precision, so that the cast only
// types the parameter and the column's own assignment rules (length
// checks, rounding) still apply: VARCHAR(50) -> VARCHAR; CHAR(n) -> bpchar
// and BIT(n) -> varbit (a bare CHAR or BIT has length 1).
func castType(typ string) string {
	base := typ
	if i := strings.IndexByte(typ, '('); i >= 0 {
		if j := strings.IndexByte(typ[i:], ')'); j >= 0 {
			base = strings.TrimSpace(typ[:i] + typ[i+j+1:])
		}
	}
	switch strings.ToUpper(base) {
	case "CHAR", "CHARACTER":
		return "bpchar"
	case "BIT":
		return "varbit" // a bare BIT is BIT(1)
	case "SERIAL", "SERIAL4":
		return "INTEGER" // serial types are DDL shorthands, not types
	case "BIGSERIAL", "SERIAL8":
		return "BIGINT"
	case "SMALLSERIAL", "SERIAL2":
		return "SMALLINT"
	}
	return base
}

func appendReturning(d dialect.Dialect, b []byte, ret []*meta.Column) []byte {
	if len(ret) == 0 {
		return b
	}
	b = append(b, " RETURNING "...)
	for i, c := range ret {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = d.AppendIdent(b, c.Name)
	}
	return b
}

// updateSQL renders UPDATE t SET a = ?, ... [, version = version + 1]
// WHERE pk = ? [AND version = ?].
func updateSQL(d dialect.Dialect, t *meta.Table, cols []*meta.Column, mask uint64) string {
	return cachedSQL(sqlKey{d: d, t: t, kind: 'u', mask: mask}, func() string {
		b := []byte("UPDATE ")
		b = d.AppendIdent(b, t.Name)
		b = append(b, " SET "...)
		n := 0
		for i, c := range cols {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = d.AppendIdent(b, c.Name)
			b = append(b, " = "...)
			b = appendPlaceholder(d, b, &n)
		}
		if v := t.Version; v != nil {
			b = append(b, ", "...)
			b = d.AppendIdent(b, v.Name)
			b = append(b, " = "...)
			b = d.AppendIdent(b, v.Name)
			b = append(b, " + 1"...)
		}
		b = appendPKWhere(d, b, t, &n)
		if d.Has(dialect.ReturningUpdate) {
			b = appendReturning(d, b, t.Generated) // read the generated columns back
		}
		return string(b)
	})
}

func appendPKWhere(d dialect.Dialect, b []byte, t *meta.Table, n *int) []byte {
	b = append(b, " WHERE "...)
	for i, c := range t.PrimaryKey {
		if i > 0 {
			b = append(b, " AND "...)
		}
		b = d.AppendIdent(b, c.Name)
		b = append(b, " = "...)
		b = appendPlaceholder(d, b, n)
	}
	if v := t.Version; v != nil {
		b = append(b, " AND "...)
		b = d.AppendIdent(b, v.Name)
		b = append(b, " = "...)
		b = appendPlaceholder(d, b, n)
	}
	return b
}

// deleteSQL renders DELETE FROM t WHERE pk = ? [AND version = ?].
func deleteSQL(d dialect.Dialect, t *meta.Table) string {
	return cachedSQL(sqlKey{d: d, t: t, kind: 'd'}, func() string {
		b := []byte("DELETE FROM ")
		b = d.AppendIdent(b, t.Name)
		n := 0
		b = appendPKWhere(d, b, t, &n)
		return string(b)
	})
}

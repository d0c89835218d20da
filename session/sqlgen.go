package session

import (
	"strconv"
	"strings"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/meta"
)

// The unit of work's INSERT, UPDATE and DELETE, built with expr and
// rendered by the dialect, once per dialect, table and column set: a hot
// flush does not render SQL.

// sqlKey keys the statements of the flush and of the load paths in the
// engine's compiled cache (see stmtCache): dialect, table, statement
// kind, column set and batch size. The column sets of UPDATEs make up to
// 2^n keys per table; the cache's bound keeps them in check.
type sqlKey struct {
	d    dialect.Dialect
	t    *meta.Table
	kind byte
	mask uint64 // columns included (bit i = table column i); 0 with kind 'x' means "use cols"
	rows int
	ret  uint64
}

// cachedSQL is cachedStmt for the unit of work's statements, which bind
// nothing of their own: their text.
func cachedSQL(c *stmtCache, k sqlKey, build func() expr.Expr) (string, error) {
	st, err := cachedStmt(c, k, func() (stmtText, error) { return renderStmt(k.d, build()) })
	return st.sql, err
}

func names(cols []*meta.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// returningOf is the RETURNING list of a statement with feature f: none
// on a dialect without it.
func returningOf(d dialect.Dialect, f dialect.Feature, ret []*meta.Column) []string {
	if len(ret) == 0 || !d.Has(f) {
		return nil
	}
	return names(ret)
}

// insertSQL renders INSERT INTO t (cols) VALUES (...)×rows [RETURNING ret].
func insertSQL(c *stmtCache, d dialect.Dialect, t *meta.Table, cols []*meta.Column, mask uint64, rows int, ret []*meta.Column, retMask uint64) (string, error) {
	return cachedSQL(c, sqlKey{d: d, t: t, kind: 'i', mask: mask, rows: rows, ret: retMask}, func() expr.Expr {
		in := &expr.Insert{Table: t, Columns: names(cols), Returning: returningOf(d, dialect.ReturningInsert, ret)}
		if len(cols) > 0 {
			in.Rows = make([][]any, rows)
			for r := range in.Rows {
				in.Rows[r] = expr.Slots(len(cols))
			}
		}
		return in
	})
}

// insertOrderedSQL renders, for a dialect with dialect.ValuesTable, the
// form that fixes the order in which the database assigns generated keys
// to a multi-row INSERT:
//
//	INSERT INTO t (a, b) SELECT column1, column2 FROM (VALUES (?, ?, 0), (?, ?, 1)) AS arc_rows ORDER BY column3 RETURNING id
//
// (the VALUES columns named by the dialect's ValuesColumn). Rows are
// inserted, and their keys drawn, in sentinel order, so sorting the
// returned keys matches them to the objects in VALUES order. The order of
// the RETURNING rows themselves is never relied on. This is the form
// SQLAlchemy's "insertmanyvalues" uses on PostgreSQL. On a dialect with
// dialect.TypedValues the first row's parameters are cast to the column
// types (later rows take the resolved types).
func insertOrderedSQL(c *stmtCache, d dialect.Dialect, t *meta.Table, cols []*meta.Column, mask uint64, rows int, ret []*meta.Column, retMask uint64) (string, error) {
	return cachedSQL(c, sqlKey{d: d, t: t, kind: 'o', mask: mask, rows: rows, ret: retMask}, func() expr.Expr {
		typed := d.Has(dialect.TypedValues)
		vt := &expr.ValuesTable{Name: "arc_rows", Rows: make([][]any, rows)}
		for r := range vt.Rows {
			row := make([]any, 0, len(cols)+1)
			for _, c := range cols {
				if r == 0 && typed {
					row = append(row, expr.Cast(expr.Slot{}, castType(d.ColumnType(c))))
				} else {
					row = append(row, expr.Slot{})
				}
			}
			vt.Rows[r] = append(row, expr.Raw(strconv.Itoa(r))) // the sentinel: a constant, not data
		}
		sel := &expr.Select{From: []expr.FromItem{vt}, OrderBy: []expr.Expr{expr.ValuesColumn(len(cols))}}
		for i := range cols {
			sel.Columns = append(sel.Columns, expr.ValuesColumn(i))
		}
		return &expr.Insert{Table: t, Columns: names(cols), Select: sel, Returning: returningOf(d, dialect.ReturningInsert, ret)}
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

// updateSQL renders UPDATE t SET a = ?, ... [, version = version + 1]
// WHERE pk = ? [AND version = ?] [RETURNING generated columns].
func updateSQL(c *stmtCache, d dialect.Dialect, t *meta.Table, cols []*meta.Column, mask uint64) (string, error) {
	return cachedSQL(c, sqlKey{d: d, t: t, kind: 'u', mask: mask}, func() expr.Expr {
		u := &expr.Update{Table: t, Where: pkWhere(t), Returning: returningOf(d, dialect.ReturningUpdate, t.Generated)}
		for _, c := range cols {
			u.Set = append(u.Set, expr.Assign{Col: c.Name, V: expr.Slot{}})
		}
		if v := t.Version; v != nil {
			u.Set = append(u.Set, expr.Assign{Col: v.Name, V: &expr.Binary{L: &expr.Named{Name: v.Name}, Op: "+", R: expr.Raw("1")}})
		}
		return u
	})
}

// pkWhere is pk = ? [AND version = ?], the columns unqualified.
func pkWhere(t *meta.Table) []expr.Expr {
	var w []expr.Expr
	for _, c := range t.PrimaryKey {
		w = append(w, &expr.Binary{L: &expr.Named{Name: c.Name}, Op: "=", R: expr.Slot{}})
	}
	if v := t.Version; v != nil {
		w = append(w, &expr.Binary{L: &expr.Named{Name: v.Name}, Op: "=", R: expr.Slot{}})
	}
	return w
}

// deleteSQL renders DELETE FROM t WHERE pk = ? [AND version = ?].
func deleteSQL(c *stmtCache, d dialect.Dialect, t *meta.Table) (string, error) {
	return cachedSQL(c, sqlKey{d: d, t: t, kind: 'd'}, func() expr.Expr {
		return &expr.Delete{Table: t, Where: pkWhere(t)}
	})
}

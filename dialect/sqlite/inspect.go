package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/arcorm/arc/dialect"
)

// InspectTables reads the main database's tables through sqlite_master
// and the table_xinfo, foreign_key_list and index_list pragmas. SQLite
// keeps no names for primary keys, foreign keys and unique constraints
// outside the CREATE TABLE text, so those come back unnamed.
func (*Dialect) InspectTables(ctx context.Context, q dialect.Querier) ([]*dialect.TableSchema, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("arc: inspect sqlite tables: %w", err)
	}
	var tables []*dialect.TableSchema
	for rows.Next() {
		t := &dialect.TableSchema{}
		var ddl sql.NullString
		if err := rows.Scan(&t.Name, &ddl); err != nil {
			rows.Close()
			return nil, err
		}
		t.DDL = ddl.String
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, t := range tables {
		if err := inspectTable(ctx, q, t); err != nil {
			return nil, fmt.Errorf("arc: inspect sqlite table %s: %w", t.Name, err)
		}
	}
	return tables, nil
}

func inspectTable(ctx context.Context, q dialect.Querier, t *dialect.TableSchema) error {
	rows, err := q.QueryContext(ctx, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid`, t.Name)
	if err != nil {
		return err
	}
	type pkcol struct {
		name string
		pos  int
	}
	var pk []pkcol
	for rows.Next() {
		c := &dialect.ColumnSchema{}
		var def sql.NullString
		var pos int
		if err := rows.Scan(&c.Name, &c.Type, &c.NotNull, &def, &pos); err != nil {
			rows.Close()
			return err
		}
		c.Type = NormalizeType(c.Type)
		c.Default = strings.TrimSpace(def.String)
		if pos > 0 {
			pk = append(pk, pkcol{c.Name, pos})
		}
		t.Columns = append(t.Columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(pk) > 0 {
		cols := make([]string, len(pk))
		for _, p := range pk {
			cols[p.pos-1] = p.name
		}
		t.PrimaryKey = &dialect.ConstraintSchema{Columns: cols}
		if len(cols) == 1 {
			if c := t.Column(cols[0]); c != nil && c.Type == "INTEGER" {
				c.Identity = true
				c.AutoIncrement = hasWord(t.DDL, "AUTOINCREMENT")
			}
		}
	}

	rows, err = q.QueryContext(ctx, `SELECT id, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, t.Name)
	if err != nil {
		return err
	}
	byID := map[int]*dialect.ForeignKeySchema{}
	for rows.Next() {
		var id int
		var ref, from string
		var to sql.NullString
		var onUpd, onDel string
		if err := rows.Scan(&id, &ref, &from, &to, &onUpd, &onDel); err != nil {
			rows.Close()
			return err
		}
		fk := byID[id]
		if fk == nil {
			fk = &dialect.ForeignKeySchema{RefTable: ref, OnDelete: action(onDel), OnUpdate: action(onUpd)}
			byID[id] = fk
			t.ForeignKeys = append(t.ForeignKeys, fk)
		}
		fk.Columns = append(fk.Columns, from)
		fk.RefColumns = append(fk.RefColumns, to.String)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	rows, err = q.QueryContext(ctx, `SELECT il.name, il."unique", il.origin, il.partial, COALESCE(m.sql, '')
		FROM pragma_index_list(?) AS il LEFT JOIN sqlite_master AS m ON m.type = 'index' AND m.name = il.name
		ORDER BY il.name`, t.Name)
	if err != nil {
		return err
	}
	type ix struct {
		name, origin, def string
		unique, partial   bool
	}
	var ixs []ix
	for rows.Next() {
		var x ix
		if err := rows.Scan(&x.name, &x.unique, &x.origin, &x.partial, &x.def); err != nil {
			rows.Close()
			return err
		}
		ixs = append(ixs, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, x := range ixs {
		if x.origin == "pk" {
			continue
		}
		cols, expr, err := indexColumns(ctx, q, x.name)
		if err != nil {
			return err
		}
		switch x.origin {
		case "u":
			t.Uniques = append(t.Uniques, &dialect.ConstraintSchema{Columns: cols})
		default:
			t.Indexes = append(t.Indexes, &dialect.IndexSchema{Name: x.name, Columns: cols, Unique: x.unique, Expr: expr || x.partial,
				Def: x.def, Tail: indexTail(x.def)})
		}
	}
	return nil
}

func indexColumns(ctx context.Context, q dialect.Querier, index string) ([]string, bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, index)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var cols []string
	expr := false
	for rows.Next() {
		var n sql.NullString
		if err := rows.Scan(&n); err != nil {
			return nil, false, err
		}
		if !n.Valid {
			expr = true
		}
		cols = append(cols, n.String)
	}
	return cols, expr, rows.Err()
}

// hasWord reports whether the SQL text has the keyword outside strings,
// quoted names and comments.
func hasWord(sql, word string) bool {
	for i := 0; i < len(sql); {
		if j := dialect.SkipQuoted(sql, i); j > i {
			i = j
			continue
		}
		j := i
		for j < len(sql) && (sql[j] == '_' || sql[j] >= 'a' && sql[j] <= 'z' || sql[j] >= 'A' && sql[j] <= 'Z' || sql[j] >= '0' && sql[j] <= '9') {
			j++
		}
		if j == i {
			i++
			continue
		}
		if strings.EqualFold(sql[i:j], word) {
			return true
		}
		i = j
	}
	return false
}

// indexTail is a CREATE INDEX statement from its column list on: the
// text after the table name.
func indexTail(def string) string {
	for i := 0; i < len(def); {
		if j := dialect.SkipQuoted(def, i); j > i {
			i = j
			continue
		}
		if def[i] == '(' {
			return def[i:]
		}
		i++
	}
	return ""
}

// InspectObjects lists the views and triggers of the main database, in
// the order they were created.
func (*Dialect) InspectObjects(ctx context.Context, q dialect.Querier) ([]*dialect.ObjectSchema, error) {
	rows, err := q.QueryContext(ctx, `SELECT type, name, tbl_name, sql FROM sqlite_master
		WHERE type IN ('view', 'trigger') AND sql IS NOT NULL ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("arc: inspect sqlite views and triggers: %w", err)
	}
	defer rows.Close()
	var out []*dialect.ObjectSchema
	for rows.Next() {
		o := &dialect.ObjectSchema{}
		if err := rows.Scan(&o.Kind, &o.Name, &o.Table, &o.Def); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Affinity is the type affinity SQLite gives a declared column type
// (https://sqlite.org/datatype3.html, 3.1): INTEGER, TEXT, BLOB, REAL or
// NUMERIC.
func Affinity(typ string) string {
	t := strings.ToUpper(typ)
	switch {
	case strings.Contains(t, "INT"):
		return "INTEGER"
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"), strings.Contains(t, "TEXT"):
		return "TEXT"
	case strings.Contains(t, "BLOB"), strings.TrimSpace(t) == "":
		return "BLOB"
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"):
		return "REAL"
	}
	return "NUMERIC"
}

// SameType compares declared types by SQLite's affinity, which is all
// SQLite keeps of them: INT, INTEGER and BIGINT are one type, and so are
// VARCHAR(50) and TEXT (SQLite enforces no length). Types of NUMERIC
// affinity are compared by name without their arguments (BOOLEAN,
// DATETIME and DECIMAL(10,2) stay different: the driver reads them
// differently).
func (*Dialect) SameType(a, b string) bool {
	aa, ab := Affinity(a), Affinity(b)
	if aa != ab {
		return false
	}
	if aa != "NUMERIC" {
		return true
	}
	base := func(t string) string {
		if i := strings.IndexByte(t, '('); i >= 0 {
			t = t[:i]
		}
		return strings.ToUpper(strings.TrimSpace(t))
	}
	return base(a) == base(b)
}

func action(a string) string {
	a = strings.ToUpper(strings.TrimSpace(a))
	if a == "NO ACTION" {
		return ""
	}
	return a
}

// NormalizeType upper-cases a declared type and removes optional spaces
// ("numeric(10, 2)" and "NUMERIC(10,2)" are the same type).
func NormalizeType(t string) string {
	t = strings.ToUpper(strings.Join(strings.Fields(t), " "))
	t = strings.ReplaceAll(t, " (", "(")
	t = strings.ReplaceAll(t, "( ", "(")
	t = strings.ReplaceAll(t, " )", ")")
	t = strings.ReplaceAll(t, ", ", ",")
	return t
}

// Scratch runs fn on a new in-memory database (db is not used).
func (d *Dialect) Scratch(ctx context.Context, _ *sql.DB, fn func(ctx context.Context, q dialect.Querier) error) error {
	s, err := sql.Open(d.DriverName(), "file::memory:?_foreign_keys=1")
	if err != nil {
		return err
	}
	defer s.Close()
	s.SetMaxOpenConns(1)
	return fn(ctx, s)
}

var (
	_ dialect.Inspector       = (*Dialect)(nil)
	_ dialect.ObjectInspector = (*Dialect)(nil)
	_ dialect.TypeComparer    = (*Dialect)(nil)
)

// MigrationDriver is golang-migrate's "sqlite3".
func (*Dialect) MigrationDriver() string { return "sqlite3" }

var _ dialect.MigrationDriver = (*Dialect)(nil)

package mysql

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/arcorm/arc/dialect"
)

// InspectTables reads the base tables of the current database (DATABASE())
// from information_schema: COLUMNS (types normalized by NormalizeType,
// nullability, defaults, AUTO_INCREMENT), TABLE_CONSTRAINTS with
// KEY_COLUMN_USAGE and REFERENTIAL_CONSTRAINTS (primary key, foreign keys
// with their actions), STATISTICS (indexes with prefix lengths) and
// CHECK_CONSTRAINTS.
//
// MySQL keeps a unique constraint as a unique index, and cannot tell a
// CONSTRAINT ... UNIQUE from a CREATE UNIQUE INDEX: every unique index is
// reported as a unique constraint. The primary key is always named
// PRIMARY. An index MySQL made by itself for a foreign key (named after
// the key) is reported as an index: the scratch database of a diff makes
// the same one, and dropping the key leaves it behind. An index with a
// prefix length (`name`(10)), on an expression (MySQL 8) or of a kind
// other than BTREE/HASH (FULLTEXT, SPATIAL) is reported with Expr set,
// which Diff leaves alone. MariaDB's column-level checks are reported
// with their column (ColumnSchema.Checks, which MODIFY COLUMN restates),
// except the json_valid check of a JSON column, which the type brings
// along.
func (d *Dialect) InspectTables(ctx context.Context, q dialect.Querier) ([]*dialect.TableSchema, error) {
	mariaDB, err := isMariaDB(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("arc: inspect mysql: %w", err)
	}
	in := &inspection{ctx: ctx, q: q, d: d, mariaDB: mariaDB, byName: map[string]*dialect.TableSchema{}}
	for _, step := range []struct {
		what string
		fn   func() error
	}{
		{"tables", in.tables}, {"columns", in.columns}, {"constraints", in.constraints},
		{"indexes", in.indexes}, {"checks", in.checks},
	} {
		if err := step.fn(); err != nil {
			return nil, fmt.Errorf("arc: inspect mysql %s: %w", step.what, err)
		}
	}
	return in.list, nil
}

type inspection struct {
	ctx     context.Context
	q       dialect.Querier
	d       dialect.Dialect
	mariaDB bool
	list    []*dialect.TableSchema
	byName  map[string]*dialect.TableSchema
}

func isMariaDB(ctx context.Context, q dialect.Querier) (bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT VERSION()")
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var v string
	if rows.Next() {
		if err := rows.Scan(&v); err != nil {
			return false, err
		}
	}
	return strings.Contains(strings.ToLower(v), "mariadb"), rows.Err()
}

// each runs query and calls fn for each row with the row's scan function.
func (in *inspection) each(query string, fn func(scan func(dest ...any) error) error) error {
	rows, err := in.q.QueryContext(in.ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (in *inspection) tables() error {
	return in.each(`SELECT TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
		func(scan func(...any) error) error {
			t := &dialect.TableSchema{}
			if err := scan(&t.Name); err != nil {
				return err
			}
			in.list = append(in.list, t)
			in.byName[t.Name] = t
			return nil
		})
}

func (in *inspection) columns() error {
	return in.each(`SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
		func(scan func(...any) error) error {
			var table, name, typ, nullable, extra string
			var def sql.NullString
			if err := scan(&table, &name, &typ, &nullable, &def, &extra); err != nil {
				return err
			}
			t := in.byName[table]
			if t == nil {
				return nil // a view's column
			}
			c := &dialect.ColumnSchema{Name: name, Type: NormalizeType(typ), NotNull: nullable == "NO"}
			c.Default = normalizeDefault(def, extra, c.Type, in.mariaDB)
			ex := strings.ToLower(extra)
			c.Identity = strings.Contains(ex, "auto_increment")
			c.AutoIncrement = c.Identity
			t.Columns = append(t.Columns, c)
			return nil
		})
}

// normalizeDefault turns information_schema's COLUMN_DEFAULT into the
// SQL of the default ("" for none). MariaDB (10.2.7+) prints it as SQL
// already ('text', 0, current_timestamp(6), NULL for DEFAULT NULL);
// MySQL prints a literal bare and marks an expression DEFAULT_GENERATED
// in EXTRA.
func normalizeDefault(def sql.NullString, extra, typ string, mariaDB bool) string {
	if !def.Valid {
		return ""
	}
	v := def.String
	if mariaDB {
		if strings.EqualFold(v, "NULL") {
			return ""
		}
		return v
	}
	if strings.Contains(strings.ToUpper(extra), "DEFAULT_GENERATED") {
		u := strings.ToUpper(v)
		if strings.HasPrefix(u, "CURRENT_TIMESTAMP") || strings.HasPrefix(u, "NOW(") || strings.HasPrefix(v, "(") {
			return v
		}
		return "(" + v + ")"
	}
	base, _, _ := strings.Cut(typ, "(")
	switch base {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "DECIMAL", "FLOAT", "DOUBLE",
		"TINYINT UNSIGNED", "SMALLINT UNSIGNED", "MEDIUMINT UNSIGNED", "INT UNSIGNED", "BIGINT UNSIGNED", "BIT":
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

var intWidth = regexp.MustCompile(`^(TINYINT|SMALLINT|MEDIUMINT|INT|BIGINT)\(\d+\)`)

// NormalizeType is a column type as Arc compares it: information_schema's
// COLUMN_TYPE upper-cased, without the display width of integer types
// (MariaDB's bigint(20), MySQL 5.7's int(11)) except TINYINT(1), which is
// how MySQL spells BOOLEAN, and without spaces after commas
// (DECIMAL(10,2)).
func NormalizeType(t string) string {
	t = strings.ToUpper(strings.Join(strings.Fields(t), " "))
	t = strings.ReplaceAll(t, ", ", ",")
	t = strings.ReplaceAll(t, " (", "(")
	switch {
	case t == "BOOLEAN" || t == "BOOL":
		return "TINYINT(1)"
	case t == "INTEGER":
		return "INT"
	case strings.HasPrefix(t, "TINYINT(1)"):
		return t
	}
	return intWidth.ReplaceAllString(t, "$1")
}

// SameType compares two spellings of a column type by their normalized
// form (BOOLEAN is TINYINT(1), INTEGER is INT, bigint(20) is BIGINT).
func (*Dialect) SameType(a, b string) bool { return NormalizeType(a) == NormalizeType(b) }

func (in *inspection) constraints() error {
	type key struct{ table, name string }
	fks := map[key]*dialect.ForeignKeySchema{}
	var fkOrder []key
	err := in.each(`SELECT tc.TABLE_NAME, tc.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE, k.COLUMN_NAME,
			COALESCE(k.REFERENCED_TABLE_NAME, ''), COALESCE(k.REFERENCED_COLUMN_NAME, ''),
			COALESCE(r.DELETE_RULE, ''), COALESCE(r.UPDATE_RULE, '')
		FROM information_schema.TABLE_CONSTRAINTS tc
		JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA
			AND k.TABLE_NAME = tc.TABLE_NAME AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
		LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA
			AND r.TABLE_NAME = tc.TABLE_NAME AND r.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
		WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'FOREIGN KEY')
		ORDER BY tc.TABLE_NAME, tc.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
		func(scan func(...any) error) error {
			var table, name, typ, col, ref, refCol, del, upd string
			if err := scan(&table, &name, &typ, &col, &ref, &refCol, &del, &upd); err != nil {
				return err
			}
			t := in.byName[table]
			if t == nil {
				return nil
			}
			switch typ {
			case "PRIMARY KEY":
				if t.PrimaryKey == nil {
					t.PrimaryKey = &dialect.ConstraintSchema{Name: name}
				}
				t.PrimaryKey.Columns = append(t.PrimaryKey.Columns, col)
			case "FOREIGN KEY":
				k := key{table, name}
				fk := fks[k]
				if fk == nil {
					fk = &dialect.ForeignKeySchema{Name: name, RefTable: ref, OnDelete: fkAction(del), OnUpdate: fkAction(upd)}
					fks[k] = fk
					fkOrder = append(fkOrder, k)
				}
				fk.Columns = append(fk.Columns, col)
				fk.RefColumns = append(fk.RefColumns, refCol)
			}
			return nil
		})
	if err != nil {
		return err
	}
	for _, t := range in.list {
		if t.PrimaryKey != nil {
			t.PrimaryKey.Def = "PRIMARY KEY (" + dialect.IdentList(in.d, t.PrimaryKey.Columns) + ")"
		}
	}
	for _, k := range fkOrder {
		fk := fks[k]
		fk.Def = "FOREIGN KEY (" + dialect.IdentList(in.d, fk.Columns) + ") REFERENCES " +
			dialect.QuoteIdent(in.d, fk.RefTable) + " (" + dialect.IdentList(in.d, fk.RefColumns) + ")"
		if fk.OnDelete != "" {
			fk.Def += " ON DELETE " + fk.OnDelete
		}
		if fk.OnUpdate != "" {
			fk.Def += " ON UPDATE " + fk.OnUpdate
		}
		t := in.byName[k.table]
		t.ForeignKeys = append(t.ForeignKeys, fk)
	}
	return nil
}

// fkAction maps REFERENTIAL_CONSTRAINTS' rules to Arc's spelling: ""
// for NO ACTION and for RESTRICT, which InnoDB treats alike and MariaDB
// reports for a key that names no action.
func fkAction(r string) string {
	r = strings.ToUpper(strings.TrimSpace(r))
	if r == "NO ACTION" || r == "RESTRICT" {
		return ""
	}
	return r
}

func (in *inspection) indexes() error {
	type ixKey struct{ table, name string }
	type ix struct {
		unique, expr bool
		cols, parts  []string
	}
	found := map[ixKey]*ix{}
	var order []ixKey
	err := in.each(`SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, INDEX_TYPE, COALESCE(COLLATION, 'A')
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY'
		ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
		func(scan func(...any) error) error {
			var table, name, typ, coll string
			var nonUnique int
			var col sql.NullString
			var sub sql.NullInt64
			if err := scan(&table, &name, &nonUnique, &col, &sub, &typ, &coll); err != nil {
				return err
			}
			if in.byName[table] == nil {
				return nil
			}
			k := ixKey{table, name}
			x := found[k]
			if x == nil {
				x = &ix{unique: nonUnique == 0}
				found[k] = x
				order = append(order, k)
			}
			typ = strings.ToUpper(typ)
			if !col.Valid || sub.Valid || (typ != "BTREE" && typ != "HASH") {
				x.expr = true
			}
			part := dialect.QuoteIdent(in.d, col.String)
			if !col.Valid {
				part = "(expression)" // MySQL 8 functional index: not read back
			}
			if sub.Valid {
				part += fmt.Sprintf("(%d)", sub.Int64)
			}
			if coll == "D" {
				part += " DESC"
			}
			x.cols = append(x.cols, col.String)
			x.parts = append(x.parts, part)
			return nil
		})
	if err != nil {
		return err
	}
	for _, k := range order {
		x, t := found[k], in.byName[k.table]
		cols := "(" + strings.Join(x.parts, ", ") + ")"
		if x.unique && !x.expr {
			t.Uniques = append(t.Uniques, &dialect.ConstraintSchema{Name: k.name, Columns: x.cols, Def: "UNIQUE " + cols})
			continue
		}
		s := &dialect.IndexSchema{Name: k.name, Columns: x.cols, Unique: x.unique, Expr: x.expr, Tail: cols}
		s.Def = dialect.IndexDDL(in.d, t.Name, s)
		t.Indexes = append(t.Indexes, s)
	}
	return nil
}

// checks reads CHECK constraints: MariaDB's CHECK_CONSTRAINTS has the
// table's name and the level (a column-level check comes with its
// column); MySQL 8.0.16+'s is joined to TABLE_CONSTRAINTS for the table.
// A server without CHECK_CONSTRAINTS (MySQL 5.7, which ignores CHECK)
// has none to report.
func (in *inspection) checks() error {
	query := `SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE
		FROM information_schema.TABLE_CONSTRAINTS tc
		JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA
			AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
		WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE = 'CHECK'
		ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME`
	if in.mariaDB {
		// A column-level check (LEVEL 'Column') is named after its column
		// and goes with the column's definition (ColumnSchema.Checks).
		query = `SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL FROM information_schema.CHECK_CONSTRAINTS
			WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME`
	}
	err := in.each(query, func(scan func(...any) error) error {
		var table, name, clause, level string
		dest := []any{&table, &name, &clause}
		if in.mariaDB {
			dest = append(dest, &level)
		}
		if err := scan(dest...); err != nil {
			return err
		}
		t := in.byName[table]
		switch {
		case t == nil:
		case level == "Column":
			if c := t.Column(name); c != nil && !isJSONValid(clause, name) {
				c.Checks = append(c.Checks, clause)
			}
		default:
			t.Checks = append(t.Checks, &dialect.ConstraintSchema{Name: name, Def: "CHECK (" + clause + ")"})
		}
		return nil
	})
	if err != nil && strings.Contains(err.Error(), "CHECK_CONSTRAINTS") {
		return nil // MySQL 5.7: no such table, and no checks
	}
	return err
}

// isJSONValid reports whether clause is the json_valid(`col`) check
// MariaDB gives a JSON column by itself (the JSON type brings it back).
func isJSONValid(clause, col string) bool {
	c := strings.ReplaceAll(strings.ToLower(strings.Join(strings.Fields(clause), "")), "`", "")
	return c == "json_valid("+strings.ToLower(col)+")"
}

// Scratch runs fn on a new, empty database (CREATE DATABASE
// arc_scratch_<random>, with the current database's character set and
// collation) through one connection of db whose default database it is;
// the database is dropped afterwards and the connection closed rather
// than returned to the pool. MySQL's DDL is not transactional, so this
// needs the CREATE and DROP privileges on databases of that name.
func (*Dialect) Scratch(ctx context.Context, db *sql.DB, fn func(ctx context.Context, q dialect.Querier) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() {
		// The connection's default database is the dropped one: never
		// hand it back to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		_ = conn.Close()
	}()
	var charset, collation string
	if err := conn.QueryRowContext(ctx, "SELECT @@character_set_database, @@collation_database").Scan(&charset, &collation); err != nil {
		return fmt.Errorf("arc: scratch database: %w", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "arc_scratch_" + hex.EncodeToString(b)
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET "+charset+" COLLATE "+collation); err != nil {
		return fmt.Errorf("arc: scratch database (needs the CREATE privilege): %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+name) }()
	if _, err := conn.ExecContext(ctx, "USE "+name); err != nil {
		return fmt.Errorf("arc: scratch database: %w", err)
	}
	return fn(ctx, conn)
}

var (
	_ dialect.Inspector    = (*Dialect)(nil)
	_ dialect.TypeComparer = (*Dialect)(nil)
)

// MigrationDriver is golang-migrate's "mysql" (used without
// multiStatements: Arc runs a migration file statement by statement).
func (*Dialect) MigrationDriver() string { return "mysql" }

var _ dialect.MigrationDriver = (*Dialect)(nil)

// InspectObjects lists the views of the current database with their
// definitions (Diff never drops them; it warns when a table or column it
// drops is named in one, which MySQL would leave broken, and reports a
// view that no longer works).
func (d *Dialect) InspectObjects(ctx context.Context, q dialect.Querier) ([]*dialect.ObjectSchema, error) {
	rows, err := q.QueryContext(ctx, `SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS
		WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`)
	if err != nil {
		return nil, fmt.Errorf("arc: inspect mysql views: %w", err)
	}
	defer rows.Close()
	var out []*dialect.ObjectSchema
	for rows.Next() {
		o := &dialect.ObjectSchema{Kind: "view"}
		var body string
		if err := rows.Scan(&o.Name, &body); err != nil {
			return nil, err
		}
		o.Table = o.Name
		o.Def = "CREATE VIEW " + dialect.QuoteIdent(d, o.Name) + " AS " + body
		out = append(out, o)
	}
	return out, rows.Err()
}

var _ dialect.ObjectInspector = (*Dialect)(nil)

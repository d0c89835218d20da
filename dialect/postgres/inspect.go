package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/arcorm/arc/dialect"
)

// InspectTables reads the tables of current_schema() from the system
// catalogs: types through format_type, defaults through pg_get_expr,
// constraints and indexes with their pg_get_constraintdef /
// pg_get_indexdef text. Indexes that back a constraint are reported as
// the constraint only.
func (d *Dialect) InspectTables(ctx context.Context, q dialect.Querier) ([]*dialect.TableSchema, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.oid, c.relname FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("arc: inspect postgres tables: %w", err)
	}
	var tables []*dialect.TableSchema
	oids := map[*dialect.TableSchema]uint32{}
	for rows.Next() {
		t := &dialect.TableSchema{}
		var oid uint32
		if err := rows.Scan(&oid, &t.Name); err != nil {
			rows.Close()
			return nil, err
		}
		oids[t] = oid
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, t := range tables {
		if err := inspectTable(ctx, d, q, oids[t], t); err != nil {
			return nil, fmt.Errorf("arc: inspect postgres table %s: %w", t.Name, err)
		}
	}
	return tables, nil
}

func inspectTable(ctx context.Context, d dialect.Dialect, q dialect.Querier, oid uint32, t *dialect.TableSchema) error {
	rows, err := q.QueryContext(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
			COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity <> '',
			a.attidentity = '' AND pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) IS NOT NULL
		FROM pg_catalog.pg_attribute a
		LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, oid)
	if err != nil {
		return err
	}
	for rows.Next() {
		c := &dialect.ColumnSchema{}
		if err := rows.Scan(&c.Name, &c.Type, &c.NotNull, &c.Default, &c.Identity, &c.SerialOwned); err != nil {
			rows.Close()
			return err
		}
		c.Serial = serialSequence(c.Default)
		c.SerialOwned = c.SerialOwned && c.Serial != ""
		t.Columns = append(t.Columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	rows, err = q.QueryContext(ctx, `SELECT con.conname, con.contype, pg_get_constraintdef(con.oid),
			ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
				JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i)::text[],
			COALESCE(ref.relname, ''),
			ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
				JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)::text[],
			con.confdeltype, con.confupdtype
		FROM pg_catalog.pg_constraint con
		LEFT JOIN pg_catalog.pg_class ref ON ref.oid = con.confrelid
		WHERE con.conrelid = $1 AND con.contype IN ('p', 'u', 'f', 'c') ORDER BY con.conname`, oid)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name, typ, def, ref, del, upd string
		var cols, refCols pq.StringArray
		if err := rows.Scan(&name, &typ, &def, &cols, &ref, &refCols, &del, &upd); err != nil {
			rows.Close()
			return err
		}
		cs := &dialect.ConstraintSchema{Name: name, Columns: cols, Def: def}
		switch typ {
		case "p":
			t.PrimaryKey = cs
		case "u":
			t.Uniques = append(t.Uniques, cs)
		case "c":
			t.Checks = append(t.Checks, cs)
		case "f":
			t.ForeignKeys = append(t.ForeignKeys, &dialect.ForeignKeySchema{
				Name: name, Columns: cols, RefTable: ref, RefColumns: refCols,
				OnDelete: fkAction(del), OnUpdate: fkAction(upd), Def: def,
			})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	rows, err = q.QueryContext(ctx, `SELECT ic.relname, i.indisunique, pg_get_indexdef(i.indexrelid),
			i.indexprs IS NOT NULL OR i.indpred IS NOT NULL,
			ARRAY(SELECT COALESCE(a.attname, '') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
				LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)::text[],
			quote_ident(tn.nspname) || '.' || quote_ident(tc.relname)
		FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
		JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
		WHERE i.indrelid = $1
			AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid)
		ORDER BY ic.relname`, oid)
	if err != nil {
		return err
	}
	for rows.Next() {
		ix := &dialect.IndexSchema{}
		var cols pq.StringArray
		var qualified string
		if err := rows.Scan(&ix.Name, &ix.Unique, &ix.Def, &ix.Expr, &cols, &qualified); err != nil {
			rows.Close()
			return err
		}
		ix.Columns = cols
		// pg_get_indexdef always names the schema ("ON public.users"); a
		// migration must not, so Def is rebuilt around the text after it.
		for _, on := range []string{" ON ONLY " + qualified + " ", " ON " + qualified + " "} {
			if i := strings.Index(ix.Def, on); i >= 0 {
				ix.Tail = ix.Def[i+len(on):]
				ix.Def = dialect.IndexDDL(d, t.Name, ix)
				break
			}
		}
		t.Indexes = append(t.Indexes, ix)
	}
	rows.Close()
	return rows.Err()
}

// serialSequence returns the sequence of a nextval('seq'::regclass)
// default, or "".
func serialSequence(def string) string {
	const pre, suf = "nextval('", "'::regclass)"
	if !strings.HasPrefix(def, pre) || !strings.HasSuffix(def, suf) {
		return ""
	}
	return strings.ReplaceAll(def[len(pre):len(def)-len(suf)], "''", "'")
}

func fkAction(c string) string {
	switch c {
	case "r":
		return "RESTRICT"
	case "c":
		return "CASCADE"
	case "n":
		return "SET NULL"
	case "d":
		return "SET DEFAULT"
	}
	return "" // 'a': NO ACTION
}

// Scratch runs fn inside a transaction on one of db's connections, with a
// new schema first on the search path; the transaction is rolled back, so
// the schema and everything fn made in it disappear.
func (*Dialect) Scratch(ctx context.Context, db *sql.DB, fn func(ctx context.Context, q dialect.Querier) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "arc_scratch_" + hex.EncodeToString(b)
	if _, err := tx.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		return fmt.Errorf("arc: scratch schema: %w", err)
	}
	// The live schema stays on the path after the scratch one, so that
	// names qualified by it (sequences in defaults) print the same way.
	if _, err := tx.ExecContext(ctx, "SELECT set_config('search_path', $1 || ', ' || current_setting('search_path'), true)", name); err != nil {
		return fmt.Errorf("arc: scratch schema: %w", err)
	}
	return fn(ctx, tx)
}

var _ dialect.Inspector = (*Dialect)(nil)

// MigrationDriver is golang-migrate's "postgres".
func (*Dialect) MigrationDriver() string { return "postgres" }

var _ dialect.MigrationDriver = (*Dialect)(nil)

// InspectObjects lists the views and materialized views of
// current_schema() with their definitions (Diff never drops them; it
// warns when a table or column it drops is named in one, and reports a
// view that no longer works).
func (d *Dialect) InspectObjects(ctx context.Context, q dialect.Querier) ([]*dialect.ObjectSchema, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.relname, c.relkind = 'm', pg_get_viewdef(c.oid) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm') ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("arc: inspect postgres views: %w", err)
	}
	defer rows.Close()
	var out []*dialect.ObjectSchema
	for rows.Next() {
		o := &dialect.ObjectSchema{Kind: "view"}
		var mat bool
		var body string
		if err := rows.Scan(&o.Name, &mat, &body); err != nil {
			return nil, err
		}
		kind := "VIEW "
		if mat {
			kind = "MATERIALIZED VIEW "
		}
		o.Table = o.Name
		o.Def = "CREATE " + kind + dialect.QuoteIdent(d, o.Name) + " AS " + body
		out = append(out, o)
	}
	return out, rows.Err()
}

var _ dialect.ObjectInspector = (*Dialect)(nil)

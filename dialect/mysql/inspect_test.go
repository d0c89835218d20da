package mysql_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/dialect/mysql"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/meta"
)

func TestNormalizeType(t *testing.T) {
	for in, want := range map[string]string{
		"bigint(20)":           "BIGINT",
		"int(11)":              "INT",
		"INTEGER":              "INT",
		"int(10) unsigned":     "INT UNSIGNED",
		"tinyint(1)":           "TINYINT(1)",
		"BOOLEAN":              "TINYINT(1)",
		"tinyint(4)":           "TINYINT",
		"decimal(10, 2)":       "DECIMAL(10,2)",
		"DECIMAL(10,2)":        "DECIMAL(10,2)",
		"varchar(255)":         "VARCHAR(255)",
		"datetime(6)":          "DATETIME(6)",
		"longtext":             "LONGTEXT",
		"char(36)":             "CHAR(36)",
		"enum('a','b')":        "ENUM('A','B')",
		"smallint(6) zerofill": "SMALLINT ZEROFILL",
	} {
		if got := mysql.NormalizeType(in); got != want {
			t.Errorf("NormalizeType(%q) = %q, want %q", in, got, want)
		}
	}
	d := mysql.New()
	if !d.SameType("BOOLEAN", "tinyint(1)") || !d.SameType("bigint(20)", "BIGINT") || d.SameType("INT", "BIGINT") || d.SameType("VARCHAR(10)", "VARCHAR(20)") {
		t.Error("SameType")
	}
}

func TestCheckExpr(t *testing.T) {
	d := mysql.New()
	for in, want := range map[string]string{
		`"status" IN ('draft', 'published')`: "`status` IN ('draft', 'published')",
		`score >= 0`:                         `score >= 0`,
		`"a""b" = 'say "hi"'`:                "`a\"b` = 'say \"hi\"'",
		"`x` > 0 -- \"c\"":                   "`x` > 0 -- \"c\"",
	} {
		if got := d.CheckExpr(in); got != want {
			t.Errorf("CheckExpr(%q) = %q, want %q", in, got, want)
		}
	}
	if got := dialect.CheckDef(d, `"status" IN ('a')`); got != "CHECK (`status` IN ('a'))" {
		t.Errorf("CheckDef = %q", got)
	}
}

func TestRenderOperation(t *testing.T) {
	d := mysql.New()
	one := func(op ddl.Operation) string { return strings.Join(ddl.Render(d, op), "; ") }
	for _, c := range []struct{ got, want string }{
		{one(ddl.DropConstraint{Table: "t", Kind: dialect.ForeignKeyConstraint, Name: "fk_a"}), "ALTER TABLE t DROP FOREIGN KEY fk_a"},
		{one(ddl.DropConstraint{Table: "t", Kind: dialect.UniqueConstraint, Name: "uq_a"}), "ALTER TABLE t DROP INDEX uq_a"},
		{one(ddl.DropConstraint{Table: "t", Kind: dialect.PrimaryKeyConstraint, Name: "PRIMARY"}), "ALTER TABLE t DROP PRIMARY KEY"},
		{one(ddl.DropConstraint{Table: "t", Kind: dialect.CheckConstraint, Name: "ck_a"}), "ALTER TABLE t DROP CONSTRAINT ck_a"},
		{one(ddl.RenameConstraint{Table: "t", Kind: dialect.UniqueConstraint, From: "a", To: "b"}), "ALTER TABLE t RENAME INDEX a TO b"},
		{one(ddl.RenameConstraint{Table: "t", Kind: dialect.ForeignKeyConstraint, From: "a", To: "b"}), ""},
		{one(ddl.DropIndex{Table: "users", Name: "ix_a"}), "DROP INDEX ix_a ON users"},
		{one(ddl.RenameIndex{Table: "order", From: "a", To: "b"}), "ALTER TABLE `order` RENAME INDEX a TO b"},
		{one(ddl.ModifyColumn{Table: "t", Column: &dialect.ColumnSchema{Name: "age", Type: "BIGINT", NotNull: true, Default: "0"}}),
			"ALTER TABLE t MODIFY COLUMN age BIGINT NOT NULL DEFAULT 0"},
		{one(ddl.RenameColumn{Table: "t", From: "a", To: "b"}), "ALTER TABLE t RENAME COLUMN a TO b"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if d.MigrationDriver() != "mysql" {
		t.Error("golang-migrate driver")
	}
	ix := &meta.Index{Name: "ix_a", Columns: []*meta.Column{{Name: "a"}}}
	if got := dialect.CreateIndex(mysql.ForServer("10.11.6-MariaDB"), "t", ix, true); got != "CREATE INDEX IF NOT EXISTS ix_a ON t (a)" {
		t.Errorf("MariaDB: %q", got)
	}
	if got := dialect.CreateIndex(mysql.ForServer("8.0.36"), "t", ix, true); got != "CREATE INDEX ix_a ON t (a)" {
		t.Errorf("MySQL 8 has no CREATE INDEX IF NOT EXISTS: %q", got)
	}
}

// TestInspectHandWritten reads a schema written by hand, with what Arc's
// models never write (a prefix index, a descending one, a composite
// unique, RESTRICT and SET NULL actions, a JSON column's json_valid
// check, quoted and expression defaults), from information_schema.
func TestInspectHandWritten(t *testing.T) {
	ctx := context.Background()
	eng := dbtest.Open(t, "mysql")
	for _, q := range []string{
		"CREATE TABLE owners (id BIGINT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(10) NOT NULL)",
		`CREATE TABLE items (
			id INT NOT NULL AUTO_INCREMENT,
			owner_id BIGINT NULL,
			parent_id INT,
			title VARCHAR(200) NOT NULL DEFAULT 'it''s',
			body TEXT,
			flag BOOLEAN NOT NULL DEFAULT FALSE,
			price DECIMAL(10, 2) DEFAULT NULL,
			created DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
			meta JSON,
			qty INT,
			PRIMARY KEY (id),
			CONSTRAINT uq_items_owner_title UNIQUE (owner_id, title),
			CONSTRAINT fk_items_owner FOREIGN KEY (owner_id) REFERENCES owners (id) ON DELETE SET NULL ON UPDATE CASCADE,
			CONSTRAINT fk_items_parent FOREIGN KEY (parent_id) REFERENCES items (id) ON DELETE RESTRICT,
			CONSTRAINT ck_items_qty CHECK (qty >= 0)
		)`,
		"CREATE INDEX ix_items_body ON items (body(20))",
		"CREATE INDEX ix_items_created ON items (created DESC)",
		"CREATE INDEX ix_items_qty_title ON items (qty, title)",
	} {
		if _, err := eng.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	tables, err := dialect.Inspect(ctx, eng.Dialect(), eng.DB())
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 2 || tables[0].Name != "items" || tables[1].Name != "owners" {
		t.Fatalf("tables %v", tables)
	}
	it := tables[0]
	type col struct {
		Type    string
		NotNull bool
		Default string
		Auto    bool
	}
	cols := map[string]col{}
	for _, c := range it.Columns {
		cols[c.Name] = col{c.Type, c.NotNull, c.Default, c.Identity}
	}
	want := map[string]col{
		"id":        {"INT", true, "", true},
		"owner_id":  {"BIGINT", false, "", false},
		"parent_id": {"INT", false, "", false},
		"title":     {"VARCHAR(200)", true, "'it''s'", false},
		"body":      {"TEXT", false, "", false},
		"flag":      {"TINYINT(1)", true, "0", false},
		"price":     {"DECIMAL(10,2)", false, "", false},
		"created":   {"DATETIME(6)", true, "current_timestamp(6)", false},
		"meta":      {"LONGTEXT", false, "", false},
		"qty":       {"INT", false, "", false},
	}
	if !reflect.DeepEqual(cols, want) {
		t.Errorf("columns:\n got %v\nwant %v", cols, want)
	}
	if it.PrimaryKey == nil || it.PrimaryKey.Name != "PRIMARY" || !reflect.DeepEqual(it.PrimaryKey.Columns, []string{"id"}) {
		t.Errorf("primary key %+v", it.PrimaryKey)
	}
	if len(it.Uniques) != 1 || it.Uniques[0].Name != "uq_items_owner_title" || !reflect.DeepEqual(it.Uniques[0].Columns, []string{"owner_id", "title"}) ||
		it.Uniques[0].Def != "UNIQUE (owner_id, title)" {
		t.Errorf("uniques %+v", it.Uniques)
	}
	fks := map[string]dialect.ForeignKeySchema{}
	for _, f := range it.ForeignKeys {
		fks[f.Name] = *f
	}
	if f := fks["fk_items_owner"]; f.RefTable != "owners" || f.OnDelete != "SET NULL" || f.OnUpdate != "CASCADE" ||
		f.Def != "FOREIGN KEY (owner_id) REFERENCES owners (id) ON DELETE SET NULL ON UPDATE CASCADE" {
		t.Errorf("fk_items_owner %+v", f)
	}
	if f := fks["fk_items_parent"]; f.RefTable != "items" || f.OnDelete != "" || f.OnUpdate != "" || !reflect.DeepEqual(f.RefColumns, []string{"id"}) {
		t.Errorf("fk_items_parent (RESTRICT is NO ACTION to InnoDB) %+v", f)
	}
	if len(it.Checks) != 1 || it.Checks[0].Name != "ck_items_qty" || it.Checks[0].Def != "CHECK (`qty` >= 0)" {
		t.Errorf("checks (without the JSON column's json_valid) %+v", it.Checks)
	}
	ixs := map[string]dialect.IndexSchema{}
	for _, ix := range it.Indexes {
		ixs[ix.Name] = *ix
	}
	if ix := ixs["ix_items_body"]; !ix.Expr || ix.Def != "CREATE INDEX ix_items_body ON items (body(20))" {
		t.Errorf("prefix index %+v", ix)
	}
	if ix := ixs["ix_items_qty_title"]; ix.Expr || ix.Unique || !reflect.DeepEqual(ix.Columns, []string{"qty", "title"}) ||
		ix.Def != "CREATE INDEX ix_items_qty_title ON items (qty, title)" {
		t.Errorf("plain index %+v", ix)
	}
	if ix, ok := ixs["ix_items_created"]; !ok || (ix.Def != "CREATE INDEX ix_items_created ON items (created DESC)" && ix.Def != "CREATE INDEX ix_items_created ON items (created)") {
		t.Errorf("descending index %+v", ix)
	}
	// MySQL's own index for fk_items_parent (no index starts with parent_id).
	if ix, ok := ixs["fk_items_parent"]; !ok || !reflect.DeepEqual(ix.Columns, []string{"parent_id"}) {
		t.Errorf("the foreign key's own index: %+v (all %v)", ix, ixs)
	}
	if _, ok := ixs["fk_items_owner"]; ok {
		t.Error("fk_items_owner is served by the unique (owner_id, title): no index of its own")
	}
	// An index's DDL re-creates it on a table of another name.
	if got := dialect.IndexDDL(eng.Dialect(), "items2", &dialect.IndexSchema{Name: "ix_b", Tail: ixs["ix_items_body"].Tail}); got != "CREATE INDEX ix_b ON items2 (body(20))" {
		t.Errorf("IndexDDL %q", got)
	}
}

// TestScratchIsDropped: Diff's scratch database is gone afterwards, and
// the connection that used it does not come back to the pool.
func TestScratchIsDropped(t *testing.T) {
	ctx := context.Background()
	eng := dbtest.Open(t, "mysql")
	in := eng.Dialect().(dialect.Inspector)
	var scratch string
	err := in.Scratch(ctx, eng.DB(), func(ctx context.Context, q dialect.Querier) error {
		rows, err := q.QueryContext(ctx, "SELECT DATABASE()")
		if err != nil {
			return err
		}
		rows.Next()
		err = rows.Scan(&scratch)
		rows.Close()
		if err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, "CREATE TABLE t (id INT PRIMARY KEY)")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := eng.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", scratch).Scan(&n); err != nil || n != 0 {
		t.Fatalf("scratch database %s still there (%d, %v)", scratch, n, err)
	}
	for range 5 {
		var cur string
		if err := eng.DB().QueryRowContext(ctx, "SELECT DATABASE()").Scan(&cur); err != nil || cur == scratch {
			t.Fatalf("a pooled connection is on %q (%v)", cur, err)
		}
	}
}

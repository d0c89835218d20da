package ddl_test

import (
	"strings"
	"testing"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/dialect/mysql"
	"github.com/arcorm/arc/dialect/postgres"
	"github.com/arcorm/arc/dialect/sqlite"
	"github.com/arcorm/arc/meta"
)

// Every operation renders on every dialect; the migrations they make up
// are snapshot-tested in migrate/testdata/diff.
func TestEveryOperationRenders(t *testing.T) {
	col := &meta.Column{Name: "name", SQLType: "VARCHAR(20)", Nullable: true}
	tbl := &meta.Table{Name: "t", PKName: "pk_t", Columns: []*meta.Column{col}, PrimaryKey: []*meta.Column{col}}
	live := &dialect.TableSchema{Name: "t", Columns: []*dialect.ColumnSchema{{Name: "name", Type: "text"}},
		PrimaryKey: &dialect.ConstraintSchema{Name: "pk_t", Columns: []string{"name"}, Def: "PRIMARY KEY (name)"}}
	ix := &meta.Index{Name: "ix_t_name", Columns: []*meta.Column{col}}
	ops := []ddl.Operation{
		ddl.Comment{Text: "a note"},
		ddl.Commented{Prefix: "SKIPPED: ", Op: ddl.DropColumn{Table: "t", Column: "name"}},
		ddl.CreateTable{Table: tbl},
		ddl.DropTable{Name: "t", Sequences: []string{"t_seq"}},
		ddl.RestoreTable{Table: live},
		ddl.RenameTable{From: "t", To: "u"},
		ddl.RecreateTable{Table: "t", Temp: "_arc_new_t", Model: tbl, Columns: []string{"name"}, From: []string{"name"}},
		ddl.RecreateTable{Table: "t", Temp: "_arc_old_t", Schema: live, Columns: []string{"name"}, From: []string{"name"}, KeepSequence: true},
		ddl.AddColumn{Table: "t", Column: col},
		ddl.RestoreColumn{Table: "t", Column: live.Columns[0]},
		ddl.DropColumn{Table: "t", Column: "name"},
		ddl.RenameColumn{Table: "t", From: "name", To: "title"},
		ddl.AlterColumnType{Table: "t", Column: "name", From: "text", To: "bigint"},
		ddl.SetNotNull{Table: "t", Column: "name"},
		ddl.DropNotNull{Table: "t", Column: "name"},
		ddl.SetDefault{Table: "t", Column: "name", Default: "'x'"},
		ddl.DropDefault{Table: "t", Column: "name"},
		ddl.ModifyColumn{Table: "t", Column: live.Columns[0]},
		ddl.Backfill{Table: "t", Column: "name", Value: "'x'"},
		ddl.AddPrimaryKey{Table: "t", Name: "pk_t", Columns: []string{"name"}},
		ddl.AddUnique{Table: "t", Unique: &meta.Unique{Name: "uq_t_name", Columns: []*meta.Column{col}}},
		ddl.AddForeignKey{Table: "t", ForeignKey: &meta.ForeignKey{Name: "fk_t", Columns: []*meta.Column{col}, RefTable: "u", RefColumns: []string{"name"}}},
		ddl.AddCheck{Table: "t", Name: "ck_t", Expr: `"name" <> ''`},
		ddl.AddConstraint{Table: "t", Name: "uq_t", Def: "UNIQUE (name)"},
		ddl.DropConstraint{Table: "t", Kind: dialect.UniqueConstraint, Name: "uq_t"},
		ddl.RenameConstraint{Table: "t", Kind: dialect.UniqueConstraint, From: "uq_t", To: "uq_u"},
		ddl.CreateIndex{Table: "t", Index: ix},
		ddl.RestoreIndex{Table: "t", Index: &dialect.IndexSchema{Name: "ix_t_name", Def: "CREATE INDEX ix_t_name ON t (name)"}},
		ddl.DropIndex{Table: "t", Name: "ix_t_name"},
		ddl.RenameIndex{Table: "t", From: "ix_t_name", To: "ix_u"},
		ddl.CreateSequence{Name: "t_seq"},
		ddl.SequenceOwnedBy{Sequence: "t_seq", Table: "t", Column: "name"},
		ddl.DropObject{Kind: "view", Name: "v"},
		ddl.RestoreObject{Object: &dialect.ObjectSchema{Kind: "view", Name: "v", Def: "CREATE VIEW v AS SELECT 1"}},
	}
	for _, d := range []dialect.Dialect{sqlite.New(), postgres.New(), mysql.New()} {
		for _, op := range ops {
			got := ddl.Render(d, op)
			if _, modify := op.(ddl.ModifyColumn); modify && len(got) == 0 {
				continue // only a dialect that redefines columns whole has it (MySQL)
			}
			if len(got) == 0 {
				t.Errorf("%s: %T renders nothing", d.Name(), op)
			}
			for _, s := range got {
				if s == "" {
					t.Errorf("%s: %T renders an empty statement", d.Name(), op)
				}
			}
		}
	}
	// Standard SQL where a dialect has nothing of its own.
	for _, c := range []struct {
		op   ddl.Operation
		want string
	}{
		{ddl.Commented{Prefix: "SKIPPED: ", Op: ddl.DropColumn{Table: "t", Column: "name"}}, "-- SKIPPED: ALTER TABLE t DROP COLUMN name;"},
		{ddl.Backfill{Table: "t", Column: "name", Value: "'x'"}, "UPDATE t SET name = 'x' WHERE name IS NULL"},
		{ddl.RenameIndex{Table: "t", From: "a", To: "b"}, "ALTER INDEX a RENAME TO b"},
		{ddl.DropConstraint{Table: "t", Kind: dialect.ForeignKeyConstraint, Name: "fk", IfExists: true}, "ALTER TABLE t DROP CONSTRAINT IF EXISTS fk"},
		{ddl.RecreateTable{Table: "t", Temp: "_arc_old_t", Schema: &dialect.TableSchema{DDL: `CREATE TABLE "t" (a INT)`}, Columns: []string{"a"}, From: []string{"a"}},
			`CREATE TABLE _arc_old_t (a INT); INSERT INTO _arc_old_t (a) SELECT a FROM t; DROP TABLE t; ALTER TABLE _arc_old_t RENAME TO t`},
	} {
		if got := strings.Join(ddl.Standard(postgres.New(), c.op), "; "); got != c.want {
			t.Errorf("%T: got %q, want %q", c.op, got, c.want)
		}
	}
	if got := ddl.Render(postgres.New(), ddl.AlterColumnType{Table: "t", Column: "c", From: "text", To: "bigint"}); got[0] != "ALTER TABLE t ALTER COLUMN c TYPE bigint USING c::bigint" {
		t.Errorf("postgres USING: %q", got)
	}
	if got := ddl.Render(postgres.New(), ddl.ModifyColumn{Table: "t", Column: live.Columns[0]}); got != nil {
		t.Errorf("the standard SQL has no MODIFY COLUMN: %q", got)
	}
}

package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

// schemaDump is the live schema as text, for comparing two inspections:
// tables by name; columns in order; constraints and indexes by name;
// golang-migrate's version table left out.
func schemaDump(t *testing.T, eng *engine.Engine) string {
	t.Helper()
	tables, err := dialect.Inspect(context.Background(), eng.Dialect(), eng.DB())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, tb := range tables {
		if tb.Name == migrate.MigrationsTable {
			continue
		}
		fmt.Fprintf(&b, "table %s\n", tb.Name)
		for _, c := range tb.Columns {
			fmt.Fprintf(&b, "  column %s %s notnull=%v default=%q identity=%v serial=%q owned=%v autoinc=%v\n",
				c.Name, c.Type, c.NotNull, c.Default, c.Identity, c.Serial, c.SerialOwned, c.AutoIncrement)
		}
		if pk := tb.PrimaryKey; pk != nil {
			fmt.Fprintf(&b, "  pk %s %v\n", pk.Name, pk.Columns)
		}
		var lines []string
		for _, u := range tb.Uniques {
			lines = append(lines, fmt.Sprintf("  unique %s %s", u.Name, u.Def))
		}
		for _, c := range tb.Checks {
			// By name: PostgreSQL prints a re-added check's casts
			// differently (the planner compares checks normalized).
			lines = append(lines, "  check "+c.Name)
		}
		for _, f := range tb.ForeignKeys {
			lines = append(lines, fmt.Sprintf("  fk %s %s", f.Name, f.Def))
		}
		for _, ix := range tb.Indexes {
			lines = append(lines, fmt.Sprintf("  index %s unique=%v %s", ix.Name, ix.Unique, dialect.IndexDDL(eng.Dialect(), tb.Name, ix)))
		}
		slices.Sort(lines)
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		if tb.DDL != "" {
			// SQLite quotes a table's name in its DDL when it renames the table.
			ddl := strings.Replace(tb.DDL, `"`+tb.Name+`"`, tb.Name, 1)
			fmt.Fprintf(&b, "  ddl %s\n", strings.Join(strings.Fields(ddl), " "))
		}
	}
	if oi, ok := eng.Dialect().(dialect.ObjectInspector); ok {
		objs, err := oi.InspectObjects(context.Background(), eng.DB())
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, o := range objs {
			lines = append(lines, fmt.Sprintf("%s %s on %s: %s\n", o.Kind, o.Name, o.Table, strings.Join(strings.Fields(o.Def), " ")))
		}
		slices.Sort(lines)
		b.WriteString(strings.Join(lines, ""))
	}
	return b.String()
}

// applyPlan writes the plan as migration 1 into a new directory and
// returns a migrator on it.
func applyPlan(t *testing.T, eng *engine.Engine, p *migrate.Plan) *migrate.Migrator {
	t.Helper()
	dir := t.TempDir()
	if _, _, err := migrate.WriteDiff(dir, "diff", p, migrate.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return openMigrator(t, eng, migrate.Dir(dir))
}

// TestRegression_DiffFilesRoundTrip runs the up and down files of every
// snapshot case (testdata/diff) through golang-migrate on a real
// database: after up the models and the database agree (only the
// changes the plan skipped or noted remain), after down the schema is
// the one inspected before, name for name. It caught MariaDB's down file
// adding the primary key as ADD CONSTRAINT `PRIMARY` (error 1280).
func TestRegression_DiffFilesRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, name := range dbtest.Dialects {
		t.Run(name, func(t *testing.T) {
			for i, c := range diffCases {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					eng := dbtest.Open(t, name)
					if err := migrate.CreateAll(ctx, eng, c.before...); err != nil {
						t.Fatalf("%s: create the live schema: %v", c.name, err)
					}
					for _, s := range c.setup {
						if _, err := eng.DB().ExecContext(ctx, s); err != nil {
							t.Skipf("%s: not applicable: %v", c.name, err)
						}
					}
					diffRoundTrip(t, eng, c.name, c.opts, c.after, false, false)
				})
			}
		})
	}
}

// TestRegression_IdentityOnlyDifferenceWritesNoStatement: a key column
// the models autoincrement and the database does not differs only in
// identity, which Diff notes and does not change. MySQL's plan wrote a
// MODIFY COLUMN restating the live column both ways (a no-op); where
// the dialect alters columns in place the files now hold nothing, and
// on SQLite the rebuild applies and reverses.
func TestRegression_IdentityOnlyDifferenceWritesNoStatement(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		if _, err := eng.DB().ExecContext(ctx, "CREATE TABLE nums (id BIGINT NOT NULL, name VARCHAR(20), CONSTRAINT pk_nums PRIMARY KEY (id))"); err != nil {
			t.Fatal(err)
		}
		p, err := migrate.Diff(ctx, eng, migrate.DiffOptions{}, snNum{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(p.Notes, "\n"), "nums.id: identity/autoincrement differs") {
			t.Errorf("no identity note: %q", p.Notes)
		}
		if eng.Dialect().Has(dialect.AlterColumn) {
			if !p.Empty() || len(p.Down) != 0 {
				t.Fatalf("statements for an identity-only difference:\n%s\n%s", p.UpSQL(), p.DownSQL())
			}
			return
		}
		before := schemaDump(t, eng)
		m := applyPlan(t, eng, p)
		if err := m.Up(ctx); err != nil {
			t.Fatalf("up: %v\n%s", err, p.UpSQL())
		}
		if err := m.Down(ctx); err != nil {
			t.Fatalf("down: %v\n%s", err, p.DownSQL())
		}
		if after := schemaDump(t, eng); after != before {
			t.Errorf("down does not restore:\n%s\n%s", before, after)
		}
	})
}

// diffRoundTrip diffs the database against the models, applies the up
// file through golang-migrate and checks that the models and the
// database then agree, applies the down file and checks that the
// inspected schema is the one before, name for name (unless the down
// file leaves out a lossy step on purpose). With safe, the plan must not
// drop anything without AllowDrop. With upMayFail the database may
// refuse the up file (PostgreSQL: a view uses a dropped column): the
// failure must leave the schema as it was and the version dirty at the
// file, with Recover before it.
func diffRoundTrip(t *testing.T, eng *engine.Engine, name string, opts migrate.DiffOptions, models []any, upMayFail, safe bool) {
	t.Helper()
	ctx := context.Background()
	before := schemaDump(t, eng)
	p, err := migrate.Diff(ctx, eng, opts, models...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Logf("%s\n%s\n%s", name, p.UpSQL(), p.DownSQL())
	if safe && !opts.AllowDrop {
		for _, ch := range p.Changes {
			if strings.HasPrefix(ch, "drop ") {
				t.Errorf("%s: destructive change without AllowDrop: %s", name, ch)
			}
		}
	}
	if p.Empty() {
		return
	}
	m := applyPlan(t, eng, p)
	if err := m.Up(ctx); err != nil {
		var me *migrate.MigrationError
		if !upMayFail || !eng.Dialect().Has(dialect.TransactionalDDL) || !errors.As(err, &me) {
			t.Fatalf("%s: up: %v", name, err)
		}
		if after := schemaDump(t, eng); after != before {
			t.Errorf("%s: the failed up file changed the schema\nbefore:\n%s\nafter:\n%s", name, before, after)
		}
		if v, dirty, err := m.Version(ctx); err != nil || v != 1 || !dirty || me.Recover != migrate.NilVersion {
			t.Errorf("%s: after the failure: version %d dirty %v (%v), Recover %d", name, v, dirty, err, me.Recover)
		}
		return
	}
	opts.Renames = nil // done
	again, err := migrate.Diff(ctx, eng, opts, models...)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Changes) > 0 {
		t.Errorf("%s: the models and the database still differ after up: %q\n%s", name, again.Changes, again.UpSQL())
	}
	if err := m.Down(ctx); err != nil {
		t.Fatalf("%s: down: %v\n%s", name, err, p.DownSQL())
	}
	if strings.Contains(p.DownSQL(), "-- SKIPPED") {
		return // a lossy step left out of the down file on purpose
	}
	if after := schemaDump(t, eng); after != before {
		t.Errorf("%s: down does not restore the schema\nbefore:\n%s\nafter down:\n%s\ndown file:\n%s", name, before, after, p.DownSQL())
	}
}

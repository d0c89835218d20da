package migrate_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

// Tests of issue 21's data-safety items; each named for the bug it pins.

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func execAll(t *testing.T, eng *engine.Engine, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := eng.DB().ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// Item 6: a PostgreSQL E'...' string with an escaped quote and a
// semicolon is one statement.
func TestRegression_SplitterEString(t *testing.T) {
	ctx := context.Background()
	eng := dbtest.Open(t, "postgres")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"000001_e.up.sql": "CREATE TABLE notes (body text);\n" +
			"INSERT INTO notes VALUES (E'esc\\'; still string');\n" +
			"INSERT INTO notes VALUES ($$a;b$$);\n",
		"000001_e.down.sql": "DROP TABLE notes;\n",
	})
	m := openMigrator(t, eng, migrate.Dir(dir))
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	var body string
	if err := eng.DB().QueryRowContext(ctx, "SELECT body FROM notes ORDER BY body DESC LIMIT 1").Scan(&body); err != nil {
		t.Fatal(err)
	}
	if body != "esc'; still string" {
		t.Fatalf("body = %q", body)
	}
}

// Item 7: only exact NNN_name.up.sql / .down.sql files are migrations; a
// 000002_x.up.sql.bak is ignored (with a note), not run.
func TestRegression_BackupFilesAreNotMigrations(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{
			"000001_a.up.sql":       "CREATE TABLE a (id INTEGER PRIMARY KEY);\n",
			"000001_a.down.sql":     "DROP TABLE a;\n",
			"000001_a.up.sql.orig":  "CREATE TABLE a_orig (id INTEGER PRIMARY KEY);\n",
			"000002_b.up.sql.bak":   "CREATE TABLE bak (id INTEGER PRIMARY KEY); THIS IS NOT SQL;\n",
			"000002_b.down.sql.bak": "DROP TABLE bak;\n",
			"README.md":             "notes\n",
		})
		src := migrate.Dir(dir)
		files, ignored, err := src.Files()
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 || files[0].Up != "000001_a.up.sql" {
			t.Fatalf("files = %+v", files)
		}
		for _, n := range []string{"000001_a.up.sql.orig", "000002_b.up.sql.bak", "README.md"} {
			if !slices.Contains(ignored, n) {
				t.Errorf("ignored %v lacks %s", ignored, n)
			}
		}
		var logs bytes.Buffer
		l := logrus.New()
		l.SetOutput(&logs)
		m, err := migrate.New(ctx, eng, src, migrate.WithLogger(l))
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}
		wantVersion(t, m, 1, false)
		if exists(t, eng, "bak") || exists(t, eng, "a_orig") {
			t.Fatal("a backup file ran")
		}
		if !strings.Contains(logs.String(), "ignoring 000002_b.up.sql.bak") {
			t.Errorf("no note about the .bak file: %s", logs.String())
		}
		if strings.Contains(logs.String(), "README") {
			t.Errorf("README noted: %s", logs.String())
		}
		st, err := m.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Files) != 1 || !slices.Contains(st.Ignored, "000002_b.up.sql.bak") {
			t.Fatalf("status = %+v", st)
		}
	})
}

func diffPlan(t *testing.T, eng *engine.Engine, opts migrate.DiffOptions, models ...any) *migrate.Plan {
	t.Helper()
	p, err := migrate.Diff(context.Background(), eng, opts, models...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("changes: %q\nskipped: %q\nnotes: %q\nup:\n%s\ndown:\n%s", p.Changes, p.Skipped, p.Notes, p.UpSQL(), p.DownSQL())
	return p
}

// writeAndOpen writes the plan as the next pair in dir and returns a
// migrator on dir.
func writePlan(t *testing.T, dir, name string, p *migrate.Plan) {
	t.Helper()
	if _, _, err := migrate.WriteDiff(dir, name, p, migrate.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func scalar[T any](t *testing.T, eng *engine.Engine, q string) T {
	t.Helper()
	var v T
	if err := eng.DB().QueryRowContext(context.Background(), q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

type sNote1 struct {
	ID   int64
	Body *string `arc:"text"`
}

func (sNote1) TableName() string { return "notes" }

type sNote2 struct {
	ID   int64
	Body *string `arc:"size:10"`
}

func (sNote2) TableName() string { return "notes" }

type sPrice1 struct {
	ID     int64
	Amount float64 `arc:"type:numeric(10,2)"`
}

func (sPrice1) TableName() string { return "prices" }

type sPrice2 struct {
	ID     int64
	Amount float64 `arc:"type:numeric(12,4)"`
}

func (sPrice2) TableName() string { return "prices" }

// Item 1: a narrowing on PostgreSQL is written without a truncating
// USING cast (the database refuses values that do not fit), marked with
// a WARNING, noted, and only with AllowDrop; the narrowing down file of
// a widening is marked too, and a down file that would round is written
// only with AllowDrop.
func TestRegression_PGNarrowingNeverTruncates(t *testing.T) {
	ctx := context.Background()
	eng := dbtest.Open(t, "postgres")
	dir := t.TempDir()
	src := migrate.Dir(dir)
	opts := migrate.DiffOptions{Source: &src}
	writePlan(t, dir, "init", diffPlan(t, eng, opts, sNote1{}, sPrice1{}))
	m := openMigrator(t, eng, src)
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	execAll(t, eng, "INSERT INTO notes (body) VALUES ('short'), ('much longer than ten')")

	// Without AllowDrop the narrowing is skipped.
	p := diffPlan(t, eng, opts, sNote2{}, sPrice1{})
	if !p.Empty() || len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0], "notes.body") {
		t.Fatalf("narrowing without AllowDrop: skipped %q, up %q", p.Skipped, p.Up)
	}
	// With it: no USING cast, a WARNING, a note; applying fails and
	// keeps the long value whole.
	opts.AllowDrop = true
	p = diffPlan(t, eng, opts, sNote2{}, sPrice1{})
	up := p.UpSQL()
	if strings.Contains(up, "USING") || !strings.Contains(up, "-- WARNING: narrows notes.body from text to character varying(10)") {
		t.Fatalf("up file:\n%s", up)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "WARNING: notes.body narrows") {
		t.Fatalf("notes: %q", p.Notes)
	}
	writePlan(t, dir, "narrow", p)
	m = openMigrator(t, eng, src)
	if err := m.Up(ctx); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("narrowing applied: %v", err)
	}
	if n := scalar[int](t, eng, "SELECT count(*) FROM notes WHERE body = 'much longer than ten'"); n != 1 {
		t.Fatal("the long value was cut")
	}
	if err := os.Remove(filepath.Join(dir, "000002_narrow.up.sql")); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(dir, "000002_narrow.down.sql"))
	m = openMigrator(t, eng, src)
	if err := m.Force(ctx, 1); err != nil {
		t.Fatal(err)
	}

	// A widening's down file narrows: marked; a rounding one is only
	// written with AllowDrop.
	opts.AllowDrop = false
	p = diffPlan(t, eng, opts, sNote1{}, sPrice2{})
	down := p.DownSQL()
	if !strings.Contains(down, "-- SKIPPED (needs --allow-drop; it may round or cut data): ALTER TABLE prices ALTER COLUMN amount TYPE numeric(10,2)") {
		t.Fatalf("down file:\n%s", down)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "down file leaves prices.amount as numeric(12,4)") {
		t.Fatalf("notes: %q", p.Notes)
	}
	opts.AllowDrop = true
	p = diffPlan(t, eng, opts, sNote1{}, sPrice2{})
	if down := p.DownSQL(); !strings.Contains(down, "-- WARNING: narrows prices.amount from numeric(12,4) to numeric(10,2)") ||
		strings.Contains(down, "USING") {
		t.Fatalf("down file with AllowDrop:\n%s", down)
	}
}

type sCounter struct {
	ID   int64
	Name string `arc:"size:20;notnull;index"`
}

func (sCounter) TableName() string { return "counters" }

type sTicket struct {
	ID    int32
	Title *string `arc:"text"`
}

func (sTicket) TableName() string { return "tickets" }

type sTicketNoIndex struct {
	ID    int32
	Title *string `arc:"text"`
}

func (sTicketNoIndex) TableName() string { return "tickets" }

// Item 2: serial/bigserial (and sequence defaults) are autoincrement: no
// ALTER COLUMN ... DROP DEFAULT, and Check passes on a hand-written
// schema.
func TestRegression_PGSerialIsAutoincrement(t *testing.T) {
	ctx := context.Background()
	eng := dbtest.Open(t, "postgres")
	execAll(t, eng,
		"CREATE TABLE counters (id bigserial CONSTRAINT pk_counters PRIMARY KEY, name varchar(20) NOT NULL)",
		"CREATE INDEX ix_counters_name ON counters (name)",
		"CREATE SEQUENCE tickets_seq",
		"CREATE TABLE tickets (id integer DEFAULT nextval('tickets_seq') CONSTRAINT pk_tickets PRIMARY KEY, title text)",
		"INSERT INTO counters (name) VALUES ('a')")
	if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, sCounter{}, sTicket{}); err != nil {
		t.Fatalf("check on a hand-written serial schema: %v", err)
	}
	// With the default primary key name the only change is a rename.
	execAll(t, eng, "ALTER TABLE counters RENAME CONSTRAINT pk_counters TO counters_pkey")
	p := diffPlan(t, eng, migrate.DiffOptions{}, sCounter{}, sTicket{})
	if strings.Contains(p.UpSQL(), "DEFAULT") || len(p.Changes) != 1 || !strings.Contains(p.Changes[0], "rename constraint counters_pkey to pk_counters") {
		t.Fatalf("plan: %q\n%s", p.Changes, p.UpSQL())
	}
	dir := t.TempDir()
	writePlan(t, dir, "names", p)
	if err := openMigrator(t, eng, migrate.Dir(dir)).Up(ctx); err != nil {
		t.Fatal(err)
	}
	execAll(t, eng, "INSERT INTO counters (name) VALUES ('b')", "INSERT INTO tickets (title) VALUES ('t')")
	if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, sCounter{}, sTicket{}); err != nil {
		t.Fatalf("check after up: %v", err)
	}
	// Item 8 on the same schema: dropping the index writes a down file
	// that re-creates it without naming a schema; and dropping a table
	// with a serial column re-creates its sequence.
	p = diffPlan(t, eng, migrate.DiffOptions{AllowDrop: true}, sTicketNoIndex{})
	schema := scalar[string](t, eng, "SELECT current_schema()")
	down := p.DownSQL()
	if strings.Contains(down, schema+".") || strings.Contains(down, "public.") {
		t.Fatalf("down file names the schema %s:\n%s", schema, down)
	}
	if !strings.Contains(down, "CREATE INDEX ix_counters_name ON counters USING btree (name)") ||
		!strings.Contains(down, "CREATE SEQUENCE IF NOT EXISTS counters_id_seq") {
		t.Fatalf("down file:\n%s", down)
	}
	writePlan(t, dir, "drop", p)
	m := openMigrator(t, eng, migrate.Dir(dir))
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Steps(ctx, -1); err != nil {
		t.Fatal(err)
	}
	execAll(t, eng, "INSERT INTO counters (name) VALUES ('c')")
	if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, sCounter{}, sTicket{}); err != nil {
		t.Fatalf("check after down: %v", err)
	}
}

type sTask1 struct {
	ID    int64
	State *string `arc:"size:20"`
	Owner *string `arc:"size:20"`
}

func (sTask1) TableName() string { return "tasks" }

type sTask2 struct {
	ID    int64
	State string  `arc:"size:20;notnull;server_default:'open'"`
	Owner *string `arc:"size:20"`
}

func (sTask2) TableName() string { return "tasks" }

type sTask3 struct {
	ID    int64
	State string `arc:"size:20;notnull;server_default:'open'"`
	Owner string `arc:"size:20;notnull"`
}

func (sTask3) TableName() string { return "tasks" }

// Item 4: making a column NOT NULL backfills its NULLs with the default
// first; without a default the file has a note and a placeholder.
func TestRegression_NotNullBackfill(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		dir := t.TempDir()
		src := migrate.Dir(dir)
		opts := migrate.DiffOptions{Source: &src}
		writePlan(t, dir, "init", diffPlan(t, eng, opts, sTask1{}))
		if err := openMigrator(t, eng, src).Up(ctx); err != nil {
			t.Fatal(err)
		}
		execAll(t, eng, "INSERT INTO tasks (id, state, owner) VALUES (1, NULL, NULL), (2, 'done', 'ann')")
		p := diffPlan(t, eng, opts, sTask2{})
		if !strings.Contains(p.UpSQL(), "UPDATE tasks SET state = 'open'") || !strings.Contains(p.UpSQL(), " WHERE state IS NULL;") {
			t.Fatalf("no backfill:\n%s", p.UpSQL())
		}
		writePlan(t, dir, "state", p)
		m := openMigrator(t, eng, src)
		if err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}
		if s := scalar[string](t, eng, "SELECT state FROM tasks WHERE id = 1"); s != "open" {
			t.Fatalf("state = %q", s)
		}
		if s := scalar[string](t, eng, "SELECT state FROM tasks WHERE id = 2"); s != "done" {
			t.Fatalf("state = %q", s)
		}
		p = diffPlan(t, eng, opts, sTask3{})
		if !strings.Contains(p.UpSQL(), "-- UPDATE tasks SET owner = <value> WHERE owner IS NULL;") ||
			!strings.Contains(strings.Join(p.Notes, "\n"), "tasks.owner becomes NOT NULL and has no default") {
			t.Fatalf("no placeholder:\n%s", p.UpSQL())
		}
	})
}

type sItem struct {
	ID    int64
	Qty   int64
	Total int64
	Name  string `arc:"size:20"`
}

func (sItem) TableName() string { return "items" }

type sItem2 struct {
	ID    int64
	Qty   int64
	Total int64
	Name  string `arc:"size:20;unique"`
}

func (sItem2) TableName() string { return "items" }

// Item 5: SQLite compares types by affinity (INT, BIGINT and INTEGER are
// one type), and a rebuild keeps AUTOINCREMENT and its high-water mark.
func TestRegression_SQLiteAffinityAndAutoincrement(t *testing.T) {
	ctx := context.Background()
	eng := dbtest.Open(t, "sqlite")
	execAll(t, eng,
		"CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, qty INT, total BIGINT, name VARCHAR(20))",
		"INSERT INTO items (qty, total, name) VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c')",
		"DELETE FROM items WHERE id = 3")
	if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, sItem{}); err != nil {
		t.Fatalf("check: %v", err)
	}
	p := diffPlan(t, eng, migrate.DiffOptions{}, sItem2{})
	if !p.Rebuild || !strings.Contains(p.UpSQL(), "PRIMARY KEY AUTOINCREMENT") {
		t.Fatalf("up:\n%s", p.UpSQL())
	}
	dir := t.TempDir()
	writePlan(t, dir, "unique", p)
	m := openMigrator(t, eng, migrate.Dir(dir))
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	ddl := scalar[string](t, eng, "SELECT sql FROM sqlite_master WHERE name = 'items'")
	if !strings.Contains(ddl, "AUTOINCREMENT") {
		t.Fatalf("AUTOINCREMENT lost: %s", ddl)
	}
	execAll(t, eng, "INSERT INTO items (qty, total, name) VALUES (4, 4, 'd')")
	if id := scalar[int](t, eng, "SELECT id FROM items WHERE name = 'd'"); id != 4 {
		t.Fatalf("new id %d reuses a deleted one", id)
	}
	if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, sItem2{}); err != nil {
		t.Fatalf("check after up: %v", err)
	}
	if err := m.Steps(ctx, -1); err != nil {
		t.Fatal(err)
	}
	execAll(t, eng, "INSERT INTO items (qty, total, name) VALUES (5, 5, 'e')")
	if id := scalar[int](t, eng, "SELECT id FROM items WHERE name = 'e'"); id != 5 {
		t.Fatalf("new id after down %d", id)
	}
	if ddl := scalar[string](t, eng, "SELECT sql FROM sqlite_master WHERE name = 'items'"); !strings.Contains(ddl, "AUTOINCREMENT") {
		t.Fatalf("AUTOINCREMENT lost by down: %s", ddl)
	}
}

type sGadget struct {
	ID    int64
	Name  string  `arc:"size:20"`
	Color *string `arc:"size:20"`
}

func (sGadget) TableName() string { return "gadgets" }

type sGadget2 struct {
	ID    int64
	Name  string  `arc:"size:20;unique"`
	Color *string `arc:"size:20"`
}

func (sGadget2) TableName() string { return "gadgets" }

// Item 3: a SQLite rebuild drops and re-creates the triggers and views
// that use the table; Check reports a broken view.
func TestRegression_SQLiteRebuildKeepsTriggersAndViews(t *testing.T) {
	ctx := context.Background()
	eng := dbtest.Open(t, "sqlite")
	dir := t.TempDir()
	writePlan(t, dir, "init", diffPlan(t, eng, migrate.DiffOptions{}, sGadget{}))
	if err := openMigrator(t, eng, migrate.Dir(dir)).Up(ctx); err != nil {
		t.Fatal(err)
	}
	execAll(t, eng,
		"CREATE TABLE gadget_log (name TEXT)",
		"CREATE TRIGGER gadgets_log AFTER INSERT ON gadgets BEGIN INSERT INTO gadget_log VALUES (NEW.name); END",
		`CREATE VIEW "red_gadgets" AS SELECT name FROM gadgets WHERE color = 'red'`,
		"CREATE VIEW red_names AS SELECT upper(name) AS n FROM red_gadgets",
		"INSERT INTO gadgets (id, name, color) VALUES (1, 'a', 'red')")
	p := diffPlan(t, eng, migrate.DiffOptions{IgnoreTables: []string{"gadget_log"}}, sGadget2{})
	if !strings.Contains(strings.Join(p.Notes, "\n"), "re-creates trigger gadgets_log, view red_gadgets, view red_names") {
		t.Fatalf("notes: %q", p.Notes)
	}
	writePlan(t, dir, "unique", p)
	m := openMigrator(t, eng, migrate.Dir(dir))
	check := func(when string, want int) {
		t.Helper()
		if n := scalar[int](t, eng, "SELECT count(*) FROM red_names"); n != want {
			t.Fatalf("%s: red_names has %d rows", when, n)
		}
		if n := scalar[int](t, eng, "SELECT count(*) FROM gadget_log"); n != want {
			t.Fatalf("%s: the trigger did not fire (%d rows)", when, n)
		}
	}
	for i, step := range []func(context.Context) error{m.Up, func(ctx context.Context) error { return m.Steps(ctx, -1) }, m.Up} {
		if err := step(ctx); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		execAll(t, eng, "INSERT INTO gadgets (id, name, color) VALUES ("+string(rune('2'+i))+", 'g"+string(rune('2'+i))+"', 'red')")
		check("after step", i+2)
	}
	if err := migrate.Check(ctx, eng, migrate.DiffOptions{IgnoreTables: []string{"gadget_log"}}, sGadget2{}); err != nil {
		t.Fatal(err)
	}
	// A view broken by hand is a difference Check reports.
	execAll(t, eng, "PRAGMA legacy_alter_table=ON", "ALTER TABLE gadget_log RENAME TO gadget_log2", "PRAGMA legacy_alter_table=OFF",
		"CREATE VIEW logged AS SELECT name FROM gadget_log2", "DROP TABLE gadget_log2")
	err := migrate.Check(ctx, eng, migrate.DiffOptions{}, sGadget2{})
	if err == nil || !strings.Contains(err.Error(), "view logged is broken") {
		t.Fatalf("check with a broken view: %v", err)
	}
}

type rPerson1 struct {
	ID   int64
	Name string `arc:"size:40;notnull;index"`
	Age  *int64 `arc:"index"`
}

func (rPerson1) TableName() string { return "people" }

type rPerson2 struct {
	ID          int64
	DisplayName string `arc:"size:40;notnull;index"`
	Age         *int64 `arc:"index"`
}

func (rPerson2) TableName() string { return "people" }

type rPerson3 struct {
	ID          int64
	DisplayName string `arc:"size:40;notnull;index"`
	Age         *int64 `arc:"index"`
}

func (rPerson3) TableName() string { return "persons" }

type rPerson4 struct {
	ID          int64
	DisplayName string `arc:"size:40;notnull;index"`
	Age         *int64 `arc:"index:ix_persons_by_age"`
}

func (rPerson4) TableName() string { return "persons" }

type rPet1 struct {
	ID      int64
	Name    string `arc:"size:20"`
	OwnerID *int64 `arc:"fk:people.id"`
}

func (rPet1) TableName() string { return "pets" }

type rPet2 struct {
	ID      int64
	Name    string `arc:"size:20"`
	OwnerID *int64 `arc:"fk:persons.id"`
}

func (rPet2) TableName() string { return "pets" }

func TestParseRename(t *testing.T) {
	for in, want := range map[string]migrate.Rename{
		"users.name=display_name":       {Table: "users", From: "name", To: "display_name"},
		"users.name=users.display_name": {Table: "users", From: "name", To: "display_name"},
		"old_users=users":               {From: "old_users", To: "users"},
	} {
		if got, err := migrate.ParseRename(in); err != nil || got != want {
			t.Errorf("ParseRename(%q) = %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "users.name", "=x", "a.b=c.d", "a=b.c"} {
		if _, err := migrate.ParseRename(bad); err == nil {
			t.Errorf("ParseRename(%q) accepted", bad)
		}
	}
}

// Item 9: --rename writes RENAME COLUMN / RENAME TO and renames the
// dependent indexes and constraints; an index renamed in the model is a
// rename; the data stays, down and up again.
func TestRegression_DiffRenames(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := eng.Dialect()
		alters := d.Has(dialect.AlterColumn) // renames in place; SQLite rebuilds the table
		dir := t.TempDir()
		src := migrate.Dir(dir)
		opts := migrate.DiffOptions{Source: &src}
		apply := func(name string, p *migrate.Plan) {
			t.Helper()
			writePlan(t, dir, name, p)
			if err := openMigrator(t, eng, src).Up(ctx); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		apply("init", diffPlan(t, eng, opts, rPerson1{}, rPet1{}))
		execAll(t, eng, "INSERT INTO people (id, name, age) VALUES (1, 'Ann', 30), (2, 'Bob', NULL)",
			"INSERT INTO pets (id, name, owner_id) VALUES (1, 'Rex', 1)")

		// Without --rename: a note that says how.
		p := diffPlan(t, eng, opts, rPerson2{}, rPet1{})
		if !strings.Contains(strings.Join(p.Notes, "\n"), "--rename people.name=display_name") {
			t.Fatalf("notes: %q", p.Notes)
		}
		// A column.
		opts.Renames = []migrate.Rename{{Table: "people", From: "name", To: "display_name"}}
		p = diffPlan(t, eng, opts, rPerson2{}, rPet1{})
		up := p.UpSQL()
		if !strings.Contains(up, "ALTER TABLE people RENAME COLUMN name TO display_name;") || strings.Contains(up, "DROP COLUMN") ||
			!strings.Contains(strings.Join(p.Changes, "\n"), "rename index ix_people_name to ix_people_display_name on people") {
			t.Fatalf("column rename: %q\n%s", p.Changes, up)
		}
		if alters && !strings.Contains(up, ddl.Render(d, ddl.RenameIndex{Table: "people", From: "ix_people_name", To: "ix_people_display_name"})[0]+";") {
			t.Fatalf("index rename:\n%s", up)
		}
		apply("rename_name", p)

		// A table: its FK from pets, its primary key and index names follow.
		opts.Renames = []migrate.Rename{{From: "people", To: "persons"}}
		p = diffPlan(t, eng, opts, rPerson3{}, rPet2{})
		up = p.UpSQL()
		if !strings.Contains(up, "ALTER TABLE people RENAME TO persons;") || strings.Contains(up, "CREATE TABLE persons") {
			t.Fatalf("table rename:\n%s", up)
		}
		if rn := func(kind dialect.ConstraintKind, from, to string) bool {
			c := ddl.Render(d, ddl.RenameConstraint{Table: "people", Kind: kind, From: from, To: to})
			if len(c) == 0 {
				return true // the dialect cannot rename it in place
			}
			_, clause, _ := strings.Cut(c[0], " RENAME ") // the table's name in the plan is either
			return strings.Contains(up, "RENAME "+clause)
		}; alters && (!rn(dialect.PrimaryKeyConstraint, "pk_people", "pk_persons") ||
			!rn(dialect.ForeignKeyConstraint, "fk_pets_owner_id_people", "fk_pets_owner_id_persons")) {
			t.Fatalf("constraint renames:\n%s", up)
		}
		apply("rename_people", p)

		// An index renamed in the model.
		opts.Renames = nil
		p = diffPlan(t, eng, opts, rPerson4{}, rPet2{})
		if want := "rename index ix_persons_age to ix_persons_by_age on persons"; len(p.Changes) != 1 || p.Changes[0] != want {
			t.Fatalf("index rename: %q", p.Changes)
		}
		apply("rename_index", p)
		if err := migrate.Check(ctx, eng, opts, rPerson4{}, rPet2{}); err != nil {
			t.Fatal(err)
		}
		if s := scalar[string](t, eng, "SELECT display_name FROM persons JOIN pets ON pets.owner_id = persons.id"); s != "Ann" {
			t.Fatalf("data after renames: %q", s)
		}
		m := openMigrator(t, eng, src)
		if err := m.Steps(ctx, -3); err != nil {
			t.Fatal(err)
		}
		if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, rPerson1{}, rPet1{}); err != nil {
			t.Fatalf("after down: %v", err)
		}
		if s := scalar[string](t, eng, "SELECT people.name FROM people JOIN pets ON pets.owner_id = people.id"); s != "Ann" {
			t.Fatalf("data after down: %q", s)
		}
		if err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}
		if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, rPerson4{}, rPet2{}); err != nil {
			t.Fatalf("after up again: %v", err)
		}
	})
}

// Item 1, the down side: a widening's down file that narrows back in a
// way the database checks (a shorter VARCHAR) is written, marked and
// noted; applied to a value that does not fit, it fails instead of
// cutting it.
func TestRegression_PGDownNarrowingMarked(t *testing.T) {
	ctx := context.Background()
	eng := dbtest.Open(t, "postgres")
	execAll(t, eng, "CREATE TABLE notes (id bigint GENERATED BY DEFAULT AS IDENTITY CONSTRAINT pk_notes PRIMARY KEY, body varchar(10))")
	p := diffPlan(t, eng, migrate.DiffOptions{}, sNote1{})
	if !strings.Contains(p.DownSQL(), "-- WARNING: narrows notes.body from text to character varying(10): fails (and changes nothing) if a value does not fit") ||
		strings.Contains(p.DownSQL(), "USING") || !strings.Contains(strings.Join(p.Notes, "\n"), "WARNING: the down file narrows notes.body") {
		t.Fatalf("down:\n%s\nnotes %q", p.DownSQL(), p.Notes)
	}
	dir := t.TempDir()
	writePlan(t, dir, "widen", p)
	m := openMigrator(t, eng, migrate.Dir(dir))
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	execAll(t, eng, "INSERT INTO notes (body) VALUES ('longer than ten')")
	if err := m.Steps(ctx, -1); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("down: %v", err)
	}
	if n := scalar[int](t, eng, "SELECT count(*) FROM notes WHERE body = 'longer than ten'"); n != 1 {
		t.Fatal("the down file cut the value")
	}
}

type rPerson5 struct {
	ID          int64
	DisplayName string `arc:"size:40;notnull"`
	Age         int64  `arc:"notnull;server_default:0;index"`
}

func (rPerson5) TableName() string { return "persons" }

// Item 9 with everything at once: a table and one of its columns renamed,
// the column's index dropped, another column made NOT NULL (a backfill;
// on SQLite a rebuild that carries the column rename in its copy). The
// down file undoes the renames before it re-creates what it rebuilt from
// the old definitions.
func TestRegression_DiffRenamesWithOtherChanges(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		dir := t.TempDir()
		src := migrate.Dir(dir)
		opts := migrate.DiffOptions{Source: &src}
		writePlan(t, dir, "init", diffPlan(t, eng, opts, rPerson1{}, rPet1{}))
		m := openMigrator(t, eng, src)
		if err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}
		execAll(t, eng, "INSERT INTO people (id, name, age) VALUES (1, 'Ann', 30), (2, 'Bob', NULL)",
			"INSERT INTO pets (id, name, owner_id) VALUES (1, 'Rex', 2)")
		opts.Renames = []migrate.Rename{{From: "people", To: "persons"}, {Table: "persons", From: "name", To: "display_name"}}
		opts.AllowDrop = true
		p := diffPlan(t, eng, opts, rPerson5{}, rPet2{})
		if strings.Contains(p.UpSQL(), "DROP COLUMN") || !strings.Contains(p.UpSQL(), "UPDATE persons SET age = 0 WHERE age IS NULL") {
			t.Fatalf("up:\n%s", p.UpSQL())
		}
		writePlan(t, dir, "everything", p)
		m = openMigrator(t, eng, src)
		for i := 0; i < 2; i++ {
			if err := m.Up(ctx); err != nil {
				t.Fatal(err)
			}
			if s := scalar[string](t, eng, "SELECT display_name FROM persons JOIN pets ON pets.owner_id = persons.id WHERE age = 0"); s != "Bob" {
				t.Fatalf("after up: %q", s)
			}
			if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, rPerson5{}, rPet2{}); err != nil {
				t.Fatal(err)
			}
			if err := m.Steps(ctx, -1); err != nil {
				t.Fatal(err)
			}
			if s := scalar[string](t, eng, "SELECT people.name FROM people JOIN pets ON pets.owner_id = people.id"); s != "Bob" {
				t.Fatalf("after down: %q", s)
			}
			if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, rPerson1{}, rPet1{}); err != nil {
				t.Fatalf("after down: %v", err)
			}
		}
	})
}

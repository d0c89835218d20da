package migrate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/migrate"
)

type exNote struct {
	ID   int64
	Body string `arc:"size:200;notnull"`
}

// Diff a model against an empty SQLite database, write the migration
// pair, and apply it with golang-migrate.
func ExampleDiff() {
	ctx := context.Background()
	tmp, _ := os.MkdirTemp("", "arc-example-")
	defer os.RemoveAll(tmp)
	eng, err := engine.Open(ctx, "sqlite:///"+filepath.Join(tmp, "app.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()

	dir := filepath.Join(tmp, "migrations")
	plan, err := migrate.Diff(ctx, eng, migrate.DiffOptions{}, exNote{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Changes)
	up, _, err := migrate.WriteDiff(dir, "init", plan, migrate.CreateOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filepath.Base(up))

	m, err := migrate.New(ctx, eng, migrate.Dir(dir))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	if err := m.Up(ctx); err != nil {
		fmt.Println(err)
		return
	}
	v, dirty, _ := m.Version(ctx)
	fmt.Println(v, dirty)
	fmt.Println(migrate.Check(ctx, eng, migrate.DiffOptions{}, exNote{}))
	// Output:
	// [create table ex_notes]
	// 000001_init.up.sql
	// 1 false
	// <nil>
}

// Create writes the next numbered pair of empty migration files.
func ExampleCreate() {
	dir, _ := os.MkdirTemp("", "arc-example-")
	defer os.RemoveAll(dir)
	up, down, err := migrate.Create(dir, "add users", migrate.CreateOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filepath.Base(up), filepath.Base(down))
	// Output: 000001_add_users.up.sql 000001_add_users.down.sql
}

type exNoteRenamed struct {
	ID   int64
	Text string `arc:"size:200;notnull"`
}

func (exNoteRenamed) TableName() string { return "ex_notes" }

// Tell Diff about a rename (arctl diff --rename ex_notes.body=text): it
// writes RENAME COLUMN, which keeps the data, instead of an add and a drop.
func ExampleParseRename() {
	ctx := context.Background()
	tmp, _ := os.MkdirTemp("", "arc-example-")
	defer os.RemoveAll(tmp)
	eng, err := engine.Open(ctx, "sqlite:///"+filepath.Join(tmp, "app.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()
	if err := migrate.CreateAll(ctx, eng, exNote{}); err != nil {
		fmt.Println(err)
		return
	}
	r, err := migrate.ParseRename("ex_notes.body=text")
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := migrate.Diff(ctx, eng, migrate.DiffOptions{Renames: []migrate.Rename{r}}, exNoteRenamed{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Changes)
	fmt.Println(plan.Up)
	fmt.Println(plan.Down)
	// Output:
	// [rename column ex_notes.body to text]
	// [ALTER TABLE ex_notes RENAME COLUMN body TO text]
	// [ALTER TABLE ex_notes RENAME COLUMN text TO body]
}

type exNoteTagged struct {
	ID   int64
	Body string  `arc:"size:200;notnull"`
	Tag  *string `arc:"size:20;index"`
}

func (exNoteTagged) TableName() string { return "ex_notes" }

// A plan's changes as operation values, each rendered by the dialect:
// the up file's, then the down file's (the inverses, last change first).
func ExamplePlan_Operations() {
	ctx := context.Background()
	tmp, _ := os.MkdirTemp("", "arc-example-")
	defer os.RemoveAll(tmp)
	eng, err := engine.Open(ctx, "sqlite:///"+filepath.Join(tmp, "app.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()
	if err := migrate.CreateAll(ctx, eng, exNote{}); err != nil {
		fmt.Println(err)
		return
	}

	plan, err := migrate.Diff(ctx, eng, migrate.DiffOptions{}, exNoteTagged{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, op := range plan.Operations() {
		fmt.Printf("up   %T: %s\n", op, ddl.Render(eng.Dialect(), op))
	}
	for _, op := range plan.DownOperations() {
		fmt.Printf("down %T: %s\n", op, ddl.Render(eng.Dialect(), op))
	}
	// Output:
	// up   ddl.AddColumn: [ALTER TABLE ex_notes ADD COLUMN tag VARCHAR(20)]
	// up   ddl.CreateIndex: [CREATE INDEX ix_ex_notes_tag ON ex_notes (tag)]
	// down ddl.DropIndex: [DROP INDEX ix_ex_notes_tag]
	// down ddl.DropColumn: [ALTER TABLE ex_notes DROP COLUMN tag]
}

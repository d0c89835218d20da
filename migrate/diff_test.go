package migrate_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

// Version 1 of a schema.
type dAuthor struct {
	ID   int64
	Name string `arc:"size:50"`
}

func (dAuthor) TableName() string { return "authors" }

type dBook struct {
	ID       int64
	Title    *string `arc:"size:100"`
	AuthorID *int64  `arc:"fk:authors.id"`
	Legacy   *string `arc:"size:20"`
}

func (dBook) TableName() string { return "books" }

// Version 2: widened, added, tightened; legacy gone (a drop, skipped
// unless AllowDrop), subtitle added (a possible rename of legacy).
type dAuthor2 struct {
	ID    int64
	Name  string  `arc:"size:80"`
	Email *string `arc:"size:100;index"`
}

func (dAuthor2) TableName() string { return "authors" }

type dBook2 struct {
	ID       int64
	Title    string  `arc:"size:100;unique;notnull"`
	AuthorID *int64  `arc:"fk:authors.id;ondelete:cascade"`
	Pages    int64   `arc:"server_default:0"`
	Subtitle *string `arc:"size:20"`
}

func (dBook2) TableName() string { return "books" }

type dTag struct {
	ID   int64
	Name string `arc:"size:30;unique"`
}

func (dTag) TableName() string { return "tags" }

var v1 = []any{dAuthor{}, dBook{}}
var v2 = []any{dAuthor2{}, dBook2{}, dTag{}}

func diffAndUp(t *testing.T, eng *engine.Engine, dir, name string, opts migrate.DiffOptions, models []any) *migrate.Plan {
	t.Helper()
	ctx := context.Background()
	src := migrate.Dir(dir)
	opts.Source = &src
	p, err := migrate.Diff(ctx, eng, opts, models...)
	if err != nil {
		t.Fatal(err)
	}
	if p.Empty() {
		t.Fatalf("%s: empty plan", name)
	}
	t.Logf("%s up:\n%s\ndown:\n%s", name, p.UpSQL(), p.DownSQL())
	if _, _, err := migrate.WriteDiff(dir, name, p, migrate.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	m := openMigrator(t, eng, src)
	if err := m.Up(ctx); err != nil {
		up, _ := os.ReadFile(filepath.Join(dir, "x"))
		t.Fatalf("%s: up: %v\n%s\n%s", name, err, p.UpSQL(), up)
	}
	again, err := migrate.Diff(ctx, eng, opts, models...)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() {
		t.Fatalf("%s: diff after up is not empty: %v\n%s", name, again.Changes, again.UpSQL())
	}
	return p
}

func TestDiffUpDownRoundTrip(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		dir := t.TempDir()
		// From an empty database: create both tables.
		p := diffAndUp(t, eng, dir, "init", migrate.DiffOptions{}, v1)
		if len(p.Changes) != 2 {
			t.Fatalf("changes = %v", p.Changes)
		}
		if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, v1...); err != nil {
			t.Fatalf("check after init: %v", err)
		}
		for _, q := range []string{
			"INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'Bob')",
			"INSERT INTO books (id, title, author_id, legacy) VALUES (1, 'One', 1, 'x'), (2, 'Two', 2, NULL)",
		} {
			if _, err := eng.DB().ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		err := migrate.Check(ctx, eng, migrate.DiffOptions{}, v2...)
		if !errors.Is(err, migrate.ErrSchemaDrift) || !strings.Contains(err.Error(), "create table tags") {
			t.Fatalf("check against v2: %v", err)
		}
		p = diffAndUp(t, eng, dir, "v2", migrate.DiffOptions{}, v2)
		joined := strings.Join(p.Changes, "\n")
		for _, want := range []string{"create table tags", "add column authors.email", "add column books.pages",
			"create index", "books.title", "add unique constraint"} {
			if !strings.Contains(joined, want) {
				t.Errorf("changes lack %q:\n%s", want, joined)
			}
		}
		if len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0], "books.legacy") {
			t.Errorf("skipped = %v", p.Skipped)
		}
		if !strings.Contains(strings.Join(p.Notes, "\n"), "rename") {
			t.Errorf("no rename note: %v", p.Notes)
		}
		var title string
		var pages int64
		var legacy *string
		if err := eng.DB().QueryRowContext(ctx, "SELECT title, pages, legacy FROM books WHERE id = 1").Scan(&title, &pages, &legacy); err != nil {
			t.Fatal(err)
		}
		if title != "One" || pages != 0 || legacy == nil || *legacy != "x" {
			t.Fatalf("data after v2: %q %d %v", title, pages, legacy)
		}
		// Only the skipped drop remains.
		if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, v2...); !errors.Is(err, migrate.ErrSchemaDrift) {
			t.Fatalf("check with a skipped drop: %v", err)
		}
		if err := migrate.Check(ctx, eng, migrate.DiffOptions{IgnoreTables: []string{"none"}}, v2...); err == nil {
			t.Fatal("want drift")
		}

		// AllowDrop: legacy goes.
		diffAndUp(t, eng, dir, "drop_legacy", migrate.DiffOptions{AllowDrop: true}, v2)
		if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, v2...); err != nil {
			t.Fatalf("check after drop: %v", err)
		}

		// Down twice: back to v1's schema with the data.
		m := openMigrator(t, eng, migrate.Dir(dir))
		if err := m.Steps(ctx, -2); err != nil {
			t.Fatal(err)
		}
		if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, v1...); err != nil {
			t.Fatalf("after down, schema is not v1's: %v", err)
		}
		var n int
		if err := eng.DB().QueryRowContext(ctx, "SELECT count(*) FROM books WHERE author_id IS NOT NULL").Scan(&n); err != nil || n != 2 {
			t.Fatalf("books after down: %d %v", n, err)
		}
		if err := eng.DB().QueryRowContext(ctx, "SELECT title FROM books WHERE id = 2").Scan(&title); err != nil || title != "Two" {
			t.Fatalf("title after down: %q %v", title, err)
		}
		if exists(t, eng, "tags") {
			t.Fatal("tags still there after down")
		}
		// Up again: everything re-applies.
		if err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}
		if err := migrate.Check(ctx, eng, migrate.DiffOptions{}, v2...); err != nil {
			t.Fatalf("check after re-up: %v", err)
		}
	})
}

func TestDiffRefusesDirtyAndStale(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		dir := t.TempDir()
		if _, _, err := migrate.Create(dir, "first", migrate.CreateOptions{Up: "CREATE TABLE t1 (id INTEGER PRIMARY KEY);\n", Down: "DROP TABLE t1;\n"}); err != nil {
			t.Fatal(err)
		}
		src := migrate.Dir(dir)
		if _, err := migrate.Diff(ctx, eng, migrate.DiffOptions{Source: &src}, v1...); !errors.Is(err, migrate.ErrNotAtLatest) {
			t.Fatalf("stale: %v", err)
		}
		m := openMigrator(t, eng, src)
		if err := m.Force(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.DB().ExecContext(ctx, "UPDATE schema_migrations SET dirty = true"); err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Diff(ctx, eng, migrate.DiffOptions{}, v1...); !errors.Is(err, migrate.ErrDirty) {
			t.Fatalf("dirty: %v", err)
		}
	})
}

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

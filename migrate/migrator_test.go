package migrate_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

var threeSteps = fstest.MapFS{
	"m/000001_users.up.sql":   file("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);\n"),
	"m/000001_users.down.sql": file("DROP TABLE users;\n"),
	"m/000002_posts.up.sql": file(`-- posts; a semicolon in a string: 'a;b'
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), title VARCHAR(80));
INSERT INTO users (id, name) VALUES (1, 'semi;colon');
`),
	"m/000002_posts.down.sql": file("DELETE FROM users WHERE id = 1;\nDROP TABLE posts;\n"),
	"m/000003_idx.up.sql":     file("CREATE INDEX ix_posts_title ON posts (title);\n"),
	"m/000003_idx.down.sql":   file("DROP INDEX ix_posts_title;\n"),
}

// threeStepsFor is threeSteps with the index dropped in d's syntax
// (MySQL: DROP INDEX ... ON posts).
func threeStepsFor(d dialect.Dialect) fstest.MapFS {
	fs := fstest.MapFS{}
	for k, v := range threeSteps {
		fs[k] = v
	}
	fs["m/000003_idx.down.sql"] = file(ddl.Render(d, ddl.DropIndex{Table: "posts", Name: "ix_posts_title"})[0] + ";\n")
	return fs
}

func openMigrator(t *testing.T, eng *engine.Engine, src migrate.Source) *migrate.Migrator {
	t.Helper()
	m, err := migrate.New(context.Background(), eng, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func exists(t *testing.T, eng *engine.Engine, table string) bool {
	t.Helper()
	ok, err := migrate.TableExists(context.Background(), eng, table)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func wantVersion(t *testing.T, m *migrate.Migrator, v int, dirty bool) {
	t.Helper()
	gv, gd, err := m.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if gv != v || gd != dirty {
		t.Fatalf("version = %d dirty=%v, want %d dirty=%v", gv, gd, v, dirty)
	}
}

func TestMigratorUpDownStepsGoto(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		m := openMigrator(t, eng, migrate.FS(threeStepsFor(eng.Dialect()), "m"))
		wantVersion(t, m, migrate.NilVersion, false)
		if err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}
		wantVersion(t, m, 3, false)
		if err := m.Up(ctx); err != nil { // no change is not an error
			t.Fatal(err)
		}
		var name string
		if err := eng.DB().QueryRow("SELECT name FROM users WHERE id = 1").Scan(&name); err != nil || name != "semi;colon" {
			t.Fatalf("name = %q, %v", name, err)
		}
		st, err := m.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Files) != 3 || !st.Files[2].Applied || st.Dirty || st.Missing {
			t.Fatalf("status = %+v", st)
		}
		if err := m.Steps(ctx, -2); err != nil {
			t.Fatal(err)
		}
		wantVersion(t, m, 1, false)
		if exists(t, eng, "posts") || !exists(t, eng, "users") {
			t.Fatal("posts should be gone, users kept")
		}
		st, _ = m.Status(ctx)
		if !st.Files[0].Applied || st.Files[1].Applied {
			t.Fatalf("status after steps = %+v", st.Files)
		}
		if err := m.Goto(ctx, 3); err != nil {
			t.Fatal(err)
		}
		wantVersion(t, m, 3, false)
		if err := m.Goto(ctx, 7); !errors.Is(err, migrate.ErrNoFile) {
			t.Fatalf("goto 7: %v", err)
		}
		if err := m.Steps(ctx, 1); !errors.Is(err, migrate.ErrShortLimit) {
			t.Fatalf("steps past the end: %v", err)
		}
		if err := m.Down(ctx); err != nil {
			t.Fatal(err)
		}
		wantVersion(t, m, migrate.NilVersion, false)
		if exists(t, eng, "users") {
			t.Fatal("users should be gone")
		}
		if err := m.Steps(ctx, -1); !errors.Is(err, migrate.ErrShortLimit) {
			t.Fatalf("down past 0: %v", err)
		}
	})
}

func TestMigratorFailureDirtyForce(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		dir := t.TempDir()
		write := func(name, body string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("000001_a.up.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);")
		write("000001_a.down.sql", "DROP TABLE a;")
		write("000002_b.up.sql", "CREATE TABLE b (id INTEGER PRIMARY KEY);\n\nINSERT INTO nowhere VALUES (1);\n")
		write("000002_b.down.sql", "DROP TABLE b;")
		m := openMigrator(t, eng, migrate.Dir(dir))
		err := m.Up(ctx)
		var me *migrate.MigrationError
		if !errors.As(err, &me) {
			t.Fatalf("want *MigrationError, got %v", err)
		}
		if me.File != "000002_b.up.sql" || me.Index != 2 || me.Line != 3 || !strings.Contains(me.Statement, "nowhere") || me.Recover != 1 {
			t.Fatalf("error = %+v", me)
		}
		if !strings.Contains(err.Error(), "000002_b.up.sql") || !strings.Contains(err.Error(), "INSERT INTO nowhere") {
			t.Fatalf("message does not name file and statement: %v", err)
		}
		if eng.Dialect().Has(dialect.TransactionalDDL) {
			if exists(t, eng, "b") {
				t.Fatal("statement 1 of the failed file was not rolled back")
			}
			if len(me.Applied) != 0 {
				t.Fatalf("applied = %q after a rollback", me.Applied)
			}
		} else {
			// MySQL: the CREATE TABLE committed itself and stays; the
			// error says so and names it.
			if !exists(t, eng, "b") {
				t.Fatal("statement 1 of the failed file should stay applied on a database without transactional DDL")
			}
			if len(me.Applied) != 1 || !strings.Contains(me.Applied[0], "CREATE TABLE b") ||
				!strings.Contains(err.Error(), "NOT rolled back") || !strings.Contains(err.Error(), "CREATE TABLE b") {
				t.Fatalf("applied = %q; message: %v", me.Applied, err)
			}
		}
		wantVersion(t, m, 2, true)
		st, err := m.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Dirty || !st.Files[1].Dirty {
			t.Fatalf("dirty not in status: %+v", st)
		}
		if err := m.Up(ctx); !errors.Is(err, migrate.ErrDirty) {
			t.Fatalf("up on a dirty database: %v", err)
		}
		if err := m.Force(ctx, me.Recover); err != nil {
			t.Fatal(err)
		}
		wantVersion(t, m, 1, false)
		if !eng.Dialect().Has(dialect.TransactionalDDL) {
			// Undo by hand what stayed applied, as the message says.
			if _, err := eng.DB().ExecContext(ctx, "DROP TABLE b"); err != nil {
				t.Fatal(err)
			}
		}
		write("000002_b.up.sql", "CREATE TABLE b (id INTEGER PRIMARY KEY);\n")
		m2 := openMigrator(t, eng, migrate.Dir(dir))
		if err := m2.Up(ctx); err != nil {
			t.Fatal(err)
		}
		wantVersion(t, m2, 2, false)
		// A database whose version has no file.
		if err := m2.Force(ctx, 9); err != nil {
			t.Fatal(err)
		}
		if err := m2.Down(ctx); !errors.Is(err, migrate.ErrNoFile) {
			t.Fatalf("missing file: %v", err)
		}
		st, _ = m2.Status(ctx)
		if !st.Missing {
			t.Fatal("status should report the missing file")
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct{ url, want string }{
		{"nope", "bad database URL"},
		{"oracle://x/y", "unknown dialect"},
		{"postgres://postgres@127.0.0.1:1/test", "cannot connect"},
	} {
		_, err := migrate.Open(ctx, tc.url, migrate.Dir(dir))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want %q", tc.url, err, tc.want)
		}
	}
	_, err := migrate.Open(ctx, "sqlite:///"+filepath.Join(dir, "x.db"), migrate.Dir(filepath.Join(dir, "missing")))
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing dir: %v", err)
	}
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	up, down, err := migrate.Create(dir, "add users", migrate.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(up) != "000001_add_users.up.sql" || filepath.Base(down) != "000001_add_users.down.sql" {
		t.Fatalf("got %s %s", up, down)
	}
	up, _, err = migrate.Create(dir, "second", migrate.CreateOptions{})
	if err != nil || filepath.Base(up) != "000002_second.up.sql" {
		t.Fatalf("got %s %v", up, err)
	}
	if _, _, err := migrate.Create(dir, "bad/name", migrate.CreateOptions{}); err == nil {
		t.Fatal("bad name accepted")
	}
	tdir := t.TempDir()
	now := func() time.Time { return time.Date(2026, 11, 25, 4, 5, 6, 0, time.UTC) }
	up, _, err = migrate.Create(tdir, "ts", migrate.CreateOptions{Numbering: migrate.Timestamp, Now: now})
	if err != nil || filepath.Base(up) != "20261125040506_ts.up.sql" {
		t.Fatalf("got %s %v", up, err)
	}
	// Auto keeps the timestamp scheme; the same second again is refused.
	if _, _, err := migrate.Create(tdir, "again", migrate.CreateOptions{Now: now}); err == nil {
		t.Fatal("timestamp not after the newest accepted")
	}
}

// TestOpenMySQLSchemes: migrate.Open takes mysql:// and mariadb:// URLs
// (golang-migrate's mysql driver, without multiStatements: the file of
// two statements runs because Arc splits it).
func TestOpenMySQLSchemes(t *testing.T) {
	ctx := context.Background()
	dbtest.EachDialect(t, func(t *testing.T, name string) {
		if name != "mysql" {
			t.Skip("MySQL's URL schemes")
		}
		for _, scheme := range []string{"mysql://", "mariadb://"} {
			url := strings.Replace(dbtest.URL(t, name), "mysql://", scheme, 1)
			sep := "?"
			if strings.Contains(url, "?") {
				sep = "&"
			}
			m, err := migrate.Open(ctx, url+sep+"x-migrations-table=arc_versions", migrate.FS(threeStepsFor(mysqlDialect(t)), "m"))
			if err != nil {
				t.Fatalf("%s: %v", scheme, err)
			}
			if err := m.Up(ctx); err != nil {
				t.Fatalf("%s: %v", scheme, err)
			}
			wantVersion(t, m, 3, false)
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func mysqlDialect(t *testing.T) dialect.Dialect {
	d, err := dialect.Lookup("mysql")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

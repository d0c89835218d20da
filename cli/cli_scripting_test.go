package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

// eachURL runs fn per dialect of the shared harness with a database URL
// of its own (a SQLite file, a PostgreSQL schema).
func eachURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	dbtest.EachDialect(t, func(t *testing.T, name string) { fn(t, dbtest.URL(t, name)) })
}

// migrationsDir writes a three-step migrations directory with its arc.sum.
func migrationsDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "migrations")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"000001_users.up.sql":   "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20));\n",
		"000001_users.down.sql": "DROP TABLE users;\n",
		"000002_posts.up.sql":   "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n",
		"000002_posts.down.sql": "DROP TABLE posts;\n",
		"000003_tags.up.sql":    "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n",
		"000003_tags.down.sql":  "DROP TABLE tags;\n",
	} {
		writeFile(t, filepath.Join(dir, name), body)
	}
	if err := migrate.Hash(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Item 10: goto downward asks like down; negative numbers and flags parse
// wherever they are placed.
func TestArgumentsAnywhereAndGotoConfirm(t *testing.T) {
	eachURL(t, func(t *testing.T, url string) {
		dir := migrationsDir(t)
		db, d := "--database="+url, "--dir="+dir
		want(t, runIn(t, nil, db, "migrate", d, "up"), 0, "migrated from none to 3", "")
		// goto downward: refused without --yes (stdin is not a terminal), like down.
		want(t, runIn(t, nil, "migrate", "goto", "1", db, d), 1, "", "refusing to revert migrations down to version 1 without --yes")
		want(t, runIn(t, nil, "migrate", "version", db, d), 0, "3", "")
		want(t, runIn(t, nil, "-y", "migrate", "goto", "1", db, d), 0, "migrated from 3 to 1", "")
		// goto upward asks nothing.
		want(t, runIn(t, nil, "migrate", "goto", "2", db, d), 0, "migrated from 1 to 2", "")
		// force -1 with flags before, between and after.
		for _, args := range [][]string{
			{db, d, "migrate", "force", "-1"},
			{"migrate", db, "force", "-1", d},
			{"migrate", "force", db, "-1", d},
			{"-v", "migrate", "force", "-1", "--database", url, "--dir", dir},
			{"migrate", "force", "--dir", dir, "-1", "--database", url},
		} {
			want(t, runIn(t, nil, args...), 0, "forced version none", "")
		}
		// up -1 is a (bad) argument, not an unknown flag.
		want(t, runIn(t, nil, "migrate", "up", "-1", db, d), 2, "", `N must be a positive number, not "-1"`)
		// Command flags before the command word.
		want(t, runIn(t, nil, "--dry-run", "migrate", "up", db, d), 0, "-- 000001_users.up.sql", "")
	})
}

// Item 11: exit codes 0/1/2/3.
func TestRegression_ExitCodes(t *testing.T) {
	tmp := t.TempDir()
	writeFile(t, filepath.Join(tmp, "bad.yaml"), "database: sqlite:///x.db\ndirr: m\n")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"migrate", "up", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"migrate", "up", "--database", "oracle://u@h/db"}, "unsupported database URL"},
		{[]string{"migrate", "up", "--database", "postgres://%zz"}, "bad database URL"},
		{[]string{"migrate", "up", "--database", "nonsense"}, "no scheme"},
		{[]string{"migrate", "up", "--database", "sqlite:///x.db?x-bogus=1"}, "x-bogus is not one of golang-migrate's"},
		{[]string{"migrate", "up", "--config", filepath.Join(tmp, "bad.yaml")}, "field dirr not found"},
		{[]string{"migrate", "goto"}, "expected one argument"},
	} {
		want(t, runIn(t, nil, tc.args...), 2, "", tc.msg)
	}
	eachURL(t, func(t *testing.T, url string) {
		dir := migrationsDir(t)
		db, d := "--database="+url, "--dir="+dir
		want(t, runIn(t, nil, "migrate", "status", db, d), 0, "pending  000001_users.up.sql", "")
		want(t, runIn(t, nil, "migrate", "status", "--check", db, d), 3, "pending  000003_tags.up.sql", "3 migration(s) pending")
		want(t, runIn(t, nil, "migrate", "up", db, d), 0, "to 3", "")
		want(t, runIn(t, nil, "migrate", "status", "--check", db, d), 0, "applied  000003_tags.up.sql", "")
		// Dirty: status exits 3, with or without --check.
		want(t, runIn(t, nil, "migrate", "force", "2", db, d), 0, "", "")
		eng, err := engine.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		if _, err := eng.DB().Exec("UPDATE schema_migrations SET dirty = true"); err != nil {
			t.Fatal(err)
		}
		want(t, runIn(t, nil, "migrate", "status", db, d), 3, "database version: 2 (dirty)", "dirty")
		// A version without a file: exit 3.
		want(t, runIn(t, nil, "migrate", "force", "7", db, d), 0, "", "")
		want(t, runIn(t, nil, "migrate", "status", db, d), 3, "MISSING", "version 7 has no file")
		// An unreachable server is an error, not usage.
		want(t, runIn(t, nil, "migrate", "up", "--database", "postgres://postgres@127.0.0.1:1/x", d), 1, "", "cannot connect")
	})
}

// Item 11: diff NAME does not claim the database matches when drops were
// only skipped; --check exits 3.
func TestRegression_DiffSkippedDropsNotMatching(t *testing.T) {
	eachURL(t, func(t *testing.T, url string) {
		dir := filepath.Join(t.TempDir(), "migrations")
		db, d := "--database="+url, "--dir="+dir
		v1, v2 := []any{gadget2{}}, []any{gadget{}} // v2 drops color
		want(t, runIn(t, v1, "create-all", db), 0, "done", "")
		want(t, runIn(t, v2, "diff", "--check", db, d), 3, "gadgets.color (not in the model) (needs --allow-drop)", "")
		r := runIn(t, v2, "diff", "drop_color", db, d)
		want(t, r, 0, "", "nothing written: the database differs from the models only by the 1 destructive change(s)")
		if strings.Contains(r.stderr, "matches the models") {
			t.Fatalf("diff says the database matches the models:\n%s", r.stderr)
		}
	})
}

// Item 12: up --dry-run prints the pending SQL and runs nothing; -v logs
// each migration's SQL; x-migrations-table works.
func TestDryRunVerboseAndXOptions(t *testing.T) {
	eachURL(t, func(t *testing.T, url string) {
		dir := migrationsDir(t)
		db, d := "--database="+url, "--dir="+dir
		want(t, runIn(t, nil, "migrate", "up", "1", db, d), 0, "to 1", "")
		r := runIn(t, nil, "migrate", "up", "--dry-run", db, d)
		want(t, r, 0, "-- 000002_posts.up.sql\nCREATE TABLE posts (id INTEGER PRIMARY KEY);\n-- 000003_tags.up.sql\n", "2 file(s) would run, to version 3; nothing was run")
		r = runIn(t, nil, "migrate", "up", "1", "--dry-run", db, d)
		if want(t, r, 0, "000002_posts.up.sql", ""); strings.Contains(r.stdout, "tags") {
			t.Fatalf("up 1 --dry-run shows more than one file:\n%s", r.stdout)
		}
		want(t, runIn(t, nil, "migrate", "down", "--dry-run", db, d), 0, "-- 000001_users.down.sql\nDROP TABLE users;", "")
		want(t, runIn(t, nil, "migrate", "version", db, d), 0, "1", "")
		// -v: each statement of each file, on stderr.
		r = runIn(t, nil, "-v", "migrate", "up", db, d)
		want(t, r, 0, "migrated from 1 to 3", "000002_posts.up.sql: CREATE TABLE posts (id INTEGER PRIMARY KEY)")
		want(t, r, 0, "", "000003_tags.up.sql: CREATE TABLE tags")

		// x-migrations-table: the version lives in the named table.
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		xurl := url + sep + "x-migrations-table=app_versions&x-multi-statement=true"
		if strings.HasPrefix(url, "postgres") {
			xurl += "&x-statement-timeout=5000"
		}
		xdb := "--database=" + xurl
		want(t, runIn(t, nil, "migrate", "version", xdb, d), 0, "none", "")
		want(t, runIn(t, nil, "migrate", "force", "2", xdb, d), 0, "forced version 2", "")
		want(t, runIn(t, nil, "migrate", "version", xdb, d), 0, "2", "")
		want(t, runIn(t, nil, "migrate", "version", db, d), 0, "3", "")
		eng, err := engine.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		if ok, err := migrate.TableExists(context.Background(), eng, "app_versions"); err != nil || !ok {
			t.Fatalf("x-migrations-table: app_versions exists = %v, %v", ok, err)
		}
	})
}

// Item 12: create keeps the directory's width and refuses mixed numbering.
func TestCreateNumbering(t *testing.T) {
	dir := t.TempDir()
	d := "--dir=" + dir
	writeFile(t, filepath.Join(dir, "0001_init.up.sql"), "SELECT 1;\n")
	writeFile(t, filepath.Join(dir, "0001_init.down.sql"), "SELECT 1;\n")
	want(t, runIn(t, nil, "migrate", "create", "next", d), 0, "0002_next.up.sql", "")
	want(t, runIn(t, nil, "migrate", "create", "wide", "--digits", "6", d), 1, "", "pads its numbers to 4 digits")
	want(t, runIn(t, nil, "migrate", "create", "ts", "--timestamp", d), 1, "", "numbers its files in sequence (newest 0002_next.up.sql); a timestamp would mix the two schemes")

	ts := t.TempDir()
	writeFile(t, filepath.Join(ts, "20260101120000_init.up.sql"), "SELECT 1;\n")
	want(t, runIn(t, nil, "migrate", "create", "seq", "--seq", "--dir", ts), 1, "", "numbers its files by timestamp")
	want(t, runIn(t, nil, "migrate", "create", "more", "--dir", ts), 0, "_more.up.sql", "")

	mixed := t.TempDir()
	writeFile(t, filepath.Join(mixed, "000001_a.up.sql"), "SELECT 1;\n")
	writeFile(t, filepath.Join(mixed, "20260101120000_b.up.sql"), "SELECT 1;\n")
	want(t, runIn(t, nil, "migrate", "create", "c", "--dir", mixed), 1, "", "mixes sequence numbers (000001_a.up.sql) and timestamps (20260101120000_b.up.sql)")

	plain := t.TempDir()
	writeFile(t, filepath.Join(plain, "9_a.up.sql"), "SELECT 1;\n")
	want(t, runIn(t, nil, "migrate", "create", "b", "--dir", plain), 0, "10_b.up.sql", "")
}

// Item 14: help lists the command's own flags first, with --double-dash,
// then the global ones, then examples; --version; a missing directory.
func TestHelpPerCommand(t *testing.T) {
	r := runIn(t, nil, "migrate", "up", "--help")
	want(t, r, 0, "Usage: arctl migrate up [N] [flags]", "")
	own, global, ex := strings.Index(r.stdout, "--dry-run"), strings.Index(r.stdout, "--database URL"), strings.Index(r.stdout, "Examples:\n  arctl migrate up")
	if own < 0 || global < 0 || ex < 0 || !(own < global && global < ex) {
		t.Fatalf("help order: own flags, global flags, examples:\n%s", r.stdout)
	}
	want(t, runIn(t, nil, "diff", "-h"), 0, "  --allow-drop\n", "")
	want(t, runIn(t, nil, "migrate", "status", "--help"), 0, "--check", "")
	want(t, runIn(t, nil, "fixtures", "load", "--help"), 0, "--replace", "")
	want(t, runIn(t, nil, "--version"), 0, "arctl ", "")
	want(t, runIn(t, nil, "migrate", "--version"), 0, "arctl ", "")
	want(t, runIn(t, nil, "migrate", "up", "--database", "sqlite:///"+filepath.Join(t.TempDir(), "x.db"), "--dir", "no/such/dir"),
		1, "", "no migrations directory no/such/dir (set --dir or ARC_MIGRATIONS_DIR)")
}

// Item 15: arc.sum catches a migration edited after it was applied and one
// added out of order; migrate hash rewrites it.
func TestChecksumFile(t *testing.T) {
	eachURL(t, func(t *testing.T, url string) {
		dir := migrationsDir(t)
		db, d := "--database="+url, "--dir="+dir
		want(t, runIn(t, nil, "migrate", "up", "2", db, d), 0, "to 2", "")
		// An applied file edited.
		writeFile(t, filepath.Join(dir, "000001_users.up.sql"), "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(99));\n")
		want(t, runIn(t, nil, "migrate", "up", db, d), 1, "", "checksum mismatch in "+dir+": changed since arc.sum was written: 000001_users.up.sql")
		want(t, runIn(t, nil, "migrate", "status", db, d), 3, "", "000001_users.up.sql")
		want(t, runIn(t, nil, "migrate", "up", "--dry-run", db, d), 1, "", "checksum mismatch")
		want(t, runIn(t, nil, "migrate", "version", db, d), 0, "2", "")
		// An unlisted file: also refused.
		writeFile(t, filepath.Join(dir, "000001_users.up.sql"), "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20));\n")
		writeFile(t, filepath.Join(dir, "000004_x.up.sql"), "SELECT 1;\n")
		want(t, runIn(t, nil, "migrate", "up", db, d), 1, "", "not in arc.sum: 000004_x.up.sql")
		os.Remove(filepath.Join(dir, "000004_x.up.sql"))
		want(t, runIn(t, nil, "migrate", "up", db, d), 0, "to 3", "")
		// Out of order: a file numbered below the applied version, added after it.
		// (000000_late arrives from another branch after 3 was applied, and
		// arc.sum is rehashed while resolving the merge.)
		writeFile(t, filepath.Join(dir, "000000_late.up.sql"), "SELECT 1;\n")
		want(t, runIn(t, nil, "migrate", "hash", d), 0, "arc.sum", "")
		want(t, runIn(t, nil, "migrate", "up", db, d), 1, "", "000000_late.up.sql added after version 3 was applied but numbered below it")
		os.Remove(filepath.Join(dir, "000000_late.up.sql"))
		want(t, runIn(t, nil, "migrate", "hash", d), 0, "arc.sum", "")
		want(t, runIn(t, nil, "migrate", "up", db, d), 0, "no change", "")
	})
}

// Item 16: fixtures load --replace empties the fixtures' tables first.
func TestFixturesLoadReplace(t *testing.T) {
	eachURL(t, func(t *testing.T, url string) {
		db := "--database=" + url
		models := []any{gadget2{}}
		want(t, runIn(t, models, "create-all", db), 0, "done", "")
		fx := t.TempDir()
		writeFile(t, filepath.Join(fx, "gadgets.yml"), "g1:\n  name: one\ng2:\n  name: two\n")
		want(t, runIn(t, models, "fixtures", "load", fx, db), 0, "fixtures loaded", "")
		want(t, runIn(t, models, "fixtures", "load", fx, "--replace", db), 1, "", "without --yes")
		want(t, runIn(t, models, "fixtures", "load", "--replace", "--yes", fx, db), 0, "fixtures loaded", "")
		eng, err := engine.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		var n int
		if err := eng.DB().QueryRow("SELECT count(*) FROM gadgets").Scan(&n); err != nil || n != 2 {
			t.Fatalf("gadgets after --replace: %d rows, %v (want 2)", n, err)
		}
	})
}

// Item 12: x-migrations-table also holds for diff, which reads the
// version from that table and does not offer to drop it.
func TestRegression_DiffWithMigrationsTable(t *testing.T) {
	eachURL(t, func(t *testing.T, url string) {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		db := "--database=" + url + sep + "x-migrations-table=app_versions"
		mdir := filepath.Join(t.TempDir(), "migrations")
		d := "--dir=" + mdir
		v1, v2 := []any{gadget{}}, []any{gadget2{}}
		want(t, runIn(t, v1, "diff", "init", db, d), 0, "000001_init.up.sql", "")
		// diff wrote arc.sum with the pair (item 15).
		sum, err := os.ReadFile(filepath.Join(mdir, migrate.SumFile))
		if err != nil || !strings.Contains(string(sum), "000001_init.up.sql h1:") || !strings.Contains(string(sum), "000001_init.down.sql h1:") {
			t.Fatalf("arc.sum after diff: %v\n%s", err, sum)
		}
		want(t, runIn(t, v1, "migrate", "up", db, d), 0, "migrated from none to 1", "")
		want(t, runIn(t, v1, "diff", "--check", db, d), 0, "no differences", "")
		want(t, runIn(t, v2, "diff", "color", db, d), 0, "000002_color.up.sql", "")
		want(t, runIn(t, v2, "diff", "more", db, d), 1, "", "not at the latest migration")
		want(t, runIn(t, v2, "migrate", "up", db, d), 0, "to 2", "")
		want(t, runIn(t, v2, "diff", "--check", db, d), 0, "no differences", "")
	})
}

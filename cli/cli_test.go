package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arcorm/arc/cli"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
)

var arctl string // the built binary

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "arctl-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	arctl = filepath.Join(dir, "arctl")
	out, err := exec.Command("go", "build", "-o", arctl, "../cmd/arctl").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build arctl: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs the built arctl in dir with env added; stdin is empty (not a terminal).
func run(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(arctl, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ARC_DATABASE_URL=") || strings.HasPrefix(kv, "ARC_MIGRATIONS_DIR=") || strings.HasPrefix(kv, "ARC_CONFIG=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func want(t *testing.T, r result, code int, stdout, stderr string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stdout, stdout) || !strings.Contains(r.stderr, stderr) {
		t.Fatalf("exit %d (want %d)\nstdout (want %q):\n%s\nstderr (want %q):\n%s", r.code, code, stdout, r.stdout, stderr, r.stderr)
	}
}

func TestHelpAndUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--help"}, {"migrate", "--help"}, {"migrate", "up", "--help"}, {"migrate", "down", "-h"},
		{"migrate", "goto", "--help"}, {"migrate", "force", "--help"}, {"migrate", "version", "--help"},
		{"migrate", "create", "--help"}, {"migrate", "status", "--help"}, {"create-all", "--help"},
		{"drop-all", "--help"}, {"diff", "--help"}, {"fixtures", "--help"}, {"fixtures", "load", "--help"},
	} {
		r := run(t, dir, nil, args...)
		want(t, r, 0, "Usage: arctl", "")
	}
	r := run(t, dir, nil, "diff", "--help")
	want(t, r, 0, "--allow-drop", "")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{nil, "needs a command"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"migrate", "goto"}, "expected one argument"},
		{[]string{"migrate", "up", "abc", "--database", "sqlite:///x.db"}, "positive number"},
		{[]string{"migrate", "up", "--bogus"}, "flag provided but not defined"},
		{[]string{"migrate", "version"}, "no database"},
	} {
		r := run(t, dir, nil, tc.args...)
		want(t, r, 2, "", tc.msg)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateCommands(t *testing.T) {
	{
		eachURL(t, func(t *testing.T, url string) {
			dir := t.TempDir()
			db := "--database=" + url
			r := run(t, dir, nil, "migrate", "create", "users", db)
			want(t, r, 0, "000001_users.up.sql", "")
			writeFile(t, filepath.Join(dir, "migrations/000001_users.up.sql"), "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20));\nINSERT INTO users VALUES (1, 'ann');\n")
			writeFile(t, filepath.Join(dir, "migrations/000001_users.down.sql"), "DROP TABLE users;\n")
			// The pair was edited after create wrote arc.sum: create refuses until rehashed.
			want(t, run(t, dir, nil, "migrate", "create", "posts", db), 1, "", "000001_users.up.sql, 000001_users.down.sql")
			want(t, run(t, dir, nil, "migrate", "hash"), 0, "arc.sum", "")
			r = run(t, dir, nil, "migrate", "create", "posts", db)
			want(t, r, 0, "000002_posts.up.sql", "")
			writeFile(t, filepath.Join(dir, "migrations/000002_posts.up.sql"), "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n")
			writeFile(t, filepath.Join(dir, "migrations/000002_posts.down.sql"), "DROP TABLE posts;\n")
			want(t, run(t, dir, nil, "migrate", "up", db), 1, "", "changed since arc.sum was written: 000002_posts.up.sql, 000002_posts.down.sql")
			want(t, run(t, dir, nil, "migrate", "hash"), 0, "arc.sum", "")

			want(t, run(t, dir, nil, "migrate", "version", db), 0, "none", "")
			want(t, run(t, dir, nil, "migrate", "up", db), 0, "migrated from none to 2", "")
			want(t, run(t, dir, nil, "migrate", "up", db), 0, "no change: at version 2", "")
			want(t, run(t, dir, nil, "migrate", "status", db), 0, "applied  000002_posts.up.sql", "")
			// Destructive without --yes, stdin not a terminal: refused.
			want(t, run(t, dir, nil, "migrate", "down", "1", db), 1, "", "without --yes")
			want(t, run(t, dir, nil, "migrate", "down", "1", "--yes", db), 0, "migrated from 2 to 1", "")
			want(t, run(t, dir, nil, "migrate", "down", "5", "--yes", db), 1, "", "down past version 0")
			want(t, run(t, dir, nil, "migrate", "goto", "2", db), 0, "migrated from 1 to 2", "")

			// A failing migration: file and statement named, dirty, force recovers.
			writeFile(t, filepath.Join(dir, "migrations/000003_bad.up.sql"), "CREATE TABLE t3 (id INTEGER PRIMARY KEY);\nINSERT INTO missing_table VALUES (1);\n")
			writeFile(t, filepath.Join(dir, "migrations/000003_bad.down.sql"), "DROP TABLE t3;\n")
			want(t, run(t, dir, nil, "migrate", "hash"), 0, "arc.sum", "")
			r = run(t, dir, nil, "migrate", "up", db)
			want(t, r, 1, "", "000003_bad.up.sql failed at statement 2 (line 2)")
			want(t, r, 1, "", "INSERT INTO missing_table")
			want(t, r, 1, "", "arctl migrate force 2")
			rollsBackDDL := dialectOf(t, url).Has(dialect.TransactionalDDL)
			if !rollsBackDDL {
				// DDL commits itself: the CREATE TABLE stays, and the
				// message says so and names it.
				want(t, r, 1, "", "NOT rolled back")
				want(t, r, 1, "", "CREATE TABLE t3")
			}
			want(t, run(t, dir, nil, "migrate", "version", db), 0, "3 (dirty)", "")
			want(t, run(t, dir, nil, "migrate", "status", db), 3, "DIRTY    000003_bad.up.sql", "dirty")
			want(t, run(t, dir, nil, "migrate", "up", db), 1, "", "dirty")
			want(t, run(t, dir, nil, "migrate", "force", "2", db), 0, "forced version 2", "")
			if !rollsBackDDL {
				execURL(t, url, "DROP TABLE t3") // undone by hand, as the message says
			}
			writeFile(t, filepath.Join(dir, "migrations/000003_bad.up.sql"), "CREATE TABLE t3 (id INTEGER PRIMARY KEY);\n")
			want(t, run(t, dir, nil, "migrate", "hash"), 0, "arc.sum", "")
			want(t, run(t, dir, nil, "migrate", "up", db), 0, "migrated from 2 to 3", "")
			// Missing file for the database's version.
			os.Remove(filepath.Join(dir, "migrations/000003_bad.up.sql"))
			os.Remove(filepath.Join(dir, "migrations/000003_bad.down.sql"))
			want(t, run(t, dir, nil, "migrate", "hash"), 0, "arc.sum", "")
			want(t, run(t, dir, nil, "migrate", "status", db), 3, "MISSING", "no file")
			want(t, run(t, dir, nil, "migrate", "down", "--yes", db), 1, "", "version 3, which has no file")
			want(t, run(t, dir, nil, "migrate", "force", "-1", db), 0, "forced version none", "")
			want(t, run(t, dir, nil, "migrate", "force", "-1", db), 0, "", "")
		})
	}
}

func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	envDB := "sqlite:///" + filepath.Join(dir, "env.db")
	cfgDB := "sqlite:///" + filepath.Join(dir, "cfg.db")
	flagDB := "sqlite:///" + filepath.Join(dir, "flag.db")
	os.MkdirAll(filepath.Join(dir, "m1"), 0o755)
	writeFile(t, filepath.Join(dir, "m1/000001_a.up.sql"), "CREATE TABLE a (id INTEGER PRIMARY KEY);\n")
	writeFile(t, filepath.Join(dir, "arc.yaml"), "database: "+cfgDB+"\ndir: m1\n")
	want(t, run(t, dir, nil, "migrate", "up"), 0, "migrated from none to 1", "")
	if _, err := os.Stat(filepath.Join(dir, "cfg.db")); err != nil {
		t.Fatal("config file's database not used")
	}
	want(t, run(t, dir, []string{"ARC_DATABASE_URL=" + envDB}, "migrate", "up"), 0, "migrated from none to 1", "")
	if _, err := os.Stat(filepath.Join(dir, "env.db")); err != nil {
		t.Fatal("environment's database not used")
	}
	want(t, run(t, dir, []string{"ARC_DATABASE_URL=" + envDB}, "migrate", "version", "--database", flagDB), 0, "none", "")
	writeFile(t, filepath.Join(dir, "bad.yaml"), "datbase: x\n")
	want(t, run(t, dir, nil, "--config", "bad.yaml", "migrate", "version"), 2, "", "datbase")
	// Bad URL, unknown scheme: usage (2); unreachable server: error (1).
	want(t, run(t, dir, nil, "migrate", "up", "--database", "nonsense"), 2, "", "bad database URL")
	want(t, run(t, dir, nil, "migrate", "up", "--database", "oracle://h/db"), 2, "", "unsupported database URL")
	want(t, run(t, dir, nil, "migrate", "up", "--database", "mysql://root@127.0.0.1:1/x"), 1, "", "cannot connect")
	want(t, run(t, dir, nil, "migrate", "up", "--database", "postgres://postgres@127.0.0.1:1/x"), 1, "", "cannot connect")
	want(t, run(t, dir, nil, "migrate", "up", "--database", flagDB, "--dir", "nope"), 1, "", "no migrations directory nope (set --dir or ARC_MIGRATIONS_DIR)")
	// Model-aware commands on the stock binary.
	want(t, run(t, dir, nil, "create-all", "--database", flagDB), 1, "", "--models")
}

// Model-aware commands in process, through cli.Run with models.
type gadget struct {
	ID   int64
	Name string `arc:"size:40;notnull"`
}

type gadget2 struct {
	ID    int64
	Name  string  `arc:"size:40;notnull"`
	Color *string `arc:"size:10"`
}

func (gadget2) TableName() string { return "gadgets" }

func runIn(t *testing.T, models []any, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, strings.NewReader(""), &out, &errb, models...)
	return result{out.String(), errb.String(), code}
}

func TestModelCommands(t *testing.T) {
	{
		eachURL(t, func(t *testing.T, url string) {
			dir := filepath.Join(t.TempDir(), "migrations")
			db, d := "--database="+url, "--dir="+dir
			v1, v2 := []any{gadget{}}, []any{gadget2{}}
			want(t, runIn(t, v1, "diff", "--check", db, d), 3, "create table gadgets", "")
			want(t, runIn(t, v1, "diff", "init", "--dry-run", db, d), 0, "CREATE TABLE gadgets", "")
			want(t, runIn(t, v1, "diff", "init", db, d), 0, "000001_init.up.sql", "")
			want(t, runIn(t, v1, "migrate", "up", db, d), 0, "migrated from none to 1", "")
			want(t, runIn(t, v1, "diff", "--check", db, d), 0, "no differences", "")
			want(t, runIn(t, v1, "diff", "again", db, d), 0, "", "no changes")
			want(t, runIn(t, v2, "diff", "--check", db, d), 3, "add column gadgets.color", "")
			want(t, runIn(t, v2, "diff", "color", db, d), 0, "000002_color.up.sql", "")
			// Not at the newest file: refused.
			want(t, runIn(t, v2, "diff", "more", db, d), 1, "", "not at the latest migration")
			want(t, runIn(t, v2, "migrate", "up", db, d), 0, "to 2", "")
			want(t, runIn(t, v2, "diff", "--check", db, d), 0, "no differences", "")

			fx := t.TempDir()
			writeFile(t, filepath.Join(fx, "gadgets.yml"), "g1:\n  name: one\ng2:\n  name: two\n")
			want(t, runIn(t, v2, "fixtures", "load", fx, db), 0, "fixtures loaded", "")
			want(t, runIn(t, v2, "fixtures", "load", fx, db), 1, "", "without --yes")
			want(t, runIn(t, v2, "fixtures", "load", fx, "--yes", db), 0, "fixtures loaded", "")

			want(t, runIn(t, v2, "drop-all", db), 1, "", "without --yes")
			want(t, runIn(t, v2, "drop-all", "--yes", db), 0, "drop-all: done", "")
			want(t, runIn(t, v2, "create-all", db), 0, "create-all: done", "")
		})
	}
}

// TestModelsFlag runs the stock binary with --models: it builds arctl
// with the package once and caches the binary by the sources' content.
func TestModelsFlag(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	env := []string{"ARCTL_CACHE=" + cache}
	url := "sqlite:///" + filepath.Join(t.TempDir(), "m.db")
	r := run(t, root, env, "--models", "./cli/testdata/models", "create-all", "--database", url)
	want(t, r, 0, "create-all: done", "building arctl with the models")
	r = run(t, root, env, "diff", "--check", "--models=./cli/testdata/models", "--database", url, "--dir", t.TempDir())
	want(t, r, 0, "no differences", "")
	if strings.Contains(r.stderr, "building") {
		t.Fatalf("second call rebuilt:\n%s", r.stderr)
	}
	r = run(t, root, env, "--models", "./no/such/pkg", "create-all", "--database", url)
	want(t, r, 1, "", "--models ./no/such/pkg")
	// The helper's own error and exit code, not go run's "exit status 1".
	r = run(t, root, env, "--models", "./cli/testdata/models", "migrate", "up", "--database", url, "--dir", "no/dir")
	want(t, r, 1, "", "no migrations directory no/dir")
	if strings.Contains(r.stderr, "exit status") {
		t.Fatalf("stderr has the go tool's exit status line:\n%s", r.stderr)
	}
	want(t, run(t, root, env, "--models", "./cli/testdata/models", "diff", "--check", "--database", url, "--dir", "x", "--bogus"), 2, "", "-bogus")
}

// TestRegression_ModelsCacheFollowsSources: editing the models package
// rebuilds the cached helper; a package that does not compile shows the
// compiler's message.
func TestRegression_ModelsCacheFollowsSources(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	pkgDir, err := os.MkdirTemp(filepath.Join(root, "cli", "testdata"), "models_tmp_")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(pkgDir) })
	rel := "./cli/testdata/" + filepath.Base(pkgDir)
	env := []string{"ARCTL_CACHE=" + t.TempDir()}
	url := "sqlite:///" + filepath.Join(t.TempDir(), "m.db")
	v1 := "package models\n\ntype Thing struct {\n\tID   int64\n\tName string\n}\n\nfunc Models() []any { return []any{Thing{}} }\n"
	writeFile(t, filepath.Join(pkgDir, "models.go"), v1)
	want(t, run(t, root, env, "--models", rel, "create-all", "--database", url), 0, "create-all: done", "building")
	want(t, run(t, root, env, "--models", rel, "diff", "--check", "--database", url, "--dir", t.TempDir()), 0, "no differences", "")
	v2 := strings.Replace(v1, "\tName string\n", "\tName string\n\tColor string\n", 1)
	writeFile(t, filepath.Join(pkgDir, "models.go"), v2)
	want(t, run(t, root, env, "--models", rel, "diff", "--check", "--database", url, "--dir", t.TempDir()), 3, "add column things.color", "building")
	writeFile(t, filepath.Join(pkgDir, "models.go"), strings.Replace(v2, "func Models", "func Modelz", 1))
	r := run(t, root, env, "--models", rel, "create-all", "--database", url)
	want(t, r, 1, "", "undefined: models.Models")
}

// execURL runs one statement on the database at url, through its own engine.
func execURL(t *testing.T, url, q string) {
	t.Helper()
	eng, err := engine.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, err := eng.DB().ExecContext(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}

// dialectOf returns the dialect registered for url's scheme.
func dialectOf(t *testing.T, url string) dialect.Dialect {
	t.Helper()
	scheme, _, _ := strings.Cut(url, ":")
	d, err := dialect.Lookup(scheme)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

package migrate_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

// Versions of three tables for the randomized diff test: each table is
// absent or one of its versions, before and after.

type rpParent0 struct {
	ID   int64
	Name string `arc:"size:50;notnull"`
}

func (rpParent0) TableName() string { return "rp_parents" }

type rpParent1 struct {
	ID   int64
	Name string  `arc:"size:80;notnull"`
	Code *string `arc:"size:10;unique"`
}

func (rpParent1) TableName() string { return "rp_parents" }

type rpParent2 struct {
	ID    int64
	Name  *string `arc:"size:50;index"`
	Score int64   `arc:"notnull;server_default:0"`
}

func (rpParent2) TableName() string { return "rp_parents" }

type rpChild0 struct {
	ID       int64
	ParentID *int64  `arc:"fk:rp_parents.id"`
	Title    *string `arc:"size:40"`
}

func (rpChild0) TableName() string { return "rp_children" }

type rpChild1 struct {
	ID       int64
	ParentID *int64 `arc:"fk:rp_parents.id;ondelete:cascade"`
	Title    string `arc:"size:40;notnull;server_default:'x'"`
	Qty      int32  `arc:"notnull;server_default:0;check:qty >= 0"`
}

func (rpChild1) TableName() string { return "rp_children" }

type rpChild2 struct {
	ID    int64
	Title *string `arc:"size:60;index"`
	Note  *string `arc:"text"`
}

func (rpChild2) TableName() string { return "rp_children" }

type rpTag0 struct {
	ID    int64
	Label string `arc:"size:20;notnull;unique"`
}

func (rpTag0) TableName() string { return "rp_tags" }

type rpTag1 struct {
	ID    int64
	Label string  `arc:"size:20;notnull;unique:uq_rp_tags_lk"`
	Kind  *string `arc:"size:10;unique:uq_rp_tags_lk;enum:a,b"`
}

func (rpTag1) TableName() string { return "rp_tags" }

var (
	rpParents  = []any{rpParent0{}, rpParent1{}, rpParent2{}}
	rpChildren = []any{rpChild0{}, rpChild1{}, rpChild2{}}
	rpTags     = []any{rpTag0{}, rpTag1{}}
)

// rpSchema draws a set of models: each table absent or one version; a
// child with a foreign key only with its parent.
func rpSchema(t *rapid.T, label string) []any {
	var models []any
	p := rapid.IntRange(-1, len(rpParents)-1).Draw(t, label+" parents")
	if p >= 0 {
		models = append(models, rpParents[p])
	}
	children := rpChildren
	if p < 0 {
		children = rpChildren[2:]
	}
	if c := rapid.IntRange(-1, len(children)-1).Draw(t, label+" children"); c >= 0 {
		models = append(models, children[c])
	}
	if g := rapid.IntRange(-1, len(rpTags)-1).Draw(t, label+" tags"); g >= 0 {
		models = append(models, rpTags[g])
	}
	return models
}

func rpNames(models []any) string {
	var out []string
	for _, m := range models {
		out = append(out, fmt.Sprintf("%T", m))
	}
	return "[" + strings.Join(out, " ") + "]"
}

// defaultDiffChecks bounds the cases per dialect in a plain go test (each
// is a create_all, two diffs, an up and a down on a real database); make
// fuzz-diff passes -rapid.checks=N (or RAPID_CHECKS=N).
const defaultDiffChecks = 8

// TestRandomizedDiffRoundTrip is a model-based test of Diff: random
// models -> create_all -> random other models -> diff -> up through
// golang-migrate -> the database equals the target (a second diff
// writes nothing) -> down -> the inspected schema equals the original.
// AllowDrop is drawn too: without it the drops and narrowings are
// skipped and the rest must still hold.
func TestRandomizedDiffRoundTrip(t *testing.T) {
	if !migrateFlagSet("rapid.checks") && os.Getenv("RAPID_CHECKS") == "" {
		f := flag.Lookup("rapid.checks")
		old := f.Value.String()
		if err := f.Value.Set(strconv.Itoa(defaultDiffChecks)); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = f.Value.Set(old) }()
	}
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		dirs := t.TempDir()
		n := 0
		rapid.Check(t, func(rt *rapid.T) {
			n++
			rpReset(rt, eng)
			before := rpSchema(rt, "before")
			after := rpSchema(rt, "after")
			opts := migrate.DiffOptions{AllowDrop: rapid.Bool().Draw(rt, "allow drop")}
			if err := migrate.CreateAll(ctx, eng, before...); err != nil {
				rt.Fatalf("create_all %s: %v", rpNames(before), err)
			}
			dir := fmt.Sprintf("%s/%d", dirs, n)
			if err := os.Mkdir(dir, 0o755); err != nil {
				rt.Fatal(err)
			}
			diffRoundTrip(rt, eng, dir, rpNames(before)+" -> "+rpNames(after), opts, after, false, dataDrop)
		})
		rpReset(t, eng)
	})
}

// rpReset drops the randomized test's tables and the version table.
func rpReset(t failer, eng *engine.Engine) {
	t.Helper()
	for _, name := range []string{"rp_children", "rp_tags", "rp_parents", migrate.MigrationsTable} {
		if _, err := eng.DB().Exec("DROP TABLE IF EXISTS " + dialect.QuoteIdent(eng.Dialect(), name)); err != nil {
			t.Fatalf("reset: %v", err)
		}
	}
}

func migrateFlagSet(name string) bool {
	found := false
	flag.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

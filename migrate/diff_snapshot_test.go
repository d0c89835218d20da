package migrate_test

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/internal/goldenfile"
	"github.com/arcorm/arc/migrate"
)

// The up and down files Diff writes, for one table of schema changes
// (every kind of operation the planner produces) rendered on every
// dialect into testdata/diff/<dialect>.sql. After a deliberate change,
// or for a new dialect, regenerate them with
//
//	go test ./migrate -run TestDiffSnapshots -update
//
// and read the diff.

var updateSnapshots = flag.Bool("update", false, "rewrite the diff snapshots under testdata/diff")

// diffCase is one change: the live schema (the before models, created
// with CreateAll, then the setup statements), and the models Diff
// compares it with. A setup statement the database refuses (a
// dialect's own syntax: SQLite's AUTOINCREMENT, PostgreSQL's
// bigserial, an expression index) makes the case "not applicable" on
// that database.
type diffCase struct {
	name   string
	before []any
	setup  []string
	after  []any
	opts   migrate.DiffOptions
}

// Version 1 and 2 of the snapshot models; each case runs on a database
// of its own, so tables of one name recur.
type snAuthor struct {
	ID     int64
	Name   string  `arc:"size:50;notnull;unique"`
	Email  *string `arc:"size:100;index"`
	Status string  `arc:"size:20;notnull;enum:draft,published;server_default:'draft'"`
}

func (snAuthor) TableName() string { return "authors" }

type snBook struct {
	ID       int64
	Title    string `arc:"size:100;notnull"`
	AuthorID *int64 `arc:"fk:authors.id;ondelete:cascade"`
	Pages    int64  `arc:"notnull;server_default:0;check:pages >= 0"`
}

func (snBook) TableName() string { return "books" }

type snCycA struct {
	ID  int64
	BID *int64 `arc:"column:b_id;fk:cyc_b.id"`
}

func (snCycA) TableName() string { return "cyc_a" }

type snCycB struct {
	ID  int64
	AID *int64 `arc:"column:a_id;fk:cyc_a.id"`
}

func (snCycB) TableName() string { return "cyc_b" }

type snCounter struct {
	ID    int64   `arc:"pk;seq:counters_id_seq"`
	Label *string `arc:"size:20"`
}

func (snCounter) TableName() string { return "counters" }

type snKeep struct {
	ID int64
}

func (snKeep) TableName() string { return "keep" }

type snPerson1 struct {
	ID     int64
	Name   string  `arc:"size:50;notnull"`
	Legacy *string `arc:"size:20"`
}

func (snPerson1) TableName() string { return "people" }

type snPerson2 struct {
	ID     int64
	Name   string  `arc:"size:50;notnull"`
	Legacy *string `arc:"size:20"`
	Nick   *string `arc:"size:20"`
	Score  int64   `arc:"notnull;server_default:0"`
}

func (snPerson2) TableName() string { return "people" }

type snPerson3 struct {
	ID     int64
	Name   string  `arc:"size:50;notnull"`
	Legacy *string `arc:"size:20"`
	Age    int64   `arc:"notnull"`
}

func (snPerson3) TableName() string { return "people" }

type snPerson4 struct {
	ID   int64
	Name string `arc:"size:50;notnull"`
	Nick *string
}

func (snPerson4) TableName() string { return "people" }

type snPersonRenamed struct {
	ID       int64
	FullName string  `arc:"size:50;notnull"`
	Legacy   *string `arc:"size:20"`
}

func (snPersonRenamed) TableName() string { return "persons" }

type snPersonIdx struct {
	ID     int64
	Name   string `arc:"size:50;notnull;index"`
	Age    *int64
	Legacy *string `arc:"size:20"`
}

func (snPersonIdx) TableName() string { return "people" }

type snPersonRebuilt struct {
	ID     int64
	Name   string `arc:"size:50;notnull;unique"`
	Years  *int64 `arc:"index"`
	Legacy *string
}

func (snPersonRebuilt) TableName() string { return "persons" }

type snItemWide struct {
	ID     int64
	Name   string  `arc:"size:80"`
	Qty    int64   `arc:"notnull"`
	Price  float64 `arc:"notnull"`
	Amount float64 `arc:"precision:12;scale:2"`
	Code   *int64
}

func (snItemWide) TableName() string { return "items" }

type snItemNarrow struct {
	ID     int64
	Name   string  `arc:"size:50"`
	Qty    int32   `arc:"notnull"`
	Price  float32 `arc:"notnull"`
	Amount float64 `arc:"precision:8;scale:2"`
	Code   *string `arc:"size:10"`
}

func (snItemNarrow) TableName() string { return "items" }

type snTask1 struct {
	ID    int64
	State *string `arc:"size:20"`
	Owner *string `arc:"size:20"`
	Note  string  `arc:"size:20;notnull"`
	Qty   int64   `arc:"notnull;server_default:0"`
	Kind  *string `arc:"size:10"`
	Flag  int64   `arc:"notnull;server_default:0"`
}

func (snTask1) TableName() string { return "tasks" }

type snTask2 struct {
	ID    int64
	State string  `arc:"size:20;notnull;server_default:'new'"`
	Owner string  `arc:"size:20;notnull"`
	Note  *string `arc:"size:20"`
	Qty   int64   `arc:"notnull;server_default:1"`
	Kind  *string `arc:"size:10;server_default:'a'"`
	Flag  int64   `arc:"notnull"`
}

func (snTask2) TableName() string { return "tasks" }

type snFKAuthor struct {
	ID   int64
	Name *string `arc:"size:50"`
}

func (snFKAuthor) TableName() string { return "authors" }

type snFKBook1 struct {
	ID         int64
	AuthorID   *int64 `arc:"fk:authors.id"`
	ReviewerID *int64 `arc:"fk:authors.id"`
}

func (snFKBook1) TableName() string { return "books" }

type snFKBook2 struct {
	ID         int64
	AuthorID   *int64 `arc:"fk:authors.id;ondelete:cascade"`
	ReviewerID *int64
	EditorID   *int64 `arc:"fk:authors.id"`
}

func (snFKBook2) TableName() string { return "books" }

type snUnique1 struct {
	ID    int64
	Code  string `arc:"size:20;notnull;unique"`
	Slug  string `arc:"size:20;notnull"`
	Sku   string `arc:"size:20;notnull;unique:uq_old_sku"`
	Group string `arc:"size:20;notnull"`
	Rank  int64  `arc:"notnull"`
}

func (snUnique1) TableName() string { return "products" }

type snUnique2 struct {
	ID    int64
	Code  string `arc:"size:20;notnull"`
	Slug  string `arc:"size:20;notnull;unique"`
	Sku   string `arc:"size:20;notnull;unique:uq_new_sku"`
	Group string `arc:"size:20;notnull;unique:uq_group_rank"`
	Rank  int64  `arc:"notnull;unique:uq_group_rank"`
}

func (snUnique2) TableName() string { return "products" }

type snCheck1 struct {
	ID     int64
	Status string `arc:"size:20;notnull;enum:draft,published"`
	Qty    int64  `arc:"notnull;check:qty >= 0"`
	Price  int64  `arc:"notnull"`
}

func (snCheck1) TableName() string { return "orders" }

type snCheck2 struct {
	ID     int64
	Status string `arc:"size:20;notnull;enum:draft,published,archived"`
	Qty    int64  `arc:"notnull"`
	Price  int64  `arc:"notnull;check:price > 0"`
}

func (snCheck2) TableName() string { return "orders" }

type snIndex1 struct {
	ID    int64
	Name  *string `arc:"size:20;index"`
	City  *string `arc:"size:20;index:ix_old_city"`
	Zip   *string `arc:"size:10"`
	Phone *string `arc:"size:20"`
}

func (snIndex1) TableName() string { return "places" }

type snIndex2 struct {
	ID    int64
	Name  *string `arc:"size:20"`
	City  *string `arc:"size:20;index:ix_new_city"`
	Zip   *string `arc:"size:10;index:ix_zip_phone"`
	Phone *string `arc:"size:20;index:ix_zip_phone"`
}

func (snIndex2) TableName() string { return "places" }

type snPK1 struct {
	A int64 `arc:"pk;autoincrement:false"`
	B int64 `arc:"notnull"`
}

func (snPK1) TableName() string { return "pairs" }

type snPK2 struct {
	A int64 `arc:"pk;autoincrement:false"`
	B int64 `arc:"pk"`
}

func (snPK2) TableName() string { return "pairs" }

type snNote struct {
	ID       int64
	AuthorID *int64 `arc:"fk:authors.id"`
	Code     string `arc:"size:20;notnull;unique"`
}

func (snNote) TableName() string { return "notes" }

type snGadget struct {
	ID    int64
	Name  string  `arc:"size:20;unique"`
	Color *string `arc:"size:20"`
}

func (snGadget) TableName() string { return "gadgets" }

type snCounterS struct {
	ID   int64
	Name string `arc:"size:20;notnull"`
}

func (snCounterS) TableName() string { return "counters" }

type snTicket struct {
	ID    int32
	Title *string `arc:"text"`
}

func (snTicket) TableName() string { return "tickets" }

type snNum struct {
	ID   int64
	Name *string `arc:"size:20"`
}

func (snNum) TableName() string { return "nums" }

var diffCases = []diffCase{
	{name: "create tables: columns, keys, unique, index, check, enum, sequence, a foreign-key cycle",
		after: []any{snAuthor{}, snBook{}, snCycA{}, snCycB{}, snCounter{}}},
	{name: "drop tables (AllowDrop), referencing tables first",
		before: []any{snKeep{}, snFKAuthor{}, snFKBook1{}}, after: []any{snKeep{}},
		opts: migrate.DiffOptions{AllowDrop: true}},
	{name: "drop tables skipped without AllowDrop",
		before: []any{snKeep{}, snFKAuthor{}, snFKBook1{}}, after: []any{snKeep{}}},
	{name: "add columns: nullable, NOT NULL with a server default",
		before: []any{snPerson1{}}, after: []any{snPerson2{}}},
	{name: "add a NOT NULL column without a default",
		before: []any{snPerson1{}}, after: []any{snPerson3{}}},
	{name: "drop a column (AllowDrop), a possible rename noted",
		before: []any{snPerson1{}}, after: []any{snPerson4{}}, opts: migrate.DiffOptions{AllowDrop: true}},
	{name: "drop a column skipped without AllowDrop",
		before: []any{snPerson1{}}, after: []any{snPerson4{}}},
	{name: "widen types (the down file narrows back)",
		before: []any{snItemNarrow{}}, after: []any{snItemWide{}}},
	{name: "widen types with AllowDrop",
		before: []any{snItemNarrow{}}, after: []any{snItemWide{}}, opts: migrate.DiffOptions{AllowDrop: true}},
	{name: "narrow types (AllowDrop)",
		before: []any{snItemWide{}}, after: []any{snItemNarrow{}}, opts: migrate.DiffOptions{AllowDrop: true}},
	{name: "narrow types skipped without AllowDrop",
		before: []any{snItemWide{}}, after: []any{snItemNarrow{}}},
	{name: "nullability and defaults: backfill, placeholder, set and drop",
		before: []any{snTask1{}}, after: []any{snTask2{}}},
	{name: "rename a table and a column",
		before: []any{snPerson1{}}, after: []any{snPersonRenamed{}},
		opts: migrate.DiffOptions{Renames: []migrate.Rename{{From: "people", To: "persons"}, {Table: "people", From: "name", To: "full_name"}}}},
	{name: "rename a table and a column, with other changes",
		before: []any{snPersonIdx{}}, after: []any{snPersonRebuilt{}},
		opts: migrate.DiffOptions{AllowDrop: true, Renames: []migrate.Rename{{From: "people", To: "persons"}, {Table: "persons", From: "age", To: "years"}}}},
	{name: "foreign keys: added, dropped, changed",
		before: []any{snFKAuthor{}, snFKBook1{}}, after: []any{snFKAuthor{}, snFKBook2{}}},
	{name: "unique constraints: added, dropped, renamed, composite",
		before: []any{snUnique1{}}, after: []any{snUnique2{}}, opts: migrate.DiffOptions{AllowDrop: true}},
	{name: "check constraints: added, dropped, an enum's values changed",
		before: []any{snCheck1{}}, after: []any{snCheck2{}}},
	{name: "indexes: created, dropped, renamed, composite",
		before: []any{snIndex1{}}, after: []any{snIndex2{}}},
	{name: "primary key changed",
		before: []any{snPK1{}}, after: []any{snPK2{}}},
	{name: "constraints the models call by other names",
		before: []any{snFKAuthor{}},
		setup: []string{
			"CREATE TABLE notes (id BIGINT NOT NULL, author_id BIGINT, code VARCHAR(20) NOT NULL, " +
				"CONSTRAINT notes_key PRIMARY KEY (id), CONSTRAINT notes_code_key UNIQUE (code), " +
				"CONSTRAINT notes_author_fkey FOREIGN KEY (author_id) REFERENCES authors (id))"},
		after: []any{snFKAuthor{}, snNote{}}},
	{name: "rebuild keeps views, triggers and AUTOINCREMENT",
		setup: []string{
			"CREATE TABLE gadgets (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name VARCHAR(20), color VARCHAR(20))",
			"CREATE TABLE gadget_log (name TEXT)",
			"CREATE TRIGGER gadgets_log AFTER INSERT ON gadgets BEGIN INSERT INTO gadget_log VALUES (NEW.name); END",
			"CREATE VIEW red_gadgets AS SELECT name FROM gadgets WHERE color = 'red'",
			"CREATE VIEW red_names AS SELECT upper(name) AS n FROM red_gadgets"},
		after: []any{snGadget{}}, opts: migrate.DiffOptions{AllowDrop: true}},
	{name: "serial and sequence columns, a dropped serial column, a dropped table",
		setup: []string{
			"CREATE SEQUENCE tickets_seq",
			"CREATE TABLE counters (id bigserial CONSTRAINT pk_counters PRIMARY KEY, name varchar(20) NOT NULL, n bigserial)",
			"CREATE INDEX ix_counters_name ON counters (name)",
			"CREATE TABLE tickets (id integer DEFAULT nextval('tickets_seq') CONSTRAINT pk_tickets PRIMARY KEY, title text)",
			"CREATE TABLE olds (id bigserial CONSTRAINT pk_olds PRIMARY KEY, code varchar(10) UNIQUE, CONSTRAINT ck_olds CHECK (id > 0))",
			"CREATE INDEX ix_olds_code ON olds (lower(code))"},
		after: []any{snCounterS{}, snTicket{}}, opts: migrate.DiffOptions{AllowDrop: true}},
	{name: "an expression index is left alone",
		before: []any{snPerson1{}},
		setup:  []string{"CREATE INDEX ix_people_lower ON people ((lower(name)))"},
		after:  []any{snPerson2{}}},
	{name: "a key column without autoincrement",
		setup: []string{"CREATE TABLE nums (id BIGINT NOT NULL, name VARCHAR(20), CONSTRAINT pk_nums PRIMARY KEY (id))"},
		after: []any{snNum{}}},
}

func TestDiffSnapshots(t *testing.T) {
	ctx := context.Background()
	for _, name := range dbtest.Dialects {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			ran := 0
			for i, c := range diffCases {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					eng := dbtest.Open(t, name) // skips when the dialect does not run
					ran++
					fmt.Fprintf(&b, "-- ======== %s\n", c.name)
					if err := migrate.CreateAll(ctx, eng, c.before...); err != nil {
						t.Fatalf("%s: create the live schema: %v", c.name, err)
					}
					for _, s := range c.setup {
						if _, err := eng.DB().ExecContext(ctx, s); err != nil {
							t.Logf("%s: not applicable: %v", c.name, err)
							b.WriteString("-- not applicable: the database refuses the setup\n\n")
							return
						}
					}
					p, err := migrate.Diff(ctx, eng, c.opts, c.after...)
					if err != nil {
						fmt.Fprintf(&b, "-- error: %v\n\n", err)
						return
					}
					// The files are the plan's operations as the dialect renders them.
					d := eng.Dialect()
					if up := ddl.RenderAll(d, p.Operations()); !slices.Equal(up, p.Up) {
						t.Errorf("%s: Up is not the rendered Operations:\n%q\n%q", c.name, p.Up, up)
					}
					if down := ddl.RenderAll(d, p.DownOperations()); !slices.Equal(down, p.Down) {
						t.Errorf("%s: Down is not the rendered DownOperations:\n%q\n%q", c.name, p.Down, down)
					}
					b.WriteString(p.UpSQL())
					b.WriteString("-- -------- down\n")
					b.WriteString(p.DownSQL())
					b.WriteString("\n")
				})
			}
			if t.Failed() {
				return
			}
			if ran < len(diffCases) {
				t.Skipf("%s: %d of %d cases ran", name, ran, len(diffCases))
			}
			path := filepath.Join("testdata", "diff", name+".sql")
			goldenfile.Check(t, path, b.String(), *updateSnapshots, "go test ./migrate -run TestDiffSnapshots -update")
		})
	}
}

package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/migrate"
)

// The tutorial's five tables (spec §1, §3, §8, §13), with the tutorial's
// Sequence('user_id_seq') and a few indexes so that every kind of object
// create_all makes is checked.
type caUser struct {
	ID       int64  `arc:"seq:user_id_seq"`
	Name     string `arc:"size:50;index"`
	Fullname string `arc:"size:50"`
	Nickname string `arc:"size:50"`
}

func (caUser) TableName() string { return "users" }

type caAddress struct {
	ID     int64
	Email  string `arc:"column:email_address;notnull"`
	UserID *int64 `arc:"fk:users.id;ondelete:cascade"`
}

func (caAddress) TableName() string { return "addresses" }

type caPost struct {
	ID       int64
	UserID   *int64 `arc:"fk:users.id"`
	Headline string `arc:"size:255;notnull"`
	Body     string `arc:"text"`
}

func (caPost) TableName() string { return "posts" }

type caKeyword struct {
	ID      int64
	Keyword string `arc:"size:50;notnull;unique"`
}

func (caKeyword) TableName() string { return "keywords" }

type caPostKeyword struct {
	PostID    int64 `arc:"pk;fk:posts.id"`
	KeywordID int64 `arc:"pk;fk:keywords.id;index"`
}

func (caPostKeyword) TableName() string { return "post_keywords" }

// Children first, on purpose: create_all must sort.
var caModels = []any{caPostKeyword{}, caAddress{}, caPost{}, caKeyword{}, caUser{}}

var caTables = []string{"users", "addresses", "posts", "keywords", "post_keywords"}

// caDescribe introspects a table through the database's own catalog
// (independently of Arc's DDL code) and renders it as sorted lines.
func caDescribe(t *testing.T, eng *engine.Engine, table string) []string {
	t.Helper()
	ctx := context.Background()
	db := eng.DB()
	var out []string
	switch eng.Dialect().Name() {
	case "sqlite":
		rows, err := db.QueryContext(ctx, `SELECT name, type, "notnull", COALESCE(dflt_value, ''), pk FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, typ, def string
			var notnull, pk int
			if err := rows.Scan(&name, &typ, &notnull, &def, &pk); err != nil {
				t.Fatal(err)
			}
			s := "col " + name + " " + typ
			if notnull == 1 {
				s += " NOT NULL"
			}
			if def != "" {
				s += " DEFAULT " + def
			}
			if pk > 0 {
				s += fmt.Sprintf(" pk%d", pk)
			}
			out = append(out, s)
		}
		rows.Close()
		rows, err = db.QueryContext(ctx, `SELECT "from", "table", "to", on_delete FROM pragma_foreign_key_list(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var from, ref, to, del string
			if err := rows.Scan(&from, &ref, &to, &del); err != nil {
				t.Fatal(err)
			}
			out = append(out, "fk "+from+" -> "+ref+"."+to+" ON DELETE "+del)
		}
		rows.Close()
		rows, err = db.QueryContext(ctx, `SELECT il.name, il."unique", il.origin, group_concat(ii.name, ',')
			FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii GROUP BY il.name ORDER BY il.name`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, origin, cols string
			var unique int
			if err := rows.Scan(&name, &unique, &origin, &cols); err != nil {
				t.Fatal(err)
			}
			switch origin {
			case "c":
				out = append(out, fmt.Sprintf("index %s (%s) unique=%d", name, cols, unique))
			case "u":
				out = append(out, "unique ("+cols+")")
			case "pk":
				out = append(out, "pk index ("+cols+")")
			}
		}
		rows.Close()
		// SQLite keeps constraint names only in the table's SQL.
		var ddl string
		if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`CONSTRAINT (\w+)`).FindAllStringSubmatch(ddl, -1) {
			out = append(out, "named "+m[1])
		}
	case "postgres":
		var schema string
		if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryContext(ctx, `SELECT column_name, data_type, COALESCE(character_maximum_length, 0), is_nullable,
			COALESCE(column_default, ''), is_identity FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, typ, nullable, def, ident string
			var size int
			if err := rows.Scan(&name, &typ, &size, &nullable, &def, &ident); err != nil {
				t.Fatal(err)
			}
			s := "col " + name + " " + typ
			if size > 0 {
				s += fmt.Sprintf("(%d)", size)
			}
			if nullable == "NO" {
				s += " NOT NULL"
			}
			if def != "" {
				s += " DEFAULT " + def
			}
			if ident == "YES" {
				s += " IDENTITY"
			}
			out = append(out, s)
		}
		rows.Close()
		rows, err = db.QueryContext(ctx, `SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
			WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'f', 'c') ORDER BY conname`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				t.Fatal(err)
			}
			out = append(out, "constraint "+name+" "+def)
		}
		rows.Close()
		rows, err = db.QueryContext(ctx, `SELECT indexname, indexdef FROM pg_indexes
			WHERE schemaname = current_schema() AND tablename = $1 ORDER BY indexname`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				t.Fatal(err)
			}
			out = append(out, "index "+strings.ReplaceAll(def, schema+".", ""))
		}
		rows.Close()
	case "mysql":
		rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COALESCE(COLUMN_DEFAULT, ''), EXTRA
			FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, typ, nullable, def, extra string
			if err := rows.Scan(&name, &typ, &nullable, &def, &extra); err != nil {
				t.Fatal(err)
			}
			s := "col " + name + " " + typ
			if nullable == "NO" {
				s += " NOT NULL"
			}
			if def != "" && def != "NULL" {
				s += " DEFAULT " + def
			}
			if extra != "" {
				s += " " + extra
			}
			out = append(out, s)
		}
		rows.Close()
		rows, err = db.QueryContext(ctx, `SELECT tc.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE, COALESCE(r.REFERENCED_TABLE_NAME, ''), COALESCE(r.DELETE_RULE, '')
			FROM information_schema.TABLE_CONSTRAINTS tc LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r
				ON r.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND r.TABLE_NAME = tc.TABLE_NAME AND r.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
			WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.TABLE_NAME = ?`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, typ, ref, del string
			if err := rows.Scan(&name, &typ, &ref, &del); err != nil {
				t.Fatal(err)
			}
			s := "constraint " + name + " " + typ
			if ref != "" {
				s += " -> " + ref + " ON DELETE " + del
			}
			out = append(out, s)
		}
		rows.Close()
		rows, err = db.QueryContext(ctx, `SELECT INDEX_NAME, MIN(NON_UNIQUE), GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX)
			FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? GROUP BY INDEX_NAME`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, cols string
			var nonUnique int
			if err := rows.Scan(&name, &nonUnique, &cols); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("index %s (%s) unique=%d", name, cols, 1-nonUnique))
		}
		rows.Close()
	}
	slices.Sort(out)
	return out
}

var caWant = map[string]map[string][]string{
	"sqlite": {
		"users": {
			"col fullname VARCHAR(50)", "col id INTEGER NOT NULL pk1", "col name VARCHAR(50)", "col nickname VARCHAR(50)",
			"index ix_users_name (name) unique=0", "named pk_users",
		},
		"addresses": {
			"col email_address VARCHAR NOT NULL", "col id INTEGER NOT NULL pk1", "col user_id INTEGER",
			"fk user_id -> users.id ON DELETE CASCADE", "named fk_addresses_user_id_users", "named pk_addresses",
		},
		"posts": {
			"col body TEXT", "col headline VARCHAR(255) NOT NULL", "col id INTEGER NOT NULL pk1", "col user_id INTEGER",
			"fk user_id -> users.id ON DELETE NO ACTION", "named fk_posts_user_id_users", "named pk_posts",
		},
		"keywords": {
			"col id INTEGER NOT NULL pk1", "col keyword VARCHAR(50) NOT NULL", "named pk_keywords", "named uq_keywords_keyword", "unique (keyword)",
		},
		"post_keywords": {
			"col keyword_id INTEGER NOT NULL pk2", "col post_id INTEGER NOT NULL pk1",
			"fk keyword_id -> keywords.id ON DELETE NO ACTION", "fk post_id -> posts.id ON DELETE NO ACTION",
			"index ix_post_keywords_keyword_id (keyword_id) unique=0",
			"named fk_post_keywords_keyword_id_keywords", "named fk_post_keywords_post_id_posts", "named pk_post_keywords",
			"pk index (post_id,keyword_id)",
		},
	},
	// MySQL keeps no name for a primary key (it is always PRIMARY) and
	// makes an index for a foreign key that has none (named after the
	// key); MariaDB prints integer display widths.
	"mysql": {
		"users": {"col fullname varchar(50)", "col id bigint(20) NOT NULL auto_increment", "col name varchar(50)", "col nickname varchar(50)",
			"constraint PRIMARY PRIMARY KEY", "index PRIMARY (id) unique=1", "index ix_users_name (name) unique=0"},
		"addresses": {"col email_address text NOT NULL", "col id bigint(20) NOT NULL auto_increment", "col user_id bigint(20)",
			"constraint PRIMARY PRIMARY KEY", "constraint fk_addresses_user_id_users FOREIGN KEY -> users ON DELETE CASCADE",
			"index PRIMARY (id) unique=1", "index fk_addresses_user_id_users (user_id) unique=0"},
		"posts": {"col body longtext", "col headline varchar(255) NOT NULL", "col id bigint(20) NOT NULL auto_increment", "col user_id bigint(20)",
			"constraint PRIMARY PRIMARY KEY", "constraint fk_posts_user_id_users FOREIGN KEY -> users ON DELETE RESTRICT",
			"index PRIMARY (id) unique=1", "index fk_posts_user_id_users (user_id) unique=0"},
		"keywords": {"col id bigint(20) NOT NULL auto_increment", "col keyword varchar(50) NOT NULL", "constraint PRIMARY PRIMARY KEY",
			"constraint uq_keywords_keyword UNIQUE", "index PRIMARY (id) unique=1", "index uq_keywords_keyword (keyword) unique=1"},
		"post_keywords": {"col keyword_id bigint(20) NOT NULL", "col post_id bigint(20) NOT NULL", "constraint PRIMARY PRIMARY KEY",
			"constraint fk_post_keywords_keyword_id_keywords FOREIGN KEY -> keywords ON DELETE RESTRICT",
			"constraint fk_post_keywords_post_id_posts FOREIGN KEY -> posts ON DELETE RESTRICT",
			"index PRIMARY (post_id,keyword_id) unique=1", "index ix_post_keywords_keyword_id (keyword_id) unique=0"},
	},
	"postgres": {
		"users": {
			"col fullname character varying(50)", "col id bigint NOT NULL DEFAULT nextval('user_id_seq'::regclass)",
			"col name character varying(50)", "col nickname character varying(50)",
			"constraint pk_users PRIMARY KEY (id)",
			"index CREATE INDEX ix_users_name ON users USING btree (name)",
			"index CREATE UNIQUE INDEX pk_users ON users USING btree (id)",
		},
		"addresses": {
			"col email_address character varying NOT NULL", "col id bigint NOT NULL IDENTITY", "col user_id bigint",
			"constraint fk_addresses_user_id_users FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE",
			"constraint pk_addresses PRIMARY KEY (id)",
			"index CREATE UNIQUE INDEX pk_addresses ON addresses USING btree (id)",
		},
		"posts": {
			"col body text", "col headline character varying(255) NOT NULL", "col id bigint NOT NULL IDENTITY", "col user_id bigint",
			"constraint fk_posts_user_id_users FOREIGN KEY (user_id) REFERENCES users(id)",
			"constraint pk_posts PRIMARY KEY (id)",
			"index CREATE UNIQUE INDEX pk_posts ON posts USING btree (id)",
		},
		"keywords": {
			"col id bigint NOT NULL IDENTITY", "col keyword character varying(50) NOT NULL",
			"constraint pk_keywords PRIMARY KEY (id)", "constraint uq_keywords_keyword UNIQUE (keyword)",
			"index CREATE UNIQUE INDEX pk_keywords ON keywords USING btree (id)",
			"index CREATE UNIQUE INDEX uq_keywords_keyword ON keywords USING btree (keyword)",
		},
		"post_keywords": {
			"col keyword_id bigint NOT NULL", "col post_id bigint NOT NULL",
			"constraint fk_post_keywords_keyword_id_keywords FOREIGN KEY (keyword_id) REFERENCES keywords(id)",
			"constraint fk_post_keywords_post_id_posts FOREIGN KEY (post_id) REFERENCES posts(id)",
			"constraint pk_post_keywords PRIMARY KEY (post_id, keyword_id)",
			"index CREATE INDEX ix_post_keywords_keyword_id ON post_keywords USING btree (keyword_id)",
			"index CREATE UNIQUE INDEX pk_post_keywords ON post_keywords USING btree (post_id, keyword_id)",
		},
	},
}

func caIndex(stmts []string, prefix string) int {
	for i, s := range stmts {
		if strings.HasPrefix(s, prefix) {
			return i
		}
	}
	return -1
}

func TestCreateAllTutorialSchema(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		name := eng.Dialect().Name()
		rec := dbtest.Record(eng)
		if err := migrate.CreateAll(ctx, eng, caModels...); err != nil {
			t.Fatal(err)
		}
		stmts := rec.Statements()
		// One transaction around everything.
		if stmts[0] != "BEGIN (implicit)" || stmts[len(stmts)-1] != "COMMIT" ||
			strings.Count(strings.Join(stmts, "\n"), "BEGIN (implicit)") != 1 {
			t.Errorf("not one transaction:\n%s", strings.Join(stmts, "\n"))
		}
		// Foreign-key order: each table after the tables it refers to.
		pos := map[string]int{}
		for _, tb := range caTables {
			pos[tb] = caIndex(stmts, "CREATE TABLE IF NOT EXISTS "+tb+" (")
			if pos[tb] < 0 {
				t.Fatalf("no CREATE TABLE %s in:\n%s", tb, strings.Join(stmts, "\n"))
			}
		}
		for _, dep := range [][2]string{{"users", "addresses"}, {"users", "posts"}, {"posts", "post_keywords"}, {"keywords", "post_keywords"}} {
			if pos[dep[0]] > pos[dep[1]] {
				t.Errorf("%s created after %s", dep[0], dep[1])
			}
		}
		seq := caIndex(stmts, "CREATE SEQUENCE IF NOT EXISTS user_id_seq")
		if seqs := eng.Dialect().Has(dialect.Sequences); seqs && (seq < 0 || seq > pos["users"]) {
			t.Errorf("sequence user_id_seq not created before users")
		} else if !seqs && seq >= 0 {
			t.Errorf("%s has no sequences, but got one", name)
		}
		for _, tb := range caTables {
			if got := caDescribe(t, eng, tb); !reflect.DeepEqual(got, caWant[name][tb]) {
				t.Errorf("%s %s:\n got %q\nwant %q", name, tb, got, caWant[name][tb])
			}
		}

		// A second call creates nothing and says so.
		rec.Reset()
		md, err := meta.NewMetaData(caModels...)
		if err != nil {
			t.Fatal(err)
		}
		created, err := migrate.CreateTables(ctx, eng, md)
		if err != nil || len(created) != 0 {
			t.Errorf("second create_all created %v (%v)", created, err)
		}
		log := strings.Join(rec.Statements(), "\n")
		if strings.Contains(log, "CREATE") {
			t.Errorf("second create_all ran DDL:\n%s", log)
		}
		for _, tb := range caTables {
			if !strings.Contains(log, "create_all: table "+tb+" exists, skipped") {
				t.Errorf("echo does not say %s was skipped:\n%s", tb, log)
			}
		}

		// The schema works: the tutorial's rows go in, the sequence feeds users.id.
		for _, q := range []string{
			"INSERT INTO users (name, fullname, nickname) VALUES ('wendy', 'Wendy Williams', 'windy')",
			"INSERT INTO posts (user_id, headline, body) VALUES (1, 'Wendy''s Blog Post', 'This is a test')",
			"INSERT INTO keywords (keyword) VALUES ('wendy'), ('firstpost')",
			"INSERT INTO post_keywords (post_id, keyword_id) VALUES (1, 1), (1, 2)",
		} {
			if _, err := eng.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := eng.Exec(ctx, "INSERT INTO keywords (keyword) VALUES ('wendy')"); !errors.Is(err, arcerr.ErrIntegrity) {
			t.Errorf("unique keyword not enforced: %v", err)
		}
		if _, err := eng.Exec(ctx, "INSERT INTO post_keywords (post_id, keyword_id) VALUES (9, 1)"); !errors.Is(err, arcerr.ErrIntegrity) {
			t.Errorf("foreign key not enforced: %v", err)
		}

		// DropAll drops in reverse order, in one transaction.
		rec.Reset()
		if err := migrate.DropAll(ctx, eng, caModels...); err != nil {
			t.Fatal(err)
		}
		stmts = rec.SQL()
		drops := map[string]int{}
		for _, tb := range caTables {
			drops[tb] = caIndex(stmts, "DROP TABLE IF EXISTS "+tb)
			if drops[tb] < 0 {
				t.Fatalf("no DROP TABLE %s in %q", tb, stmts)
			}
			if ok, _ := migrate.TableExists(ctx, eng, tb); ok {
				t.Errorf("%s still exists", tb)
			}
		}
		for _, dep := range [][2]string{{"users", "addresses"}, {"users", "posts"}, {"posts", "post_keywords"}, {"keywords", "post_keywords"}} {
			if drops[dep[0]] < drops[dep[1]] {
				t.Errorf("%s dropped before %s", dep[0], dep[1])
			}
		}
		if eng.Dialect().Has(dialect.Sequences) && caIndex(stmts, "DROP SEQUENCE IF EXISTS user_id_seq") < drops["users"] {
			t.Errorf("sequence not dropped after users: %q", stmts)
		}
		if err := migrate.DropAll(ctx, eng, caModels...); err != nil {
			t.Errorf("DropAll of a missing schema: %v", err)
		}
	})
}

// Creating more models later creates only the new tables (the tutorial
// calls create_all three times).
func TestCreateAllIncremental(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		md1, _ := meta.NewMetaData(caUser{})
		created, err := migrate.CreateTables(ctx, eng, md1)
		if err != nil || !reflect.DeepEqual(created, []string{"users"}) {
			t.Fatalf("first: %v %v", created, err)
		}
		md2, _ := meta.NewMetaData(caUser{}, caAddress{})
		created, err = migrate.CreateTables(ctx, eng, md2)
		if err != nil || !reflect.DeepEqual(created, []string{"addresses"}) {
			t.Fatalf("second: %v %v", created, err)
		}
	})
}

type caBad struct {
	ID int64
	X  int `arc:"server_default:nonsense("`
}

func (caBad) TableName() string { return "bad" }

// A failing statement rolls the whole create_all back.
func TestCreateAllIsAtomic(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		err := migrate.CreateAll(ctx, eng, caUser{}, caKeyword{}, caBad{})
		var se *arcerr.StatementError
		if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), "create table bad") {
			t.Fatalf("err = %v", err)
		}
		if !eng.Dialect().Has(dialect.TransactionalDDL) {
			// MySQL: each CREATE TABLE committed itself. The error says
			// which statements stay applied, and they do.
			var de *migrate.DDLError
			if !errors.As(err, &de) || len(de.Applied) != 3 || !strings.Contains(err.Error(), "NOT rolled back") ||
				!strings.Contains(err.Error(), "CREATE TABLE IF NOT EXISTS users") || !strings.Contains(err.Error(), "CREATE TABLE IF NOT EXISTS keywords") {
				t.Fatalf("err = %v", err)
			}
			for _, tb := range []string{"users", "keywords"} {
				if ok, _ := migrate.TableExists(ctx, eng, tb); !ok {
					t.Errorf("%s reported applied but missing", tb)
				}
			}
			if err := migrate.DropAll(ctx, eng, caUser{}, caKeyword{}); err != nil {
				t.Fatal(err)
			}
		}
		for _, tb := range []string{"users", "keywords", "bad"} {
			if ok, _ := migrate.TableExists(ctx, eng, tb); ok {
				t.Errorf("%s exists after a failed create_all", tb)
			}
		}
		if err := migrate.CreateAll(ctx, eng, caAddress{}); !errors.Is(err, arcerr.ErrInvalidModel) {
			t.Errorf("FK to an unregistered table: %v", err)
		}
	})
}

type caCycA struct {
	ID  int64
	BID *int64 `arc:"fk:cyc_b.id"`
}

func (caCycA) TableName() string { return "cyc_a" }

type caCycB struct {
	ID  int64
	AID *int64 `arc:"fk:cyc_a.id"`
}

func (caCycB) TableName() string { return "cyc_b" }

type caNode struct {
	ID       int64
	ParentID *int64 `arc:"fk:nodes.id;ondelete:cascade"`
}

func (caNode) TableName() string { return "nodes" }

// Tables that refer to each other (or to themselves) are created (the cycle's keys added
// afterwards where the dialect can) and dropped.
func TestCreateAllCycle(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		if err := migrate.CreateAll(ctx, eng, caCycA{}, caCycB{}, caNode{}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"INSERT INTO nodes (id, parent_id) VALUES (1, NULL)", "INSERT INTO nodes (id, parent_id) VALUES (2, 1)", "DELETE FROM nodes WHERE id = 1"} {
			if _, err := eng.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := eng.Exec(ctx, "INSERT INTO nodes (id, parent_id) VALUES (3, 99)"); !errors.Is(err, arcerr.ErrIntegrity) {
			t.Errorf("self-referential FK not enforced: %v", err)
		}
		if _, err := eng.Exec(ctx, "INSERT INTO cyc_a (id, bid) VALUES (1, 99)"); !errors.Is(err, arcerr.ErrIntegrity) {
			t.Errorf("cycle FK not enforced: %v", err)
		}
		var left int
		if err := eng.DB().QueryRowContext(ctx, "SELECT count(*) FROM nodes").Scan(&left); err != nil || left != 0 {
			t.Errorf("ON DELETE CASCADE on a self reference: %d rows left (%v)", left, err)
		}
		if err := migrate.DropAll(ctx, eng, caCycA{}, caCycB{}, caNode{}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := migrate.TableExists(ctx, eng, "cyc_a"); ok {
			t.Error("cyc_a survived DropAll")
		}
	})
}

func ExampleCreateAll() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "arc-example")
	defer os.RemoveAll(dir)
	eng, err := engine.Open(ctx, "sqlite:///"+filepath.Join(dir, "blog.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()

	md, _ := meta.NewMetaData(caModels...)
	created, err := migrate.CreateTables(ctx, eng, md) // what CreateAll does, reporting the tables
	fmt.Println(created, err)
	created, err = migrate.CreateTables(ctx, eng, md) // a second call creates nothing
	fmt.Println(created, err)
	fmt.Println(migrate.DropAll(ctx, eng, caModels...))
	// Output:
	// [users posts keywords post_keywords addresses] <nil>
	// [] <nil>
	// <nil>
}

// On PostgreSQL a table of the same name in a schema further down the
// search path does not stop create_all from creating its own in the
// current schema.
func TestCreateAllCurrentSchemaOnly(t *testing.T) {
	ctx := context.Background()
	first, other := dbtest.NewSchemaURL(t), dbtest.NewSchemaURL(t)
	o, err := engine.Open(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := migrate.CreateAll(ctx, o, caKeyword{}); err != nil {
		t.Fatal(err)
	}
	u1, _ := url.Parse(first)
	u2, _ := url.Parse(other)
	q := u1.Query()
	q.Set("search_path", u1.Query().Get("search_path")+","+u2.Query().Get("search_path"))
	u1.RawQuery = q.Encode()
	eng, err := engine.Open(ctx, u1.String())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	md, _ := meta.NewMetaData(caKeyword{})
	created, err := migrate.CreateTables(ctx, eng, md)
	if err != nil || !reflect.DeepEqual(created, []string{"keywords"}) {
		t.Errorf("created %v, %v; want [keywords] in the current schema", created, err)
	}
}

type caSeqOnly struct {
	ID   int64  `arc:"seq:gadget_id_seq"`
	Name string `arc:"size:20"`
}

func (caSeqOnly) TableName() string { return "seq_gadgets" }

// TestRegression_SeqColumnAutoincrementsWithoutSequences: a seq: column
// on a dialect without sequences is an ordinary autoincrement column
// (MySQL got no AUTO_INCREMENT and refused a row without a key).
func TestRegression_SeqColumnAutoincrementsWithoutSequences(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		if err := migrate.CreateAll(ctx, eng, caSeqOnly{}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"a", "b"} {
			if _, err := eng.Exec(ctx, "INSERT INTO seq_gadgets (name) VALUES ('"+n+"')"); err != nil {
				t.Fatal(err)
			}
		}
		var lo, hi int64
		if err := eng.DB().QueryRowContext(ctx, "SELECT MIN(id), MAX(id) FROM seq_gadgets").Scan(&lo, &hi); err != nil || hi != lo+1 {
			t.Fatalf("ids %d..%d (%v)", lo, hi, err)
		}
	})
}

package cli_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
)

// The schema of a small blog as it evolves, one model set per step (issue
// 21's end-to-end walk). Types are prefixed ev<step>.

type evUser1 struct {
	ID    int64
	Name  string  `arc:"size:40;notnull"`
	Email *string `arc:"size:80;unique"`
}

func (evUser1) TableName() string { return "users" }

type evPost1 struct {
	ID         int64
	UserID     *int64  `arc:"fk:users.id"`
	ReviewerID *int64  ``
	Title      string  `arc:"size:100;notnull;index"`
	Body       *string `arc:"text"`
	Views      int64   ``
}

func (evPost1) TableName() string { return "posts" }

type evTag struct {
	ID   int64
	Name string `arc:"size:30;notnull;unique"`
}

func (evTag) TableName() string { return "tags" }

type evPostTag struct {
	PostID int64 `arc:"pk;fk:posts.id"`
	TagID  int64 `arc:"pk;fk:tags.id;index"`
}

func (evPostTag) TableName() string { return "post_tags" }

type evAuditLog struct {
	ID  int64
	Msg *string `arc:"text"`
}

func (evAuditLog) TableName() string { return "audit_logs" }

// Step 2: a NOT NULL column with a default, indexed.
type evPost2 struct {
	ID         int64
	UserID     *int64  `arc:"fk:users.id"`
	ReviewerID *int64  ``
	Title      string  `arc:"size:100;notnull;index"`
	Body       *string `arc:"text"`
	Views      int64   ``
	Status     string  `arc:"size:20;notnull;server_default:'draft';index"`
}

func (evPost2) TableName() string { return "posts" }

// Step 3: a type change (BIGINT to NUMERIC(22,2), a widening).
type evPost3 struct {
	ID         int64
	UserID     *int64  `arc:"fk:users.id"`
	ReviewerID *int64  ``
	Title      string  `arc:"size:100;notnull;index"`
	Body       *string `arc:"text"`
	Views      float64 `arc:"type:numeric(22,2)"`
	Status     string  `arc:"size:20;notnull;server_default:'draft';index"`
}

func (evPost3) TableName() string { return "posts" }

// Step 4: users.name renamed to display_name.
type evUser4 struct {
	ID          int64
	DisplayName string  `arc:"size:40;notnull"`
	Email       *string `arc:"size:80;unique"`
}

func (evUser4) TableName() string { return "users" }

// Step 5: posts.body dropped.
type evPost5 struct {
	ID         int64
	UserID     *int64  `arc:"fk:users.id"`
	ReviewerID *int64  ``
	Title      string  `arc:"size:100;notnull;index"`
	Views      float64 `arc:"type:numeric(22,2)"`
	Status     string  `arc:"size:20;notnull;server_default:'draft';index"`
}

func (evPost5) TableName() string { return "posts" }

// Step 6: a foreign key on an existing column.
type evPost6 struct {
	ID         int64
	UserID     *int64  `arc:"fk:users.id"`
	ReviewerID *int64  `arc:"fk:users.id;ondelete:set null"`
	Title      string  `arc:"size:100;notnull;index"`
	Views      float64 `arc:"type:numeric(22,2)"`
	Status     string  `arc:"size:20;notnull;server_default:'draft';index"`
}

func (evPost6) TableName() string { return "posts" }

// TestSchemaEvolution walks a seven-step schema evolution through arctl
// on both dialects: each step's files are generated with `arctl diff`,
// reviewed (asserted on), applied up, down and up again, and `diff
// --check` passes after it; the rows inserted at the start survive every
// step.
func TestSchemaEvolution(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		// How the dialect alters a table: in place (AlterColumn), a
		// column's type with the whole definition (MySQL's MODIFY COLUMN,
		// when the dialect renders ddl.ModifyColumn, as the planner asks)
		// or by rebuilding the table (SQLite).
		alters := eng.Dialect().Has(dialect.AlterColumn)
		my := len(ddl.Render(eng.Dialect(), ddl.ModifyColumn{Table: "t", Column: &dialect.ColumnSchema{Name: "x", Type: "x"}})) > 0
		q := func(s string) string { return dialect.QuoteIdent(eng.Dialect(), s) } // status is reserved on MySQL
		dir := t.TempDir()
		db, d := "--database="+eng.URL(), "--dir="+dir
		version := 0
		type check func(t *testing.T)
		dataOK := func(nameCol string, views bool) check {
			return func(t *testing.T) {
				t.Helper()
				q := func(sql string, want string) {
					t.Helper()
					var got string
					if err := eng.DB().QueryRowContext(ctx, sql).Scan(&got); err != nil {
						t.Fatalf("%s: %v", sql, err)
					}
					if got != want {
						t.Fatalf("%s = %q, want %q", sql, got, want)
					}
				}
				q("SELECT count(*) FROM post_tags", "3")
				q("SELECT u."+nameCol+" || ':' || p.title FROM posts p JOIN users u ON u.id = p.user_id WHERE p.id = 2", "Bob:Second")
				q("SELECT email FROM users WHERE id = 1", "ann@example.com")
				q("SELECT t.name FROM tags t JOIN post_tags pt ON pt.tag_id = t.id WHERE pt.post_id = 2", "go")
				if views {
					q("SELECT CAST(views AS INTEGER) FROM posts WHERE id = 1", "7")
				}
			}
		}
		step := func(name string, models []any, flags []string, review func(up, down string), before, after check) {
			t.Helper()
			args := append([]string{"diff", name, db, d}, flags...)
			r := runIn(t, models, args...)
			want(t, r, 0, ".up.sql", "")
			version++
			paths := strings.Fields(r.stdout)
			if len(paths) != 2 {
				t.Fatalf("%s: diff printed %q", name, r.stdout)
			}
			up, err := os.ReadFile(paths[0])
			if err != nil {
				t.Fatal(err)
			}
			down, err := os.ReadFile(paths[1])
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s\n%s\n%s", name, up, down)
			review(string(up), string(down))
			want(t, runIn(t, models, "migrate", "up", db, d), 0, "", "")
			after(t)
			want(t, runIn(t, models, "migrate", "down", "1", "--yes", db, d), 0, "", "")
			before(t)
			want(t, runIn(t, models, "migrate", "up", db, d), 0, "", "")
			after(t)
			want(t, runIn(t, models, "diff", "--check", db, d), 0, "no differences", "")
		}
		has := func(t *testing.T, file, what string, wants ...string) {
			t.Helper()
			for _, w := range wants {
				if !strings.Contains(file, w) {
					t.Fatalf("%s lacks %q:\n%s", what, w, file)
				}
			}
		}
		hasNot := func(t *testing.T, file, what string, nots ...string) {
			t.Helper()
			for _, w := range nots {
				if strings.Contains(file, w) {
					t.Fatalf("%s has %q:\n%s", what, w, file)
				}
			}
		}

		// 1. The first schema: users, posts, tags, their m2m table, an
		// audit log; indexes and uniques.
		v1 := []any{evUser1{}, evPost1{}, evTag{}, evPostTag{}, evAuditLog{}}
		empty := func(t *testing.T) {}
		step("init", v1, nil, func(up, down string) {
			has(t, up, "init up", "CREATE TABLE users", "CREATE TABLE post_tags", "CONSTRAINT uq_users_email UNIQUE (email)",
				"CREATE INDEX ix_posts_title ON posts (title)", "CONSTRAINT pk_post_tags PRIMARY KEY (post_id, tag_id)")
			has(t, down, "init down", "DROP TABLE post_tags", "DROP TABLE users")
		}, empty, func(t *testing.T) {})
		for _, q := range []string{
			"INSERT INTO users (id, name, email) VALUES (1, 'Ann', 'ann@example.com'), (2, 'Bob', NULL)",
			"INSERT INTO posts (id, user_id, reviewer_id, title, body, views) VALUES (1, 1, 2, 'First', 'hello', 7), (2, 2, NULL, 'Second', NULL, 0)",
			"INSERT INTO tags (id, name) VALUES (1, 'sql'), (2, 'go')",
			"INSERT INTO post_tags (post_id, tag_id) VALUES (1, 1), (1, 2), (2, 2)",
			"INSERT INTO audit_logs (id, msg) VALUES (1, 'created')",
		} {
			if _, err := eng.DB().ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		data1 := dataOK("name", true)
		data1(t)

		// 2. A NOT NULL column with a default (and an index on it).
		v2 := []any{evUser1{}, evPost2{}, evTag{}, evPostTag{}, evAuditLog{}}
		step("status", v2, nil, func(up, down string) {
			has(t, up, "status up", "ADD COLUMN "+q("status")+" VARCHAR(20) NOT NULL DEFAULT 'draft'", "CREATE INDEX ix_posts_status ON posts ("+q("status")+")")
			has(t, down, "status down", ddl.Render(eng.Dialect(), ddl.DropIndex{Table: "posts", Name: "ix_posts_status"})[0], "DROP COLUMN "+q("status"))
		}, data1, func(t *testing.T) {
			data1(t)
			var s string
			if err := eng.DB().QueryRowContext(ctx, "SELECT status FROM posts WHERE id = 1").Scan(&s); err != nil || s != "draft" {
				t.Fatalf("status = %q, %v", s, err)
			}
		})

		// 3. A type change: BIGINT to NUMERIC(22,2) widens; its down file
		// would round, so it is written only as a SKIPPED comment.
		v3 := []any{evUser1{}, evPost3{}, evTag{}, evPostTag{}, evAuditLog{}}
		step("views_numeric", v3, nil, func(up, down string) {
			if alters && my {
				has(t, up, "type up", "ALTER TABLE posts MODIFY COLUMN views DECIMAL(22,2)")
				has(t, down, "type down", "-- SKIPPED (needs --allow-drop; it may round or cut data): ALTER TABLE posts MODIFY COLUMN views BIGINT")
				has(t, up, "type up", "NOTE: WARNING: the down file leaves posts.views as DECIMAL(22,2)")
			} else if alters {
				has(t, up, "type up", "ALTER TABLE posts ALTER COLUMN views TYPE numeric(22,2);")
				hasNot(t, up, "type up", "USING")
				has(t, down, "type down", "-- SKIPPED (needs --allow-drop; it may round or cut data): ALTER TABLE posts ALTER COLUMN views TYPE bigint")
				has(t, up, "type up", "NOTE: WARNING: the down file leaves posts.views as numeric(22,2)")
			} else {
				has(t, up, "type up", "rebuild table posts", "views numeric(22,2)", "INSERT INTO _arc_new_posts")
				has(t, down, "type down", "WARNING: changes posts.views back from NUMERIC(22,2) to INTEGER")
			}
		}, data1, data1)

		// 4. A rename, told with --rename: the data stays.
		v4 := []any{evUser4{}, evPost3{}, evTag{}, evPostTag{}, evAuditLog{}}
		data4 := dataOK("display_name", true)
		step("display_name", v4, []string{"--rename", "users.name=display_name"}, func(up, down string) {
			has(t, up, "rename up", "ALTER TABLE users RENAME COLUMN name TO display_name;")
			has(t, down, "rename down", "ALTER TABLE users RENAME COLUMN display_name TO name;")
			hasNot(t, up, "rename up", "DROP COLUMN", "ADD COLUMN")
		}, data1, data4)

		// 5. A drop, with --allow-drop; the down file re-adds it empty.
		v5 := []any{evUser4{}, evPost5{}, evTag{}, evPostTag{}, evAuditLog{}}
		step("drop_body", v5, []string{"--allow-drop"}, func(up, down string) {
			if alters {
				has(t, up, "drop up", "ALTER TABLE posts DROP COLUMN body;")
				has(t, down, "drop down", "-- WARNING: column posts.body is re-added without its data", "ADD COLUMN body")
			} else {
				has(t, up, "drop up", "rebuild table posts")
				has(t, down, "drop down", "-- WARNING: dropped columns come back empty: body")
			}
		}, data4, data4)

		// 6. A foreign key on an existing column.
		v6 := []any{evUser4{}, evPost6{}, evTag{}, evPostTag{}, evAuditLog{}}
		step("reviewer_fk", v6, nil, func(up, down string) {
			if alters {
				has(t, up, "fk up", "ADD CONSTRAINT fk_posts_reviewer_id_users FOREIGN KEY (reviewer_id) REFERENCES users (id) ON DELETE SET NULL")
				has(t, down, "fk down", ddl.Render(eng.Dialect(), ddl.DropConstraint{Table: "posts", Kind: dialect.ForeignKeyConstraint, Name: "fk_posts_reviewer_id_users"})[0])
			} else {
				has(t, up, "fk up", "rebuild table posts", "FOREIGN KEY (reviewer_id) REFERENCES users (id) ON DELETE SET NULL", "PRAGMA foreign_key_check")
			}
		}, data4, data4)

		// 7. A table dropped, with --allow-drop; the down file re-creates
		// it empty.
		v7 := []any{evUser4{}, evPost6{}, evTag{}, evPostTag{}}
		step("drop_audit", v7, []string{"--allow-drop"}, func(up, down string) {
			has(t, up, "drop table up", "DROP TABLE audit_logs;")
			has(t, down, "drop table down", "-- WARNING: table audit_logs is re-created empty", "CREATE TABLE")
		}, data4, data4)

		if version != 7 {
			t.Fatalf("%d migrations", version)
		}
		// An editor's backup of a migration is not one (issue 21 item 7).
		files, _ := os.ReadDir(dir)
		for _, f := range files {
			if strings.HasSuffix(f.Name(), "_drop_audit.up.sql") {
				b, _ := os.ReadFile(dir + "/" + f.Name())
				if err := os.WriteFile(dir+"/"+f.Name()+".bak", append(b, []byte("\nNOT SQL;\n")...), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		want(t, runIn(t, v7, "migrate", "status", db, d), 0, "IGNORED  000007_drop_audit.up.sql.bak", "")
		// All the way down and up again.
		want(t, runIn(t, v7, "migrate", "down", "--yes", db, d), 0, "", "")
		want(t, runIn(t, v7, "migrate", "up", db, d), 0, "", "ignoring 000007_drop_audit.up.sql.bak")
		want(t, runIn(t, v7, "diff", "--check", db, d), 0, "no differences", "")
	})
}

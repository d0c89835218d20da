package migrate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

// Schemas Arc did not create: tables built by hand with raw DDL, which
// the models then diff against. Each case's setup is built per dialect
// (quoting through the dialect); a statement the dialect refuses makes
// the case not applicable there.

type hmOrder struct {
	ID        int64   `arc:"pk"`
	User      *string `arc:"column:user;size:20"`
	UserName  *string `arc:"column:UserName;size:20"`
	FirstName *string `arc:"column:first name;size:20"`
	Quote     *string `arc:"column:it\"s;size:20"`
	Group     *string `arc:"column:group;size:20;index"`
}

func (hmOrder) TableName() string { return "order" }

type hmBook struct {
	ID          int64
	Title       string `arc:"size:100;notnull"`
	PublisherID *int64
}

func (hmBook) TableName() string { return "books" }

type hmUser struct {
	ID    int64
	Email string `arc:"size:100;notnull;unique"`
}

func (hmUser) TableName() string { return "users" }

type hmEvent struct {
	ID        int64
	Name      string    `arc:"size:50;notnull"`
	CreatedAt time.Time `arc:"notnull;server_default:CURRENT_TIMESTAMP"`
}

func (hmEvent) TableName() string { return "events" }

type hmPair struct {
	A    int64   `arc:"pk;autoincrement:false"`
	B    int64   `arc:"pk"`
	Note *string `arc:"size:20"`
}

func (hmPair) TableName() string { return "pairs" }

type handCase struct {
	name  string
	setup func(q func(string) string) []string
	after []any
	opts  migrate.DiffOptions
	// upMayFail: the database may refuse the up file (PostgreSQL: a view
	// uses a dropped column). The failure must then leave the schema as
	// it was and the version dirty at the file, with Recover before it.
	upMayFail bool
}

var handCases = []handCase{
	{name: "identifiers that need quoting: reserved words, mixed case, spaces, an embedded quote",
		setup: func(q func(string) string) []string {
			return []string{"CREATE TABLE " + q("order") + " (id BIGINT NOT NULL, " + q("user") + " VARCHAR(20), " +
				q("UserName") + " VARCHAR(20), " + q("first name") + " VARCHAR(20), CONSTRAINT pk_order PRIMARY KEY (id))"}
		},
		after: []any{hmOrder{}}},
	{name: "a foreign key to a table the models do not have",
		setup: func(q func(string) string) []string {
			return []string{
				"CREATE TABLE publishers (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(20))",
				"CREATE TABLE books (id BIGINT NOT NULL, title VARCHAR(100) NOT NULL, publisher_id BIGINT, " +
					"CONSTRAINT pk_books PRIMARY KEY (id), CONSTRAINT fk_books_pub FOREIGN KEY (publisher_id) REFERENCES publishers (id))"}
		},
		after: []any{hmBook{}}},
	{name: "a unique index where the models have a unique constraint",
		setup: func(q func(string) string) []string {
			return []string{
				"CREATE TABLE users (id BIGINT NOT NULL, email VARCHAR(100) NOT NULL, CONSTRAINT pk_users PRIMARY KEY (id))",
				"CREATE UNIQUE INDEX ux_users_email ON users (email)"}
		},
		after: []any{hmUser{}}},
	{name: "views, a table without a primary key, a check and partial/expression indexes Arc does not know",
		setup: func(q func(string) string) []string {
			return []string{
				"CREATE TABLE users (id BIGINT NOT NULL, email VARCHAR(100) NOT NULL, CONSTRAINT pk_users PRIMARY KEY (id), " +
					"CONSTRAINT uq_users_email UNIQUE (email), CONSTRAINT ck_users_hand CHECK (id > 0))",
				"CREATE TABLE audit (at BIGINT, what VARCHAR(50))",
				"CREATE VIEW user_emails AS SELECT id, email FROM users",
				"CREATE VIEW audit_view AS SELECT what FROM audit",
				"CREATE INDEX ix_users_lower ON users ((lower(email)))"}
		},
		after: []any{hmUser{}}},
	{name: "views, with AllowDrop",
		setup: func(q func(string) string) []string {
			return []string{
				"CREATE TABLE users (id BIGINT NOT NULL, email VARCHAR(100) NOT NULL, legacy VARCHAR(10), CONSTRAINT pk_users PRIMARY KEY (id), " +
					"CONSTRAINT uq_users_email UNIQUE (email))",
				"CREATE TABLE audit (at BIGINT, what VARCHAR(50))",
				"CREATE VIEW user_emails AS SELECT id, email, legacy FROM users",
				"CREATE VIEW audit_view AS SELECT what FROM audit"}
		},
		after: []any{hmUser{}}, opts: migrate.DiffOptions{AllowDrop: true}, upMayFail: true},
	{name: "a partial index",
		setup: func(q func(string) string) []string {
			return []string{
				"CREATE TABLE users (id BIGINT NOT NULL, email VARCHAR(100) NOT NULL, CONSTRAINT pk_users PRIMARY KEY (id), CONSTRAINT uq_users_email UNIQUE (email))",
				"CREATE INDEX ix_users_part ON users (email) WHERE id > 10"}
		},
		after: []any{hmUser{}}, opts: migrate.DiffOptions{AllowDrop: true}},
	{name: "a function default",
		setup: func(q func(string) string) []string {
			return []string{"CREATE TABLE events (id BIGINT NOT NULL, name VARCHAR(50) NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT pk_events PRIMARY KEY (id))"}
		},
		after: []any{hmEvent{}}},
	{name: "a composite key",
		setup: func(q func(string) string) []string {
			return []string{"CREATE TABLE pairs (a BIGINT NOT NULL, b BIGINT NOT NULL, CONSTRAINT pk_pairs PRIMARY KEY (a, b))"}
		},
		after: []any{hmPair{}}},
	{name: "PostgreSQL: an enum, a domain, a type Arc does not map, another schema",
		setup: func(q func(string) string) []string {
			return []string{
				"CREATE TYPE mood AS ENUM ('sad', 'happy')",
				"CREATE DOMAIN posint AS integer CHECK (VALUE > 0)",
				"CREATE TABLE users (id BIGINT NOT NULL, email VARCHAR(100) NOT NULL, m mood, n posint, ip inet, " +
					"CONSTRAINT pk_users PRIMARY KEY (id), CONSTRAINT uq_users_email UNIQUE (email))"}
		},
		after: []any{hmUser{}}, opts: migrate.DiffOptions{AllowDrop: true}},
}

func TestRegression_HandMadeSchemas(t *testing.T) {
	ctx := context.Background()
	for _, name := range dbtest.Dialects {
		t.Run(name, func(t *testing.T) {
			for i, c := range handCases {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					eng := dbtest.Open(t, name)
					q := func(s string) string { return dialect.QuoteIdent(eng.Dialect(), s) }
					for _, s := range c.setup(q) {
						if _, err := eng.DB().ExecContext(ctx, s); err != nil {
							t.Skipf("%s: not applicable: %v", c.name, err)
						}
					}
					handRoundTrip(t, eng, c)
				})
			}
		})
	}
}

func handRoundTrip(t *testing.T, eng *engine.Engine, c handCase) {
	diffRoundTrip(t, eng, c.name, c.opts, c.after, c.upMayFail, true)
}

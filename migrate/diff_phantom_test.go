package migrate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

// Every kind of column, default, key and constraint the models write,
// for the no-phantom-diff test.
type phOwner struct {
	ID    int64
	Email string `arc:"size:120;notnull;unique"`
}

func (phOwner) TableName() string { return "ph_owners" }

type phItem struct {
	ID       int64
	OwnerID  *int64    `arc:"fk:ph_owners.id;ondelete:cascade;onupdate:cascade"`
	Name     string    `arc:"size:80;notnull;index"`
	Code     string    `arc:"size:10;unique"`
	Body     string    `arc:"text"`
	Note     *string   // a string without a size
	Active   bool      `arc:"notnull;server_default:true"`
	Score    int       `arc:"notnull;server_default:0;check:score >= 0"`
	Small    int16     `arc:"server_default:7"`
	Price    float64   `arc:"type:DECIMAL(10,2)"`
	Ratio    float32   //
	Status   string    `arc:"size:20;enum:new,done;server_default:'new'"`
	Label    string    `arc:"size:30;server_default:'it''s'"`
	Data     []byte    //
	Meta     []byte    `arc:"json"`
	Token    string    `arc:"uuid"`
	Created  time.Time `arc:"notnull;server_default:CURRENT_TIMESTAMP"`
	Updated  *time.Time
	Parent   *int64 `arc:"fk:ph_items.id;ondelete:set null"`
	Archived bool
}

func (phItem) TableName() string { return "ph_items" }

type phTag struct {
	ItemID int64  `arc:"pk;fk:ph_items.id;ondelete:cascade"`
	Tag    string `arc:"pk;size:40"`
}

func (phTag) TableName() string { return "ph_tags" }

// TestRegression_NoPhantomDiffAfterCreateAll: a schema Arc created
// (create_all, or the migration diff wrote) inspects back as the models'
// schema on every dialect: no type (MySQL's TINYINT(1) for BOOLEAN,
// bigint(20), DATETIME(6), DECIMAL(10,2)), default (quoted literals,
// CURRENT_TIMESTAMP(6)), index (MySQL's own index for a foreign key),
// unique or check (MariaDB's json_valid check of a JSON column) differs.
func TestRegression_NoPhantomDiffAfterCreateAll(t *testing.T) {
	ctx := context.Background()
	models := []any{phOwner{}, phItem{}, phTag{}}
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		if err := migrate.CreateAll(ctx, eng, models...); err != nil {
			t.Fatal(err)
		}
		p, err := migrate.Diff(ctx, eng, migrate.DiffOptions{}, models...)
		if err != nil {
			t.Fatal(err)
		}
		if p.Differs() || len(p.Notes) > 0 {
			t.Fatalf("phantom diff after create_all:\nchanges %q\nskipped %q\nnotes %q\n%s", p.Changes, p.Skipped, p.Notes, p.UpSQL())
		}
		// And through a generated migration, from an empty database.
		if err := migrate.DropAll(ctx, eng, models...); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		p = diffAndUp(t, eng, dir, "init", migrate.DiffOptions{}, models)
		if len(p.Changes) != 3 {
			t.Errorf("changes = %q", p.Changes)
		}
		if say := strings.Contains(p.UpSQL(), "DDL is not transactional"); say == eng.Dialect().Has(dialect.TransactionalDDL) {
			t.Errorf("the file should say whether DDL is transactional (%v):\n%s", !say, p.UpSQL())
		}
		// The rows the models describe go in (defaults, the enum, the check).
		if _, err := eng.DB().ExecContext(ctx, "INSERT INTO ph_owners (email) VALUES ('a@b.c')"); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.DB().ExecContext(ctx, "INSERT INTO ph_items (owner_id, name, code, token) VALUES (1, 'x', 'c1', '0b9f3c52-6a51-4e9c-9a47-3f0c2d6b1e11')"); err != nil {
			t.Fatal(err)
		}
		var status, label string
		if err := eng.DB().QueryRowContext(ctx, "SELECT status, label FROM ph_items").Scan(&status, &label); err != nil || status != "new" || label != "it's" {
			t.Fatalf("defaults: %q %q %v", status, label, err)
		}
		if _, err := eng.DB().ExecContext(ctx, "UPDATE ph_items SET status = 'nope'"); err == nil || !strings.Contains(strings.ToLower(err.Error()), "constraint") {
			t.Errorf("enum check not enforced: %v", err)
		}
	})
}

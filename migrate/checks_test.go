package migrate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

type eTicket1 struct {
	ID     int64
	Status string `arc:"size:20;enum:draft,published"`
}

func (eTicket1) TableName() string { return "tickets" }

type eTicket2 struct {
	ID     int64
	Status string `arc:"size:20;enum:draft,published,archived"`
}

func (eTicket2) TableName() string { return "tickets" }

// Diff notices a changed enum value set (a changed CHECK constraint):
// ALTER TABLE on PostgreSQL, a table rebuild on SQLite; the rows stay.
func TestDiffEnumValuesChanged(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		dir := t.TempDir()
		diffAndUp(t, eng, dir, "init", migrate.DiffOptions{}, []any{eTicket1{}})
		if _, err := eng.DB().ExecContext(ctx, "INSERT INTO tickets (id, status) VALUES (1, 'published')"); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.DB().ExecContext(ctx, "INSERT INTO tickets (id, status) VALUES (2, 'archived')"); err == nil {
			t.Fatal("archived accepted before the migration")
		}
		p := diffAndUp(t, eng, dir, "archived", migrate.DiffOptions{}, []any{eTicket2{}})
		if joined := strings.Join(p.Changes, "\n"); !strings.Contains(joined, "check constraint ck_tickets_status_enum on tickets") {
			t.Errorf("changes: %s", joined)
		}
		if !strings.Contains(p.UpSQL(), "archived") {
			t.Errorf("up:\n%s", p.UpSQL())
		}
		if _, err := eng.DB().ExecContext(ctx, "INSERT INTO tickets (id, status) VALUES (2, 'archived')"); err != nil {
			t.Fatalf("archived refused after the migration: %v", err)
		}
		var n int
		if err := eng.DB().QueryRowContext(ctx, "SELECT count(*) FROM tickets").Scan(&n); err != nil || n != 2 {
			t.Fatalf("rows: %d %v", n, err)
		}
		// And back: the set shrinks again (the archived row must go first).
		if _, err := eng.DB().ExecContext(ctx, "DELETE FROM tickets WHERE id = 2"); err != nil {
			t.Fatal(err)
		}
		diffAndUp(t, eng, dir, "unarchived", migrate.DiffOptions{}, []any{eTicket1{}})
	})
}

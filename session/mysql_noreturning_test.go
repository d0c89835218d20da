package session_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/mysql"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// MySQL has no RETURNING at all. An engine made WithoutPing keeps the
// dialect's conservative capabilities (no INSERT/DELETE ... RETURNING, no
// SKIP LOCKED), which is what a MySQL server gets: on the MariaDB test
// server it runs the unit of work's paths without RETURNING — one INSERT
// per row with its key from LAST_INSERT_ID() and server defaults read
// back, bulk statements that read their keys first, and upserts read
// back by their conflict key.
func TestRegression_MySQLWithoutReturning(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, name string) {
		if name != "mysql" {
			t.Skip("the paths without RETURNING belong to the MySQL dialect")
		}
		u, err := url.Parse(dbtest.URL(t, name))
		require.NoError(t, err)
		cfg, err := mysql.Config(u)
		require.NoError(t, err)
		db, err := sql.Open("mysql", cfg.FormatDSN())
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		eng, err := engine.New(db, "mysql", engine.WithoutPing())
		require.NoError(t, err)
		t.Cleanup(func() { _ = eng.Close() })
		require.False(t, eng.Dialect().Has(dialect.ReturningInsert))

		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, allModels...))
		require.NoError(t, migrate.CreateAll(ctx, eng, UpTag{}))
		s := session.New(eng)
		defer s.Close(ctx)
		sctx := session.With(ctx, s)
		rec := dbtest.Record(eng)

		notes := make([]*Note, 4)
		for i := range notes {
			notes[i] = &Note{Body: fmt.Sprint("body", i)}
			require.NoError(t, s.Add(notes[i]))
		}
		require.NoError(t, s.Commit(ctx))
		seen := map[int64]bool{}
		for _, n := range notes {
			assert.NotZero(t, n.ID)
			assert.False(t, seen[n.ID], "distinct keys")
			seen[n.ID] = true
			assert.Equal(t, 7, n.Rank, "the server default is read back")
			assert.Equal(t, 1, countRows(t, eng, "notes", "id = ? AND body = ?", n.ID, n.Body), n.Body)
		}
		for _, q := range filterSQL(rec.SQL(), "INSERT") {
			assert.NotContains(t, q, "RETURNING")
		}

		// A bulk update reads the matched keys first.
		n, err := session.Select[Note]().AllRows().Update(sctx, map[string]any{"Body": "same"})
		require.NoError(t, err)
		assert.EqualValues(t, 4, n)

		// Upsert: ON DUPLICATE KEY UPDATE, rows read back by their key.
		first, err := session.Upsert(sctx, s, &UpTag{Name: "a", Code: "x", Uses: 1}, session.OnConflict("Name").DoUpdate())
		require.NoError(t, err)
		require.NotZero(t, first.ID)
		again, err := session.Upsert(sctx, s, &UpTag{Name: "a", Code: "x", Uses: 2}, session.OnConflict("Name").DoUpdate())
		require.NoError(t, err)
		assert.Equal(t, first.ID, again.ID)
		assert.EqualValues(t, 2, again.Uses)
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, 1, countRows(t, eng, "up_tags", "uses = ?", 2))
	})
}

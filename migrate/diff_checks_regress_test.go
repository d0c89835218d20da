package migrate_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

type hmPrice struct {
	ID    int64
	Price int64  `arc:"notnull"`
	Low   int64  `arc:"notnull"`
	High  int64  `arc:"notnull"`
	Note  string `arc:"size:20;notnull"`
}

func (hmPrice) TableName() string { return "prices" }

// TestRegression_RebuildKeepsUnnamedChecks: a hand-made table's CHECK
// constraints without a name (a column's "price INT CHECK (price > 0)",
// the table's "CHECK (low < high)") were invisible to the diff on SQLite,
// so the rebuild a migration does there (here: note becomes NOT NULL)
// wrote the table anew without them and they were gone, silently. They
// are now read under PostgreSQL's names (prices_price_check,
// prices_check), reported as not in the models, and kept by the rebuild
// (dropped only with AllowDrop), as on PostgreSQL and MariaDB.
func TestRegression_RebuildKeepsUnnamedChecks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		_, err := eng.DB().ExecContext(ctx, "CREATE TABLE prices (id BIGINT NOT NULL PRIMARY KEY, price BIGINT NOT NULL CHECK (price > 0), low BIGINT NOT NULL, high BIGINT NOT NULL, note VARCHAR(20), CHECK (low < high))")
		require.NoError(t, err)
		p, err := migrate.Diff(ctx, eng, migrate.DiffOptions{}, hmPrice{})
		require.NoError(t, err)
		if eng.Dialect().Name() != "mysql" { // MariaDB lists a column's check under its own name
			require.Contains(t, p.Skipped, "drop check constraint prices_price_check on prices (the models do not have it)")
		}
		m := applyPlan(t, eng, p, t.TempDir())
		defer m.Close()
		require.NoError(t, m.Up(ctx))
		_, err = eng.DB().ExecContext(ctx, "INSERT INTO prices (id, price, low, high, note) VALUES (1, -5, 1, 2, 'x')")
		require.Error(t, err, "column CHECK kept")
		_, err = eng.DB().ExecContext(ctx, "INSERT INTO prices (id, price, low, high, note) VALUES (2, 5, 3, 2, 'x')")
		require.Error(t, err, "table CHECK kept")
		require.NoError(t, m.Down(ctx))
		_, err = eng.DB().ExecContext(ctx, "INSERT INTO prices (id, price, low, high, note) VALUES (3, -5, 1, 2, NULL)")
		require.Error(t, err, "column CHECK after down")
	})
}

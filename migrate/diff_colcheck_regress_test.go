package migrate_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

type hmPriceTyped struct {
	ID    int64
	Price int64 `arc:"notnull"`
}

func (hmPriceTyped) TableName() string { return "prices" }

// TestRegression_ModifyColumnKeepsColumnCheck: on MariaDB a column's own
// CHECK ("price INT CHECK (price > 0)", in a table Arc did not create) is
// part of the column's definition, which the inspector did not read, so
// the MODIFY COLUMN of a type or nullability change dropped it silently.
// The column now carries it (ColumnSchema.Checks) and MODIFY COLUMN
// restates it, up and down; the other dialects keep it by themselves.
func TestRegression_ModifyColumnKeepsColumnCheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		_, err := eng.DB().ExecContext(ctx, "CREATE TABLE prices (id BIGINT NOT NULL PRIMARY KEY, price INT CHECK (price > 0))")
		require.NoError(t, err)
		p, err := migrate.Diff(ctx, eng, migrate.DiffOptions{}, hmPriceTyped{})
		require.NoError(t, err)
		m := applyPlan(t, eng, p, t.TempDir())
		defer m.Close()
		require.NoError(t, m.Up(ctx))
		_, err = eng.DB().ExecContext(ctx, "INSERT INTO prices (id, price) VALUES (1, -5)")
		require.Error(t, err, "column CHECK kept")
		require.NoError(t, m.Down(ctx))
		_, err = eng.DB().ExecContext(ctx, "INSERT INTO prices (id, price) VALUES (2, -5)")
		require.Error(t, err, "column CHECK kept by the down file")
	})
}

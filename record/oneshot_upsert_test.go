package record_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/session"
)

// TestUpsertWithoutSessionAutocommit: Upsert of one object without a
// session sends its INSERT … ON CONFLICT alone, in autocommit (no BEGIN
// or COMMIT), reads back a row DoNothing left alone, returns a detached
// object holding the row, and on failure leaves the row and the caller's
// object as they were. UpsertAll of several keeps its transaction.
func TestUpsertWithoutSessionAutocommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := setup(t, eng)
		require.NoError(t, migrate.CreateAll(ctx, eng, Memo{}))
		M := expr.Cols[Memo]()
		readBack := 0
		if !eng.Dialect().Has(dialect.ReturningInsert) || eng.Dialect().Has(dialect.OnDuplicateKey) {
			readBack = 1 // MySQL: ON DUPLICATE KEY UPDATE, then a SELECT
		}
		rec := dbtest.Record(eng)

		got, err := record.Upsert(ctx, &Memo{ID: 10, Body: "ten"}, session.OnConflict(&M.ID).DoUpdate(&M.Body))
		require.NoError(t, err)
		assert.Empty(t, bounds(rec))
		assert.Len(t, rec.SQL(), 1+readBack)
		assert.Equal(t, "ten", got.Body)
		assert.Equal(t, session.Detached, session.StateOf(got))

		rec.Reset()
		got, err = record.Upsert(ctx, &Memo{ID: 10, Body: "TEN"}, session.OnConflict(&M.ID).DoUpdate(&M.Body))
		require.NoError(t, err)
		assert.Empty(t, bounds(rec))
		assert.Equal(t, "TEN", got.Body)

		// DoNothing on a conflict: the row is read back, still no BEGIN.
		rec.Reset()
		got, err = record.Upsert(ctx, &Memo{ID: 10, Body: "other"}, session.OnConflict(&M.ID).DoNothing())
		require.NoError(t, err)
		assert.Empty(t, bounds(rec))
		assert.Equal(t, "TEN", got.Body, "the row as the database has it")

		// A failure (Body is unique): nothing written, the object as given.
		require.NoError(t, (&Memo{Body: "taken"}).Save(ctx))
		bad := &Memo{ID: 20, Body: "taken"}
		_, err = record.Upsert(ctx, bad, session.OnConflict(&M.ID).DoUpdate(&M.Body))
		require.ErrorIs(t, err, arcerr.ErrIntegrity)
		assert.Equal(t, Memo{ID: 20, Body: "taken"}.Body, bad.Body)
		assert.EqualValues(t, 20, bad.ID)
		assert.Equal(t, 2, count(t, eng, "memos"))

		// Several objects: one transaction, as before.
		rec.Reset()
		all, err := record.UpsertAll(ctx, []*Memo{{ID: 30, Body: "a"}, {ID: 31, Body: "b"}}, session.OnConflict(&M.ID).DoUpdate(&M.Body))
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, []string{"BEGIN (implicit)", "COMMIT"}, bounds(rec))
		assert.Equal(t, 4, count(t, eng, "memos"))
	})
}

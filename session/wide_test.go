package session_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// Wide has more than 64 columns: the flush's column masks (one bit per
// column in a uint64) do not cover it, and it takes the slower paths
// (persist.go, flush.go, flush_single.go, sqlgen.go) that only such
// tables take. C66 is unique, to make a flush fail past column 64.
type Wide struct {
	ID  int64
	C00 string `arc:"size:20"`
	C01 int64
	C02 *int64
	C03 string `arc:"size:20"`
	C04 int64
	C05 *int64
	C06 string `arc:"size:20"`
	C07 int64
	C08 *int64
	C09 string `arc:"size:20"`
	C10 int64
	C11 *int64
	C12 string `arc:"size:20"`
	C13 int64
	C14 *int64
	C15 string `arc:"size:20"`
	C16 int64
	C17 *int64
	C18 string `arc:"size:20"`
	C19 int64
	C20 *int64
	C21 string `arc:"size:20"`
	C22 int64
	C23 *int64
	C24 string `arc:"size:20"`
	C25 int64
	C26 *int64
	C27 string `arc:"size:20"`
	C28 int64
	C29 *int64
	C30 string `arc:"size:20"`
	C31 int64
	C32 *int64
	C33 string `arc:"size:20"`
	C34 int64
	C35 *int64
	C36 string `arc:"size:20"`
	C37 int64
	C38 *int64
	C39 string `arc:"size:20"`
	C40 int64
	C41 *int64
	C42 string `arc:"size:20"`
	C43 int64
	C44 *int64
	C45 string `arc:"size:20"`
	C46 int64
	C47 *int64
	C48 string `arc:"size:20"`
	C49 int64
	C50 *int64
	C51 string `arc:"size:20"`
	C52 int64
	C53 *int64
	C54 string `arc:"size:20"`
	C55 int64
	C56 *int64
	C57 string `arc:"size:20"`
	C58 int64
	C59 *int64
	C60 string `arc:"size:20"`
	C61 int64
	C62 *int64
	C63 string `arc:"size:20"`
	C64 int64
	C65 *int64
	C66 string `arc:"size:20;unique"`
	C67 int64
	C68 *int64
	C69 string `arc:"size:20"`
}

func wideRow(tag string) *Wide {
	w := &Wide{C00: tag, C66: tag, C69: "z" + tag}
	n, m := int64(len(tag)), int64(len(tag)+65)
	w.C01, w.C64, w.C65, w.C68 = n, m, &m, &n
	return w
}

// TestWideTable runs inserts (one and a batch), updates of columns on
// both sides of the 64th, the single-statement commit, a failed flush and
// its restore, a reload and a delete on a table of 71 columns.
func TestWideTable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, Wide{}))

		// One object, committed in autocommit (the single-statement path).
		s := session.New(eng)
		one := wideRow("one")
		require.NoError(t, s.Add(one))
		require.NoError(t, s.Commit(ctx))
		require.NotZero(t, one.ID)

		// A batch.
		batch := []*Wide{wideRow("a"), wideRow("bb"), wideRow("ccc")}
		for _, w := range batch {
			require.NoError(t, s.Add(w))
		}
		require.NoError(t, s.Flush(ctx))
		for _, w := range batch {
			require.NotZero(t, w.ID)
		}

		// Updates past column 64 write only what changed.
		rec := dbtest.Record(eng)
		batch[0].C67 = 67
		batch[1].C02 = nil
		batch[1].C68 = nil
		require.NoError(t, s.Flush(ctx))
		var ups []string
		for _, q := range rec.SQL() {
			if strings.HasPrefix(q, "UPDATE") {
				ups = append(ups, q)
			}
		}
		require.Len(t, ups, 2, "one UPDATE per changed object: %v", rec.SQL())
		for _, u := range ups {
			assert.NotContains(t, u, "c00", "unchanged columns are not written")
			assert.NotContains(t, u, "c66", "unchanged columns are not written")
		}
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Close(ctx))

		s = session.New(eng)
		defer func() { _ = s.Close(ctx) }()
		got, err := session.Get[Wide](ctx, s, batch[1].ID)
		require.NoError(t, err)
		assert.Nil(t, got.C68)
		assert.Nil(t, got.C02)
		assert.Equal(t, "zbb", got.C69)
		got0, err := session.Get[Wide](ctx, s, batch[0].ID)
		require.NoError(t, err)
		assert.Equal(t, int64(67), got0.C67)

		// A failed flush puts the objects back as they were.
		got.C66 = "a" // taken by batch[0]
		got.C67 = 7
		got0.C64 = 1
		err = s.Flush(ctx)
		require.Error(t, err)
		assert.ErrorIs(t, err, arcerr.ErrIntegrity)
		assert.Equal(t, "a", got.C66, "the failed change stays in memory")
		assert.Equal(t, int64(7), got.C67)
		require.NoError(t, s.Rollback(ctx))
		require.NoError(t, s.Refresh(ctx, got))
		assert.Equal(t, "bb", got.C66)
		assert.Equal(t, int64(0), got.C67)
		require.NoError(t, s.Refresh(ctx, got0))
		assert.Equal(t, int64(1+65), got0.C64)

		// Delete.
		require.NoError(t, s.Delete(got))
		require.NoError(t, s.Commit(ctx))
		_, err = session.Get[Wide](ctx, s, batch[1].ID)
		assert.ErrorIs(t, err, arcerr.ErrNotFound)
	})
}

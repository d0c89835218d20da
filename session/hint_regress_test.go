package session_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

type HintRow struct {
	ID   int64
	Name string `arc:"size:10"`
}

// allocBytes is the least memory one run of fn allocated, over 3 runs,
// each after prepare.
func allocBytes(prepare, fn func()) uint64 {
	best := ^uint64(0)
	for range 3 {
		prepare()
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		fn()
		runtime.ReadMemStats(&b)
		best = min(best, b.TotalAlloc-a.TotalAlloc)
	}
	return best
}

// TestRegression_LoadHintPerStatement (issue 23 item 2): how many rows
// one statement loaded sizes the next load of that statement, not of
// every statement over the table: a one-row query in a fresh session
// right after other sessions loaded 5,000 rows allocates what it did
// before them.
func TestRegression_LoadHintPerStatement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, HintRow{}))
		_, err := eng.DB().ExecContext(ctx, `INSERT INTO hint_rows (id, name)
			WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100)
			SELECT a.x + (b.x - 1) * 100, 'n' FROM c a, c b WHERE b.x <= 50`)
		require.NoError(t, err)
		H := expr.Cols[HintRow]()
		one := func() {
			s := session.New(eng)
			defer s.Close(ctx)
			rows, err := session.NewQuery[HintRow](s).Where(expr.Eq(&H.ID, int64(7))).All(ctx)
			require.NoError(t, err)
			require.Len(t, rows, 1)
		}
		large := func() {
			for range 2 {
				s := session.New(eng)
				rows, err := session.NewQuery[HintRow](s).All(ctx)
				require.NoError(t, err)
				require.Len(t, rows, 5000)
				require.NoError(t, s.Close(ctx))
			}
		}
		before := allocBytes(one, one)
		after := allocBytes(large, one)
		require.Less(t, after, 2*before+16<<10, "one-row query: %d bytes before the large loads, %d after", before, after)
	})
}

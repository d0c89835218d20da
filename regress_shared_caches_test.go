package arc_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
)

// Tally is one worker's counter rows.
type Tally struct {
	ID     int64
	Worker int64  `arc:"notnull;index"`
	Key    string `arc:"size:40;notnull;unique"`
	N      int64  `arc:"notnull"`
	Note   *string
}

// TestSharedCachesUnderConcurrency: many goroutines on one engine whose
// statement caches hold two entries (so templates and prepared
// statements are evicted all the time) run, each on its own rows, the
// paths that share engine-wide caches: session-less bulk UPDATEs and
// DELETEs (SQL found by shape), batches of new objects (arrays on
// PostgreSQL), upserts of one object (autocommit) and of many, and
// reads. Every worker's rows must end exactly as its own operations
// made them, under -race.
func TestSharedCachesUnderConcurrency(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, name string) {
		ctx := context.Background()
		eng := dbtest.Open(t, name, engine.WithCompiledCacheSize(2), engine.WithStatementCacheSize(2))
		require.NoError(t, arc.CreateAll(ctx, eng, Tally{}))
		T := arc.Cols[Tally]()
		const workers, rounds, batch = 8, 12, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func(w int64) {
				defer wg.Done()
				errs <- func() error {
					ectx := arc.WithEngine(ctx, eng)
					for r := range rounds {
						// A batch of new objects in one flush.
						s := arc.NewSession(eng)
						for i := range batch {
							note := fmt.Sprintf(`w%d "r%d" \%d`, w, r, i)
							if err := s.Add(&Tally{Worker: w, Key: fmt.Sprintf("w%d-r%d-%d", w, r, i), N: int64(i), Note: &note}); err != nil {
								return err
							}
						}
						if err := s.Commit(ctx); err != nil {
							return fmt.Errorf("batch: %w", err)
						}
						_ = s.Close(ctx)
						// Bulk UPDATE of this round's rows, then DELETE of one.
						prefix := fmt.Sprintf("w%d-r%d-", w, r)
						n, err := arc.Where[Tally](expr.Eq(&T.Worker, w), expr.StartsWith(&T.Key, prefix)).
							Update(ectx, arc.P{"N": arc.Col(&T.N).Add(int64(100 * (r + 1)))})
						if err != nil || n != batch {
							return fmt.Errorf("update: %d rows, %v", n, err)
						}
						n, err = arc.Where[Tally](expr.Eq(&T.Worker, w), expr.Eq(&T.Key, prefix+"0")).HardDelete(ectx)
						if err != nil || n != 1 {
							return fmt.Errorf("delete: %d rows, %v", n, err)
						}
						// Upsert of one (updates key 1) and of two (key 2 updated, a new key).
						if _, err := arc.Upsert(ectx, &Tally{Worker: w, Key: prefix + "1", N: -1}, arc.OnConflict(&T.Key).DoUpdate(&T.N)); err != nil {
							return fmt.Errorf("upsert: %w", err)
						}
						if _, err := arc.UpsertAll(ectx, []*Tally{{Worker: w, Key: prefix + "2", N: -2}, {Worker: w, Key: prefix + "x", N: 7}},
							arc.OnConflict(&T.Key).DoUpdate(&T.N)); err != nil {
							return fmt.Errorf("upsert all: %w", err)
						}
					}
					return nil
				}()
			}(int64(w))
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		for w := range int64(workers) {
			rows, err := arc.QueryOf[Tally](s).Where(expr.Eq(&T.Worker, w)).OrderBy(&T.Key).All(ctx)
			require.NoError(t, err)
			require.Len(t, rows, rounds*batch, "worker %d: %d rows a round (one deleted, one added)", w, batch)
			for _, row := range rows {
				var r, i int
				var x string
				if _, err := fmt.Sscanf(row.Key, "w%d-r%d-%s", new(int), &r, &x); err != nil {
					t.Fatalf("key %q: %v", row.Key, err)
				}
				want := map[string]int64{"1": -1, "2": -2, "3": 3 + int64(100*(r+1)), "4": 4 + int64(100*(r+1)), "x": 7}[x]
				assert.Equal(t, want, row.N, "worker %d key %s", w, row.Key)
				if x == "3" || x == "4" {
					_, _ = fmt.Sscanf(x, "%d", &i)
					assert.Equal(t, fmt.Sprintf(`w%d "r%d" \%d`, w, r, i), *row.Note)
				}
			}
		}
	})
}

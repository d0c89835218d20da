package session

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/dialect"
	_ "github.com/arcorm/arc/dialect/postgres"
	_ "github.com/arcorm/arc/dialect/sqlite"
	"github.com/arcorm/arc/expr"
)

type cacheUser struct {
	ID   int64
	Name string
}

// The SQL of a query shape is rendered once per dialect and variant;
// running it again with other Params values reuses it. The cache is
// shared safely by goroutines and bounded.
func TestQueryShapeCache(t *testing.T) {
	U := expr.Cols[cacheUser]()
	sqlite, err := dialect.Lookup("sqlite")
	require.NoError(t, err)
	pg, err := dialect.Lookup("postgres")
	require.NoError(t, err)
	base := Select[cacheUser]().Where(expr.Text("name = :name")).Where(expr.Gt(&U.ID, int64(0))).OrderBy(&U.ID)

	start := renders.Load()
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := fmt.Sprintf("user%d", i)
			for _, d := range []dialect.Dialect{sqlite, pg} {
				sqlText, args, err := base.Params(expr.P{"name": name}).SQL(d)
				assert.NoError(t, err)
				assert.Equal(t, []any{name, int64(0)}, args)
				assert.Contains(t, sqlText, "name = ")
			}
		}(i)
	}
	wg.Wait()
	assert.EqualValues(t, 2, renders.Load()-start, "one render per dialect for 32 runs with different values")

	// The first-row variant is its own shape; it is cached too.
	start = renders.Load()
	for i := 0; i < 3; i++ {
		c := base.Params(expr.P{"name": "x"}).compiledFor(sqlite, variantFirst)
		require.NoError(t, c.err)
		assert.Contains(t, c.sql, "LIMIT ?")
	}
	assert.EqualValues(t, 1, renders.Load()-start)

	// A builder that changes the shape gets a new cache; the base's stays.
	start = renders.Load()
	_, _, err = base.Limit(3).Params(expr.P{"name": "y"}).SQL(sqlite)
	require.NoError(t, err)
	_, _, err = base.Params(expr.P{"name": "y"}).SQL(sqlite)
	require.NoError(t, err)
	assert.EqualValues(t, 1, renders.Load()-start)

	// Bounded: however many Params name sets, at most maxShapes entries.
	q := Select[cacheUser]()
	for i := 0; i < 3*maxShapes; i++ {
		_, _, _ = q.Params(expr.P{fmt.Sprint("p", i): i}).SQL(sqlite)
	}
	q.cache.mu.Lock()
	assert.LessOrEqual(t, len(q.cache.m), maxShapes)
	q.cache.mu.Unlock()
}

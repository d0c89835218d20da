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
	"github.com/arcorm/arc/internal/lru"
	"github.com/arcorm/arc/meta"
)

type cacheUser struct {
	ID   int64
	Name string
}

// The SQL of a query shape is rendered once per dialect and variant;
// running it again with other Params values reuses it. The cache is
// shared safely by goroutines and bounded.
// renderCount is how many queries over cache_users were rendered so far.
func renderCount() int64 { return rendersOf(meta.MustOf[cacheUser]()).Load() }

func TestQueryShapeCache(t *testing.T) {
	U := expr.Cols[cacheUser]()
	sqlite, err := dialect.Lookup("sqlite")
	require.NoError(t, err)
	pg, err := dialect.Lookup("postgres")
	require.NoError(t, err)
	base := Select[cacheUser]().Where(expr.Text("name = :name")).Where(expr.Gt(&U.ID, int64(0))).OrderBy(&U.ID)

	start := renderCount()
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
	assert.EqualValues(t, 2, renderCount()-start, "one render per dialect for 32 runs with different values")

	// The first-row variant is its own shape; it is cached too.
	start = renderCount()
	for i := 0; i < 3; i++ {
		c := base.Params(expr.P{"name": "x"}).compiledFor(sqlite, nil, variantFirst)
		require.NoError(t, c.err)
		assert.Contains(t, c.sql, "LIMIT ?")
	}
	assert.EqualValues(t, 1, renderCount()-start)

	// A builder that changes the shape gets a new cache; the base's stays.
	start = renderCount()
	_, _, err = base.Limit(3).Params(expr.P{"name": "y"}).SQL(sqlite)
	require.NoError(t, err)
	_, _, err = base.Params(expr.P{"name": "y"}).SQL(sqlite)
	require.NoError(t, err)
	assert.EqualValues(t, 1, renderCount()-start)

	// Bounded: however many Params name sets, at most maxShapes entries.
	q := Select[cacheUser]().Limit(10) // a query value of its own (Select[T]() as it comes has no cache)
	for i := 0; i < 3*maxShapes; i++ {
		_, _, _ = q.Params(expr.P{fmt.Sprint("p", i): i}).SQL(sqlite)
	}
	q.cache.mu.Lock()
	assert.LessOrEqual(t, len(q.cache.m), maxShapes)
	q.cache.mu.Unlock()
}

// A query built anew on every call (inline) finds the SQL of its shape
// among the table's templates: it is rendered once per shape, and each
// query binds its own values.
func TestQueryTemplates(t *testing.T) {
	U := expr.Cols[cacheUser]()
	sqlite, err := dialect.Lookup("sqlite")
	require.NoError(t, err)
	pg, err := dialect.Lookup("postgres")
	require.NoError(t, err)
	cache := lru.New[any, any](100) // an engine's compiled cache

	cases := []struct {
		name string
		q    func(i int) *Query[cacheUser]
		args func(i int) []any
		sql  string // on PostgreSQL, for i = 1
	}{
		{"eq", func(i int) *Query[cacheUser] { return Select[cacheUser]().Where(expr.Eq(&U.Name, fmt.Sprint("n", i))) },
			func(i int) []any { return []any{fmt.Sprint("n", i)} },
			`SELECT cache_users.id, cache_users.name FROM cache_users WHERE cache_users.name = $1`},
		{"and-order-limit", func(i int) *Query[cacheUser] {
			return Select[cacheUser]().Where(expr.Gt(&U.ID, int64(i)), expr.Like(&U.Name, "a%")).OrderBy(expr.Desc(&U.ID)).Limit(1000 + i).Offset(i)
		},
			func(i int) []any { return []any{int64(i), "a%", int64(1000 + i), int64(i)} },
			`SELECT cache_users.id, cache_users.name FROM cache_users WHERE cache_users.id > $1 AND cache_users.name LIKE $2 ORDER BY cache_users.id DESC LIMIT $3 OFFSET $4`},
		{"in", func(i int) *Query[cacheUser] { return Select[cacheUser]().Where(expr.In(&U.ID, int64(i), int64(i+1))) },
			func(i int) []any { return []any{int64(i), int64(i + 1)} },
			`SELECT cache_users.id, cache_users.name FROM cache_users WHERE cache_users.id IN ($1, $2)`},
		{"null", func(i int) *Query[cacheUser] { return Select[cacheUser]().Where(expr.Op(&U.Name, "=", nil)) },
			func(i int) []any { return nil },
			`SELECT cache_users.id, cache_users.name FROM cache_users WHERE cache_users.name IS NULL`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, d := range []dialect.Dialect{sqlite, pg} {
				_, _, err := sqlWith(tc.q(0), d, cache) // the shape's first rendering
				require.NoError(t, err)
			}
			start := renderCount()
			var wg sync.WaitGroup
			for g := 1; g <= 8; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for _, d := range []dialect.Dialect{sqlite, pg} {
						sqlText, args, err := sqlWith(tc.q(g), d, cache)
						assert.NoError(t, err)
						assert.Equal(t, tc.args(g), args)
						if d == pg && g == 1 {
							assert.Equal(t, tc.sql, sqlText)
						}
					}
				}(g)
			}
			wg.Wait()
			assert.EqualValues(t, 0, renderCount()-start, "queries of a seen shape are not rendered")
		})
	}

	// A different shape is rendered: one more IN value, a NULL test
	// against a value, the first-row and count variants (count drops ORDER BY).
	start := renderCount()
	sqlText, args, err := sqlWith(Select[cacheUser]().Where(expr.In(&U.ID, int64(1), int64(2), int64(3))), pg, cache)
	require.NoError(t, err)
	assert.Equal(t, `SELECT cache_users.id, cache_users.name FROM cache_users WHERE cache_users.id IN ($1, $2, $3)`, sqlText)
	assert.Equal(t, []any{int64(1), int64(2), int64(3)}, args)
	assert.EqualValues(t, 1, renderCount()-start)

	for i := 0; i < 3; i++ {
		q := Select[cacheUser]().Where(expr.Eq(&U.Name, fmt.Sprint("f", i))).OrderBy(&U.ID)
		c := q.compiledFor(pg, cache, variantFirst)
		require.NoError(t, c.err)
		assert.Equal(t, `SELECT cache_users.id, cache_users.name FROM cache_users WHERE cache_users.name = $1 ORDER BY cache_users.id LIMIT $2`, c.sql)
		assert.Equal(t, []any{fmt.Sprint("f", i), int64(1)}, c.args)
		c = q.compiledFor(pg, cache, variantCount)
		require.NoError(t, c.err)
		assert.NotContains(t, c.sql, "ORDER BY")
		assert.Equal(t, []any{fmt.Sprint("f", i)}, c.args)
	}
	assert.EqualValues(t, 3, renderCount()-start, "IN of 3, first and count: one rendering each")

	// Queries outside the common case (here a join) are rendered each time.
	start = renderCount()
	for i := 0; i < 2; i++ {
		_, _, err := sqlWith(Select[cacheUser]().Join(expr.TableOf(Select[cacheUser]().t), expr.Raw("1 = 1")).Where(expr.Eq(&U.Name, "x")), pg, cache)
		_ = err
	}
	assert.EqualValues(t, 2, renderCount()-start)

	// Another engine's cache has none of these templates; without a
	// cache (Query.SQL) each query is rendered.
	start = renderCount()
	_, _, err = sqlWith(Select[cacheUser]().Where(expr.Eq(&U.Name, "x")), pg, lru.New[any, any](100))
	require.NoError(t, err)
	_, _, err = Select[cacheUser]().Where(expr.Eq(&U.Name, "x")).SQL(pg)
	require.NoError(t, err)
	assert.EqualValues(t, 2, renderCount()-start)
}

// sqlWith is Query.SQL through tc, the compiled cache of an engine.
func sqlWith[T any](q *Query[T], d dialect.Dialect, tc *stmtCache) (string, []any, error) {
	c := q.compiledFor(d, tc, variantAll)
	if c.err != nil {
		return "", nil, c.err
	}
	return c.sql, c.bindArgs(q.params), nil
}

// Every Select[T] starts from one shared base query; builders never
// change it (SelectAs copies it before pointing it at the alias).
func TestSelectSharedBase(t *testing.T) {
	U := expr.Cols[cacheUser]()
	pg, err := dialect.Lookup("postgres")
	require.NoError(t, err)
	plain := `SELECT cache_users.id, cache_users.name FROM cache_users`
	cu := Alias[cacheUser]("cu")
	aliased, _, err := SelectAs[cacheUser](cu).Where(expr.Eq(&cu.Cols().Name, "x")).SQL(pg)
	require.NoError(t, err)
	assert.Contains(t, aliased, "FROM cache_users AS cu")
	_ = Select[cacheUser]().Where(expr.Eq(&U.Name, "y")).OrderBy(&U.ID).Limit(2)
	_ = NewQuery[cacheUser](nil)
	got, _, err := Select[cacheUser]().SQL(pg)
	require.NoError(t, err)
	assert.Equal(t, plain, got)
	assert.Same(t, Select[cacheUser]().sel, Select[cacheUser]().sel, "one base")
}

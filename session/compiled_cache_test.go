package session_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// CCRow has ten columns an UPDATE may change, so 2^10 UPDATE shapes.
type CCRow struct {
	ID                                 int64
	C0, C1, C2, C3, C4, C5, C6, C7, C8 int64
	C9                                 int64
}

func (r *CCRow) col(i int) *int64 {
	return [...]*int64{&r.C0, &r.C1, &r.C2, &r.C3, &r.C4, &r.C5, &r.C6, &r.C7, &r.C8, &r.C9}[i]
}

// ccWorkload runs one of each kind of statement the engine's compiled
// cache keeps: an INSERT, Get's SELECT, inline queries (templates and the
// table's column list), an UPDATE and a DELETE.
func ccWorkload(t *testing.T, ctx context.Context, eng *engine.Engine) {
	t.Helper()
	s := session.New(eng)
	defer s.Close(ctx)
	r := &CCRow{C0: 1}
	require.NoError(t, s.Add(r))
	require.NoError(t, s.Commit(ctx))
	s.ExpireAll()
	got, err := session.Get[CCRow](ctx, s, r.ID)
	require.NoError(t, err)
	require.EqualValues(t, 1, got.C0)
	C := expr.Cols[CCRow]()
	rows, err := session.NewQuery[CCRow](s).Where(expr.Eq(&C.C0, int64(1))).All(ctx)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	all, err := session.NewQuery[CCRow](s).All(ctx) // Select[T]() as it comes: shared by every caller
	require.NoError(t, err)
	require.Len(t, all, 1)
	got.C1 = 2
	require.NoError(t, s.Commit(ctx))
	require.NoError(t, s.Delete(got))
	require.NoError(t, s.Commit(ctx))
}

// TestRegression_CompiledCachePerEngine (issue 23 item 2): the statements
// an engine renders are kept in that engine's compiled cache, not in
// package-level memos: a second engine renders its own, and one engine's
// evictions never touch another's entries.
func TestRegression_CompiledCachePerEngine(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, name string) {
		ctx := context.Background()
		a := dbtest.Open(t, name)
		b := dbtest.Open(t, name, engine.WithCompiledCacheSize(12))
		for _, eng := range []*engine.Engine{a, b} {
			require.NoError(t, migrate.CreateAll(ctx, eng, CCRow{}))
		}
		require.Equal(t, engine.CacheStats{Max: engine.DefaultCompiledCacheSize}, a.CacheStats())
		require.Equal(t, engine.CacheStats{Max: 12}, b.CacheStats())

		ccWorkload(t, ctx, a)
		sa := a.CacheStats()
		require.Positive(t, sa.Len)
		require.EqualValues(t, sa.Len, sa.Misses, "every statement rendered once: %+v", sa)
		require.Zero(t, b.CacheStats().Len, "engine b holds nothing engine a rendered")

		// b renders the same statements itself (a has them all).
		ccWorkload(t, ctx, b)
		sb := b.CacheStats()
		require.Equal(t, sa.Misses, sb.Misses, "engine b rendered what engine a had: a %+v, b %+v", sa, sb)

		// Statements of many shapes on b (12 entries) evict b's own only.
		s := session.New(b)
		r := &CCRow{}
		require.NoError(t, s.Add(r))
		require.NoError(t, s.Commit(ctx))
		for i := 0; i < 10; i++ {
			*r.col(i) = int64(i + 1)
			require.NoError(t, s.Commit(ctx))
		}
		require.NoError(t, s.Close(ctx))
		require.Positive(t, b.CacheStats().Evictions)
		require.Equal(t, sa.Len, a.CacheStats().Len)
		require.Zero(t, a.CacheStats().Evictions)

		// a's entries are still there: the same workload renders nothing.
		ccWorkload(t, ctx, a)
		require.Equal(t, sa.Misses, a.CacheStats().Misses, "a's entries were kept")
	})
}

// TestCompiledCacheBound: UPDATEs of every subset of ten columns (2^10
// statement shapes) keep the compiled cache within its bound, least
// recently used evicted first, and every UPDATE writes what it should.
func TestCompiledCacheBound(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, name string) {
		ctx := context.Background()
		const size = 64
		eng := dbtest.Open(t, name, engine.WithCompiledCacheSize(size))
		require.NoError(t, migrate.CreateAll(ctx, eng, CCRow{}))
		s := session.New(eng)
		defer s.Close(ctx)
		r := &CCRow{}
		require.NoError(t, s.Add(r))
		require.NoError(t, s.Commit(ctx))
		var want CCRow
		want.ID = r.ID
		for mask := 1; mask < 1<<10; mask++ {
			for i := range 10 {
				if mask&(1<<i) != 0 {
					*r.col(i) = int64(mask)
					*want.col(i) = int64(mask)
				}
			}
			require.NoError(t, s.Flush(ctx), "mask %b", mask) // one transaction: an UPDATE each
			if st := eng.CacheStats(); st.Len > size {
				t.Fatalf("after mask %b: %+v", mask, st)
			}
		}
		require.NoError(t, s.Commit(ctx))
		st := eng.CacheStats()
		require.Equal(t, size, st.Len)
		require.GreaterOrEqual(t, st.Evictions, uint64(1<<10-size), "%+v", st)

		s2 := session.New(eng)
		defer s2.Close(ctx)
		got, err := session.Get[CCRow](ctx, s2, r.ID)
		require.NoError(t, err)
		require.Equal(t, want, *got)
	})
}

// TestCompiledCacheOff: WithCompiledCacheSize(0) keeps nothing and every
// statement still runs.
func TestCompiledCacheOff(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, name string) {
		ctx := context.Background()
		eng := dbtest.Open(t, name, engine.WithCompiledCacheSize(0))
		require.NoError(t, migrate.CreateAll(ctx, eng, CCRow{}))
		for i := range 2 {
			t.Run(fmt.Sprint(i), func(t *testing.T) { ccWorkload(t, ctx, eng) })
		}
		require.Equal(t, engine.CacheStats{}, eng.CacheStats())
	})
}

package session_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// heapAfterGC is the live heap after two collections.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// retained loads n rows of T in a session and closes it: it returns how
// many bytes more than before stay live when the caller keeps one of the
// objects, and when it keeps them all.
func retained[T any](t *testing.T, ctx context.Context, eng *engine.Engine, n int) (one, all int64) {
	t.Helper()
	load := func() []*T {
		s := session.New(eng)
		objs, err := session.Select[T]().All(session.With(ctx, s))
		require.NoError(t, err)
		require.Len(t, objs, n)
		require.NoError(t, s.Close(ctx))
		return objs
	}
	_ = load() // warm caches (codecs, statement cache)
	before := heapAfterGC()
	kept := load()[n/2]
	one = int64(heapAfterGC()) - int64(before)
	runtime.KeepAlive(kept)
	kept = nil
	before = heapAfterGC()
	keptAll := load()
	all = int64(heapAfterGC()) - int64(before)
	runtime.KeepAlive(keptAll)
	return one, all
}

// TestRegression_RetainedByOneObject: an object the caller keeps after its session
// closed must not keep the other objects of its load alive. Loads take
// structs, states and snapshots in chunks of up to 128, so one object
// keeps its chunk (a bounded cost, for O(log n) allocations per load); a
// record.Base model's detached state used to chain through every chunk of
// the session (3.2 MB kept by one object of 10,000, all of them).
func TestRegression_RetainedByOneObject(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 5,000 rows per model")
	}
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, allModels...))
		const n = 5000
		s := session.New(eng)
		for i := range n {
			require.NoError(t, s.Add(&User{Name: "u" + strconv.Itoa(i), Fullname: "A Fairly Long Full Name " + strconv.Itoa(i)}))
			require.NoError(t, s.Add(&Address{Email: "e" + strconv.Itoa(i) + "@example.com"}))
		}
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Close(ctx))
		u1, uAll := retained[User](t, ctx, eng, n)
		a1, aAll := retained[Address](t, ctx, eng, n)
		t.Logf("bytes kept alive of %d loaded: by one User (record.Base) %d, by all %d; by one Address (plain) %d, by all %d", n, u1, uAll, a1, aAll)
		assert.Less(t, u1*10, uAll, "one User keeps a tenth of the load or more")
		assert.Less(t, a1*10, aAll, "one Address keeps a tenth of the load or more")
	})
}

package tablememo

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/arcorm/arc/meta"
)

type memoA struct{ ID int64 }
type memoB struct{ ID int64 }

// Each table gets its own value, made once even when goroutines race for
// it; a table not asked for has none.
func TestMemoPerTable(t *testing.T) {
	a, b := meta.MustOf[memoA](), meta.MustOf[memoB]()
	var m Memo[*int]
	if _, ok := m.Load(a); ok {
		t.Fatal("Load before Get found a value")
	}
	var made atomic.Int64
	mk := func() *int { made.Add(1); return new(int) }
	var wg sync.WaitGroup
	got := make([]*int, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = m.Get(a, mk)
		}()
	}
	wg.Wait()
	for i := range got {
		if got[i] != got[0] {
			t.Fatalf("goroutine %d got another value for the same table", i)
		}
	}
	if v, ok := m.Load(a); !ok || v != got[0] {
		t.Fatalf("Load(a) = %v, %v; want the value Get kept", v, ok)
	}
	if m.Get(b, mk) == got[0] {
		t.Fatal("two tables share a value")
	}
	if made.Load() < 2 {
		t.Fatalf("mk ran %d times, want at least once per table", made.Load())
	}
}

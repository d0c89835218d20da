package arc_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/internal/dbtest"
)

// gate is a column value whose driver.Value blocks the flush that writes
// it until the test lets it go: the session is then provably in use.
type gate struct {
	hit, release chan struct{}
}

// GateVal is a string column that blocks on the package's current gate
// when its value is "block".
type GateVal string

var currentGate *gate

func (g GateVal) Value() (driver.Value, error) {
	if g == "block" && currentGate != nil {
		currentGate.hit <- struct{}{}
		<-currentGate.release
	}
	return string(g), nil
}

func (g *GateVal) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*g = GateVal(v)
	case []byte:
		*g = GateVal(v)
	}
	return nil
}

// Gated is a model with a GateVal column.
type Gated struct {
	ID int64
	V  GateVal
}

func isConcurrent(err error) bool {
	return err != nil && strings.Contains(err.Error(), "session used concurrently")
}

// TestRegression_SessionUsedConcurrently: while one goroutine's flush is
// running, every entry point called from another goroutine fails at once
// with ErrInvalidRequest "session used concurrently"; nothing hangs, and
// the first flush completes with its data.
func TestRegression_SessionUsedConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, Gated{}))
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		currentGate = &gate{hit: make(chan struct{}), release: make(chan struct{})}
		defer func() { currentGate = nil }()
		require.NoError(t, s.Add(&Gated{V: "block"}))
		done := make(chan error)
		go func() { done <- s.Commit(ctx) }()
		<-currentGate.hit // the commit's flush is writing the row now
		G := arc.Cols[Gated]()
		other := &Gated{V: "other"}
		calls := map[string]func() error{
			"Add":         func() error { return s.Add(other) },
			"Delete":      func() error { return s.Delete(other) },
			"Expunge":     func() error { return s.Expunge(other) },
			"Expire":      func() error { return s.Expire(other) },
			"Flush":       func() error { return s.Flush(ctx) },
			"Commit":      func() error { return s.Commit(ctx) },
			"Rollback":    func() error { return s.Rollback(ctx) },
			"BeginNested": func() error { _, err := s.BeginNested(ctx); return err },
			"Close":       func() error { return s.Close(ctx) },
			"Refresh":     func() error { return s.Refresh(ctx, other) },
			"All":         func() error { _, err := arc.QueryOf[Gated](s).All(ctx); return err },
			"First":       func() error { _, err := arc.QueryOf[Gated](s).First(ctx); return err },
			"Count":       func() error { _, err := arc.QueryOf[Gated](s).Count(ctx); return err },
			"Rows": func() error {
				_, err := arc.Rows[struct{ V string }](arc.QueryOf[Gated](s).Select(&G.V)).All(ctx)
				return err
			},
			"Update": func() error { _, err := arc.QueryOf[Gated](s).AllRows().Update(ctx, arc.P{"V": "x"}); return err },
			"Get":    func() error { _, err := arc.Get[Gated](arc.WithSession(ctx, s), int64(1)); return err },
		}
		for name, call := range calls {
			err := call()
			assert.ErrorIs(t, err, arc.ErrInvalidRequest, name)
			assert.True(t, isConcurrent(err), "%s: %v", name, err)
		}
		close(currentGate.release)
		require.NoError(t, <-done)
		n, err := arc.QueryOf[Gated](s).Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Equal(t, arc.Transient, s.StateOf(other), "the refused Add changed nothing")
	})
}

// TestRegression_SessionConcurrentStress: two goroutines add and flush
// through one session at once. Each call either works or fails with the
// concurrency error; no insert is lost and nothing hangs (run with -race).
func TestRegression_SessionConcurrentStress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, Gated{}))
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		var mu sync.Mutex
		added := 0
		var wg sync.WaitGroup
		for g := 0; g < 2; g++ {
			wg.Go(func() {
				for i := 0; i < 40; i++ {
					err := s.Add(&Gated{V: GateVal(fmt.Sprintf("g%d-%d", g, i))})
					if err == nil {
						mu.Lock()
						added++
						mu.Unlock()
					} else if !isConcurrent(err) {
						t.Errorf("Add: %v", err)
					}
					if err := s.Flush(ctx); err != nil && !isConcurrent(err) {
						t.Errorf("Flush: %v", err)
					}
					if _, err := arc.QueryOf[Gated](s).Count(ctx); err != nil && !isConcurrent(err) {
						t.Errorf("Count: %v", err)
					}
				}
			})
		}
		wg.Wait()
		require.NoError(t, s.Commit(ctx))
		n, err := arc.QueryOf[Gated](s).Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, added, n, "every accepted Add was written")
	})
}

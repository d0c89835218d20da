package session_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// TestLoadManyChunks: a result larger than a loader's largest chunk
// (structs, states and snapshots come from chunks) loads distinct,
// identity-mapped objects whose changes to every kind of column are
// found by the flush, and that a rollback puts back; a second load of
// the same rows returns the same pointers.
func TestLoadManyChunks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		const n = 300
		when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for i := range n {
			m := int64(i)
			require.NoError(t, s.Add(&Gadget{Label: fmt.Sprint("g", i), Count: i, Blob: []byte{byte(i)}, When: when, Maybe: &m, Color: Color{1, 2, 3}, Tags: []string{"t"}}))
		}
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Close(ctx))

		s = session.New(eng)
		defer s.Close(ctx)
		ctx = session.With(ctx, s)
		G := expr.Cols[Gadget]()
		all, err := session.Select[Gadget]().OrderBy(&G.ID).All(ctx)
		require.NoError(t, err)
		require.Len(t, all, n)
		seen := map[*Gadget]bool{}
		for i, g := range all {
			require.False(t, seen[g], "row %d shares a struct", i)
			seen[g] = true
			require.Equal(t, fmt.Sprint("g", i), g.Label)
			got, err := session.Get[Gadget](ctx, s, g.ID)
			require.NoError(t, err)
			require.Same(t, g, got)
		}
		require.Empty(t, s.Dirty())

		// Changes in place (a byte, a pointer's target), by assignment
		// and to zero values, spread over several chunks.
		all[0].Blob[0] = 99
		*all[130].Maybe = -1
		all[200].Label = ""
		all[299].Color = Color{9, 9, 9}
		all[250].Tags[0] = "changed"
		require.Len(t, s.Dirty(), 5)

		// A second load autoflushes the changes, then maps the same
		// pointers.
		rec := dbtest.Record(eng)
		again, err := session.Select[Gadget]().OrderBy(&G.ID).All(ctx)
		require.NoError(t, err)
		for i := range again {
			require.Same(t, all[i], again[i])
		}
		assert.Equal(t, "", again[200].Label)

		require.NoError(t, s.Flush(ctx))
		assert.Len(t, filterSQL(rec.SQL(), "UPDATE"), 5)

		require.NoError(t, s.Rollback(ctx))
		assert.Equal(t, "g200", all[200].Label)
		assert.Equal(t, byte(0), all[0].Blob[0])
		assert.Equal(t, int64(130), *all[130].Maybe)
		assert.Equal(t, Color{1, 2, 3}, all[299].Color)
		assert.Equal(t, "t", all[250].Tags[0])
		assert.Equal(t, 1, countRows(t, eng, "gadgets", "label = ?", "g200"))
	})
}

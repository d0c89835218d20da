package session_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// ArrOddPG has string fields whose declared SQL types cannot travel as
// one element of an array the way the VALUES form sends them: an array
// type (unnest would flatten it, and text does not assign to text[]) and
// box (whose array literal separates elements with ';', not ',').
type ArrOddPG struct {
	ID   int64
	Tags string `arc:"type:text[]"`
	Area string `arc:"type:box"`
	Ints string `arc:"type:integer ARRAY"`
}

// TestRegression_UnnestInsertOfArrayAndBoxTypedStrings: a batch of objects
// whose string fields are declared as an array type or box is written
// (through VALUES) instead of failing in the array literal.
func TestRegression_UnnestInsertOfArrayAndBoxTypedStrings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		if !eng.Dialect().Has(dialect.Arrays) {
			t.Skip("array and box column types are PostgreSQL's")
		}
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, ArrOddPG{}))
		rows := []*ArrOddPG{
			{Tags: `{a,"b c"}`, Area: "(1,1),(0,0)", Ints: "{1,2}"},
			{Tags: `{}`, Area: "(3,3),(2,2)", Ints: "{{1,2},{3,4}}"},
			{Tags: `{x}`, Area: "(5,5),(4,4)", Ints: "{}"},
		}
		s := session.New(eng)
		defer s.Close(ctx)
		for _, r := range rows {
			require.NoError(t, s.Add(r))
		}
		require.NoError(t, s.Commit(ctx))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		for _, want := range rows {
			got, err := session.Get[ArrOddPG](session.With(ctx, s2), s2, want.ID)
			require.NoError(t, err)
			assert.Equal(t, want.Tags, got.Tags)
			assert.Equal(t, want.Area, got.Area)
			assert.Equal(t, want.Ints, got.Ints)
		}
	})
}

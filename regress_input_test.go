package arc_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/internal/dbtest"
)

// Blob has a nullable []byte column: nil is NULL, []byte{} is empty.
type Blob struct {
	ID   int64
	Data []byte
}

// TestRegression_EmptyBytesNotNull: an empty []byte{} is written as an
// empty value and reads back as empty and non-nil; nil reads back as nil
// (NULL). Changing one into the other is a change the flush writes.
func TestRegression_EmptyBytesNotNull(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, Blob{}))
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		empty, null := &Blob{Data: []byte{}}, &Blob{}
		require.NoError(t, s.AddAll(empty, null))
		require.NoError(t, s.Commit(ctx))

		var n int
		require.NoError(t, eng.DB().QueryRowContext(ctx, "SELECT count(*) FROM blobs WHERE data IS NULL").Scan(&n))
		assert.Equal(t, 1, n, "only the nil slice is NULL")

		s2 := arc.NewSession(eng)
		defer s2.Close(ctx)
		got, err := arc.QueryOf[Blob](s2).OrderBy(&arc.Cols[Blob]().ID).All(ctx)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.NotNil(t, got[0].Data, "empty []byte must not read back as nil")
		assert.Empty(t, got[0].Data)
		assert.Nil(t, got[1].Data)

		// nil -> empty and empty -> nil are changes.
		got[0].Data, got[1].Data = nil, []byte{}
		require.NoError(t, s2.Commit(ctx))
		s3 := arc.NewSession(eng)
		defer s3.Close(ctx)
		again, err := arc.QueryOf[Blob](s3).OrderBy(&arc.Cols[Blob]().ID).All(ctx)
		require.NoError(t, err)
		assert.Nil(t, again[0].Data)
		assert.NotNil(t, again[1].Data)
		assert.Empty(t, again[1].Data)
	})
}

// Word is a string column for the LIKE tests.
type Word struct {
	ID   int64
	Text string
}

// TestRegression_LikeEscapeSameOnBothDialects: HasSubstr, StartsWith and
// EndsWith match %, _ and \ literally, and LikeEscape gives an explicit
// escape character, with the same rows on both dialects.
func TestRegression_LikeEscapeSameOnBothDialects(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, Word{}))
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		for _, w := range []string{`100%`, `1000`, `a_b`, `axb`, `c:\dir`, `c:dir`, `50% off`, `_x`, `xx`} {
			require.NoError(t, s.Add(&Word{Text: w}))
		}
		require.NoError(t, s.Commit(ctx))
		W := arc.Cols[Word]()
		texts := func(p arc.Expr) []string {
			t.Helper()
			ws, err := arc.QueryOf[Word](s).Where(p).OrderBy(&W.ID).All(ctx)
			require.NoError(t, err)
			out := []string{}
			for _, w := range ws {
				out = append(out, w.Text)
			}
			return out
		}
		assert.Equal(t, []string{`100%`, `50% off`}, texts(arc.HasSubstr(&W.Text, "%")))
		assert.Equal(t, []string{`100%`}, texts(arc.EndsWith(&W.Text, "0%")))
		assert.Equal(t, []string{`a_b`}, texts(arc.HasSubstr(&W.Text, "a_b")))
		assert.Equal(t, []string{`_x`}, texts(arc.StartsWith(&W.Text, "_")))
		assert.Equal(t, []string{`c:\dir`}, texts(arc.HasSubstr(&W.Text, `:\d`)))
		assert.Equal(t, []string{`c:\dir`}, texts(arc.StartsWith(&W.Text, `c:\`)))
		assert.Equal(t, []string{`c:\dir`}, texts(arc.EndsWith(&W.Text, `\dir`)))
		assert.Equal(t, []string{`100%`, `1000`, `a_b`, `axb`, `c:\dir`, `c:dir`, `50% off`, `xx`}, texts(arc.Not(arc.StartsWith(&W.Text, "_"))), "NOT keeps the escape")
		// An explicit escape character on Like and ILike.
		assert.Equal(t, []string{`a_b`}, texts(arc.LikeEscape(&W.Text, "a!_b", '!')))
		assert.Equal(t, []string{`a_b`}, texts(arc.ILikeEscape(&W.Text, "A!_B", '!')))
		assert.Equal(t, []string{`100%`}, texts(arc.LikeEscape(&W.Text, "1"+arc.EscapeLike("00%", '#'), '#')))
		// A bad escape character is an error, not SQL.
		_, err := arc.QueryOf[Word](s).Where(arc.LikeEscape(&W.Text, "x", '\'')).All(ctx)
		assert.ErrorIs(t, err, arc.ErrInvalidRequest)
	})
}

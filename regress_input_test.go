package arc_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"
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

// TestRegression_StringNamesChecked: a function name is a plain or dotted
// identifier, an operator one of the known ones, and a column named by a
// string must exist in the query's tables; otherwise the query fails with
// an error instead of running injected SQL or sorting by a constant.
func TestRegression_StringNamesChecked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, Word{}, Blob{}))
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		for _, w := range []string{"b", "a", "c"} {
			require.NoError(t, s.Add(&Word{Text: w}))
		}
		require.NoError(t, s.Add(&Blob{Data: []byte("secret")}))
		require.NoError(t, s.Commit(ctx))
		W := arc.Cols[Word]()
		bad := []struct {
			name string
			q    *arc.Query[Word]
		}{
			{"Func injection", arc.QueryOf[Word](s).Where(arc.Col(arc.Func("(SELECT data FROM blobs LIMIT 1) || lower", &W.Text)).Eq("b"))},
			{"Func with space", arc.QueryOf[Word](s).OrderBy(arc.Func("lower (text) --", &W.Text))},
			{"Func empty", arc.QueryOf[Word](s).OrderBy(arc.Func("", &W.Text))},
			{"OrderBy unknown column", arc.QueryOf[Word](s).OrderBy("no_such_column")},
			{"OrderBy unknown quoted column", arc.QueryOf[Word](s).OrderBy("NoSuchColumn")},
			{"OrderBy field name, not column", arc.QueryOf[Word](s).OrderBy("Text")},
			{"OrderBy unknown column desc", arc.QueryOf[Word](s).OrderBy(arc.Desc("no_such_column"))},
			{"OrderBy unknown qualified", arc.QueryOf[Word](s).OrderBy("words.nope")},
			{"Where C unknown", arc.QueryOf[Word](s).Where(arc.Col(arc.C("nope")).Eq("a"))},
			{"GroupBy unknown", arc.QueryOf[Word](s).GroupBy("nope")},
			{"Op injection", arc.QueryOf[Word](s).Where(expr.Op(&W.Text, "= 'b' OR 1=1 OR text =", "x"))},
			{"Arith injection", arc.QueryOf[Word](s).Where(arc.Col(expr.Arith(&W.ID, "+ 0) OR (1", 1)).Eq(1))},
		}
		for _, tc := range bad {
			ws, err := tc.q.All(ctx)
			assert.Error(t, err, "%s: got %d rows", tc.name, len(ws))
		}
		// Valid names still work: columns by name, labels, dotted functions.
		ws, err := arc.QueryOf[Word](s).OrderBy(arc.Desc("text")).All(ctx)
		require.NoError(t, err)
		require.Len(t, ws, 3)
		assert.Equal(t, "c", ws[0].Text)
		ws, err = arc.QueryOf[Word](s).OrderBy("words.text").All(ctx)
		require.NoError(t, err)
		assert.Equal(t, "a", ws[0].Text)
		ws, err = arc.QueryOf[Word](s).Where(arc.Col(arc.Func("lower", &W.Text)).Eq("a")).All(ctx)
		require.NoError(t, err)
		assert.Len(t, ws, 1)
		type row struct{ T string }
		rows, err := arc.Rows[row](arc.QueryOf[Word](s).Select(arc.Label(arc.Func("upper", &W.Text), "t")).OrderBy("t")).All(ctx)
		require.NoError(t, err)
		require.Len(t, rows, 3)
		assert.Equal(t, "A", rows[0].T)
	})
}

// TestRegression_AbortedTransactionNeedsRollback: after a failed
// statement, PostgreSQL refuses the rest of the transaction (25P02); the
// error is ErrNeedsRollback and names the statement that failed first.
// SQLite goes on. After Rollback the session works on both.
func TestRegression_AbortedTransactionNeedsRollback(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, Word{}))
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		require.NoError(t, s.Add(&Word{Text: "a"}))
		require.NoError(t, s.Flush(ctx))
		_, err := arc.QueryOf[Word](s).FromStatement(arc.Text("SELECT * FROM no_such_table_x")).All(ctx)
		require.Error(t, err)
		assert.NotErrorIs(t, err, arc.ErrNeedsRollback, "the failing statement itself is its own error")
		_, err = arc.QueryOf[Word](s).All(ctx)
		if eng.Dialect().Has(dialect.TxAbortOnError) {
			require.ErrorIs(t, err, arc.ErrNeedsRollback)
			assert.Contains(t, err.Error(), "no_such_table_x", "names the statement that failed first")
			assert.Contains(t, err.Error(), "aborted")
			// Still so for the next statement.
			_, err = arc.QueryOf[Word](s).Count(ctx)
			require.ErrorIs(t, err, arc.ErrNeedsRollback)
			assert.Contains(t, err.Error(), "no_such_table_x")
		} else {
			require.NoError(t, err)
		}
		require.NoError(t, s.Rollback(ctx))
		n, err := arc.QueryOf[Word](s).Count(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "the flushed row was rolled back")

		// Inside a savepoint: rolling back to it makes the transaction
		// usable again, and a later failure names its own first statement.
		require.NoError(t, s.Add(&Word{Text: "b"}))
		require.NoError(t, s.Flush(ctx))
		sp, err := s.BeginNested(ctx)
		require.NoError(t, err)
		_, err = arc.QueryOf[Word](s).FromStatement(arc.Text("SELECT * FROM first_missing")).All(ctx)
		require.Error(t, err)
		require.NoError(t, sp.Rollback(ctx))
		_, err = arc.QueryOf[Word](s).FromStatement(arc.Text("SELECT * FROM second_missing")).All(ctx)
		require.Error(t, err)
		_, err = arc.QueryOf[Word](s).All(ctx)
		if eng.Dialect().Has(dialect.TxAbortOnError) {
			require.ErrorIs(t, err, arc.ErrNeedsRollback)
			assert.Contains(t, err.Error(), "second_missing")
			assert.NotContains(t, err.Error(), "first_missing")
		} else {
			require.NoError(t, err)
		}
		require.NoError(t, s.Rollback(ctx))
	})
}

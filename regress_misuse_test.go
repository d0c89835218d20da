package arc_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/internal/dbtest"
)

// Memo has a string, a nullable string and a []byte column, for values
// the database may refuse as text.
type Memo struct {
	ID    int64
	Title string
	Note  *string
	Raw   []byte
}

// TestRegression_TextTheDatabaseCannotStore: PostgreSQL refuses a NUL
// byte and invalid UTF-8 in text, MySQL invalid UTF-8; the driver's error
// named neither the field nor a sentinel. The flush error now wraps
// ErrInvalidText and names model and field, the object and the table are
// as before the flush, and the session commits once the value is fixed.
// SQLite stores both; a NUL in a []byte field is fine everywhere.
func TestRegression_TextTheDatabaseCannotStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, Memo{}))
		dialect := eng.Dialect().Name()
		refuses := func(v string) bool {
			switch dialect {
			case "postgres":
				return true
			case "mysql":
				return v == "bad\xffutf8"
			}
			return false
		}
		count := func() int {
			var n int
			require.NoError(t, eng.DB().QueryRowContext(ctx, "SELECT count(*) FROM memos").Scan(&n))
			return n
		}
		for _, v := range []string{"nul\x00byte", "bad\xffutf8"} {
			// INSERT of a string field, then of a *string field.
			for _, field := range []string{"Title", "Note"} {
				s := arc.NewSession(eng)
				m := &Memo{Title: v}
				if field == "Note" {
					m.Title, m.Note = "ok", &v
				}
				require.NoError(t, s.Add(m))
				before := count()
				err := s.Commit(ctx)
				if !refuses(v) {
					require.NoError(t, err)
					require.NoError(t, s.Close(ctx))
					back := readMemo(t, eng, m.ID)
					assert.Equal(t, m.Title, back.Title, "stored as given")
					assert.Equal(t, m.Note, back.Note)
					continue
				}
				require.Error(t, err)
				assert.True(t, errors.Is(err, arc.ErrInvalidText), "%v", err)
				assert.False(t, arc.IsRetryable(err))
				assert.Contains(t, err.Error(), "model Memo, field "+field)
				assert.Equal(t, int64(0), m.ID, "the object is as before the flush")
				assert.Equal(t, arc.Pending, s.StateOf(m))
				assert.Equal(t, before, count())
				m.Title, m.Note = "fixed", nil
				require.NoError(t, s.Commit(ctx), "the session goes on once the value is fixed")
				require.NoError(t, s.Close(ctx))
			}
		}

		// UPDATE: the caller's value stays in the object.
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		m := &Memo{Title: "plain", Raw: []byte("nul\x00byte")}
		require.NoError(t, s.Add(m))
		require.NoError(t, s.Commit(ctx), "a NUL in []byte is binary data")
		m.Title = "nul\x00byte"
		err := s.Commit(ctx)
		if dialect != "postgres" {
			require.NoError(t, err)
			assert.Equal(t, m.Title, readMemo(t, eng, m.ID).Title)
			return
		}
		require.ErrorIs(t, err, arc.ErrInvalidText)
		assert.Contains(t, err.Error(), "model Memo, field Title")
		assert.Equal(t, "nul\x00byte", m.Title)
		assert.Equal(t, "plain", readMemo(t, eng, m.ID).Title)
	})
}

func readMemo(t *testing.T, eng *arc.Engine, id int64) *Memo {
	t.Helper()
	ctx := context.Background()
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	m, err := arc.Get[Memo](arc.WithSession(ctx, s), id)
	require.NoError(t, err)
	return m
}

// TestRegression_ConcurrentCreateAll: create_all from several engines
// (processes) on one database at once. On PostgreSQL two transactions
// creating the same table both passed the existence check and one failed
// with a duplicate key in pg_type, even with IF NOT EXISTS; a
// transaction-scoped advisory lock on the schema (dialect.SchemaLocker)
// now runs them one after the other. drop_all likewise.
func TestRegression_ConcurrentCreateAll(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, name string) {
		url := dbtest.URL(t, name)
		ctx := context.Background()
		engs := make([]*arc.Engine, 6)
		for i := range engs {
			eng, err := arc.Open(ctx, url)
			require.NoError(t, err)
			defer eng.Close()
			engs[i] = eng
		}
		all := func(f func(eng *arc.Engine) error) []error {
			errs := make([]error, len(engs))
			var wg sync.WaitGroup
			for i, eng := range engs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = f(eng)
				}()
			}
			wg.Wait()
			return errs
		}
		for i, err := range all(func(eng *arc.Engine) error { return arc.CreateAll(ctx, eng, WAuthor{}, WPost{}, Memo{}) }) {
			assert.NoError(t, err, "create_all %d", i)
		}
		s := arc.NewSession(engs[0])
		a := &WAuthor{Name: "a"}
		a.Posts.Append(&WPost{Title: "p"})
		require.NoError(t, s.AddAll(a, &Memo{Title: "m"}))
		require.NoError(t, s.Commit(ctx), "the tables are complete")
		require.NoError(t, s.Close(ctx))
		for i, err := range all(func(eng *arc.Engine) error { return arc.DropAll(ctx, eng, WAuthor{}, WPost{}, Memo{}) }) {
			assert.NoError(t, err, "drop_all %d", i)
		}
	})
}

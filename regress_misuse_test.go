package arc_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/fixtures"
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

// Hooked runs its act from BeforeSave or AfterSave, as a hook that uses
// the session would.
type Hooked struct {
	ID     int64
	V      string
	before func(ctx context.Context) error `arc:"-"`
	after  func(ctx context.Context) error `arc:"-"`
	calls  int                             `arc:"-"`
}

func (h *Hooked) BeforeSave(ctx context.Context) error {
	if h.calls++; h.calls > 3 {
		return errors.New("BeforeSave ran more than 3 times: the flush recursed")
	}
	if h.before != nil {
		return h.before(ctx)
	}
	return nil
}

func (h *Hooked) AfterSave(ctx context.Context) error {
	if h.after != nil {
		return h.after(ctx)
	}
	return nil
}

// TestRegression_FlushCalledFromItsOwnHook: a model hook (or a BeforeFlush
// callback) that called Commit, Flush or BeginNested ran a nested flush of
// the same objects, whose hooks called it again, without end; a query in
// a hook autoflushed into the same loop; Rollback, Close or a savepoint's
// Rollback from a hook pulled the transaction from under the flush, and
// the outer Commit reported success for rows it never wrote. Now those
// calls fail with ErrInvalidRequest naming the call, queries in a hook run
// without autoflush, and the outer Commit writes the row.
func TestRegression_FlushCalledFromItsOwnHook(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, Hooked{}))
		count := func() int64 {
			s := arc.NewSession(eng)
			defer s.Close(ctx)
			n, err := arc.QueryOf[Hooked](s).Count(ctx)
			require.NoError(t, err)
			return n
		}
		acts := map[string]func(ctx context.Context, s *arc.Session) error{
			"Commit":      func(ctx context.Context, s *arc.Session) error { return s.Commit(ctx) },
			"Flush":       func(ctx context.Context, s *arc.Session) error { return s.Flush(ctx) },
			"Rollback":    func(ctx context.Context, s *arc.Session) error { return s.Rollback(ctx) },
			"Close":       func(ctx context.Context, s *arc.Session) error { return s.Close(ctx) },
			"BeginNested": func(ctx context.Context, s *arc.Session) error { _, err := s.BeginNested(ctx); return err },
		}
		for name, act := range acts {
			for _, where := range []string{"BeforeSave", "AfterSave", "OnBeforeFlush"} {
				t.Run(name+"/"+where, func(t *testing.T) {
					s := arc.NewSession(eng)
					defer s.Close(ctx)
					before := count()
					var inner error
					call := func(ctx context.Context) error {
						inner = act(ctx, s)
						return nil
					}
					h := &Hooked{V: "x"}
					switch where {
					case "BeforeSave":
						h.before = call
					case "AfterSave":
						h.after = call
					default:
						s.OnBeforeFlush(func(ctx context.Context, _ *arc.Session) error { return call(ctx) })
					}
					require.NoError(t, s.Add(h))
					require.NoError(t, s.Commit(ctx))
					require.ErrorIs(t, inner, arc.ErrInvalidRequest)
					assert.Contains(t, inner.Error(), "called from a hook or callback of the flush in progress")
					assert.Equal(t, before+1, count(), "the outer Commit wrote the row")
					assert.Equal(t, arc.Persistent, s.StateOf(h))
				})
			}
		}

		// A query in a hook runs without autoflush and sees the table.
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		var seen []*Hooked
		var qerr error
		h := &Hooked{V: "q", before: func(ctx context.Context) error {
			seen, qerr = arc.QueryOf[Hooked](s).All(ctx)
			return nil
		}}
		require.NoError(t, s.Add(h))
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, qerr)
		assert.Len(t, seen, int(count())-1, "the row being flushed is not yet in the table")
		assert.Equal(t, 1, h.calls)
	})
}

// TestRegression_CommitInsideTransaction: Transaction commits when its
// function returns nil and rolls back when it returns an error. A Commit
// called inside the function made the work before it permanent although
// the function then failed (and Retry would do it twice); Rollback or
// Close let the rest run outside any transaction. They now fail with
// ErrInvalidRequest, and the function's error still undoes everything.
func TestRegression_CommitInsideTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, Memo{}))
		boom := errors.New("boom")
		for _, op := range []string{"Commit", "Rollback", "Close"} {
			t.Run(op, func(t *testing.T) {
				var inner error
				err := arc.Transaction(ctx, eng, func(ctx context.Context) error {
					s := arc.SessionFrom(ctx)
					require.NoError(t, s.Add(&Memo{Title: op + " before"}))
					switch op {
					case "Commit":
						inner = s.Commit(ctx)
					case "Rollback":
						inner = s.Rollback(ctx)
					case "Close":
						inner = s.Close(ctx)
					}
					require.NoError(t, s.Add(&Memo{Title: op + " after"}))
					require.NoError(t, s.Flush(ctx))
					return boom
				})
				require.ErrorIs(t, err, boom)
				require.ErrorIs(t, inner, arc.ErrInvalidRequest)
				assert.Contains(t, inner.Error(), op+" called inside Transaction's function")
				s := arc.NewSession(eng)
				defer s.Close(ctx)
				n, err := arc.QueryOf[Memo](s).Count(ctx)
				require.NoError(t, err)
				assert.Zero(t, n, "the failed Transaction wrote nothing")
			})
		}
		// The same session after Transaction: Commit works again, and a
		// nested Transaction inside the function still uses a savepoint.
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		sctx := arc.WithSession(ctx, s)
		require.NoError(t, arc.Transaction(sctx, nil, func(ctx context.Context) error {
			require.NoError(t, s.Add(&Memo{Title: "outer"}))
			err := arc.Transaction(ctx, nil, func(ctx context.Context) error {
				require.NoError(t, s.Add(&Memo{Title: "inner"}))
				return boom
			})
			require.ErrorIs(t, err, boom)
			return nil
		}))
		require.NoError(t, s.Add(&Memo{Title: "later"}))
		require.NoError(t, s.Commit(ctx))
		var titles []string
		all, err := arc.QueryOf[Memo](s).OrderBy(&arc.Cols[Memo]().ID).All(ctx)
		require.NoError(t, err)
		for _, m := range all {
			titles = append(titles, m.Title)
		}
		assert.Equal(t, []string{"outer", "later"}, titles)
	})
}

// TestRegression_FixtureTextNamesField: a fixture value PostgreSQL refuses
// as text (a NUL byte) failed with the driver's message, which names no
// field; the fixture error now names file, row and field, and wraps
// ErrInvalidText. The other dialects store it.
func TestRegression_FixtureTextNamesField(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, Memo{}))
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "memos.yml"), []byte("good:\n  title: ok\nbad:\n  note: fine\n  title: \"nul\\0byte\"\n"), 0o644))
		err := fixtures.LoadDir(ctx, eng, dir, fixtures.LoadOptions{}, Memo{})
		if eng.Dialect().Name() != "postgres" {
			require.NoError(t, err)
			return
		}
		require.ErrorIs(t, err, arc.ErrInvalidText)
		assert.Contains(t, err.Error(), "memos.yml:5: row bad, field title")
		assert.Contains(t, err.Error(), "NUL byte")
	})
}

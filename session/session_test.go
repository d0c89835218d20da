package session_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// TestTutorialSessionStory walks spec §5 and §6 (acceptance items 2–6).
func TestTutorialSessionStory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		rec := dbtest.Record(eng)
		U := expr.Cols[User]()

		// 2. A new object has no id and runs no SQL.
		ed := &User{Name: "ed", Fullname: "Ed Jones", Nickname: "edsnickname"}
		assert.Zero(t, ed.ID)
		assert.Equal(t, session.Transient, s.StateOf(ed))
		assert.Empty(t, rec.Statements())

		// 3. Add -> pending; a query autoflushes and returns the same pointer.
		require.NoError(t, s.Add(ed))
		assert.Equal(t, session.Pending, s.StateOf(ed))
		assert.Empty(t, rec.SQL())
		our, err := session.Select[User]().FilterBy(expr.P{"Name": "ed"}).First(ctx)
		require.NoError(t, err)
		assert.Same(t, ed, our)
		sqls := rec.SQL()
		require.Len(t, sqls, 2)
		assert.Contains(t, sqls[0], "INSERT INTO users")
		assert.Contains(t, sqls[1], "SELECT")
		assert.Contains(t, sqls[1], "LIMIT")
		assert.Equal(t, session.Persistent, s.StateOf(ed))
		assert.NotZero(t, ed.ID)

		// 4. AddAll + a change: Dirty and New; commit writes 1 UPDATE of only
		// nickname and the three INSERTs in add order.
		wendy := &User{Name: "wendy", Fullname: "Wendy Williams", Nickname: "windy"}
		mary := &User{Name: "mary", Fullname: "Mary Contrary", Nickname: "mary"}
		fred := &User{Name: "fred", Fullname: "Fred Flintstone", Nickname: "freddy"}
		require.NoError(t, s.AddAll(wendy, mary, fred))
		ed.Nickname = "eddie"
		assert.Equal(t, []any{ed}, s.Dirty())
		assert.Equal(t, []any{wendy, mary, fred}, s.New())
		rec.Reset()
		require.NoError(t, s.Commit(ctx))
		ups := filterSQL(rec.SQL(), "UPDATE")
		require.Len(t, ups, 1)
		assert.Equal(t, "UPDATE users SET nickname = "+ph(eng, 1)+" WHERE id = "+ph(eng, 2), ups[0])
		assert.Less(t, wendy.ID, mary.ID)
		assert.Less(t, mary.ID, fred.ID)
		// The transaction began at the first flush; this flush runs in a
		// savepoint because the transaction already holds flushed work.
		assert.Equal(t, "SAVEPOINT arc_flush", rec.Statements()[0])
		assert.Equal(t, "COMMIT", rec.Statements()[len(rec.Statements())-1])

		// 5. After commit, the next use reloads by primary key and returns the same pointer.
		rec.Reset()
		again, err := session.Get[User](ctx, s, ed.ID)
		require.NoError(t, err)
		assert.Same(t, ed, again)
		require.Len(t, rec.SQL(), 1)
		assert.Contains(t, rec.SQL()[0], "WHERE users.id = ")
		// A second Get is a pure identity-map hit.
		rec.Reset()
		_, err = session.Get[User](ctx, s, ed.ID)
		require.NoError(t, err)
		assert.Empty(t, rec.SQL())

		// 6. Rollback.
		ed.Name = "Edwardo"
		fake := &User{Name: "fakeuser", Fullname: "Invalid", Nickname: "12345"}
		require.NoError(t, s.Add(fake))
		got, err := session.Select[User]().Where(expr.In(&U.Name, "Edwardo", "fakeuser")).OrderBy(&U.ID).All(ctx)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Same(t, ed, got[0])
		assert.Same(t, fake, got[1])
		require.NoError(t, s.Rollback(ctx))
		assert.Equal(t, "ed", ed.Name)
		assert.False(t, s.Contains(fake))
		assert.Equal(t, session.Transient, s.StateOf(fake))
		got, err = session.Select[User]().Where(expr.In(&U.Name, "ed", "fakeuser")).All(ctx)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Same(t, ed, got[0])
		assert.Equal(t, "eddie", ed.Nickname)
		assert.Equal(t, 1, countRows(t, eng, "users", "name = ?", "ed"))
		assert.Equal(t, 0, countRows(t, eng, "users", "name = ?", "fakeuser"))
	})
}

func ph(eng *engine.Engine, n int) string {
	return string(eng.Dialect().AppendPlaceholder(nil, n))
}

func TestObjectStates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		u := &User{Name: "jack"}
		assert.Equal(t, session.Transient, s.StateOf(u))
		require.NoError(t, s.Add(u))
		assert.Equal(t, session.Pending, s.StateOf(u))
		require.NoError(t, s.Flush(ctx))
		assert.Equal(t, session.Persistent, s.StateOf(u))
		require.NoError(t, s.Delete(u))
		assert.Equal(t, []any{u}, s.Deleted())
		require.NoError(t, s.Flush(ctx))
		assert.Equal(t, session.Deleted, s.StateOf(u))
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, session.Detached, s.StateOf(u))
		assert.Equal(t, session.Detached, session.StateOf(u))

		// Expunge: persistent -> detached; pending -> transient.
		v := &User{Name: "v"}
		require.NoError(t, s.Add(v))
		require.NoError(t, s.Expunge(v))
		assert.Equal(t, session.Transient, s.StateOf(v))
		require.NoError(t, s.Add(v))
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Expunge(v))
		assert.Equal(t, session.Detached, s.StateOf(v))
		// A detached Base object re-attaches as persistent, and a later flush
		// updates only what changed.
		v.Nickname = "vee"
		require.NoError(t, s.Add(v))
		assert.Equal(t, session.Persistent, s.StateOf(v))
		rec := dbtest.Record(eng)
		require.NoError(t, s.Commit(ctx))
		ups := filterSQL(rec.SQL(), "UPDATE")
		require.Len(t, ups, 1)
		assert.Contains(t, ups[0], "SET nickname = ")
	})
}

func TestBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		var nilUser *User
		cases := []struct {
			name string
			err  error
			want error
		}{
			{"add nil", s.Add(nil), arcerr.ErrInvalidRequest},
			{"add nil pointer", s.Add(nilUser), arcerr.ErrInvalidRequest},
			{"add non-pointer", s.Add(User{}), arcerr.ErrInvalidRequest},
			{"add non-model", s.Add(&struct{ X chan int }{}), arcerr.ErrInvalidModel},
			{"delete transient", s.Delete(&User{Name: "x"}), arcerr.ErrInvalidRequest},
		}
		for _, c := range cases {
			assert.ErrorIs(t, c.err, c.want, c.name)
		}
		_, err := session.Get[User](ctx, s, "one")
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.Contains(t, err.Error(), "User")
		_, err = session.Get[Membership](ctx, s, 1)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		_, err = session.Get[User](ctx, s, 12345)
		assert.ErrorIs(t, err, arcerr.ErrNotFound)

		// An object of another open session.
		u := &User{Name: "owned"}
		require.NoError(t, s.Add(u))
		other := session.New(eng)
		err = other.Add(u)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.Contains(t, err.Error(), "another open session")

		// A closed session.
		require.NoError(t, other.Close(ctx))
		assert.ErrorIs(t, other.Add(&User{}), arcerr.ErrInvalidRequest)
		assert.ErrorIs(t, other.Flush(ctx), arcerr.ErrInvalidRequest)
	})
}

func TestParallelSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := setup(t, eng)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				s := session.New(eng)
				defer s.Close(ctx)
				for i := 0; i < 10; i++ {
					if err := s.Add(&Address{Email: "p" + itoa(g) + "_" + itoa(i) + "@x"}); err != nil {
						errs <- err
						return
					}
				}
				if err := s.Commit(ctx); err != nil {
					errs <- err
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		assert.Equal(t, 80, countRows(t, eng, "addresses", ""))
	})
}

func itoa(i int) string { return string(rune('a'+i/10)) + string(rune('0'+i%10)) }

var _ = context.Background

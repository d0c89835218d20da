package session_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

func ptr[T any](v T) *T { return &v }

// TestDirtyTracking: each kind of change, including to zero values, is
// seen; setting an equal value is not a change.
func TestDirtyTracking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		g := &Gadget{Label: "x", Count: 3, Active: true, Ratio: 1.5, Blob: []byte("ab"), When: when,
			Maybe: ptr[int64](4), Note: sql.NullString{String: "n", Valid: true}, Color: Color{1, 2, 3}, Tags: []string{"a"}}
		require.NoError(t, s.Add(g))
		require.NoError(t, s.Flush(ctx))
		assert.Equal(t, int64(1), g.Version)
		assert.Empty(t, s.Dirty())

		cases := []struct {
			name   string
			change func()
			col    string
		}{
			{"string to empty", func() { g.Label = "" }, "label"},
			{"int to zero", func() { g.Count = 0 }, "count"},
			{"bool to false", func() { g.Active = false }, "active"},
			{"float", func() { g.Ratio = 2.5 }, "ratio"},
			{"bytes in place", func() { g.Blob[0] = 'z' }, "blob"},
			{"bytes to nil", func() { g.Blob = nil }, "blob"},
			{"time", func() { g.When = when.Add(time.Second) }, "when"},
			{"pointer target", func() { *g.Maybe = 7 }, "maybe"},
			{"pointer to nil", func() { g.Maybe = nil }, "maybe"},
			{"sql.Null to invalid", func() { g.Note = sql.NullString{} }, "note"},
			{"valuer", func() { g.Color = Color{9, 9, 9} }, "color"},
			{"json slice in place", func() { g.Tags[0] = "b" }, "tags"},
		}
		rec := dbtest.Record(eng)
		for _, c := range cases {
			c.change()
			assert.Len(t, s.Dirty(), 1, c.name)
			rec.Reset()
			require.NoError(t, s.Flush(ctx), c.name)
			ups := filterSQL(rec.SQL(), "UPDATE")
			require.Len(t, ups, 1, c.name)
			assert.Contains(t, ups[0], "SET "+quoteIf(eng, c.col)+" = ", c.name)
			assert.Contains(t, ups[0], "version", c.name)
			assert.Empty(t, s.Dirty(), c.name)
		}
		// Equal values are not changes: the same instant in another zone,
		// a new slice with the same bytes, a new pointer to an equal value.
		g.When = g.When.In(time.FixedZone("X", 3600))
		g.Blob = []byte(nil)
		g.Maybe = nil
		g.Color = Color{9, 9, 9}
		g.Tags = []string{"b"}
		rec.Reset()
		require.NoError(t, s.Flush(ctx))
		assert.Empty(t, filterSQL(rec.SQL(), "UPDATE"))

		// The database holds the zero values.
		require.NoError(t, s.Commit(ctx))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		g2, err := session.Get[Gadget](ctx, s2, g.ID)
		require.NoError(t, err)
		assert.Equal(t, "", g2.Label)
		assert.Equal(t, 0, g2.Count)
		assert.False(t, g2.Active)
		assert.Nil(t, g2.Maybe)
		assert.False(t, g2.Note.Valid)
		assert.Equal(t, Color{9, 9, 9}, g2.Color)
		assert.Equal(t, []string{"b"}, g2.Tags)
		assert.True(t, g2.When.Equal(when.Add(time.Second)))
	})
}

func quoteIf(eng *engine.Engine, col string) string {
	return string(eng.Dialect().AppendIdent(nil, col))
}

func TestFlushOrderByForeignKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		// The child is added first; the parent must be inserted first.
		child := &Address{Email: "c@x", UserID: ptr[int64](500)}
		parent := &User{ID: 500, Name: "parent"}
		require.NoError(t, s.AddAll(child, parent))
		rec := dbtest.Record(eng)
		require.NoError(t, s.Flush(ctx))
		ins := filterSQL(rec.SQL(), "INSERT")
		require.Len(t, ins, 2)
		assert.Contains(t, ins[0], "INSERT INTO users")
		assert.Contains(t, ins[1], "INSERT INTO addresses")
		// Deletes go children first.
		require.NoError(t, s.Delete(parent))
		require.NoError(t, s.Delete(child))
		rec.Reset()
		require.NoError(t, s.Flush(ctx))
		dels := filterSQL(rec.SQL(), "DELETE")
		require.Len(t, dels, 2)
		assert.Contains(t, dels[0], "DELETE FROM addresses")
		assert.Contains(t, dels[1], "DELETE FROM users")
	})
}

func TestInsertBatching(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		const n = 2500 // more than MaxInsertBatch rows
		objs := make([]*Address, n)
		for i := range objs {
			objs[i] = &Address{Email: fmt.Sprintf("b%04d@x", i)}
			require.NoError(t, s.Add(objs[i]))
		}
		rec := dbtest.Record(eng)
		require.NoError(t, s.Commit(ctx))
		ins := filterSQL(rec.SQL(), "INSERT")
		assert.Len(t, ins, 3, "2500 rows in batches of at most %d", session.MaxInsertBatch)
		for i := 1; i < n; i++ {
			require.Less(t, objs[i-1].ID, objs[i].ID, "ids follow add order")
		}
		// Each object got the id of its own row.
		rows, err := eng.DB().Query("SELECT id, email_address FROM addresses")
		require.NoError(t, err)
		defer rows.Close()
		byID := map[int64]string{}
		for rows.Next() {
			var id int64
			var e string
			require.NoError(t, rows.Scan(&id, &e))
			byID[id] = e
		}
		for _, o := range objs {
			assert.Equal(t, o.Email, byID[o.ID])
		}
	})
}

// TestFailedFlushRestores fails a multi-table flush at each of its
// statements and checks that the database and every object are as before.
func TestFailedFlushRestores(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		// Committed: an address whose email the failing rows will collide with.
		require.NoError(t, s.Add(&Address{Email: "taken@x"}))
		keeper := &User{Name: "keeper", Nickname: "k"}
		require.NoError(t, s.Add(keeper))
		require.NoError(t, s.Commit(ctx))
		// A row the session does not know, whose key a new object will reuse.
		_, err := eng.Exec(ctx, rebind(eng, "INSERT INTO users (id, name) VALUES (?, ?)"), 900, "outsider")
		require.NoError(t, err)

		for failAt := 0; failAt < 3; failAt++ {
			t.Run(fmt.Sprint("fail-at-", failAt), func(t *testing.T) {
				// Work already flushed in this transaction must survive.
				early := &User{Name: "early"}
				require.NoError(t, s.Add(early))
				require.NoError(t, s.Flush(ctx))
				earlyID := early.ID

				// Statements in flush order: UPDATE users (keeper), INSERT users (u), INSERT addresses (a1, a2).
				keeper.Nickname = "changed"
				u := &User{Name: "new"}
				a1 := &Address{Email: "a1@x"}
				a2 := &Address{Email: "a2@x"}
				switch failAt {
				case 0:
					// The UPDATE of keeper succeeds; the INSERT of u fails:
					u.ID = 900 // duplicate primary key (not in the identity map, so Add accepts it)
				case 1:
					a1.Email = "taken@x"
				case 2:
					a2.Email = "taken@x"
				}
				require.NoError(t, s.AddAll(u, a1, a2))
				before := []any{valueOf(u), valueOf(a1), valueOf(a2)}
				err := s.Flush(ctx)
				require.Error(t, err)
				assert.ErrorIs(t, err, arcerr.ErrIntegrity)
				// Objects exactly as before.
				assert.Equal(t, before, []any{valueOf(u), valueOf(a1), valueOf(a2)})
				assert.Equal(t, "changed", keeper.Nickname)
				for _, o := range []any{u, a1, a2} {
					assert.Equal(t, session.Pending, s.StateOf(o))
				}
				assert.Equal(t, session.Persistent, s.StateOf(early))
				// Fix and flush again.
				u.ID = 0
				a1.Email, a2.Email = fmt.Sprintf("a1-%d@x", failAt), fmt.Sprintf("a2-%d@x", failAt)
				require.NoError(t, s.Commit(ctx))
				assert.Equal(t, 1, countRows(t, eng, "users", "id = ?", earlyID))
				assert.Equal(t, 1, countRows(t, eng, "users", "id = ? AND nickname = ?", keeper.ID, "changed"))
				assert.Equal(t, 1, countRows(t, eng, "addresses", "email_address = ?", a2.Email))
			})
		}
	})
}

// TestFirstFlushFailureRollsBack: without earlier work, a failed flush
// rolls the transaction back and the session stays usable.
func TestFirstFlushFailureRollsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		require.NoError(t, s.Add(&Address{Email: "dup@x"}))
		require.NoError(t, s.Commit(ctx))
		bad := &Address{Email: "dup@x"}
		require.NoError(t, s.Add(bad))
		err := s.Commit(ctx)
		require.ErrorIs(t, err, arcerr.ErrIntegrity)
		var se *arcerr.StatementError
		require.ErrorAs(t, err, &se)
		assert.Contains(t, se.SQL, "INSERT INTO addresses")
		assert.Contains(t, err.Error(), "Address")
		assert.Zero(t, bad.ID)
		bad.Email = "ok@x"
		require.NoError(t, s.Commit(ctx))
		assert.NotZero(t, bad.ID)
	})
}

func TestStaleDataAndVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		g := &Gadget{Label: "v"}
		u := &User{Name: "gone"}
		require.NoError(t, s.AddAll(g, u))
		require.NoError(t, s.Commit(ctx))

		// Another session moves the version on; ours refreshes after its
		// commit expiry and sees version 2.
		s2 := session.New(eng)
		g2, err := session.Get[Gadget](ctx, s2, g.ID)
		require.NoError(t, err)
		g2.Label = "theirs"
		require.NoError(t, s2.Commit(ctx))
		require.NoError(t, s2.Close(ctx))
		_, err = session.Get[Gadget](ctx, s, g.ID)
		require.NoError(t, err)
		assert.Equal(t, "theirs", g.Label)
		assert.Equal(t, int64(2), g.Version)

		// Changes between our load and our flush. A session that keeps its
		// objects across commits (no transaction held meanwhile, which
		// SQLite's write lock would otherwise prevent).
		k := session.New(eng, session.WithExpireOnCommit(false))
		defer k.Close(ctx)
		kg, err := session.Get[Gadget](ctx, k, g.ID)
		require.NoError(t, err)
		ku, err := session.Get[User](ctx, k, u.ID)
		require.NoError(t, err)
		require.NoError(t, k.Commit(ctx))
		_, err = eng.Exec(ctx, "UPDATE gadgets SET version = version + 1")
		require.NoError(t, err)
		_, err = eng.Exec(ctx, "DELETE FROM users")
		require.NoError(t, err)

		kg.Label = "mine"
		err = k.Flush(ctx)
		assert.ErrorIs(t, err, arcerr.ErrStaleData)
		assert.Contains(t, err.Error(), "Gadget")
		assert.Equal(t, "mine", kg.Label)
		require.NoError(t, k.Rollback(ctx))

		ku.Name = "changed"
		err = k.Flush(ctx)
		assert.ErrorIs(t, err, arcerr.ErrStaleData)
		require.NoError(t, k.Rollback(ctx))
		_, err = session.Get[User](ctx, k, u.ID)
		assert.ErrorIs(t, err, arcerr.ErrObjectDeleted)
	})
}

func TestHooks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		h := &Hooked{Name: "h"}
		require.NoError(t, s.Add(h))
		require.NoError(t, s.Flush(ctx))
		assert.Equal(t, []string{"BeforeSave", "BeforeCreate", "AfterCreate", "AfterSave"}, h.calls)
		assert.Equal(t, "created", h.Stamp)

		h.calls = nil
		h.Name = "h2"
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, []string{"BeforeSave", "BeforeUpdate", "AfterUpdate", "AfterSave"}, h.calls)
		_, err := session.Get[Hooked](ctx, s, h.ID) // refresh after commit
		require.NoError(t, err)

		// A failing hook aborts the flush and changes nothing.
		h.calls = nil
		h.failOn = "AfterUpdate"
		h.Name = "h3"
		err = s.Flush(ctx)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "Hooked.AfterUpdate")
		assert.Equal(t, "h3", h.Name)
		assert.Equal(t, 1, countRows(t, eng, "hookeds", "name = ?", "h2"))

		h.failOn = ""
		h.calls = nil
		require.NoError(t, s.Delete(h))
		require.NoError(t, s.Flush(ctx))
		assert.Equal(t, []string{"BeforeDelete", "AfterDelete"}, h.calls)

		// AfterLoad runs when a row is loaded.
		h2 := &Hooked{Name: "loaded"}
		require.NoError(t, s.Add(h2))
		require.NoError(t, s.Commit(ctx))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		got, err := session.Get[Hooked](ctx, s2, h2.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"AfterLoad"}, got.calls)
		_ = sql.ErrNoRows
	})
}

func TestSessionEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		var log []string
		s.OnBeforeFlush(func(context.Context, *session.Session) error { log = append(log, "flush"); return nil })
		s.OnAfterCommit(func(context.Context, *session.Session) { log = append(log, "commit") })
		s.OnAfterRollback(func(context.Context, *session.Session) { log = append(log, "rollback") })
		require.NoError(t, s.Add(&User{Name: "e"}))
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Rollback(ctx))
		assert.Equal(t, []string{"flush", "commit", "rollback"}, log)

		s.OnBeforeFlush(func(context.Context, *session.Session) error { return errors.New("no") })
		require.NoError(t, s.Add(&User{Name: "f"}))
		assert.Error(t, s.Flush(ctx))
	})
}

func TestDefaultsAndTimestamps(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		n := &Note{Body: "b"}
		require.NoError(t, s.Add(n))
		require.NoError(t, s.Flush(ctx))
		assert.Equal(t, "draft", n.Status)
		assert.Equal(t, 7, n.Rank, "server default read back")
		assert.False(t, n.CreatedAt.IsZero())
		assert.Equal(t, n.CreatedAt, n.UpdatedAt)
		created := n.CreatedAt
		time.Sleep(2 * time.Millisecond)
		n.Body = "c"
		require.NoError(t, s.Flush(ctx))
		assert.Equal(t, created, n.CreatedAt)
		assert.True(t, n.UpdatedAt.After(created))
	})
}

// A snapshot keeps its own copy of a pointer column's target (in the
// snapshot itself), so changing the target in place is a change, after a
// load as after a rollback restored the value; the object never shares
// memory with its snapshot.
func TestPointerTargetOwnedBySnapshot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		g := &Gadget{Label: "p", Maybe: ptr[int64](4), Tags: []string{}}
		require.NoError(t, s.Add(g))
		require.NoError(t, s.Commit(ctx))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		g2, err := session.Get[Gadget](ctx, s2, g.ID)
		require.NoError(t, err)
		require.Empty(t, s2.Dirty())
		*g2.Maybe = 5 // in place, after a load
		require.Len(t, s2.Dirty(), 1)
		require.NoError(t, s2.Flush(ctx))
		require.NoError(t, s2.Rollback(ctx)) // restores 4 into the object
		require.Equal(t, int64(4), *g2.Maybe)
		require.Empty(t, s2.Dirty())
		*g2.Maybe = 6 // in place, after the restore
		require.Len(t, s2.Dirty(), 1)
		require.NoError(t, s2.Commit(ctx))
		var got int64
		require.NoError(t, eng.DB().QueryRow("SELECT maybe FROM gadgets WHERE id = "+fmt.Sprint(g.ID)).Scan(&got))
		require.Equal(t, int64(6), got)
	})
}

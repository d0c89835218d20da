package session_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// TestInsertCorrelation: rows that a multi-row INSERT returns are matched
// to their objects by key, never by the order of the RETURNING rows.
func TestInsertCorrelation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		rec := dbtest.Record(eng)

		// Generated key and a server default: the ordered INSERT … SELECT form.
		notes := make([]*Note, 5)
		for i := range notes {
			notes[i] = &Note{Body: fmt.Sprint("body", i)}
		}
		require.NoError(t, s.AddAll(notes[0], notes[1], notes[2], notes[3], notes[4]))
		require.NoError(t, s.Commit(ctx))
		ins := filterSQL(rec.SQL(), "INSERT")
		require.Len(t, ins, 1)
		if eng.Dialect().Has(dialect.ValuesOrder) {
			// MySQL, MariaDB: VALUES order is the order keys are drawn in.
			assert.NotContains(t, ins[0], "ORDER BY")
		} else if _, arrays := eng.Dialect().(dialect.ArrayRows); arrays {
			// PostgreSQL: one array per column, in the objects' order.
			assert.Contains(t, ins[0], "WITH ORDINALITY")
			assert.Contains(t, ins[0], "ORDER BY arc_ord")
		} else {
			assert.Contains(t, ins[0], "ORDER BY column")
		}
		assert.Contains(t, ins[0], "RETURNING")
		for _, n := range notes {
			assert.Equal(t, 7, n.Rank)
			assert.Equal(t, 1, countRows(t, eng, "notes", "id = ? AND body = ?", n.ID, n.Body), n.Body)
		}

		// Client-given keys and a server default: matched on the key.
		rec.Reset()
		keyed := []*Note{{ID: 1002, Body: "k2"}, {ID: 1001, Body: "k1"}, {ID: 1003, Body: "k3", Rank: 3}}
		require.NoError(t, s.AddAll(keyed[0], keyed[1], keyed[2]))
		require.NoError(t, s.Flush(ctx))
		ins = filterSQL(rec.SQL(), "INSERT")
		require.Len(t, ins, 2, "k3 writes rank itself, so it is a batch of its own")
		assert.NotContains(t, ins[0], "ORDER BY")
		assert.Equal(t, int64(1002), keyed[0].ID)
		assert.Equal(t, 7, keyed[0].Rank)
		assert.Equal(t, 7, keyed[1].Rank)
		assert.Equal(t, 3, keyed[2].Rank)
		assert.Equal(t, session.Persistent, s.StateOf(keyed[1]))

		// Many value kinds through the typed VALUES list (PostgreSQL casts).
		when := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		gs := []*Gadget{
			{Label: "a", Count: 1, Active: true, Ratio: 0.5, Blob: []byte{0, 1}, When: when, Maybe: ptr[int64](9), Color: Color{1, 2, 3}, Tags: []string{"x"}},
			{Label: "b", Count: 2, Ratio: -1, When: when.Add(time.Hour), Color: Color{4, 5, 6}},
			{Label: "c", Count: 3, Active: true, Blob: []byte("zz"), When: when.Add(2 * time.Hour)},
		}
		rec.Reset()
		require.NoError(t, s.AddAll(gs[0], gs[1], gs[2]))
		require.NoError(t, s.Commit(ctx))
		require.Len(t, filterSQL(rec.SQL(), "INSERT"), 1)
		s2 := session.New(eng)
		defer s2.Close(ctx)
		for _, g := range gs {
			got, err := session.Get[Gadget](ctx, s2, g.ID)
			require.NoError(t, err)
			assert.Equal(t, g.Label, got.Label)
			assert.Equal(t, g.Count, got.Count)
			assert.Equal(t, g.Active, got.Active)
			assert.Equal(t, g.Ratio, got.Ratio)
			assert.Equal(t, g.Maybe, got.Maybe)
			assert.Equal(t, g.Color, got.Color)
			assert.True(t, g.When.Equal(got.When), "%v vs %v", g.When, got.When)
			assert.Equal(t, string(g.Blob), string(got.Blob))
		}

		// A too-long value still fails where the VALUES list casts its
		// parameters (PostgreSQL): the cast does not truncate.
		if eng.Dialect().Has(dialect.TypedValues) {
			long := []*User{{Name: "ok"}, {Name: strings.Repeat("x", 60)}}
			require.NoError(t, s.AddAll(long[0], long[1]))
			err := s.Flush(ctx)
			require.Error(t, err)
			assert.Zero(t, long[0].ID)
			require.NoError(t, s.Expunge(long[0]))
			require.NoError(t, s.Expunge(long[1]))
		}
	})
}

// TestFailedFlushAtUpdateAndDelete extends TestFailedFlushRestores to the
// UPDATE and DELETE statements of a multi-table flush.
func TestFailedFlushAtUpdateAndDelete(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		owner := &User{Name: "owner"}
		require.NoError(t, s.Add(owner))
		require.NoError(t, s.Flush(ctx))
		taken := &Address{Email: "taken@x", UserID: &owner.ID}
		mine := &Address{Email: "mine@x"}
		require.NoError(t, s.AddAll(taken, mine))
		require.NoError(t, s.Commit(ctx))
		_, err := session.Get[User](ctx, s, owner.ID) // refresh after commit
		require.NoError(t, err)

		for _, failAt := range []string{"update", "delete"} {
			t.Run(failAt, func(t *testing.T) {
				early := &User{Name: "early-" + failAt}
				require.NoError(t, s.Add(early))
				require.NoError(t, s.Flush(ctx)) // flushed work the failure must not undo

				fresh := &User{Name: "fresh-" + failAt}
				require.NoError(t, s.Add(fresh))
				switch failAt {
				case "update":
					mine.Email = "taken@x" // unique violation
				case "delete":
					require.NoError(t, s.Delete(owner)) // still referenced by taken
				}
				beforeMine, beforeOwner := valueOf(mine), valueOf(owner)
				err := s.Flush(ctx)
				require.Error(t, err)
				assert.ErrorIs(t, err, arcerr.ErrIntegrity)
				assert.Equal(t, beforeMine, valueOf(mine))
				assert.Equal(t, beforeOwner, valueOf(owner))
				assert.Zero(t, fresh.ID)
				assert.Equal(t, session.Pending, s.StateOf(fresh))
				assert.Equal(t, session.Persistent, s.StateOf(early))
				assert.Equal(t, session.Persistent, s.StateOf(owner))

				// Fix and flush again; the earlier work is still there.
				switch failAt {
				case "update":
					mine.Email = "mine2@x"
				case "delete":
					require.NoError(t, s.Expunge(owner))
					_, err := session.Get[User](ctx, s, owner.ID)
					require.NoError(t, err)
				}
				require.NoError(t, s.Commit(ctx))
				assert.Equal(t, 1, countRows(t, eng, "users", "name = ?", early.Name))
				assert.Equal(t, 1, countRows(t, eng, "users", "name = ?", fresh.Name))
			})
		}
		assert.Equal(t, 1, countRows(t, eng, "addresses", "email_address = ?", "mine2@x"))
	})
}

func TestVersionSQL(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		g := &Gadget{Label: "v1"}
		require.NoError(t, s.Add(g))
		require.NoError(t, s.Flush(ctx))
		rec := dbtest.Record(eng)
		g.Label = "v2"
		require.NoError(t, s.Flush(ctx))
		q := func(s string) string { return string(eng.Dialect().AppendIdent(nil, s)) }
		want := "UPDATE gadgets SET " + q("label") + " = " + ph(eng, 1) + ", " + q("version") + " = " + q("version") +
			" + 1 WHERE id = " + ph(eng, 2) + " AND " + q("version") + " = " + ph(eng, 3)
		assert.Equal(t, []string{want}, filterSQL(rec.SQL(), "UPDATE"))
		assert.Equal(t, int64(2), g.Version)
		rec.Reset()
		require.NoError(t, s.Delete(g))
		require.NoError(t, s.Flush(ctx))
		assert.Equal(t, []string{"DELETE FROM gadgets WHERE id = " + ph(eng, 1) + " AND " + q("version") + " = " + ph(eng, 2)},
			filterSQL(rec.SQL(), "DELETE"))
	})
}

// TestExpireOnCommit: with the default, the first use of an object after
// commit reloads it; WithExpireOnCommit(false) keeps it as it is.
func TestExpireOnCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, createAll(ctx, eng))
		for _, expire := range []bool{true, false} {
			s := session.New(eng, session.WithExpireOnCommit(expire))
			u := &User{Name: "e"}
			require.NoError(t, s.Add(u))
			require.NoError(t, s.Commit(ctx))
			rec := dbtest.Record(eng)
			got, err := session.Get[User](ctx, s, u.ID)
			require.NoError(t, err)
			assert.Same(t, u, got)
			if expire {
				assert.Len(t, rec.SQL(), 1, "expired: reload")
			} else {
				assert.Empty(t, rec.SQL(), "kept: identity-map hit")
			}
			require.NoError(t, s.Close(ctx))
		}
	})
}

// TestCloseRollsBack: Close rolls back flushed work and detaches everything.
func TestCloseRollsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, createAll(ctx, eng))
		s := session.New(eng)
		kept := &User{Name: "kept"}
		require.NoError(t, s.Add(kept))
		require.NoError(t, s.Commit(ctx))
		_, err := session.Get[User](ctx, s, kept.ID)
		require.NoError(t, err)
		kept.Nickname = "unsaved"
		u := &User{Name: "flushed"}
		require.NoError(t, s.Add(u))
		require.NoError(t, s.Flush(ctx))
		rec := dbtest.Record(eng)
		require.NoError(t, s.Close(ctx))
		assert.Contains(t, rec.Statements(), "ROLLBACK")
		assert.Equal(t, 0, countRows(t, eng, "users", "name = ?", "flushed"))
		assert.Equal(t, session.Transient, s.StateOf(u), "inserted in the rolled-back transaction")
		assert.Equal(t, session.Detached, s.StateOf(kept))
		assert.Equal(t, "", kept.Nickname, "rollback restored the loaded value")
		assert.ErrorIs(t, s.Add(&User{}), arcerr.ErrInvalidRequest)
		_, err = session.Get[User](ctx, s, kept.ID)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.ErrorIs(t, s.Commit(ctx), arcerr.ErrInvalidRequest)
		assert.ErrorIs(t, s.Delete(kept), arcerr.ErrInvalidRequest)
		assert.ErrorIs(t, s.Refresh(ctx, kept), arcerr.ErrInvalidRequest)
		require.NoError(t, s.Close(ctx), "closing twice is fine")
	})
}

func TestExpungeAllExpireAll(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		a, b := &User{Name: "a"}, &User{Name: "b"}
		p := &User{Name: "p"}
		require.NoError(t, s.AddAll(a, b))
		require.NoError(t, s.Flush(ctx))
		require.NoError(t, s.Add(p))

		// ExpireAll reverts unflushed changes and reloads at the next use.
		a.Name, b.Name = "a2", "b2"
		s.ExpireAll()
		assert.Equal(t, "a", a.Name)
		assert.Equal(t, "b", b.Name)
		rec := dbtest.Record(eng)
		got, err := session.Get[User](ctx, s, a.ID)
		require.NoError(t, err)
		assert.Same(t, a, got)
		assert.Len(t, filterSQL(rec.SQL(), "SELECT"), 1)

		// ExpungeAll: persistent -> detached, pending -> transient; the map is empty.
		s.ExpungeAll()
		assert.Equal(t, session.Detached, s.StateOf(a))
		assert.Equal(t, session.Transient, s.StateOf(p))
		assert.False(t, s.Contains(a))
		assert.Empty(t, s.New())
		rec.Reset()
		fresh, err := session.Get[User](ctx, s, a.ID)
		require.NoError(t, err)
		assert.NotSame(t, a, fresh)
		assert.Len(t, rec.SQL(), 1)
	})
}

// TestMoreBadInput: each misuse is a clear error that names the model, and
// nothing changes.
func TestMoreBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		u := &User{Name: "u"}
		require.NoError(t, s.Add(u))

		// Deleting a pending object.
		err := s.Delete(u)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.Contains(t, err.Error(), "User")
		assert.Equal(t, session.Pending, s.StateOf(u))
		require.NoError(t, s.Commit(ctx))

		// A detached object whose identity is already in another session's
		// map: Add refuses and points to Merge.
		other := session.New(eng)
		defer other.Close(ctx)
		require.NoError(t, s.Close(ctx))
		assert.Equal(t, session.Detached, session.StateOf(u))
		loaded, err := session.Get[User](ctx, other, u.ID)
		require.NoError(t, err)
		err = other.Add(u)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.Contains(t, err.Error(), "User")
		assert.Contains(t, err.Error(), "Merge")
		assert.Equal(t, session.Detached, session.StateOf(u))
		merged, err := session.Merge(ctx, other, u)
		require.NoError(t, err)
		assert.Same(t, loaded, merged)

		// Get with a wrong key type, arity, or a fractional number.
		for _, key := range [][]any{{"1"}, {1.5}, {1, 2}, {nil}, {[]byte("1")}} {
			_, err := session.Get[User](ctx, other, key...)
			assert.ErrorIs(t, err, arcerr.ErrInvalidRequest, "%v", key)
			assert.Contains(t, err.Error(), "User", "%v", key)
		}
		got, err := session.Get[User](ctx, other, float64(u.ID)) // an integral float (decoded JSON) is fine
		require.NoError(t, err)
		assert.Same(t, loaded, got)
		got, err = session.Get[User](ctx, other, int32(u.ID))
		require.NoError(t, err)
		assert.Same(t, loaded, got)

		// Expunge or Refresh an object the session does not hold.
		stranger := &User{Name: "stranger"}
		assert.ErrorIs(t, other.Expunge(stranger), arcerr.ErrInvalidRequest)
		assert.ErrorIs(t, other.Refresh(ctx, stranger), arcerr.ErrDetached)
		assert.ErrorIs(t, other.Expire(stranger), arcerr.ErrDetached)

		// A copy of a tracked object is not the tracked object.
		cp := clone(loaded) // a copy of the whole model (go vet reports cp := *loaded)
		assert.Equal(t, session.Transient, session.StateOf(&cp))
		assert.Equal(t, session.Persistent, session.StateOf(loaded))
		assert.Empty(t, other.Dirty())
	})
}

var _ = errors.New

// TestBeforeHookFailure: a Before hook's error aborts the flush and undoes
// what the hooks already changed.
func TestBeforeHookFailure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		ok := &Hooked{Name: "ok"}
		bad := &Hooked{Name: "bad", failOn: "BeforeCreate"}
		require.NoError(t, s.AddAll(ok, bad))
		err := s.Flush(ctx)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "Hooked.BeforeCreate")
		assert.Equal(t, "", ok.Stamp, "the first object's hook changes are undone too")
		assert.Equal(t, "", bad.Stamp)
		assert.Zero(t, ok.ID)
		assert.Equal(t, session.Pending, s.StateOf(ok))
		bad.failOn = ""
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, "created", bad.Stamp)
		assert.Equal(t, 2, countRows(t, eng, "hookeds", ""))
	})
}

// TestFailedFlushUndoesVersionAndUpdatedAt: objects restored without a
// full backup get their version and UpdatedAt back when a later statement
// of the flush fails.
func TestFailedFlushUndoesVersionAndUpdatedAt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		g := &Gadget{Label: "g"}
		n := &Note{Body: "n"}
		owner := &User{Name: "owner"}
		require.NoError(t, s.AddAll(g, n, owner))
		require.NoError(t, s.Flush(ctx))
		require.NoError(t, s.Add(&Address{Email: "a@x", UserID: &owner.ID}))
		require.NoError(t, s.Commit(ctx))
		for _, o := range []any{g, n, owner} {
			require.NoError(t, s.Refresh(ctx, o))
		}

		time.Sleep(2 * time.Millisecond)
		g.Label, n.Body = "g2", "n2"
		require.NoError(t, s.Delete(owner)) // still referenced: the DELETE, last, fails
		beforeG, beforeN := *g, *n
		err := s.Flush(ctx)
		require.ErrorIs(t, err, arcerr.ErrIntegrity)
		assert.Equal(t, beforeG, *g)
		assert.Equal(t, beforeN, *n)
		assert.Equal(t, int64(1), g.Version)

		require.NoError(t, s.Expunge(owner))
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, int64(2), g.Version)
		assert.True(t, n.UpdatedAt.After(beforeN.UpdatedAt))
	})
}

// TestAddConflictingPlainObject: a plain struct (no Base) that carries a
// key the session already maps is refused at Add, pointing to Merge.
func TestAddConflictingPlainObject(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		a := &Address{Email: "mapped@x"}
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))
		_, err := session.Get[Address](ctx, s, a.ID)
		require.NoError(t, err)

		payload := &Address{ID: a.ID, Email: "changed@x"} // e.g. decoded from a request
		err = s.Add(payload)
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.Contains(t, err.Error(), "Address")
		assert.Contains(t, err.Error(), "Merge")
		assert.False(t, s.Contains(payload))
		assert.Empty(t, s.New())

		m, err := session.Merge(ctx, s, payload)
		require.NoError(t, err)
		assert.Same(t, a, m)
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, 1, countRows(t, eng, "addresses", "email_address = ?", "changed@x"))
	})
}

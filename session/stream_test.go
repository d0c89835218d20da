package session_test

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// Query.Stream (stream.go): each object the stream made is compared when
// the caller takes the next one and leaves the session if clean; changed
// ones stay and are written by Commit.

// seedStream commits n users (record.Base, whose Holder keeps a detached
// state) and n addresses (plain structs, whose states Stream reuses), and
// empties the session.
func seedStream(t *testing.T, ctx context.Context, s *session.Session, n int) {
	t.Helper()
	for i := range n {
		require.NoError(t, s.Add(&User{Name: fmt.Sprint("u", i), Nickname: "old"}))
		require.NoError(t, s.Add(&Address{Email: fmt.Sprint("a", i, "@x")}))
	}
	require.NoError(t, s.Commit(ctx))
	s.ExpungeAll()
}

func TestStream_ChangedWrittenCleanDetached(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		const n = 300
		seedStream(t, ctx, s, n)
		U, A := expr.Cols[User](), expr.Cols[Address]()

		var users, addrs []any // every object, kept past its iteration
		changed := map[any]bool{}
		i := 0
		for u, err := range session.Select[User]().OrderBy(&U.ID).Stream(ctx) {
			require.NoError(t, err)
			assert.True(t, s.Contains(u), "the current object is tracked")
			if i%10 == 0 {
				u.Nickname = "new"
				changed[u] = true
			}
			users = append(users, u)
			i++
		}
		assert.Len(t, s.Dirty(), (n+9)/10)
		i = 0
		for a, err := range session.Select[Address]().OrderBy(&A.ID).Stream(ctx) {
			require.NoError(t, err)
			assert.True(t, s.Contains(a))
			if i%7 == 0 {
				a.Email = fmt.Sprint("new", i, "@x")
				changed[a] = true
			}
			addrs = append(addrs, a)
			i++
		}
		require.Len(t, users, n)
		require.Len(t, addrs, n)
		for _, o := range append(users, addrs...) {
			assert.Equal(t, changed[o], s.Contains(o), "tracked exactly when changed")
		}
		assert.Len(t, s.Dirty(), (n+6)/7, "the users' changes were flushed before the second query")
		for _, u := range users {
			if !changed[u] {
				assert.Equal(t, session.Detached, s.StateOf(u), "a record.Base model remembers its identity")
			}
		}
		runtime.GC()
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, (n+9)/10, countRows(t, eng, "users", "nickname = ?", "new"))
		assert.Equal(t, (n+6)/7, countRows(t, eng, "addresses", "email_address LIKE ?", "new%"))
	})
}

func TestStream_BreakReleasesTheLastObject(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		seedStream(t, ctx, s, 20)
		A := expr.Cols[Address]()
		for _, change := range []bool{false, true} {
			var last *Address
			n := 0
			for a, err := range session.Select[Address]().OrderBy(&A.ID).Stream(ctx) {
				require.NoError(t, err)
				last = a
				if n++; n == 5 {
					if change {
						a.Email = "changed@x"
					}
					break
				}
			}
			assert.Equal(t, change, s.Contains(last), "change=%v", change)
			require.NoError(t, s.Commit(ctx))
			assert.Equal(t, map[bool]int{false: 0, true: 1}[change], countRows(t, eng, "addresses", "email_address = ?", "changed@x"))
		}
	})
}

func TestStream_IdentityMapHitsStay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		seedStream(t, ctx, s, 30)
		A := expr.Cols[Address]()
		held, err := session.Select[Address]().Where(expr.Lt(&A.ID, int64(11))).All(ctx)
		require.NoError(t, err)
		require.Len(t, held, 10)
		heldSet := map[*Address]bool{}
		for _, a := range held {
			heldSet[a] = true
		}
		var streamed []*Address
		for a, err := range session.Select[Address]().OrderBy(&A.ID).Stream(ctx) {
			require.NoError(t, err)
			streamed = append(streamed, a)
		}
		require.Len(t, streamed, 30)
		hits := 0
		for _, a := range streamed {
			if heldSet[a] {
				hits++
				assert.True(t, s.Contains(a), "an object the session held before stays")
			} else {
				assert.False(t, s.Contains(a))
			}
		}
		assert.Equal(t, 10, hits, "rows of held objects yield the held objects")
		for _, a := range held {
			assert.True(t, s.Contains(a))
		}
		// A streamed, detached object's row read again is a new object.
		again, err := session.Select[Address]().Where(expr.Eq(&A.ID, streamed[20].ID)).One(ctx)
		require.NoError(t, err)
		assert.NotSame(t, streamed[20], again)
	})
}

// A scan error in the middle: the objects yielded before are released as
// at the end of a loop (the changed one stays and Commit writes it), and
// the session is usable.
func TestStream_ErrorMidStream(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		seedStream(t, ctx, s, 6)
		q := session.Select[Address]().FromStatement(expr.Text(
			"SELECT id, email_address, CASE WHEN id = 4 THEN 'not a number' END AS user_id FROM addresses ORDER BY id"))
		var got []*Address
		var streamErr error
		for a, err := range q.Stream(ctx) {
			if err != nil {
				streamErr = err
				break
			}
			if a.ID == 2 {
				a.Email = "changed@x"
			}
			got = append(got, a)
		}
		require.Error(t, streamErr)
		require.Len(t, got, 3)
		for _, a := range got {
			assert.Equal(t, a.ID == 2, s.Contains(a), "address %d", a.ID)
		}
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, 1, countRows(t, eng, "addresses", "email_address = ?", "changed@x"))
	})
}

// A kept pointer that was clean when the loop moved on is detached: a
// later change to it is not written, unless Merge (any model) or Add (a
// record.Base model) brings it back.
func TestStream_KeptCleanPointerIsDetached(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		seedStream(t, ctx, s, 3)
		U, A := expr.Cols[User](), expr.Cols[Address]()
		var us []*User
		for u, err := range session.Select[User]().OrderBy(&U.ID).Stream(ctx) {
			require.NoError(t, err)
			us = append(us, u)
		}
		var as []*Address
		for a, err := range session.Select[Address]().OrderBy(&A.ID).Stream(ctx) {
			require.NoError(t, err)
			as = append(as, a)
		}
		us[0].Nickname, as[0].Email = "lost", "lost@x"
		us[1].Nickname, as[1].Email = "merged", "merged@x"
		us[2].Nickname = "added"
		_, err := session.Merge(ctx, s, us[1])
		require.NoError(t, err)
		_, err = session.Merge(ctx, s, as[1])
		require.NoError(t, err)
		require.NoError(t, s.Add(us[2])) // record.Base: re-attached with its identity and snapshot
		assert.True(t, s.Contains(us[2]))
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, 0, countRows(t, eng, "users", "nickname = ?", "lost"))
		assert.Equal(t, 0, countRows(t, eng, "addresses", "email_address = ?", "lost@x"))
		assert.Equal(t, 1, countRows(t, eng, "users", "nickname = ?", "merged"))
		assert.Equal(t, 1, countRows(t, eng, "addresses", "email_address = ?", "merged@x"))
		assert.Equal(t, 1, countRows(t, eng, "users", "nickname = ?", "added"))
		assert.Equal(t, 3, countRows(t, eng, "users", ""))
	})
}

// Delete in the loop keeps the object (marked) and Commit deletes it;
// Expunge in the loop is left alone; the connection is busy meanwhile;
// autoflush runs before the stream's query.
func TestStream_DeleteExpungeAutoflush(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		seedStream(t, ctx, s, 10)
		A := expr.Cols[Address]()
		require.NoError(t, s.Add(&Address{Email: "pending@x"}))
		n := 0
		for a, err := range session.Select[Address]().OrderBy(&A.ID).Stream(ctx) {
			require.NoError(t, err)
			if n == 0 {
				assert.ErrorIs(t, s.Flush(ctx), arcerr.ErrIteratorOpen)
			}
			switch n {
			case 2:
				require.NoError(t, s.Delete(a))
			case 3:
				require.NoError(t, s.Expunge(a))
			}
			n++
		}
		assert.Equal(t, 11, n, "the pending address was flushed before the query ran")
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, 10, countRows(t, eng, "addresses", ""))
		assert.Equal(t, 0, countRows(t, eng, "addresses", "email_address = ?", "a2@x"))
	})
}

// TestStream_Randomized mixes stream loops (changing the current object,
// objects kept from earlier iterations, breaking early), Gets that hold
// objects, Merges and Commits, and checks the database against a model:
// a change is written exactly when the object was tracked (current,
// changed when the loop moved on, held before, or merged back).
func TestStream_Randomized(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, createAll(ctx, eng))
		rapid.Check(t, func(rt *rapid.T) {
			_, err := eng.DB().ExecContext(ctx, "DELETE FROM addresses")
			require.NoError(rt, err)
			s := session.New(eng)
			defer func() { _ = s.Close(ctx) }()
			sctx := session.With(ctx, s)
			const rows = 12
			db := map[int64]string{}  // committed emails by id
			mem := map[int64]string{} // what the next commit must leave
			seed := make([]*Address, rows)
			for i := range seed {
				seed[i] = &Address{Email: fmt.Sprint("e", i)}
				require.NoError(rt, s.Add(seed[i]))
			}
			require.NoError(rt, s.Commit(sctx))
			for _, a := range seed {
				db[a.ID], mem[a.ID] = a.Email, a.Email
			}
			ids := slices.Sorted(maps.Keys(db))
			s.ExpungeAll()
			A := expr.Cols[Address]()
			var kept []*Address // pointers kept from earlier loops (tracked or not)
			gen := 0
			val := func() string { gen++; return fmt.Sprint("v", gen) }
			rt.Repeat(map[string]func(*rapid.T){
				"stream": func(rt *rapid.T) {
					stop := rapid.IntRange(0, rows).Draw(rt, "stop")
					n := 0
					for a, err := range session.Select[Address]().OrderBy(&A.ID).Stream(sctx) {
						require.NoError(rt, err)
						if rapid.Bool().Draw(rt, "changeCurrent") {
							a.Email = val()
							mem[a.ID] = a.Email
						}
						if len(kept) > 0 && rapid.Bool().Draw(rt, "changeKept") {
							k := kept[rapid.IntRange(0, len(kept)-1).Draw(rt, "k")]
							v := val()
							tracked := s.Contains(k)
							k.Email = v
							if tracked {
								mem[k.ID] = v
							}
						}
						if rapid.Bool().Draw(rt, "keep") {
							kept = append(kept, a)
						}
						if n++; n == stop {
							break
						}
					}
				},
				"get": func(rt *rapid.T) {
					id := rapid.SampledFrom(ids).Draw(rt, "id")
					a, err := session.Get[Address](sctx, s, id)
					require.NoError(rt, err)
					if a.Email != mem[id] {
						rt.Fatalf("Get %d: %q, model %q", id, a.Email, mem[id])
					}
					kept = append(kept, a)
				},
				"changeKept": func(rt *rapid.T) {
					if len(kept) == 0 {
						rt.Skip()
					}
					k := kept[rapid.IntRange(0, len(kept)-1).Draw(rt, "k")]
					v := val()
					if s.Contains(k) {
						mem[k.ID] = v
					}
					k.Email = v
				},
				"merge": func(rt *rapid.T) {
					if len(kept) == 0 {
						rt.Skip()
					}
					k := kept[rapid.IntRange(0, len(kept)-1).Draw(rt, "k")]
					if s.Contains(k) {
						rt.Skip()
					}
					m, err := session.Merge(sctx, s, k)
					require.NoError(rt, err)
					mem[k.ID] = k.Email
					kept = append(kept, m)
				},
				"commit": func(rt *rapid.T) {
					require.NoError(rt, s.Commit(sctx))
					maps.Copy(db, mem)
					// Commit expires: a held object reloads with the committed values.
					got := map[int64]string{}
					r, err := eng.DB().QueryContext(ctx, "SELECT id, email_address FROM addresses")
					require.NoError(rt, err)
					defer r.Close()
					for r.Next() {
						var id int64
						var e string
						require.NoError(rt, r.Scan(&id, &e))
						got[id] = e
					}
					require.NoError(rt, r.Err())
					require.Equal(rt, db, got)
				},
			})
		})
	})
}

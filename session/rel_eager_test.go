package session_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// §11 / §16 item 15: SelectIn loads every parent's collection with one
// more query; the rows are the same as without the option.
func TestRelSelectIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		relSeed(t, eng)
		rec := dbtest.Record(eng)
		jack, err := session.NewQuery[RUser](s).Options(relations.SelectIn(&U.Addresses)).Where(expr.Eq(&U.Name, "jack")).One(ctx)
		require.NoError(t, err)
		sqls := rec.SQL()
		require.Len(t, sqls, 2, "%v", sqls)
		require.Equal(t, phs(eng, "SELECT addresses.id, addresses.email_address, addresses.user_id FROM addresses WHERE addresses.user_id IN (?) ORDER BY addresses.id"), sqls[1])
		got, loaded := jack.Addresses.Cached()
		require.True(t, loaded)
		require.Equal(t, []string{"jack@google.com", "j25@yahoo.com"}, emails(got))
		rec.Reset()
		u, err := got[0].User.Load(ctx)
		require.NoError(t, err)
		require.Same(t, jack, u)
		require.Empty(t, rec.SQL())
	})
}

// IN lists are chunked below the limit: more parents than the chunk size.
func TestRelSelectInChunks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		for i := range 8 {
			u := &RUser{Name: fmt.Sprintf("u%d", i)}
			for j := range i % 3 {
				u.Addresses.Append(&RAddress{Email: fmt.Sprintf("u%d-%d@x", i, j)})
			}
			require.NoError(t, s.Add(u))
		}
		require.NoError(t, s.Commit(ctx))
		s2 := session.New(eng, session.WithSelectInChunk(3))
		defer s2.Close(ctx)
		rec := dbtest.Record(eng)
		users, err := session.NewQuery[RUser](s2).Options(relations.SelectIn(&U.Addresses)).OrderBy(&U.ID).All(ctx)
		require.NoError(t, err)
		require.Len(t, users, 8)
		require.Len(t, filterSQL(rec.SQL(), "SELECT addresses.id"), 3, "8 parents in IN lists of 3: %v", rec.SQL())
		for i, u := range users {
			got, loaded := u.Addresses.Cached()
			require.True(t, loaded)
			require.Len(t, got, i%3, u.Name)
			for _, a := range got {
				require.True(t, strings.HasPrefix(a.Email, u.Name+"-"))
			}
		}
	})
}

// Joined,
// Raise, NoLoad, Then and the tag's lazy: default.
func TestRelLoadOptions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		relSeed(t, eng)
		// Joined: one parent despite two child rows.
		jack, err := session.NewQuery[RUser](s).Options(relations.Joined(&U.Addresses)).Where(expr.Eq(&U.Name, "jack")).One(ctx)
		require.NoError(t, err)
		got, loaded := jack.Addresses.Cached()
		require.True(t, loaded)
		require.Equal(t, []string{"jack@google.com", "j25@yahoo.com"}, emails(got))

		s2 := session.New(eng)
		defer s2.Close(ctx)
		users, err := session.NewQuery[RUser](s2).Options(relations.Raise(&U.Addresses)).All(ctx)
		require.NoError(t, err)
		_, err = users[0].Addresses.Load(ctx)
		require.True(t, errors.Is(err, arcerr.ErrLazyLoad), "%v", err)

		s3 := session.New(eng)
		defer s3.Close(ctx)
		j3, err := session.NewQuery[RUser](s3).Options(relations.NoLoad(&U.Addresses)).Where(expr.Eq(&U.Name, "jack")).One(ctx)
		require.NoError(t, err)
		rec := dbtest.Record(eng)
		items, err := j3.Addresses.Load(ctx)
		require.NoError(t, err)
		require.Empty(t, items)
		require.Empty(t, rec.SQL())

		// Then: addresses, then each address's user (identity map: no SQL).
		s4 := session.New(eng)
		defer s4.Close(ctx)
		addrs, err := session.NewQuery[RAddress](s4).Options(relations.SelectIn(&A.User).Then(relations.SelectIn(&U.Addresses))).OrderBy(&A.ID).All(ctx)
		require.NoError(t, err)
		require.Len(t, addrs, 2)
		u, ok := addrs[0].User.Cached()
		require.True(t, ok)
		require.Equal(t, "jack", u.Name)
		_, loaded = u.Addresses.Cached()
		require.True(t, loaded)

	})
}

// warnHook collects warnings.
type warnHook struct{ msgs []string }

func (h *warnHook) Levels() []logrus.Level     { return []logrus.Level{logrus.WarnLevel} }
func (h *warnHook) Fire(e *logrus.Entry) error { h.msgs = append(h.msgs, e.Message); return nil }

// The N+1 guard: a lazy load on an object from a multi-row query.
func TestRelLazyGuard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng)
		relSeed(t, eng)
		raise := session.New(eng, session.WithLazyGuard(session.GuardRaise))
		defer raise.Close(ctx)
		users, err := session.NewQuery[RUser](raise).OrderBy(&U.ID).All(ctx)
		require.NoError(t, err)
		_, err = users[4].Addresses.Load(ctx)
		require.True(t, errors.Is(err, arcerr.ErrLazyLoad), "%v", err)
		require.Contains(t, err.Error(), "RUser.Addresses")
		// A single-row query does not trip it.
		one, err := session.NewQuery[RUser](raise).Where(expr.Eq(&U.Name, "jack")).One(ctx)
		require.NoError(t, err)
		require.Same(t, users[4], one)
		// Eager loading is the fix.
		_, err = session.NewQuery[RUser](raise).Options(relations.SelectIn(&U.Addresses)).All(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, users[4].Addresses.Len())

		h := &warnHook{}
		eng.Logger().AddHook(h)
		warn := session.New(eng, session.WithLazyGuard(session.GuardWarn))
		defer warn.Close(ctx)
		users, err = session.NewQuery[RUser](warn).OrderBy(&U.ID).All(ctx)
		require.NoError(t, err)
		got, err := users[4].Addresses.Load(ctx)
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Len(t, h.msgs, 1)
		require.Contains(t, h.msgs[0], "N+1")
	})
}

// §10.3 / §10.4 / §16 item 14: relationship predicates.
func TestRelPredicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		jackID := relSeed(t, eng)
		jack, err := session.Get[RUser](ctx, s, jackID)
		require.NoError(t, err)
		addrs, err := jack.Addresses.Load(ctx)
		require.NoError(t, err)
		d := eng.Dialect()
		names := func(q *session.Query[RUser]) []string {
			us, err := q.OrderBy(&U.ID).All(ctx)
			require.NoError(t, err)
			out := []string{}
			for _, u := range us {
				out = append(out, u.Name)
			}
			return out
		}
		sqlOf := func(e expr.Expr) string {
			q, _, err := session.Select[RAddress]().Where(e).SQL(d)
			require.NoError(t, err)
			return q[strings.Index(q, " WHERE ")+7:]
		}
		usersWhere := func(e expr.Expr) string {
			q, _, err := session.Select[RUser]().Where(e).SQL(d)
			require.NoError(t, err)
			return q[strings.Index(q, " WHERE ")+7:]
		}

		require.Equal(t, "EXISTS (SELECT 1 FROM addresses WHERE users.id = addresses.user_id)", usersWhere(relations.Any(&U.Addresses)))
		require.Equal(t, []string{"jack"}, names(session.NewQuery[RUser](s).Where(relations.Any(&U.Addresses))))
		require.Equal(t, []string{"jack"}, names(session.NewQuery[RUser](s).Where(relations.Any(&U.Addresses, expr.Like(&A.Email, "%google%")))))
		require.Equal(t, []string{"ed", "wendy", "mary", "fred"}, names(session.NewQuery[RUser](s).Where(expr.Not(relations.Any(&U.Addresses)))))

		notHas := expr.Not(relations.Has(&A.User, expr.Eq(&U.Name, "jack")))
		require.Equal(t, phs(eng, "NOT (EXISTS (SELECT 1 FROM users WHERE addresses.user_id = users.id AND users.name = ?))"), sqlOf(notHas))
		n, err := session.NewQuery[RAddress](s).Where(notHas).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n)

		require.Equal(t, phs(eng, "? = addresses.user_id"), sqlOf(relations.Is(&A.User, jack)))
		require.Equal(t, phs(eng, "addresses.user_id != ? OR addresses.user_id IS NULL"), sqlOf(relations.IsNot(&A.User, jack)))
		require.Equal(t, "addresses.user_id IS NULL", sqlOf(relations.Is(&A.User, nil)))
		require.Equal(t, "addresses.user_id IS NOT NULL", sqlOf(relations.IsNot(&A.User, (*RUser)(nil))))
		require.Equal(t, phs(eng, "users.id = ? AND (users.id = ?) IS NOT NULL"), usersWhere(relations.Contains(&U.Addresses, addrs[0])))
		require.Equal(t, phs(eng, "? = addresses.user_id"), sqlOf(relations.WithParent(jack, &U.Addresses)))

		count := func(e expr.Expr) int64 {
			n, err := session.NewQuery[RAddress](s).Where(e).Count(ctx)
			require.NoError(t, err)
			return n
		}
		require.EqualValues(t, 2, count(relations.Is(&A.User, jack)))
		require.EqualValues(t, 0, count(relations.IsNot(&A.User, jack)))
		require.EqualValues(t, 0, count(relations.Is(&A.User, nil)))
		require.EqualValues(t, 2, count(relations.WithParent(jack, &U.Addresses)))
		require.Equal(t, []string{"jack"}, names(session.NewQuery[RUser](s).Where(relations.Contains(&U.Addresses, addrs[1]))))

		// Misuse is reported, not panicked.
		_, err = session.NewQuery[RUser](s).Where(relations.Has(&U.Addresses)).All(ctx)
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		_, err = session.NewQuery[RAddress](s).Where(relations.Is(&U.Addresses, addrs[0])).All(ctx)
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest)

		// Join by relationship, and to an alias.
		us, err := session.NewQuery[RUser](s).Join(relations.Target(&U.Addresses), relations.On(&U.Addresses, nil)).
			Where(expr.Eq(&A.Email, "jack@google.com")).All(ctx)
		require.NoError(t, err)
		require.Len(t, us, 1)
		require.Same(t, jack, us[0])
		a1, a2 := session.Alias[RAddress](""), session.Alias[RAddress]("")
		q := session.NewQuery[RUser](s).
			Join(a1, relations.On(&U.Addresses, a1)).Join(a2, relations.On(&U.Addresses, a2)).
			Where(expr.Eq(&a1.Cols().Email, "jack@google.com"), expr.Eq(&a2.Cols().Email, "j25@yahoo.com"))
		text, _, err := q.SQL(d)
		require.NoError(t, err)
		require.Contains(t, text, "JOIN addresses AS addresses_1 ON users.id = addresses_1.user_id JOIN addresses AS addresses_2 ON users.id = addresses_2.user_id")
		us, err = q.All(ctx)
		require.NoError(t, err)
		require.Len(t, us, 1)

		// Join along a relationship to an entity subquery (spec §10.2).
		sq, _, err := session.EntitySubquery(session.Select[RAddress]().Where(expr.Ne(&A.Email, "j25@yahoo.com")), "")
		require.NoError(t, err)
		q = session.NewQuery[RUser](s).Join(sq, relations.On(&U.Addresses, sq))
		text, _, err = q.SQL(d)
		require.NoError(t, err)
		require.Contains(t, text, "AS anon_1 ON users.id = anon_1.user_id")
		us, err = q.All(ctx)
		require.NoError(t, err)
		require.Equal(t, []*RUser{jack}, us)
	})
}

// Joined: one SELECT with a LEFT OUTER JOIN to an anonymous alias; the
// parent comes back once although two rows carry it. ContainsEager fills
// a relationship from the join the query wrote.
func TestRelJoinedSingleQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		relSeed(t, eng)
		rec := dbtest.Record(eng)
		q := session.NewQuery[RUser](s).Options(relations.Joined(&U.Addresses)).Where(expr.Eq(&U.Name, "jack"))
		users, handled, err := session.AllJoined(ctx, s, q)
		require.NoError(t, err)
		require.True(t, handled)
		require.Len(t, users, 1)
		require.Equal(t, []string{phs(eng, "SELECT users.id, users.name, users.fullname, users.nickname, addresses_1.id, addresses_1.email_address, addresses_1.user_id FROM users LEFT OUTER JOIN addresses AS addresses_1 ON users.id = addresses_1.user_id WHERE users.name = ? ORDER BY addresses_1.id")}, rec.SQL())
		got, loaded := users[0].Addresses.Cached()
		require.True(t, loaded)
		require.Equal(t, []string{"jack@google.com", "j25@yahoo.com"}, emails(got))

		// Users without addresses get an empty, loaded collection.
		s2 := session.New(eng)
		defer s2.Close(ctx)
		all, _, err := session.AllJoined(ctx, s2, session.NewQuery[RUser](s2).Options(relations.Joined(&U.Addresses).InnerJoin()).OrderBy(&U.ID))
		require.NoError(t, err)
		require.Len(t, all, 1, "inner join keeps only jack")
		all, _, err = session.AllJoined(ctx, s2, session.NewQuery[RUser](s2).Options(relations.Joined(&U.Addresses)).OrderBy(&U.ID))
		require.NoError(t, err)
		require.Len(t, all, 5)
		_, loaded = all[0].Addresses.Cached()
		require.True(t, loaded)
		require.Zero(t, all[0].Addresses.Len())

		// Many-to-one joined, many-to-many joined.
		s3 := session.New(eng)
		defer s3.Close(ctx)
		addrs, _, err := session.AllJoined(ctx, s3, session.NewQuery[RAddress](s3).Options(relations.Joined(&A.User)).OrderBy(&A.ID))
		require.NoError(t, err)
		require.Len(t, addrs, 2)
		u, ok := addrs[1].User.Cached()
		require.True(t, ok)
		require.Equal(t, "jack", u.Name)

		// ContainsEager from the user's own join: no extra SQL for .User.
		s4 := session.New(eng)
		defer s4.Close(ctx)
		rec.Reset()
		q4 := session.NewQuery[RAddress](s4).Join(relations.Target(&A.User), relations.On(&A.User, nil)).
			Where(expr.Eq(&U.Name, "jack")).Options(relations.ContainsEager(&A.User)).OrderBy(&A.ID)
		jas, _, err := session.AllJoined(ctx, s4, q4)
		require.NoError(t, err)
		require.Len(t, jas, 2)
		require.Len(t, rec.SQL(), 1)
		require.Equal(t, phs(eng, "SELECT addresses.id, addresses.email_address, addresses.user_id, users.id, users.name, users.fullname, users.nickname FROM addresses JOIN users ON addresses.user_id = users.id WHERE users.name = ? ORDER BY addresses.id"), rec.SQL()[0])
		ju, err := jas[0].User.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "jack", ju.Name)
		require.Len(t, rec.SQL(), 1)
	})
}

// GuardBatch turns the N+1 loop into one query per relationship.
func TestRelGuardBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng)
		relSeed(t, eng)
		s := session.New(eng, session.WithLazyGuard(session.GuardBatch))
		defer s.Close(ctx)
		users, err := session.NewQuery[RUser](s).OrderBy(&U.ID).All(ctx)
		require.NoError(t, err)
		rec := dbtest.Record(eng)
		total := 0
		for _, u := range users {
			got, err := u.Addresses.Load(ctx)
			require.NoError(t, err)
			total += len(got)
		}
		require.Equal(t, 2, total)
		require.Equal(t, []string{phs(eng, "SELECT addresses.id, addresses.email_address, addresses.user_id FROM addresses WHERE addresses.user_id IN (?, ?, ?, ?, ?) ORDER BY addresses.id")}, rec.SQL())
	})
}

// ContainsEager fills relationships again after ExpireAll, in both
// directions, from the query's own join: no further SQL.
func TestRelContainsEagerAfterExpire(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		relSeed(t, eng)
		q := session.NewQuery[RUser](s).Join(relations.Target(&U.Addresses), relations.On(&U.Addresses, nil)).
			Where(expr.Eq(&U.Name, "jack")).Options(relations.ContainsEager(&U.Addresses))
		us, err := q.All(ctx)
		require.NoError(t, err)
		require.Len(t, us, 1)
		require.Len(t, us[0].Addresses.Items(), 2)
		s.ExpireAll()
		rec := dbtest.Record(eng)
		us2, err := q.All(ctx)
		require.NoError(t, err)
		require.Len(t, us2, 1)
		got, err := us2[0].Addresses.Load(ctx)
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Len(t, rec.SQL(), 1)

		q4 := session.NewQuery[RAddress](s).Join(relations.Target(&A.User), relations.On(&A.User, nil)).
			Where(expr.Eq(&U.Name, "jack")).Options(relations.ContainsEager(&A.User)).OrderBy(&A.ID)
		jas, err := q4.All(ctx)
		require.NoError(t, err)
		require.Len(t, jas, 2)
		s.ExpireAll()
		rec.Reset()
		jas, err = q4.All(ctx)
		require.NoError(t, err)
		u, ok := jas[0].User.Cached()
		require.True(t, ok)
		require.Equal(t, "jack", u.Name)
		ju, err := jas[1].User.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "jack", ju.Name)
		require.Len(t, rec.SQL(), 1)
	})
}

// Eager loads group the children of interleaved owners (rows in child
// order: owner 1, 2, 3, 1, 2, 3 ...) into each owner's collection in row
// order, mark the collections and the children's to-one sides loaded, map
// every object once, and snapshot them: a commit without changes writes
// nothing, a change writes one UPDATE. The returned slice is the caller's:
// reordering it changes no child's owner.
func TestRelEagerGroupsInterleavedOwners(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		users := make([]*RUser, 3)
		for i := range users {
			users[i] = &RUser{Name: fmt.Sprintf("u%d", i)}
			require.NoError(t, s.Add(users[i]))
		}
		require.NoError(t, s.Commit(ctx))
		want := map[string][]string{}
		for j := range 4 {
			for _, u := range users {
				e := fmt.Sprintf("%s-%d@x", u.Name, j)
				require.NoError(t, s.Add(&RAddress{Email: e, UserID: &u.ID}))
				want[u.Name] = append(want[u.Name], e)
			}
		}
		require.NoError(t, s.Commit(ctx))
		load := map[string]func(*session.Session) []*RUser{
			"selectin": func(s *session.Session) []*RUser {
				got, err := session.NewQuery[RUser](s).Options(relations.SelectIn(&U.Addresses)).OrderBy(&U.ID).All(ctx)
				require.NoError(t, err)
				return got
			},
			"joined": func(s *session.Session) []*RUser {
				got, handled, err := session.AllJoined(ctx, s, session.NewQuery[RUser](s).Options(relations.Joined(&U.Addresses)).OrderBy(&U.ID))
				require.NoError(t, err)
				require.True(t, handled)
				return got
			},
		}
		for name, run := range load {
			t.Run(name, func(t *testing.T) {
				s2 := session.New(eng)
				defer s2.Close(ctx)
				got := run(s2)
				require.Len(t, got, 3)
				got[0], got[2] = got[2], got[0] // the caller's slice: no child follows it
				rec := dbtest.Record(eng)
				for _, u := range got {
					as, loaded := u.Addresses.Cached()
					require.True(t, loaded, u.Name)
					require.Equal(t, want[u.Name], emails(as), u.Name)
					for _, a := range as {
						owner, ok := a.User.Cached()
						require.True(t, ok, a.Email)
						require.Same(t, u, owner, a.Email)
						same, err := session.Get[RAddress](ctx, s2, a.ID)
						require.NoError(t, err)
						require.Same(t, a, same, "one object per row")
					}
				}
				require.Empty(t, rec.SQL(), "identity-map hits and loaded sides need no SQL")
				byName := map[string]*RUser{}
				for _, u := range got {
					byName[u.Name] = u
				}
				for _, u := range run(s2) {
					require.Same(t, byName[u.Name], u, "a second load maps the same objects")
				}
				rec.Reset()
				require.NoError(t, s2.Flush(ctx))
				require.Empty(t, filterSQL(rec.SQL(), "UPDATE"), "nothing changed")
				as, _ := got[1].Addresses.Cached()
				as[2].Email = "changed@x"
				require.NoError(t, s2.Flush(ctx))
				require.Len(t, filterSQL(rec.SQL(), "UPDATE"), 1, "%v", rec.SQL())
				require.NoError(t, s2.Rollback(ctx))
			})
		}
	})
}

package session_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// Spec §10 with explicit ON conditions (acceptance item 14, the parts
// that need no relationship).
func TestQueryJoins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		A := expr.Cols[QAddress]()
		type UA struct {
			QUser    *QUser
			QAddress *QAddress
		}

		// implicit: query(User, Address).filter(User.id==Address.user_id)...
		imp, err := session.Rows[UA](session.Select[QUser]().Select(U, A).
			Where(expr.On(&U.ID, &A.UserID)).Where(expr.Eq(&A.Email, "jack@google.com"))).All(ctx)
		require.NoError(t, err)
		require.Len(t, imp, 1)
		assert.Equal(t, "jack", imp[0].QUser.Name)
		assert.Equal(t, "jack@google.com", imp[0].QAddress.Email)
		assert.Equal(t, "SELECT users.id, users.name, users.fullname, users.nickname, addresses.id, addresses.email_address, addresses.user_id FROM users, addresses WHERE users.id = addresses.user_id AND addresses.email_address = ?", lastSelect(t, rec.SQL()))

		// query(User).join(Address, User.id==Address.user_id)
		joined, err := session.Select[QUser]().Join(A, expr.On(&U.ID, &A.UserID)).Where(expr.Eq(&A.Email, "jack@google.com")).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"jack"}, names(joined))
		assert.Same(t, imp[0].QUser, joined[0])
		assert.Equal(t, "SELECT users.id, users.name, users.fullname, users.nickname FROM users JOIN addresses ON users.id = addresses.user_id WHERE addresses.email_address = ?", lastSelect(t, rec.SQL()))
		// FilterBy after Join filters on the join target
		fb, err := session.Select[QUser]().Join(A, expr.On(&U.ID, &A.UserID)).FilterBy(expr.P{"Email": "j25@yahoo.com"}).One(ctx)
		require.NoError(t, err)
		assert.Same(t, joined[0], fb)

		// outer join
		type UN struct {
			Name  string
			Email *string
		}
		outer, err := session.Rows[UN](session.Select[QUser]().Select(&U.Name, &A.Email).OuterJoin(A, expr.On(&U.ID, &A.UserID)).OrderBy(&U.ID, &A.ID)).All(ctx)
		require.NoError(t, err)
		require.Len(t, outer, 6)
		assert.Nil(t, outer[0].Email)
		assert.Equal(t, "jack@google.com", *outer[4].Email)
		assert.Contains(t, lastSelect(t, rec.SQL()), "FROM users LEFT OUTER JOIN addresses ON users.id = addresses.user_id")

		// query(User, Address).select_from(Address).join(User, ...)
		sf, err := session.Rows[UA](session.Select[QUser]().Select(U, A).SelectFrom(A).Join(U, expr.On(&U.ID, &A.UserID)).OrderBy(&A.ID)).All(ctx)
		require.NoError(t, err)
		require.Len(t, sf, 2)
		assert.Same(t, joined[0], sf[0].QUser)
		assert.Same(t, sf[0].QUser, sf[1].QUser)
		assert.Contains(t, lastSelect(t, rec.SQL()), "FROM addresses JOIN users ON users.id = addresses.user_id ORDER BY addresses.id")

		// An outer-joined missing entity is nil.
		type UAo struct {
			QUser    *QUser
			QAddress *QAddress
		}
		oe, err := session.Rows[UAo](session.Select[QUser]().Select(U, A).OuterJoin(A, expr.On(&U.ID, &A.UserID)).Where(expr.Eq(&U.Name, "ed"))).One(ctx)
		require.NoError(t, err)
		assert.Equal(t, "ed", oe.QUser.Name)
		assert.Nil(t, oe.QAddress)
	})
}

// Spec §10.1: two aliases of one table in one query.
func TestQueryAliases(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		a1, a2 := session.Alias[QAddress](""), session.Alias[QAddress]("")
		A1, A2 := a1.Cols(), a2.Cols()
		type Row struct {
			Name   string
			Email1 string
			Email2 string
		}
		rows, err := session.Rows[Row](session.Select[QUser]().Select(&U.Name, &A1.Email, &A2.Email).
			Join(a1, expr.On(&U.ID, &A1.UserID)).Join(a2, expr.On(&U.ID, &A2.UserID)).
			Where(expr.Eq(&A1.Email, "jack@google.com")).Where(expr.Eq(&A2.Email, "j25@yahoo.com"))).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []Row{{"jack", "jack@google.com", "j25@yahoo.com"}}, rows)
		assert.Equal(t, "SELECT users.name, addresses_1.email_address, addresses_2.email_address FROM users JOIN addresses AS addresses_1 ON users.id = addresses_1.user_id JOIN addresses AS addresses_2 ON users.id = addresses_2.user_id WHERE addresses_1.email_address = ? AND addresses_2.email_address = ?", lastSelect(t, rec.SQL()))

		// Two aliases of users: pairs of users whose names differ, self join.
		u2 := session.Alias[QUser]("u2")
		U2 := u2.Cols()
		type Pair struct {
			QUser *QUser
			U2    *QUser
		}
		pairs, err := session.Rows[Pair](session.Select[QUser]().Select(U, U2).Join(u2, expr.Col(&U2.ID).Eq(expr.Col(&U.ID).Add(1))).Where(expr.Eq(&U.Name, "ed"))).All(ctx)
		require.NoError(t, err)
		require.Len(t, pairs, 1)
		assert.Equal(t, "ed", pairs[0].QUser.Name)
		assert.Equal(t, d.ids["ed"]+1, pairs[0].U2.ID)
	})
}

// Spec §10.2: a grouped subquery outer-joined (jack 2, others NULL), and
// entities from a subquery as identity-mapped objects.
func TestQuerySubqueries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		A := expr.Cols[QAddress]()

		type AddrCount struct {
			UserID       *int64
			AddressCount int64
		}
		sq, S, err := session.Subquery[AddrCount](session.Select[QAddress]().Select(&A.UserID, expr.Label(expr.CountAll(), "address_count")).GroupBy(&A.UserID), "")
		require.NoError(t, err)
		type Row struct {
			QUser        *QUser
			AddressCount *int64
		}
		rows, err := session.Rows[Row](session.Select[QUser]().Select(U, &S.AddressCount).OuterJoin(sq, expr.On(&U.ID, &S.UserID)).OrderBy(&U.ID)).All(ctx)
		require.NoError(t, err)
		require.Len(t, rows, 5)
		for _, r := range rows[:4] {
			assert.Nil(t, r.AddressCount, r.QUser.Name)
		}
		assert.Equal(t, "jack", rows[4].QUser.Name)
		assert.EqualValues(t, 2, *rows[4].AddressCount)
		assert.Equal(t, "SELECT users.id, users.name, users.fullname, users.nickname, anon_1.address_count FROM users LEFT OUTER JOIN (SELECT addresses.user_id, count(*) AS address_count FROM addresses GROUP BY addresses.user_id) AS anon_1 ON users.id = anon_1.user_id ORDER BY users.id", lastSelect(t, rec.SQL()))

		// Entity from a subquery.
		esq, SA, err := session.EntitySubquery(session.Select[QAddress]().Where(expr.Ne(&A.Email, "j25@yahoo.com")), "")
		require.NoError(t, err)
		type UA struct {
			QUser    *QUser
			QAddress *QAddress
		}
		ua, err := session.Rows[UA](session.Select[QUser]().Select(U, SA).Join(esq, expr.On(&U.ID, &SA.UserID))).All(ctx)
		require.NoError(t, err)
		require.Len(t, ua, 1)
		assert.Equal(t, "jack", ua[0].QUser.Name)
		assert.Equal(t, "jack@google.com", ua[0].QAddress.Email)
		assert.Equal(t, "SELECT users.id, users.name, users.fullname, users.nickname, anon_1.id, anon_1.email_address, anon_1.user_id FROM users JOIN (SELECT addresses.id, addresses.email_address, addresses.user_id FROM addresses WHERE addresses.email_address != ?) AS anon_1 ON users.id = anon_1.user_id", lastSelect(t, rec.SQL()))
		// ...and it is the session's object.
		same, err := session.Select[QAddress]().Where(expr.Eq(&A.Email, "jack@google.com")).One(ctx)
		require.NoError(t, err)
		assert.Same(t, ua[0].QAddress, same)
		// SelectAs reads entities straight from the subquery.
		direct, err := session.SelectAs[QAddress](esq).OrderBy(&SA.ID).All(ctx)
		require.NoError(t, err)
		require.Len(t, direct, 1)
		assert.Same(t, same, direct[0])

		// A scalar subquery as an expression.
		type NC struct {
			Name string
			N    int64
		}
		cnt := &expr.ScalarSubquery{Sel: session.Select[QAddress]().Select(expr.CountAll()).Where(expr.On(&A.UserID, &U.ID)).Statement()}
		nc, err := session.Rows[NC](session.Select[QUser]().Select(&U.Name, expr.Label(cnt, "n")).OrderBy(&U.ID)).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, NC{"ed", 0}, nc[0])
		assert.Equal(t, NC{"jack", 2}, nc[4])
	})
}

// Spec §10.3: a correlated EXISTS.
func TestQueryExists(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		A := expr.Cols[QAddress]()
		has := session.ExistsQuery(session.Select[QAddress]().Where(expr.On(&A.UserID, &U.ID)))
		type N struct{ Name string }
		got, err := session.Rows[N](session.Select[QUser]().Select(&U.Name).Where(has)).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []N{{"jack"}}, got)
		assert.Equal(t, "SELECT users.name FROM users WHERE EXISTS (SELECT 1 FROM addresses WHERE addresses.user_id = users.id)", lastSelect(t, rec.SQL()))
		like := session.ExistsQuery(session.Select[QAddress]().Where(expr.On(&A.UserID, &U.ID), expr.Like(&A.Email, "%google%")))
		got, err = session.Rows[N](session.Select[QUser]().Select(&U.Name).Where(like)).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []N{{"jack"}}, got)
		// NOT EXISTS: the users without addresses
		none, err := session.Select[QUser]().Where(expr.Not(has)).OrderBy(&U.ID).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"ed", "wendy", "mary", "fred"}, names(none))
		assert.Contains(t, lastSelect(t, rec.SQL()), "WHERE NOT (EXISTS (SELECT 1 FROM addresses WHERE addresses.user_id = users.id))")
	})
}

// UNION / UNION ALL, CTEs and FOR UPDATE.
func TestQueryUnionCTELock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		A := expr.Cols[QAddress]()
		q1 := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed"))
		q2 := session.Select[QUser]().Where(expr.Like(&U.Name, "%ed"))
		u, err := q1.Union(q2).OrderBy(&U.ID).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"ed", "fred"}, names(u))
		assert.Equal(t, "SELECT anon_1.id, anon_1.name, anon_1.fullname, anon_1.nickname FROM (SELECT users.id, users.name, users.fullname, users.nickname FROM users WHERE users.name = ? UNION SELECT users.id, users.name, users.fullname, users.nickname FROM users WHERE users.name LIKE ?) AS anon_1 ORDER BY anon_1.id", lastSelect(t, rec.SQL()))
		n, err := q1.UnionAll(q2).Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		ua, err := q1.UnionAll(q2).Where(expr.Eq(&U.Name, "ed")).All(ctx)
		require.NoError(t, err)
		assert.Len(t, ua, 1, "entities are de-duplicated")

		// CTE: WITH counts AS (...) SELECT ... JOIN counts
		type AddrCount struct {
			UserID *int64
			N      int64
		}
		cte, C, err := session.CTE[AddrCount](session.Select[QAddress]().Select(&A.UserID, expr.Label(expr.CountAll(), "n")).GroupBy(&A.UserID), "counts")
		require.NoError(t, err)
		type Row struct {
			Name string
			N    int64
		}
		rows, err := session.Rows[Row](session.Select[QUser]().With(cte).Select(&U.Name, &C.N).Join(cte, expr.On(&U.ID, &C.UserID))).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []Row{{"jack", 2}}, rows)
		assert.Equal(t, "WITH counts AS (SELECT addresses.user_id, count(*) AS n FROM addresses GROUP BY addresses.user_id) SELECT users.name, counts.n FROM users JOIN counts ON users.id = counts.user_id", lastSelect(t, rec.SQL()))

		// FOR UPDATE: rendered where the dialect has row locks, left out on
		// SQLite; a share lock is LOCK IN SHARE MODE without FOR SHARE (MariaDB).
		dl := eng.Dialect()
		share := " FOR SHARE"
		if !dl.Has(dialect.ForShare) {
			share = " LOCK IN SHARE MODE"
		}
		for _, c := range []struct {
			mode session.LockMode
			pg   string
		}{{session.ForUpdateWait, " FOR UPDATE"}, {session.ForUpdateNoWait, " FOR UPDATE NOWAIT"}, {session.ForUpdateSkipLocked, " FOR UPDATE SKIP LOCKED"}, {session.ForShare, share}} {
			rec.Reset()
			got, err := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).ForUpdate(c.mode).All(ctx)
			require.NoError(t, err)
			assert.Equal(t, []string{"ed"}, names(got))
			want := "SELECT users.id, users.name, users.fullname, users.nickname FROM users WHERE users.name = ?"
			if dl.Has(dialect.ForUpdate) {
				want += c.pg
			}
			assert.Equal(t, want, lastSelect(t, rec.SQL()))
		}
		// First keeps the lock after LIMIT
		rec.Reset()
		_, err = session.Select[QUser]().ForUpdate().First(ctx)
		require.NoError(t, err)
		if dl.Has(dialect.ForUpdate) {
			assert.Contains(t, lastSelect(t, rec.SQL()), "LIMIT ? FOR UPDATE")
		}
		_, err = session.Select[QUser]().ForUpdate("UPDATE; DROP").All(ctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		require.NoError(t, d.s.Commit(ctx))
	})
}

// On PostgreSQL the lock modes really lock: a second session skips the
// locked row with SKIP LOCKED and fails at once with NOWAIT.
func TestQueryForUpdateLocksPG(t *testing.T) {
	dbtest.RequirePG(t)
	eng := dbtest.Open(t, "postgres")
	d := seedTutorial(t, eng)
	U := expr.Cols[QUser]()
	// Session A locks ed.
	ed, err := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).ForUpdate().One(d.ctx)
	require.NoError(t, err)
	assert.Equal(t, "ed", ed.Name)

	b := session.New(eng)
	defer b.Close(d.ctx)
	bctx := session.With(d.ctx, b)
	rest, err := session.Select[QUser]().OrderBy(&U.ID).ForUpdate(session.ForUpdateSkipLocked).All(bctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"wendy", "mary", "fred", "jack"}, names(rest))
	require.NoError(t, b.Rollback(d.ctx))

	_, err = session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).ForUpdate(session.ForUpdateNoWait).All(bctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "could not obtain lock")
	require.NoError(t, b.Rollback(d.ctx))

	// Once A ends its transaction, B gets the row.
	require.NoError(t, d.s.Rollback(d.ctx))
	got, err := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).ForUpdate(session.ForUpdateNoWait).One(bctx)
	require.NoError(t, err)
	assert.Equal(t, "ed", got.Name)
}

package session_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// Spec §7.5 (acceptance item 10): All, First, One, OneOrNone, Scalar.
func TestQueryResults(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		q := session.Select[QUser]().Where(expr.Like(&U.Name, "%ed")).OrderBy(&U.ID)

		all, err := q.All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"ed", "fred"}, names(all))
		assert.NotContains(t, lastSelect(t, rec.SQL()), "LIMIT")

		first, err := q.First(ctx)
		require.NoError(t, err)
		assert.Same(t, all[0], first)
		assert.Contains(t, lastSelect(t, rec.SQL()), "ORDER BY users.id LIMIT ?")

		_, err = q.One(ctx)
		assert.ErrorIs(t, err, arcerr.ErrMultipleRows)
		_, err = q.Where(expr.Eq(&U.ID, int64(99))).One(ctx)
		assert.ErrorIs(t, err, arcerr.ErrNotFound)
		none, err := q.Where(expr.Eq(&U.ID, int64(99))).OneOrNone(ctx)
		require.NoError(t, err)
		assert.Nil(t, none)
		_, err = q.OneOrNone(ctx)
		assert.ErrorIs(t, err, arcerr.ErrMultipleRows)
		_, err = q.Where(expr.Eq(&U.ID, int64(99))).First(ctx)
		assert.ErrorIs(t, err, arcerr.ErrNotFound)

		// scalar(): query(User.id).filter(User.name == 'ed').scalar() -> ed's id
		id, err := session.Scalar[int64](ctx, session.Select[QUser]().Select(&U.ID).Where(expr.Eq(&U.Name, "ed")).OrderBy(&U.ID))
		require.NoError(t, err)
		assert.Equal(t, d.ids["ed"], id)
		// no row: reported distinctly (ErrNotFound), not as a zero value
		_, err = session.Scalar[int64](ctx, session.Select[QUser]().Select(&U.ID).Where(expr.Eq(&U.Name, "nobody")))
		assert.ErrorIs(t, err, arcerr.ErrNotFound)
		// a NULL value is not "no row"
		np, err := session.Scalar[*string](ctx, session.Select[QUser]().Select(expr.Raw("NULL")).Where(expr.Eq(&U.Name, "ed")))
		require.NoError(t, err)
		assert.Nil(t, np)
		_, err = session.Scalar[int64](ctx, session.Select[QUser]().Select(&U.ID))
		assert.ErrorIs(t, err, arcerr.ErrMultipleRows)
		// an entity query's scalar is the object
		ed, err := session.Scalar[*QUser](ctx, session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")))
		require.NoError(t, err)
		assert.Same(t, all[0], ed)

		// Entity results keep unflushed changes; PopulateExisting overwrites.
		ed.Fullname = "changed"
		err = d.s.NoAutoflush(func() error {
			again, err := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).One(ctx)
			assert.Equal(t, "changed", again.Fullname)
			if err != nil {
				return err
			}
			again, err = session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).PopulateExisting().One(ctx)
			assert.Equal(t, "Ed Jones", again.Fullname)
			return err
		})
		require.NoError(t, err)

		// NoTrack: new objects outside the identity map, not flushed.
		loose, err := q.NoTrack().All(ctx)
		require.NoError(t, err)
		require.Len(t, loose, 2)
		assert.NotSame(t, all[0], loose[0])
		assert.Equal(t, "ed", loose[0].Name)
		assert.False(t, d.s.Contains(loose[0]))
		loose[0].Fullname = "not saved"
		assert.Empty(t, d.s.Dirty())
		type UN struct {
			QUser *QUser
			Name  string
		}
		looseRows, err := session.Rows[UN](q.AddColumns(&U.Name).NoTrack()).All(ctx)
		require.NoError(t, err)
		require.Len(t, looseRows, 2)
		assert.NotSame(t, all[0], looseRows[0].QUser)
		assert.False(t, d.s.Contains(looseRows[0].QUser))
		for u, err := range q.NoTrack().Iter(ctx) {
			require.NoError(t, err)
			assert.False(t, d.s.Contains(u))
		}

		// Iteration streams entities.
		var streamed []string
		for u, err := range q.Iter(ctx) {
			require.NoError(t, err)
			streamed = append(streamed, u.Name)
		}
		assert.Equal(t, []string{"ed", "fred"}, streamed)
		type N struct{ Name string }
		var rstream []string
		for r, err := range session.Rows[N](q.Select(&U.Name)).Iter(ctx) {
			require.NoError(t, err)
			rstream = append(rstream, r.Name)
		}
		assert.Equal(t, []string{"ed", "fred"}, rstream)

		// Exists
		ok, err := q.Exists(ctx)
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = q.Where(expr.Eq(&U.Name, "nobody")).Exists(ctx)
		require.NoError(t, err)
		assert.False(t, ok)

		// Rows: One / OneOrNone / First
		r1, err := session.Rows[N](q.Select(&U.Name)).First(ctx)
		require.NoError(t, err)
		assert.Equal(t, "ed", r1.Name)
		_, err = session.Rows[N](q.Select(&U.Name)).One(ctx)
		assert.ErrorIs(t, err, arcerr.ErrMultipleRows)
		_, ok, err = session.Rows[N](q.Select(&U.Name).Where(expr.Eq(&U.Name, "x"))).OneOrNone(ctx)
		require.NoError(t, err)
		assert.False(t, ok)
		_, err = session.Rows[N](q.Select(&U.Name).Where(expr.Eq(&U.Name, "x"))).First(ctx)
		assert.ErrorIs(t, err, arcerr.ErrNotFound)
	})
}

// Entity rows are de-duplicated by identity, column rows never (§7.5);
// Count counts SQL rows (§7.7).
func TestQueryDedup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		U := expr.Cols[QUser]()
		A := expr.Cols[QAddress]()
		q := session.Select[QUser]().Join(A, expr.On(&U.ID, &A.UserID))
		users, err := q.All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"jack"}, names(users))
		n, err := q.Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		type R struct {
			QUser *QUser
		}
		rows, err := session.Rows[R](q.Select(U)).All(ctx)
		require.NoError(t, err)
		assert.Len(t, rows, 1)
		type C struct{ Name string }
		cols, err := session.Rows[C](q.Select(&U.Name)).All(ctx)
		require.NoError(t, err)
		assert.Len(t, cols, 2)
	})
}

// Spec §7.6 (acceptance item 11): textual SQL in Where and OrderBy, Params,
// FromStatement by name and by position, a column subset.
func TestQueryText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()

		got, err := session.Select[QUser]().Where(expr.Text("id<224")).OrderBy(expr.Text("id")).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"ed", "wendy", "mary", "fred", "jack"}, names(got))
		assert.Equal(t, "SELECT users.id, users.name, users.fullname, users.nickname FROM users WHERE id<224 ORDER BY id", lastSelect(t, rec.SQL()))

		fred, err := session.Select[QUser]().Where(expr.Text("id<:value and name=:name")).
			Params(expr.P{"value": 224}).Params(expr.P{"name": "fred"}).OrderBy(&U.ID).One(ctx)
		require.NoError(t, err)
		assert.Equal(t, "fred", fred.Name)
		assert.Contains(t, lastSelect(t, rec.SQL()), "WHERE id<? and name=? ORDER BY users.id")

		// by name: the statement runs unchanged
		eds, err := session.Select[QUser]().FromStatement(expr.Text("SELECT * FROM users where name=:name")).Params(expr.P{"name": "ed"}).All(ctx)
		require.NoError(t, err)
		require.Len(t, eds, 1)
		assert.Equal(t, "ed", eds[0].Name)
		assert.Equal(t, "eddie", eds[0].Nickname)
		assert.Equal(t, "SELECT * FROM users where name=?", norm(rec.SQL()[len(rec.SQL())-1]))
		first, err := session.Select[QUser]().FromStatement(expr.Text("SELECT * FROM users ORDER BY id")).First(ctx)
		require.NoError(t, err)
		assert.Same(t, eds[0], first)
		assert.Equal(t, "SELECT * FROM users ORDER BY id", norm(rec.SQL()[len(rec.SQL())-1]), "no LIMIT added to a FromStatement")

		// by position
		pos, err := session.Select[QUser]().FromStatement(
			expr.Text("SELECT name, id, fullname, nickname FROM users where name=:name").Columns(&U.Name, &U.ID, &U.Fullname, &U.Nickname),
		).Params(expr.P{"name": "ed"}).All(ctx)
		require.NoError(t, err)
		require.Len(t, pos, 1)
		assert.Same(t, eds[0], pos[0])
		// positional columns may carry any names
		anon, err := session.Select[QUser]().FromStatement(
			expr.Text("SELECT name AS a, id AS b, fullname AS c, nickname AS d FROM users where name=:name").Columns(&U.Name, &U.ID, &U.Fullname, &U.Nickname),
		).Params(expr.P{"name": "wendy"}).One(ctx)
		require.NoError(t, err)
		assert.Equal(t, "windy", anon.Nickname)

		// query(User.id, User.name).from_statement(text(...).columns(User.name, User.id))
		type IDName struct {
			ID   int64
			Name string
		}
		sub, err := session.Rows[IDName](session.Select[QUser]().Select(&U.ID, &U.Name).FromStatement(
			expr.Text("SELECT name, id FROM users where name=:name").Columns(&U.Name, &U.ID),
		).Params(expr.P{"name": "ed"})).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []IDName{{d.ids["ed"], "ed"}}, sub)

		// Errors: missing primary key; a statement type it cannot run.
		_, err = session.Select[QUser]().FromStatement(expr.Text("SELECT name FROM users")).All(ctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.ErrorContains(t, err, "primary key column id")
		rec.Reset()
		_, err = session.Select[QUser]().FromStatement(expr.Text("SELECT name FROM users").Columns(&U.Name)).All(ctx)
		assert.ErrorContains(t, err, "primary key column id")
		assert.Empty(t, rec.SQL(), "with Columns the error comes before any SQL")
		_, err = session.Select[QUser]().FromStatement(expr.Eq(&U.Name, "x")).All(ctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		_, err = session.Select[QUser]().Where(expr.Text("name = :missing")).All(ctx)
		assert.ErrorContains(t, err, ":missing")
	})
}

// Spec §7.7 (acceptance item 12): Count wraps a subquery; group-by
// counts; count(*) with SelectFrom; count(User.id).
func TestQueryCounting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		A := expr.Cols[QAddress]()

		n, err := session.Select[QUser]().Where(expr.Like(&U.Name, "%ed")).Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		assert.Equal(t, "SELECT count(*) FROM (SELECT users.id, users.name, users.fullname, users.nickname FROM users WHERE users.name LIKE ?) AS anon_1", lastSelect(t, rec.SQL()))

		type CountName struct {
			Count int64
			Name  string
		}
		groups, err := session.Rows[CountName](session.Select[QUser]().Select(expr.Count(&U.Name), &U.Name).Where(expr.Ne(&U.Name, "jack")).GroupBy(&U.Name).OrderBy(&U.Name)).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []CountName{{1, "ed"}, {1, "fred"}, {1, "mary"}, {1, "wendy"}}, groups)
		assert.Equal(t, "SELECT count(users.name), users.name FROM users WHERE users.name != ? GROUP BY users.name ORDER BY users.name", lastSelect(t, rec.SQL()))

		// HAVING
		type UC struct {
			UserID *int64
			N      int64
		}
		having, err := session.Rows[UC](session.Select[QAddress]().Select(&A.UserID, expr.Label(expr.CountAll(), "n")).GroupBy(&A.UserID).Having(expr.Col(expr.CountAll()).Gt(1))).All(ctx)
		require.NoError(t, err)
		require.Len(t, having, 1)
		assert.Equal(t, d.ids["jack"], *having[0].UserID)
		assert.EqualValues(t, 2, having[0].N)
		assert.Contains(t, lastSelect(t, rec.SQL()), "GROUP BY addresses.user_id HAVING count(*) > ?")

		// query(func.count('*')).select_from(User).scalar() -> count(*) literally
		all, err := session.Scalar[int64](ctx, session.Select[QAddress]().Select(expr.CountAll()).SelectFrom(U))
		require.NoError(t, err)
		assert.EqualValues(t, 5, all)
		assert.Equal(t, "SELECT count(*) FROM users", lastSelect(t, rec.SQL()))

		ids, err := session.Scalar[int64](ctx, session.Select[QUser]().Select(expr.Count(&U.ID)))
		require.NoError(t, err)
		assert.EqualValues(t, 5, ids)
		assert.Equal(t, "SELECT count(users.id) FROM users", lastSelect(t, rec.SQL()))

		// Distinct
		dn, err := session.Rows[*int64](session.Select[QAddress]().Select(&A.UserID).Distinct()).All(ctx)
		require.NoError(t, err)
		assert.Len(t, dn, 1)
		assert.Contains(t, lastSelect(t, rec.SQL()), "SELECT DISTINCT addresses.user_id FROM addresses")
	})
}

// An error the database reports while rows are read (after the first
// ones came back) is a StatementError naming the statement, like an error
// of the query itself.
func TestQueryErrorWhileReadingRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		bad := "SELECT id, name, fullname, nickname FROM users WHERE 1/(id - (SELECT max(id) FROM users)) IS NOT NULL OR id < 0"
		switch eng.Dialect().Name() { // raw SQL: each database's own way to fail on one row
		case "sqlite":
			// SQLite's 1/0 is NULL; a malformed JSON document is an error.
			bad = "SELECT id, name, fullname, nickname FROM users WHERE json_extract(CASE WHEN id = (SELECT max(id) FROM users) THEN 'x' ELSE '{}' END, '$') IS NOT NULL"
		case "mysql":
			// MySQL's 1/0 is NULL too; a scalar subquery of several rows
			// (on the last user only) is an error.
			bad = "SELECT id, name, fullname, nickname FROM users WHERE (SELECT u2.id FROM users u2 WHERE users.id = (SELECT max(id) FROM users)) IS NOT NULL OR id > 0"
		}
		_, err := session.Select[QUser]().FromStatement(expr.Text(bad)).All(d.ctx)
		require.Error(t, err)
		var se *arcerr.StatementError
		require.ErrorAs(t, err, &se, "%v", err)
		assert.Contains(t, se.SQL, "FROM users WHERE")
	})
}

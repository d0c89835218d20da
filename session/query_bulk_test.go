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

// Bulk Update and Delete keep the identity map in sync ("fetch": the
// statement returns the keys it touched) and refuse to run without a
// condition unless AllRows().
func TestQueryBulk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		A := expr.Cols[QAddress]()

		users, err := session.Select[QUser]().OrderBy(&U.ID).All(ctx)
		require.NoError(t, err)
		ed, fred := users[0], users[3]

		rec.Reset()
		n, err := session.Select[QUser]().Where(expr.Like(&U.Name, "%ed")).Update(ctx, expr.P{"Nickname": "bulk", "fullname": "Bulk Name"})
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		ups := rec.SQL()
		require.NotEmpty(t, ups)
		if eng.Dialect().Has(dialect.ReturningUpdate) {
			assert.Equal(t, "UPDATE users SET fullname = ?, nickname = ? WHERE users.name LIKE ? RETURNING id", norm(ups[len(ups)-1]))
		} else {
			// No UPDATE ... RETURNING (MySQL, MariaDB): the keys are read first.
			assert.Equal(t, "SELECT users.id FROM users WHERE users.name LIKE ?", norm(ups[len(ups)-2]))
			assert.Equal(t, "UPDATE users SET fullname = ?, nickname = ? WHERE users.name LIKE ?", norm(ups[len(ups)-1]))
		}
		// loaded objects see the new values and are not dirty
		assert.Equal(t, "bulk", ed.Nickname)
		assert.Equal(t, "Bulk Name", fred.Fullname)
		assert.Equal(t, "windy", users[1].Nickname)
		assert.False(t, d.s.IsModified(ed))
		assert.Empty(t, d.s.Dirty())

		// an expression value expires the matched objects; their next
		// load brings the database's value
		n, err = session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).Update(ctx, expr.P{"Nickname": expr.Func("upper", &U.Nickname)})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		again, err := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).One(ctx)
		require.NoError(t, err)
		assert.Same(t, ed, again)
		assert.Equal(t, "BULK", ed.Nickname)

		// nullable columns take plain values
		jackID := d.ids["jack"]
		addrs, err := session.Select[QAddress]().OrderBy(&A.ID).All(ctx)
		require.NoError(t, err)
		n, err = session.Select[QAddress]().Where(expr.Eq(&A.Email, "j25@yahoo.com")).Update(ctx, expr.P{"UserID": d.ids["ed"]})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		require.NotNil(t, addrs[1].UserID)
		assert.Equal(t, d.ids["ed"], *addrs[1].UserID)
		assert.Equal(t, jackID, *addrs[0].UserID)
		n, err = session.Select[QAddress]().Where(expr.Eq(&A.Email, "j25@yahoo.com")).Update(ctx, expr.P{"UserID": nil})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Nil(t, addrs[1].UserID)

		// Delete takes the matched objects out of the session (deleted until the commit).
		n, err = session.Select[QAddress]().Where(expr.IsNull(&A.UserID)).Delete(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.False(t, d.s.Contains(addrs[1]))
		assert.True(t, d.s.Contains(addrs[0]))
		left, err := session.Select[QAddress]().Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 1, left)

		// Autoflush runs first: a pending change is in the database before
		// the bulk statement.
		users[2].Nickname = "flushed"
		n, err = session.Select[QUser]().Where(expr.Eq(&U.Nickname, "flushed")).Update(ctx, expr.P{"Fullname": "M"})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Equal(t, "M", users[2].Fullname)

		// No condition: refused, unless AllRows.
		rec.Reset()
		_, err = session.Select[QUser]().Update(ctx, expr.P{"Nickname": "x"})
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.ErrorContains(t, err, "AllRows")
		_, err = session.Select[QAddress]().Delete(ctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.Empty(t, rec.SQL())
		n, err = session.Select[QAddress]().AllRows().Delete(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.False(t, d.s.Contains(addrs[0]))
		n, err = session.Select[QUser]().AllRows().Update(ctx, expr.P{"Nickname": "all"})
		require.NoError(t, err)
		assert.EqualValues(t, 5, n)
		for _, u := range users {
			assert.Equal(t, "all", u.Nickname)
		}

		// Bad input
		_, err = session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).Update(ctx, expr.P{"Nope": 1})
		assert.ErrorContains(t, err, `no field or column "Nope"`)
		_, err = session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).Limit(1).Delete(ctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		_, err = session.Select[QUser]().Join(A, expr.On(&U.ID, &A.UserID)).Where(expr.Eq(&U.Name, "ed")).Delete(ctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		_, err = session.Select[QUser]().Where(expr.Eq(&A.Email, "x")).Delete(ctx)
		assert.ErrorIs(t, err, arcerr.ErrNotAColumn)
		require.NoError(t, d.s.Commit(ctx))
	})
}

// Bad input is reported with a clear error, before any SQL runs.
func TestQueryBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		A := expr.Cols[QAddress]()
		loaded, err := session.Select[QUser]().First(ctx)
		require.NoError(t, err)
		rec.Reset()

		type two struct{ A, B string }
		type wrongEntity struct {
			U *QAddress
		}
		type colIntoEntity struct {
			Name *QUser
		}
		cases := []struct {
			name string
			run  func() error
			is   error
			msg  string
		}{
			{"column of a table not in the query", func() error {
				_, err := session.Select[QUser]().Where(expr.Eq(&A.Email, "x")).All(ctx)
				return err
			}, arcerr.ErrNotAColumn, "addresses.email_address (field QAddress.Email) is not in the FROM clause"},
			{"pointer into a loaded object", func() error {
				_, err := session.Select[QUser]().Where(expr.Eq(&loaded.Name, "x")).All(ctx)
				return err
			}, arcerr.ErrNotAColumn, "points into no model probe"},
			{"order by a column not in the query", func() error {
				_, err := session.Select[QUser]().OrderBy(&A.ID).All(ctx)
				return err
			}, arcerr.ErrNotAColumn, "addresses.id"},
			{"FilterBy unknown field", func() error {
				_, err := session.Select[QUser]().FilterBy(expr.P{"Emial": "x"}).All(ctx)
				return err
			}, arcerr.ErrInvalidRequest, `"Emial"`},
			{"Rows with too few fields", func() error {
				_, err := session.Rows[two](session.Select[QUser]().Select(&U.Name, &U.Fullname, &U.Nickname)).All(ctx)
				return err
			}, arcerr.ErrInvalidRequest, "no field left for selected item 3"},
			{"Rows with too many fields", func() error {
				_, err := session.Rows[two](session.Select[QUser]().Select(&U.Name)).All(ctx)
				return err
			}, arcerr.ErrInvalidRequest, "matches no selected item"},
			{"Rows entity of the wrong type", func() error {
				_, err := session.Rows[wrongEntity](session.Select[QUser]().Select(U)).All(ctx)
				return err
			}, arcerr.ErrInvalidRequest, "cannot hold entity QUser"},
			{"Rows column into an entity field", func() error {
				_, err := session.Rows[colIntoEntity](session.Select[QUser]().Select(&U.Name)).All(ctx)
				return err
			}, arcerr.ErrInvalidRequest, "is for an entity"},
			{"scalar of two items into one value", func() error {
				_, err := session.Rows[string](session.Select[QUser]().Select(&U.Name, &U.ID)).All(ctx)
				return err
			}, arcerr.ErrInvalidRequest, "selects 2 items"},
			{"All on a column query", func() error {
				_, err := session.Select[QUser]().Select(&U.Name).All(ctx)
				return err
			}, arcerr.ErrInvalidRequest, "session.Rows"},
			{"negative limit", func() error {
				_, err := session.Select[QUser]().Limit(-1).All(ctx)
				return err
			}, arcerr.ErrInvalidRequest, "Limit(-1)"},
			{"join without ON", func() error {
				_, err := session.Select[QUser]().Join(A, nil).All(ctx)
				return err
			}, arcerr.ErrInvalidRequest, "needs an ON condition"},
			{"join to a non-table", func() error {
				_, err := session.Select[QUser]().Join(42, expr.On(&U.ID, &A.UserID)).All(ctx)
				return err
			}, arcerr.ErrInvalidRequest, "int is not a table"},
			{"alias not in the query", func() error {
				a := session.Alias[QAddress]("a")
				_, err := session.Rows[[]any](session.Select[QUser]().Select(U, a)).All(ctx)
				return err
			}, arcerr.ErrNotAColumn, "alias of QAddress is not in the query"},
			{"SelectAs of another model", func() error {
				_, err := session.SelectAs[QUser](session.Alias[QAddress]("x")).All(ctx)
				return err
			}, arcerr.ErrInvalidRequest, "is not of model QUser"},
			{"Select of nothing", func() error {
				_, err := session.Select[QUser]().Select().Count(ctx)
				return err
			}, arcerr.ErrInvalidRequest, "Select of nothing"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := c.run()
				require.Error(t, err)
				assert.ErrorIs(t, err, c.is)
				assert.ErrorContains(t, err, c.msg)
			})
		}
		assert.Empty(t, rec.SQL(), "no SQL ran for bad input")
	})
}

// A bulk DELETE leaves the objects it matched as a flushed DELETE does:
// deleted until the commit, persistent again (same pointer, no SQL for
// Get) after a rollback, gone after a commit.
func TestQueryBulkDeleteRollback(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		U := expr.Cols[QUser]()
		wendy, err := session.Get[QUser](ctx, d.s, d.ids["wendy"])
		require.NoError(t, err)
		n, err := session.Select[QUser]().Where(expr.Eq(&U.Name, "wendy")).Delete(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.False(t, d.s.Contains(wendy))
		require.Equal(t, session.Deleted, d.s.StateOf(wendy))
		require.NoError(t, d.s.Flush(ctx))

		require.NoError(t, d.s.Rollback(ctx))
		require.Equal(t, session.Persistent, d.s.StateOf(wendy))
		rec := dbtest.Record(eng)
		again, err := session.Get[QUser](ctx, d.s, d.ids["wendy"])
		require.NoError(t, err)
		require.Same(t, wendy, again)
		require.Equal(t, 1, countRows(t, eng, "users", "name = ?", "wendy"))
		require.Len(t, filterSQL(rec.SQL(), "SELECT"), 1, "the rollback expired it: one reload")

		_, err = session.Select[QUser]().Where(expr.Eq(&U.Name, "wendy")).Delete(ctx)
		require.NoError(t, err)
		require.NoError(t, d.s.Commit(ctx))
		require.False(t, d.s.Contains(wendy), "detached by the commit")
		_, err = session.Get[QUser](ctx, d.s, d.ids["wendy"])
		require.ErrorIs(t, err, arcerr.ErrNotFound)
		require.Equal(t, 0, countRows(t, eng, "users", "name = ?", "wendy"))
	})
}

// A bulk Update that changes a primary key moves the matched object to
// its new key in the identity map (a rollback moves it back); when an
// expression computes the new key, the object leaves the session.
func TestQueryBulkUpdateKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		U := expr.Cols[QUser]()
		edID := d.ids["ed"]
		ed, err := session.Get[QUser](ctx, d.s, edID)
		require.NoError(t, err)
		n, err := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).Update(ctx, expr.P{"ID": int64(1000), "Fullname": "Edward"})
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		assert.EqualValues(t, 1000, ed.ID)
		assert.Equal(t, "Edward", ed.Fullname)
		rec := dbtest.Record(eng)
		again, err := session.Get[QUser](ctx, d.s, int64(1000))
		require.NoError(t, err)
		assert.Same(t, ed, again)
		assert.Empty(t, rec.SQL(), "found in the identity map under its new key")
		_, err = session.Get[QUser](ctx, d.s, edID)
		require.ErrorIs(t, err, arcerr.ErrNotFound, "the old key is no longer mapped")

		require.NoError(t, d.s.Rollback(ctx))
		assert.EqualValues(t, edID, ed.ID, "the rollback restores the key")
		again, err = session.Get[QUser](ctx, d.s, edID)
		require.NoError(t, err)
		assert.Same(t, ed, again)
		assert.Equal(t, "Ed Jones", again.Fullname)

		// The new key from an expression: the object is expunged.
		_, err = session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).Update(ctx, expr.P{"ID": expr.Col(&U.ID).Add(int64(2000))})
		require.NoError(t, err)
		assert.False(t, d.s.Contains(ed), "expunged")
		moved, err := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).One(ctx)
		require.NoError(t, err)
		assert.NotSame(t, ed, moved)
		assert.EqualValues(t, edID+2000, moved.ID)
		require.NoError(t, d.s.Commit(ctx))
	})
}

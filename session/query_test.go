package session_test

import (
	"fmt"
	"sync"
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

// Spec §7.1 (acceptance item 7): ordering, column tuples, entity+column
// rows, labels and aliases.
func TestQueryBasics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()

		all, err := session.Select[QUser]().OrderBy(&U.ID).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"ed", "wendy", "mary", "fred", "jack"}, names(all))
		assert.Equal(t, "Ed Jones", all[0].Fullname)
		assert.Equal(t, "SELECT users.id, users.name, users.fullname, users.nickname FROM users ORDER BY users.id", lastSelect(t, rec.SQL()))

		// for name, fullname in query(User.name, User.fullname)
		type NameFull struct{ Name, Fullname string }
		rows, err := session.Rows[NameFull](session.Select[QUser]().Select(&U.Name, &U.Fullname).OrderBy(&U.ID)).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, NameFull{"ed", "Ed Jones"}, rows[0])
		assert.Len(t, rows, 5)
		assert.Equal(t, "SELECT users.name, users.fullname FROM users ORDER BY users.id", lastSelect(t, rec.SQL()))

		// query(User, User.name): the entity is the identity map's object.
		type UserName struct {
			QUser *QUser
			Name  string
		}
		mix, err := session.Rows[UserName](session.Select[QUser]().AddColumns(&U.Name).OrderBy(&U.ID)).All(ctx)
		require.NoError(t, err)
		require.Len(t, mix, 5)
		assert.Same(t, all[0], mix[0].QUser)
		assert.Equal(t, "ed", mix[0].Name)
		assert.Equal(t, "wendy", mix[1].Name)

		// Tuples as []any.
		tup, err := session.Rows[[]any](session.Select[QUser]().Select(U, &U.Name).OrderBy(&U.ID)).First(ctx)
		require.NoError(t, err)
		assert.Same(t, all[0], tup[0])
		assert.Equal(t, "ed", fmt.Sprint(asString(tup[1])))

		// label
		type Labeled struct{ NameLabel string }
		lab, err := session.Rows[Labeled](session.Select[QUser]().Select(expr.Label(&U.Name, "name_label")).OrderBy(&U.ID)).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, "ed", lab[0].NameLabel)
		assert.Equal(t, "SELECT users.name AS name_label FROM users ORDER BY users.id", lastSelect(t, rec.SQL()))

		// aliased(User, name='user_alias'); query(user_alias, user_alias.name)
		ua := session.Alias[QUser]("user_alias")
		UA := ua.Cols()
		type AliasRow struct {
			UserAlias *QUser
			Name      string
		}
		ar, err := session.Rows[AliasRow](session.SelectAs[QUser](ua).Select(UA, &UA.Name).OrderBy(&UA.ID)).All(ctx)
		require.NoError(t, err)
		require.Len(t, ar, 5)
		assert.Same(t, all[0], ar[0].UserAlias, "an alias row is the same identity-mapped object")
		assert.Equal(t, "ed", ar[0].Name)
		assert.Equal(t, "SELECT user_alias.id, user_alias.name, user_alias.fullname, user_alias.nickname, user_alias.name FROM users AS user_alias ORDER BY user_alias.id", lastSelect(t, rec.SQL()))

		// An alias query returns entities through All.
		viaAlias, err := session.SelectAs[QUser](ua).Where(expr.Eq(&UA.Name, "wendy")).One(ctx)
		require.NoError(t, err)
		assert.Same(t, all[1], viaAlias)
	})
}

func asString(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// A query is an immutable value: a base shared by goroutines never
// accumulates their conditions (spec §7.1 "generative").
func TestQueryImmutableShared(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		U := expr.Cols[QUser]()
		base := session.Select[QUser]().Where(expr.Ne(&U.Name, "nobody")).OrderBy(&U.ID)
		before, _, err := base.SQL(eng.Dialect())
		require.NoError(t, err)

		who := []string{"ed", "wendy", "mary", "fred", "jack"}
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(name string) {
				defer wg.Done()
				q := base.Where(expr.Eq(&U.Name, name)).Limit(3)
				sqlText, args, err := q.SQL(eng.Dialect())
				if err != nil {
					errs <- err
					return
				}
				if len(args) != 3 || args[1] != name {
					errs <- fmt.Errorf("args %v for %s (%s)", args, name, sqlText)
				}
				// run against a per-goroutine session
				s := session.New(eng)
				defer s.Close(d.ctx)
				got, err := q.WithFallback(nil).All(session.With(d.ctx, s))
				if err != nil {
					errs <- err
					return
				}
				if len(got) != 1 || got[0].Name != name {
					errs <- fmt.Errorf("%s: got %v", name, names(got))
				}
			}(who[i%len(who)])
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		after, args, err := base.SQL(eng.Dialect())
		require.NoError(t, err)
		assert.Equal(t, before, after)
		assert.Equal(t, []any{"nobody"}, args)
		n, err := base.Count(d.ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 5, n)
	})
}

// Spec §7.1/§7.2 (acceptance item 8): LIMIT/OFFSET, slices, and the
// errors for Where after Limit, negative values; OrderBy(nil).
func TestQueryLimitOffset(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		q := session.Select[QUser]().Where(expr.Ne(&U.Name, "jack")).OrderBy(&U.ID)
		base := "SELECT users.id, users.name, users.fullname, users.nickname FROM users WHERE users.name != ? ORDER BY users.id"
		limitAll := " LIMIT -1 OFFSET ?"
		if eng.Dialect().Has(dialect.LimitAll) {
			limitAll = " LIMIT ALL OFFSET ?"
		} else if ml, ok := eng.Dialect().(dialect.MaxLimiter); ok {
			limitAll = " LIMIT " + ml.MaxLimit() + " OFFSET ?"
		}
		cases := []struct {
			name string
			q    *session.Query[QUser]
			sql  string
			args []any
			want []string
		}{
			{"[1:3]", q.Slice(1, 3), base + " LIMIT ? OFFSET ?", []any{"jack", int64(2), int64(1)}, []string{"wendy", "mary"}},
			{"[:2]", q.Slice(0, 2), base + " LIMIT ?", []any{"jack", int64(2)}, []string{"ed", "wendy"}},
			{"[2:]", q.Slice(2, -1), base + limitAll, nil, []string{"mary", "fred"}},
			{"[1]", q.Slice(1, 2), base + " LIMIT ? OFFSET ?", []any{"jack", int64(1), int64(1)}, []string{"wendy"}},
			{"limit(2).offset(1)", q.Limit(2).Offset(1), base + " LIMIT ? OFFSET ?", []any{"jack", int64(2), int64(1)}, []string{"wendy", "mary"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				rec.Reset()
				got, err := c.q.All(ctx)
				require.NoError(t, err)
				assert.Equal(t, c.want, names(got))
				assert.Equal(t, c.sql, lastSelect(t, rec.SQL()))
				if c.args != nil {
					_, args, err := c.q.SQL(eng.Dialect())
					require.NoError(t, err)
					assert.Equal(t, c.args, args)
				}
			})
		}
		// An empty range runs no SQL.
		rec.Reset()
		none, err := q.Slice(3, 3).All(ctx)
		require.NoError(t, err)
		assert.Empty(t, none)
		assert.Empty(t, rec.SQL())

		// Errors.
		_, err = q.Limit(2).Where(expr.Eq(&U.Name, "ed")).All(ctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.ErrorContains(t, err, "LIMIT or OFFSET")
		_, err = q.Offset(1).OrderBy(&U.Name).All(ctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		_, err = q.Limit(-1).All(ctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.ErrorContains(t, err, "Limit(-1)")
		_, err = q.Offset(-2).All(ctx)
		assert.ErrorContains(t, err, "Offset(-2)")
		_, err = q.Slice(-1, 2).All(ctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)

		// OrderBy(nil) clears the ordering.
		s1, _, err := q.OrderBy(nil).SQL(eng.Dialect())
		require.NoError(t, err)
		assert.NotContains(t, s1, "ORDER BY")
		s2, _, err := q.OrderBy(nil).OrderBy(expr.Desc(&U.Name)).SQL(eng.Dialect())
		require.NoError(t, err)
		assert.Contains(t, s2, "ORDER BY users.name DESC")
	})
}

// Spec §7.3: FilterBy and Where give the same SQL and results.
func TestQueryFilterBy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		type N struct{ Name string }
		a, err := session.Rows[N](session.Select[QUser]().Select(&U.Name).FilterBy(expr.P{"Fullname": "Ed Jones"})).All(ctx)
		require.NoError(t, err)
		sqlA := lastSelect(t, rec.SQL())
		b, err := session.Rows[N](session.Select[QUser]().Select(&U.Name).Where(expr.Eq(&U.Fullname, "Ed Jones"))).All(ctx)
		require.NoError(t, err)
		assert.Equal(t, []N{{"ed"}}, a)
		assert.Equal(t, a, b)
		assert.Equal(t, "SELECT users.name FROM users WHERE users.fullname = ?", sqlA)
		assert.Equal(t, sqlA, lastSelect(t, rec.SQL()))

		// by column name too; two conditions are ANDed
		u, err := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).Where(expr.Eq(&U.Fullname, "Ed Jones")).One(ctx)
		require.NoError(t, err)
		assert.Equal(t, "ed", u.Name)
		assert.Contains(t, lastSelect(t, rec.SQL()), "WHERE users.name = ? AND users.fullname = ?")
		u2, err := session.Select[QUser]().FilterBy(expr.P{"fullname": "Ed Jones"}).One(ctx)
		require.NoError(t, err)
		assert.Same(t, u, u2)

		_, err = session.Select[QUser]().FilterBy(expr.P{"Nmae": "ed"}).All(ctx)
		assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		assert.ErrorContains(t, err, `QUser has no field or column "Nmae"`)
	})
}

// Spec §7.4 (acceptance item 9): each operator with the listed results
// (users ed, wendy, mary, fred; jack excluded as in the tutorial's run).
func TestQueryOperators(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		rec := dbtest.Record(eng)
		U := expr.Cols[QUser]()
		edLike := session.Select[QUser]().Select(&U.Name).Where(expr.Like(&U.Name, "%ed%"))
		ilike := "lower(users.name) LIKE lower(?)"
		tupleIn := "(users.name, users.nickname) IN (VALUES (?, ?), (?, ?))"
		if eng.Dialect().Has(dialect.ILike) {
			ilike = "users.name ILIKE ?"
		}
		if !eng.Dialect().Has(dialect.TupleInValues) {
			tupleIn = "(users.name, users.nickname) IN ((?, ?), (?, ?))"
		}
		cases := []struct {
			name string
			pred expr.Expr
			sql  string
			want []string
		}{
			{"eq", expr.Eq(&U.Name, "ed"), "users.name = ?", []string{"ed"}},
			{"ne", expr.Ne(&U.Name, "ed"), "users.name != ?", []string{"wendy", "mary", "fred"}},
			{"like", expr.Like(&U.Name, "%ed%"), "users.name LIKE ?", []string{"ed", "fred"}},
			{"ilike", expr.ILike(&U.Name, "%ED%"), ilike, []string{"ed", "fred"}},
			{"in", expr.In(&U.Name, "ed", "wendy", "jack"), "users.name IN (?, ?, ?)", []string{"ed", "wendy"}},
			{"in subquery", session.InQuery(&U.Name, edLike), "users.name IN (SELECT users.name FROM users WHERE users.name LIKE ?)", []string{"ed", "fred"}},
			{"tuple in", &expr.TupleIn{Cols: []expr.Expr{expr.Field(&U.Name), expr.Field(&U.Nickname)}, Rows: [][]any{{"ed", "edsnickname"}, {"wendy", "windy"}}}, tupleIn, []string{"wendy"}},
			{"not in", expr.Not(expr.In(&U.Name, "ed", "wendy", "jack")), "(users.name NOT IN (?, ?, ?))", []string{"mary", "fred"}},
			{"notin", expr.NotIn(&U.Name, "ed", "wendy", "jack"), "(users.name NOT IN (?, ?, ?))", []string{"mary", "fred"}},
			{"in empty", expr.In[string](&U.Name), "1 != 1", nil},
			{"notin empty", expr.NotIn[string](&U.Name), "1 = 1", []string{"ed", "wendy", "mary", "fred"}},
			{"is null", expr.IsNull(&U.Name), "users.name IS NULL", nil},
			{"eq nil", expr.Col(&U.Name).Eq(nil), "users.name IS NULL", nil},
			{"is not null", expr.IsNotNull(&U.Name), "users.name IS NOT NULL", []string{"ed", "wendy", "mary", "fred"}},
			{"and", expr.And(expr.Eq(&U.Name, "ed"), expr.Eq(&U.Fullname, "Ed Jones")), "users.name = ? AND users.fullname = ?", []string{"ed"}},
			{"or", expr.Or(expr.Eq(&U.Name, "ed"), expr.Eq(&U.Name, "wendy")), "(users.name = ? OR users.name = ?)", []string{"ed", "wendy"}},
			{"not or", expr.Not(expr.Or(expr.Eq(&U.Name, "ed"), expr.Eq(&U.Name, "wendy"))), "NOT (users.name = ? OR users.name = ?)", []string{"mary", "fred"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				rec.Reset()
				got, err := session.Select[QUser]().Where(expr.Ne(&U.Name, "jack"), c.pred).OrderBy(&U.ID).All(ctx)
				require.NoError(t, err)
				if c.want == nil {
					assert.Empty(t, got)
				} else {
					assert.Equal(t, c.want, names(got))
				}
				assert.Contains(t, lastSelect(t, rec.SQL()), "WHERE users.name != ? AND "+c.sql+" ORDER BY")
			})
		}
		if eng.Dialect().Has(dialect.MatchTSQuery) {
			rec.Reset()
			_, err := session.Select[QUser]().Where(expr.MatchText(&U.Name, "wendy")).All(ctx)
			require.NoError(t, err)
			assert.Contains(t, lastSelect(t, rec.SQL()), "users.name @@ to_tsquery(?)")
		}
	})
}

// Values that look like SQL are data in every operator: they bind as
// parameters, so they match only rows holding exactly that text, and the
// table survives.
func TestQuerySQLLookingValues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		U := expr.Cols[QUser]()
		evil := []string{"ed' OR '1'='1", "x'; DROP TABLE users; --", "/* c */ ed", `ed" --`, "%' OR 1=1 --", ":name", "$1", "?"}
		for _, v := range evil {
			cases := []struct {
				name string
				pred expr.Expr
				want int
			}{
				{"eq", expr.Eq(&U.Name, v), 0},
				{"ne", expr.Ne(&U.Name, v), 5},
				{"like", expr.Like(&U.Name, v), 0},
				{"ilike", expr.ILike(&U.Name, v), 0},
				{"notlike", expr.NotLike(&U.Name, v), 5},
				{"in", expr.In(&U.Name, v, v+"2"), 0},
				{"notin", expr.NotIn(&U.Name, v), 5},
				{"between", expr.BetweenV(&U.Name, v, v), 0},
				{"col eq", expr.Col(&U.Name).Eq(v), 0},
				{"func", expr.Col(expr.Func("lower", &U.Name)).Eq(v), 0},
				{"text param", expr.Text("name = :n", expr.P{"n": v}), 0},
				{"tuple", &expr.TupleIn{Cols: []expr.Expr{expr.Field(&U.Name), expr.Field(&U.Nickname)}, Rows: [][]any{{v, v}}}, 0},
			}
			for _, c := range cases {
				n, err := session.Select[QUser]().Where(c.pred).Count(ctx)
				require.NoError(t, err, "%s %q", c.name, v)
				assert.EqualValues(t, c.want, n, "%s %q", c.name, v)
			}
			// FilterBy, Params, bulk Update and Delete too.
			n, err := session.Select[QUser]().FilterBy(expr.P{"Name": v}).Count(ctx)
			require.NoError(t, err)
			assert.Zero(t, n)
			n, err = session.Select[QUser]().Where(expr.Text("name = :v")).Params(expr.P{"v": v}).Count(ctx)
			require.NoError(t, err)
			assert.Zero(t, n)
			n, err = session.Select[QUser]().Where(expr.Eq(&U.Name, v)).Update(ctx, expr.P{"Nickname": v})
			require.NoError(t, err)
			assert.Zero(t, n)
			n, err = session.Select[QUser]().Where(expr.Eq(&U.Name, v)).Delete(ctx)
			require.NoError(t, err)
			assert.Zero(t, n)
		}
		// The value round-trips unchanged.
		wendy, err := session.Select[QUser]().FilterBy(expr.P{"Name": "wendy"}).One(ctx)
		require.NoError(t, err)
		wendy.Nickname = evil[1]
		require.NoError(t, d.s.Flush(ctx))
		got, err := session.Select[QUser]().Where(expr.Eq(&U.Nickname, evil[1])).One(ctx)
		require.NoError(t, err)
		assert.Same(t, wendy, got)
		n, err := session.Select[QUser]().Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 5, n)
	})
}

// Queries written inline, rebuilt with new values on every call, reuse the
// SQL of their shape (see TestQueryTemplates); each binds its own values
// and gets its own rows, in every variant, on both dialects.
func TestQueryInlineValues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng)
		ctx := d.ctx
		U := expr.Cols[QUser]()
		full := map[string]string{"ed": "Ed Jones", "wendy": "Wendy Williams", "mary": "Mary Contrary", "fred": "Fred Flintstone", "jack": "Jack Bean"}
		for round := 0; round < 2; round++ {
			for name, fn := range full {
				u, err := session.Select[QUser]().Where(expr.Eq(&U.Name, name)).One(ctx)
				require.NoError(t, err)
				assert.Equal(t, fn, u.Fullname)
				first, err := session.Select[QUser]().Where(expr.Eq(&U.Fullname, fn)).OrderBy(&U.ID).First(ctx)
				require.NoError(t, err)
				assert.Same(t, u, first)
				n, err := session.Select[QUser]().Where(expr.Ne(&U.Name, name)).OrderBy(&U.ID).Count(ctx)
				require.NoError(t, err)
				assert.EqualValues(t, 4, n)
			}
			for n := 1; n <= 5; n++ {
				got, err := session.Select[QUser]().OrderBy(&U.ID).Limit(n).Offset(5 - n).All(ctx)
				require.NoError(t, err)
				require.Len(t, got, n)
				assert.Equal(t, "jack", got[n-1].Name)
			}
			two, err := session.Select[QUser]().Where(expr.In(&U.ID, d.ids["ed"], d.ids["mary"])).OrderBy(&U.ID).All(ctx)
			require.NoError(t, err)
			assert.Equal(t, []string{"ed", "mary"}, names(two))
			three, err := session.Select[QUser]().Where(expr.In(&U.ID, d.ids["wendy"], d.ids["fred"], d.ids["jack"])).OrderBy(&U.ID).All(ctx)
			require.NoError(t, err)
			assert.Equal(t, []string{"wendy", "fred", "jack"}, names(three))
			none, err := session.Select[QUser]().Where(expr.Op(&U.Name, "=", nil)).All(ctx)
			require.NoError(t, err)
			assert.Empty(t, none)
			ok, err := session.Select[QUser]().Where(expr.Like(&U.Name, "%e%")).Exists(ctx)
			require.NoError(t, err)
			assert.True(t, ok)
			ok, err = session.Select[QUser]().Where(expr.Like(&U.Name, "%zz%")).Exists(ctx)
			require.NoError(t, err)
			assert.False(t, ok)
		}
	})
}

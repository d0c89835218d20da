package session_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Per-relationship loading defaults.
type SUser struct {
	ID        int64
	Name      string                   `arc:"size:50"`
	Addresses relations.Many[SAddress] `arc:"back_populates:User;order_by:id;lazy:selectin"`
}

func (SUser) TableName() string { return "users" }

type SAddress struct {
	ID     int64
	Email  string               `arc:"column:email_address;notnull"`
	UserID *int64               `arc:"fk:users.id"`
	User   relations.One[SUser] `arc:"back_populates:Addresses;lazy:raise"`
}

func (SAddress) TableName() string { return "addresses" }

// The query's own paths: Join(&U.Addresses), Joined in one SELECT through
// All/One, and the tags' lazy: defaults without options.
func TestRelQueryPaths(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		relSeed(t, eng)
		rec := dbtest.Record(eng)

		// §16 item 15: joinedload gives one parent despite two rows, in one query.
		jack, err := session.NewQuery[RUser](s).Options(relations.Joined(&U.Addresses)).Where(expr.Eq(&U.Name, "jack")).One(ctx)
		require.NoError(t, err)
		require.Len(t, rec.SQL(), 1, "%v", rec.SQL())
		require.Contains(t, rec.SQL()[0], "LEFT OUTER JOIN addresses AS addresses_1 ON users.id = addresses_1.user_id")
		require.Equal(t, 2, jack.Addresses.Len())

		// Join by relationship, with and without extra criteria; many-to-many.
		us, err := session.NewQuery[RUser](s).Join(&U.Addresses, nil).Where(expr.Eq(&A.Email, "jack@google.com")).All(ctx)
		require.NoError(t, err)
		require.Equal(t, []*RUser{jack}, us)
		text, _, err := session.Select[RUser]().OuterJoin(&U.Addresses, expr.Ne(&A.Email, "foo")).SQL(eng.Dialect())
		require.NoError(t, err)
		require.Contains(t, text, phs(eng, "LEFT OUTER JOIN addresses ON users.id = addresses.user_id AND addresses.email_address != ?"))
		text, _, err = session.Select[RPost]().Join(&P.Keywords, nil).Where(expr.Eq(&K.Keyword, "x")).SQL(eng.Dialect())
		require.NoError(t, err)
		require.Contains(t, text, "JOIN post_keywords ON posts.id = post_keywords.post_id JOIN keywords ON keywords.id = post_keywords.keyword_id")

		// lazy:selectin and lazy:raise from the tags, with no options.
		s5 := session.New(eng)
		defer s5.Close(ctx)
		rec.Reset()
		su, err := session.NewQuery[SUser](s5).Where(expr.Eq(&expr.Cols[SUser]().Name, "jack")).One(ctx)
		require.NoError(t, err)
		sa, loaded := su.Addresses.Cached()
		require.True(t, loaded)
		require.Len(t, sa, 2)
		require.Len(t, rec.SQL(), 2)
		s6 := session.New(eng)
		defer s6.Close(ctx)
		lone, err := session.NewQuery[SAddress](s6).First(ctx)
		require.NoError(t, err)
		_, err = lone.User.Load(ctx)
		require.True(t, errors.Is(err, arcerr.ErrLazyLoad), "%v", err)
	})
}

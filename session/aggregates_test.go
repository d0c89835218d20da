package session_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Relationship aggregates as columns: counts and exists-flags per row,
// in the SELECT list, WHERE and ORDER BY, on one-to-many, many-to-many
// and self-referential relationships.
func TestRelationshipAggregates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		relSeed(t, eng) // jack has two addresses, the others none
		x, y := &RKeyword{Keyword: "x"}, &RKeyword{Keyword: "y"}
		p1, p2 := relations.Init(&RPost{Headline: "p1"}), relations.Init(&RPost{Headline: "p2"})
		p1.Keywords.Append(x, y)
		p2.Keywords.Append(y)
		root := relations.Init(&Node{Name: "root"})
		a, b := relations.Init(&Node{Name: "a"}), relations.Init(&Node{Name: "b"})
		root.Children.Append(a, b)
		a.Children.Append(relations.Init(&Node{Name: "a1"}))
		require.NoError(t, s.AddAll(p1, p2, root))
		require.NoError(t, s.Commit(ctx))

		// One-to-many: addresses per user, ordered by the count.
		type userCount struct {
			Name string
			N    int64
		}
		rows, err := session.Rows[userCount](session.Select[RUser]().
			Select(&U.Name, expr.Label(relations.CountOf(&U.Addresses), "n")).
			OrderBy(expr.Desc(relations.CountOf(&U.Addresses)), &U.Name)).All(ctx)
		require.NoError(t, err)
		require.Equal(t, userCount{"jack", 2}, rows[0])
		require.Equal(t, userCount{"ed", 0}, rows[1])

		// In WHERE, with criteria on the counted rows.
		heavy, err := session.Select[RUser]().Where(expr.Col(relations.CountOf(&U.Addresses, expr.Like(&A.Email, "%google%"))).Ge(1)).All(ctx)
		require.NoError(t, err)
		require.Len(t, heavy, 1)
		require.Equal(t, "jack", heavy[0].Name)

		// Many-to-many: a count and an exists-flag per post.
		type postRow struct {
			Post   *RPost
			Tags   int64
			Tagged bool
		}
		prs, err := session.Rows[postRow](session.Select[RPost]().
			AddColumns(expr.Label(relations.CountOf(&P.Keywords), "tags"),
				expr.Label(relations.Any(&P.Keywords, expr.Eq(&K.Keyword, "x")), "tagged")).
			OrderBy(&P.ID)).All(ctx)
		require.NoError(t, err)
		require.Len(t, prs, 2)
		require.Same(t, p1, prs[0].Post, "the entity comes from the identity map")
		require.Equal(t, []any{int64(2), true, int64(1), false}, []any{prs[0].Tags, prs[0].Tagged, prs[1].Tags, prs[1].Tagged})

		// Self-referential: children per node (the target is aliased).
		type nodeCount struct {
			Name string
			N    int64
		}
		ns, err := session.Rows[nodeCount](session.Select[Node]().
			Select(&ND.Name, expr.Label(relations.CountOf(&ND.Children), "n")).OrderBy(&ND.ID)).All(ctx)
		require.NoError(t, err)
		require.Equal(t, []nodeCount{{"root", 2}, {"a", 1}, {"b", 0}, {"a1", 0}}, ns)

		// A general correlated scalar subquery.
		q := session.Select[RAddress]().Select(expr.CountAll()).Where(expr.On(&A.UserID, &U.ID))
		scal, err := session.Rows[userCount](session.Select[RUser]().
			Select(&U.Name, expr.Label(&expr.ScalarSubquery{Sel: q.Statement()}, "n")).
			Where(expr.Eq(&U.Name, "jack"))).One(ctx)
		require.NoError(t, err)
		require.Equal(t, userCount{"jack", 2}, scal)
	})
}

package session_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Member follows other members: a self-referential many-to-many through
// follows. Followers are the members who follow this one (follows rows
// whose followee_id is this member); Following the members this one
// follows.
type Member struct {
	ID        int64
	Name      string                 `arc:"size:20"`
	Followers relations.Many[Member] `arc:"secondary:follows;fk:followee_id;back_populates:Following;order_by:id"`
	Following relations.Many[Member] `arc:"secondary:follows;fk:follower_id;back_populates:Followers;order_by:id"`
}

type Follow struct {
	FollowerID int64 `arc:"pk;fk:members.id"`
	FolloweeID int64 `arc:"pk;fk:members.id"`
}

var (
	ND = expr.Cols[Node]()
	MB = expr.Cols[Member]()
)

// selfRefSeed writes two trees and a follower graph with fixed ids:
//
//	root(1) ─┬─ a(2) ─┬─ a1(4)      x(7) ── x1(8)
//	         │        └─ a2(5)
//	         └─ b(3) ─── b1(6)
//
//	bob→ann, cat→ann, ann→bob, dan→cat; eve follows and is followed by no one.
func selfRefSeed(t *testing.T, eng *engine.Engine) (context.Context, *session.Session) {
	t.Helper()
	ctx, s := relSetup(t, eng, Node{}, Member{}, Follow{})
	exec := func(q string, args ...any) {
		t.Helper()
		_, err := eng.DB().Exec(phs(eng, q), args...)
		require.NoError(t, err)
	}
	for _, n := range []struct {
		id     int64
		parent any
		name   string
	}{{1, nil, "root"}, {2, 1, "a"}, {3, 1, "b"}, {4, 2, "a1"}, {5, 2, "a2"}, {6, 3, "b1"}, {7, nil, "x"}, {8, 7, "x1"}} {
		exec("INSERT INTO nodes (id, parent_id, name) VALUES (?, ?, ?)", n.id, n.parent, n.name)
	}
	for i, n := range []string{"ann", "bob", "cat", "dan", "eve"} {
		exec("INSERT INTO members (id, name) VALUES (?, ?)", i+1, n)
	}
	for _, f := range [][2]int64{{2, 1}, {3, 1}, {1, 2}, {4, 3}} {
		exec("INSERT INTO follows (follower_id, followee_id) VALUES (?, ?)", f[0], f[1])
	}
	return ctx, s
}

func nodeNames(ns []*Node) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Name
	}
	return strings.Join(out, ",")
}

func memberNames(ms []*Member) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return strings.Join(out, ",")
}

// Any, Has, Contains, WithParent and Is over self-referential
// relationships (one-to-many, many-to-one, many-to-many) alias the target,
// and criteria inside Any/Has name the related row (the alias); Outer names
// the row outside. Before the fix Any(&ND.Children) compared nodes with
// itself and selected nothing.
func TestRegression_SelfRefPredicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := selfRefSeed(t, eng)
		get := func(id int64) *Node {
			n, err := session.Get[Node](ctx, s, id)
			require.NoError(t, err)
			return n
		}
		member := func(id int64) *Member {
			m, err := session.Get[Member](ctx, s, id)
			require.NoError(t, err)
			return m
		}
		root, a, a1 := get(1), get(2), get(4)
		ann, bob := member(1), member(2)
		nodes := []struct {
			name string
			pred expr.Expr
			want string
		}{
			{"o2m any", relations.Any(&ND.Children), "root,a,b,x"},
			{"o2m any crit", relations.Any(&ND.Children, expr.Eq(&ND.Name, "a1")), "a"},
			{"o2m not any", expr.Not(relations.Any(&ND.Children)), "a1,a2,b1,x1"},
			{"o2m any two levels", relations.Any(&ND.Children, relations.Any(&ND.Children, expr.Eq(&ND.Name, "b1"))), "root"},
			{"o2m any of m2o", relations.Any(&ND.Children, relations.Has(&ND.Parent, expr.Eq(&ND.Name, "x"))), "x"},
			{"m2o has", relations.Has(&ND.Parent), "a,b,a1,a2,b1,x1"},
			{"m2o has crit", relations.Has(&ND.Parent, expr.Eq(&ND.Name, "root")), "a,b"},
			{"m2o not has", expr.Not(relations.Has(&ND.Parent, expr.Eq(&ND.Name, "root"))), "root,a1,a2,b1,x,x1"},
			{"m2o has two levels", relations.Has(&ND.Parent, relations.Has(&ND.Parent, expr.Eq(&ND.Name, "root"))), "a1,a2,b1"},
			{"m2o has three levels", relations.Has(&ND.Parent, relations.Has(&ND.Parent, relations.Has(&ND.Parent))), ""},
			{"m2o has of o2m", relations.Has(&ND.Parent, relations.Any(&ND.Children, expr.Eq(&ND.Name, "b1"))), "b1"},
			{"outer row", relations.Has(&ND.Parent, expr.Col(&ND.ID).Lt(expr.Outer(&ND.ID)), expr.Outer(expr.Like(&ND.Name, "%1"))), "a1,b1,x1"},
			{"outer two levels", relations.Has(&ND.Parent, relations.Has(&ND.Parent, expr.Outer(expr.Eq(&ND.Name, "b")))), "b1"},
			{"outer outer", relations.Has(&ND.Parent, relations.Has(&ND.Parent, expr.Outer(expr.Outer(expr.Eq(&ND.Name, "a2"))))), "a2"},
			{"o2m contains", relations.Contains(&ND.Children, a1), "a"},
			{"o2m with parent", relations.WithParent(root, &ND.Children), "a,b"},
			{"m2o with parent", relations.WithParent(a1, &ND.Parent), "a"},
			{"m2o is", relations.Is(&ND.Parent, a), "a1,a2"},
			{"m2o is not", relations.IsNot(&ND.Parent, a), "root,a,b,b1,x,x1"},
		}
		for _, tc := range nodes {
			got, err := session.Select[Node]().Where(tc.pred).OrderBy(&ND.ID).All(ctx)
			require.NoError(t, err, tc.name)
			require.Equal(t, tc.want, nodeNames(got), tc.name)
		}
		members := []struct {
			name string
			pred expr.Expr
			want string
		}{
			{"m2m any", relations.Any(&MB.Followers), "ann,bob,cat"},
			{"m2m any other side", relations.Any(&MB.Following), "ann,bob,cat,dan"},
			{"m2m any crit", relations.Any(&MB.Followers, expr.Eq(&MB.ID, bob.ID)), "ann"},
			{"m2m any name", relations.Any(&MB.Following, expr.Eq(&MB.Name, "ann")), "bob,cat"},
			{"m2m not any", expr.Not(relations.Any(&MB.Following)), "eve"},
			{"m2m two levels", relations.Any(&MB.Followers, relations.Any(&MB.Followers, expr.Eq(&MB.Name, "dan"))), "ann"},
			{"m2m mutual", relations.Any(&MB.Followers, expr.Col(&MB.ID).Eq(expr.Outer(&MB.ID))), ""},
			{"m2m mutual follow", relations.Any(&MB.Followers, relations.Any(&MB.Followers, expr.Col(&MB.ID).Eq(expr.Outer(expr.Outer(&MB.ID))))), "ann,bob"},
			{"m2m contains", relations.Contains(&MB.Followers, bob), "ann"},
			{"m2m with parent", relations.WithParent(ann, &MB.Followers), "bob,cat"},
			{"m2m with parent other side", relations.WithParent(ann, &MB.Following), "bob"},
		}
		for _, tc := range members {
			got, err := session.Select[Member]().Where(tc.pred).OrderBy(&MB.ID).All(ctx)
			require.NoError(t, err, tc.name)
			require.Equal(t, tc.want, memberNames(got), tc.name)
		}

		// A query over an alias of the table is correlated to the alias.
		al := session.Alias[Node]("n")
		got, err := session.SelectAs[Node](al).Where(relations.Has(&ND.Parent, relations.Has(&ND.Parent, expr.Eq(&ND.Name, "root")))).OrderBy(&al.Cols().ID).All(ctx)
		require.NoError(t, err)
		require.Equal(t, "a1,a2,b1", nodeNames(got))
		got, err = session.SelectAs[Node](al).Where(relations.Any(&ND.Children, expr.Col(&ND.ID).Gt(expr.Outer(&al.Cols().ID))), expr.Ne(&al.Cols().Name, "x")).OrderBy(&al.Cols().ID).All(ctx)
		require.NoError(t, err)
		require.Equal(t, "root,a,b", nodeNames(got))
		text, _, err := session.SelectAs[Node](al).Where(relations.Has(&ND.Parent, expr.Eq(&ND.Name, "root"))).SQL(eng.Dialect())
		require.NoError(t, err)
		require.Contains(t, text, phs(eng, "FROM nodes AS n WHERE EXISTS (SELECT 1 FROM nodes WHERE n.parent_id = nodes.id AND nodes.name = ?)"))

		// The SQL: the target is an alias, the owner the outer table.
		text, _, err = session.Select[Node]().Where(relations.Has(&ND.Parent, relations.Has(&ND.Parent, expr.Eq(&ND.Name, "root")))).SQL(eng.Dialect())
		require.NoError(t, err)
		require.Contains(t, text, phs(eng, "WHERE EXISTS (SELECT 1 FROM nodes AS nodes_1 WHERE nodes.parent_id = nodes_1.id AND EXISTS (SELECT 1 FROM nodes AS nodes_2 WHERE nodes_1.parent_id = nodes_2.id AND nodes_2.name = ?))"))
		text, _, err = session.Select[Member]().Where(relations.Any(&MB.Followers, expr.Eq(&MB.ID, bob.ID))).SQL(eng.Dialect())
		require.NoError(t, err)
		require.Contains(t, text, phs(eng, "WHERE EXISTS (SELECT 1 FROM follows, members AS members_1 WHERE members.id = follows.followee_id AND members_1.id = follows.follower_id AND members_1.id = ?)"))
	})
}

// Joins along a self-referential relationship join an alias of the table;
// field pointers keep naming the query's entity and FilterBy the joined
// row. Before the fix the join wrote "FROM nodes JOIN nodes ON ...".
func TestRegression_SelfRefJoin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := selfRefSeed(t, eng)
		got, err := session.Select[Node]().Join(&ND.Parent, nil).FilterBy(expr.P{"Name": "root"}).OrderBy(&ND.ID).All(ctx)
		require.NoError(t, err)
		require.Equal(t, "a,b", nodeNames(got))
		got, err = session.Select[Node]().Join(&ND.Parent, nil).Where(expr.Like(&ND.Name, "a%")).OrderBy(&ND.ID).All(ctx)
		require.NoError(t, err)
		require.Equal(t, "a,a1,a2", nodeNames(got))
		got, err = session.Select[Node]().Distinct().Join(&ND.Children, nil).FilterBy(expr.P{"Name": "a2"}).OrderBy(&ND.ID).All(ctx)
		require.NoError(t, err)
		require.Equal(t, "a", nodeNames(got))
		got, err = session.Select[Node]().OuterJoin(&ND.Children, nil).FilterBy(expr.P{"ID": nil}).OrderBy(&ND.ID).All(ctx)
		require.NoError(t, err)
		require.Equal(t, "a1,a2,b1,x1", nodeNames(got))
		text, _, err := session.Select[Node]().Join(&ND.Parent, nil).SQL(eng.Dialect())
		require.NoError(t, err)
		require.Contains(t, text, "FROM nodes JOIN nodes AS nodes_1 ON nodes.parent_id = nodes_1.id")

		ms, err := session.Select[Member]().Join(&MB.Followers, nil).FilterBy(expr.P{"Name": "bob"}).OrderBy(&MB.ID).All(ctx)
		require.NoError(t, err)
		require.Equal(t, "ann", memberNames(ms))
		ms, err = session.Select[Member]().Distinct().Join(&MB.Following, nil).Where(expr.Ne(&MB.Name, "dan")).OrderBy(&MB.ID).All(ctx)
		require.NoError(t, err)
		require.Equal(t, "ann,bob,cat", memberNames(ms))

		// An explicit alias names the joined side.
		p := session.Alias[Node]("p")
		got, err = session.Select[Node]().Join(p, relations.On(&ND.Parent, p)).Where(expr.Eq(&p.Cols().Name, "a")).OrderBy(&ND.ID).All(ctx)
		require.NoError(t, err)
		require.Equal(t, "a1,a2", nodeNames(got))

		// Not self-referential, but the target table is already in the
		// query: joined again under an alias.
		text, _, err = session.Select[RAddress]().Join(&A.User, nil).Join(&U.Addresses, nil).SQL(eng.Dialect())
		require.NoError(t, err)
		require.Contains(t, text, "FROM addresses JOIN users ON addresses.user_id = users.id JOIN addresses AS addresses_1 ON users.id = addresses_1.user_id")
	})
}

// Eager loaders over self-referential relationships: SelectIn, Joined and
// ContainsEager fill each object with its own related rows.
func TestRegression_SelfRefEager(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  func() session.LoadOption
		join bool
	}{
		{"selectin", func() session.LoadOption { return relations.SelectIn(&ND.Children) }, false},
		{"joined", func() session.LoadOption { return relations.Joined(&ND.Children) }, false},
	} {
		t.Run("o2m "+tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
				ctx, s := selfRefSeed(t, eng)
				rec := dbtest.Record(eng)
				ns, err := session.Select[Node]().Options(tc.opt()).OrderBy(&ND.ID).All(ctx)
				require.NoError(t, err)
				require.Len(t, ns, 8)
				n := len(rec.SQL())
				want := map[string]string{"root": "a,b", "a": "a1,a2", "b": "b1", "x": "x1"}
				for _, x := range ns {
					kids, ok := x.Children.Cached()
					require.True(t, ok, x.Name)
					require.Equal(t, want[x.Name], nodeNames(kids), x.Name)
					for _, k := range kids {
						p, err := k.Parent.Load(ctx)
						require.NoError(t, err)
						require.Same(t, x, p)
					}
				}
				require.Len(t, rec.SQL(), n, "no lazy loads")
				_ = s
			})
		})
	}
	for _, tc := range []struct {
		name string
		opt  func() session.LoadOption
	}{
		{"selectin", func() session.LoadOption { return relations.SelectIn(&ND.Parent) }},
		{"joined", func() session.LoadOption { return relations.Joined(&ND.Parent) }},
		{"joined inner", func() session.LoadOption { return relations.Joined(&ND.Parent).InnerJoin() }},
	} {
		t.Run("m2o "+tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
				ctx, _ := selfRefSeed(t, eng)
				ns, err := session.Select[Node]().Options(tc.opt()).Where(expr.Ne(&ND.Name, "root")).OrderBy(&ND.ID).All(ctx)
				require.NoError(t, err)
				want := map[string]string{"a": "root", "b": "root", "a1": "a", "a2": "a", "b1": "b", "x": "", "x1": "x"}
				if strings.Contains(tc.name, "inner") {
					delete(want, "x")
				}
				require.Len(t, ns, len(want))
				for _, x := range ns {
					p, ok := x.Parent.Cached()
					require.True(t, ok, x.Name)
					got := ""
					if p != nil {
						got = p.Name
					}
					require.Equal(t, want[x.Name], got, x.Name)
				}
			})
		})
	}
	for _, tc := range []struct {
		name string
		opt  func() session.LoadOption
	}{
		{"selectin", func() session.LoadOption { return relations.SelectIn(&MB.Followers) }},
		{"joined", func() session.LoadOption { return relations.Joined(&MB.Followers) }},
	} {
		t.Run("m2m "+tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
				ctx, _ := selfRefSeed(t, eng)
				ms, err := session.Select[Member]().Options(tc.opt()).OrderBy(&MB.ID).All(ctx)
				require.NoError(t, err)
				require.Len(t, ms, 5)
				want := map[string]string{"ann": "bob,cat", "bob": "ann", "cat": "dan", "dan": "", "eve": ""}
				for _, m := range ms {
					fs, ok := m.Followers.Cached()
					require.True(t, ok, m.Name)
					require.Equal(t, want[m.Name], memberNames(fs), m.Name)
				}
			})
		})
	}
	t.Run("contains eager", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
			ctx, _ := selfRefSeed(t, eng)
			rec := dbtest.Record(eng)
			ns, err := session.Select[Node]().Join(&ND.Parent, nil).FilterBy(expr.P{"Name": "a"}).
				Options(relations.ContainsEager(&ND.Parent)).OrderBy(&ND.ID).All(ctx)
			require.NoError(t, err)
			require.Equal(t, "a1,a2", nodeNames(ns))
			for _, x := range ns {
				p, ok := x.Parent.Cached()
				require.True(t, ok)
				require.Equal(t, "a", p.Name)
			}
			require.Len(t, rec.SQL(), 1, fmt.Sprint(rec.SQL()))
		})
	})
}

// Relationship predicates between two models keep their plain SQL, and a
// nested predicate that comes back to a table of an outer level aliases
// it there, so Outer can name the outer row.
func TestSelfRefNonSelfReferentialUnchanged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		jackID := relSeed(t, eng)
		jack, err := session.Get[RUser](ctx, s, jackID)
		require.NoError(t, err)
		addrs, err := jack.Addresses.Load(ctx)
		require.NoError(t, err)
		d := eng.Dialect()
		where := func(q string) string { return q[strings.Index(q, " WHERE ")+7:] }
		run := func(kind string, e expr.Expr) (string, int) {
			var text string
			var n int64
			var err error
			switch kind {
			case "users":
				q := session.Select[RUser]().Where(e)
				if text, _, err = q.SQL(d); err == nil {
					n, err = q.Count(ctx)
				}
			case "addresses":
				q := session.Select[RAddress]().Where(e)
				if text, _, err = q.SQL(d); err == nil {
					n, err = q.Count(ctx)
				}
			case "posts":
				q := session.Select[RPost]().Where(e)
				if text, _, err = q.SQL(d); err == nil {
					n, err = q.Count(ctx)
				}
			}
			require.NoError(t, err)
			return where(text), int(n)
		}
		for _, tc := range []struct {
			name  string
			kind  string
			pred  expr.Expr
			sql   string
			count int
		}{
			{"any", "users", relations.Any(&U.Addresses, expr.Like(&A.Email, "%google%")), "EXISTS (SELECT 1 FROM addresses WHERE users.id = addresses.user_id AND addresses.email_address LIKE ?)", 1},
			{"any outer", "users", relations.Any(&U.Addresses, expr.Eq(&U.Name, "jack")), "EXISTS (SELECT 1 FROM addresses WHERE users.id = addresses.user_id AND users.name = ?)", 1},
			{"has", "addresses", relations.Has(&A.User, expr.Eq(&U.Name, "jack")), "EXISTS (SELECT 1 FROM users WHERE addresses.user_id = users.id AND users.name = ?)", 2},
			{"m2m any", "posts", relations.Any(&P.Keywords), "EXISTS (SELECT 1 FROM post_keywords, keywords WHERE posts.id = post_keywords.post_id AND keywords.id = post_keywords.keyword_id)", 0},
			{"contains", "users", relations.Contains(&U.Addresses, addrs[0]), "users.id = ? AND (users.id = ?) IS NOT NULL", 1},
			{"with parent", "addresses", relations.WithParent(jack, &U.Addresses), "? = addresses.user_id", 2},
			{"is", "addresses", relations.Is(&A.User, jack), "? = addresses.user_id", 2},
			{"nested back to the outer table", "addresses",
				relations.Has(&A.User, relations.Any(&U.Addresses, expr.Col(&A.ID).Ne(expr.Outer(expr.Outer(&A.ID))))),
				"EXISTS (SELECT 1 FROM users WHERE addresses.user_id = users.id AND EXISTS (SELECT 1 FROM addresses AS addresses_1 WHERE users.id = addresses_1.user_id AND addresses_1.id != addresses.id))", 2},
			{"nested, same row", "addresses",
				relations.Has(&A.User, relations.Any(&U.Addresses, expr.Col(&A.ID).Eq(expr.Outer(expr.Outer(&A.ID))), expr.Like(&A.Email, "j25%"))),
				"EXISTS (SELECT 1 FROM users WHERE addresses.user_id = users.id AND EXISTS (SELECT 1 FROM addresses AS addresses_1 WHERE users.id = addresses_1.user_id AND addresses_1.id = addresses.id AND addresses_1.email_address LIKE ?))", 1},
		} {
			sql, n := run(tc.kind, tc.pred)
			require.Equal(t, phs(eng, tc.sql), sql, tc.name)
			require.Equal(t, tc.count, n, tc.name)
		}

		// Outer outside a subquery is an error, not a silent self-reference.
		_, err = session.Select[RUser]().Where(expr.Eq(&U.Name, "jack"), expr.Col(&U.ID).Eq(expr.Outer(&U.ID))).All(ctx)
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest)
	})
}

// Chained eager loads down and up a self-referential tree.
func TestSelfRefEagerChains(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		base, _ := selfRefSeed(t, eng)
		for _, opt := range []*relations.Option{
			relations.SelectIn(&ND.Children).Then(relations.SelectIn(&ND.Children)),
			relations.Joined(&ND.Children).Then(relations.Joined(&ND.Children)),
			relations.Joined(&ND.Children).Then(relations.SelectIn(&ND.Children)),
		} {
			s := session.New(eng)
			t.Cleanup(func() { _ = s.Close(base) })
			ctx := session.With(base, s)
			roots, err := session.Select[Node]().Options(opt).Where(expr.IsNull(&ND.ParentID)).OrderBy(&ND.ID).All(ctx)
			require.NoError(t, err)
			require.Equal(t, "root,x", nodeNames(roots))
			var got []string
			for _, r := range roots {
				kids, ok := r.Children.Cached()
				require.True(t, ok)
				for _, k := range kids {
					gk, ok := k.Children.Cached()
					require.True(t, ok, k.Name)
					got = append(got, r.Name+">"+k.Name+">"+nodeNames(gk))
				}
			}
			require.Equal(t, []string{"root>a>a1,a2", "root>b>b1", "x>x1>"}, got)
			require.NoError(t, s.Close(ctx))
		}
		// Up the tree.
		up := session.New(eng)
		t.Cleanup(func() { _ = up.Close(base) })
		ctx := session.With(base, up)
		leaves, err := session.Select[Node]().Options(relations.Joined(&ND.Parent).Then(relations.Joined(&ND.Parent))).
			Where(expr.Like(&ND.Name, "%1")).OrderBy(&ND.ID).All(ctx)
		require.NoError(t, err)
		var got []string
		for _, l := range leaves {
			p, ok := l.Parent.Cached()
			require.True(t, ok)
			gp, ok := p.Parent.Cached()
			require.True(t, ok)
			name := "-"
			if gp != nil {
				name = gp.Name
			}
			got = append(got, l.Name+"<"+p.Name+"<"+name)
		}
		require.Equal(t, []string{"a1<a<root", "b1<b<root", "x1<x<-"}, got)
	})
}

// Contains over a one-to-many and WithParent over a many-to-one read the
// object's foreign key when the query runs; a NULL key must make them
// FALSE, not NULL, so that Not(...) holds for every row. Found by
// TestQueryDifferential after the key was first read at run time:
// NOT (users.id = NULL) selected no user at all.
func TestRegression_NotContainsNullKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		relSeed(t, eng)
		stray := &RAddress{Email: "nobody@x"}
		require.NoError(t, s.Add(stray))
		require.NoError(t, s.Flush(ctx))
		require.Nil(t, stray.UserID)
		n, err := session.Select[RUser]().Where(relations.Contains(&U.Addresses, stray)).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = session.Select[RUser]().Where(expr.Not(relations.Contains(&U.Addresses, stray))).Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 5, n, "no user holds the stray address")
		n, err = session.Select[RUser]().Where(expr.Not(relations.WithParent(stray, &A.User))).Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 5, n, "the stray address has no user")

		require.NoError(t, s.Commit(ctx))

		// Self-referential: a root node is nobody's child and has no parent.
		ctx2, s2 := selfRefSeed(t, eng)
		root, err := session.Get[Node](ctx2, s2, 1)
		require.NoError(t, err)
		ns, err := session.Select[Node]().Where(expr.Not(relations.Contains(&ND.Children, root))).Count(ctx2)
		require.NoError(t, err)
		require.EqualValues(t, 8, ns)
		ns, err = session.Select[Node]().Where(expr.Not(relations.WithParent(root, &ND.Parent))).Count(ctx2)
		require.NoError(t, err)
		require.EqualValues(t, 8, ns)
	})
}

// Eq/Ne with an sql.Null value that is not Valid are IS [NOT] NULL, as
// with a nil pointer; they rendered "score = NULL" and selected nothing.
// Found by TestQueryDifferential.
func TestRegression_EqInvalidSQLNullIsNull(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng, QDAuthor{}, QDPost{}, QDTag{}, QDPostTag{})
		_, err := eng.DB().Exec(phs(eng, "INSERT INTO qd_tags (id, word, score) VALUES (1, 'a', NULL), (2, 'b', 7)"))
		require.NoError(t, err)
		count := func(e expr.Expr) int64 {
			n, err := session.Select[QDTag]().Where(e).Count(ctx)
			require.NoError(t, err)
			return n
		}
		require.EqualValues(t, 1, count(expr.Eq(&QT.Score, sql.Null[int64]{})))
		require.EqualValues(t, 1, count(expr.Ne(&QT.Score, sql.Null[int64]{})))
		require.EqualValues(t, 1, count(expr.Col(&QT.Score).Eq(sql.NullInt64{})))
		require.EqualValues(t, 1, count(expr.Eq(&QT.Score, sql.Null[int64]{V: 7, Valid: true})))
		require.EqualValues(t, 0, count(expr.Lt(&QT.Score, sql.Null[int64]{})), "< NULL is NULL")
		text, _, err := session.Select[QDTag]().Where(expr.Eq(&QT.Score, sql.Null[int64]{})).SQL(eng.Dialect())
		require.NoError(t, err)
		require.Contains(t, text, "WHERE qd_tags.score IS NULL")
	})
}

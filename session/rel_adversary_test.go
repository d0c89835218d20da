package session_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Adversarial tests of self-referential relationships: the places the
// tutorial does not go (trees built, moved and cut in one flush, cycles,
// eager loading of a tree, the identity of a node reached two ways).

// ANode is a tree without delete cascade: deleting a node nulls its
// children's parent_id.
type ANode struct {
	ID       int64
	Name     string                `arc:"size:20"`
	ParentID *int64                `arc:"fk:a_nodes.id"`
	Parent   relations.One[ANode]  `arc:"back_populates:Children"`
	Children relations.Many[ANode] `arc:"back_populates:Parent;order_by:id"`
}

func (ANode) TableName() string { return "a_nodes" }

// KNode is a tree whose children go with their parent
// (cascade:all,delete-orphan).
type KNode struct {
	ID       int64
	Name     string                `arc:"size:20"`
	ParentID *int64                `arc:"fk:k_nodes.id"`
	Parent   relations.One[KNode]  `arc:"back_populates:Children"`
	Children relations.Many[KNode] `arc:"back_populates:Parent;order_by:id;cascade:all,delete-orphan"`
}

func (KNode) TableName() string { return "k_nodes" }

// PNode leaves its children to the database (passive_deletes:all) and the
// foreign key has no ON DELETE: deleting a parent with children is the
// database's foreign-key error.
type PNode struct {
	ID       int64
	Name     string                `arc:"size:20"`
	ParentID *int64                `arc:"fk:p_nodes.id"`
	Parent   relations.One[PNode]  `arc:"back_populates:Children"`
	Children relations.Many[PNode] `arc:"back_populates:Parent;order_by:id;passive_deletes:all"`
}

func (PNode) TableName() string { return "p_nodes" }

// SNode eagerly loads its children with every query (lazy:selectin).
type SNode struct {
	ID       int64
	Name     string                `arc:"size:20"`
	ParentID *int64                `arc:"fk:s_nodes.id"`
	Parent   relations.One[SNode]  `arc:"back_populates:Children"`
	Children relations.Many[SNode] `arc:"back_populates:Parent;order_by:id;lazy:selectin"`
}

func (SNode) TableName() string { return "s_nodes" }

// advEach runs fn as subtest name on every dialect, each on a fresh database.
func advEach(t *testing.T, name string, fn func(t *testing.T, eng *engine.Engine)) {
	t.Run(name, func(t *testing.T) { dbtest.Each(t, fn) })
}

func advSetup(t *testing.T, eng *engine.Engine, models ...any) (context.Context, *session.Session) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, migrate.CreateAll(ctx, eng, models...))
	s := session.New(eng)
	t.Cleanup(func() { _ = s.Close(ctx) })
	return session.With(ctx, s), s
}

// advParents returns "name:parentName" of every row of a node table, by id;
// a root is "name:-".
func advParents(t *testing.T, eng *engine.Engine, table string) string {
	t.Helper()
	rows, err := eng.DB().Query("SELECT c.name, p.name FROM " + table + " c LEFT JOIN " + table + " p ON c.parent_id = p.id ORDER BY c.id")
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		var p sql.NullString
		require.NoError(t, rows.Scan(&c, &p))
		if !p.Valid {
			p.String = "-"
		}
		out = append(out, c+":"+p.String)
	}
	require.NoError(t, rows.Err())
	return strings.Join(out, ",")
}

func aNames(ns []*ANode) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Name
	}
	return strings.Join(out, ",")
}

// aTree builds root ─ {a ─ {a1, a2}, b ─ {b1}} in memory.
func aTree() (root, a, b, a1, a2, b1 *ANode) {
	root = relations.Init(&ANode{Name: "root"})
	a, b = relations.Init(&ANode{Name: "a"}), relations.Init(&ANode{Name: "b"})
	a1, a2, b1 = relations.Init(&ANode{Name: "a1"}), relations.Init(&ANode{Name: "a2"}), relations.Init(&ANode{Name: "b1"})
	root.Children.Append(a, b)
	a.Children.Append(a1, a2)
	b1.Parent.Set(b) // the other side
	return
}

// A three-level tree added through its root is written in one flush,
// parents before children, with every parent_id in its INSERT; then a
// subtree moves to another parent and the grandchildren move with it.
func TestSelfRefTreeBuildAndMoveSubtree(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, ANode{})
		root, a, b, a1, _, b1 := aTree()
		require.NoError(t, s.Add(root))
		rec := dbtest.Record(eng)
		require.NoError(t, s.Flush(ctx))
		require.Empty(t, filterSQL(rec.SQL(), "UPDATE"), "%v", rec.SQL())
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "root:-,a:root,b:root,a1:a,a2:a,b1:b", advParents(t, eng, "a_nodes"))

		// Move a (with a1, a2) under b; b1 under a1 (a grandchild of the
		// subtree being moved).
		b.Children.Append(a)
		a1.Children.Append(b1)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "root:-,a:b,b:root,a1:a,a2:a,b1:a1", advParents(t, eng, "a_nodes"))

		kids, err := root.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "b", aNames(kids))
		kids, err = b.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "a", aNames(kids))
		kids, err = a.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "a1,a2", aNames(kids))
		p, err := b1.Parent.Load(ctx)
		require.NoError(t, err)
		require.Same(t, a1, p)
	})
}

// Deleting a middle node: without cascade its children are nulled (they
// become roots); with cascade:all,delete-orphan its whole subtree goes,
// deepest first; with passive_deletes:all and no ON DELETE the database
// refuses and the error names the foreign key's table, and the session is
// as before the flush.
func TestSelfRefDeleteMiddleNode(t *testing.T) {
	advEach(t, "nulls", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, ANode{})
		root, a, _, a1, a2, _ := aTree()
		require.NoError(t, s.Add(root))
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Delete(a))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "root:-,b:root,a1:-,a2:-,b1:b", advParents(t, eng, "a_nodes"))
		require.Nil(t, a1.ParentID)
		require.Nil(t, a2.ParentID)
		kids, err := root.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "b", aNames(kids))
	})
	advEach(t, "cascade", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, KNode{})
		root := relations.Init(&KNode{Name: "root"})
		mid := relations.Init(&KNode{Name: "mid"})
		leaf := relations.Init(&KNode{Name: "leaf"})
		deep := relations.Init(&KNode{Name: "deep"})
		other := relations.Init(&KNode{Name: "other"})
		root.Children.Append(mid, other)
		mid.Children.Append(leaf)
		leaf.Children.Append(deep)
		require.NoError(t, s.Add(root))
		require.NoError(t, s.Commit(ctx))
		s.ExpireAll() // the subtree below mid is read at the flush
		require.NoError(t, s.Delete(mid))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "root:-,other:root", advParents(t, eng, "k_nodes"))
		require.Equal(t, session.Transient, s.StateOf(deep))
	})
	advEach(t, "orphan", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, KNode{})
		root := relations.Init(&KNode{Name: "root"})
		mid := relations.Init(&KNode{Name: "mid"})
		leaf := relations.Init(&KNode{Name: "leaf"})
		root.Children.Append(mid)
		mid.Children.Append(leaf)
		require.NoError(t, s.Add(root))
		require.NoError(t, s.Commit(ctx))
		root.Children.Remove(mid) // not loaded: false, and queued
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "root:-", advParents(t, eng, "k_nodes"))
	})
	advEach(t, "database refuses", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, PNode{})
		root := relations.Init(&PNode{Name: "root"})
		mid := relations.Init(&PNode{Name: "mid"})
		leaf := relations.Init(&PNode{Name: "leaf"})
		root.Children.Append(mid)
		mid.Children.Append(leaf)
		require.NoError(t, s.Add(root))
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Delete(mid))
		err := s.Flush(ctx)
		require.Error(t, err)
		require.Contains(t, err.Error(), "p_nodes")
		require.NoError(t, s.Rollback(ctx))
		require.Equal(t, session.Persistent, s.StateOf(mid))
		require.Equal(t, "root:-,mid:root,leaf:mid", advParents(t, eng, "p_nodes"))
	})
}

// Cycles: a node moved under its own descendant writes what it is told
// (the database has no rule against cycles) and loads without a hang;
// eager loading of a cyclic tree stops at objects already loaded;
// deleting a node of a cycle with cascade deletes the cycle once.
func TestSelfRefCycles(t *testing.T) {
	advEach(t, "move under descendant", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, ANode{})
		root, a, _, a1, _, _ := aTree()
		require.NoError(t, s.Add(root))
		require.NoError(t, s.Commit(ctx))
		// a's parent becomes a1, a1's parent is a: a cycle a → a1 → a.
		a.Parent.Set(a1)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "root:-,a:a1,b:root,a1:a,a2:a,b1:b", advParents(t, eng, "a_nodes"))
		s.ExpireAll()
		got, err := session.Select[ANode]().Options(
			relations.SelectIn(&advN.Children).Then(relations.SelectIn(&advN.Children).Then(relations.SelectIn(&advN.Children))),
			relations.Joined(&advN.Parent).Then(relations.Joined(&advN.Parent)),
		).Where(advNameIs("a")).One(ctx)
		require.NoError(t, err)
		require.Same(t, a, got)
		kids, ok := a.Children.Cached()
		require.True(t, ok)
		require.Equal(t, "a1,a2", aNames(kids))
		p, ok := a.Parent.Cached()
		require.True(t, ok)
		require.Same(t, a1, p)
		gk, ok := a1.Children.Cached()
		require.True(t, ok)
		require.Equal(t, "a", aNames(gk))
		require.Same(t, a, gk[0])
	})
	advEach(t, "selectin by default", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, SNode{})
		for _, q := range []string{
			"INSERT INTO s_nodes (id, name) VALUES (1, 'x')",
			"INSERT INTO s_nodes (id, name, parent_id) VALUES (2, 'y', 1)",
			"INSERT INTO s_nodes (id, name, parent_id) VALUES (3, 'z', 2)",
			"UPDATE s_nodes SET parent_id = 3 WHERE id = 1",
		} {
			_, err := eng.DB().Exec(q)
			require.NoError(t, err)
		}
		all, err := session.Select[SNode]().OrderBy(&advS.ID).All(ctx)
		require.NoError(t, err)
		require.Len(t, all, 3)
		for i, n := range all {
			kids, ok := n.Children.Cached()
			require.True(t, ok, n.Name)
			require.Len(t, kids, 1, n.Name)
			require.Same(t, all[(i+1)%3], kids[0])
		}
		x, err := session.Get[SNode](ctx, s, int64(1))
		require.NoError(t, err)
		require.Same(t, all[0], x)
	})
}

// Eager loading of a self-referential tree: each level is one more query
// (SelectIn) or join (Joined), exactly as deep as the option chain; the
// level below is left unloaded; a node reached as a child and as a parent
// is one pointer.
func TestSelfRefEagerDepthAndIdentity(t *testing.T) {
	for _, tc := range []struct {
		name string
		kids func(next ...*relations.Option) *relations.Option
	}{
		{"selectin", func(next ...*relations.Option) *relations.Option {
			return relations.SelectIn(&advN.Children).Then(next...)
		}},
		{"joined", func(next ...*relations.Option) *relations.Option {
			return relations.Joined(&advN.Children).Then(next...)
		}},
	} {
		advEach(t, tc.name, func(t *testing.T, eng *engine.Engine) {
			ctx, s := advSetup(t, eng, ANode{})
			root, _, _, _, _, _ := aTree()
			require.NoError(t, s.Add(root))
			require.NoError(t, s.Commit(ctx))
			s.ExpungeAll()

			// Two levels: root's children and grandchildren, no deeper.
			got, err := session.Select[ANode]().Where(advNameIs("root")).Options(tc.kids(tc.kids())).One(ctx)
			require.NoError(t, err)
			kids, ok := got.Children.Cached()
			require.True(t, ok)
			require.Equal(t, "a,b", aNames(kids))
			ak, ok := kids[0].Children.Cached()
			require.True(t, ok)
			require.Equal(t, "a1,a2", aNames(ak))
			_, ok = ak[0].Children.Cached()
			require.False(t, ok, "the third level is not loaded")
			// The back-references point up without SQL.
			p, ok := ak[0].Parent.Cached()
			require.True(t, ok)
			require.Same(t, kids[0], p)
			pp, ok := p.Parent.Cached()
			require.True(t, ok)
			require.Same(t, got, pp)

			// Reached again by a query and by Get: the same pointers.
			a1, err := session.Get[ANode](ctx, s, ak[0].ID)
			require.NoError(t, err)
			require.Same(t, ak[0], a1)
			leaves, err := session.Select[ANode]().Where(advNameIs("a1")).Options(
				relations.Joined(&advN.Parent).Then(relations.SelectIn(&advN.Parent))).All(ctx)
			require.NoError(t, err)
			require.Len(t, leaves, 1)
			require.Same(t, a1, leaves[0])
			lp, err := leaves[0].Parent.Load(ctx)
			require.NoError(t, err)
			require.Same(t, kids[0], lp)
			// A third level loaded lazily fills in the same objects.
			third, err := ak[0].Children.Load(ctx)
			require.NoError(t, err)
			require.Empty(t, third)
		})
	}
}

// Upward eager loading from the leaves: every leaf's chain of parents
// ends at the one root object.
func TestSelfRefEagerUpToRoot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, ANode{})
		root, _, _, _, _, _ := aTree()
		require.NoError(t, s.Add(root))
		require.NoError(t, s.Commit(ctx))
		rootID := root.ID
		s.ExpungeAll()
		leaves, err := session.Select[ANode]().Where(advNameIn("a1", "a2", "b1")).OrderBy(&advN.ID).Options(
			relations.SelectIn(&advN.Parent).Then(relations.Joined(&advN.Parent))).All(ctx)
		require.NoError(t, err)
		require.Len(t, leaves, 3)
		var top *ANode
		for _, l := range leaves {
			p, ok := l.Parent.Cached()
			require.True(t, ok, l.Name)
			pp, ok := p.Parent.Cached()
			require.True(t, ok, l.Name)
			require.Equal(t, rootID, pp.ID)
			if top == nil {
				top = pp
			}
			require.Same(t, top, pp, "one root object")
		}
		require.Same(t, leaves[0].Parent.Get(), leaves[1].Parent.Get())
	})
}

var (
	advN = expr.Cols[ANode]()
	advS = expr.Cols[SNode]()
)

func advNameIs(name string) expr.Expr { return expr.Eq(&advN.Name, name) }

func advNameIn(names ...string) expr.Expr { return expr.In(&advN.Name, names...) }

// Rows of one table that refer to each other in a cycle (x parent of y
// parent of x) and are deleted in one flush — by a delete cascade, or
// each by Delete — are deleted after one UPDATE each nulls their parent
// key. Before the fix the DELETEs ran in the order given and the first one
// failed on the foreign key on every dialect.
func TestRegression_SelfRefCycleDelete(t *testing.T) {
	advEach(t, "cascade", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, KNode{})
		x := relations.Init(&KNode{Name: "x"})
		y := relations.Init(&KNode{Name: "y"})
		z := relations.Init(&KNode{Name: "z"})
		x.Children.Append(y)
		y.Children.Append(z)
		z.Children.Append(x) // x moves under z: x → y → z → x
		require.NoError(t, s.Add(x))
		require.NoError(t, s.Commit(ctx))
		require.ElementsMatch(t, []string{"x:z", "y:x", "z:y"}, strings.Split(advParents(t, eng, "k_nodes"), ","))
		s.ExpireAll()
		require.NoError(t, s.Delete(x))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "", advParents(t, eng, "k_nodes"))
	})
	advEach(t, "each deleted", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, ANode{})
		x := relations.Init(&ANode{Name: "x"})
		y := relations.Init(&ANode{Name: "y"})
		keep := relations.Init(&ANode{Name: "keep"})
		x.Children.Append(y, keep)
		x.Parent.Set(y)
		require.NoError(t, s.Add(x))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "x:y,y:x,keep:x", advParents(t, eng, "a_nodes"))
		require.NoError(t, s.Delete(y))
		require.NoError(t, s.Delete(x))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "keep:-", advParents(t, eng, "a_nodes"))
		require.Nil(t, keep.ParentID)
	})
}

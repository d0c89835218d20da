package session_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Regressions of issue 19 items 2, 3, 5 and 13–22: the unit of work
// around relationships, cascades, orphans and foreign-key sync. The model
// is the one the randomized test found them with: Author 1—* Post
// (cascade all,delete-orphan), Post.Parent/Post.Replies (self-referential)
// and Post.Tags/Tag.Posts (many-to-many through uw_post_tags). Every test
// checks the objects in memory and the rows after commit.

type UWAuthor struct {
	ID    int64
	Name  string
	Posts relations.Many[UWPost] `arc:"back_populates:Author;cascade:all,delete-orphan;order_by:id"`
}

func (UWAuthor) TableName() string { return "uw_authors" }

type UWPost struct {
	ID       int64
	Title    string
	AuthorID *int64                  `arc:"fk:uw_authors.id"`
	ParentID *int64                  `arc:"fk:uw_posts.id"`
	Author   relations.One[UWAuthor] `arc:"back_populates:Posts"`
	Parent   relations.One[UWPost]   `arc:"back_populates:Replies"`
	Replies  relations.Many[UWPost]  `arc:"back_populates:Parent;order_by:id"`
	Tags     relations.Many[UWTag]   `arc:"secondary:uw_post_tags;fk:post_id,tag_id;back_populates:Posts;order_by:id"`
}

func (UWPost) TableName() string { return "uw_posts" }

type UWTag struct {
	ID    int64
	Word  string
	Posts relations.Many[UWPost] `arc:"secondary:uw_post_tags;back_populates:Tags;order_by:id"`
}

func (UWTag) TableName() string { return "uw_tags" }

type UWPostTag struct {
	PostID int64 `arc:"pk;fk:uw_posts.id"`
	TagID  int64 `arc:"pk;fk:uw_tags.id"`
}

func (UWPostTag) TableName() string { return "uw_post_tags" }

var UP = expr.Cols[UWPost]()

func uwSetup(t *testing.T, eng *engine.Engine) (context.Context, *session.Session) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, migrate.CreateAll(ctx, eng, UWAuthor{}, UWPost{}, UWTag{}, UWPostTag{}))
	s := session.New(eng)
	t.Cleanup(func() { _ = s.Close(ctx) })
	return session.With(ctx, s), s
}

// uwRow is a post's row: whether it exists, its author_id and parent_id.
type uwRow struct {
	Exists           bool
	Author, ParentID sql.NullInt64
}

func uwPostRow(t *testing.T, eng *engine.Engine, id int64) uwRow {
	t.Helper()
	var r uwRow
	err := eng.DB().QueryRow(phs(eng, "SELECT author_id, parent_id FROM uw_posts WHERE id = ?"), id).Scan(&r.Author, &r.ParentID)
	if errors.Is(err, sql.ErrNoRows) {
		return r
	}
	require.NoError(t, err)
	r.Exists = true
	return r
}

func uwSome(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: true} }

// uwLinks returns the uw_post_tags rows as "post-tag", sorted.
func uwLinks(t *testing.T, eng *engine.Engine) []string {
	t.Helper()
	rows, err := eng.DB().Query("SELECT post_id, tag_id FROM uw_post_tags")
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p, g int64
		require.NoError(t, rows.Scan(&p, &g))
		out = append(out, fmt.Sprintf("%d-%d", p, g))
	}
	require.NoError(t, rows.Err())
	slices.Sort(out)
	return out
}

func uwLink(p *UWPost, g *UWTag) string { return fmt.Sprintf("%d-%d", p.ID, g.ID) }

func uwNew[T any](v *T) *T { return relations.Init(v) }

// Item 2: Set on a never-loaded collection replaces the members in the
// database too (links that go are deleted, only new ones inserted).
func TestRegression_ManySetUnloadedReplaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		x, y, z := uwNew(&UWTag{Word: "x"}), uwNew(&UWTag{Word: "y"}), uwNew(&UWTag{Word: "z"})
		p := uwNew(&UWPost{Title: "p"})
		p.Tags.Set(x, y)
		require.NoError(t, s.AddAll(p, z))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{uwLink(p, x), uwLink(p, y)}, uwLinks(t, eng))

		// x.Posts loaded, p.Tags not: Set(z) must drop x and y.
		xs, err := x.Posts.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []*UWPost{p}, xs)
		_, loaded := p.Tags.Cached()
		require.False(t, loaded)
		p.Tags.Set(z)
		require.NoError(t, s.Flush(ctx))
		require.Equal(t, []*UWTag{z}, p.Tags.Items())
		require.Empty(t, x.Posts.Items(), "p left x's collection in memory")
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{uwLink(p, z)}, uwLinks(t, eng))

		// Set to a member already there plus a former one: no UNIQUE violation.
		p.Tags.Set(x, z)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{uwLink(p, x), uwLink(p, z)}, uwLinks(t, eng))
		p.Tags.Set()
		require.NoError(t, s.Commit(ctx))
		require.Empty(t, uwLinks(t, eng))

		// One-to-many with delete-orphan: the members left out are orphans.
		a := uwNew(&UWAuthor{Name: "a"})
		p1, p2 := uwNew(&UWPost{Title: "p1"}), uwNew(&UWPost{Title: "p2"})
		a.Posts.Set(p1, p2)
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))
		p3 := uwNew(&UWPost{Title: "p3"})
		a.Posts.Set(p2, p3)
		require.NoError(t, s.Flush(ctx))
		require.Equal(t, []*UWPost{p2, p3}, a.Posts.Items())
		require.Equal(t, session.Deleted, s.StateOf(p1))
		require.NoError(t, s.Commit(ctx))
		require.False(t, uwPostRow(t, eng, p1.ID).Exists)
		require.Equal(t, uwSome(a.ID), uwPostRow(t, eng, p2.ID).Author)
		require.Equal(t, uwSome(a.ID), uwPostRow(t, eng, p3.ID).Author)
	})
}

// Item 3: a self-referential parent and child saved together: the
// parent is inserted first and the child's parent_id written once.
func TestRegression_SelfRefSaveWritesFKOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		root := uwNew(&UWPost{Title: "root"})
		child := uwNew(&UWPost{Title: "child"})
		grand := uwNew(&UWPost{Title: "grand"})
		// Added child first: the flush still inserts the parent first.
		grand.Parent.Set(child)
		root.Replies.Append(child)
		require.NoError(t, s.AddAll(grand, root))
		rec := dbtest.Record(eng)
		require.NoError(t, s.Flush(ctx))
		stmts := rec.SQL()
		ups := filterSQL(stmts, "UPDATE")
		require.LessOrEqual(t, len(ups), 1, "at most one UPDATE per change: %v", stmts)
		require.Same(t, root, child.Parent.Get())
		require.Equal(t, root.ID, *child.ParentID)
		require.Equal(t, child.ID, *grand.ParentID)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, uwSome(root.ID), uwPostRow(t, eng, child.ID).ParentID)
		require.Equal(t, uwSome(child.ID), uwPostRow(t, eng, grand.ID).ParentID)
		require.False(t, uwPostRow(t, eng, root.ID).ParentID.Valid)
	})
}

// Item 3, the fallback: rows that refer to each other in a cycle are
// inserted together and get their keys from one UPDATE each.
func TestRegression_SelfRefCycleOneUpdateEach(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		a, b := uwNew(&UWPost{Title: "a"}), uwNew(&UWPost{Title: "b"})
		a.Parent.Set(b)
		b.Parent.Set(a)
		require.NoError(t, s.AddAll(a, b))
		rec := dbtest.Record(eng)
		require.NoError(t, s.Flush(ctx))
		require.Len(t, filterSQL(rec.SQL(), "UPDATE"), 2, "%v", rec.SQL())
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, uwSome(b.ID), uwPostRow(t, eng, a.ID).ParentID)
		require.Equal(t, uwSome(a.ID), uwPostRow(t, eng, b.ID).ParentID)
	})
}

// Item 5: removing a many-to-many link whose row is already gone is
// ErrStaleData, and the failed flush leaves everything as it was.
func TestRegression_M2MRemoveGoneLinkIsStale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		x := uwNew(&UWTag{Word: "x"})
		p := uwNew(&UWPost{Title: "p"})
		p.Tags.Append(x)
		require.NoError(t, s.Add(p))
		require.NoError(t, s.Commit(ctx))
		// A session that keeps p.Tags loaded across its commit, so that no
		// transaction is open when the row goes.
		s2 := session.New(eng, session.WithExpireOnCommit(false))
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		p2, err := session.Select[UWPost]().Where(expr.Eq(&UP.ID, p.ID)).One(ctx2)
		require.NoError(t, err)
		tags, err := p2.Tags.Load(ctx2)
		require.NoError(t, err)
		require.Len(t, tags, 1)
		require.NoError(t, s2.Commit(ctx2))
		_, err = eng.DB().Exec("DELETE FROM uw_post_tags")
		require.NoError(t, err)
		require.True(t, p2.Tags.Remove(tags[0]))
		err = s2.Flush(ctx2)
		require.ErrorIs(t, err, arcerr.ErrStaleData)
		require.Contains(t, err.Error(), "uw_post_tags")
		require.Empty(t, p2.Tags.Items(), "in memory as the user left it")
		require.NoError(t, s2.Rollback(ctx2))
	})
}

// Item 13: moving a child to another parent updates its foreign key; a
// moved object is not an orphan.
func TestRegression_MovedChildIsNotOrphan(t *testing.T) {
	type step func(ctx context.Context, t *testing.T, a, b *UWAuthor, p *UWPost)
	loadOld := func(ctx context.Context, t *testing.T, a, b *UWAuthor, p *UWPost) {
		_, err := a.Posts.Load(ctx)
		require.NoError(t, err)
	}
	loadOne := func(ctx context.Context, t *testing.T, a, b *UWAuthor, p *UWPost) {
		got, err := p.Author.Load(ctx)
		require.NoError(t, err)
		require.Same(t, a, got)
	}
	appendOld := func(ctx context.Context, t *testing.T, a, b *UWAuthor, p *UWPost) { a.Posts.Append(p) }
	nothing := func(context.Context, *testing.T, *UWAuthor, *UWAuthor, *UWPost) {}
	appendNew := func(ctx context.Context, t *testing.T, a, b *UWAuthor, p *UWPost) { b.Posts.Append(p) }
	setOne := func(ctx context.Context, t *testing.T, a, b *UWAuthor, p *UWPost) { p.Author.Set(b) }
	for _, tc := range []struct {
		name       string
		prep, move step
	}{
		{"old collection loaded, append to new", loadOld, appendNew},
		{"old collection loaded, set to-one", loadOld, setOne},
		{"to-one loaded, append to new", loadOne, appendNew},
		{"to-one loaded, set to-one", loadOne, setOne},
		{"in old collection in memory, unloaded, append to new", appendOld, appendNew},
		{"in old collection in memory, unloaded, set to-one", appendOld, setOne},
		{"nothing loaded, append to new", nothing, appendNew},
		{"nothing loaded, set to-one", nothing, setOne},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
				ctx, s := uwSetup(t, eng)
				a, b := uwNew(&UWAuthor{Name: "a"}), uwNew(&UWAuthor{Name: "b"})
				p := uwNew(&UWPost{Title: "p"})
				a.Posts.Append(p)
				require.NoError(t, s.AddAll(a, b))
				require.NoError(t, s.Commit(ctx))
				tc.prep(ctx, t, a, b, p)
				tc.move(ctx, t, a, b, p)
				require.NoError(t, s.Flush(ctx))
				require.Equal(t, session.Persistent, s.StateOf(p))
				require.Same(t, b, p.Author.Get())
				require.Equal(t, b.ID, *p.AuthorID)
				require.NotContains(t, a.Posts.Items(), p)
				require.Contains(t, b.Posts.Items(), p)
				require.NoError(t, s.Commit(ctx))
				require.Equal(t, uwRow{Exists: true, Author: uwSome(b.ID)}, uwPostRow(t, eng, p.ID))
				bs, err := b.Posts.Load(ctx)
				require.NoError(t, err)
				require.Equal(t, []*UWPost{p}, bs)
				as, err := a.Posts.Load(ctx)
				require.NoError(t, err)
				require.Empty(t, as)
			})
		})
	}
}

// Item 14: moved, then the old parent deleted: the moved child stays with
// its new parent (one-to-many with delete cascade, and self-referential).
func TestRegression_MovedThenOldParentDeleted(t *testing.T) {
	t.Run("author", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
			ctx, s := uwSetup(t, eng)
			a1, a2 := uwNew(&UWAuthor{Name: "a1"}), uwNew(&UWAuthor{Name: "a2"})
			p, q := uwNew(&UWPost{Title: "p"}), uwNew(&UWPost{Title: "q"})
			a1.Posts.Append(p, q)
			require.NoError(t, s.AddAll(a1, a2))
			require.NoError(t, s.Commit(ctx))
			a2.Posts.Append(p) // nothing loaded
			require.NoError(t, s.Delete(a1))
			require.NoError(t, s.Flush(ctx))
			require.Equal(t, session.Persistent, s.StateOf(p))
			require.Equal(t, session.Deleted, s.StateOf(q), "the child that stayed is deleted by the cascade")
			require.Equal(t, a2.ID, *p.AuthorID)
			require.NoError(t, s.Commit(ctx))
			require.Equal(t, uwRow{Exists: true, Author: uwSome(a2.ID)}, uwPostRow(t, eng, p.ID))
			require.False(t, uwPostRow(t, eng, q.ID).Exists)
		})
	})
	t.Run("self-referential", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
			ctx, s := uwSetup(t, eng)
			p1, p2 := uwNew(&UWPost{Title: "p1"}), uwNew(&UWPost{Title: "p2"})
			r, r2 := uwNew(&UWPost{Title: "r"}), uwNew(&UWPost{Title: "r2"})
			p1.Replies.Append(r, r2)
			require.NoError(t, s.AddAll(p1, p2))
			require.NoError(t, s.Commit(ctx))
			p2.Replies.Append(r)
			require.NoError(t, s.Delete(p1))
			require.NoError(t, s.Flush(ctx))
			require.Same(t, p2, r.Parent.Get())
			require.Equal(t, p2.ID, *r.ParentID)
			require.Nil(t, r2.ParentID, "the reply that stayed has its FK nulled")
			require.NoError(t, s.Commit(ctx))
			require.False(t, uwPostRow(t, eng, p1.ID).Exists)
			require.Equal(t, uwRow{Exists: true, ParentID: uwSome(p2.ID)}, uwPostRow(t, eng, r.ID))
			require.Equal(t, uwRow{Exists: true}, uwPostRow(t, eng, r2.ID))
		})
	})
}

// Item 15: clearing a to-one that was never loaded writes NULL.
func TestRegression_ClearUnloadedToOne(t *testing.T) {
	for _, tc := range []struct {
		name  string
		clear func(p2, p3, p8 *UWPost)
	}{
		{"Set(nil)", func(p2, p3, p8 *UWPost) { p3.Parent.Set(nil) }},
		{"Append then Remove", func(p2, p3, p8 *UWPost) { p8.Replies.Append(p3); p8.Replies.Remove(p3) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
				ctx, s := uwSetup(t, eng)
				p2, p3, p8 := uwNew(&UWPost{Title: "p2"}), uwNew(&UWPost{Title: "p3"}), uwNew(&UWPost{Title: "p8"})
				p2.Replies.Append(p3)
				require.NoError(t, s.AddAll(p2, p8))
				require.NoError(t, s.Commit(ctx))
				tc.clear(p2, p3, p8)
				require.NoError(t, s.Flush(ctx))
				require.Nil(t, p3.Parent.Get())
				require.Nil(t, p3.ParentID)
				require.NoError(t, s.Commit(ctx))
				require.Equal(t, uwRow{Exists: true}, uwPostRow(t, eng, p3.ID))
				rs, err := p2.Replies.Load(ctx)
				require.NoError(t, err)
				require.Empty(t, rs)
			})
		})
	}
}

// Item 17: delete-orphan handles the orphan's dependents as s.Delete does:
// its association rows are deleted and its replies' parent_id nulled.
func TestRegression_DeleteOrphanHandlesDependents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		a := uwNew(&UWAuthor{Name: "a"})
		p, r := uwNew(&UWPost{Title: "p"}), uwNew(&UWPost{Title: "r"})
		x, y := uwNew(&UWTag{Word: "x"}), uwNew(&UWTag{Word: "y"})
		a.Posts.Append(p)
		p.Tags.Append(x, y)
		p.Replies.Append(r)
		require.NoError(t, s.AddAll(a, r))
		require.NoError(t, s.Commit(ctx))
		_, err := a.Posts.Load(ctx)
		require.NoError(t, err)
		require.True(t, a.Posts.Remove(p))
		require.NoError(t, s.Flush(ctx))
		require.Equal(t, session.Deleted, s.StateOf(p))
		require.Nil(t, r.ParentID)
		require.NoError(t, s.Commit(ctx))
		require.False(t, uwPostRow(t, eng, p.ID).Exists)
		require.Equal(t, uwRow{Exists: true}, uwPostRow(t, eng, r.ID))
		require.Empty(t, uwLinks(t, eng))
		require.Equal(t, 2, countRows(t, eng, "uw_tags", ""))
	})
}

// Item 18: rows of one self-referential table deleted in one flush go
// children first, whatever order Delete was called in.
func TestRegression_SelfRefDeleteChildrenFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		root, mid, leaf := uwNew(&UWPost{Title: "root"}), uwNew(&UWPost{Title: "mid"}), uwNew(&UWPost{Title: "leaf"})
		other := uwNew(&UWPost{Title: "other"})
		root.Replies.Append(mid)
		mid.Replies.Append(leaf)
		require.NoError(t, s.AddAll(root, other))
		require.NoError(t, s.Commit(ctx))
		for _, p := range []*UWPost{root, other, mid, leaf} {
			require.NoError(t, s.Delete(p))
		}
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 0, countRows(t, eng, "uw_posts", ""))
	})
}

// Item 19: a link appended through a backref while the other side was
// unloaded is not written for a post deleted before the flush, nor again
// after it.
func TestRegression_BackrefLinkNotReappliedAfterDelete(t *testing.T) {
	for _, tc := range []struct {
		name       string
		flushFirst bool
	}{{"deleted before the flush", false}, {"deleted after the flush", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
				ctx, s := uwSetup(t, eng)
				p, x := uwNew(&UWPost{Title: "p"}), uwNew(&UWTag{Word: "x"})
				require.NoError(t, s.AddAll(p, x))
				require.NoError(t, s.Commit(ctx))
				x.Posts.Append(p) // p.Tags unloaded: queued there through the backref
				if tc.flushFirst {
					require.NoError(t, s.Flush(ctx))
				}
				require.NoError(t, s.Delete(p))
				require.NoError(t, s.Flush(ctx))
				require.NoError(t, s.Flush(ctx))
				require.NoError(t, s.Commit(ctx))
				require.Empty(t, uwLinks(t, eng))
				require.Equal(t, 0, countRows(t, eng, "uw_posts", ""))
				require.Equal(t, 1, countRows(t, eng, "uw_tags", ""))
			})
		})
	}
}

// Item 20: a foreign key Arc nulled (its parent was deleted) is not a
// user change that conflicts with a move of the child, in the same flush
// or after an autoflush.
func TestRegression_ArcFKClearIsNotUserChange(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		loadParent, flushBefore bool
	}{
		{"same flush", false, false},
		{"same flush, to-one loaded", true, false},
		{"after an autoflush", false, true},
		{"after an autoflush, to-one loaded", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
				ctx, s := uwSetup(t, eng)
				p2, p3, p5 := uwNew(&UWPost{Title: "p2"}), uwNew(&UWPost{Title: "p3"}), uwNew(&UWPost{Title: "p5"})
				p2.Replies.Append(p3)
				require.NoError(t, s.AddAll(p2, p5))
				require.NoError(t, s.Commit(ctx))
				if tc.loadParent {
					got, err := p3.Parent.Load(ctx)
					require.NoError(t, err)
					require.Same(t, p2, got)
				}
				require.NoError(t, s.Delete(p2))
				if tc.flushBefore {
					_, err := session.Select[UWPost]().Where(expr.Eq(&UP.Title, "none")).All(ctx) // autoflush
					require.NoError(t, err)
					require.Nil(t, p3.ParentID)
				}
				p5.Replies.Append(p3)
				require.NoError(t, s.Flush(ctx))
				require.Same(t, p5, p3.Parent.Get())
				require.Equal(t, p5.ID, *p3.ParentID)
				require.NoError(t, s.Commit(ctx))
				require.False(t, uwPostRow(t, eng, p2.ID).Exists)
				require.Equal(t, uwRow{Exists: true, ParentID: uwSome(p5.ID)}, uwPostRow(t, eng, p3.ID))
			})
		})
	}
}

// Item 21: the values of objects in predicates are read when the query
// runs, after its autoflush.
func TestRegression_ContainsReadsAfterAutoflush(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		p1, p2, r := uwNew(&UWPost{Title: "p1"}), uwNew(&UWPost{Title: "p2"}), uwNew(&UWPost{Title: "r"})
		p1.Replies.Append(r)
		require.NoError(t, s.AddAll(p1, p2))
		require.NoError(t, s.Commit(ctx))
		q := session.Select[UWPost]().Where(relations.Contains(&UP.Replies, r))
		got, err := q.All(ctx)
		require.NoError(t, err)
		require.Equal(t, []*UWPost{p1}, got)
		p2.Replies.Append(r) // not flushed: r.ParentID still p1's
		got, err = session.Select[UWPost]().Where(relations.Contains(&UP.Replies, r)).All(ctx)
		require.NoError(t, err)
		require.Equal(t, []*UWPost{p2}, got)
		p1.Replies.Append(r)
		got, err = q.All(ctx) // the same query value, run again
		require.NoError(t, err)
		require.Equal(t, []*UWPost{p1}, got)
		// WithParent over a many-to-one reads r's FK at run time too.
		wp := session.Select[UWPost]().Where(relations.WithParent(r, &UP.Parent))
		p2.Replies.Append(r)
		got, err = wp.All(ctx)
		require.NoError(t, err)
		require.Equal(t, []*UWPost{p2}, got)
		r.Parent.Set(nil)
		got, err = wp.All(ctx)
		require.NoError(t, err)
		require.Empty(t, got)
	})
}

// Item 22: moving an expired object removes it from its old parent's
// collection in memory.
func TestRegression_ExpiredBackrefLeavesOldCollection(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		p2, p3, p4 := uwNew(&UWPost{Title: "p2"}), uwNew(&UWPost{Title: "p3"}), uwNew(&UWPost{Title: "p4"})
		p2.Replies.Append(p3)
		require.NoError(t, s.AddAll(p2, p4))
		require.NoError(t, s.Commit(ctx))
		rs, err := p2.Replies.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []*UWPost{p3}, rs)
		require.NoError(t, s.Expire(p3))
		p4.Replies.Append(p3)
		require.Empty(t, p2.Replies.Items())
		require.NoError(t, s.Flush(ctx))
		require.Empty(t, p2.Replies.Items())
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, uwRow{Exists: true, ParentID: uwSome(p4.ID)}, uwPostRow(t, eng, p3.ID))
	})
}

// Found by TestRelRandomMoves: setting the to-one to the parent it already
// has (never loaded) and then removing the child from that parent's
// unloaded collection makes it an orphan.
func TestRegression_RemoveAfterSetToSameParentOrphans(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		a := uwNew(&UWAuthor{Name: "a"})
		p, q := uwNew(&UWPost{Title: "p"}), uwNew(&UWPost{Title: "q"})
		a.Posts.Append(p, q)
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))
		p.Author.Set(a) // unloaded: already a's
		a.Posts.Remove(p)
		q.Author.Set(nil) // de-associated from the other side
		require.NoError(t, s.Flush(ctx))
		require.Equal(t, session.Deleted, s.StateOf(p))
		require.Equal(t, session.Deleted, s.StateOf(q))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 0, countRows(t, eng, "uw_posts", ""))
	})
}

// Found by TestRelRandomMoves: a new child taken out of its parent's
// collection before its first flush is expunged, and stays out although
// another relationship (its tags) still reaches it.
func TestRegression_PendingOrphanIsExpunged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		a, x := uwNew(&UWAuthor{Name: "a"}), uwNew(&UWTag{Word: "x"})
		require.NoError(t, s.AddAll(a, x))
		require.NoError(t, s.Commit(ctx))
		p := uwNew(&UWPost{Title: "p"})
		a.Posts.Append(p) // unloaded collection
		p.Tags.Append(x)
		a.Posts.Set() // replaces: p leaves before it was ever flushed
		require.NoError(t, s.Flush(ctx))
		require.Equal(t, session.Transient, s.StateOf(p))
		require.NotContains(t, x.Posts.Items(), p)
		x.Word = "x2"
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 0, countRows(t, eng, "uw_posts", ""))
		require.Empty(t, uwLinks(t, eng))
	})
}

// Found by TestRelRandomMoves: a new child of a parent deleted with
// cascade delete is expunged with it, not inserted.
func TestRegression_PendingChildOfDeletedParentIsExpunged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		a := uwNew(&UWAuthor{Name: "a"})
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))
		p := uwNew(&UWPost{Title: "p"})
		a.Posts.Append(p)
		require.NoError(t, s.Delete(a))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, session.Transient, s.StateOf(p))
		require.Equal(t, 0, countRows(t, eng, "uw_posts", ""))
		require.Equal(t, 0, countRows(t, eng, "uw_authors", ""))
	})
}

// Found by TestRelRandomMoves: a reply attached to a post that is
// deleted in the same flush (here as an orphan) keeps no reference to it,
// like the post's other replies.
func TestRegression_ChildOfParentDeletedInSameFlushNulled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		a := uwNew(&UWAuthor{Name: "a"})
		p1, p4 := uwNew(&UWPost{Title: "p1"}), uwNew(&UWPost{Title: "p4"})
		a.Posts.Append(p1, p4)
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))
		p1.Replies.Append(p4)
		a.Posts.Set(p4) // p1 becomes an orphan
		require.NoError(t, s.Flush(ctx))
		require.Equal(t, session.Deleted, s.StateOf(p1))
		require.Nil(t, p4.ParentID)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, uwRow{Exists: true, Author: uwSome(a.ID)}, uwPostRow(t, eng, p4.ID))
		require.False(t, uwPostRow(t, eng, p1.ID).Exists)
	})
}

// Found by TestRelRandomMoves: after Set to the parent the child already
// had and a flush that wrote nothing, removing the expired child from the
// unloaded collection still makes it an orphan.
func TestRegression_RemoveExpiredChildAfterNoopFlushOrphans(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		a := uwNew(&UWAuthor{Name: "a"})
		p := uwNew(&UWPost{Title: "p"})
		a.Posts.Append(p)
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))
		p.Author.Set(a)
		require.NoError(t, s.Flush(ctx)) // nothing to write
		require.NoError(t, s.Expire(p))
		require.True(t, a.Posts.Remove(p))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 0, countRows(t, eng, "uw_posts", ""))
	})
}

// Found by TestRelRandomMoves: Set on an unloaded collection takes the
// owner out of the other side's in-memory list at once, so appending it
// back through the other side is kept.
func TestRegression_SetUnloadedThenAppendFromOtherSide(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		x, y := uwNew(&UWTag{Word: "x"}), uwNew(&UWTag{Word: "y"})
		p := uwNew(&UWPost{Title: "p"})
		require.NoError(t, s.AddAll(p, x, y))
		require.NoError(t, s.Commit(ctx))
		_, err := p.Tags.Load(ctx)
		require.NoError(t, err)
		p.Tags.Set(x, y) // y.Posts (unloaded) holds p in memory
		require.NoError(t, s.Flush(ctx))
		require.NoError(t, s.Expire(p))
		p.Tags.Set(x) // unloaded: y leaves
		require.NotContains(t, y.Posts.Items(), p)
		y.Posts.Append(p) // and comes back through the other side
		require.NoError(t, s.Flush(ctx))
		require.ElementsMatch(t, []*UWTag{x, y}, p.Tags.Items())
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{uwLink(p, x), uwLink(p, y)}, uwLinks(t, eng))
	})
}

// Found by TestRelRandomMoves: a new reply whose new parent is expunged
// as a pending orphan in the same flush is inserted with no parent.
func TestRegression_ReplyOfExpungedOrphanParent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uwSetup(t, eng)
		a := uwNew(&UWAuthor{Name: "a"})
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))
		p6, p7 := uwNew(&UWPost{Title: "p6"}), uwNew(&UWPost{Title: "p7"})
		a.Posts.Append(p7)
		p6.Parent.Set(p7)
		a.Posts.Set(p6) // p7 leaves before its first flush
		require.NoError(t, s.Flush(ctx))
		require.Equal(t, session.Transient, s.StateOf(p7))
		require.Nil(t, p6.ParentID)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, uwRow{Exists: true, Author: uwSome(a.ID)}, uwPostRow(t, eng, p6.ID))
		require.Equal(t, 1, countRows(t, eng, "uw_posts", ""))
	})
}

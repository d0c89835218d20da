package session_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Adversarial tests of a self-referential many-to-many (Member follows
// Member through follows, selfref_test.go).

// advFollows returns the follows rows as "follower>followee" by name,
// sorted.
func advFollows(t *testing.T, eng *engine.Engine) []string {
	t.Helper()
	rows, err := eng.DB().Query("SELECT a.name, b.name FROM follows f JOIN members a ON a.id = f.follower_id JOIN members b ON b.id = f.followee_id")
	require.NoError(t, err)
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var a, b string
		require.NoError(t, rows.Scan(&a, &b))
		out = append(out, a+">"+b)
	}
	require.NoError(t, rows.Err())
	slices.Sort(out)
	return out
}

func advMembers(t *testing.T, ctx context.Context, s *session.Session, names ...string) []*Member {
	t.Helper()
	out := make([]*Member, len(names))
	for i, n := range names {
		out[i] = relations.Init(&Member{Name: n})
		require.NoError(t, s.Add(out[i]))
	}
	require.NoError(t, s.Commit(ctx))
	return out
}

func TestSelfRefM2MFollow(t *testing.T) {
	advEach(t, "both directions", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, Member{}, Follow{})
		ms := advMembers(t, ctx, s, "ann", "bob", "cat")
		ann, bob, cat := ms[0], ms[1], ms[2]
		ann.Following.Append(bob) // ann follows bob
		cat.Followers.Append(ann) // ann follows cat, from the other side
		bob.Following.Append(ann) // bob follows ann
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{"ann>bob", "ann>cat", "bob>ann"}, advFollows(t, eng))
		following, err := ann.Following.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "bob,cat", memberNames(following))
		followers, err := ann.Followers.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "bob", memberNames(followers))
		bf, err := bob.Followers.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "ann", memberNames(bf))
		require.Same(t, ann, bf[0])

		// Removed from both sides in memory: one DELETE, no stale error.
		require.True(t, ann.Following.Remove(bob))
		bob.Followers.Remove(ann)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{"ann>cat", "bob>ann"}, advFollows(t, eng))
	})
	advEach(t, "duplicates", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, Member{}, Follow{})
		ms := advMembers(t, ctx, s, "ann", "bob")
		ann, bob := ms[0], ms[1]
		ann.Following.Append(bob, bob)
		bob.Followers.Append(ann)
		require.NoError(t, s.Flush(ctx))
		ann.Following.Append(bob) // already a member, after a flush
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{"ann>bob"}, advFollows(t, eng))
		// Neither side loaded (expired by the commit): the link exists in
		// the database and is appended again.
		ann.Following.Append(bob)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{"ann>bob"}, advFollows(t, eng))
		f, err := ann.Following.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "bob", memberNames(f))
	})
	advEach(t, "follows itself", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, Member{}, Follow{})
		ms := advMembers(t, ctx, s, "ann", "bob")
		ann, bob := ms[0], ms[1]
		_, err := ann.Following.Load(ctx)
		require.NoError(t, err)
		_, err = ann.Followers.Load(ctx)
		require.NoError(t, err)
		ann.Following.Append(ann)
		require.Equal(t, "ann", memberNames(ann.Followers.Items()), "the inverse side is the same object")
		bob.Following.Append(ann)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{"ann>ann", "bob>ann"}, advFollows(t, eng))
		fs, err := ann.Followers.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "ann,bob", memberNames(fs))
		require.Same(t, ann, fs[0])

		ann.Followers.Remove(ann)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{"bob>ann"}, advFollows(t, eng))
		f, err := ann.Following.Load(ctx)
		require.NoError(t, err)
		require.Empty(t, f)

		// Deleting a member deletes its rows in both directions.
		ann.Following.Append(ann, bob)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{"ann>ann", "ann>bob", "bob>ann"}, advFollows(t, eng))
		require.NoError(t, s.Delete(ann))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{}, advFollows(t, eng))
		bf, err := bob.Following.Load(ctx)
		require.NoError(t, err)
		require.Empty(t, bf)
	})
	advEach(t, "new members follow each other", func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, Member{}, Follow{})
		var ms []*Member
		for i := range 4 {
			ms = append(ms, relations.Init(&Member{Name: fmt.Sprintf("m%d", i)}))
		}
		for i, m := range ms { // a ring, and everyone follows m0
			m.Following.Append(ms[(i+1)%len(ms)], ms[0])
		}
		require.NoError(t, s.Add(ms[0])) // the rest by cascade
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, []string{"m0>m0", "m0>m1", "m1>m0", "m1>m2", "m2>m0", "m2>m3", "m3>m0"}, advFollows(t, eng))
	})
}

// Appending a member that the database already links, while neither
// side's collection is loaded (both expired by a commit), is a no-op at
// flush: the flush asks the association table whether the row is there.
// Before the fix the flush inserted the row again and failed with a
// duplicate-key error on every dialect (SQLAlchemy loads the collection
// on append and sees the member).
func TestRegression_M2MAppendUnloadedExistingLink(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := advSetup(t, eng, Member{}, Follow{})
		ms := advMembers(t, ctx, s, "ann", "bob", "cat")
		ann, bob, cat := ms[0], ms[1], ms[2]
		ann.Following.Append(bob)
		require.NoError(t, s.Commit(ctx))
		ann.Following.Append(bob, cat) // bob is linked, cat is not
		bob.Followers.Append(ann)
		rec := dbtest.Record(eng)
		require.NoError(t, s.Commit(ctx))
		require.Len(t, filterSQL(rec.SQL(), "INSERT"), 1, "%v", rec.SQL())
		require.Equal(t, []string{"ann>bob", "ann>cat"}, advFollows(t, eng))
		f, err := ann.Following.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "bob,cat", memberNames(f))

		// The tutorial's posts and keywords: the same from the target side.
		ctx2, s2 := relSetup(t, eng)
		post := relations.Init(&RPost{Headline: "h"})
		kw := relations.Init(&RKeyword{Keyword: "k"})
		post.Keywords.Append(kw)
		require.NoError(t, s2.Add(post))
		require.NoError(t, s2.Commit(ctx2))
		kw.Posts.Append(post)
		require.NoError(t, s2.Commit(ctx2))
		require.Equal(t, 1, countRows(t, eng, "post_keywords", ""))
	})
}

package session_test

import (
	"context"

	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// Relationship bugs TestRandomizedUnitOfWork found. The first two were
// fixed by the relationship flush work of issue 19; the last is open and
// skips until it is fixed.

// A pending reply of a post deleted in the same flush is inserted with
// the deleted parent's id (foreign-key error); SQLAlchemy clears the
// reply's parent_id, as Arc does for persistent replies.
func TestRegression_PendingReplyOfDeletedParent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uowSetup(t, eng)
		p0 := &MPost{Title: "parent"}
		require.NoError(t, s.Add(p0))
		require.NoError(t, s.Commit(ctx))
		p1 := &MPost{Title: "reply"}
		require.NoError(t, s.Add(p1))
		p1.Parent.Set(p0)
		require.NoError(t, s.Delete(p0))
		require.NoError(t, s.Commit(ctx))
		require.Nil(t, p1.ParentID)
	})
}

// A link appended from a pending post to a tag deleted in the same flush
// is inserted before the tag's DELETE (foreign-key error); SQLAlchemy
// does not write it.
func TestRegression_PendingLinkToDeletedTag(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uowSetup(t, eng)
		tg := &MTag{Word: "w"}
		require.NoError(t, s.Add(tg))
		require.NoError(t, s.Commit(ctx))
		p := &MPost{Title: "p"}
		require.NoError(t, s.Add(p))
		p.Tags.Append(tg)
		require.NoError(t, s.Delete(tg))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 0, countRows(t, eng, "m_post_tags", ""))
	})
}

func uowSetup(t *testing.T, eng *engine.Engine) (context.Context, *session.Session) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, migrate.CreateAll(ctx, eng, uowModels...))
	s := session.New(eng)
	t.Cleanup(func() { _ = s.Close(ctx) })
	return session.With(ctx, s), s
}

// Expiring a post after Set of its (unloaded) tags to members it already
// has: the next flush inserts the existing link again (UNIQUE violation);
// the queued change of the other side (Tag.Posts) outlives the expiry.
func TestRegression_ExpireAfterSetKeepsNoStaleLink(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uowSetup(t, eng)
		tg := &MTag{Word: "w"}
		p := &MPost{Title: "p"}
		require.NoError(t, s.AddAll(tg, p))
		p.Tags.Append(tg)
		require.NoError(t, s.Commit(ctx))
		s.ExpireAll()
		p.Tags.Set(tg)
		require.NoError(t, s.Expire(p))
		require.NoError(t, s.Flush(ctx))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 1, countRows(t, eng, "m_post_tags", ""))
	})
}

// A flush that expunges a pending post (its author is deleted) and then
// fails puts the post back as pending, with its relationships: a failed
// flush changes nothing.
func TestRegression_FailedFlushRestoresExpunged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := uowSetup(t, eng)
		a := &MAuthor{Name: "a"}
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))
		p := &MPost{Title: "p"}
		require.NoError(t, s.Add(p))
		p.Author.Set(a)
		require.NoError(t, s.Add(&MPost{Title: "bad", Score: -1})) // violates the CHECK
		require.NoError(t, s.Delete(a))
		require.Error(t, s.Flush(ctx))
		require.Equal(t, session.Pending, s.StateOf(p))
		require.Same(t, a, p.Author.Get())
	})
}

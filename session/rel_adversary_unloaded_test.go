package session_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Collections changed before they are loaded: appends, removes and
// replacements queued on a lazy collection never loaded, flushed, then
// loaded — nothing lost, nothing twice, nothing stale.

func aNamesOf(ns []*ANode) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Name
	}
	return out
}

// advForest writes p ─ {c1, c2} and q ─ {c3} and commits: every
// collection is expired (unloaded) afterwards.
func advForest(t *testing.T, eng *engine.Engine) (s *session.Session, p, q, c1, c2, c3 *ANode) {
	t.Helper()
	ctx, s := advSetup(t, eng, ANode{})
	p, q = relations.Init(&ANode{Name: "p"}), relations.Init(&ANode{Name: "q"})
	c1, c2, c3 = relations.Init(&ANode{Name: "c1"}), relations.Init(&ANode{Name: "c2"}), relations.Init(&ANode{Name: "c3"})
	p.Children.Append(c1, c2)
	q.Children.Append(c3)
	require.NoError(t, s.AddAll(p, q))
	require.NoError(t, s.Commit(ctx))
	for _, n := range []*ANode{p, q, c1, c2, c3} {
		_, loaded := n.Children.Cached()
		require.False(t, loaded)
	}
	return s, p, q, c1, c2, c3
}

func TestUnloadedCollectionChanges(t *testing.T) {
	advEach(t, "append new then load", func(t *testing.T, eng *engine.Engine) {
		s, p, _, _, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		c4 := relations.Init(&ANode{Name: "c4"})
		p.Children.Append(c4)
		got, err := p.Children.Load(ctx) // autoflush, then the load
		require.NoError(t, err)
		require.Equal(t, []string{"c1", "c2", "c4"}, aNamesOf(got))
		require.NoError(t, s.Commit(ctx))
		got, err = p.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"c1", "c2", "c4"}, aNamesOf(got))
	})
	advEach(t, "append existing member", func(t *testing.T, eng *engine.Engine) {
		s, p, _, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		p.Children.Append(c1, c1)
		require.NoError(t, s.Flush(ctx))
		got, err := p.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"c1", "c2"}, aNamesOf(got))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,q:-,c1:p,c2:p,c3:q", advParents(t, eng, "a_nodes"))
	})
	advEach(t, "remove then load", func(t *testing.T, eng *engine.Engine) {
		s, p, _, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		p.Children.Remove(c1)
		got, err := p.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"c2"}, aNamesOf(got))
		require.Nil(t, c1.ParentID)
		par, err := c1.Parent.Load(ctx)
		require.NoError(t, err)
		require.Nil(t, par)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,q:-,c1:-,c2:p,c3:q", advParents(t, eng, "a_nodes"))
	})
	advEach(t, "remove then append back", func(t *testing.T, eng *engine.Engine) {
		s, p, _, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		p.Children.Remove(c1)
		p.Children.Append(c1)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,q:-,c1:p,c2:p,c3:q", advParents(t, eng, "a_nodes"))
		p.Children.Append(c1)
		p.Children.Remove(c1)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,q:-,c1:-,c2:p,c3:q", advParents(t, eng, "a_nodes"))
	})
	advEach(t, "replace before load", func(t *testing.T, eng *engine.Engine) {
		s, p, _, _, c2, c3 := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		c4 := relations.Init(&ANode{Name: "c4"})
		p.Children.Set(c2, c3, c4) // c1 leaves, c3 moves from q, c4 is new
		got, err := p.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"c2", "c3", "c4"}, aNamesOf(got))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,q:-,c1:-,c2:p,c3:p,c4:p", advParents(t, eng, "a_nodes"))
		for _, n := range []*ANode{p, c2} {
			_, loaded := n.Children.Cached()
			require.False(t, loaded, "expired by the commit: %s", n.Name)
		}
		got, err = p.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"c2", "c3", "c4"}, aNamesOf(got))
	})
	advEach(t, "move with only the old parent loaded", func(t *testing.T, eng *engine.Engine) {
		s, p, q, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		_, err := p.Children.Load(ctx)
		require.NoError(t, err)
		q.Children.Append(c1)
		require.Equal(t, []string{"c2"}, aNamesOf(p.Children.Items()), "left the loaded old parent at once")
		got, err := q.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"c1", "c3"}, aNamesOf(got))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,q:-,c1:q,c2:p,c3:q", advParents(t, eng, "a_nodes"))
	})
	advEach(t, "move with only the new parent loaded", func(t *testing.T, eng *engine.Engine) {
		s, p, q, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		_, err := q.Children.Load(ctx)
		require.NoError(t, err)
		c1.Parent.Set(q)
		require.Equal(t, []string{"c3", "c1"}, aNamesOf(q.Children.Items()), "appended at the end in memory")
		got, err := p.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"c2"}, aNamesOf(got))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,q:-,c1:q,c2:p,c3:q", advParents(t, eng, "a_nodes"))
	})
	advEach(t, "move between two unloaded parents", func(t *testing.T, eng *engine.Engine) {
		s, p, q, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		p.Children.Remove(c1)
		q.Children.Append(c1)
		require.NoError(t, s.Flush(ctx))
		gp, err := p.Children.Load(ctx)
		require.NoError(t, err)
		gq, err := q.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"c2"}, aNamesOf(gp))
		require.Equal(t, []string{"c1", "c3"}, aNamesOf(gq))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,q:-,c1:q,c2:p,c3:q", advParents(t, eng, "a_nodes"))
	})
}

// The foreign-key column and the relationship changed in one flush. The
// rule Arc pins down (docs/relationships.md): a change through the
// relationship — the to-one field, or the parent's collection through
// back_populates, which sets the to-one — and a different direct change of
// the column is ErrInvalidRequest at flush naming both, and nothing is
// written; when they agree, or only one of them changed, that one is
// written. (SQLAlchemy lets the relationship win silently.) Before the
// fix the conflict went unreported — the relationship won silently —
// whenever the new parent's collection was not loaded: the parent's
// queued append wrote the column first, and the check then found the
// column agreeing with the to-one.
func TestRegression_FKColumnVersusRelationship(t *testing.T) {
	advEach(t, "to-one and column disagree", func(t *testing.T, eng *engine.Engine) {
		s, _, q, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		r := relations.Init(&ANode{Name: "r"})
		require.NoError(t, s.Add(r))
		require.NoError(t, s.Flush(ctx))
		c1.Parent.Set(q)
		c1.ParentID = &r.ID
		err := s.Flush(ctx)
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		require.Contains(t, err.Error(), "Parent")
		require.Contains(t, err.Error(), "ParentID")
		require.NoError(t, s.Rollback(ctx))
		require.Equal(t, "p:-,q:-,c1:p,c2:p,c3:q", advParents(t, eng, "a_nodes"))
	})
	advEach(t, "collection and column disagree", func(t *testing.T, eng *engine.Engine) {
		s, p, q, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		r := relations.Init(&ANode{Name: "r"})
		require.NoError(t, s.Add(r))
		require.NoError(t, s.Flush(ctx))
		q.Children.Append(c1) // sets c1.Parent through back_populates
		c1.ParentID = &r.ID
		err := s.Flush(ctx)
		require.True(t, errors.Is(err, arcerr.ErrInvalidRequest), "%v", err)
		require.NoError(t, s.Rollback(ctx))
		require.Equal(t, "p:-,q:-,c1:p,c2:p,c3:q", advParents(t, eng, "a_nodes"))
		require.Equal(t, p.ID, *c1.ParentID, "the rollback puts the column back")
	})
	advEach(t, "agree", func(t *testing.T, eng *engine.Engine) {
		s, _, q, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		q.Children.Append(c1)
		c1.ParentID = &q.ID
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,q:-,c1:q,c2:p,c3:q", advParents(t, eng, "a_nodes"))
	})
	advEach(t, "column only", func(t *testing.T, eng *engine.Engine) {
		s, p, q, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		_, err := p.Children.Load(ctx)
		require.NoError(t, err)
		c1.ParentID = &q.ID
		require.NoError(t, s.Flush(ctx))
		require.Equal(t, []string{"c1", "c2"}, aNamesOf(p.Children.Items()), "a flush leaves loaded collections as they are")
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,q:-,c1:q,c2:p,c3:q", advParents(t, eng, "a_nodes"))
		got, err := q.Children.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"c1", "c3"}, aNamesOf(got))
		par, err := c1.Parent.Load(ctx)
		require.NoError(t, err)
		require.Same(t, q, par)
	})
	advEach(t, "column set to null, relationship kept", func(t *testing.T, eng *engine.Engine) {
		s, p, _, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		c1.Parent.Set(p) // the same parent, set explicitly
		c1.ParentID = nil
		err := s.Flush(ctx)
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		require.NoError(t, s.Rollback(ctx))
	})
}

// A child whose foreign key a flush nulls because its parent is deleted
// keeps no reference to the parent in memory either: its to-one reads nil
// (it was set as the back-reference when the delete read the parent's
// children, or by a move to the parent before the flush), and a move away
// from a loaded collection is not undone. Before the fix K.Parent.Load
// returned the deleted parent while K.ParentID was NULL (found by
// TestRelCollectionRapid).
func TestRegression_ChildOfDeletedParentForgetsIt(t *testing.T) {
	advEach(t, "read by the delete", func(t *testing.T, eng *engine.Engine) {
		s, p, _, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		require.NoError(t, s.Delete(p))
		require.NoError(t, s.Flush(ctx))
		require.Nil(t, c1.ParentID)
		par, err := c1.Parent.Load(ctx)
		require.NoError(t, err)
		require.Nil(t, par)
		require.NoError(t, s.Commit(ctx))
	})
	advEach(t, "moved to it before the flush", func(t *testing.T, eng *engine.Engine) {
		s, p, q, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		got, err := p.Children.Load(ctx)
		require.NoError(t, err)
		require.Len(t, got, 2)
		q.Children.Append(c1) // leaves p's loaded collection
		require.NoError(t, s.Delete(q))
		require.NoError(t, s.Flush(ctx))
		require.Nil(t, c1.ParentID)
		par, err := c1.Parent.Load(ctx)
		require.NoError(t, err)
		require.Nil(t, par)
		require.Equal(t, []string{"c2"}, aNamesOf(p.Children.Items()))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,c1:-,c2:p,c3:-", advParents(t, eng, "a_nodes"))
	})
	advEach(t, "removed before the delete read the children", func(t *testing.T, eng *engine.Engine) {
		s, p, _, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		p.Children.Remove(c1) // p.Children is not loaded
		require.NoError(t, s.Delete(p))
		require.NoError(t, s.Flush(ctx))
		par, err := c1.Parent.Load(ctx)
		require.NoError(t, err)
		require.Nil(t, par)
	})
	advEach(t, "removed before a load without autoflush", func(t *testing.T, eng *engine.Engine) {
		s, p, _, c1, _, _ := advForest(t, eng)
		ctx := session.With(t.Context(), s)
		p.Children.Remove(c1)
		require.NoError(t, s.NoAutoflush(func() error {
			got, err := p.Children.Load(ctx)
			require.Equal(t, []string{"c2"}, aNamesOf(got))
			return err
		}))
		par, ok := c1.Parent.Cached()
		require.False(t, ok && par != nil, "c1 left p before the load")
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "p:-,q:-,c1:-,c2:p,c3:q", advParents(t, eng, "a_nodes"))
	})
}

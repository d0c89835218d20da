package session_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// linkSeed commits a post and two keywords and returns them loaded in a
// new session.
func linkSeed(t *testing.T, eng *engine.Engine) (context.Context, *session.Session, *RPost, *RKeyword, *RKeyword) {
	t.Helper()
	ctx, s := relSetup(t, eng)
	p := &RPost{Headline: "h"}
	k1, k2 := &RKeyword{Keyword: "x"}, &RKeyword{Keyword: "y"}
	require.NoError(t, s.AddAll(p, k1, k2))
	require.NoError(t, s.Commit(ctx))
	s2 := session.New(eng)
	t.Cleanup(func() { _ = s2.Close(context.Background()) })
	ctx2 := session.With(context.Background(), s2)
	p2, err := session.Get[RPost](ctx2, s2, p.ID)
	require.NoError(t, err)
	a, err := session.Get[RKeyword](ctx2, s2, k1.ID)
	require.NoError(t, err)
	b, err := session.Get[RKeyword](ctx2, s2, k2.ID)
	require.NoError(t, err)
	return ctx2, s2, p2, a, b
}

func TestLinkIsIdempotentWithoutLoading(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s, p, x, _ := linkSeed(t, eng)
		added, err := session.Link(ctx, &p.Keywords, x)
		require.NoError(t, err)
		require.True(t, added)
		_, loaded := p.Keywords.Cached()
		require.False(t, loaded, "Link loads nothing")
		added, err = session.Link(ctx, &p.Keywords, x)
		require.NoError(t, err)
		require.False(t, added, "the second Link finds the row and does nothing")
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 1, countRows(t, eng, "post_keywords", ""))

		kws, err := p.Keywords.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []*RKeyword{x}, kws)
	})
}

func TestLinkKeepsLoadedCollectionsInStep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s, p, x, y := linkSeed(t, eng)
		_, err := p.Keywords.Load(ctx)
		require.NoError(t, err)
		_, err = x.Posts.Load(ctx)
		require.NoError(t, err)

		// An append in memory, then Link of the same member: autoflush
		// writes the append first, so Link finds the row.
		p.Keywords.Append(y)
		added, err := session.Link(ctx, &p.Keywords, y)
		require.NoError(t, err)
		require.False(t, added)
		// Without autoflush, Link writes the row and the flush later does
		// not write it again.
		require.NoError(t, s.NoAutoflush(func() error {
			p.Keywords.Append(x)
			added, err = session.Link(ctx, &p.Keywords, x)
			return err
		}))
		require.NoError(t, err)
		require.True(t, added)
		require.ElementsMatch(t, []*RKeyword{x, y}, p.Keywords.Items())
		require.Equal(t, []*RPost{p}, x.Posts.Items(), "the inverse side follows")
		require.NoError(t, s.Commit(ctx), "nothing is written twice")
		require.Equal(t, 2, countRows(t, eng, "post_keywords", ""))
	})
}

func TestUnlinkOfAnAbsentLinkIsANoOp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s, p, x, y := linkSeed(t, eng)
		_, err := session.Link(ctx, &p.Keywords, x)
		require.NoError(t, err)
		_, err = p.Keywords.Load(ctx)
		require.NoError(t, err)

		removed, err := session.Unlink(ctx, &p.Keywords, y)
		require.NoError(t, err)
		require.False(t, removed)
		removed, err = session.Unlink(ctx, &p.Keywords, x)
		require.NoError(t, err)
		require.True(t, removed)
		require.Empty(t, p.Keywords.Items())
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 0, countRows(t, eng, "post_keywords", ""))
	})
}

// Two sessions favoriting the same pair at once: both succeed, one row.
func TestLinkConcurrentSamePair(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s, p, x, _ := linkSeed(t, eng)
		require.NoError(t, s.Close(ctx))
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		added := make([]bool, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := session.New(eng)
				defer s.Close(context.Background())
				ctx := session.With(context.Background(), s)
				post, err := session.Get[RPost](ctx, s, p.ID)
				if err == nil {
					var kw *RKeyword
					if kw, err = session.Get[RKeyword](ctx, s, x.ID); err == nil {
						if added[i], err = session.Link(ctx, &post.Keywords, kw); err == nil {
							err = s.Commit(ctx)
						}
					}
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		nAdded := 0
		for i := range n {
			require.NoError(t, errs[i], "session %d", i)
			if added[i] {
				nAdded++
			}
		}
		require.Equal(t, 1, nAdded)
		require.Equal(t, 1, countRows(t, eng, "post_keywords", ""))
	})
}

func TestLinkRefusesMisuse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s, p, x, _ := linkSeed(t, eng)
		_, err := session.Link(ctx, &p.Author, &RUser{})
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest, "not many-to-many")
		_, err = session.Link(ctx, &p.Keywords, &RKeyword{Keyword: "new"})
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest, "a transient target")
		_, err = session.Link(ctx, &p.Keywords, p)
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest, "the wrong model")
		loose := &RPost{}
		_, err = session.Link(ctx, &loose.Keywords, x)
		require.ErrorIs(t, err, arcerr.ErrDetached)
		require.NoError(t, s.Commit(ctx))
	})
}

// Link after Set on an unloaded collection survives the Set's flush.
func TestRegression_LinkAfterSetUnloaded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s, p, x, y := linkSeed(t, eng)
		require.NoError(t, s.NoAutoflush(func() error {
			p.Keywords.Set(x)
			_, err := session.Link(ctx, &p.Keywords, y)
			return err
		}))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 2, countRows(t, eng, "post_keywords", ""))
	})
}

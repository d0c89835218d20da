package session_test

import (
	"context"
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

// Column-property models: posts carry their comment counts (one with
// criteria, which binds a value) and a deferred title length, loaded
// from expressions with the post.
type CPAuthor struct {
	ID    int64
	Name  string
	Posts relations.Many[CPPost] `arc:"back_populates:Author;order_by:id"`
}

func (CPAuthor) TableName() string { return "cp_authors" }

type CPPost struct {
	ID            int64
	Title         string
	AuthorID      *int64                    `arc:"fk:cp_authors.id"`
	Author        relations.One[CPAuthor]   `arc:"back_populates:Posts"`
	Comments      relations.Many[CPComment] `arc:"back_populates:Post;order_by:id"`
	CommentCount  int64                     `arc:"property"`
	ApprovedCount int64                     `arc:"property;column:approved_comments"`
	TitleLen      int64                     `arc:"property"`
}

func (CPPost) TableName() string { return "cp_posts" }

type CPComment struct {
	ID       int64
	PostID   *int64 `arc:"fk:cp_posts.id"`
	Body     string
	Approved bool
	Post     relations.One[CPPost] `arc:"back_populates:Comments"`
}

func (CPComment) TableName() string { return "cp_comments" }

// CPOrphan has a property whose expression is never registered.
type CPOrphan struct {
	ID    int64
	Extra int64 `arc:"property"`
}

func (CPOrphan) TableName() string { return "cp_orphans" }

func init() {
	P, C := expr.Cols[CPPost](), expr.Cols[CPComment]()
	for _, err := range []error{
		session.ColumnProperty(&P.CommentCount, relations.CountOf(&P.Comments)),
		session.ColumnProperty(&P.ApprovedCount, relations.CountOf(&P.Comments, expr.Eq(&C.Approved, true))),
		session.ColumnProperty(&P.TitleLen, expr.Func("length", &P.Title), session.Deferred()),
	} {
		if err != nil {
			panic(err)
		}
	}
}

// cpSetup makes ann (posts a: 3 comments, 2 approved; bb: none) and bob
// (post ccc: 1 comment), then a fresh session.
func cpSetup(t *testing.T, eng *engine.Engine) (context.Context, *session.Session) {
	t.Helper()
	ctx := context.Background()
	models := []any{CPAuthor{}, CPPost{}, CPComment{}, CPOrphan{}}
	require.NoError(t, migrate.DropAll(ctx, eng, models...)) // each subtest starts from the same rows
	require.NoError(t, migrate.CreateAll(ctx, eng, models...))
	s := session.New(eng)
	ann, bob := &CPAuthor{Name: "ann"}, &CPAuthor{Name: "bob"}
	a, bb, ccc := &CPPost{Title: "a"}, &CPPost{Title: "bb"}, &CPPost{Title: "ccc"}
	ann.Posts.Append(a, bb)
	bob.Posts.Append(ccc)
	a.Comments.Append(&CPComment{Body: "1", Approved: true}, &CPComment{Body: "2"}, &CPComment{Body: "3", Approved: true})
	ccc.Comments.Append(&CPComment{Body: "4"})
	require.NoError(t, s.AddAll(ann, bob))
	require.NoError(t, s.Commit(ctx))
	require.NoError(t, s.Close(ctx))
	s = session.New(eng)
	t.Cleanup(func() { _ = s.Close(ctx) })
	return session.With(ctx, s), s
}

type cpCounts struct {
	Title              string
	Comments, Approved int64
}

func countsOf(ps []*CPPost) []cpCounts {
	out := make([]cpCounts, len(ps))
	for i, p := range ps {
		out[i] = cpCounts{p.Title, p.CommentCount, p.ApprovedCount}
	}
	return out
}

var cpWant = []cpCounts{{"a", 3, 2}, {"bb", 0, 0}, {"ccc", 1, 0}}

func TestColumnPropertyLoadPaths(t *testing.T) {
	P := expr.Cols[CPPost]()
	A := expr.Cols[CPAuthor]()
	C := expr.Cols[CPComment]()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		t.Run("query", func(t *testing.T) {
			ctx, _ := cpSetup(t, eng)
			ps, err := session.Select[CPPost]().OrderBy(&P.ID).All(ctx)
			require.NoError(t, err)
			require.Equal(t, cpWant, countsOf(ps))
			require.Zero(t, ps[0].TitleLen, "deferred: not loaded")
			first, err := session.Select[CPPost]().Where(expr.Eq(&P.Title, "ccc")).First(ctx)
			require.NoError(t, err)
			require.Equal(t, int64(1), first.CommentCount)
		})
		t.Run("iter", func(t *testing.T) {
			ctx, _ := cpSetup(t, eng)
			var ps []*CPPost
			for p, err := range session.Select[CPPost]().OrderBy(&P.ID).Iter(ctx) {
				require.NoError(t, err)
				ps = append(ps, p)
			}
			require.Equal(t, cpWant, countsOf(ps))
		})
		t.Run("where and order by the expression", func(t *testing.T) {
			ctx, _ := cpSetup(t, eng)
			ps, err := session.Select[CPPost]().Where(expr.Col(relations.CountOf(&P.Comments)).Gt(0)).OrderBy(&P.ID).All(ctx)
			require.NoError(t, err)
			require.Equal(t, []cpCounts{cpWant[0], cpWant[2]}, countsOf(ps))
		})
		t.Run("get", func(t *testing.T) {
			ctx, s := cpSetup(t, eng)
			p, err := session.Get[CPPost](ctx, s, int64(1))
			require.NoError(t, err)
			require.Equal(t, cpWant[0], countsOf([]*CPPost{p})[0])
		})
		t.Run("lazy", func(t *testing.T) {
			ctx, s := cpSetup(t, eng)
			ann, err := session.Get[CPAuthor](ctx, s, int64(1))
			require.NoError(t, err)
			ps, err := ann.Posts.Load(ctx)
			require.NoError(t, err)
			require.Equal(t, cpWant[:2], countsOf(ps))
			c, err := session.Get[CPComment](ctx, s, int64(4))
			require.NoError(t, err)
			p, err := c.Post.Load(ctx)
			require.NoError(t, err)
			require.Equal(t, cpWant[2], countsOf([]*CPPost{p})[0])
		})
		for _, opt := range []struct {
			name string
			o    func(any) *relations.Option
		}{{"selectin", relations.SelectIn}, {"joined", relations.Joined}} {
			t.Run(opt.name, func(t *testing.T) {
				ctx, _ := cpSetup(t, eng)
				as, err := session.Select[CPAuthor]().Options(opt.o(&A.Posts)).OrderBy(&A.ID).All(ctx)
				require.NoError(t, err)
				require.Len(t, as, 2)
				require.Equal(t, cpWant, countsOf(append(as[0].Posts.Items(), as[1].Posts.Items()...)))
				cs, err := session.Select[CPComment]().Options(opt.o(&C.Post)).OrderBy(&C.ID).All(ctx)
				require.NoError(t, err)
				require.Len(t, cs, 4)
				require.Equal(t, int64(3), cs[0].Post.Get().CommentCount)
				require.Equal(t, int64(1), cs[3].Post.Get().CommentCount)
			})
		}
		t.Run("joined, populate existing", func(t *testing.T) {
			ctx, _ := cpSetup(t, eng)
			ps, err := session.Select[CPPost]().OrderBy(&P.ID).Options(relations.Joined(&P.Comments)).All(ctx)
			require.NoError(t, err)
			require.Equal(t, cpWant, countsOf(ps))
			require.Equal(t, 3, ps[0].Comments.Len())
		})
		t.Run("refresh and expire reload", func(t *testing.T) {
			ctx, s := cpSetup(t, eng)
			p, err := session.Get[CPPost](ctx, s, int64(2))
			require.NoError(t, err)
			require.Zero(t, p.CommentCount)
			p.Comments.Append(&CPComment{Body: "new", Approved: true})
			require.NoError(t, s.Flush(ctx))
			require.Zero(t, p.CommentCount, "a flush writes no property")
			require.NoError(t, s.Refresh(ctx, p))
			require.Equal(t, cpCounts{"bb", 1, 1}, countsOf([]*CPPost{p})[0])
			p.Comments.Append(&CPComment{Body: "newer"})
			require.NoError(t, s.Commit(ctx))                                          // expires p
			_, err = session.Select[CPPost]().Where(expr.Eq(&P.ID, int64(2))).One(ctx) // reloads it
			require.NoError(t, err)
			require.Equal(t, cpCounts{"bb", 2, 1}, countsOf([]*CPPost{p})[0])
		})
		t.Run("a query brings an object's property up to date", func(t *testing.T) {
			ctx, s := cpSetup(t, eng)
			p, err := session.Get[CPPost](ctx, s, int64(3))
			require.NoError(t, err)
			_, err = session.Select[CPComment]().AllRows().Delete(ctx)
			require.NoError(t, err)
			_, err = session.Select[CPPost]().All(ctx)
			require.NoError(t, err)
			require.Zero(t, p.CommentCount)
		})
		t.Run("never written, never dirty", func(t *testing.T) {
			ctx, s := cpSetup(t, eng)
			p, err := session.Get[CPPost](ctx, s, int64(1))
			require.NoError(t, err)
			p.CommentCount = 99
			require.False(t, s.IsModified(p))
			require.Empty(t, s.Dirty())
			n := &CPPost{Title: "new", CommentCount: 5}
			require.NoError(t, s.Add(n))
			require.NoError(t, s.Flush(ctx))
			require.NoError(t, s.Refresh(ctx, n))
			require.Zero(t, n.CommentCount)
		})
		t.Run("deferred", func(t *testing.T) {
			ctx, s := cpSetup(t, eng)
			ps, err := session.Select[CPPost]().Undefer(&P.TitleLen).OrderBy(&P.ID).All(ctx)
			require.NoError(t, err)
			require.Equal(t, []int64{1, 2, 3}, []int64{ps[0].TitleLen, ps[1].TitleLen, ps[2].TitleLen})
			require.Equal(t, cpWant, countsOf(ps))

			s2 := session.New(eng)
			defer s2.Close(ctx)
			ctx2 := session.With(ctx, s2)
			p, err := session.Get[CPPost](ctx2, s2, int64(3))
			require.NoError(t, err)
			require.Zero(t, p.TitleLen)
			require.NoError(t, s2.LoadProperties(ctx2, p, &P.TitleLen))
			require.Equal(t, int64(3), p.TitleLen)
			p.TitleLen, p.CommentCount = 0, 0
			require.NoError(t, s2.LoadProperties(ctx2, p))
			require.Equal(t, int64(3), p.TitleLen)
			require.Equal(t, int64(1), p.CommentCount)
			_ = s
		})
	})
}

func TestColumnPropertyErrors(t *testing.T) {
	P := expr.Cols[CPPost]()
	O := expr.Cols[CPOrphan]()
	require.ErrorIs(t, session.ColumnProperty(&P.Title, relations.CountOf(&P.Comments)), arcerr.ErrInvalidRequest)
	require.ErrorIs(t, session.ColumnProperty(&P.CommentCount, relations.CountOf(&P.Comments)), arcerr.ErrInvalidModel)
	require.ErrorIs(t, session.Select[CPPost]().Undefer(&P.Title).Err(), arcerr.ErrInvalidRequest)
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := cpSetup(t, eng)
		_, err := session.Select[CPOrphan]().All(ctx)
		require.ErrorIs(t, err, arcerr.ErrInvalidModel)
		require.ErrorContains(t, err, "Extra")
		_, err = session.Get[CPOrphan](ctx, s, int64(1))
		require.ErrorIs(t, err, arcerr.ErrInvalidModel)
		_ = O
	})
}

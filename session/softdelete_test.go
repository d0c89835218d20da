package session_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Soft-delete models: authors (the record.SoftDelete mixin) with posts
// (soft, deleted with their author) and notes (plain rows, no cascade);
// posts have tags (soft, sql.NullTime) through s_post_tags.
type SAuthor struct {
	ID   int64
	Name string
	record.SoftDelete
	Posts relations.Many[SPost] `arc:"back_populates:Author;cascade:all;order_by:id"`
	Notes relations.Many[SNote] `arc:"back_populates:Author;order_by:id"`
}

func (SAuthor) TableName() string { return "s_authors" }

type SPost struct {
	ID        int64
	AuthorID  *int64 `arc:"fk:s_authors.id"`
	Title     string
	DeletedAt *time.Time             `arc:"softdelete"`
	Author    relations.One[SAuthor] `arc:"back_populates:Posts"`
	Tags      relations.Many[STag]   `arc:"secondary:s_post_tags;fk:post_id,tag_id;back_populates:Posts;order_by:id"`
}

func (SPost) TableName() string { return "s_posts" }

type SNote struct {
	ID       int64
	AuthorID *int64 `arc:"fk:s_authors.id"`
	Body     string
	Author   relations.One[SAuthor] `arc:"back_populates:Notes"`
}

func (SNote) TableName() string { return "s_notes" }

type STag struct {
	ID        int64
	Name      string
	DeletedAt sql.NullTime          `arc:"softdelete"`
	Posts     relations.Many[SPost] `arc:"secondary:s_post_tags;back_populates:Tags"`
}

func (STag) TableName() string { return "s_tags" }

type SPostTag struct {
	PostID int64 `arc:"pk;fk:s_posts.id"`
	TagID  int64 `arc:"pk;fk:s_tags.id"`
}

func (SPostTag) TableName() string { return "s_post_tags" }

var softModels = []any{SAuthor{}, SPost{}, SNote{}, STag{}, SPostTag{}}

func softSetup(t *testing.T, eng *engine.Engine) (context.Context, *session.Session) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, migrate.CreateAll(ctx, eng, softModels...))
	s := session.New(eng)
	t.Cleanup(func() { _ = s.Close(ctx) })
	return session.With(ctx, s), s
}

func authorNames(as []*SAuthor) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
	}
	return out
}

func TestSoftDeleteHidesRowsUntilAsked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := softSetup(t, eng)
		A := expr.Cols[SAuthor]()
		ann, bob := &SAuthor{Name: "ann"}, &SAuthor{Name: "bob"}
		require.NoError(t, s.AddAll(ann, bob))
		require.NoError(t, s.Commit(ctx))

		require.NoError(t, s.Delete(ann))
		require.NoError(t, s.Commit(ctx))
		require.NotNil(t, ann.DeletedAt, "the deletion time is written into the object")
		require.Equal(t, 2, countRows(t, eng, "s_authors", ""), "the row stays")
		require.Equal(t, 1, countRows(t, eng, "s_authors", "deleted_at IS NOT NULL"))

		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		all, err := session.Select[SAuthor]().OrderBy(&A.ID).All(ctx2)
		require.NoError(t, err)
		require.Equal(t, []string{"bob"}, authorNames(all))
		n, err := session.Select[SAuthor]().Count(ctx2)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		_, err = session.Get[SAuthor](ctx2, s2, ann.ID)
		require.ErrorIs(t, err, arcerr.ErrNotFound)

		with, err := session.Select[SAuthor]().WithDeleted().OrderBy(&A.ID).All(ctx2)
		require.NoError(t, err)
		require.Equal(t, []string{"ann", "bob"}, authorNames(with))
		only, err := session.Select[SAuthor]().OnlyDeleted().All(ctx2)
		require.NoError(t, err)
		require.Equal(t, []string{"ann"}, authorNames(only))
		// The same query shape with and without WithDeleted: no cache mix-up.
		again, err := session.Select[SAuthor]().Where(expr.Ne(&A.Name, "x")).All(ctx2)
		require.NoError(t, err)
		require.Len(t, again, 1)
		again, err = session.Select[SAuthor]().Where(expr.Ne(&A.Name, "x")).WithDeleted().All(ctx2)
		require.NoError(t, err)
		require.Len(t, again, 2)

		// Restore brings it back.
		require.NoError(t, s2.Restore(only[0]))
		require.NoError(t, s2.Commit(ctx2))
		all, err = session.Select[SAuthor]().OrderBy(&A.ID).All(ctx2)
		require.NoError(t, err)
		require.Equal(t, []string{"ann", "bob"}, authorNames(all))

		// Deleting a row someone else already deleted is stale, as for DELETE.
		require.NoError(t, s2.Commit(ctx2))
		_, err = eng.DB().Exec(phs(eng, "UPDATE s_authors SET deleted_at = ? WHERE name = 'bob'"), time.Now().UTC())
		require.NoError(t, err)
		require.NoError(t, s2.Delete(all[1]))
		require.ErrorIs(t, s2.Flush(ctx2), arcerr.ErrStaleData)
	})
}

func TestSoftDeleteRelationshipsAndCascades(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := softSetup(t, eng)
		ann := relations.Init(&SAuthor{Name: "ann"})
		p1, p2 := relations.Init(&SPost{Title: "p1"}), relations.Init(&SPost{Title: "p2"})
		go1 := &STag{Name: "go"}
		p1.Tags.Append(go1)
		ann.Posts.Append(p1, p2)
		note := relations.Init(&SNote{Body: "n"})
		ann.Notes.Append(note)
		require.NoError(t, s.Add(ann))
		require.NoError(t, s.Commit(ctx))

		// A soft-deleted post leaves loads and eager loads.
		require.NoError(t, s.Delete(p2))
		require.NoError(t, s.Commit(ctx))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		A := expr.Cols[SAuthor]()
		for _, opt := range []session.LoadOption{relations.SelectIn(&A.Posts), relations.Joined(&A.Posts)} {
			got, err := session.Select[SAuthor]().Options(opt).PopulateExisting().One(ctx2)
			require.NoError(t, err)
			require.Len(t, got.Posts.Items(), 1, "%v", opt)
		}
		_, err := session.Get[SAuthor](ctx2, s2, ann.ID)
		require.NoError(t, err)
		// Relationship predicates and counts skip it too.
		type count struct{ N int64 }
		n, err := session.Rows[count](session.Select[SAuthor]().Select(expr.Label(relations.CountOf(&A.Posts), "n"))).One(ctx2)
		require.NoError(t, err)
		require.Equal(t, int64(1), n.N)
		P := expr.Cols[SPost]()
		has, err := session.Select[SAuthor]().Where(relations.Any(&A.Posts, expr.Eq(&P.Title, "p2"))).Exists(ctx2)
		require.NoError(t, err)
		require.False(t, has)
		require.NoError(t, s2.Close(ctx))

		// Deleting the author soft-deletes its live posts (delete cascade),
		// keeps the notes' author_id (no cascade: the row is still there)
		// and the post's tag links.
		s3 := session.New(eng)
		defer s3.Close(ctx)
		ctx3 := session.With(ctx, s3)
		a2, err := session.Get[SAuthor](ctx3, s3, ann.ID)
		require.NoError(t, err)
		require.NoError(t, s3.Delete(a2))
		require.NoError(t, s3.Commit(ctx3))
		require.Equal(t, 2, countRows(t, eng, "s_posts", "deleted_at IS NOT NULL"))
		require.Equal(t, 1, countRows(t, eng, "s_notes", "author_id IS NOT NULL"))
		require.Equal(t, 1, countRows(t, eng, "s_post_tags", ""))

		// HardDelete of the author deletes every post for real, the
		// soft-deleted ones included, with their links, and clears the notes.
		s4 := session.New(eng)
		defer s4.Close(ctx)
		ctx4 := session.With(ctx, s4)
		gone, err := session.Select[SAuthor]().OnlyDeleted().One(ctx4)
		require.NoError(t, err)
		require.NoError(t, s4.HardDelete(gone))
		require.NoError(t, s4.Commit(ctx4))
		require.Equal(t, 0, countRows(t, eng, "s_authors", ""))
		require.Equal(t, 0, countRows(t, eng, "s_posts", ""))
		require.Equal(t, 0, countRows(t, eng, "s_post_tags", ""))
		require.Equal(t, 1, countRows(t, eng, "s_notes", "author_id IS NULL"))
	})
}

func TestSoftDeleteBulk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := softSetup(t, eng)
		T := expr.Cols[STag]()
		for _, n := range []string{"a", "b", "c"} {
			require.NoError(t, s.Add(&STag{Name: n}))
		}
		require.NoError(t, s.Commit(ctx))
		n, err := session.Select[STag]().Where(expr.In(&T.Name, "a", "b")).Delete(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(2), n)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 3, countRows(t, eng, "s_tags", ""))
		left, err := session.Select[STag]().All(ctx)
		require.NoError(t, err)
		require.Len(t, left, 1)

		// A second bulk delete finds only live rows; HardDelete purges.
		n, err = session.Select[STag]().Where(expr.In(&T.Name, "a", "b")).Delete(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = session.Select[STag]().OnlyDeleted().AllRows().HardDelete(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(2), n)
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 1, countRows(t, eng, "s_tags", ""))
	})
}

// A failed flush that soft-deletes leaves the object as it was.
func TestSoftDeleteFailedFlushRestores(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := softSetup(t, eng)
		a := &SAuthor{Name: "a"}
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Delete(a))
		require.NoError(t, s.Add(&SNote{ID: -1, Body: "x", AuthorID: new(int64)})) // FK violation
		*s.New()[0].(*SNote).AuthorID = 999999
		require.Error(t, s.Flush(ctx))
		require.Nil(t, a.DeletedAt)
		require.Equal(t, 0, countRows(t, eng, "s_authors", "deleted_at IS NOT NULL"))
	})
}

// A HardDelete undone by a savepoint rollback does not make a later
// Delete hard.
func TestRegression_HardDeleteUndoneThenSoftDelete(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := softSetup(t, eng)
		a := &SAuthor{Name: "a"}
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))
		n, err := s.BeginNested(ctx)
		require.NoError(t, err)
		require.NoError(t, s.HardDelete(a))
		require.NoError(t, n.Rollback(ctx))
		require.NoError(t, s.Delete(a))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 1, countRows(t, eng, "s_authors", "deleted_at IS NOT NULL"), "soft-deleted, not gone")
	})
}

// Upsert's DoUpdate() does not write the soft-delete column: a deleted
// row stays deleted.
func TestRegression_UpsertKeepsSoftDeleted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := softSetup(t, eng)
		tg := &STag{Name: "t"}
		require.NoError(t, s.Add(tg))
		require.NoError(t, s.Commit(ctx))
		require.NoError(t, s.Delete(tg))
		require.NoError(t, s.Commit(ctx))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		_, err := session.Upsert(ctx2, s2, &STag{ID: tg.ID, Name: "t2"}, session.OnConflict("ID").DoUpdate())
		require.NoError(t, err)
		require.NoError(t, s2.Commit(ctx2))
		require.Equal(t, 1, countRows(t, eng, "s_tags", "deleted_at IS NOT NULL AND name = 't2'"))
	})
}

package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// TyAuthor has a client-generated UUID key (uuid.UUID: the session draws
// a version 7 UUID at INSERT when the field is zero).
type TyAuthor struct {
	ID    uuid.UUID
	Name  string                 `arc:"size:50"`
	Books relations.Many[TyBook] `arc:"back_populates:Author;order_by:title"`
}

// TyBook refers to its author through a UUID foreign key.
type TyBook struct {
	ID       uuid.UUID
	Title    string                   `arc:"size:50"`
	AuthorID uuid.UUID                `arc:"fk:ty_authors.id;notnull"`
	Author   relations.One[TyAuthor] `arc:"back_populates:Books"`
}

func typesSetup(t *testing.T, eng *engine.Engine, models ...any) (context.Context, *session.Session) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, migrate.CreateAll(ctx, eng, models...))
	s := session.New(eng)
	t.Cleanup(func() { _ = s.Close(ctx) })
	return session.With(ctx, s), s
}

func TestTypesUUIDKeyClientGenerated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyAuthor{}, TyBook{})
		a := &TyAuthor{Name: "ursula"}
		b1, b2 := &TyBook{Title: "earthsea"}, &TyBook{Title: "dispossessed"}
		a.Books.Append(b1, b2)
		given := uuid.New()
		b2.ID = given
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))

		require.NotEqual(t, uuid.Nil, a.ID)
		require.Equal(t, uuid.Version(7), a.ID.Version(), "a zero key gets a version 7 UUID")
		require.NotEqual(t, uuid.Nil, b1.ID)
		require.Equal(t, given, b2.ID, "a key the caller set is kept")
		require.Equal(t, a.ID, b1.AuthorID, "the foreign key follows the UUID key")

		// The identity map answers Get by UUID without a statement.
		got, err := session.Get[TyAuthor](ctx, s, a.ID)
		require.NoError(t, err)
		require.Same(t, a, got)

		// A new session: Get, a lazy load and SelectIn by UUID.
		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		a2, err := session.Get[TyAuthor](ctx2, s2, a.ID)
		require.NoError(t, err)
		require.Equal(t, "ursula", a2.Name)
		again, err := session.Get[TyAuthor](ctx2, s2, a.ID)
		require.NoError(t, err)
		require.Same(t, a2, again, "identity map keyed by the UUID")
		books, err := a2.Books.Load(ctx2)
		require.NoError(t, err)
		require.Len(t, books, 2)
		require.Equal(t, "dispossessed", books[0].Title)
		require.Equal(t, given, books[0].ID)
		author, err := books[1].Author.Load(ctx2)
		require.NoError(t, err)
		require.Same(t, a2, author)

		s3 := session.New(eng)
		defer s3.Close(ctx)
		ctx3 := session.With(ctx, s3)
		A := expr.Cols[TyAuthor]()
		all, err := session.Select[TyAuthor]().Where(expr.Eq(&A.ID, a.ID)).Options(relations.SelectIn(&A.Books)).All(ctx3)
		require.NoError(t, err)
		require.Len(t, all, 1)
		loaded, ok := all[0].Books.Cached()
		require.True(t, ok)
		require.Len(t, loaded, 2)
		require.Equal(t, b1.ID, loaded[1].ID)

		// Deleting by UUID key.
		require.NoError(t, s3.Delete(loaded[0]))
		require.NoError(t, s3.Commit(ctx3))
		n, err := session.Select[TyBook]().Count(ctx3)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
	})
}

// TyToken keeps its UUID in a string field tagged `uuid` (UUID on
// PostgreSQL, TEXT on SQLite).
type TyToken struct {
	ID    string `arc:"uuid"`
	Label string
}

func TestTypesUUIDStringKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyToken{})
		toks := []*TyToken{{Label: "a"}, {Label: "b"}, {Label: "c"}}
		for _, tk := range toks {
			require.NoError(t, s.Add(tk))
		}
		require.NoError(t, s.Commit(ctx))
		seen := map[string]bool{}
		for _, tk := range toks {
			u, err := uuid.Parse(tk.ID)
			require.NoError(t, err)
			require.Equal(t, uuid.Version(7), u.Version())
			require.False(t, seen[tk.ID])
			seen[tk.ID] = true
		}
		s2 := session.New(eng)
		defer s2.Close(ctx)
		got, err := session.Get[TyToken](session.With(ctx, s2), s2, toks[1].ID)
		require.NoError(t, err)
		require.Equal(t, "b", got.Label)
		require.Equal(t, toks[1].ID, got.ID)
	})
}

// TyDoc's key and CreatedOn come from server defaults (gen_random_uuid()
// and now(): built in on PostgreSQL, registered by Arc on SQLite), Slug
// and Score are generated columns.
type TyDoc struct {
	ID        uuid.UUID `arc:"server_default:gen_random_uuid()"`
	Title     string    `arc:"size:50"`
	Words     int64
	Status    string    `arc:"size:20;server_default:'draft'"`
	CreatedOn time.Time `arc:"server_default:now()"`
	Slug      string    `arc:"size:50;generated:lower(title)"`
	Score     int64     `arc:"generated:words * 2"`
}

func TestTypesServerDefaultsAndGeneratedReadBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyDoc{})
		before := time.Now().Add(-time.Minute)
		docs := []*TyDoc{{Title: "Hello", Words: 3}, {Title: "World", Words: 5, Status: "final"}}
		for _, d := range docs {
			require.NoError(t, s.Add(d))
		}
		require.NoError(t, s.Flush(ctx))
		for _, d := range docs {
			require.NotEqual(t, uuid.Nil, d.ID, "the database's key is read back")
			require.Equal(t, uuid.Version(4), d.ID.Version())
			require.True(t, d.CreatedOn.After(before), "now() is read back: %v", d.CreatedOn)
			require.Equal(t, time.UTC, d.CreatedOn.Location())
			require.False(t, s.IsModified(d))
		}
		require.Equal(t, "draft", docs[0].Status)
		require.Equal(t, "final", docs[1].Status, "a value given is written")
		require.Equal(t, "hello", docs[0].Slug)
		require.Equal(t, int64(6), docs[0].Score)
		require.Equal(t, int64(10), docs[1].Score)

		// UPDATE reads the generated columns back; a change made to a
		// generated field in memory is never written.
		docs[0].Title = "Bonjour"
		docs[0].Words = 4
		docs[1].Score = 99
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "bonjour", docs[0].Slug)
		require.Equal(t, int64(8), docs[0].Score)

		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		for _, d := range docs {
			got, err := session.Get[TyDoc](ctx2, s2, d.ID)
			require.NoError(t, err)
			require.Equal(t, d.Slug, got.Slug)
			require.True(t, d.CreatedOn.Equal(got.CreatedOn))
		}
		got, err := session.Get[TyDoc](ctx2, s2, docs[1].ID)
		require.NoError(t, err)
		require.Equal(t, int64(10), got.Score, "the generated column kept the database's value")
	})
}

package record_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/session"
)

// Book is a plain struct: the session API works without Base.
type Book struct {
	ID    int64
	Title string
}

func setup(t *testing.T, eng *engine.Engine) context.Context {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, migrate.CreateAll(ctx, eng, Author{}, Book{}))
	return record.WithEngine(ctx, eng)
}

func updates(rec *dbtest.Recorder) []string {
	var out []string
	for _, s := range rec.SQL() {
		if strings.HasPrefix(s, "UPDATE") {
			out = append(out, s)
		}
	}
	return out
}

// TestWithoutSession: each call is a short transaction of its own; the
// objects come back detached and remember their snapshot.
func TestWithoutSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := setup(t, eng)
		a := &Author{Name: "ed", Nickname: "eddie"}
		rec := dbtest.Record(eng)
		require.NoError(t, a.Save(ctx))
		assert.NotZero(t, a.ID)
		assert.Equal(t, session.Detached, session.StateOf(a))
		stmts := rec.Statements()
		assert.Equal(t, []string{"INSERT"}, []string{strings.Fields(stmts[len(stmts)-1])[0]}, "one statement, committed by itself (autocommit)")
		assert.Len(t, stmts, 1)

		// Found objects are detached too; a later Save writes only what changed.
		f, err := (&Author{}).Find(ctx, a.ID) // the method form
		require.NoError(t, err)
		assert.NotSame(t, a, f)
		assert.Equal(t, session.Detached, session.StateOf(f))
		rec.Reset()
		f.Nickname = ""
		require.NoError(t, f.Save(ctx))
		ups := updates(rec)
		require.Len(t, ups, 1)
		assert.Contains(t, ups[0], "SET nickname = ")
		assert.NotContains(t, ups[0], "name = "+string(eng.Dialect().AppendPlaceholder(nil, 1))+", ")
		rec.Reset()
		require.NoError(t, f.Save(ctx))
		assert.Empty(t, updates(rec), "nothing changed, no UPDATE")

		// Where with All, First, One.
		A := expr.Cols[Author]()
		require.NoError(t, (&Author{Name: "wendy"}).Save(ctx))
		all, err := record.Where[Author]().OrderBy(&A.ID).All(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, "wendy", all[1].Name)
		first, err := record.Where[Author](expr.Eq(&A.Name, "wendy")).First(ctx)
		require.NoError(t, err)
		assert.Equal(t, session.Detached, session.StateOf(first))
		one, err := record.Where[Author](expr.Eq(&A.Name, "ed")).One(ctx)
		require.NoError(t, err)
		assert.Equal(t, a.ID, one.ID)
		_, err = record.Where[Author]().One(ctx)
		assert.ErrorIs(t, err, arcerr.ErrMultipleRows)
		_, err = record.Where[Author](expr.Eq(&A.Name, "nobody")).First(ctx)
		assert.ErrorIs(t, err, arcerr.ErrNotFound)

		// Reload overwrites; Delete removes the row; Reload of a never-saved object is an error.
		_, err = eng.Exec(ctx, "UPDATE authors SET nickname = 'db'")
		require.NoError(t, err)
		require.NoError(t, a.Reload(ctx))
		assert.Equal(t, "db", a.Nickname)
		require.NoError(t, a.Delete(ctx))
		_, err = record.Find[Author](ctx, a.ID)
		assert.ErrorIs(t, err, arcerr.ErrNotFound)
		assert.ErrorIs(t, (&Author{Name: "new"}).Reload(ctx), arcerr.ErrInvalidRequest)
		assert.ErrorIs(t, (&Author{Name: "new"}).Delete(ctx), arcerr.ErrInvalidRequest)

		// A failed Save leaves the object as it was and the database unchanged.
		bad := &Author{Name: strings.Repeat("x", 10)}
		bad.ID = first.ID // duplicate key
		err = bad.Save(ctx)
		assert.ErrorIs(t, err, arcerr.ErrIntegrity)
		assert.Equal(t, session.Transient, session.StateOf(bad))
	})
}

// TestWithSession: the calls join the session's unit of work and identity map.
func TestWithSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := setup(t, eng)
		s := session.New(eng)
		defer s.Close(ctx)
		sctx := session.With(ctx, s)

		a := &Author{Name: "in"}
		require.NoError(t, a.Save(sctx))
		assert.Equal(t, session.Persistent, s.StateOf(a))
		same, err := record.Find[Author](sctx, a.ID)
		require.NoError(t, err)
		assert.Same(t, a, same)
		A := expr.Cols[Author]()
		got, err := record.Where[Author](expr.Eq(&A.ID, a.ID)).One(sctx)
		require.NoError(t, err)
		assert.Same(t, a, got)

		// Save flushes the whole session, as SQLAlchemy's flush does.
		b := &Book{Title: "plain"}
		require.NoError(t, s.Add(b))
		require.NoError(t, (&Author{Name: "second"}).Save(sctx))
		assert.NotZero(t, b.ID)

		require.NoError(t, a.Delete(sctx))
		assert.Equal(t, session.Deleted, s.StateOf(a))
		require.NoError(t, s.Rollback(sctx))
		assert.Equal(t, 0, count(t, eng, "authors"))
		assert.Equal(t, 0, count(t, eng, "books"))
		assert.Equal(t, session.Transient, s.StateOf(a))

		// A detached record re-joins a session with Save.
		d := &Author{Name: "detached"}
		require.NoError(t, d.Save(ctx)) // no session: committed, detached
		d.Nickname = "n"
		rec := dbtest.Record(eng)
		require.NoError(t, d.Save(sctx))
		assert.Equal(t, session.Persistent, s.StateOf(d))
		ups := updates(rec)
		require.Len(t, ups, 1)
		assert.Contains(t, ups[0], "SET nickname = ")
		require.NoError(t, s.Commit(sctx))
		assert.Equal(t, 1, count(t, eng, "authors"))
	})
}

func TestNoEngine(t *testing.T) {
	err := (&Author{Name: "x"}).Save(context.Background())
	assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
	assert.Contains(t, err.Error(), "SetDefault")
	_, err = record.Find[Author](context.Background(), 1)
	assert.ErrorIs(t, err, arcerr.ErrInvalidRequest)
}

func count(t *testing.T, eng *engine.Engine, table string) int {
	t.Helper()
	var n int
	require.NoError(t, eng.DB().QueryRow("SELECT count(*) FROM "+table).Scan(&n))
	return n
}

type (
	// Borrowed embeds another model's Base: its methods would act on the wrong type.
	Borrowed struct {
		record.Base[Author]
		ID int64
	}
	// ViaPointer embeds Base through a pointer.
	ViaPointer struct {
		*record.Base[ViaPointer]
		ID int64
	}
	// Named holds Base as a named field.
	Named struct {
		B  record.Base[Named]
		ID int64
	}
	baseMixin struct{ record.Base[InMixin] }
	// InMixin gets its Base through a mixin.
	InMixin struct {
		baseMixin
		ID int64
	}
)

// TestBaseEmbedding: registration rejects a Base that is not embedded by
// value directly in its own model.
func TestBaseEmbedding(t *testing.T) {
	for _, m := range []any{Borrowed{}, ViaPointer{}, Named{}, InMixin{}} {
		_, err := meta.TableOfValue(m)
		require.Error(t, err, "%T", m)
		assert.ErrorIs(t, err, arcerr.ErrInvalidModel, "%T", m)
		assert.Contains(t, err.Error(), reflect.TypeOf(m).Name())
		assert.Contains(t, err.Error(), "record.Base")
	}
	_, err := meta.TableOfValue(Author{})
	require.NoError(t, err)
}

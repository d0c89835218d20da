package record_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/session"
)

// Memo is an active record with soft deletion.
type Memo struct {
	record.Base[Memo]
	ID   int64
	Body string `arc:"unique"`
	record.SoftDelete
}

// bounds returns the transaction boundaries among the recorded statements.
func bounds(rec *dbtest.Recorder) []string {
	var out []string
	for _, s := range rec.Statements() {
		switch s {
		case "BEGIN (implicit)", "COMMIT", "ROLLBACK":
			out = append(out, s)
		}
	}
	return out
}

// TestOneStatementWithoutSession: a call without a session whose work is
// one statement (Save of one object, Delete, Where(...).Update/Delete)
// sends that statement alone, in autocommit: no BEGIN, no COMMIT, no key
// read-back; the same calls with a session stay in its transaction.
func TestOneStatementWithoutSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := setup(t, eng)
		require.NoError(t, migrate.CreateAll(ctx, eng, Memo{}))
		rec := dbtest.Record(eng)
		A := expr.Cols[Author]()

		// Save: INSERT, then UPDATE of what changed; Delete; each one statement.
		a := &Author{Name: "ed"}
		require.NoError(t, a.Save(ctx))
		assert.Empty(t, bounds(rec))
		assert.Len(t, rec.SQL(), 1)
		assert.NotZero(t, a.ID)
		assert.Equal(t, session.Detached, session.StateOf(a))
		rec.Reset()
		a.Nickname = "eddie"
		require.NoError(t, a.Save(ctx))
		assert.Empty(t, bounds(rec))
		require.Len(t, rec.SQL(), 1)
		assert.Contains(t, rec.SQL()[0], "UPDATE")
		assert.Equal(t, 1, count(t, eng, "authors"))

		// Where(...).Update and Delete: the statement alone, no RETURNING
		// or key SELECT (no object to keep in step), the count of rows.
		require.NoError(t, (&Author{Name: "wendy"}).Save(ctx))
		rec.Reset()
		n, err := record.Where[Author](expr.Eq(&A.Name, "wendy")).Update(ctx, expr.P{"Nickname": "w"})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Empty(t, bounds(rec))
		require.Len(t, rec.SQL(), 1)
		assert.NotContains(t, rec.SQL()[0], "RETURNING")
		got, err := record.Find[Author](ctx, a.ID+1)
		require.NoError(t, err)
		assert.Equal(t, "w", got.Nickname)
		n, err = record.Where[Author](expr.Eq(&A.Name, "nobody")).Update(ctx, expr.P{"Nickname": "x"})
		require.NoError(t, err)
		assert.EqualValues(t, 0, n)
		rec.Reset()
		n, err = record.Where[Author](expr.Eq(&A.Name, "wendy")).Delete(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Empty(t, bounds(rec))
		assert.Len(t, rec.SQL(), 1)
		rec.Reset()
		require.NoError(t, a.Delete(ctx))
		assert.Empty(t, bounds(rec))
		assert.Len(t, rec.SQL(), 1)
		assert.Equal(t, 0, count(t, eng, "authors"))

		// Soft deletion: one UPDATE, also through Where(...).Delete.
		m := &Memo{Body: "one"}
		require.NoError(t, m.Save(ctx))
		require.NoError(t, (&Memo{Body: "two"}).Save(ctx))
		rec.Reset()
		require.NoError(t, m.Delete(ctx))
		M := expr.Cols[Memo]()
		n, err = record.Where[Memo](expr.Eq(&M.Body, "two")).Delete(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Empty(t, bounds(rec))
		assert.Len(t, rec.SQL(), 2)
		left, err := record.All[Memo](ctx)
		require.NoError(t, err)
		assert.Empty(t, left)
		assert.Equal(t, 2, count(t, eng, "memos"), "soft-deleted rows stay")

		// With a session: the bulk statement runs in its transaction, a
		// Rollback undoes it, and the objects it holds are kept in step.
		s := session.New(eng)
		defer s.Close(ctx)
		sctx := session.With(ctx, s)
		b := &Author{Name: "bob"}
		require.NoError(t, s.Add(b))
		require.NoError(t, s.Commit(sctx))
		loaded, err := record.Find[Author](sctx, b.ID)
		require.NoError(t, err)
		rec.Reset()
		n, err = record.Where[Author](expr.Eq(&A.ID, b.ID)).Update(sctx, expr.P{"Nickname": "bobby"})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Equal(t, []string{"BEGIN (implicit)"}, bounds(rec))
		assert.Equal(t, "bobby", loaded.Nickname, "the session's object is kept in step")
		require.NoError(t, s.Rollback(sctx))
		again, err := record.Find[Author](ctx, b.ID)
		require.NoError(t, err)
		assert.Equal(t, "", again.Nickname, "rolled back")
	})
}

// TestRegression_FailedSaveWithoutSessionKeepsValues: a Save without a
// session that fails (here a unique violation) leaves the row as it was
// and the object with the caller's values, still remembering the row's
// (its snapshot), so fixing the value and saving again works. Before, the
// one-shot session's Rollback reset the object to its snapshot and the
// caller's change was lost.
func TestRegression_FailedSaveWithoutSessionKeepsValues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := setup(t, eng)
		require.NoError(t, migrate.CreateAll(ctx, eng, Memo{}))
		M := expr.Cols[Memo]()
		require.NoError(t, (&Memo{Body: "three"}).Save(ctx))
		four := &Memo{Body: "four"}
		require.NoError(t, four.Save(ctx))
		four.Body = "three"
		err := four.Save(ctx)
		require.ErrorIs(t, err, arcerr.ErrIntegrity)
		assert.Equal(t, "three", four.Body)
		assert.Equal(t, session.Detached, session.StateOf(four))
		four.Body = "five"
		require.NoError(t, four.Save(ctx), "fixed and saved again: the snapshot still says four")
		_, err = record.Where[Memo](expr.Eq(&M.Body, "five")).Update(ctx, expr.P{"Body": "three"})
		require.ErrorIs(t, err, arcerr.ErrIntegrity)
		n, err := record.Where[Memo](expr.Eq(&M.Body, "five")).Update(ctx, expr.P{"Body": "six"})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)

		assert.Equal(t, 2, count(t, eng, "memos"))
		got, err := record.Where[Memo](expr.Eq(&M.Body, "six")).One(ctx)
		require.NoError(t, err)
		assert.Equal(t, four.ID, got.ID)
	})
}

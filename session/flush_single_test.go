package session_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// txStatements are the transaction boundaries in rec's statements.
func txStatements(rec *dbtest.Recorder) []string {
	var out []string
	for _, p := range []string{"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"} {
		out = append(out, filterSQL(rec.Statements(), p)...)
	}
	return out
}

// TestSingleStatementCommitAutocommit: Commit of a unit of work of one
// INSERT, UPDATE or DELETE, with no transaction open, sends that
// statement alone (issue 25, item 1), keeping RETURNING of keys and
// server defaults, before-hooks and OnAfterCommit.
func TestSingleStatementCommitAutocommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := setup(t, eng)
		rec := dbtest.Record(eng)
		s := session.New(eng)
		defer s.Close(ctx)
		sctx := session.With(ctx, s)
		committed := 0
		s.OnAfterCommit(func(context.Context, *session.Session) { committed++ })

		// INSERT: key and server default read back, no BEGIN/COMMIT.
		n := &Note{Body: "one"}
		require.NoError(t, s.Add(n))
		require.NoError(t, s.Commit(sctx))
		assert.Empty(t, txStatements(rec))
		assert.Len(t, filterSQL(rec.Statements(), "INSERT"), 1)
		assert.NotZero(t, n.ID)
		assert.Equal(t, 7, n.Rank, "server default read back")
		assert.Equal(t, "draft", n.Status)
		assert.Equal(t, session.Persistent, s.StateOf(n))
		assert.Equal(t, 1, committed, "OnAfterCommit runs")
		assert.Equal(t, 1, countRows(t, eng, "notes", "id = ?", n.ID))

		// UPDATE of a loaded object: its SELECT and the UPDATE, nothing else.
		rec.Reset()
		s2 := session.New(eng)
		defer s2.Close(ctx)
		got, err := session.Get[Note](ctx, s2, n.ID)
		require.NoError(t, err)
		got.Body = "changed"
		require.NoError(t, s2.Commit(ctx))
		assert.Empty(t, txStatements(rec))
		assert.Len(t, filterSQL(rec.Statements(), "UPDATE"), 1)
		assert.Equal(t, 1, countRows(t, eng, "notes", "body = ?", "changed"))

		// DELETE.
		rec.Reset()
		require.NoError(t, s2.Delete(got))
		require.NoError(t, s2.Commit(ctx))
		assert.Empty(t, txStatements(rec))
		assert.Len(t, filterSQL(rec.Statements(), "DELETE"), 1)
		assert.Equal(t, 0, countRows(t, eng, "notes", "id = ?", n.ID))
		assert.NotContains(t, []session.Status{session.Persistent, session.Deleted}, s2.StateOf(got), "left the session, as after a commit")

		// Before-hooks run; a model with after-hooks keeps its transaction.
		rec.Reset()
		h := &Hooked{Name: "h"}
		require.NoError(t, s.Add(h))
		require.NoError(t, s.Commit(sctx))
		assert.Equal(t, "created", h.Stamp)
		assert.Contains(t, h.calls, "BeforeCreate")
		assert.Contains(t, h.calls, "AfterCreate")
		assert.Equal(t, []string{"BEGIN (implicit)", "COMMIT"}, txStatements(rec),
			"AfterCreate can fail the flush, so the INSERT stays in a transaction")
		assert.Equal(t, 2, committed)
	})
}

// TestSingleStatementFailureRestores: a single statement that fails in
// autocommit writes nothing and leaves the object as before the commit,
// so the caller can fix it and commit again; a stale UPDATE is
// ErrStaleData with the object's changes and version untouched.
func TestSingleStatementFailureRestores(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		require.NoError(t, s.Add(&Address{Email: "dup@x"}))
		require.NoError(t, s.Commit(ctx))
		rec := dbtest.Record(eng)

		bad := &Address{Email: "dup@x"}
		require.NoError(t, s.Add(bad))
		before := *bad
		err := s.Commit(ctx)
		require.ErrorIs(t, err, arcerr.ErrIntegrity)
		assert.Empty(t, txStatements(rec), "sent alone")
		assert.Equal(t, before, *bad, "restored")
		assert.Equal(t, session.Pending, s.StateOf(bad))
		assert.False(t, s.InTransaction())
		bad.Email = "ok@x"
		require.NoError(t, s.Commit(ctx))
		assert.NotZero(t, bad.ID)
		assert.Equal(t, 1, countRows(t, eng, "addresses", "email_address = ?", "ok@x"))

		// Stale data: someone else moved the version on.
		g := &Gadget{Label: "v"}
		require.NoError(t, s.Add(g))
		require.NoError(t, s.Commit(ctx))
		k := session.New(eng, session.WithExpireOnCommit(false))
		defer k.Close(ctx)
		kg, err := session.Get[Gadget](ctx, k, g.ID)
		require.NoError(t, err)
		_, err = eng.Exec(ctx, "UPDATE gadgets SET version = version + 1")
		require.NoError(t, err)
		rec.Reset()
		kg.Label = "mine"
		version := kg.Version
		err = k.Commit(ctx)
		require.ErrorIs(t, err, arcerr.ErrStaleData)
		assert.Empty(t, txStatements(rec))
		assert.Equal(t, "mine", kg.Label)
		assert.Equal(t, version, kg.Version, "version not bumped")
		assert.Equal(t, 0, countRows(t, eng, "gadgets", "label = ?", "mine"))
	})
}

// TestMultiStatementFlushKeepsTransaction: a flush of more than one
// statement, a flush that is not Commit's, and flushes after the first in
// a transaction keep their transaction (and savepoint) as before.
func TestMultiStatementFlushKeepsTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		rec := dbtest.Record(eng)

		// Two objects: BEGIN, two INSERTs, COMMIT.
		require.NoError(t, s.AddAll(&User{Name: "a"}, &Address{Email: "a@x"}))
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, []string{"BEGIN (implicit)", "COMMIT"}, txStatements(rec))

		// Flush then Commit: the flush's work stays undoable, so it opens
		// the transaction; the next flush of it protects the first with a
		// savepoint; Commit commits both.
		rec.Reset()
		u := &User{Name: "b"}
		require.NoError(t, s.Add(u))
		require.NoError(t, s.Flush(ctx))
		require.True(t, s.InTransaction())
		require.NoError(t, s.Add(&User{Name: "c"}))
		require.NoError(t, s.Commit(ctx))
		for _, p := range []string{"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"} {
			assert.Len(t, filterSQL(rec.Statements(), p), 1, p)
		}
		assert.Empty(t, filterSQL(rec.Statements(), "ROLLBACK"))

		// A failed multi-statement commit rolls back both.
		rec.Reset()
		require.NoError(t, s.AddAll(&User{Name: "d"}, &Address{Email: "a@x"}))
		require.ErrorIs(t, s.Commit(ctx), arcerr.ErrIntegrity)
		assert.Equal(t, 0, countRows(t, eng, "users", "name = ?", "d"))
		assert.Equal(t, []string{"BEGIN (implicit)", "ROLLBACK"}, txStatements(rec))
	})
}

// TestSingleStatementInsertBatch: new objects of one table that the flush
// sends as one multi-row INSERT go alone in autocommit too, keys read
// back; rows of different INSERT shapes (two statements) keep the
// transaction, so the prediction is checked against what is sent.
func TestSingleStatementInsertBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		rec := dbtest.Record(eng)

		us := make([]*User, 100)
		for i := range us {
			us[i] = &User{Name: "bulk"}
			require.NoError(t, s.Add(us[i]))
		}
		require.NoError(t, s.Commit(ctx))
		assert.Empty(t, txStatements(rec))
		assert.Len(t, filterSQL(rec.Statements(), "INSERT"), 1)
		seen := map[int64]bool{}
		for _, u := range us {
			require.NotZero(t, u.ID)
			seen[u.ID] = true
		}
		assert.Len(t, seen, 100)
		assert.Equal(t, 100, countRows(t, eng, "users", "name = ?", "bulk"))

		// Notes: Status has a client default, Rank a server default; a
		// note with Rank set has another shape (Rank written, not read
		// back), so two INSERTs in a transaction.
		rec.Reset()
		a, b := &Note{Body: "a"}, &Note{Body: "b", Rank: 3}
		require.NoError(t, s.AddAll(a, b))
		require.NoError(t, s.Commit(ctx))
		assert.Len(t, filterSQL(rec.Statements(), "INSERT"), 2)
		assert.Equal(t, []string{"BEGIN (implicit)", "COMMIT"}, txStatements(rec))
		assert.Equal(t, 7, a.Rank)
		assert.Equal(t, 3, b.Rank)

		// Same shape: one INSERT, no transaction.
		rec.Reset()
		c, d := &Note{Body: "c"}, &Note{Body: "d"}
		require.NoError(t, s.AddAll(c, d))
		require.NoError(t, s.Commit(ctx))
		assert.Len(t, filterSQL(rec.Statements(), "INSERT"), 1)
		assert.Empty(t, txStatements(rec))
		assert.Equal(t, 7, c.Rank)
		assert.NotEqual(t, c.ID, d.ID)

		// A failing batch writes none of its rows and restores them all.
		require.NoError(t, s.Add(&Address{Email: "taken@x"}))
		require.NoError(t, s.Commit(ctx))
		rec.Reset()
		x, y := &Address{Email: "x@x"}, &Address{Email: "taken@x"}
		require.NoError(t, s.AddAll(x, y))
		require.ErrorIs(t, s.Commit(ctx), arcerr.ErrIntegrity)
		assert.Empty(t, txStatements(rec))
		assert.Zero(t, x.ID)
		assert.Zero(t, y.ID)
		assert.Equal(t, session.Pending, s.StateOf(x))
		assert.Equal(t, 0, countRows(t, eng, "addresses", "email_address = ?", "x@x"))
		y.Email = "y@x"
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, 2, countRows(t, eng, "addresses", "email_address IN (?, ?)", "x@x", "y@x"))
	})
}

// TestFailedInsertErrorOwnsItsArgs: an INSERT's bind values refer to the
// objects' fields while it runs (session/args.go); the statement error
// of a failed one keeps copies, which do not change when the caller
// then fixes the objects.
func TestFailedInsertErrorOwnsItsArgs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := setup(t, eng)
		require.NoError(t, s.Add(&Address{Email: "taken@x"}))
		require.NoError(t, s.Commit(ctx))

		for _, n := range []int{1, 3} { // one row, and a multi-row INSERT
			objs := make([]*Address, n)
			for i := range objs {
				objs[i] = &Address{Email: fmt.Sprintf("free%d-%d@x", n, i)}
			}
			objs[n-1].Email = "taken@x"
			for _, a := range objs {
				require.NoError(t, s.Add(a))
			}
			err := s.Commit(ctx)
			require.ErrorIs(t, err, arcerr.ErrIntegrity)
			var se *arcerr.StatementError
			require.ErrorAs(t, err, &se)
			want := fmt.Sprint(se.Args...) // the values as text (copying se.Args would copy references)
			require.Contains(t, want, "taken@x")
			for i, a := range objs {
				a.Email = fmt.Sprintf("fixed%d-%d@x", n, i)
			}
			assert.Equal(t, want, fmt.Sprint(se.Args...), "the error's args do not follow the objects")
			require.NoError(t, s.Commit(ctx))
		}
	})
}

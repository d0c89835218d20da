package session

import (
	"context"
	"database/sql"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// One round trip for a one-statement unit of work (issue 25, item 1).
//
// Commit's flush whose whole work is one INSERT, UPDATE or DELETE (of one
// object, or new objects of one table that execInserts sends as one
// multi-row INSERT), in a session with no open transaction, sends that statement
// alone in autocommit: a single statement is atomic by itself, so BEGIN
// and COMMIT add two round trips and protect nothing. What stays as in a
// transaction:
//
//   - the stale-data check: the UPDATE or DELETE still matches the key and
//     version of the snapshot, and 0 rows matched is ErrStaleData, with
//     nothing written;
//   - restore on failure: a statement that fails changed nothing in the
//     database, and the flush restores the object as it does after a
//     rollback (plan.restore), so the caller can fix it and commit again;
//   - before-hooks (BeforeSave, BeforeCreate …) and BeforeFlush callbacks
//     run before the statement, as always; OnAfterCommit callbacks run
//     after it, from Commit;
//   - RETURNING of generated keys and server defaults into the object.
//
// It is not taken, and the flush runs in a transaction as before, when
// the session has a transaction open (an earlier flush, a bulk write, a
// locking read, a nested transaction), an isolation level, or when the
// flush is not Commit's (Flush, autoflush: their work must stay
// undoable by Rollback); when the flush has more than one statement to
// send or relationship work (foreign keys synced by UPDATE, association
// rows); and when the object's table has an after-write hook
// (AfterSave, AfterCreate, AfterUpdate, AfterDelete), whose error must
// undo the statement, or generated columns (RETURNING writes fields that
// need not be zero; kept on the transactional path with its full backup).
//
// One case differs in what the caller can know: if the connection is
// lost after the server ran the statement but before its result arrived,
// the row may be written although Commit returns an error. A COMMIT lost
// the same way has the same outcome, which arcerr reports as never
// retryable; the statement's error here is likewise not retryable once
// it was sent.

// flushTx returns what a flush runs on: an autocommit Tx for Commit's
// flush of one statement outside a transaction (see above), otherwise
// the session's transaction, begun if needed.
func (s *Session) flushTx(ctx context.Context, p *flushPlan) (*engine.Tx, error) {
	if s.committing && s.tx == nil && len(s.nested) == 0 && s.isolation() == sql.LevelDefault && s.singleStatement(p) {
		s.wrote = true // later reads go to the primary, as after a transaction
		return s.eng.Autocommit(), nil
	}
	return s.begin(ctx)
}

// afterWriteHooks are the hooks that run after a statement of the flush
// and can fail it.
const afterWriteHooks = meta.HookAfterSave | meta.HookAfterCreate | meta.HookAfterUpdate | meta.HookAfterDelete

// singleStatement reports whether plan sends exactly one statement: one
// object to write, or new objects of one table that make one batch.
func (s *Session) singleStatement(p *flushPlan) bool {
	if s.relFlush != nil || len(p.tables) != 1 {
		return false
	}
	t := p.tables[0]
	if t.Hooks&afterWriteHooks != 0 || len(t.Generated) != 0 {
		return false
	}
	if len(p.touched) == 1 {
		return true
	}
	return len(p.updates) == 0 && len(p.deletes) == 0 && s.oneInsertBatch(t, p.inserts[t])
}

// oneInsertBatch reports whether execInserts sends sts (new objects of t,
// no relationship work, so one level) as one INSERT: every row has the
// same INSERT shape (insertShape's mask and retMask, worked out here
// without filling anything in) and the batch fits execInserts' limits.
// TestSingleStatementInsertBatch checks it against the statements sent.
func (s *Session) oneInsertBatch(t *meta.Table, sts []*state) bool {
	if len(sts) < 2 || len(t.Columns) > 64 {
		return false
	}
	// insertShape's mask and retMask for each object, computed without
	// changing it, with the columns that may go to RETURNING listed once
	// for the table: a flush of thousands of new objects tests only those
	// per object.
	cd := sts[0].cd
	var all uint64
	var retCols []int
	for i := range cd.cols {
		all |= bit(i)
		if cc := &cd.cols[i]; cc.special && mayReturn(cc.c) {
			retCols = append(retCols, i)
		}
	}
	var mask, retMask uint64
	for k, st := range sts {
		if st.cd != cd {
			return false
		}
		m, r := all, uint64(0)
		for _, i := range retCols {
			cc := &cd.cols[i]
			if cc.c.Generated != "" || cc.zero(layout.At(st.obj, cc.c.Offset)) {
				r |= bit(i)
				m &^= bit(i)
			}
		}
		if k == 0 {
			mask, retMask = m, r
		} else if m != mask || r != retMask {
			return false
		}
	}
	d := s.eng.Dialect()
	cols, ret := columnsOf(s.cache(), t, mask), columnsOf(s.cache(), t, retMask)
	limit := MaxInsertBatch
	if n := len(cols); n > 0 {
		limit = min(limit, d.MaxParams()/n)
	}
	if insertModeFor(t, cols, ret) == insSingle || !d.Has(dialect.ReturningInsert) && len(ret) > 0 {
		limit = 1
	}
	return len(sts) <= limit
}

// mayReturn reports whether insertShape leaves c to the database (and
// reads it back) when it is zero or generated.
func mayReturn(c *meta.Column) bool {
	return c.AutoIncrement || c.ServerDefault != "" || c.Sequence != "" || c.Generated != ""
}

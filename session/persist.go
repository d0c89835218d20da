// Persistence of changed and deleted objects: the UPDATE and DELETE
// statements a flush sends, and the helpers all flush statements share.

package session

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

func flushErr(op string, st *state, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("arc: flush: %s %s: %w", op, describe(st), err)
}

func (s *Session) pkArgs(st *state, args []any, snap *snapshot) []any {
	for _, c := range st.cd.t.PrimaryKey {
		args = append(args, readCol(st.cd, c, snap.p))
	}
	if v := st.cd.t.Version; v != nil {
		args = append(args, readCol(st.cd, v, snap.p))
	}
	return args
}

func readCol(cd *codec, c *meta.Column, base unsafe.Pointer) any {
	for i := range cd.cols {
		if cd.cols[i].c == c {
			return cd.cols[i].get(layout.At(base, c.Offset))
		}
	}
	return nil
}

func (s *Session) execUpdate(ctx context.Context, tx *engine.Tx, u *update) error {
	st := u.st
	d := s.eng.Dialect()
	cols := make([]*meta.Column, len(u.cols))
	args := make([]any, 0, len(u.cols)+len(st.cd.t.PrimaryKey)+1)
	for i, ci := range u.cols {
		cc := &st.cd.cols[ci]
		cols[i] = cc.c
		args = append(args, cc.get(layout.At(st.obj, cc.c.Offset)))
	}
	// The WHERE uses the key and version as loaded (the snapshot), so a
	// changed primary key updates the right row.
	args = s.pkArgs(st, args, st.snap)
	q, err := updateSQL(s.cache(), d, st.cd.t, cols, u.mask) // not cached for tables over 64 columns
	if err != nil {
		return flushErr("update", st, err)
	}
	if len(st.cd.t.Generated) > 0 && d.Has(dialect.ReturningUpdate) {
		if err := s.updateReturning(ctx, tx, st, q, args); err != nil {
			return flushErr("update", st, err)
		}
	} else if res, err := tx.Exec(ctx, q, args...); err != nil {
		return flushErr("update", st, err)
	} else if n, err := res.RowsAffected(); err == nil && n != 1 {
		return flushErr("update", st, fmt.Errorf("%w: UPDATE matched %d rows, expected 1 (row deleted or version changed by someone else)", arcerr.ErrStaleData, n))
	} else if len(st.cd.t.Generated) > 0 {
		// No UPDATE ... RETURNING (MySQL, MariaDB): read the generated
		// columns back by the key, in the same transaction.
		if err := s.readGenerated(ctx, tx, st); err != nil {
			return flushErr("update", st, err)
		}
	}
	if v := st.cd.t.Version; v != nil {
		f := layout.Value(st.obj, v.Offset, v.GoType)
		f.SetInt(f.Int() + 1)
		u.bumped = true
	}
	return nil
}

func (s *Session) execDelete(ctx context.Context, tx *engine.Tx, st *state) error {
	q, err := deleteSQL(s.cache(), s.eng.Dialect(), st.cd.t)
	if err != nil {
		return flushErr("delete", st, err)
	}
	res, err := tx.Exec(ctx, q, s.pkArgs(st, nil, st.snap)...)
	if err != nil {
		return flushErr("delete", st, err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 && !s.relDeletedByCascade(st) {
		return flushErr("delete", st, fmt.Errorf("%w: DELETE matched %d rows, expected 1", arcerr.ErrStaleData, n))
	}
	return nil
}

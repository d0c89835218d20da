package session

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"time"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/internal/relcore"
	"github.com/arcorm/arc/meta"
)

// Soft delete: a model with a `softdelete` column (a nullable time, such
// as the DeletedAt of record.SoftDelete) is deleted by setting that column
// instead of deleting its row. Queries, Get and relationship loads skip
// such rows unless asked (WithDeleted, OnlyDeleted); HardDelete deletes
// for real and Restore brings a row back. See docs/session.md.

// softMode is which rows of a soft-delete model a query sees.
type softMode uint8

const (
	softAlive softMode = iota // rows not deleted (the default)
	softWith                  // all rows
	softOnly                  // only soft-deleted rows
)

// WithDeleted returns a query that also returns soft-deleted rows of
// its models (of every soft-delete model it reads, joins included).
func (q *Query[T]) WithDeleted() *Query[T] {
	n := q.clone()
	n.deleted = softWith
	return n
}

// OnlyDeleted returns a query for the soft-deleted rows of T only (joined
// soft-delete models still show their live rows only).
func (q *Query[T]) OnlyDeleted() *Query[T] {
	n := q.clone()
	if n.t != nil && n.t.SoftDelete == nil && n.err == nil {
		n.err = fmt.Errorf("%w: OnlyDeleted: %s has no softdelete column", arcerr.ErrInvalidRequest, n.t.GoType.Name())
	}
	n.deleted = softOnly
	return n
}

// aliveTerm is "from.deleted_at IS NULL" (or IS NOT NULL with gone).
func aliveTerm(from expr.FromItem, c *meta.Column, gone bool) expr.Expr {
	return &expr.NullTest{X: &expr.ColRef{From: from, Col: c}, Not: gone}
}

// softFiltered reports whether a FROM item is a soft-delete table (or an
// alias of one) that a query filters: subqueries and CTEs carry their
// own filters.
func softFiltered(f expr.FromItem) *meta.Column {
	switch f.(type) {
	case *expr.TableRef, *expr.AliasRef:
		if t := f.Table(); t != nil {
			return t.SoftDelete
		}
	}
	return nil
}

// applySoft adds the soft-delete criteria to a prepared SELECT (a copy:
// its slices are the query's, clipped, so appends reallocate and joins are
// replaced, never written in place).
func (q *Query[T]) applySoft(sel *expr.Select) {
	if q.deleted == softWith {
		return
	}
	for _, f := range sel.From {
		if c := softFiltered(f); c != nil {
			sel.Where = append(sel.Where, aliveTerm(f, c, q.deleted == softOnly && sameFrom(f, q.entity)))
		}
	}
	copied := false
	for i, j := range sel.Joins {
		c := softFiltered(j.Target)
		if c == nil {
			continue
		}
		if !copied {
			sel.Joins, copied = slices.Clone(sel.Joins), true
		}
		nj := *j
		nj.On = expr.And(j.On, aliveTerm(j.Target, c, false))
		sel.Joins[i] = &nj
	}
}

// softJoinOn adds the live-rows condition to an eager load's join ON.
func softJoinOn(target expr.FromItem, on expr.Expr, mode softMode) expr.Expr {
	if c := softFiltered(target); c != nil && mode != softWith {
		return expr.And(on, aliveTerm(target, c, false))
	}
	return on
}

// softDeleting reports whether deleting st sets its softdelete column
// rather than deleting its row.
func (s *Session) softDeleting(st *state) bool {
	return st.cd.t.SoftDelete != nil && !s.hardDeletes[st]
}

// HardDelete marks obj for deletion at the next flush with a real DELETE,
// also for a model with a softdelete column (where Delete only sets it).
// Cascades follow the same rule: children deleted through a delete
// cascade are deleted hard when they are soft-delete models too.
func (s *Session) HardDelete(obj any) error {
	if err := s.Delete(obj); err != nil { // clears an earlier HardDelete mark
		return err
	}
	p, _, _ := objectOf(obj)
	st := s.stateAt(p)
	if st == nil || st.cd.t.SoftDelete == nil {
		return nil
	}
	if s.hardDeletes == nil {
		s.hardDeletes = map[*state]bool{}
	}
	s.hardDeletes[st] = true
	return nil
}

// Restore brings a soft-deleted object (loaded with WithDeleted or
// OnlyDeleted) back: its softdelete column is cleared, and the next flush
// writes that as any other change.
func (s *Session) Restore(obj any) error {
	if err := s.check(); err != nil {
		return err
	}
	p, t, err := objectOf(obj)
	if err != nil {
		return err
	}
	if t.SoftDelete == nil {
		return fmt.Errorf("%w: Restore: %s has no softdelete column", arcerr.ErrInvalidRequest, t.GoType.Name())
	}
	st := s.stateAt(p)
	if st == nil || st.status != Persistent {
		return fmt.Errorf("%w: Restore: the %s is not persistent in this session (load it with WithDeleted)", arcerr.ErrInvalidRequest, t.GoType.Name())
	}
	layout.Value(p, t.SoftDelete.Offset, t.SoftDelete.GoType).SetZero()
	return nil
}

// execSoftDelete is the flush's DELETE of a soft-delete object: UPDATE t
// SET deleted_at = ? WHERE pk = ? [AND version = ?] AND deleted_at IS
// NULL. A row already deleted (soft or hard) matches nothing:
// ErrStaleData, as for a DELETE.
func (s *Session) execSoftDelete(ctx context.Context, tx *engine.Tx, st *state, now time.Time) error {
	t := st.cd.t
	ref := expr.TableOf(t)
	up := &expr.Update{Table: t, Set: []expr.Assign{{Col: t.SoftDelete.Name, V: now}}}
	args := s.pkArgs(st, nil, st.snap)
	for i, c := range t.PrimaryKey {
		up.Where = append(up.Where, expr.Op(&expr.ColRef{From: ref, Col: c}, "=", args[i]))
	}
	if v := t.Version; v != nil {
		up.Where = append(up.Where, expr.Op(&expr.ColRef{From: ref, Col: v}, "=", args[len(t.PrimaryKey)]))
	}
	up.Where = append(up.Where, aliveTerm(ref, t.SoftDelete, false))
	q, qargs, err := compileWith(s.eng.Dialect(), up, nil)
	if err != nil {
		return flushErr("soft delete", st, err)
	}
	res, err := tx.Exec(ctx, q, qargs...)
	if err != nil {
		return flushErr("soft delete", st, err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return flushErr("soft delete", st, fmt.Errorf("%w: soft delete matched %d rows, expected 1", arcerr.ErrStaleData, n))
	}
	return nil
}

// setSoftDeleted writes the deletion time into a soft-deleted object
// after its flush succeeded.
func setSoftDeleted(st *state, now time.Time) {
	c := st.cd.t.SoftDelete
	v := layout.Value(st.obj, c.Offset, c.GoType)
	switch {
	case c.Ptr:
		v.Set(reflect.ValueOf(&now))
	case c.NullType && c.GoType == reflect.TypeFor[sql.NullTime]():
		v.Set(reflect.ValueOf(sql.NullTime{Time: now, Valid: true}))
	default:
		v.Set(reflect.ValueOf(sql.Null[time.Time]{V: now, Valid: true}).Convert(c.GoType))
	}
}

// markSoft takes back a HardDelete mark (a savepoint or flush that was
// rolled back may have left one): each way of marking an object deleted
// says again how.
func (s *Session) markSoft(st *state) {
	if s.hardDeletes != nil {
		delete(s.hardDeletes, st)
	}
}

// markHard makes st's deletion a real DELETE (a child deleted by cascade
// from a parent whose row is deleted for real: a soft delete would leave
// it referring to a row that is gone).
func (s *Session) markHard(st *state) {
	if st.cd.t.SoftDelete == nil {
		return
	}
	if s.hardDeletes == nil {
		s.hardDeletes = map[*state]bool{}
	}
	s.hardDeletes[st] = true
}

// deletedChildren loads the soft-deleted targets of a one-to-many r that
// belong to owner (a parent about to be deleted for real must take them
// along or clear their foreign keys, and loads skip them).
func (s *Session) deletedChildren(ctx context.Context, r *meta.Relationship, owner unsafe.Pointer) ([]unsafe.Pointer, error) {
	t := r.Target
	tref := expr.TableOf(t)
	sel := &expr.Select{From: []expr.FromItem{tref}}
	for _, c := range t.Columns {
		sel.Columns = append(sel.Columns, &expr.ColRef{From: tref, Col: c})
	}
	sel.Where = append(sel.Where, relcore.ParentCriteria(r, owner, tref)...)
	sel.Where = append(sel.Where, aliveTerm(tref, t.SoftDelete, true))
	x, err := s.executor(ctx)
	if err != nil {
		return nil, err
	}
	q, args, err := compileWith(x.Dialect(), sel, nil)
	if err != nil {
		return nil, err
	}
	rows, err := x.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var fresh []unsafe.Pointer
	plan := s.rowPlan(t)
	for rows.Next() {
		p := reflect.New(t.GoType).UnsafePointer()
		if err := plan.Scan(rows, p); err != nil {
			rows.Close()
			return nil, err
		}
		fresh = append(fresh, p)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]unsafe.Pointer, 0, len(fresh))
	for _, p := range fresh {
		obj, err := s.loadRow(ctx, t, p, false, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}

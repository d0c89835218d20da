package session

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// Bulk UPDATE and DELETE on a query (SQLAlchemy's query.update() and
// query.delete()), with the identity map kept in sync by the "fetch"
// strategy: the statement returns the primary keys it touched (RETURNING
// on PostgreSQL and SQLite; a SELECT of the keys first where a dialect has
// no RETURNING), and the session then
//
//   - Update: writes each plain value into the matched objects it holds
//     (and into their snapshots, so they are not dirty); a column set to
//     an expression (arc.Col(&U.Age).Add(1)) expires those objects instead,
//     so their next use reloads them;
//   - Delete: detaches the matched objects it holds.
//
// Both autoflush first, run in the session's transaction, and refuse to
// run without a WHERE condition unless the query says AllRows().

// Update sets columns of every row the query matches and returns how many
// rows it changed. Keys of values are Go field names or column names;
// values are plain values or expressions.
func (q *Query[T]) Update(ctx context.Context, values expr.P) (n int64, err error) {
	err = q.withinSession(ctx, func(ctx context.Context, s *Session) error {
		n, err = q.bulk(ctx, s, values, false, false)
		return err
	})
	return n, err
}

// Delete deletes every row the query matches and returns how many. For
// a model with a softdelete column it sets that column instead (an
// UPDATE of the live rows matched); HardDelete deletes for real.
func (q *Query[T]) Delete(ctx context.Context) (n int64, err error) {
	err = q.withinSession(ctx, func(ctx context.Context, s *Session) error {
		n, err = q.bulk(ctx, s, nil, true, false)
		return err
	})
	return n, err
}

// HardDelete is Delete with real DELETE statements, also for a model with
// a softdelete column (combine with WithDeleted to purge deleted rows).
func (q *Query[T]) HardDelete(ctx context.Context) (n int64, err error) {
	err = q.withinSession(ctx, func(ctx context.Context, s *Session) error {
		n, err = q.bulk(ctx, s, nil, true, true)
		return err
	})
	return n, err
}

func (q *Query[T]) bulkCheck(what string) error {
	if q.err != nil {
		return q.err
	}
	name := q.t.GoType.Name()
	if _, ok := q.entity.(*expr.TableRef); !ok || len(q.sel.From) != 1 || len(q.sel.Joins) > 0 {
		return fmt.Errorf("%w: %s of %s: only a query on the table itself, without joins, aliases or subqueries in FROM, can be bulk-changed", arcerr.ErrInvalidRequest, what, name)
	}
	if q.sel.Limit != nil || q.sel.Offset != nil || len(q.sel.GroupBy) > 0 || len(q.sel.Having) > 0 || q.sel.Distinct || len(q.sel.Compounds) > 0 || q.stmt != nil || q.items != nil || len(q.sel.With) > 0 {
		return fmt.Errorf("%w: %s of %s: the query has LIMIT/OFFSET, GROUP BY, DISTINCT, UNION, WITH, FromStatement or a SELECT list", arcerr.ErrInvalidRequest, what, name)
	}
	if len(q.sel.Where) == 0 && !q.allRows {
		return fmt.Errorf("%w: %s of %s without a condition would change every row; add Where, or call AllRows() to mean it", arcerr.ErrInvalidRequest, what, name)
	}
	return nil
}

type assignment struct {
	col   *meta.Column
	idx   int
	v     any
	plain bool // a value to copy into loaded objects
}

func (q *Query[T]) assignments(values expr.P) ([]assignment, error) {
	if len(values) == 0 {
		return nil, fmt.Errorf("%w: Update of %s with no values", arcerr.ErrInvalidRequest, q.t.GoType.Name())
	}
	var out []assignment
	for _, k := range sortedKeys(values) {
		c := q.t.ColumnByField(k)
		if c == nil {
			c = q.t.ColumnByName(k)
		}
		if c == nil {
			return nil, fmt.Errorf("%w: Update: %s has no field or column %q", arcerr.ErrInvalidRequest, q.t.GoType.Name(), k)
		}
		idx := -1
		for i, tc := range q.t.Columns {
			if tc == c {
				idx = i
			}
		}
		v := values[k]
		_, isExpr := v.(expr.Expr)
		out = append(out, assignment{col: c, idx: idx, v: v, plain: !isExpr})
	}
	slices.SortFunc(out, func(a, b assignment) int { return a.idx - b.idx })
	return out, nil
}

func (q *Query[T]) bulk(ctx context.Context, s *Session, values expr.P, del, hard bool) (int64, error) {
	what := "Update"
	if del {
		what = "Delete"
	}
	if err := q.bulkCheck(what); err != nil {
		return 0, err
	}
	var sets []assignment
	if !del {
		var err error
		if sets, err = q.assignments(values); err != nil {
			return 0, err
		}
	}
	where := q.sel.Where
	if sd := q.t.SoftDelete; sd != nil {
		if q.deleted != softWith {
			where = append(where[:len(where):len(where)], aliveTerm(q.entity, sd, q.deleted == softOnly))
		}
		if del && !hard {
			// A soft delete of the matched rows: the objects the session
			// holds get the time, as an Update's plain values do.
			del = false
			sets = []assignment{{col: sd, idx: slices.Index(q.t.Columns, sd), v: s.flushNow(), plain: true}}
		}
	}
	if err := s.autoflush(ctx); err != nil {
		return 0, err
	}
	d := s.eng.Dialect()
	pk := meta.ColumnNames(q.t.PrimaryKey)
	var st expr.Expr
	var ret []string
	alone := s.bulkAlone()
	if !alone && (del && d.Has(dialect.ReturningDelete) || !del && d.Has(dialect.ReturningUpdate)) && !setsKey(sets) {
		// RETURNING gives the keys after the statement: when it changes a
		// key, the keys are read before it instead (below), so that the
		// matched objects can be found and moved to their new keys.
		ret = pk
	}
	if del {
		st = &expr.Delete{Table: q.t, Where: where, Returning: ret}
	} else {
		u := &expr.Update{Table: q.t, Where: where, Returning: ret}
		for _, a := range sets {
			u.Set = append(u.Set, expr.Assign{Col: a.col.Name, V: a.v})
		}
		st = u
	}
	sqlText, args, err := q.bulkSQL(s, d, st, where, sets, del, ret)
	if err != nil {
		return 0, fmt.Errorf("%s of %s: %w", what, q.t.GoType.Name(), err)
	}
	if alone {
		// A one-shot session's first work (OneShot): the statement alone, in
		// autocommit; no object is tracked, so no keys to read back.
		s.wrote = true // later reads go to the primary, as after a transaction
		res, err := s.eng.Autocommit().Exec(ctx, sqlText, args...)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("arc: bulk statement on %s: rows affected: %w", q.t.GoType.Name(), err)
		}
		return n, nil
	}
	x, err := s.writer(ctx)
	if err != nil {
		return 0, err
	}
	var keys []ikey
	if ret == nil {
		// No RETURNING: fetch the keys first, in the same transaction.
		sel := &expr.Select{From: []expr.FromItem{q.entity}, Where: where}
		for _, c := range q.t.PrimaryKey {
			sel.Columns = append(sel.Columns, &expr.ColRef{From: q.entity, Col: c})
		}
		ksql, kargs, err := compileWith(d, sel, q.params)
		if err != nil {
			return 0, err
		}
		if keys, err = q.readKeys(ctx, s, ksql, kargs); err != nil {
			return 0, err
		}
		res, err := x.Exec(ctx, sqlText, args...)
		if err != nil {
			return 0, err
		}
		q.syncBulk(s, keys, sets, del)
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("arc: bulk statement on %s: rows affected: %w", q.t.GoType.Name(), err)
		}
		return n, nil
	}
	if keys, err = q.readKeys(ctx, s, sqlText, args); err != nil {
		return 0, err
	}
	q.syncBulk(s, keys, sets, del)
	return int64(len(keys)), nil
}

func (q *Query[T]) readKeys(ctx context.Context, s *Session, sqlText string, args []any) ([]ikey, error) {
	x, err := s.executor(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := x.Query(ctx, sqlText, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []ikey
	// Scan the key into a scratch object, as rows are scanned into
	// objects, so that it is the identity map's key for any key type
	// (a uuid.UUID read back from text, a named type).
	plan := engine.NewScanPlan(q.t.PrimaryKey)
	tmp := reflect.New(q.t.GoType).UnsafePointer()
	for rows.Next() {
		if err := plan.Scan(rows, tmp); err != nil {
			return nil, err
		}
		keys = append(keys, identityOf(q.t, tmp))
	}
	return keys, rows.Err()
}

// syncBulk brings the identity map in line with a bulk statement.
func (q *Query[T]) syncBulk(s *Session, keys []ikey, sets []assignment, del bool) {
	// The transaction now holds work of its own: a later failed flush must
	// roll back to a savepoint, not throw this statement away.
	s.txFlushed = true
	keySet := setsKey(sets)
	for _, k := range keys {
		st := s.identity.get(k)
		if st == nil {
			continue
		}
		if del {
			// As a flushed DELETE leaves it: deleted until the commit
			// (then detached), persistent again after a rollback.
			st.status = Deleted
			st.markedDelete = false
			st.set(bDeletedInTx, true)
			s.identity.del(st.ikey())
			s.deleted = removeState(s.deleted, st)
			continue
		}
		if st.snap == nil || (st.expired && !keySet) {
			continue
		}
		// Copy on write: the snapshot may also be the state at transaction
		// begin, or a savepoint's, which a rollback restores.
		if st.txSnap == nil {
			st.txSnap = st.snap
		}
		st.snap = st.cd.take(st.snap.p)
		keyKnown := true
		for _, a := range sets {
			if !a.plain || !setColumn(st, a.idx, a.v) {
				st.expired = true
				if a.col.PrimaryKey {
					keyKnown = false
				}
			}
		}
		if len(st.cd.t.Generated) > 0 {
			st.expired = true // generated columns changed in the database only
		}
		if !keySet {
			continue
		}
		if !keyKnown {
			// An expression gave the row its new key: only the database
			// knows it, so the object leaves the session (Expunge).
			s.detach(st)
			continue
		}
		// Move the object to its new key; an object mapped there is stale
		// (the database took the key, so no row had it).
		if nk := identityOf(st.cd.t, st.obj); nk != st.ikey() {
			if other := s.identity.get(nk); other != nil && other != st {
				s.detach(other)
			}
			s.rekey(st)
		}
	}
}

// setsKey reports whether a bulk Update assigns a primary-key column.
func setsKey(sets []assignment) bool {
	return slices.ContainsFunc(sets, func(a assignment) bool { return a.col.PrimaryKey })
}

// setColumn writes v into column i of a loaded object and of its
// snapshot; false when v does not fit the field's type.
func setColumn(st *state, i int, v any) bool {
	if i < 0 || i >= len(st.cd.cols) {
		return false
	}
	c := st.cd.t.Columns[i]
	fv, ok := fieldValue(c.GoType, v)
	if !ok {
		return false
	}
	snapField := layout.At(st.snap.p, c.Offset)
	reflect.NewAt(c.GoType, snapField).Elem().Set(fv)
	if cc := &st.cd.cols[i]; cc.extra >= 0 {
		(*st.snap.extra)[cc.extra] = cc.get(snapField)
	}
	st.cd.restoreCol(i, st.obj, st.snap)
	return true
}

// fieldValue converts v to type ft: nil to the zero value, V to *V for a
// nullable field, and convertible kinds.
func fieldValue(ft reflect.Type, v any) (reflect.Value, bool) {
	if v == nil {
		return reflect.Zero(ft), ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map || ft.Kind() == reflect.Interface
	}
	rv := reflect.ValueOf(v)
	if rv.Type().AssignableTo(ft) {
		if rv.Kind() == reflect.Pointer && !rv.IsNil() {
			cp := reflect.New(rv.Type().Elem())
			cp.Elem().Set(rv.Elem())
			return cp, true
		}
		return rv, true
	}
	if ft.Kind() == reflect.Pointer && rv.Type().ConvertibleTo(ft.Elem()) && sameFamily(rv.Type(), ft.Elem()) {
		p := reflect.New(ft.Elem())
		p.Elem().Set(rv.Convert(ft.Elem()))
		return p, true
	}
	if rv.Type().ConvertibleTo(ft) && sameFamily(rv.Type(), ft) {
		return rv.Convert(ft), true
	}
	return reflect.Value{}, false
}

func sameFamily(a, b reflect.Type) bool {
	return (a.Kind() == reflect.String) == (b.Kind() == reflect.String)
}

// bulkAlone reports whether a bulk statement may run alone in autocommit:
// a OneShot session (record's calls without a session) that tracks no
// object and has no transaction open, nested transaction or isolation
// level asked for. It is asked after autoflush, so pending work would
// show as a tracked object.
func (s *Session) bulkAlone() bool {
	return s.opts.oneShot && !s.opts.readOnly && s.tx == nil && len(s.nested) == 0 &&
		s.isolation() == sql.LevelDefault && s.states.Len() == 0
}

// Sending INSERTs: batching by shape, and reading generated keys and
// server defaults back into the objects.

package session

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// insertMode is how one batch of INSERTs matches the rows the database
// returns (generated keys, server defaults) to the objects. The order of
// RETURNING rows is never relied on (PostgreSQL and SQLite both leave it
// unspecified).
type insertMode uint8

const (
	// insPlain: nothing to read back; a multi-row INSERT.
	insPlain insertMode = iota
	// insByKey: every primary key column is written by the client; the
	// RETURNING list carries the key and rows are matched on it.
	insByKey
	// insOrdered: a generated integer key; INSERT … SELECT … ORDER BY a
	// sentinel fixes the order in which keys are drawn, and the returned
	// keys, sorted, map to the objects in VALUES order.
	insOrdered
	// insSingle: no way to correlate rows; one INSERT per object.
	insSingle
)

// insertRow is one pending object's INSERT shape: the columns it sets
// and those the database fills, as bit masks over the table's columns,
// and as lists only for a table of more than 64 columns.
type insertRow struct {
	st            *state
	mask, retMask uint64
	wide          *insertCols
}

type insertCols struct{ cols, ret []*meta.Column }

func insertModeFor(t *meta.Table, cols, ret []*meta.Column) insertMode {
	if len(ret) == 0 {
		return insPlain
	}
	if len(cols) == 0 {
		return insSingle // DEFAULT VALUES
	}
	byKey := len(t.PrimaryKey) > 0
	for _, c := range t.PrimaryKey {
		if !slices.Contains(cols, c) {
			byKey = false
			break
		}
	}
	if byKey {
		return insByKey
	}
	if ai := t.AutoPK(); ai != nil && slices.Contains(ret, ai) && isIntKind(ai.GoType.Kind()) {
		return insOrdered
	}
	return insSingle
}

func isIntKind(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Uint64
}

func (s *Session) execInserts(ctx context.Context, tx *engine.Tx, t *meta.Table, sts []*state) error {
	d := s.eng.Dialect()
	now := s.flushNow()
	wide := len(t.Columns) > 64
	// Each object's shape is worked out once, as the batches are cut
	// (insertShape fills defaults in, so it must not run twice): next is
	// the shape of sts[start] when the previous batch stopped there.
	var next insertRow
	var argv argValues
	sc := shapeColsOf(sts[0].cd)
	for start := 0; start < len(sts); {
		// A batch: consecutive rows with the same column set.
		first := next
		if first.st != sts[start] {
			first = insertShape(sts[start], now, &sc)
		}
		var cols, firstRet []*meta.Column
		if wide {
			cols, firstRet = first.wide.cols, first.wide.ret
		} else {
			cols, firstRet = columnsOf(s.cache(), t, first.mask), columnsOf(s.cache(), t, first.retMask)
		}
		mode := insertModeFor(t, cols, firstRet)
		ret, retMask := firstRet, first.retMask
		if mode == insByKey {
			for i, c := range t.Columns {
				if c.PrimaryKey && !slices.Contains(ret, c) {
					ret = append(ret[:len(ret):len(ret)], c)
					retMask |= bit(i)
				}
			}
		}
		limit := MaxInsertBatch
		if n := len(cols); n > 0 {
			limit = min(limit, d.MaxParams()/n)
		}
		if mode == insSingle || !d.Has(dialect.ReturningInsert) && len(ret) > 0 ||
			mode == insOrdered && !d.Has(dialect.ValuesTable) && !d.Has(dialect.ValuesOrder) {
			limit = 1
		}
		end := start + 1
		for end < len(sts) && end-start < limit {
			r := insertShape(sts[end], now, &sc)
			if r.mask != first.mask || r.retMask != first.retMask ||
				wide && (!slices.Equal(r.wide.cols, cols) || !slices.Equal(r.wide.ret, firstRet)) {
				next = r // the next batch's first row
				break
			}
			end++
		}
		objs := sts[start:end]
		if ar, ok := d.(dialect.ArrayRows); ok && !wide && len(objs) >= minUnnestRows && len(cols) > 0 && d.Has(dialect.ReturningInsert) {
			if uargs, ok := unnestArgs(ar, d, first.st.cd, first.mask, objs); ok {
				q, err := unnestSQL(s.cache(), d, ar, t, cols, first.mask, ret, retMask, mode == insOrdered)
				if err != nil {
					return flushErr("insert", objs[0], err)
				}
				if err := s.insertBatch(ctx, tx, t, q, uargs, ret, mode, objs); err != nil {
					return err
				}
				start = end
				continue
			}
		}
		argv.reset(first.st.cd, cols, first.mask, len(objs))
		for _, st := range objs {
			argv.add(st.obj)
		}
		args := argv.args
		render := insertSQL
		if mode == insOrdered && len(objs) > 1 && !d.Has(dialect.ValuesOrder) {
			render = insertOrderedSQL
		}
		q, err := render(s.cache(), d, t, cols, first.mask, len(objs), ret, retMask)
		if err != nil {
			return flushErr("insert", objs[0], err)
		}
		if len(ret) > 0 && !d.Has(dialect.ReturningInsert) {
			// No INSERT ... RETURNING (MySQL): one row at a time (limit
			// is 1 above), its key from LAST_INSERT_ID(), the rest read
			// back by the key.
			if q, err = insertSQL(s.cache(), d, t, cols, first.mask, len(objs), nil, 0); err != nil {
				return flushErr("insert", objs[0], err)
			}
			err = insertLastID(ctx, tx, t, q, args, ret, objs[0])
		} else {
			err = s.insertBatch(ctx, tx, t, q, args, ret, mode, objs)
		}
		if err != nil {
			argv.own() // the error keeps args: no references into the objects
			return err
		}
		start = end
	}
	return nil
}

func (s *Session) insertBatch(ctx context.Context, tx *engine.Tx, t *meta.Table, q string, args []any, ret []*meta.Column, mode insertMode, objs []*state) error {
	if len(ret) == 0 {
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return flushErr("insert", objs[0], err)
		}
		return nil
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return flushErr("insert", objs[0], err)
	}
	defer rows.Close()
	if len(objs) == 1 && len(ret) == 1 && ret[0].GoType.Kind() == reflect.Int64 && !ret[0].Ptr && !ret[0].NullType && !ret[0].Valuer {
		// The common case, a generated integer key: scan it straight into the field.
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return flushErr("insert", objs[0], tx.Wrap(err, q, args))
			}
			return flushErr("insert", objs[0], fmt.Errorf("%w: INSERT ... RETURNING returned no row", arcerr.ErrStaleData))
		}
		if err := rows.Scan(layout.Ptr[int64](objs[0].obj, ret[0].Offset)); err != nil {
			return flushErr("insert", objs[0], err)
		}
		return flushErr("insert", objs[0], tx.Wrap(rows.Err(), q, args))
	}
	if mode == insOrdered && len(ret) == 1 && ret[0].PrimaryKey && plainInt64(ret[0]) {
		return insertedKeys(rows, ret[0], objs, func(err error) error { return tx.Wrap(err, q, args) })
	}
	plan := engine.NewScanPlan(ret)
	if len(objs) == 1 {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return flushErr("insert", objs[0], tx.Wrap(err, q, args))
			}
			return flushErr("insert", objs[0], fmt.Errorf("%w: INSERT ... RETURNING returned no row", arcerr.ErrStaleData))
		}
		if err := plan.Scan(rows, objs[0].obj); err != nil {
			return flushErr("insert", objs[0], err)
		}
		return flushErr("insert", objs[0], tx.Wrap(rows.Err(), q, args))
	}
	// Several rows: scan into scratch structs, then match them to objects.
	tmps := make([]unsafe.Pointer, 0, len(objs))
	slab := reflect.MakeSlice(reflect.SliceOf(t.GoType), len(objs), len(objs)).UnsafePointer()
	size := t.GoType.Size()
	for rows.Next() {
		if len(tmps) == len(objs) {
			return flushErr("insert", objs[0], fmt.Errorf("INSERT ... RETURNING gave more than %d rows", len(objs)))
		}
		tmp := layout.Index(slab, len(tmps), size)
		if err := plan.Scan(rows, tmp); err != nil {
			return flushErr("insert", objs[0], err)
		}
		tmps = append(tmps, tmp)
	}
	if err := rows.Err(); err != nil {
		return flushErr("insert", objs[0], tx.Wrap(err, q, args))
	}
	if len(tmps) != len(objs) {
		return flushErr("insert", objs[0], fmt.Errorf("INSERT ... RETURNING gave %d rows for %d objects", len(tmps), len(objs)))
	}
	match := make([]unsafe.Pointer, len(objs)) // match[i] is objs[i]'s row
	switch mode {
	case insByKey:
		idx := make(map[ikey]int, len(objs))
		for i, st := range objs {
			idx[identityOf(t, st.obj)] = i
		}
		for _, tmp := range tmps {
			i, ok := idx[identityOf(t, tmp)]
			if !ok || match[i] != nil {
				return flushErr("insert", objs[0], fmt.Errorf("%w: INSERT ... RETURNING gave a row whose key matches no inserted object", arcerr.ErrStaleData))
			}
			match[i] = tmp
		}
	case insOrdered:
		ai := t.AutoPK()
		if ai.GoType.Kind() == reflect.Int64 {
			slices.SortFunc(tmps, func(a, b unsafe.Pointer) int {
				return cmp.Compare(layout.Get[int64](a, ai.Offset), layout.Get[int64](b, ai.Offset))
			})
		} else {
			slices.SortFunc(tmps, func(a, b unsafe.Pointer) int {
				return cmpInt(layout.Value(a, ai.Offset, ai.GoType), layout.Value(b, ai.Offset, ai.GoType))
			})
		}
		copy(match, tmps)
	default:
		return flushErr("insert", objs[0], fmt.Errorf("%w: cannot match the rows INSERT ... RETURNING gave to the inserted objects", arcerr.ErrStaleData))
	}
	for i, st := range objs {
		for _, c := range ret {
			if c.PrimaryKey && mode == insByKey {
				continue // written by the client
			}
			dst := layout.Value(st.obj, c.Offset, c.GoType)
			dst.Set(layout.Value(match[i], c.Offset, c.GoType))
		}
	}
	return nil
}

// plainInt64 reports whether c is an int64 field scanned as is (no
// pointer, sql.Null*, Scanner or Valuer).
func plainInt64(c *meta.Column) bool {
	return c.GoType.Kind() == reflect.Int64 && !c.Ptr && !c.NullType && !c.Valuer
}

// insertedKeys reads the generated keys of a multi-row insOrdered INSERT
// (RETURNING the key alone) and gives them to objs in VALUES order: the
// database drew them in that order, so the i-th smallest is objs[i]'s.
// The keys go into one []int64 instead of a scratch struct per row.
func insertedKeys(rows *sql.Rows, pk *meta.Column, objs []*state, wrap func(error) error) error {
	keys := make([]int64, len(objs))
	n := 0
	for rows.Next() {
		if n == len(objs) {
			return flushErr("insert", objs[0], fmt.Errorf("INSERT ... RETURNING gave more than %d rows", len(objs)))
		}
		if err := rows.Scan(&keys[n]); err != nil {
			return flushErr("insert", objs[0], err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return flushErr("insert", objs[0], wrap(err))
	}
	if n != len(objs) {
		return flushErr("insert", objs[0], fmt.Errorf("INSERT ... RETURNING gave %d rows for %d objects", n, len(objs)))
	}
	slices.Sort(keys)
	for i, st := range objs {
		layout.Set[int64](st.obj, pk.Offset, keys[i])
	}
	return nil
}

// insertLastID runs the single-row INSERT q without RETURNING, sets the
// object's autoincrement key from the driver's LastInsertId and reads the
// other columns the database filled back by the key.
func insertLastID(ctx context.Context, tx *engine.Tx, t *meta.Table, q string, args []any, ret []*meta.Column, st *state) error {
	res, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return flushErr("insert", st, err)
	}
	var rest []*meta.Column
	for _, c := range ret {
		if c != t.AutoPK() || !isIntKind(c.GoType.Kind()) {
			rest = append(rest, c)
			continue
		}
		id, err := res.LastInsertId()
		if err != nil {
			return flushErr("insert", st, err)
		}
		f := layout.Value(st.obj, c.Offset, c.GoType)
		if f.CanInt() {
			f.SetInt(id)
		} else {
			f.SetUint(uint64(id))
		}
	}
	if len(rest) > 0 {
		return flushErr("insert", st, readBack(ctx, tx, st, rest))
	}
	return nil
}

func cmpInt(x, y reflect.Value) int {
	var a, b int64
	if x.CanInt() {
		a, b = x.Int(), y.Int()
	} else {
		a, b = int64(x.Uint()), int64(y.Uint())
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

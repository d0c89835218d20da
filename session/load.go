package session

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// identityOf reads obj's primary key.
func identityOf(t *meta.Table, obj unsafe.Pointer) ikey {
	if len(t.PrimaryKey) == 1 {
		c := t.PrimaryKey[0]
		switch c.GoType.Kind() {
		case reflect.Int64:
			return ikey{t: t, n: layout.Get[int64](obj, c.Offset)}
		case reflect.String:
			return ikey{t: t, s: layout.Get[string](obj, c.Offset)}
		}
	}
	return makeKey(t, pkValues(t, obj))
}

// pkValues reads obj's primary key values, normalised.
func pkValues(t *meta.Table, obj unsafe.Pointer) []any {
	vals := make([]any, len(t.PrimaryKey))
	for i, c := range t.PrimaryKey {
		vals[i] = normValue(layout.Value(obj, c.Offset, c.GoType))
	}
	return vals
}

func normValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(v.Uint())
	case reflect.String:
		return v.String()
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return string(v.Bytes())
		}
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.Bool:
		return v.Bool()
	}
	if v.Comparable() {
		return v.Interface()
	}
	return fmt.Sprint(v.Interface())
}

// keyOf converts user-given key values for table t, checking arity and type.
func keyOf(t *meta.Table, vals []any) (ikey, error) {
	if len(vals) == 1 && len(t.PrimaryKey) == 1 {
		// Fast path: one integer or string key column, given as such.
		c := t.PrimaryKey[0]
		switch k := c.GoType.Kind(); {
		case k == reflect.Int64 || k == reflect.Int || k == reflect.Int32:
			switch v := vals[0].(type) {
			case int64:
				if k == reflect.Int32 && int64(int32(v)) != v {
					break
				}
				return ikey{t: t, n: v}, nil
			case int:
				if k == reflect.Int32 && int(int32(v)) != v {
					break
				}
				return ikey{t: t, n: int64(v)}, nil
			}
		case k == reflect.String:
			if v, ok := vals[0].(string); ok {
				return ikey{t: t, s: v}, nil
			}
		}
	}
	if len(vals) == 1 {
		// A key given as a slice or map (composite or single-column).
		switch x := vals[0].(type) {
		case []any:
			vals = x
		case map[string]any:
			if err := checkKeyMap(t, x); err != nil {
				return ikey{}, err
			}
			vs := make([]any, len(t.PrimaryKey))
			for i, c := range t.PrimaryKey {
				v, ok := x[c.Field]
				if !ok {
					v, ok = x[c.Name]
				}
				if !ok {
					return ikey{}, fmt.Errorf("%w: key for %s lacks %s", arcerr.ErrInvalidRequest, t.GoType.Name(), c.Field)
				}
				vs[i] = v
			}
			vals = vs
		}
	}
	if len(vals) != len(t.PrimaryKey) {
		return ikey{}, fmt.Errorf("%w: %s has a %d-column primary key (%v), got %d values",
			arcerr.ErrInvalidRequest, t.GoType.Name(), len(t.PrimaryKey), meta.ColumnNames(t.PrimaryKey), len(vals))
	}
	k := make([]any, len(t.PrimaryKey))
	for i, c := range t.PrimaryKey {
		if vals[i] == nil {
			return ikey{}, fmt.Errorf("%w: nil key value for %s.%s", arcerr.ErrInvalidRequest, t.GoType.Name(), c.Field)
		}
		v := reflect.ValueOf(vals[i])
		ct := c.GoType
		if c.Kind == meta.KindUUID && v.Kind() == reflect.String && ct.Kind() != reflect.String {
			// A UUID key given as text (from a URL, say): parsed by the
			// key type's own Scan.
			u, err := uuidFromText(c, v.String())
			if err != nil {
				return ikey{}, fmt.Errorf("%w: key value %q for %s.%s: %w", arcerr.ErrInvalidRequest, v.String(), t.GoType.Name(), c.Field, err)
			}
			v = u
		}
		if !keyFits(v, ct) {
			return ikey{}, fmt.Errorf("%w: key value %v (%T) does not fit %s.%s (%s)", arcerr.ErrInvalidRequest, vals[i], vals[i], t.GoType.Name(), c.Field, ct)
		}
		k[i] = normValue(v.Convert(ct))
	}
	return makeKey(t, k), nil
}

// checkKeyMap refuses a key map with an entry that names no primary-key
// field or column of t.
func checkKeyMap(t *meta.Table, m map[string]any) error {
	for name := range m {
		ok := false
		for _, c := range t.PrimaryKey {
			if name == c.Field || name == c.Name {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("%w: key for %s names %q, which is not a primary-key field (%v)",
				arcerr.ErrInvalidRequest, t.GoType.Name(), name, meta.ColumnNames(t.PrimaryKey))
		}
	}
	return nil
}

// keyFits reports whether a user-given key value converts to the key
// column's type without changing meaning: no number to string or back, no
// fractional float to an integer, no negative number to an unsigned type.
func keyFits(v reflect.Value, ct reflect.Type) bool {
	if !v.Type().ConvertibleTo(ct) {
		return false
	}
	if (v.Kind() == reflect.String) != (ct.Kind() == reflect.String) {
		return false
	}
	isInt := func(k reflect.Kind) bool { return k >= reflect.Int && k <= reflect.Uint64 }
	isFloat := func(k reflect.Kind) bool { return k == reflect.Float32 || k == reflect.Float64 }
	switch {
	case isInt(ct.Kind()) && isFloat(v.Kind()):
		f := v.Float()
		return f == math.Trunc(f) && math.Abs(f) < 1<<53 // exactly representable
	case ct.Kind() >= reflect.Uint && ct.Kind() <= reflect.Uint64 && v.CanInt():
		return v.Int() >= 0
	case isInt(ct.Kind()) && !isInt(v.Kind()):
		return false
	}
	if isInt(ct.Kind()) && isInt(v.Kind()) {
		// No silent wrap-around: the value must fit the column's type.
		z := reflect.New(ct).Elem()
		if v.CanInt() {
			if z.CanInt() {
				return !z.OverflowInt(v.Int())
			}
			return v.Int() >= 0 && !z.OverflowUint(uint64(v.Int()))
		}
		if z.CanInt() {
			return v.Uint() <= math.MaxInt64 && !z.OverflowInt(int64(v.Uint()))
		}
		return !z.OverflowUint(v.Uint())
	}
	return true
}

// Get returns the object of type T with the given primary key: from the
// identity map without SQL when it is there and not expired, otherwise by
// SELECT (after autoflush). It returns an error wrapping ErrNotFound when
// no row has that key, and ErrObjectDeleted when an expired object's row
// is gone. Composite keys are given in primary-key column order.
func Get[T any](ctx context.Context, s *Session, key ...any) (*T, error) {
	t, err := meta.Of[T]()
	if err != nil {
		return nil, err
	}
	p, err := s.get(ctx, t, key)
	if err != nil {
		return nil, err
	}
	return layout.As[T](p), nil
}

func (s *Session) get(ctx context.Context, t *meta.Table, key []any) (unsafe.Pointer, error) {
	gHeld, gErr := s.inUse.enter("Get")
	if gErr != nil {
		return nil, gErr
	}
	defer s.inUse.leave(gHeld)
	if err := s.check(); err != nil {
		return nil, err
	}
	k, err := keyOf(t, key)
	if err != nil {
		return nil, err
	}
	if st := s.identity.get(k); st != nil {
		if !st.expired {
			return st.obj, nil
		}
		if err := s.refresh(ctx, st, false); err != nil {
			return nil, err
		}
		return st.obj, nil
	}
	if err := s.autoflush(ctx); err != nil {
		return nil, err
	}
	if st := s.identity.get(k); st != nil { // the flush may have inserted it
		return st.obj, nil
	}
	var args []any
	if len(t.PrimaryKey) == 1 && k.s == "" && isIntKind(t.PrimaryKey[0].GoType.Kind()) {
		args = []any{k.n} // the common case, without reflection
	} else {
		args = normKeyArgs(t, key)
	}
	fresh, found, err := s.selectByKey(ctx, t, args, true)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: %s with key %s", arcerr.ErrNotFound, t.GoType.Name(), keyString(args))
	}
	return s.loadRow(ctx, t, fresh, false, 0)
}

// normKeyArgs turns user-given key values (already checked by keyOf)
// into bind arguments of the key columns' types.
func normKeyArgs(t *meta.Table, key []any) []any {
	if len(key) == 1 {
		switch x := key[0].(type) {
		case []any:
			key = x
		case map[string]any:
			vs := make([]any, len(t.PrimaryKey))
			for i, c := range t.PrimaryKey {
				v, ok := x[c.Field]
				if !ok {
					v = x[c.Name]
				}
				vs[i] = v
			}
			key = vs
		}
	}
	args := make([]any, len(t.PrimaryKey))
	for i, c := range t.PrimaryKey {
		args[i] = normValue(reflect.ValueOf(key[i]).Convert(c.GoType))
	}
	return args
}

// selectByKey loads one row by key (normalised values in key-column
// order) into a new struct.
func (s *Session) selectByKey(ctx context.Context, t *meta.Table, args []any, alive bool) (unsafe.Pointer, bool, error) {
	x, err := s.executor(ctx)
	if err != nil {
		return nil, false, err
	}
	get := getSQL
	if alive {
		get = getAliveSQL
	}
	q, err := get(s.cache(), x.Dialect(), t)
	if err != nil {
		return nil, false, err
	}
	rows, err := x.Query(ctx, q.sql, q.bind(args)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, false, rows.Err()
	}
	obj := reflect.New(t.GoType).UnsafePointer()
	plan := s.rowPlan(t)
	if len(t.Properties) > 0 {
		plan = loadPlan(t)
	}
	if err := plan.Scan(rows, obj); err != nil {
		return nil, false, err
	}
	return obj, true, rows.Err()
}

// rowPlan returns the session's scan plan for whole rows of t (plans
// reuse their destinations, and a session is used by one goroutine).
func (s *Session) rowPlan(t *meta.Table) *engine.ScanPlan {
	if p := s.plans[t]; p != nil {
		return p
	}
	if s.plans == nil {
		s.plans = map[*meta.Table]*engine.ScanPlan{}
	}
	p := engine.NewScanPlan(t.Columns)
	s.plans[t] = p
	return p
}

// refresh reloads an object's row. hard (Refresh) overwrites every
// column; otherwise (the reload of an expired object) columns whose value
// differs from the snapshot — set since the commit, rollback or Expire
// that expired it — are kept.
func (s *Session) refresh(ctx context.Context, st *state, hard bool) error {
	fresh, found, err := s.selectByKey(ctx, st.cd.t, st.keyArgs(), false)
	if err != nil {
		return err
	}
	if !found {
		// The row is gone: the object leaves the session as by Expunge
		// (both indexes, guarded, and the pending and deleted lists).
		s.detach(st)
		return fmt.Errorf("%w: %s", arcerr.ErrObjectDeleted, describe(st))
	}
	s.mergeRow(st, fresh, hard)
	if len(st.cd.t.Properties) > 0 {
		copyProps(st.obj, fresh, loadCols(st.cd.t, propsMask(st.cd.t, 0))[len(st.cd.t.Columns):])
	}
	return s.afterLoad(ctx, st)
}

// mergeRow brings a freshly loaded row into a mapped object.
func (s *Session) mergeRow(st *state, fresh unsafe.Pointer, overwrite bool) {
	newSnap := st.cd.take(fresh)
	if st.txSnap == nil && st.snap != nil {
		// The values the transaction found the object with, for a
		// rollback: the reload may bring in what the transaction wrote
		// (a bulk UPDATE of an expired object, say), which the rollback
		// undoes in the database.
		st.txSnap = st.snap
	}
	for i := range st.cd.cols {
		if overwrite || st.snap == nil || !st.cd.changed(i, st.obj, st.snap) {
			st.cd.restoreCol(i, st.obj, newSnap)
		}
	}
	st.snap = newSnap
	st.expired = false
}

// Refresh reloads obj's row now, overwriting its columns (unflushed
// changes are lost); ErrObjectDeleted when the row is gone.
func (s *Session) Refresh(ctx context.Context, obj any) error {
	gHeld, gErr := s.inUse.enter("Refresh")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	st, err := s.stateOf(obj)
	if err != nil {
		return err
	}
	if st.status != Persistent {
		return fmt.Errorf("%w: cannot refresh %s %s", arcerr.ErrInvalidRequest, st.status, describe(st))
	}
	return s.refresh(ctx, st, true)
}

// loadRow maps a freshly scanned row: the identity map's object when there
// is one (refreshed if expired, overwritten with populate), else fresh
// becomes a new persistent object.
func (s *Session) loadRow(ctx context.Context, t *meta.Table, fresh unsafe.Pointer, populate bool, batch batchID) (unsafe.Pointer, error) {
	k := identityOf(t, fresh)
	if st := s.identity.get(k); st != nil {
		return s.loadExisting(ctx, st, fresh, populate, batch)
	}
	cd := codecOf(t)
	st := s.newState()
	cd.takeInto(fresh, &st.first)
	return s.adopt(ctx, st, t, cd, fresh, k, batch, nil)
}

func (s *Session) afterLoad(ctx context.Context, st *state) error {
	if st.cd.t.Hooks.Has(meta.HookAfterLoad) {
		s.inUse.callbacks()
		defer s.inUse.callbacksDone()
		if err := st.ifc().(meta.AfterLoader).AfterLoad(ctx); err != nil {
			return fmt.Errorf("arc: %s.AfterLoad hook: %w", st.cd.t.GoType.Name(), err)
		}
	}
	return nil
}

// Merge copies the column values of obj (typically detached, or built
// from an API payload) onto the session's object with the same primary
// key, loading it if needed, and returns that object; obj itself is not
// attached. When no row has that key (or obj has none), a copy of obj is
// added as pending and returned.
func Merge[T any](ctx context.Context, s *Session, obj *T) (*T, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, fmt.Errorf("%w: Merge of a nil object", arcerr.ErrInvalidRequest)
	}
	t, err := meta.Of[T]()
	if err != nil {
		return nil, err
	}
	p := unsafe.Pointer(obj)
	if st := s.stateAt(p); st != nil {
		return obj, nil
	}
	key := pkValues(t, p)
	hasKey := true
	for _, v := range key {
		if reflect.ValueOf(v).IsZero() {
			hasKey = false
		}
	}
	var target unsafe.Pointer
	if hasKey {
		target, err = s.get(ctx, t, key)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
	}
	cd := codecOf(t)
	if target == nil {
		cp := new(T)
		cd.restore(unsafe.Pointer(cp), cd.take(p))
		if err := s.Add(cp); err != nil {
			return nil, err
		}
		return cp, nil
	}
	cd.restore(target, cd.take(p))
	return layout.As[T](target), nil
}

func isNotFound(err error) bool {
	return err != nil && (err == sql.ErrNoRows || errorsIs(err, arcerr.ErrNotFound))
}

// Per-column functions a codec is built from: equality, deep copy, zero
// test and bind-value getter for each Go shape a column can have.

package session

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"reflect"
	"time"
	"unsafe"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/layout"
	snapmem "github.com/arcorm/arc/internal/snapshot"
	"github.com/arcorm/arc/meta"
)

func driverEqual(a, b any) bool {
	ab, aok := a.([]byte)
	bb, bok := b.([]byte)
	if aok || bok {
		return aok && bok && (ab == nil) == (bb == nil) && bytes.Equal(ab, bb)
	}
	if at, ok := a.(time.Time); ok {
		bt, ok := b.(time.Time)
		return ok && at.Equal(bt)
	}
	return a == b
}

var timeType = reflect.TypeFor[time.Time]()

// zeroFor returns a test for the field's zero value.
func zeroFor(c *meta.Column) func(p unsafe.Pointer) bool {
	if c.Ptr {
		return func(p unsafe.Pointer) bool { return layout.Get[unsafe.Pointer](p, 0) == nil }
	}
	if c.GoType == timeType {
		return func(p unsafe.Pointer) bool { return layout.Ptr[time.Time](p, 0).IsZero() }
	}
	if c.GoType.PkgPath() == "" {
		switch snapmem.SizedKind(c.GoType) {
		case reflect.Int64, reflect.Uint64:
			return func(p unsafe.Pointer) bool { return layout.Get[int64](p, 0) == 0 }
		case reflect.Int32, reflect.Uint32:
			return func(p unsafe.Pointer) bool { return layout.Get[int32](p, 0) == 0 }
		case reflect.String:
			return func(p unsafe.Pointer) bool { return layout.Get[string](p, 0) == "" }
		case reflect.Bool:
			return func(p unsafe.Pointer) bool { return !layout.Get[bool](p, 0) }
		}
	}
	t := c.GoType
	return func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Elem().IsZero() }
}

// getterFor returns the function that reads a field as a bind value.
func getterFor(c *meta.Column) func(p unsafe.Pointer) any {
	if c.JSON {
		t := c.GoType
		return func(p unsafe.Pointer) any {
			v := reflect.NewAt(t, p).Elem()
			if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Map || v.Kind() == reflect.Slice) && v.IsNil() {
				return nil
			}
			b, err := json.Marshal(v.Interface())
			if err != nil {
				return jsonError{err}
			}
			return string(b)
		}
	}
	if !c.Ptr && !c.NullType && !c.Valuer && c.GoType.PkgPath() == "" {
		switch c.GoType.Kind() {
		case reflect.Int64:
			return func(p unsafe.Pointer) any { return layout.Get[int64](p, 0) }
		case reflect.Int:
			return func(p unsafe.Pointer) any { return int64(layout.Get[int](p, 0)) }
		case reflect.Int32:
			return func(p unsafe.Pointer) any { return int64(layout.Get[int32](p, 0)) }
		case reflect.String:
			return func(p unsafe.Pointer) any { return layout.Get[string](p, 0) }
		case reflect.Bool:
			return func(p unsafe.Pointer) any { return layout.Get[bool](p, 0) }
		case reflect.Float64:
			return func(p unsafe.Pointer) any { return layout.Get[float64](p, 0) }
		}
	}
	if c.GoType == timeType {
		return func(p unsafe.Pointer) any { return normTime(layout.Get[time.Time](p, 0)) }
	}
	if c.NullType && c.Elem == timeType { // sql.NullTime, sql.Null[time.Time]
		return func(p unsafe.Pointer) any {
			if nt := layout.Ptr[nullTime](p, 0); nt.Valid {
				return normTime(nt.Time)
			}
			return nil
		}
	}
	if c.Ptr && c.Elem == timeType {
		return func(p unsafe.Pointer) any {
			if tp := layout.Get[*time.Time](p, 0); tp != nil {
				return normTime(*tp)
			}
			return nil
		}
	}
	if c.Kind == meta.KindArray && !c.Valuer && !c.Ptr {
		return func(p unsafe.Pointer) any {
			v, err := engine.ArrayValue(c, p)
			if err != nil {
				return valuerError{err}
			}
			return v
		}
	}
	t := c.GoType
	valuer := c.Valuer
	return func(p unsafe.Pointer) any {
		v := reflect.NewAt(t, p).Elem()
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return nil
			}
			if !valuer {
				return v.Elem().Interface()
			}
		}
		if valuer {
			if dv, ok := v.Interface().(driver.Valuer); ok {
				val, err := dv.Value()
				if err != nil {
					return valuerError{err}
				}
				return val
			}
			if dv, ok := v.Addr().Interface().(driver.Valuer); ok {
				val, err := dv.Value()
				if err != nil {
					return valuerError{err}
				}
				return val
			}
		}
		return v.Interface()
	}
}

// jsonError and valuerError carry an encoding failure to the point where
// arguments are used; database/sql reports them when converting.
type jsonError struct{ err error }

func (e jsonError) Value() (driver.Value, error) { return nil, e.err }

type valuerError struct{ err error }

func (e valuerError) Value() (driver.Value, error) { return nil, e.err }

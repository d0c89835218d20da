package engine

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/lib/pq"

	"github.com/arcorm/arc/meta"
)

// Array columns (meta.KindArray: a slice of string, int64, int32, float64
// or bool, or of a named type over one) travel in PostgreSQL's array text
// form, '{a,"b c"}', through lib/pq's array types. A nil slice is NULL.
// The field's memory is read as the unnamed slice of the same element
// kind, which has the same layout.

// arrayOf returns lib/pq's array value over the slice field at p.
func arrayOf(c *meta.Column, p unsafe.Pointer) interface {
	driver.Valuer
	sql.Scanner
} {
	switch c.Elem.Elem().Kind() {
	case reflect.String:
		return (*pq.StringArray)((*[]string)(p))
	case reflect.Int64:
		return (*pq.Int64Array)((*[]int64)(p))
	case reflect.Int32:
		return (*pq.Int32Array)((*[]int32)(p))
	case reflect.Float64:
		return (*pq.Float64Array)((*[]float64)(p))
	case reflect.Bool:
		return (*pq.BoolArray)((*[]bool)(p))
	}
	return nil
}

// ArrayValue returns the bind value of the array column c of the struct
// field at p: its PostgreSQL array text, or nil for a nil slice.
func ArrayValue(c *meta.Column, p unsafe.Pointer) (driver.Value, error) {
	a := arrayOf(c, p)
	if a == nil {
		return nil, fmt.Errorf("column %s: %s is not an array type", c, c.GoType)
	}
	if *(*unsafe.Pointer)(p) == nil { // a nil slice (the header's data pointer)
		return nil, nil
	}
	return a.Value()
}

func scanArray(p unsafe.Pointer, c *meta.Column, src any) error {
	a := arrayOf(c, p)
	if a == nil {
		return fmt.Errorf("%s is not an array type", c.GoType)
	}
	if src == nil {
		*(*[]byte)(p) = nil // any slice header: same layout
		return nil
	}
	return a.Scan(src)
}

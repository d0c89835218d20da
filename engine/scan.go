package engine

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// ScanPlan scans result columns straight into the fields of a struct
// through precomputed offsets: no reflection per row for the common types,
// and NULL into a non-pointer field reads as the zero value (as GORM and
// encoding/json do) instead of failing. Build one per query; a plan is not
// safe for concurrent use, because it reuses its destination slice.
type ScanPlan struct {
	cols     []*meta.Column
	scans    []fieldScanner
	dests    []any
	rewrites bool
}

// NewScanPlan prepares scanning of cols (in result order) into structs.
// A nil entry skips that result column.
func NewScanPlan(cols []*meta.Column) *ScanPlan {
	p := &ScanPlan{cols: cols, scans: make([]fieldScanner, len(cols)), dests: make([]any, len(cols)), rewrites: true}
	for i, c := range cols {
		if c == nil {
			p.dests[i] = new(any)
			continue
		}
		conv, basic := converterFor(c)
		p.scans[i] = fieldScanner{col: c, conv: conv}
		p.dests[i] = &p.scans[i]
		p.rewrites = p.rewrites && basic
	}
	return p
}

// Rewrites reports whether every scan of a row assigns each of the plan's
// fields a value of its own, NULL included, and never writes through
// what a field held before (the plan has only basic kinds, pointers to
// them and time.Time; no Scanner, sql.Null type or JSON column). A struct
// that only this plan scanned into then needs no zeroing before the next
// scan: its other fields were never written.
func (p *ScanPlan) Rewrites() bool { return p.rewrites }

// Null reports whether result column i was NULL in the row last scanned.
// Only a plan that Rewrites accepts NULL for every column; scanning NULL
// with any other plan may fail in a Scanner of the model's.
func (p *ScanPlan) Null(i int) bool { return p.scans[i].null }

// Columns returns the plan's columns.
func (p *ScanPlan) Columns() []*meta.Column { return p.cols }

// Dests returns scan destinations that write into the struct at obj.
func (p *ScanPlan) Dests(obj unsafe.Pointer) []any {
	for i := range p.scans {
		p.scans[i].base = obj
	}
	return p.dests
}

// Scan reads the current row of rows into the struct at obj.
func (p *ScanPlan) Scan(rows *sql.Rows, obj unsafe.Pointer) error {
	return rows.Scan(p.Dests(obj)...)
}

type fieldScanner struct {
	col  *meta.Column
	base unsafe.Pointer
	conv func(p unsafe.Pointer, c *meta.Column, src any) error
	null bool // the last value scanned was NULL
}

// Scan implements sql.Scanner.
func (f *fieldScanner) Scan(src any) error {
	f.null = src == nil
	if err := f.conv(layout.At(f.base, f.col.Offset), f.col, src); err != nil {
		return fmt.Errorf("column %s (field %s.%s): %w", f.col.Name, f.col.Table.GoType.Name(), f.col.Field, err)
	}
	return nil
}

// converterFor returns how to store a value of column c, and whether
// that is a basic conversion: one that assigns the whole field for every
// value, NULL included (see ScanPlan.Rewrites).
func converterFor(c *meta.Column) (conv func(unsafe.Pointer, *meta.Column, any) error, basic bool) {
	switch {
	case c.JSON:
		return scanJSON, false
	case c.Kind == meta.KindArray && !c.Scanner && !c.Ptr:
		return scanArray, false
	case c.NullType && c.Elem == timeType:
		return scanNullTime, true
	case c.Scanner || c.NullType:
		return scanReflect, false
	case c.Ptr:
		conv := basicConv(c.Elem)
		if conv == nil || reflect.PointerTo(c.Elem).Implements(scannerType) {
			return scanReflect, false
		}
		alloc := ptrAlloc(c.Elem)
		return func(p unsafe.Pointer, col *meta.Column, src any) error {
			pp := (*unsafe.Pointer)(p)
			if src == nil {
				*pp = nil
				return nil
			}
			v := alloc()
			if err := conv(v, src); err != nil {
				return err
			}
			*pp = v
			return nil
		}, true
	}
	if conv := basicConv(c.GoType); conv != nil {
		// Basic kinds, named types over them (type Status string), and time.Time.
		return func(p unsafe.Pointer, _ *meta.Column, src any) error { return conv(p, src) }, true
	}
	return scanReflect, false
}

var scannerType = reflect.TypeFor[sql.Scanner]()

var timeType = reflect.TypeFor[time.Time]()

// scanReflect hands the field to database/sql's own conversion (Scanners,
// sql.Null types, anything unusual). NULL into a non-nullable field gives
// the zero value.
func scanReflect(p unsafe.Pointer, c *meta.Column, src any) error {
	v := reflect.NewAt(c.GoType, p)
	if src == nil && !c.CanHoldNull() {
		v.Elem().SetZero()
		return nil
	}
	if s, ok := v.Interface().(sql.Scanner); ok {
		return s.Scan(src)
	}
	if c.Ptr && src != nil {
		// *Money where *Money is the Scanner: allocate, scan, point.
		nv := reflect.New(c.Elem)
		if s, ok := nv.Interface().(sql.Scanner); ok {
			if err := s.Scan(src); err != nil {
				return err
			}
			v.Elem().Set(nv)
			return nil
		}
	}
	if src == nil {
		v.Elem().SetZero()
		return nil
	}
	return convertViaReflect(v.Elem(), src)
}

func convertViaReflect(dst reflect.Value, src any) error {
	sv := reflect.ValueOf(src)
	if sv.Type().AssignableTo(dst.Type()) {
		dst.Set(sv)
		return nil
	}
	if sv.Type().ConvertibleTo(dst.Type()) && sv.Kind() != reflect.Slice {
		dst.Set(sv.Convert(dst.Type()))
		return nil
	}
	return fmt.Errorf("cannot store %T into %s", src, dst.Type())
}

// nullTime has the layout of sql.NullTime and sql.Null[time.Time].
type nullTime struct {
	Time  time.Time
	Valid bool
}

// scanNullTime reads a nullable time column into sql.NullTime or
// sql.Null[time.Time], in UTC as convTime reads a time.Time.
func scanNullTime(p unsafe.Pointer, _ *meta.Column, src any) error {
	d := (*nullTime)(p)
	if src == nil {
		*d = nullTime{}
		return nil
	}
	if err := convTime(unsafe.Pointer(&d.Time), src); err != nil {
		return err
	}
	d.Valid = true
	return nil
}

func scanJSON(p unsafe.Pointer, c *meta.Column, src any) error {
	v := reflect.NewAt(c.GoType, p)
	var data []byte
	switch s := src.(type) {
	case nil:
		v.Elem().SetZero()
		return nil
	case []byte:
		data = s
	case string:
		data = []byte(s)
	default:
		return fmt.Errorf("cannot decode JSON from %T", src)
	}
	v.Elem().SetZero()
	return json.Unmarshal(data, v.Interface())
}

// ptrAlloc returns how to allocate the target of a pointer column of
// element type t: new(T) for the common kinds (a named type over a basic
// kind has the same memory), reflect.New otherwise.
func ptrAlloc(t reflect.Type) func() unsafe.Pointer {
	if t == timeType {
		return newOf[time.Time]
	}
	switch t.Kind() {
	case reflect.String:
		return newOf[string]
	case reflect.Int64:
		return newOf[int64]
	case reflect.Int:
		return newOf[int]
	case reflect.Int32:
		return newOf[int32]
	case reflect.Bool:
		return newOf[bool]
	case reflect.Float64:
		return newOf[float64]
	}
	return func() unsafe.Pointer { return reflect.New(t).UnsafePointer() }
}

func newOf[T any]() unsafe.Pointer { return unsafe.Pointer(new(T)) }

// basicConv returns a converter for Go types whose kind is basic (bool,
// ints, floats, string, []byte) or time.Time, writing at p.
func basicConv(t reflect.Type) func(p unsafe.Pointer, src any) error {
	if t == timeType {
		return convTime
	}
	switch t.Kind() {
	case reflect.String:
		return convString
	case reflect.Bool:
		return convBool
	case reflect.Int:
		return convInt[int]
	case reflect.Int8:
		return convInt[int8]
	case reflect.Int16:
		return convInt[int16]
	case reflect.Int32:
		return convInt[int32]
	case reflect.Int64:
		return convInt[int64]
	case reflect.Uint:
		return convInt[uint]
	case reflect.Uint8:
		return convInt[uint8]
	case reflect.Uint16:
		return convInt[uint16]
	case reflect.Uint32:
		return convInt[uint32]
	case reflect.Uint64:
		return convInt[uint64]
	case reflect.Float32:
		return convFloat[float32]
	case reflect.Float64:
		return convFloat[float64]
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return convBytes
		}
	}
	return nil
}

func convString(p unsafe.Pointer, src any) error {
	d := (*string)(p)
	switch s := src.(type) {
	case string:
		*d = s
	case []byte:
		*d = string(s)
	case nil:
		*d = ""
	case int64:
		*d = strconv.FormatInt(s, 10)
	case float64:
		*d = strconv.FormatFloat(s, 'g', -1, 64)
	case bool:
		*d = strconv.FormatBool(s)
	case time.Time:
		*d = s.Format(time.RFC3339Nano)
	default:
		return fmt.Errorf("cannot store %T into string", src)
	}
	return nil
}

func convBytes(p unsafe.Pointer, src any) error {
	d := (*[]byte)(p)
	switch s := src.(type) {
	case []byte:
		// An empty value is an empty, non-nil slice: nil is NULL only.
		*d = append([]byte{}, s...)
	case string:
		*d = append([]byte{}, s...)
	case nil:
		*d = nil
	default:
		return fmt.Errorf("cannot store %T into []byte", src)
	}
	return nil
}

func convBool(p unsafe.Pointer, src any) error {
	d := (*bool)(p)
	switch s := src.(type) {
	case bool:
		*d = s
	case int64:
		*d = s != 0
	case nil:
		*d = false
	case []byte:
		b, err := strconv.ParseBool(string(s))
		if err != nil {
			return err
		}
		*d = b
	case string:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		*d = b
	default:
		return fmt.Errorf("cannot store %T into bool", src)
	}
	return nil
}

type integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

func convInt[T integer](p unsafe.Pointer, src any) error {
	d := (*T)(p)
	var n int64
	switch s := src.(type) {
	case int64:
		n = s
	case uint64: // MySQL's BIGINT UNSIGNED
		if s > math.MaxInt64 {
			var zero T
			if zero-1 < 0 || uint64(T(s)) != s {
				return fmt.Errorf("value %d overflows %T", s, zero)
			}
			*d = T(s)
			return nil
		}
		n = int64(s)
	case nil:
		*d = 0
		return nil
	case float64:
		if s != math.Trunc(s) {
			return fmt.Errorf("cannot store %v into an integer", s)
		}
		n = int64(s)
	case bool:
		if s {
			n = 1
		}
	case []byte:
		v, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return err
		}
		n = v
	case string:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		n = v
	default:
		return fmt.Errorf("cannot store %T into an integer", src)
	}
	var zero T
	if n < 0 && zero-1 > 0 { // a negative value into an unsigned field
		return fmt.Errorf("value %d overflows %T", n, zero)
	}
	*d = T(n)
	if int64(*d) != n {
		return fmt.Errorf("value %d overflows %T", n, *d)
	}
	return nil
}

func convFloat[T ~float32 | ~float64](p unsafe.Pointer, src any) error {
	d := (*T)(p)
	switch s := src.(type) {
	case float64:
		*d = T(s)
	case float32: // MySQL's FLOAT
		*d = T(s)
	case int64:
		*d = T(s)
	case nil:
		*d = 0
	case []byte:
		v, err := strconv.ParseFloat(string(s), 64)
		if err != nil {
			return err
		}
		*d = T(v)
	case string:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		*d = T(v)
	default:
		return fmt.Errorf("cannot store %T into a float", src)
	}
	return nil
}

// timeFormats are the text forms SQLite may hold times in.
var timeFormats = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
	time.RFC3339Nano,
}

func convTime(p unsafe.Pointer, src any) error {
	d := (*time.Time)(p)
	switch s := src.(type) {
	case time.Time:
		// In UTC on both dialects (lib/pq gives the session's zone).
		*d = s.UTC()
		return nil
	case nil:
		*d = time.Time{}
		return nil
	case []byte:
		return parseTime(d, string(s))
	case string:
		return parseTime(d, s)
	case int64:
		*d = time.Unix(s, 0).UTC()
		return nil
	}
	return fmt.Errorf("cannot store %T into time.Time", src)
}

func parseTime(d *time.Time, s string) error {
	for _, f := range timeFormats {
		if t, err := time.ParseInLocation(f, s, time.UTC); err == nil {
			*d = t
			return nil
		}
	}
	return fmt.Errorf("cannot parse %q as a time", s)
}

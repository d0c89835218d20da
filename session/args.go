// Bind values of a multi-row INSERT: read from the objects' fields, with
// strings and 64-bit numbers referenced in place instead of boxed.

package session

import (
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// argValues builds the bind values of one INSERT batch: for each object,
// its columns in the table's order. A reused argValues keeps its slice
// (a flush of several batches allocates it once).
//
// Boxing a string or an int64 above 255 into an interface value
// allocates a copy (16 or 8 bytes): 3,000 allocations for 1,000 objects of
// three text columns, as hand-written code pays too. The value's own
// field is as good a home: an interface value holding a string refers to
// the string's header wherever it is, so args here refer to the objects'
// fields directly (see layout.Ref). That is safe because nothing writes
// those fields while the statement runs (the flush owns the objects; the
// RETURNING values are written after the driver has sent the arguments),
// the driver copies the values out during the call (database/sql
// converts them to driver values, lib/pq and the MySQL and SQLite drivers
// encode them into their buffers), and the one place args outlive the
// call — a failed statement's *arcerr.StatementError, which holds this
// slice — gets boxed copies first (own).
type argValues struct {
	args []any
	cols []argCol
}

// argCol reads one column's bind value from an object.
type argCol struct {
	off uintptr
	typ unsafe.Pointer             // the interface type word for a referenced value, or nil
	get func(p unsafe.Pointer) any // otherwise
}

// reset starts a batch of n objects of codec cd whose INSERT writes the
// columns in mask (and, beyond 64 columns, those in cols).
func (a *argValues) reset(cd *codec, cols []*meta.Column, mask uint64, n int) {
	a.cols = a.cols[:0]
	for i := range cd.cols {
		cc := &cd.cols[i]
		if i < 64 && mask&bit(i) == 0 || i >= 64 && !containsCol(cols, cc.c) {
			continue
		}
		a.cols = append(a.cols, argCol{off: cc.c.Offset, typ: refType(cc.c), get: cc.get})
	}
	if need := n * len(a.cols); cap(a.args) < need {
		a.args = make([]any, 0, need)
	} else {
		clear(a.args[:cap(a.args)]) // drop the previous batch's references
		a.args = a.args[:0]
	}
}

func containsCol(cols []*meta.Column, c *meta.Column) bool {
	for _, x := range cols {
		if x == c {
			return true
		}
	}
	return false
}

// add appends the bind values of the object at obj.
func (a *argValues) add(obj unsafe.Pointer) {
	for i := range a.cols {
		ac := &a.cols[i]
		p := layout.At(obj, ac.off)
		if ac.typ != nil {
			a.args = append(a.args, layout.Ref(ac.typ, p))
		} else {
			a.args = append(a.args, ac.get(p))
		}
	}
}

// own replaces the values that refer to objects' fields with boxed
// copies, so that the args slice (kept by a statement error) no longer
// changes with the objects.
func (a *argValues) own() {
	for i, v := range a.args {
		switch x := v.(type) {
		case string:
			a.args[i] = boxString(x)
		case int64:
			a.args[i] = boxInt64(x)
		case float64:
			a.args[i] = boxFloat64(x)
		}
	}
}

// The box functions allocate a new interface value (not inlined, so the
// compiler cannot reuse the one it was given).
//
//go:noinline
func boxString(s string) any { return s }

//go:noinline
func boxInt64(n int64) any { return n }

//go:noinline
func boxFloat64(f float64) any { return f }

var (
	stringWord  = layout.TypeWord("")
	int64Word   = layout.TypeWord(int64(0))
	float64Word = layout.TypeWord(float64(0))
)

// refType is the type word under which a column's bind value can be
// referenced in place: the column's getter (getterFor) would return the
// field's own value as a string, int64 or float64, unchanged. nil for
// every other column (pointers, sql.Null*, Valuers, named types, time,
// JSON, arrays: their getters convert).
func refType(c *meta.Column) unsafe.Pointer {
	if c.Ptr || c.NullType || c.Valuer || c.JSON || c.Kind == meta.KindArray || c.GoType.PkgPath() != "" {
		return nil
	}
	switch c.GoType.Kind() {
	case reflect.String:
		return stringWord
	case reflect.Int64:
		return int64Word
	case reflect.Int:
		if unsafe.Sizeof(int(0)) == 8 {
			return int64Word // getterFor returns int64(v): the same bits
		}
	case reflect.Float64:
		return float64Word
	}
	return nil
}

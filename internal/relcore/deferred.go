package relcore

import (
	"database/sql/driver"
	"fmt"
	"unsafe"

	"github.com/arcorm/arc/meta"
)

// Deferred is a bound value read from an object's column when the
// statement runs (it is a driver.Valuer), not when the predicate is
// built: the query's autoflush, which comes after, may change it. This is
// how Contains(&P.Replies, r) sees r's new parent when r was moved and
// not flushed yet (SQLAlchemy binds such values with a callable too).
type Deferred struct {
	Obj unsafe.Pointer
	Col *meta.Column
}

// Value reads the column (NULL when it is).
func (v Deferred) Value() (driver.Value, error) {
	x := KeyArgs(v.Obj, []*meta.Column{v.Col})[0]
	if x == nil {
		return nil, nil
	}
	return driver.DefaultParameterConverter.ConvertValue(x)
}

// String shows the current value (statement logs).
func (v Deferred) String() string {
	x, err := v.Value()
	if err != nil {
		return "<" + err.Error() + ">"
	}
	if x == nil {
		return "NULL"
	}
	return fmt.Sprint(x)
}

package relations

import (
	"database/sql/driver"
	"fmt"
	"unsafe"

	"github.com/arcorm/arc/meta"
)

// objectValue is a bound value read from an object's column when the
// statement runs (it is a driver.Valuer), not when the predicate is
// built: the query's autoflush, which comes after, may change it. This is
// how Contains(&P.Replies, r) sees r's new parent when r was moved and
// not flushed yet (SQLAlchemy binds such values with a callable too).
type objectValue struct {
	obj unsafe.Pointer
	c   *meta.Column
}

// Value reads the column (NULL when it is).
func (v objectValue) Value() (driver.Value, error) {
	x := keyArgs(v.obj, []*meta.Column{v.c})[0]
	if x == nil {
		return nil, nil
	}
	return driver.DefaultParameterConverter.ConvertValue(x)
}

// String shows the current value (statement logs).
func (v objectValue) String() string {
	x, err := v.Value()
	if err != nil {
		return "<" + err.Error() + ">"
	}
	if x == nil {
		return "NULL"
	}
	return fmt.Sprint(x)
}

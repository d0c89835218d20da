package session

import (
	"fmt"

	"github.com/arcorm/arc/arcerr"
)

// errNilEngine is the error of every use of a session made with a nil
// engine (New(nil)).
var errNilEngine = fmt.Errorf("%w: the session has no engine (session.New(nil))", arcerr.ErrInvalidRequest)

// nilQuery is the error of a nil *Query given where a query is expected.
func nilQuery(where string) error {
	return fmt.Errorf("%w: nil query given to %s", arcerr.ErrInvalidRequest, where)
}

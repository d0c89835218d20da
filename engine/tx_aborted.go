package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/arcorm/arc/arcerr"
)

// noteFailure takes the wrapped error of a statement of the transaction.
// It remembers the first statement that failed; when the database then
// refuses every later statement because the transaction is aborted
// (PostgreSQL's 25P02, which the dialect classifies as ErrNeedsRollback),
// the error says so and names that first statement, instead of only
// "current transaction is aborted".
func (t *Tx) noteFailure(err error) error {
	if errors.Is(err, arcerr.ErrNeedsRollback) {
		if t.failed != nil {
			return &AbortedError{Err: err, First: t.failed}
		}
		return err
	}
	if t.failed == nil {
		t.failed = err
	}
	return err
}

// AbortedError is the error of a statement refused because an earlier
// statement of the transaction failed (PostgreSQL: "current transaction is
// aborted", 25P02). errors.Is matches arcerr.ErrNeedsRollback; First is the
// error of the statement that failed first. Roll back (the session's
// Rollback, or a savepoint's) before using the transaction again.
type AbortedError struct {
	Err   error // this statement's error
	First error // the first failed statement's error
}

// Error names the refused statement and the one that failed first.
func (e *AbortedError) Error() string {
	first := e.First.Error()
	var se *arcerr.StatementError
	if errors.As(e.First, &se) {
		first = fmt.Sprintf("%s (%v)", se.SQL, se.Err)
	}
	return fmt.Sprintf("%v\n  the transaction was aborted by an earlier failed statement, which must be rolled back first: %s",
		strings.TrimSpace(e.Err.Error()), first)
}

// Unwrap returns this statement's error (which wraps ErrNeedsRollback).
func (e *AbortedError) Unwrap() error { return e.Err }

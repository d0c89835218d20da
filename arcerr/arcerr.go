// Package arcerr owns Arc's error vocabulary: the sentinel errors callers
// test with errors.Is, and the typed errors that carry the statement or the
// model at fault. Every other Arc package returns these; the root package
// arc re-exports them. It imports nothing but the standard library.
package arcerr

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sentinel errors. Each is returned wrapped, with a message that names the
// model, field or statement at fault; test for them with errors.Is.
var (
	// ErrNotFound is returned when a query that needs a row finds none
	// (First, One, Find). It wraps sql.ErrNoRows' meaning, not its value.
	ErrNotFound = errors.New("arc: not found")
	// ErrMultipleRows is returned by One and OneOrNone when more than one row matches.
	ErrMultipleRows = errors.New("arc: multiple rows found when exactly one was required")
	// ErrStaleData is returned when an UPDATE or DELETE of a tracked object
	// matches no row (the row is gone, or its version column moved on).
	ErrStaleData = errors.New("arc: stale data")
	// ErrDetached is returned when an operation needs a session and the
	// object is not in one.
	ErrDetached = errors.New("arc: object is detached")
	// ErrObjectDeleted is returned when an expired object is refreshed and its row is gone.
	ErrObjectDeleted = errors.New("arc: object's row was deleted")
	// ErrLazyLoad is returned by the N+1 guard in raise mode and by the raise loader.
	ErrLazyLoad = errors.New("arc: lazy load refused")
	// ErrIntegrity wraps a driver error for a violated constraint (unique,
	// not-null, foreign key, check).
	ErrIntegrity = errors.New("arc: integrity constraint violated")
	// ErrInvalidModel is returned when a Go type cannot be mapped.
	ErrInvalidModel = errors.New("arc: invalid model")
	// ErrInvalidRequest is returned for API misuse (deleting a transient
	// object, a key of the wrong arity, a closed session, ...).
	ErrInvalidRequest = errors.New("arc: invalid request")
	// ErrNotAColumn is returned when a field pointer used in an expression
	// does not point into a column of a table in the query's scope.
	ErrNotAColumn = errors.New("arc: not a column in scope")
	// ErrNeedsRollback is returned by a session whose transaction failed
	// and must be rolled back before it is used again.
	ErrNeedsRollback = errors.New("arc: session needs rollback after a failed flush")
	// ErrUnknownDialect is returned when a URL or name names no registered dialect.
	ErrUnknownDialect = errors.New("arc: unknown dialect")
	// ErrIteratorOpen is a usage error: a session was asked to run SQL
	// (a query, a flush, a lazy load) while an iterator (Iter) still holds
	// its connection. Finish or close the iterator first. Not retryable.
	ErrIteratorOpen = errors.New("arc: session connection busy with an open iterator")
	// ErrCannotStream is a usage error: Iter or Stream was given a loading
	// option (SelectIn, Joined, ContainsEager, or a lazy:"selectin" /
	// lazy:"joined" tag default) that needs SQL of its own while the
	// iterator holds the session's connection. Load with All, or override
	// the relationship with Lazy, NoLoad or Raise. Not retryable.
	ErrCannotStream = errors.New("arc: loading option cannot stream")
	// ErrBusy is the old name of ErrIteratorOpen (the same value).
	//
	// Deprecated: it never meant "the database is busy". Test for
	// ErrIteratorOpen; database contention is ErrDatabaseBusy, and
	// IsRetryable says whether to retry.
	ErrBusy = ErrIteratorOpen
	// ErrDatabaseBusy wraps a driver error for lock contention that
	// outlasted the wait: SQLite's SQLITE_BUSY and SQLITE_LOCKED after the
	// busy timeout, PostgreSQL's 55P03 lock_not_available (NOWAIT,
	// lock_timeout). Retryable: run the transaction again.
	ErrDatabaseBusy = errors.New("arc: database busy (lock not available)")
	// ErrConflict wraps a driver error for a transaction that lost a
	// conflict with a concurrent one and was rolled back by the database:
	// PostgreSQL's 40001 serialization_failure and 40P01
	// deadlock_detected, SQLite's SQLITE_BUSY_SNAPSHOT (a read
	// transaction that could not become a write transaction). Retryable.
	ErrConflict = errors.New("arc: transaction conflict (serialization failure or deadlock)")
	// ErrConnectionLost wraps a driver error for a connection that died
	// (the server closed it, the network failed). It is retryable only
	// when the transaction had run no statement successfully before, which
	// the engine records with StatementError.Retryable.
	ErrConnectionLost = errors.New("arc: database connection lost")
	// ErrInvalidText wraps a driver error for a string value the database
	// refused as text: PostgreSQL stores neither a NUL byte (\x00) nor
	// invalid UTF-8 in text and varchar (22021, 22P05); MySQL and MariaDB
	// refuse invalid UTF-8 in a utf8mb4 column (1366, 1300). A flush names
	// the model and field that held the value. Not retryable: the value
	// has to change (binary data belongs in a []byte field).
	ErrInvalidText = errors.New("arc: text the database cannot store")
)

// TextProblem says what in s a database may refuse as text
// (ErrInvalidText): a NUL byte (PostgreSQL) or invalid UTF-8 (PostgreSQL,
// MySQL). It returns "" for text every dialect stores.
func TextProblem(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL byte (\\x00), which PostgreSQL text cannot store (keep binary data in a []byte field)"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	return ""
}

// IsRetryable reports whether err means that running the same
// transaction again may succeed: a conflict (ErrConflict), contention
// (ErrDatabaseBusy), or a connection that was lost before any statement
// of the transaction succeeded. A connection lost later, in particular
// during COMMIT, is not retryable: the transaction may have committed.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrDatabaseBusy) {
		return true
	}
	var se *StatementError
	return errors.As(err, &se) && se.Retryable
}

// StatementError is a database error together with the statement and the
// arguments that caused it. errors.Is sees both the kind (for example
// ErrIntegrity) and the driver's own error.
type StatementError struct {
	SQL  string
	Args []any
	Kind error // a sentinel such as ErrIntegrity, or nil
	Err  error // the driver's error
	// Retryable is set by the engine for a connection lost before any
	// statement of its transaction succeeded (see IsRetryable).
	Retryable bool
}

// Error renders the kind, the driver's message, the statement and its
// arguments on separate lines.
func (e *StatementError) Error() string {
	var b strings.Builder
	b.WriteString("arc: ")
	if e.Kind != nil {
		b.WriteString(strings.TrimPrefix(e.Kind.Error(), "arc: "))
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	b.WriteString("\n  statement: ")
	b.WriteString(e.SQL)
	if len(e.Args) > 0 {
		fmt.Fprintf(&b, "\n  args: %s", FormatArgs(e.Args))
	}
	return b.String()
}

// Unwrap returns the kind and the driver error, so errors.Is and errors.As
// reach both.
func (e *StatementError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// FormatArgs renders bind arguments for logs and error messages; long
// values are shortened.
func FormatArgs(args []any) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		var s string
		switch v := a.(type) {
		case string:
			s = fmt.Sprintf("%q", v)
		case []byte:
			s = fmt.Sprintf("<%d bytes>", len(v))
		case nil:
			s = "NULL"
		default:
			s = fmt.Sprintf("%v", v)
		}
		if len(s) > 200 {
			cut := 200
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut-- // never split a multi-byte character
			}
			s = s[:cut] + "…"
		}
		b.WriteString(s)
	}
	b.WriteByte(')')
	return b.String()
}

// ModelError names the model (and field, when there is one) a problem was
// found in. It wraps ErrInvalidModel unless Kind says otherwise.
type ModelError struct {
	Model string
	Field string
	Msg   string
	Kind  error
}

// Error names the model, and the field when there is one.
func (e *ModelError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("arc: model %s, field %s: %s", e.Model, e.Field, e.Msg)
	}
	return fmt.Sprintf("arc: model %s: %s", e.Model, e.Msg)
}

// Unwrap returns Kind, or ErrInvalidModel when Kind is nil.
func (e *ModelError) Unwrap() error {
	if e.Kind != nil {
		return e.Kind
	}
	return ErrInvalidModel
}

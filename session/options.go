// Session options (New's functional options).

package session

import (
	"database/sql"

	"github.com/sirupsen/logrus"
)

type options struct {
	autoflush      bool
	expireOnCommit bool
	guard          LazyGuard
	log            *logrus.Logger
	readOnly       bool
	primary        bool
	oneShot        bool
	isolation      sql.IsolationLevel
	// selectInChunk, when positive, caps the IN list of a SelectIn query
	// below the dialect's limit (a test option: see WithSelectInChunk in
	// rel_export_test.go).
	selectInChunk int
}

// LazyGuard is the N+1 guard's mode.
type LazyGuard uint8

// Guard modes.
const (
	GuardOff   LazyGuard = iota
	GuardWarn            // log a warning when a lazy load hits an object from a multi-row query
	GuardRaise           // fail such a lazy load with arcerr.ErrLazyLoad
)

// Option configures a Session.
type Option func(*options)

// WithAutoflush switches autoflush (default on): flush pending changes
// before queries, Get misses and lazy loads.
func WithAutoflush(on bool) Option { return func(o *options) { o.autoflush = on } }

// WithExpireOnCommit switches expiry of loaded objects at commit (default
// on, as SQLAlchemy's expire_on_commit).
func WithExpireOnCommit(on bool) Option { return func(o *options) { o.expireOnCommit = on } }

// WithLazyGuard sets the N+1 guard mode.
func WithLazyGuard(g LazyGuard) Option { return func(o *options) { o.guard = g } }

// ReadOnly makes a read-only session: its reads never begin a
// transaction (no BEGIN or ROLLBACK is sent), they go to a read replica
// when the engine has one, and there is no autoflush. Flushing changes,
// committing changes, bulk UPDATE or DELETE, BeginNested and locking
// reads (ForUpdate) fail with arcerr.ErrInvalidRequest.
func ReadOnly() Option { return func(o *options) { o.readOnly = true } }

// OneShot marks a session that serves one call and is committed (or
// rolled back) and closed right after it: what record's package-level
// functions (record.Where(...).Update, Find, Save …) create when the
// context carries no session. A bulk Update or Delete that such a session
// runs before it holds any object, with no transaction open, is sent alone
// in autocommit and does not read back the keys it touched: one statement
// is atomic by itself, and there is no tracked object to keep in step, so
// BEGIN, COMMIT and the key list would cost two round trips and a result
// set for nothing. In any other session a bulk statement runs in the
// session's transaction, so that Rollback undoes it.
func OneShot() Option { return func(o *options) { o.oneShot = true } }

// WithPrimary makes every read of the session go to the primary, never
// to a read replica (for a request that must not read stale data).
func WithPrimary() Option { return func(o *options) { o.primary = true } }

// WithIsolation sets the isolation level of the session's transactions
// (sql.LevelSerializable, say). A session with a level begins its
// transaction at its first statement, read or write, so that the level
// covers its reads; without one, reads before the first write run
// outside any transaction (see docs/session.md). On SQLite, whose
// transactions are always serializable, the transaction begins with
// BEGIN IMMEDIATE.
func WithIsolation(level sql.IsolationLevel) Option {
	return func(o *options) { o.isolation = level }
}

// Package dialect owns what differs between databases: identifier quoting,
// bind placeholders, SQL type names, DDL, capability flags (RETURNING,
// ILIKE, tuple IN, savepoints, ...), bind-parameter limits, error
// classification and connection URLs. A Dialect is an interface plus an
// embeddable Base; SQL compilers ask a dialect for a capability, never for
// its name. Dialects register themselves by name, like database/sql
// drivers: import dialect/sqlite or dialect/postgres (the root package arc
// imports both).
//
// dialect imports meta and arcerr; it never imports engine, session or
// anything above them.
package dialect

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/meta"
)

// Feature is a capability flag.
type Feature uint32

// Capabilities a dialect may have.
const (
	// ReturningUpdate: UPDATE ... RETURNING. Returning (below) is the
	// three RETURNING flags together; ask for the statement you write.
	ReturningUpdate Feature = 1 << iota
	// ILike: a native ILIKE operator (otherwise lower(x) LIKE lower(y)).
	ILike
	// TupleInValues: tuple IN is written (a, b) IN (VALUES (?, ?), ...)
	// rather than (a, b) IN ((?, ?), ...).
	TupleInValues
	// Savepoints: SAVEPOINT / ROLLBACK TO / RELEASE.
	Savepoints
	// Sequences: CREATE SEQUENCE and nextval().
	Sequences
	// TransactionalDDL: DDL can be rolled back.
	TransactionalDDL
	// MatchTSQuery: MATCH renders as @@ to_tsquery().
	MatchTSQuery
	// LimitAll: OFFSET without LIMIT renders LIMIT ALL (else LIMIT -1).
	LimitAll
	// OffsetWithoutLimit: OFFSET may appear without LIMIT.
	OffsetWithoutLimit
	// AlterColumn: ALTER TABLE ... ALTER COLUMN is supported (SQLite needs a table rebuild).
	AlterColumn
	// ForUpdate: SELECT ... FOR UPDATE [NOWAIT | SKIP LOCKED].
	ForUpdate
	// ConnTx: transactions run on a connection taken from the pool with
	// the driver's own BEGIN, not through database/sql's Tx, which starts
	// a goroutine per transaction and per query to watch the context
	// (measured at up to a quarter of a 100-row read on SQLite). Right for
	// a driver that keeps its statements compiled per connection, so that
	// statements run unprepared on the connection are not parsed again.
	// An engine whose dialect opens its databases through a Connector
	// (PostgreSQL) runs its transactions this way too, without the flag.
	ConnTx
	// Arrays: native array column types (TEXT[], BIGINT[], ...) for
	// slice fields (meta.KindArray).
	Arrays
	// ReturningInsert: INSERT ... RETURNING (MariaDB 10.5+ has it, MySQL
	// does not).
	ReturningInsert
	// ReturningDelete: DELETE ... RETURNING (MariaDB 10.0+, not MySQL).
	ReturningDelete
	// SkipLocked: SELECT ... FOR UPDATE SKIP LOCKED (MariaDB 10.6+,
	// MySQL 8.0+; PostgreSQL). Only meaningful with ForUpdate.
	SkipLocked
	// LimitInSubquery: a subquery under IN / ANY / ALL may carry LIMIT
	// (MySQL and MariaDB refuse it; the compiler then wraps the subquery
	// in a derived table).
	LimitInSubquery
	// NullsOrder: ORDER BY ... NULLS FIRST / NULLS LAST (MySQL and
	// MariaDB lack it; the compiler then orders by "x IS NULL" first).
	NullsOrder
	// DefaultValues: INSERT INTO t DEFAULT VALUES (otherwise
	// INSERT INTO t () VALUES (), MySQL's form).
	DefaultValues
	// OnDuplicateKey: upserts are INSERT ... ON DUPLICATE KEY UPDATE
	// (MySQL, MariaDB), which meets a conflict on any unique key of the
	// row, instead of INSERT ... ON CONFLICT (cols).
	OnDuplicateKey
	// DeferrableConstraints: foreign keys may be DEFERRABLE INITIALLY
	// DEFERRED, checked at COMMIT (MySQL checks them per statement).
	DeferrableConstraints
	// ForShare: SELECT ... FOR SHARE (PostgreSQL, MySQL 8); with ForUpdate
	// but without it a SHARE lock is written LOCK IN SHARE MODE (MariaDB).
	ForShare
	// ValuesOrder: a multi-row INSERT ... VALUES inserts its rows, and
	// draws their AUTO_INCREMENT keys, in the order written (MySQL and
	// MariaDB do; PostgreSQL and SQLite promise no order, so the unit of
	// work writes INSERT ... SELECT ... ORDER BY there).
	ValuesOrder
	// TypedValues: bind parameters inside a VALUES list that is not the
	// direct source of an INSERT need a cast to their column's type
	// (PostgreSQL types an untyped parameter there as text).
	TypedValues
	// ValuesTable: a VALUES list can be selected from as a derived table,
	// SELECT ... FROM (VALUES (...), ...) AS t, its columns named as
	// ValuesColumn says. The unit of work inserts several rows whose keys
	// the database draws in this form (INSERT ... SELECT ... ORDER BY),
	// which fixes the order of the keys; without it such rows are
	// inserted one per statement.
	ValuesTable
	// TxAbortOnError: a statement that fails inside a transaction aborts
	// the whole transaction: every later statement fails until ROLLBACK
	// (or ROLLBACK TO SAVEPOINT), and COMMIT rolls back (PostgreSQL).
	// Without it only the failed statement is undone and the transaction
	// goes on (SQLite, MySQL, MariaDB).
	TxAbortOnError
	// SerializableSnapshot: SERIALIZABLE is snapshot isolation with
	// conflict detection (PostgreSQL's SSI): transactions read without
	// waiting for each other, and of two that conflict one fails with a
	// retryable serialization failure. Without it SERIALIZABLE takes
	// locks, and a conflicting transaction waits (SQLite's database lock,
	// MySQL's shared read locks) until the lock is free or a timeout or
	// deadlock ends it.
	SerializableSnapshot
	// NullsDistinctIndexes etc. may follow.
)

// DuplicateKeyError is implemented by a dialect that can tell a
// duplicate-key violation from the other integrity errors, for the
// statements it writes without an ON CONFLICT DO NOTHING (MySQL's
// ON DUPLICATE KEY UPDATE cannot report whether a row was inserted when
// the connection counts found rows).
type DuplicateKeyError interface {
	IsDuplicateKey(err error) bool
}

// SequenceResetter is implemented by a dialect whose generated keys come
// from sequences that rows inserted with explicit keys do not move
// (PostgreSQL): ResetSequence returns the statement, and its bind
// arguments, that moves the sequence behind column c of table t (the
// column's own, seq:, or the one behind its serial or identity default)
// past the largest value in the table. A dialect whose key counter
// follows the largest key by itself does not implement it: SQLite's
// rowid (and sqlite_sequence for AUTOINCREMENT tables) and MySQL's
// AUTO_INCREMENT are raised by an insert with an explicit key. Fixtures
// use it after loading rows with explicit keys.
type SequenceResetter interface {
	ResetSequence(t *meta.Table, c *meta.Column) (query string, args []any)
}

// SchemaLocker is implemented by a dialect whose DDL runs in a
// transaction and where two transactions creating the same table at once
// make one of them fail even with IF NOT EXISTS (PostgreSQL: a duplicate
// key in pg_type). SchemaLockSQL is a statement that, run first in the
// transaction, waits for any other such transaction on the same schema
// and holds the lock until commit or rollback, so create_all from several
// processes at once creates each table once and all of them succeed.
type SchemaLocker interface{ SchemaLockSQL() string }

// MaxLimiter is implemented by a dialect that has neither OFFSET without
// LIMIT nor LIMIT ALL / LIMIT -1: MaxLimit is the LIMIT written for an
// OFFSET alone (MySQL's 18446744073709551615).
type MaxLimiter interface{ MaxLimit() string }

// Returning is INSERT, UPDATE and DELETE ... RETURNING together.
const Returning = ReturningInsert | ReturningUpdate | ReturningDelete

// Dialect is what the rest of Arc needs to know about one database.
type Dialect interface {
	// Name is the registered name: "sqlite", "postgres".
	Name() string
	// DriverName is the database/sql driver this dialect uses.
	DriverName() string
	// Has reports whether the dialect has every capability in f.
	Has(f Feature) bool
	// MaxParams is the most bind parameters one statement may carry.
	MaxParams() int
	// AppendIdent appends the identifier, quoted when it needs to be.
	AppendIdent(b []byte, ident string) []byte
	// AppendPlaceholder appends the n-th (1-based) bind placeholder.
	AppendPlaceholder(b []byte, n int) []byte
	// ColumnType is the SQL type of a column in DDL.
	ColumnType(c *meta.Column) string
	// AutoIncrement returns the clause that follows the type of an
	// autoincrement primary key column ("" when the type says it all),
	// and the type to use instead of ColumnType ("" to keep it).
	AutoIncrement(c *meta.Column) (typ, clause string)
	// ClassifyError returns the arcerr sentinel for a driver error
	// (arcerr.ErrIntegrity for constraint violations) or nil.
	ClassifyError(err error) error
	// DSN turns an Arc URL into the driver's data source name and the
	// pool settings it needs.
	DSN(u *url.URL) (dsn string, opts ConnOptions, err error)
	// TableExistsSQL is a query with one placeholder (the table name) that
	// returns a row when the table exists.
	TableExistsSQL() string
	// ValuesColumn is the name the database gives the i-th (0-based)
	// column of a VALUES list selected from as a table (ValuesTable):
	// column1, column2, ... in SQLite and PostgreSQL (Base's).
	ValuesColumn(i int) string
	// TimePrecision is the precision of the database's timestamp type:
	// the session cuts the times it writes itself (CreatedAt, UpdatedAt,
	// a soft delete's time) to it, so that what is in memory equals what
	// a reload gives. Base's is a microsecond.
	TimePrecision() time.Duration
}

// Connector is implemented by a dialect that opens the databases of
// engine.Open through a driver.Connector of its own. PostgreSQL's keeps
// each connection's statements prepared (internal/stmtcache), which lets
// its transactions run on a pooled connection as SQLite's do (see
// ConnTx): stmtCache bounds the statements kept per connection, 0 turns
// the cache off.
type Connector interface {
	Connector(dsn string, stmtCache int) (driver.Connector, error)
}

// ArrayRows is implemented by a dialect that can take the rows of a
// multi-row INSERT as one array parameter per column (PostgreSQL:
// INSERT … SELECT … FROM unnest($1::T1[], $2::T2[], …) WITH ORDINALITY),
// so that a statement's text and its parameter count do not grow with the
// rows. AppendArrayElem appends v, a driver value (nil, int64, float64,
// bool, string, []byte, time.Time), as one element of an array literal,
// written as the driver would send v as a text parameter of the column's
// type ([]byte as bytea); false when it cannot (the caller then sends
// the rows as VALUES).
//
// ArrayOf names the array type of a column whose type is elem (without
// length or precision): "" when the column's values cannot travel as the
// elements of an array literal (elem is itself an array type, which
// unnest would flatten; a type whose array literal separates elements
// with something else than a comma, as PostgreSQL's box does).
type ArrayRows interface {
	AppendArrayElem(b []byte, v any, bytea bool) ([]byte, bool)
	ArrayOf(elem string) string
}

// StatementCacheProbe is implemented by a ConnTx dialect that can tell
// whether a driver connection keeps the statements run on it unprepared
// compiled (SQLite: go-sqlite3's _stmt_cache_size, which engine.Open
// sets). engine.New wraps a pool the caller opened; it asks at its first
// transaction and warns when the connection has no such cache, since
// every statement of every transaction is then compiled again. known is
// false when the connection is not the driver's, or the driver does not
// say.
type StatementCacheProbe interface {
	ConnCachesStatements(driverConn any) (caches, known bool)
}

// WriteBeginner is implemented by a dialect whose write transactions
// begin with a statement of their own instead of the driver's BEGIN:
// SQLite's BEGIN IMMEDIATE, which takes the write lock up front. The
// engine runs it for transactions begun with engine.TxOptions.Write on
// a connection-based transaction (ConnTx), and COMMIT / ROLLBACK to end
// them.
type WriteBeginner interface {
	BeginWriteSQL() string
}

// Initializer is implemented by a dialect whose capabilities depend on
// the server it talks to (SQLAlchemy's Dialect.initialize, bun's
// Dialect.Init): MySQL and MariaDB differ in RETURNING and SKIP LOCKED by
// version. engine.Open and engine.New call Initialize once with the new
// pool and use the dialect it returns for that engine; the registered
// dialect (the one dialect.Lookup returns, used where no server is at
// hand) keeps its conservative flags. An error fails Open.
type Initializer interface {
	Initialize(ctx context.Context, db *sql.DB) (Dialect, error)
}

// ConnOptions are pool settings a dialect requires for a URL.
type ConnOptions struct {
	// MaxOpenConns > 0 caps the pool (SQLite :memory: needs exactly one
	// connection, because each connection is a new empty database).
	MaxOpenConns int
	// ConnMaxLifetime and ConnMaxIdleTime, when > 0, are the defaults
	// engine.Open gives a pool of this dialect (a server's connections
	// are renewed now and then, so that a failover or a load balancer's
	// cut does not leave them stale forever).
	ConnMaxLifetime, ConnMaxIdleTime time.Duration
}

// QuoteIdent returns ident quoted as d would write it.
func QuoteIdent(d Dialect, ident string) string { return string(d.AppendIdent(nil, ident)) }

var (
	regMu    sync.RWMutex
	registry = map[string]Dialect{}
)

// Register makes a dialect available under its name and aliases. It panics
// when a name is taken twice, like database/sql.Register.
func Register(d Dialect, aliases ...string) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, n := range append([]string{d.Name()}, aliases...) {
		if _, dup := registry[n]; dup {
			panic("arc: dialect.Register called twice for " + n)
		}
		registry[n] = d
	}
}

// Lookup returns the dialect registered under name.
func Lookup(name string) (Dialect, error) {
	regMu.RLock()
	d, ok := registry[name]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (registered: %s; forgotten import of github.com/arcorm/arc/dialect/%s?)",
			arcerr.ErrUnknownDialect, name, strings.Join(Names(), ", "), name)
	}
	return d, nil
}

// Names lists the registered dialect names, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

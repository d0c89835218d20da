// Package sqlite is Arc's SQLite dialect, on mattn/go-sqlite3 (cgo). Import
// it for its side effect of registering the "sqlite" dialect:
//
//	import _ "github.com/arcorm/arc/dialect/sqlite"
//
// URLs: sqlite:///relative/path.db, sqlite:////absolute/path.db,
// sqlite:///:memory: and sqlite::memory:. Every connection gets
// foreign_keys=ON, WAL journaling (file databases), a 5 s busy timeout and
// a cache of 128 compiled statements (_stmt_cache_size). The engine
// begins write transactions with BEGIN IMMEDIATE (BeginWriteSQL), so a
// session that reads and then writes never fails to upgrade its lock;
// reads run outside any write lock (see docs/engine.md).
// Query parameters of the URL are passed to the driver and override these.
package sqlite

import (
	"errors"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/meta"
)

// MaxParams is SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32.
const MaxParams = 32766

// Dialect is the SQLite dialect.
type Dialect struct{ dialect.Base }

// New returns the SQLite dialect. Not TxAbortOnError (a failed statement
// undoes itself only) nor SerializableSnapshot (a writer waits for the
// database's write lock, up to the busy timeout).
func New() *Dialect {
	return &Dialect{dialect.Base{
		Features: dialect.Returning | dialect.TupleInValues | dialect.Savepoints | dialect.TransactionalDDL | dialect.ConnTx |
			dialect.LimitInSubquery | dialect.NullsOrder | dialect.DefaultValues | dialect.DeferrableConstraints | dialect.ValuesTable,
		Params:   MaxParams,
		Reserved: dialect.ReservedWords,
		// SQLite keeps a time as text with any precision; the session
		// cuts the times it writes to microseconds as on PostgreSQL, so
		// that an application sees the same values on both.
		TimeResolution: time.Microsecond,
	}}
}

func init() { dialect.Register(New(), "sqlite3") }

// Name is "sqlite".
func (*Dialect) Name() string { return "sqlite" }

// DriverName is "arc_sqlite3": mattn/go-sqlite3 with gen_random_uuid()
// and now() registered on every connection (see funcs.go).
func (*Dialect) DriverName() string { return driverName }

// AppendPlaceholder writes '?'.
func (*Dialect) AppendPlaceholder(b []byte, n int) []byte { return dialect.AppendQuestion(b, n) }

// ColumnType maps a column kind to SQLite's type names (which also decide
// how mattn/go-sqlite3 converts values: DATETIME to time.Time, BOOLEAN to bool).
func (*Dialect) ColumnType(c *meta.Column) string {
	if c.SQLType != "" {
		return c.SQLType
	}
	switch c.Kind {
	case meta.KindBool:
		return "BOOLEAN"
	case meta.KindSmallInt, meta.KindInt, meta.KindBigInt:
		return "INTEGER"
	case meta.KindFloat, meta.KindDouble:
		return "REAL"
	case meta.KindDecimal:
		return numeric(c)
	case meta.KindString:
		if c.Size > 0 {
			return "VARCHAR(" + strconv.Itoa(c.Size) + ")"
		}
		return "VARCHAR"
	case meta.KindText, meta.KindJSON, meta.KindUUID:
		return "TEXT" // a UUID as its 36-character text form
	case meta.KindTime:
		return "DATETIME"
	case meta.KindBytes:
		return "BLOB"
	}
	return "TEXT"
}

func numeric(c *meta.Column) string {
	return "NUMERIC(" + strconv.Itoa(c.Precision) + ", " + strconv.Itoa(c.Scale) + ")"
}

// AutoIncrement: an INTEGER PRIMARY KEY is SQLite's rowid alias; nothing else is needed.
func (*Dialect) AutoIncrement(*meta.Column) (string, string) { return "INTEGER", "" }

// ClassifyError maps SQLITE_CONSTRAINT to arcerr.ErrIntegrity,
// SQLITE_BUSY_SNAPSHOT (a read transaction that cannot become a write
// transaction because another connection wrote since it began) to
// arcerr.ErrConflict, and the other SQLITE_BUSY and SQLITE_LOCKED codes
// (the busy timeout ran out; a shared-cache table lock) to
// arcerr.ErrDatabaseBusy.
func (*Dialect) ClassifyError(err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch {
	case se.Code == sqlite3.ErrConstraint:
		return arcerr.ErrIntegrity
	case se.ExtendedCode == sqlite3.ErrBusySnapshot:
		return arcerr.ErrConflict
	case se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked:
		return arcerr.ErrDatabaseBusy
	}
	return nil
}

// BeginWriteSQL is BEGIN IMMEDIATE: a write transaction takes SQLite's
// write lock when it begins, waiting for it under the busy timeout, so it
// never fails later when a DEFERRED transaction's read lock would have
// had to be upgraded (SQLITE_BUSY, which the busy handler cannot wait
// out in WAL mode once another writer has committed).
func (*Dialect) BeginWriteSQL() string { return "BEGIN IMMEDIATE" }

// TableExistsSQL asks sqlite_master.
func (*Dialect) TableExistsSQL() string {
	return "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
}

// DSN converts sqlite URLs to go-sqlite3 DSNs.
func (*Dialect) DSN(u *url.URL) (string, dialect.ConnOptions, error) {
	var opts dialect.ConnOptions
	// url.Parse("sqlite:///x.db") gives Path "/x.db"; "sqlite::memory:" gives Opaque ":memory:".
	path := u.Opaque
	if path == "" {
		path = strings.TrimPrefix(u.Path, "/")
		if u.Host != "" {
			path = u.Host + "/" + path
		}
	}
	q := u.Query()
	set := func(k, v string) {
		if q.Get(k) == "" {
			q.Set(k, v)
		}
	}
	set("_foreign_keys", "1")
	set("_busy_timeout", "5000")
	// The driver keeps up to this many compiled statements per connection
	// for the statements run on it unprepared, as transactions do
	// (dialect.ConnTx): a statement compiled once is ready for the next.
	set("_stmt_cache_size", "128")
	memory := path == "" || path == ":memory:" || q.Get("mode") == "memory"
	if memory {
		// Every connection to :memory: is a new database: keep one.
		opts.MaxOpenConns = 1
		path = ":memory:"
	} else {
		if q.Get("cache") == "shared" {
			// Shared-cache connections lock tables, not the file, and a
			// table lock fails at once with SQLITE_LOCKED: the busy
			// timeout does not apply. One connection serializes them
			// (WithMaxOpenConns overrides).
			opts.MaxOpenConns = 1
		}
		set("_journal_mode", "WAL")
		set("_synchronous", "NORMAL")
	}
	return "file:" + uriPath.Replace(path) + "?" + q.Encode(), opts, nil
}

// uriPath escapes what would end or change the path part of a SQLite
// file: URI ('?' starts the parameters, '#' a fragment, '%' an escape).
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

var _ dialect.Dialect = (*Dialect)(nil)

// ConnCachesStatements reports whether a go-sqlite3 connection keeps the
// statements run on it compiled (its DSN had _stmt_cache_size > 0). The
// driver does not export the setting: it is read, never written, from
// the connection's stmtCacheEnabled field, which the driver documents
// as immutable after Open. A driver without that field gives known
// false.
func (*Dialect) ConnCachesStatements(dc any) (caches, known bool) {
	c, ok := dc.(*sqlite3.SQLiteConn)
	if !ok || c == nil {
		return false, false
	}
	f := reflect.ValueOf(c).Elem().FieldByName("stmtCacheEnabled")
	if !f.IsValid() || f.Kind() != reflect.Bool {
		return false, false
	}
	return f.Bool(), true
}

var _ dialect.StatementCacheProbe = (*Dialect)(nil)

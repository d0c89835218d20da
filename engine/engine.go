// Package engine owns the connection to a database: Open from a URL (or
// wrap a *sql.DB the caller has), the pool settings, transactions and
// savepoints, a prepared-statement cache keyed by SQL text, SQL echo
// through logrus (SQLAlchemy's echo=True), and the wrapping of driver
// errors into *arcerr.StatementError with the SQL and its arguments.
// It also scans rows into model structs through precomputed plans.
//
// It keeps the engine's compiled cache (see WithCompiledCacheSize).
//
// engine imports dialect, meta, expr, arcerr and internal/lru; never
// session or above.
// An Engine is safe for concurrent use.
package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/lru"
)

// Engine is a dialect plus a connection pool, with a statement cache and echo.
type Engine struct {
	db      *sql.DB
	d       dialect.Dialect
	log     *logrus.Logger
	echo    atomic.Bool
	url     string
	ownsDB  bool
	noCache bool
	// connTx: transactions run on a pooled connection with the driver's
	// BEGIN (see Tx): the dialect has dialect.ConnTx, or Open made the
	// pool through the dialect's Connector.
	connTx bool
	// Read replicas (WithReplicas): reads outside a write transaction
	// go there round robin (see Reader); nil without replicas.
	replicas []*replica
	next     atomic.Uint32

	// probe: an engine from New on a ConnTx dialect that can tell
	// whether the caller's connections cache statements; checked once,
	// at the first transaction on a connection (see probeConn).
	probe     dialect.StatementCacheProbe
	probeOnce sync.Once

	mu       sync.RWMutex
	stmts    map[string]*sql.Stmt
	maxStmts int // cache bound

	// compiled: the SQL texts the session renders (see CompiledCache);
	// nil when off.
	compiled *lru.Cache[any, any]
}

// MaxCachedStatements bounds the prepared-statement cache; past it, new
// statements run unprepared (the cache never thrashes).
const MaxCachedStatements = 2000

// MaxConnStatements bounds the statements each connection keeps prepared
// when the dialect opens its pool through a dialect.Connector
// (PostgreSQL), least recently used evicted first.
const MaxConnStatements = 256

type config struct {
	echo         bool
	logger       *logrus.Logger
	maxOpen      int
	maxIdle      int
	maxLifetime  time.Duration
	maxIdleTime  time.Duration
	noStmtCache  bool
	stmtCache    int
	skipPing     bool
	maxOpenGiven bool
	maxIdleGiven bool
	lifeGiven    bool
	idleGiven    bool
	replicaURLs  []string
	// compiledCache bounds the compiled cache (WithCompiledCacheSize).
	compiledCache int
}

// Option configures Open and New.
type Option func(*config)

// WithEcho logs every statement, its arguments and duration, and
// transaction boundaries, at Info level (SQLAlchemy's echo=True).
func WithEcho(on bool) Option { return func(c *config) { c.echo = on } }

// WithLogger sets the logrus logger for echo and warnings (default: a new
// logger writing to stderr).
func WithLogger(l *logrus.Logger) Option { return func(c *config) { c.logger = l } }

// WithMaxOpenConns caps the pool (database/sql's SetMaxOpenConns).
func WithMaxOpenConns(n int) Option {
	return func(c *config) { c.maxOpen, c.maxOpenGiven = n, true }
}

// WithMaxIdleConns sets database/sql's SetMaxIdleConns.
func WithMaxIdleConns(n int) Option {
	return func(c *config) { c.maxIdle, c.maxIdleGiven = n, true }
}

// WithConnMaxLifetime sets database/sql's SetConnMaxLifetime (0: forever).
func WithConnMaxLifetime(d time.Duration) Option {
	return func(c *config) { c.maxLifetime, c.lifeGiven = d, true }
}

// WithConnMaxIdleTime sets database/sql's SetConnMaxIdleTime (0: forever).
func WithConnMaxIdleTime(d time.Duration) Option {
	return func(c *config) { c.maxIdleTime, c.idleGiven = d, true }
}

// WithoutStatementCache turns the prepared-statement caches off: the
// engine's and, on PostgreSQL, each connection's.
func WithoutStatementCache() Option { return func(c *config) { c.noStmtCache = true } }

// WithStatementCacheSize bounds the prepared-statement cache to n
// statements (default MaxCachedStatements). Past the bound, new statement
// texts run unprepared; cached ones stay. On PostgreSQL it also bounds
// the statements each connection keeps prepared (default
// MaxConnStatements; there the least recently used is evicted).
func WithStatementCacheSize(n int) Option { return func(c *config) { c.stmtCache = n } }

// WithoutPing makes Open skip the initial connection check (connections
// are then made lazily, as SQLAlchemy does).
func WithoutPing() Option { return func(c *config) { c.skipPing = true } }

// Open connects to the database named by rawURL:
//
//	sqlite:///relative.db   sqlite:////abs/path.db   sqlite::memory:   sqlite:///:memory:
//	postgres://user:pass@host:5432/db?sslmode=disable
//	mysql://user:pass@host:3306/db   mariadb://user:pass@host:3306/db
//
// The scheme picks the registered dialect. Open pings the database unless
// WithoutPing is given, so a bad URL or an unreachable server is reported here.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Engine, error) {
	return open(ctx, rawURL, newConfig(opts))
}

func open(ctx context.Context, rawURL string, cfg *config) (*Engine, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("arc: open: bad database URL %q: %w", redact(rawURL), err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("arc: open: database URL %q has no scheme (sqlite:///file.db or postgres://...)", redact(rawURL))
	}
	d, err := dialect.Lookup(strings.ToLower(u.Scheme))
	if err != nil {
		return nil, fmt.Errorf("arc: open %q: %w", redact(rawURL), err)
	}
	dsn, copts, err := d.DSN(u)
	if err != nil {
		return nil, fmt.Errorf("arc: open %q: %w", redact(rawURL), err)
	}
	var db *sql.DB
	dc, viaConnector := d.(dialect.Connector)
	if viaConnector {
		size := MaxConnStatements
		if cfg.noStmtCache {
			size = 0
		} else if cfg.stmtCache > 0 {
			size = cfg.stmtCache
		}
		c, err := dc.Connector(dsn, size)
		if err != nil {
			return nil, fmt.Errorf("arc: open %q: %w", redact(rawURL), err)
		}
		db = sql.OpenDB(c)
	} else if db, err = sql.Open(d.DriverName(), dsn); err != nil {
		return nil, fmt.Errorf("arc: open %q: %w", redact(rawURL), err)
	}
	if copts.MaxOpenConns > 0 && !cfg.maxOpenGiven {
		cfg.maxOpen = copts.MaxOpenConns
		cfg.maxOpenGiven = true
	}
	serverDefaults(cfg, d, copts)
	e := newEngine(db, d, cfg)
	e.connTx = e.connTx || viaConnector
	e.url = redact(rawURL)
	e.ownsDB = true
	if !cfg.skipPing {
		if err := db.PingContext(ctx); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("arc: open %s: cannot connect: %w", e.url, err)
		}
		if err := e.initialize(ctx); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("arc: open %s: %w", e.url, err)
		}
	}
	if err := e.openReplicas(ctx, cfg); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// New wraps a *sql.DB the caller already has, for the named dialect
// ("sqlite", "postgres" or "mysql"). Close does not close db. A dialect
// whose capabilities depend on the server (MySQL's) asks it here, unless
// WithoutPing is given.
//
// Statements outside a transaction (reads, one-statement commits) run
// from the engine's prepared-statement cache, as on an engine from Open.
// Transactions keep their statements prepared too on PostgreSQL (through
// database/sql's Tx and the engine's cache). On SQLite they run on a
// connection of db with BEGIN IMMEDIATE, and only the driver can keep
// their statements compiled: open db with _stmt_cache_size in its DSN,
// as Open does (128), for example
//
//	sql.Open("sqlite3", "file:app.db?_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=1&_stmt_cache_size=128")
//
// Without it every statement of every transaction is compiled again. The
// engine checks at its first transaction and logs a warning (once,
// through its logger) when db's connections lack that cache.
func New(db *sql.DB, dialectName string, opts ...Option) (*Engine, error) {
	d, err := dialect.Lookup(dialectName)
	if err != nil {
		return nil, err
	}
	cfg := newConfig(opts)
	e := newEngine(db, d, cfg)
	if !cfg.skipPing {
		if err := e.initialize(context.Background()); err != nil {
			return nil, fmt.Errorf("arc: new %s engine: %w", dialectName, err)
		}
	}
	if p, ok := e.d.(dialect.StatementCacheProbe); ok && e.connTx && !e.noCache {
		e.probe = p
	}
	return e, nil
}

// probeConn checks, once, whether the caller's connection dc (engine.New)
// keeps statements compiled, and warns when it does not.
func (e *Engine) probeConn(dc any) {
	if e.probe == nil {
		return
	}
	e.probeOnce.Do(func() {
		if caches, known := e.probe.ConnCachesStatements(dc); known && !caches {
			e.log.Warnf("arc: engine.New: the %s connections of this *sql.DB do not keep statements compiled, "+
				"so every statement of every transaction is compiled again; open it with _stmt_cache_size=128 "+
				"in its DSN (engine.Open sets it) to keep them", e.d.Name())
		}
	})
}

// initialize lets a dialect whose capabilities depend on the server
// (dialect.Initializer: MySQL and MariaDB by version) ask it, and keeps
// the dialect it returns for this engine. WithoutPing skips it (no
// connection is made at Open): the engine then keeps the registered
// dialect's conservative capabilities.
func (e *Engine) initialize(ctx context.Context) error {
	in, ok := e.d.(dialect.Initializer)
	if !ok {
		return nil
	}
	d, err := in.Initialize(ctx, e.db)
	if err != nil {
		return err
	}
	e.d = d
	e.connTx = e.connTx || d.Has(dialect.ConnTx)
	return nil
}

func newConfig(opts []Option) *config {
	cfg := &config{compiledCache: DefaultCompiledCacheSize}
	for _, o := range opts {
		o(cfg)
	}
	return cfg
}

func newEngine(db *sql.DB, d dialect.Dialect, cfg *config) *Engine {
	if cfg.maxOpenGiven {
		db.SetMaxOpenConns(cfg.maxOpen)
	}
	if cfg.maxIdleGiven {
		db.SetMaxIdleConns(cfg.maxIdle)
	} else if cfg.maxOpenGiven && cfg.maxOpen > 0 {
		db.SetMaxIdleConns(cfg.maxOpen)
	}
	if cfg.lifeGiven {
		db.SetConnMaxLifetime(cfg.maxLifetime)
	}
	if cfg.idleGiven {
		db.SetConnMaxIdleTime(cfg.maxIdleTime)
	}
	l := cfg.logger
	if l == nil {
		l = logrus.New()
	}
	e := &Engine{db: db, d: d, log: l, stmts: map[string]*sql.Stmt{}, noCache: cfg.noStmtCache, maxStmts: MaxCachedStatements,
		connTx: d.Has(dialect.ConnTx), compiled: lru.New[any, any](cfg.compiledCache)}
	if cfg.stmtCache > 0 {
		e.maxStmts = cfg.stmtCache
	}
	e.echo.Store(cfg.echo)
	return e
}

// redact hides a password in a URL for logs and errors.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// CachedStatements reports how many prepared statements the engine's
// cache holds (one per distinct SQL text that ran with arguments).
func (e *Engine) CachedStatements() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.stmts)
}

// DB returns the underlying pool.
func (e *Engine) DB() *sql.DB { return e.db }

// Dialect returns the engine's dialect.
func (e *Engine) Dialect() dialect.Dialect { return e.d }

// URL returns the URL the engine was opened with, password hidden.
func (e *Engine) URL() string { return e.url }

// Logger returns the engine's logger.
func (e *Engine) Logger() *logrus.Logger { return e.log }

// SetEcho switches statement logging on or off.
func (e *Engine) SetEcho(on bool) {
	e.echo.Store(on)
	for _, r := range e.replicas {
		r.e.SetEcho(on)
	}
}

// Echo reports whether statement logging is on.
func (e *Engine) Echo() bool { return e.echo.Load() }

// Close closes cached statements and, when Open made it, the pool (and
// the replicas' pools).
func (e *Engine) Close() error {
	for _, r := range e.replicas {
		_ = r.e.Close()
	}
	e.mu.Lock()
	for k, s := range e.stmts {
		_ = s.Close()
		delete(e.stmts, k)
	}
	e.mu.Unlock()
	if e.ownsDB {
		return e.db.Close()
	}
	return nil
}

// cacheable reports whether a statement is worth preparing: DML with
// arguments. DDL and argument-less text (possibly several statements)
// run directly.
func cacheable(q string, nargs int) bool {
	if nargs == 0 || len(q) < 6 {
		return false
	}
	switch q[0] {
	case 'S', 's', 'I', 'i', 'U', 'u', 'D', 'd', 'W', 'w':
	default:
		return false
	}
	switch strings.ToUpper(q[:6]) {
	case "SELECT", "INSERT", "UPDATE", "DELETE":
		return true
	}
	return strings.EqualFold(q[:4], "WITH")
}

// stmt returns the cached prepared statement for q, preparing it on first
// use; nil when q is not cached. The prepare runs outside the cache's lock:
// it may wait for a pool connection, and a transaction holding the only
// connection must still be able to read the cache meanwhile.
func (e *Engine) stmt(ctx context.Context, q string, nargs int) *sql.Stmt {
	if e.noCache || !cacheable(q, nargs) {
		return nil
	}
	e.mu.RLock()
	s := e.stmts[q]
	full := len(e.stmts) >= e.maxStmts
	e.mu.RUnlock()
	if s != nil || full {
		return s
	}
	ps, err := e.db.PrepareContext(ctx, q)
	if err != nil {
		return nil // run unprepared; the real error surfaces from the exec
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s = e.stmts[q]; s != nil {
		// Another goroutine prepared the same text meanwhile.
		_ = ps.Close()
		return s
	}
	if len(e.stmts) >= e.maxStmts {
		_ = ps.Close()
		return nil
	}
	e.stmts[q] = ps
	return ps
}

// Wrap turns a driver error met while running q — say, one that
// rows.Err reports after iterating — into a *arcerr.StatementError, as
// the errors of Exec and Query are; nil stays nil.
func (e *Engine) Wrap(err error, q string, args []any) error { return e.wrap(err, q, args) }

// wrap turns a driver error into a *arcerr.StatementError.
func (e *Engine) wrap(err error, q string, args []any) error {
	if err == nil {
		return nil
	}
	var se *arcerr.StatementError
	if errors.As(err, &se) {
		return err
	}
	return &arcerr.StatementError{SQL: q, Args: args, Kind: e.classify(err), Err: err}
}

// classify is the dialect's classification of a driver error, with the
// driver-independent signs of a dead connection (driver.ErrBadConn, a
// network error, an unexpected EOF) as arcerr.ErrConnectionLost.
func (e *Engine) classify(err error) error {
	if k := e.d.ClassifyError(err); k != nil {
		return k
	}
	if connLost(err) {
		return arcerr.ErrConnectionLost
	}
	return nil
}

// clock returns the time a statement starts, read only when echo is on
// (the duration is only ever logged).
func (e *Engine) clock() time.Time {
	if e.echo.Load() {
		return time.Now()
	}
	return time.Time{}
}

func (e *Engine) logStmt(q string, args []any, start time.Time, err error) {
	if !e.echo.Load() {
		return
	}
	f := logrus.Fields{}
	if !start.IsZero() { // zero when echo was switched on mid-statement
		f["took"] = time.Since(start).Round(time.Microsecond).String()
	}
	if len(args) > 0 {
		f["args"] = arcerr.FormatArgs(args)
	}
	if err != nil {
		f["error"] = err.Error()
	}
	e.log.WithFields(f).Info(q)
}

// LogTx logs a transaction boundary when echo is on.
func (e *Engine) LogTx(what string) {
	if e.echo.Load() {
		e.log.Info(what)
	}
}

// Exec runs a statement outside any transaction.
func (e *Engine) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	start := e.clock()
	var res sql.Result
	var err error
	if s := e.stmt(ctx, q, len(args)); s != nil {
		res, err = s.ExecContext(ctx, args...)
	} else {
		res, err = e.db.ExecContext(ctx, q, args...)
	}
	e.logStmt(q, args, start, err)
	return res, e.wrap(err, q, args)
}

// Query runs a query outside any transaction.
func (e *Engine) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	start := e.clock()
	var rows *sql.Rows
	var err error
	if s := e.stmt(ctx, q, len(args)); s != nil {
		rows, err = s.QueryContext(ctx, args...)
	} else {
		rows, err = e.db.QueryContext(ctx, q, args...)
	}
	e.logStmt(q, args, start, err)
	return rows, e.wrap(err, q, args)
}

// ExecStmt compiles and runs a statement.
func ExecStmt(ctx context.Context, x Executor, st expr.Expr) (sql.Result, error) {
	q, args, err := expr.Compile(x.Dialect(), st)
	if err != nil {
		return nil, err
	}
	return x.Exec(ctx, q, args...)
}

// QueryStmt compiles and runs a query.
func QueryStmt(ctx context.Context, x Executor, st expr.Expr) (*sql.Rows, error) {
	q, args, err := expr.Compile(x.Dialect(), st)
	if err != nil {
		return nil, err
	}
	return x.Query(ctx, q, args...)
}

// Executor runs SQL: an *Engine (autocommit) or a *Tx.
type Executor interface {
	Exec(ctx context.Context, q string, args ...any) (sql.Result, error)
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	Dialect() dialect.Dialect
}

var (
	_ Executor = (*Engine)(nil)
	_ Executor = (*Tx)(nil)
)

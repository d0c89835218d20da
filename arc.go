// Package arc is the everyday surface of Arc, a Go ORM with SQLAlchemy's
// session, identity map and unit of work, wearing an active-record face,
// without code generation. It re-exports what the tutorial needs from the
// subpackages, so one import (plus nothing else: the three dialects are
// registered here) is enough:
//
//	eng, err := arc.Open(ctx, "sqlite:///app.db")
//	s := arc.NewSession(eng)
//	ctx = arc.WithSession(ctx, s)
//	U := arc.Cols[User]()
//	users, err := arc.Select[User]().Where(arc.Eq(&U.Name, "ed")).All(ctx)
//
// The real code lives in meta, dialect, expr, engine, session, relations,
// record, migrate and fixtures; see docs/architecture.md.
package arc

import (
	"context"
	"database/sql"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/session"

	_ "github.com/arcorm/arc/dialect/mysql"    // register "mysql" and "mariadb"
	_ "github.com/arcorm/arc/dialect/postgres" // register "postgres"
	_ "github.com/arcorm/arc/dialect/sqlite"   // register "sqlite"
)

// Sentinel errors (see package arcerr).
var (
	ErrNotFound       = arcerr.ErrNotFound
	ErrMultipleRows   = arcerr.ErrMultipleRows
	ErrStaleData      = arcerr.ErrStaleData
	ErrDetached       = arcerr.ErrDetached
	ErrObjectDeleted  = arcerr.ErrObjectDeleted
	ErrLazyLoad       = arcerr.ErrLazyLoad
	ErrIntegrity      = arcerr.ErrIntegrity
	ErrInvalidModel   = arcerr.ErrInvalidModel
	ErrInvalidRequest = arcerr.ErrInvalidRequest
	ErrNotAColumn     = arcerr.ErrNotAColumn
	ErrNeedsRollback  = arcerr.ErrNeedsRollback
	ErrIteratorOpen   = arcerr.ErrIteratorOpen
	ErrCannotStream   = arcerr.ErrCannotStream
	ErrDatabaseBusy   = arcerr.ErrDatabaseBusy
	ErrConflict       = arcerr.ErrConflict
	ErrConnectionLost = arcerr.ErrConnectionLost
	ErrInvalidText    = arcerr.ErrInvalidText
	// Deprecated: ErrBusy is ErrIteratorOpen; database contention is
	// ErrDatabaseBusy (see IsRetryable).
	ErrBusy = arcerr.ErrBusy //lint:ignore SA1019 re-exported under its deprecated name for compatibility
)

// IsRetryable reports whether running the failed transaction again may
// succeed: a serialization failure or deadlock (ErrConflict), a busy
// database (ErrDatabaseBusy), or a connection lost before any statement
// of the transaction succeeded. Transaction retries these with Retry.
func IsRetryable(err error) bool { return arcerr.IsRetryable(err) }

// Types re-exported for the everyday API.
type (
	// Engine is a dialect plus a connection pool.
	Engine = engine.Engine
	// Session is the unit of work.
	Session = session.Session
	// Expr is a SQL expression.
	Expr = expr.Expr
	// P holds named parameters (text SQL, FilterBy).
	P = expr.P
	// Base gives a model active-record methods; embed it by value.
	Base[T any] = record.Base[T]
	// Query is a typed, immutable query.
	Query[T any] = session.Query[T]
	// StatementError is a database error with its SQL and arguments.
	StatementError = arcerr.StatementError
	// Status is an object's state with respect to a session.
	Status = session.Status
)

// The five object states (SQLAlchemy's).
const (
	Transient  = session.Transient
	Pending    = session.Pending
	Persistent = session.Persistent
	Deleted    = session.Deleted
	Detached   = session.Detached
)

// StateOf returns obj's state in whatever session holds it (see
// session.StateOf); Session.StateOf asks one session.
func StateOf(obj any) Status { return session.StateOf(obj) }

// Open connects to a database URL (sqlite:///file.db, sqlite::memory:,
// postgres://..., mysql://... or mariadb://...). See engine.Open.
func Open(ctx context.Context, url string, opts ...engine.Option) (*Engine, error) {
	return engine.Open(ctx, url, opts...)
}

// Echo is the engine option that logs every statement (echo=True).
func Echo(on bool) engine.Option { return engine.WithEcho(on) }

// WithLogger is the engine option that sends echoed SQL and Arc's warnings
// (the N+1 guard's, for one) to l instead of logrus's standard logger.
func WithLogger(l *logrus.Logger) engine.Option { return engine.WithLogger(l) }

// NewSession returns a session on eng.
func NewSession(eng *Engine, opts ...session.Option) *Session { return session.New(eng, opts...) }

// WithSession returns a context carrying s.
func WithSession(ctx context.Context, s *Session) context.Context { return session.With(ctx, s) }

// Transaction runs fn in a transaction of the session in ctx (a savepoint
// when one is open), or of a new session on eng: commit on nil, roll back
// on error or panic. With Retry it runs fn again after a retryable error
// (see session.Transaction).
func Transaction(ctx context.Context, eng *Engine, fn func(ctx context.Context) error, opts ...session.TxOption) error {
	return session.Transaction(ctx, eng, fn, opts...)
}

// Retry is the Transaction option that retries fn up to attempts times
// in all on a retryable error (IsRetryable), with exponential backoff up
// to maxDelay.
func Retry(attempts int, maxDelay time.Duration) session.TxOption {
	return session.Retry(attempts, maxDelay)
}

// Isolation is the Transaction option that sets the isolation level of
// its transaction (sql.LevelSerializable, say).
func Isolation(level sql.IsolationLevel) session.TxOption { return session.Isolation(level) }

// ReadOnly is the session option for read-only work: no transaction, no
// BEGIN or ROLLBACK, reads from a replica when there is one; a flush of
// changes fails with ErrInvalidRequest.
func ReadOnly() session.Option { return session.ReadOnly() }

// WithEngine returns a context whose session-less calls (Find, Where,
// Save without a session) run on eng: record.WithEngine.
func WithEngine(ctx context.Context, eng *Engine) context.Context { return record.WithEngine(ctx, eng) }

// WithPrimary is the session option that keeps every read on the primary.
func WithPrimary() session.Option { return session.WithPrimary() }

// WithIsolation is the session option that sets the isolation level of
// its transactions.
func WithIsolation(level sql.IsolationLevel) session.Option { return session.WithIsolation(level) }

// Engine options for Open, re-exported so that one import reaches them
// all (see docs/engine.md for the pool defaults).

// WithReplicas gives Open the URLs of read replicas (engine.WithReplicas).
func WithReplicas(urls ...string) engine.Option { return engine.WithReplicas(urls...) }

// WithMaxOpenConns caps the pool (default engine.DefaultMaxOpenConns()).
func WithMaxOpenConns(n int) engine.Option { return engine.WithMaxOpenConns(n) }

// WithMaxIdleConns sets how many idle connections the pool keeps
// (default: as many as it may open).
func WithMaxIdleConns(n int) engine.Option { return engine.WithMaxIdleConns(n) }

// WithConnMaxLifetime sets how long a connection is used before it is
// renewed (PostgreSQL default 30 min, SQLite forever).
func WithConnMaxLifetime(d time.Duration) engine.Option { return engine.WithConnMaxLifetime(d) }

// WithConnMaxIdleTime sets how long a connection may stay idle before it
// is closed (PostgreSQL default 5 min, SQLite forever).
func WithConnMaxIdleTime(d time.Duration) engine.Option { return engine.WithConnMaxIdleTime(d) }

// WithStatementCacheSize bounds the prepared-statement caches.
func WithStatementCacheSize(n int) engine.Option { return engine.WithStatementCacheSize(n) }

// WithCompiledCacheSize bounds the engine's cache of rendered SQL
// (default engine.DefaultCompiledCacheSize; 0 turns it off).
func WithCompiledCacheSize(n int) engine.Option { return engine.WithCompiledCacheSize(n) }

// WithoutStatementCache runs every statement unprepared.
func WithoutStatementCache() engine.Option { return engine.WithoutStatementCache() }

// WithoutPing makes Open connect lazily.
func WithoutPing() engine.Option { return engine.WithoutPing() }

// CreateAll creates the models' tables that do not exist yet.
func CreateAll(ctx context.Context, eng *Engine, models ...any) error {
	return migrate.CreateAll(ctx, eng, models...)
}

// DropAll drops the models' tables.
func DropAll(ctx context.Context, eng *Engine, models ...any) error {
	return migrate.DropAll(ctx, eng, models...)
}

// SetDefault sets the engine record calls use without a session.
func SetDefault(eng *Engine) { record.SetDefault(eng) }

// Cols returns model T's probe: &U.Name names users.name in expressions.
func Cols[T any]() *T { return expr.Cols[T]() }

// Select starts a query for T that runs in the session of its context.
func Select[T any]() *Query[T] { return session.Select[T]() }

// QueryOf starts a query for T bound to s.
func QueryOf[T any](s *Session) *Query[T] { return session.NewQuery[T](s) }

// Get returns the T with the given key from the session in ctx.
func Get[T any](ctx context.Context, key ...any) (*T, error) {
	s := session.From(ctx)
	if s == nil {
		return record.Find[T](ctx, key...)
	}
	return session.Get[T](ctx, s, key...)
}

// Find is record.Find.
func Find[T any](ctx context.Context, key ...any) (*T, error) { return record.Find[T](ctx, key...) }

// Where is record.Where.
func Where[T any](preds ...Expr) *Query[T] { return record.Where[T](preds...) }

// Predicates and expressions (see package expr).

// Eq is col = v (IS NULL for nil).
func Eq[V any](col *V, v V) Expr { return expr.Eq(col, v) }

// Ne is col != v (IS NOT NULL for nil).
func Ne[V any](col *V, v V) Expr { return expr.Ne(col, v) }

// Lt is col < v.
func Lt[V any](col *V, v V) Expr { return expr.Lt(col, v) }

// Le is col <= v.
func Le[V any](col *V, v V) Expr { return expr.Le(col, v) }

// Gt is col > v.
func Gt[V any](col *V, v V) Expr { return expr.Gt(col, v) }

// Ge is col >= v.
func Ge[V any](col *V, v V) Expr { return expr.Ge(col, v) }

// In is col IN (vs...).
func In[V any](col *V, vs ...V) Expr { return expr.In(col, vs...) }

// NotIn is col NOT IN (vs...).
func NotIn[V any](col *V, vs ...V) Expr { return expr.NotIn(col, vs...) }

// IsNull is col IS NULL.
func IsNull[V any](col *V) Expr { return expr.IsNull(col) }

// IsNotNull is col IS NOT NULL.
func IsNotNull[V any](col *V) Expr { return expr.IsNotNull(col) }

// Like is col LIKE pattern.
func Like[S ~string](col *S, pattern string) Expr { return expr.Like(col, pattern) }

// ILike is case-insensitive LIKE.
func ILike[S ~string](col *S, pattern string) Expr { return expr.ILike(col, pattern) }

// And joins predicates with AND.
func And(preds ...Expr) Expr { return expr.And(preds...) }

// Or joins predicates with OR.
func Or(preds ...Expr) Expr { return expr.Or(preds...) }

// Not negates a predicate.
func Not(p Expr) Expr { return expr.Not(p) }

// On compares two columns (a join condition).
func On(l, r any) Expr { return expr.On(l, r) }

// Col starts an untyped expression from a field pointer or column name.
func Col(x any) expr.ColExpr { return expr.Col(x) }

// C names a column by text ("users.name").
func C(name string) *expr.Named { return expr.C(name) }

// Text is textual SQL with :name parameters.
func Text(sql string, params ...P) *expr.TextExpr { return expr.Text(sql, params...) }

// Asc orders ascending.
func Asc(x any) *expr.Ordering { return expr.Asc(x) }

// Desc orders descending.
func Desc(x any) *expr.Ordering { return expr.Desc(x) }

// Func calls a SQL function.
func Func(name string, args ...any) *expr.FuncCall { return expr.Func(name, args...) }

// Count is count(col).
func Count(col any) *expr.FuncCall { return expr.Count(col) }

// CountAll is count(*).
func CountAll() Expr { return expr.CountAll() }

// Label names an expression.
func Label(x any, name string) *expr.Labeled { return expr.Label(x, name) }

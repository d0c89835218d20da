package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
)

// Tx is a database transaction with its own view of the statement cache
// and savepoint support. A Tx is not safe for concurrent use.
//
// It runs on a connection taken from the pool and the driver's own
// transaction wherever the connection keeps its statements prepared:
// SQLite (dialect.ConnTx: go-sqlite3's _stmt_cache_size, which the
// dialect sets) and PostgreSQL engines made by Open (the dialect's
// Connector, internal/stmtcache). database/sql's Tx watches its context
// with a goroutine per transaction and per query, which costs a
// multi-row read up to a quarter of its time. On a connection, statements
// run unprepared and the connection's cache reuses them. Elsewhere
// (engine.New on a PostgreSQL pool) it is a database/sql Tx running the
// engine's prepared statements.
// Cancelling the context of a running statement still interrupts it; the
// transaction then ends with Rollback, which the session always calls.
type Tx struct {
	e     *Engine
	tx    *sql.Tx   // nil on a connection
	conn  *sql.Conn // the connection, with dtx the driver's transaction
	dtx   driver.Tx
	open  []*sql.Rows          // results handed out on the connection (see track)
	stmts map[string]*sql.Stmt // statements bound to tx
	done  bool
	// ran is set once a statement of the transaction succeeded: a lost
	// connection before that is retryable (nothing can have happened).
	ran bool
	// failed is the first statement that failed since the transaction (or
	// the last ROLLBACK TO SAVEPOINT) began, named when PostgreSQL refuses
	// the statements after it (25P02, see wrap).
	failed error
	// auto: no transaction; each statement runs alone in autocommit
	// (Autocommit, autocommit.go).
	auto bool
}

// TxOptions are the options of BeginTx.
type TxOptions struct {
	// Isolation is the isolation level (sql.LevelDefault: the database's).
	Isolation sql.IsolationLevel
	// ReadOnly asks for a read-only transaction.
	ReadOnly bool
	// Write declares a transaction that will write. On SQLite it begins
	// with BEGIN IMMEDIATE (dialect.WriteBeginner), taking the write lock
	// at once (waiting for it under the busy timeout), so that it never
	// fails to upgrade a read lock later. Elsewhere it changes nothing.
	Write bool
}

// Begin starts a transaction with the driver's BEGIN (DEFERRED on
// SQLite, unless the URL says _txlock=immediate). Use BeginTx with
// TxOptions.Write for a transaction that reads and then writes.
func (e *Engine) Begin(ctx context.Context, opts *sql.TxOptions) (*Tx, error) {
	var o TxOptions
	if opts != nil {
		o = TxOptions{Isolation: opts.Isolation, ReadOnly: opts.ReadOnly}
	}
	return e.BeginTx(ctx, o)
}

// BeginTx starts a transaction. A pooled connection that turns out to be
// dead when the transaction begins (the server closed it while it was
// idle) is dropped and the next one tried, as database/sql does for its
// own statements; the error of a BEGIN that still fails is a
// *arcerr.StatementError for "BEGIN", retryable (arcerr.IsRetryable)
// when the connection was lost.
func (e *Engine) BeginTx(ctx context.Context, o TxOptions) (*Tx, error) {
	return e.beginRetrying(ctx, o)
}

// beginRetrying begins, retrying on a dead connection: at most once per
// connection the pool may hold, plus two.
func (e *Engine) beginRetrying(ctx context.Context, o TxOptions) (*Tx, error) {
	tries := e.db.Stats().Idle + 2
	for i := 0; ; i++ {
		var t *Tx
		var err error
		if e.connTx {
			t, err = e.beginConn(ctx, o)
		} else {
			var tx *sql.Tx
			if tx, err = e.db.BeginTx(ctx, &sql.TxOptions{Isolation: o.Isolation, ReadOnly: o.ReadOnly}); err == nil {
				t = &Tx{e: e, tx: tx}
			}
		}
		if err == nil {
			e.LogTx("BEGIN (implicit)")
			return t, nil
		}
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, fmt.Errorf("arc: begin: %w", err)
		}
		lost := errors.Is(e.classify(err), arcerr.ErrConnectionLost)
		if !lost || i+1 >= tries || ctx.Err() != nil {
			return nil, &arcerr.StatementError{SQL: "BEGIN", Kind: e.classify(err), Err: err, Retryable: lost}
		}
	}
}

// beginConn starts a transaction on a connection of its own with the
// driver's BEGIN (its options, such as SQLite's _txlock, apply), or the
// dialect's BEGIN for a write transaction (SQLite's BEGIN IMMEDIATE).
func (e *Engine) beginConn(ctx context.Context, o TxOptions) (*Tx, error) {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	opts := &sql.TxOptions{Isolation: o.Isolation, ReadOnly: o.ReadOnly}
	if o.Isolation == sql.LevelDefault && !o.ReadOnly {
		opts = nil
	}
	wb, _ := e.d.(dialect.WriteBeginner)
	var dtx driver.Tx
	err = conn.Raw(func(dc any) error {
		e.probeConn(dc)
		var err error
		if ec, ok := dc.(driver.ExecerContext); ok && wb != nil && o.Write && !o.ReadOnly {
			if _, err = ec.ExecContext(ctx, wb.BeginWriteSQL(), nil); err == nil {
				dtx = sqlTx{ec}
			}
			return err
		}
		if b, ok := dc.(driver.ConnBeginTx); ok {
			var o driver.TxOptions
			if opts != nil {
				o = driver.TxOptions{Isolation: driver.IsolationLevel(opts.Isolation), ReadOnly: opts.ReadOnly}
			}
			dtx, err = b.BeginTx(ctx, o)
			return err
		}
		if opts != nil && (opts.Isolation != sql.LevelDefault || opts.ReadOnly) {
			return fmt.Errorf("%w: the driver does not support transaction options", arcerr.ErrInvalidRequest)
		}
		//lint:ignore SA1019 the fallback for drivers without BeginTx
		dtx, err = dc.(driver.Conn).Begin()
		return err
	})
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &Tx{e: e, conn: conn, dtx: dtx}, nil
}

// sqlTx ends a transaction begun with the dialect's own BEGIN statement,
// as go-sqlite3's does: a COMMIT that fails is followed by a ROLLBACK, so
// the connection goes back to the pool outside any transaction.
type sqlTx struct{ ec driver.ExecerContext }

func (x sqlTx) Commit() error {
	if _, err := x.ec.ExecContext(context.Background(), "COMMIT", nil); err != nil {
		if _, rerr := x.ec.ExecContext(context.Background(), "ROLLBACK", nil); rerr != nil && !isNoTx(rerr) {
			return errors.Join(err, driver.ErrBadConn) // still in a transaction: drop the connection
		}
		return err
	}
	return nil
}

func (x sqlTx) Rollback() error {
	_, err := x.ec.ExecContext(context.Background(), "ROLLBACK", nil)
	if err != nil && isNoTx(err) {
		return nil // the database already rolled back (SQLite does on some errors)
	}
	return err
}

// isNoTx reports SQLite's "cannot rollback - no transaction is active".
func isNoTx(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no transaction is active")
}

// end finishes a transaction on a connection with the driver's COMMIT or
// ROLLBACK, closes the results still open on it and gives the
// connection back.
func (t *Tx) end(commit bool) error {
	for _, r := range t.open {
		_ = r.Close() // as database/sql's Tx does: a result left open would block the connection
	}
	t.open = nil
	// As database/sql does: the driver ends the transaction whatever
	// COMMIT returns (go-sqlite3 rolls back a COMMIT that failed), and a
	// connection the driver calls bad is dropped instead of pooled.
	err := t.conn.Raw(func(any) error {
		if commit {
			return t.dtx.Commit()
		}
		return t.dtx.Rollback()
	})
	_ = t.conn.Close()
	return err
}

// Engine returns the engine the transaction belongs to.
func (t *Tx) Engine() *Engine { return t.e }

// Dialect returns the engine's dialect.
func (t *Tx) Dialect() dialect.Dialect { return t.e.d }

// track remembers a result read on the connection, so that ending the
// transaction closes it if its reader did not. Closed results are
// dropped whenever the list doubles, so a long transaction keeps only
// what is still open.
func (t *Tx) track(rows *sql.Rows) {
	if len(t.open) == cap(t.open) && len(t.open) >= 16 {
		kept := t.open[:0]
		for _, r := range t.open {
			if _, err := r.Columns(); err == nil { // errors once closed
				kept = append(kept, r)
			}
		}
		clear(t.open[len(kept):])
		t.open = kept
	}
	t.open = append(t.open, rows)
}

// ExecOnce runs a statement that is not worth preparing (it runs once):
// no statement cache, echoed and wrapped as Exec is.
func (t *Tx) ExecOnce(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if t.auto {
		return t.e.Exec(ctx, q, args...)
	}
	start := t.e.clock()
	res, err := t.execDirect(ctx, q, args)
	t.e.logStmt(q, args, start, err)
	return res, t.wrap(err, q, args)
}

// QueryOnce runs a query that is not worth preparing, as ExecOnce.
func (t *Tx) QueryOnce(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if t.auto {
		return t.e.Query(ctx, q, args...)
	}
	start := t.e.clock()
	rows, err := t.queryDirect(ctx, q, args)
	t.e.logStmt(q, args, start, err)
	return rows, t.wrap(err, q, args)
}

// Wrap turns a driver error met while reading the rows of q — which
// MySQL reports for an INSERT ... RETURNING whose row violates a
// constraint only once its rows are read — into a
// *arcerr.StatementError, as Exec and Query do; nil stays nil.
func (t *Tx) Wrap(err error, q string, args []any) error {
	if err == nil {
		return nil
	}
	return t.wrap(err, q, args)
}

// wrap is Engine.wrap that also records the first success and marks a
// connection lost before it as retryable.
func (t *Tx) wrap(err error, q string, args []any) error {
	if err == nil {
		t.ran = true
		return nil
	}
	err = t.e.wrap(err, q, args)
	var se *arcerr.StatementError
	if !t.ran && errors.As(err, &se) && errors.Is(se.Kind, arcerr.ErrConnectionLost) {
		se.Retryable = true
	}
	return t.noteFailure(err)
}

// execDirect runs q unprepared on the transaction.
func (t *Tx) execDirect(ctx context.Context, q string, args []any) (sql.Result, error) {
	if t.conn != nil {
		return t.conn.ExecContext(ctx, q, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

// queryDirect runs q unprepared on the transaction.
func (t *Tx) queryDirect(ctx context.Context, q string, args []any) (*sql.Rows, error) {
	if t.conn == nil {
		return t.tx.QueryContext(ctx, q, args...)
	}
	rows, err := t.conn.QueryContext(ctx, q, args...)
	if rows != nil {
		t.track(rows)
	}
	return rows, err
}

// Done reports whether the transaction was committed or rolled back.
func (t *Tx) Done() bool { return t.done }

// stmt returns a statement prepared on the transaction's connection. It
// reuses the engine's cached statement (database/sql then prepares it once
// per connection and remembers it). A statement not yet in the engine's
// cache is prepared at engine level only when the pool can give a
// connection without waiting: a transaction must never wait for a second
// connection (with a full pool, or SQLite :memory:'s single connection, it
// would deadlock); otherwise it is prepared on the transaction alone.
func (t *Tx) stmt(ctx context.Context, q string, nargs int) *sql.Stmt {
	if t.conn != nil {
		// Run on the connection unprepared: go-sqlite3 keeps the compiled
		// statement per connection (_stmt_cache_size) for its one-shot
		// statements only, so this is what reuses it across transactions.
		return nil
	}
	if s := t.stmts[q]; s != nil {
		return s
	}
	if t.e.noCache || !cacheable(q, nargs) {
		return nil
	}
	var s *sql.Stmt
	ds := t.e.cached(q)
	if ds == nil && t.e.canPrepareWithoutWaiting() {
		ds = t.e.stmt(ctx, q, nargs)
	}
	if ds != nil {
		s = t.tx.StmtContext(ctx, ds)
	} else {
		var err error
		if s, err = t.tx.PrepareContext(ctx, q); err != nil {
			return nil
		}
	}
	if t.stmts == nil {
		t.stmts = make(map[string]*sql.Stmt, 8)
	}
	t.stmts[q] = s
	return s
}

// cached returns the engine's prepared statement for q, or nil.
func (e *Engine) cached(q string) *sql.Stmt {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.stmts[q]
}

// canPrepareWithoutWaiting reports whether the pool has room for a
// connection or an idle one.
func (e *Engine) canPrepareWithoutWaiting() bool {
	st := e.db.Stats()
	return st.MaxOpenConnections == 0 || st.Idle > 0 || st.OpenConnections < st.MaxOpenConnections
}

// Exec runs a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if t.auto {
		return t.e.Exec(ctx, q, args...)
	}
	start := t.e.clock()
	var res sql.Result
	var err error
	if s := t.stmt(ctx, q, len(args)); s != nil {
		res, err = s.ExecContext(ctx, args...)
	} else {
		res, err = t.execDirect(ctx, q, args)
	}
	t.e.logStmt(q, args, start, err)
	return res, t.wrap(err, q, args)
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if t.auto {
		return t.e.Query(ctx, q, args...)
	}
	start := t.e.clock()
	var rows *sql.Rows
	var err error
	if s := t.stmt(ctx, q, len(args)); s != nil {
		rows, err = s.QueryContext(ctx, args...)
	} else {
		rows, err = t.queryDirect(ctx, q, args)
	}
	t.e.logStmt(q, args, start, err)
	return rows, t.wrap(err, q, args)
}

// Commit commits the transaction.
func (t *Tx) Commit() error {
	if t.auto {
		t.done = true
		return nil
	}
	t.done = true
	var err error
	if t.conn != nil {
		err = t.end(true)
	} else {
		err = t.tx.Commit()
	}
	t.e.LogTx("COMMIT")
	if err != nil {
		// Never Retryable when the connection is lost here: the
		// transaction may have committed.
		return &arcerr.StatementError{SQL: "COMMIT", Kind: t.e.classify(err), Err: err}
	}
	return nil
}

// Rollback rolls the transaction back. Rolling back a finished
// transaction is a no-op.
func (t *Tx) Rollback() error {
	if t.done || t.auto {
		t.done = true
		return nil
	}
	t.done = true
	var err error
	if t.conn != nil {
		err = t.end(false)
	} else {
		err = t.tx.Rollback()
	}
	t.e.LogTx("ROLLBACK")
	if err != nil && err != sql.ErrTxDone && !rolledBackAnyway(t.e, err) {
		return &arcerr.StatementError{SQL: "ROLLBACK", Err: err}
	}
	return nil
}

// rolledBackAnyway reports whether a failed ROLLBACK leaves nothing to
// roll back: the connection is gone (the server ends a transaction whose
// connection closes), or the transaction's context ended (database/sql
// rolls the transaction back itself). A rollback is then done, as
// SQLAlchemy's rollback() after an invalidated connection is; Commit, whose
// outcome such an error leaves unknown, still fails.
func rolledBackAnyway(e *Engine, err error) bool {
	return errors.Is(err, sql.ErrConnDone) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(e.classify(err), arcerr.ErrConnectionLost)
}

// Savepoint sets a savepoint.
func (t *Tx) Savepoint(ctx context.Context, name string) error {
	if t.auto {
		return fmt.Errorf("%w: savepoint %q outside a transaction (engine.Autocommit)", arcerr.ErrInvalidRequest, name)
	}
	_, err := t.Exec(ctx, "SAVEPOINT "+dialect.QuoteIdent(t.e.d, name))
	return err
}

// RollbackTo rolls back to a savepoint (keeping it).
func (t *Tx) RollbackTo(ctx context.Context, name string) error {
	_, err := t.Exec(ctx, "ROLLBACK TO SAVEPOINT "+dialect.QuoteIdent(t.e.d, name))
	if err == nil {
		t.failed = nil // the transaction is usable again
	}
	return err
}

// Release releases a savepoint.
func (t *Tx) Release(ctx context.Context, name string) error {
	_, err := t.Exec(ctx, "RELEASE SAVEPOINT "+dialect.QuoteIdent(t.e.d, name))
	return err
}

// InTx runs fn in a write transaction (TxOptions.Write): commit when fn
// returns nil, roll back when it returns an error or panics (the panic is
// re-raised).
func (e *Engine) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	tx, err := e.BeginTx(ctx, TxOptions{Write: true})
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

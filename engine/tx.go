package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

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
	// failed is the first statement that failed since the transaction (or
	// the last ROLLBACK TO SAVEPOINT) began, named when PostgreSQL refuses
	// the statements after it (25P02, see wrap).
	failed error
}

// Begin starts a transaction.
func (e *Engine) Begin(ctx context.Context, opts *sql.TxOptions) (*Tx, error) {
	if e.connTx {
		return e.beginConn(ctx, opts)
	}
	tx, err := e.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("arc: begin: %w", err)
	}
	e.LogTx("BEGIN (implicit)")
	return &Tx{e: e, tx: tx}, nil
}

// beginConn starts a transaction on a connection of its own with the
// driver's BEGIN (its options, such as SQLite's _txlock, apply).
func (e *Engine) beginConn(ctx context.Context, opts *sql.TxOptions) (*Tx, error) {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("arc: begin: %w", err)
	}
	var dtx driver.Tx
	err = conn.Raw(func(dc any) error {
		var err error
		if b, ok := dc.(driver.ConnBeginTx); ok {
			var o driver.TxOptions
			if opts != nil {
				o = driver.TxOptions{Isolation: driver.IsolationLevel(opts.Isolation), ReadOnly: opts.ReadOnly}
			}
			dtx, err = b.BeginTx(ctx, o)
			return err
		}
		if opts != nil && (opts.Isolation != sql.LevelDefault || opts.ReadOnly) {
			return errors.New("the driver does not support transaction options")
		}
		dtx, err = dc.(driver.Conn).Begin() //nolint:staticcheck // drivers without BeginTx
		return err
	})
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("arc: begin: %w", err)
	}
	e.LogTx("BEGIN (implicit)")
	return &Tx{e: e, conn: conn, dtx: dtx}, nil
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
	start := t.e.clock()
	res, err := t.execDirect(ctx, q, args)
	t.e.logStmt(q, args, start, err)
	return res, t.wrap(err, q, args)
}

// QueryOnce runs a query that is not worth preparing, as ExecOnce.
func (t *Tx) QueryOnce(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	start := t.e.clock()
	rows, err := t.queryDirect(ctx, q, args)
	t.e.logStmt(q, args, start, err)
	return rows, t.wrap(err, q, args)
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
	t.done = true
	var err error
	if t.conn != nil {
		err = t.end(true)
	} else {
		err = t.tx.Commit()
	}
	t.e.LogTx("COMMIT")
	if err != nil {
		return &arcerr.StatementError{SQL: "COMMIT", Kind: t.e.d.ClassifyError(err), Err: err}
	}
	return nil
}

// Rollback rolls the transaction back. Rolling back a finished
// transaction is a no-op.
func (t *Tx) Rollback() error {
	if t.done {
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
	if err != nil && err != sql.ErrTxDone {
		return &arcerr.StatementError{SQL: "ROLLBACK", Err: err}
	}
	return nil
}

// Savepoint sets a savepoint.
func (t *Tx) Savepoint(ctx context.Context, name string) error {
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

// InTx runs fn in a transaction: commit when fn returns nil, roll back
// when it returns an error or panics (the panic is re-raised).
func (e *Engine) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	tx, err := e.Begin(ctx, nil)
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

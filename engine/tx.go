package engine

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
)

// Tx is a database transaction with its own view of the statement cache
// and savepoint support. A Tx is not safe for concurrent use.
type Tx struct {
	e     *Engine
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	done  bool
}

// Begin starts a transaction.
func (e *Engine) Begin(ctx context.Context, opts *sql.TxOptions) (*Tx, error) {
	tx, err := e.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("arc: begin: %w", err)
	}
	e.LogTx("BEGIN (implicit)")
	return &Tx{e: e, tx: tx}, nil
}

// Engine returns the engine the transaction belongs to.
func (t *Tx) Engine() *Engine { return t.e }

// Dialect returns the engine's dialect.
func (t *Tx) Dialect() dialect.Dialect { return t.e.d }

// SQLTx returns the underlying *sql.Tx.
func (t *Tx) SQLTx() *sql.Tx { return t.tx }

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
		res, err = t.tx.ExecContext(ctx, q, args...)
	}
	t.e.logStmt(q, args, start, err)
	return res, t.e.wrap(err, q, args)
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	start := t.e.clock()
	var rows *sql.Rows
	var err error
	if s := t.stmt(ctx, q, len(args)); s != nil {
		rows, err = s.QueryContext(ctx, args...)
	} else {
		rows, err = t.tx.QueryContext(ctx, q, args...)
	}
	t.e.logStmt(q, args, start, err)
	return rows, t.e.wrap(err, q, args)
}

// Commit commits the transaction.
func (t *Tx) Commit() error {
	t.done = true
	err := t.tx.Commit()
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
	err := t.tx.Rollback()
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

// Package stmtcache wraps a database/sql driver connector so that every
// connection keeps the statements it runs prepared. A statement with
// arguments run without preparing (db.QueryContext, conn.ExecContext) is
// prepared on its connection the first time and executed from there
// afterwards: one round trip per run instead of the two (Parse+Describe,
// then Bind+Execute) that lib/pq spends on an unprepared statement with
// arguments. go-sqlite3 does the same inside the driver
// (_stmt_cache_size); this gives it to a driver that has none.
//
// It is what lets a transaction run on a plain pooled connection (see
// engine.Tx) without database/sql's Tx, whose prepared statements are
// the only other way to reuse a statement across transactions.
//
// Each connection holds at most Size statements, least recently used
// evicted first. A statement whose execution fails with an error the
// caller calls stale (PostgreSQL: "cached plan must not change result
// type" after a schema change, or a statement dropped by DISCARD ALL) is
// dropped so that the next run prepares it again. Statements without
// arguments are passed through: lib/pq runs them in one round trip with
// the simple protocol already.
//
// stmtcache imports only the standard library.
package stmtcache

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"reflect"
)

// Connector is a driver.Connector whose connections cache their
// statements.
type Connector struct {
	base  driver.Connector
	size  int
	stale func(error) bool
}

// New wraps base. size bounds the statements kept per connection (0 turns
// the cache off: the connection is passed through). stale, which may be
// nil, reports whether an execution error means the prepared statement
// must be dropped.
func New(base driver.Connector, size int, stale func(error) bool) *Connector {
	return &Connector{base: base, size: size, stale: stale}
}

// Connect opens a connection of the underlying connector and wraps it.
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: dc, c: c}, nil
}

// Driver returns the underlying driver.
func (c *Connector) Driver() driver.Driver { return c.base.Driver() }

// Close closes the underlying connector when it has a Close (sql.DB.Close
// calls it).
func (c *Connector) Close() error {
	if cl, ok := c.base.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// conn is one connection with its statements. database/sql serializes
// every call on a connection (and the Close of its results), so no lock.
type conn struct {
	driver.Conn
	c     *Connector
	stmts map[string]*entry
	lru   entry // sentinel: lru.next is the most recently used
	// busy is set while a result of a cached statement is open: the
	// server is still sending it, and a new statement would interleave
	// with it (lib/pq guards only its unprepared path; a prepared
	// statement run then would hang). A busy connection refuses
	// statements with ErrBusy.
	busy bool
}

type entry struct {
	q          string
	st         driver.Stmt
	prev, next *entry
}

// stmt returns the cached statement for q, preparing it on a miss.
func (cn *conn) stmt(ctx context.Context, q string) (*entry, error) {
	if e := cn.stmts[q]; e != nil {
		if cn.lru.next != e {
			e.unlink()
			cn.pushFront(e)
		}
		return e, nil
	}
	var st driver.Stmt
	var err error
	if p, ok := cn.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, q)
	} else {
		st, err = cn.Conn.Prepare(q)
	}
	if err != nil {
		return nil, err
	}
	if cn.stmts == nil {
		cn.stmts = make(map[string]*entry, 16)
		cn.lru.next, cn.lru.prev = &cn.lru, &cn.lru
	}
	e := &entry{q: q, st: st}
	cn.stmts[q] = e
	cn.pushFront(e)
	for len(cn.stmts) > cn.c.size {
		cn.drop(cn.lru.prev)
	}
	return e, nil
}

func (cn *conn) pushFront(e *entry) {
	e.prev, e.next = &cn.lru, cn.lru.next
	cn.lru.next.prev = e
	cn.lru.next = e
}

func (e *entry) unlink() {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// drop forgets a statement and closes it on the server.
func (cn *conn) drop(e *entry) {
	e.unlink()
	delete(cn.stmts, e.q)
	_ = e.st.Close() // best effort: an error here belongs to no caller
}

// failed drops the statement when err says it is stale.
func (cn *conn) failed(e *entry, err error) {
	if cn.c.stale != nil && cn.c.stale(err) && cn.stmts[e.q] == e {
		cn.drop(e)
	}
}

// ErrBusy is returned for a statement run on a connection while a result
// of a cached statement is still open on it.
var ErrBusy = errors.New("a result is still open on this connection: read it to the end or close it before the next statement")

// cacheable reports whether a statement goes through the cache.
func (cn *conn) cacheable(args []driver.NamedValue) bool {
	return len(args) > 0 && cn.c.size > 0
}

// QueryContext runs q from the connection's cache.
func (cn *conn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if cn.busy {
		return nil, ErrBusy
	}
	if cn.cacheable(args) {
		e, err := cn.stmt(ctx, q)
		if err != nil {
			return nil, err
		}
		if sq, ok := e.st.(driver.StmtQueryContext); ok {
			r, err := sq.QueryContext(ctx, args)
			if err != nil {
				cn.failed(e, err)
				return nil, err
			}
			cn.busy = true
			return &rows{Rows: r, cn: cn}, nil
		}
	}
	if qc, ok := cn.Conn.(driver.QueryerContext); ok {
		return qc.QueryContext(ctx, q, args)
	}
	return nil, driver.ErrSkip
}

// ExecContext runs q from the connection's cache.
func (cn *conn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if cn.busy {
		return nil, ErrBusy
	}
	if cn.cacheable(args) {
		e, err := cn.stmt(ctx, q)
		if err != nil {
			return nil, err
		}
		if se, ok := e.st.(driver.StmtExecContext); ok {
			res, err := se.ExecContext(ctx, args)
			if err != nil {
				cn.failed(e, err)
			}
			return res, err
		}
	}
	if ec, ok := cn.Conn.(driver.ExecerContext); ok {
		return ec.ExecContext(ctx, q, args)
	}
	return nil, driver.ErrSkip
}

// The rest forwards to the underlying connection, answering as
// database/sql would for an interface it does not have.

func (cn *conn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	if cn.busy {
		return nil, ErrBusy
	}
	if p, ok := cn.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, q)
	}
	return cn.Conn.Prepare(q)
}

func (cn *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if cn.busy {
		return nil, ErrBusy
	}
	if b, ok := cn.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	//lint:ignore SA1019 the fallback for drivers without BeginTx
	return cn.Conn.Begin()
}

func (cn *conn) Ping(ctx context.Context) error {
	if p, ok := cn.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (cn *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if c, ok := cn.Conn.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (cn *conn) ResetSession(ctx context.Context) error {
	if r, ok := cn.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (cn *conn) IsValid() bool {
	if v, ok := cn.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// rows is a result of a cached statement; closing it frees the connection.
type rows struct {
	driver.Rows
	cn *conn
}

func (r *rows) Close() error {
	err := r.Rows.Close()
	r.cn.busy = false
	return err
}

func (r *rows) HasNextResultSet() bool {
	if n, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return n.HasNextResultSet()
	}
	return false
}

func (r *rows) NextResultSet() error {
	if n, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return n.NextResultSet()
	}
	return io.EOF
}

func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	if c, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return c.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	if c, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return c.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *rows) ColumnTypeLength(i int) (int64, bool) {
	if c, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return c.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *rows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if c, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return c.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *rows) ColumnTypeNullable(i int) (bool, bool) {
	if c, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return c.ColumnTypeNullable(i)
	}
	return false, false
}

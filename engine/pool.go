package engine

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"runtime"
	"syscall"
	"time"

	"github.com/arcorm/arc/dialect"
)

// DefaultMaxOpenConns is the pool size engine.Open gives a database when
// WithMaxOpenConns is not given: 4 per CPU (GOMAXPROCS), at least 10.
// Idle connections are kept up to the same number (database/sql's own
// default keeps 2, so a server with more concurrent requests than that
// opens and closes connections all the time). An in-memory SQLite
// database keeps its single connection.
func DefaultMaxOpenConns() int { return max(10, 4*runtime.GOMAXPROCS(0)) }

// serverDefaults fills the pool settings the caller did not give: the
// dialect's, then DefaultMaxOpenConns.
func serverDefaults(cfg *config, d dialect.Dialect, copts dialect.ConnOptions) {
	if !cfg.maxOpenGiven {
		cfg.maxOpen, cfg.maxOpenGiven = DefaultMaxOpenConns(), true
	}
	if !cfg.lifeGiven && copts.ConnMaxLifetime > 0 {
		cfg.maxLifetime, cfg.lifeGiven = copts.ConnMaxLifetime, true
	}
	if !cfg.idleGiven && copts.ConnMaxIdleTime > 0 {
		cfg.maxIdleTime, cfg.idleGiven = copts.ConnMaxIdleTime, true
	}
}

// connLost reports whether err says the connection is dead, whatever the
// driver: database/sql's driver.ErrBadConn, a network error, or the
// stream ending in the middle of a message.
func connLost(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne *net.OpError
	return errors.As(err, &ne)
}

// writeQueueWait bounds the wait in the engine's write queue (wsem);
// past it a writer goes on to the database's own lock wait (the busy
// timeout), so a transaction that was never ended cannot block the
// others forever.
const writeQueueWait = 5 * time.Second

// queueWrite waits for the engine's write slot; it returns the function
// that gives it back (a no-op when the slot was not taken).
func (e *Engine) queueWrite(ctx context.Context) (func(), error) {
	if e.wsem == nil {
		return func() {}, nil
	}
	select {
	case e.wsem <- struct{}{}:
		return e.releaseWrite, nil
	default:
	}
	t := time.NewTimer(writeQueueWait)
	defer t.Stop()
	select {
	case e.wsem <- struct{}{}:
		return e.releaseWrite, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return func() {}, nil
	}
}

func (e *Engine) releaseWrite() { <-e.wsem }

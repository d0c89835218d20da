package engine

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"runtime"
	"syscall"

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

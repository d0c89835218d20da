package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sync/atomic"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
)

// WithReplicas gives Open the URLs of read replicas of the database
// (PostgreSQL streaming replicas, say). Each gets a pool of its own with
// the same options. Reads that do not need the primary (see Reader) run
// on them in turn; everything else runs on the primary. A replica that
// cannot be reached is skipped for ReplicaRetryAfter and its reads go to
// the primary meanwhile; Open does not fail because a replica is down.
func WithReplicas(urls ...string) Option {
	return func(c *config) { c.replicaURLs = append(c.replicaURLs, urls...) }
}

// ReplicaRetryAfter is how long a replica that could not be reached is
// left out of the rotation.
const ReplicaRetryAfter = 2 * time.Second

type replica struct {
	e         *Engine
	downUntil atomic.Int64 // UnixNano; 0: up
}

func (r *replica) up(now int64) bool { return r.downUntil.Load() <= now }

func (r *replica) markDown() { r.downUntil.Store(time.Now().Add(ReplicaRetryAfter).UnixNano()) }

// openReplicas opens the pools of cfg.replicaURLs.
func (e *Engine) openReplicas(ctx context.Context, cfg *config) error {
	for _, u := range cfg.replicaURLs {
		rc := *cfg
		rc.replicaURLs, rc.skipPing, rc.logger = nil, true, e.log
		re, err := open(ctx, u, &rc)
		if err != nil {
			return fmt.Errorf("arc: open replica: %w", err)
		}
		if re.d.Name() != e.d.Name() {
			_ = re.Close()
			return fmt.Errorf("arc: open replica %s: dialect %s, but the primary's is %s", re.url, re.d.Name(), e.d.Name())
		}
		r := &replica{e: re}
		if !cfg.skipPing {
			if err := re.db.PingContext(ctx); err != nil {
				e.log.Warnf("arc: replica %s unreachable, reads go to the primary for now: %v", re.url, err)
				r.markDown()
			}
		}
		e.replicas = append(e.replicas, r)
	}
	return nil
}

// Replicas returns the engines of the read replicas, in the order given
// to WithReplicas (nil without replicas).
func (e *Engine) Replicas() []*Engine {
	out := make([]*Engine, len(e.replicas))
	for i, r := range e.replicas {
		out[i] = r.e
	}
	return out
}

// Reader returns where a read that does not need the primary runs: the
// engine itself without replicas; with replicas, an Executor whose Query
// runs on the next replica that is up (round robin) and falls back to
// the primary when that replica's connection fails or it cancels the
// query for a recovery conflict. Its Exec runs on the primary: a replica
// never gets a write. Replicas lag behind the primary (see
// docs/engine.md): read what a request wrote from the primary.
func (e *Engine) Reader() Executor {
	if len(e.replicas) == 0 {
		return e
	}
	return replicaReader{e}
}

type replicaReader struct{ e *Engine }

func (r replicaReader) Dialect() dialect.Dialect { return r.e.d }

func (r replicaReader) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return r.e.Exec(ctx, q, args...)
}

func (r replicaReader) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	e := r.e
	n := len(e.replicas)
	now := time.Now().UnixNano()
	start := int(e.next.Add(1))
	for i := range n {
		rep := e.replicas[(start+i)%n]
		if !rep.up(now) {
			continue
		}
		rows, err := rep.e.Query(ctx, q, args...)
		if err == nil || ctx.Err() != nil {
			return rows, err
		}
		switch {
		case errors.Is(err, arcerr.ErrConnectionLost):
			rep.markDown()
			e.log.Warnf("arc: replica %s failed, reading from the primary: %v", rep.e.url, err)
		case errors.Is(err, arcerr.ErrConflict): // canceled for a recovery conflict
		default:
			return nil, err
		}
	}
	return e.Query(ctx, q, args...)
}

package stmtcache

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// fake is a driver that counts what the cache asks of it.
type fake struct {
	prepared map[string]int // prepares per text
	closed   map[string]int // statement closes per text
	direct   int            // statements run without preparing
	live     map[string]int // open prepared statements per text
	failWith error          // the next execution's error
}

func newFake() *fake {
	return &fake{prepared: map[string]int{}, closed: map[string]int{}, live: map[string]int{}}
}

type fakeConnector struct{ f *fake }

func (c fakeConnector) Connect(context.Context) (driver.Conn, error) { return &fakeConn{f: c.f}, nil }
func (c fakeConnector) Driver() driver.Driver                        { return nil }

type fakeConn struct{ f *fake }

func (c *fakeConn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}
func (c *fakeConn) PrepareContext(_ context.Context, q string) (driver.Stmt, error) {
	c.f.prepared[q]++
	c.f.live[q]++
	return &fakeStmt{f: c.f, q: q}, nil
}
func (c *fakeConn) Close() error              { return nil }
func (c *fakeConn) Begin() (driver.Tx, error) { return fakeTx{}, nil }
func (c *fakeConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	c.f.direct++
	return driver.RowsAffected(1), nil
}
func (c *fakeConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	c.f.direct++
	return &fakeRows{n: 1}, nil
}

type fakeTx struct{}

func (fakeTx) Commit() error   { return nil }
func (fakeTx) Rollback() error { return nil }

type fakeStmt struct {
	f *fake
	q string
}

func (s *fakeStmt) Close() error {
	s.f.closed[s.q]++
	s.f.live[s.q]--
	return nil
}
func (s *fakeStmt) NumInput() int { return -1 }
func (s *fakeStmt) Exec([]driver.Value) (driver.Result, error) {
	return nil, errors.New("not used")
}
func (s *fakeStmt) Query([]driver.Value) (driver.Rows, error) { return nil, errors.New("not used") }
func (s *fakeStmt) ExecContext(context.Context, []driver.NamedValue) (driver.Result, error) {
	if err := s.f.failWith; err != nil {
		s.f.failWith = nil
		return nil, err
	}
	return driver.RowsAffected(1), nil
}
func (s *fakeStmt) QueryContext(context.Context, []driver.NamedValue) (driver.Rows, error) {
	if err := s.f.failWith; err != nil {
		s.f.failWith = nil
		return nil, err
	}
	return &fakeRows{n: 2}, nil
}

type fakeRows struct{ n int }

func (r *fakeRows) Columns() []string { return []string{"x"} }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.n == 0 {
		return io.EOF
	}
	r.n--
	dest[0] = int64(r.n)
	return nil
}

var errStale = errors.New("cached plan must not change result type")

func open(t *testing.T, size int) (*sql.Conn, *fake) {
	t.Helper()
	f := newFake()
	db := sql.OpenDB(New(fakeConnector{f}, size, func(err error) bool { return errors.Is(err, errStale) }))
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	cn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cn.Close() })
	return cn, f
}

// TestPreparesOnce: a statement with arguments is prepared on its
// connection once and run from there; one without arguments passes
// through; size 0 turns the cache off.
func TestPreparesOnce(t *testing.T) {
	ctx := context.Background()
	cn, f := open(t, 4)
	for range 3 {
		if _, err := cn.ExecContext(ctx, "UPDATE t SET x = ?", 1); err != nil {
			t.Fatal(err)
		}
	}
	if f.prepared["UPDATE t SET x = ?"] != 1 {
		t.Fatalf("prepared %d times, want 1", f.prepared["UPDATE t SET x = ?"])
	}
	if _, err := cn.ExecContext(ctx, "DELETE FROM t"); err != nil {
		t.Fatal(err)
	}
	if f.direct != 1 || f.prepared["DELETE FROM t"] != 0 {
		t.Fatalf("a statement without arguments: direct %d, prepared %d", f.direct, f.prepared["DELETE FROM t"])
	}

	off, f0 := open(t, 0)
	for range 2 {
		if _, err := off.ExecContext(ctx, "UPDATE t SET x = ?", 1); err != nil {
			t.Fatal(err)
		}
	}
	if len(f0.prepared) != 0 || f0.direct != 2 {
		t.Fatalf("size 0: prepared %v, direct %d", f0.prepared, f0.direct)
	}
}

// TestStaleDropped: an execution error the caller calls stale drops the
// statement (closed on the server) and the next run prepares it again;
// any other error keeps it.
func TestStaleDropped(t *testing.T) {
	ctx := context.Background()
	cn, f := open(t, 4)
	q := "SELECT x FROM t WHERE y = ?"
	run := func() error {
		rows, err := cn.QueryContext(ctx, q, 1)
		if err != nil {
			return err
		}
		return rows.Close()
	}
	if err := run(); err != nil {
		t.Fatal(err)
	}
	f.failWith = errors.New("division by zero")
	if err := run(); err == nil {
		t.Fatal("want the execution's error")
	}
	if f.closed[q] != 0 {
		t.Fatal("a plain error dropped the statement")
	}
	f.failWith = errStale
	if err := run(); !errors.Is(err, errStale) {
		t.Fatalf("err = %v, want the stale error itself", err)
	}
	if f.closed[q] != 1 {
		t.Fatalf("stale statement closed %d times, want 1", f.closed[q])
	}
	if err := run(); err != nil {
		t.Fatal(err)
	}
	if f.prepared[q] != 2 {
		t.Fatalf("prepared %d times, want 2 (again after the stale one)", f.prepared[q])
	}
}

// TestBusy: while a result of a cached statement is open, the connection
// refuses other statements with ErrBusy; closing the result frees it.
func TestBusy(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	c, err := New(fakeConnector{f}, 4, nil).Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cn := c.(*conn)
	args := []driver.NamedValue{{Ordinal: 1, Value: int64(1)}}
	r, err := cn.QueryContext(ctx, "SELECT ?", args)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cn.ExecContext(ctx, "UPDATE t SET x = ?", args); !errors.Is(err, ErrBusy) {
		t.Fatalf("Exec while a result is open: %v, want ErrBusy", err)
	}
	if _, err := cn.QueryContext(ctx, "SELECT ?", args); !errors.Is(err, ErrBusy) {
		t.Fatalf("Query while a result is open: %v, want ErrBusy", err)
	}
	if _, err := cn.BeginTx(ctx, driver.TxOptions{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("BeginTx while a result is open: %v, want ErrBusy", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cn.ExecContext(ctx, "UPDATE t SET x = ?", args); err != nil {
		t.Fatal(err)
	}
}

// TestLRU checks the cache against a reference LRU list with rapid: after
// any sequence of statements over a few texts, the connection holds the
// size most recently used texts, each prepared and open once, and every
// other statement it prepared is closed.
func TestLRU(t *testing.T) {
	texts := []string{"q0 ?", "q1 ?", "q2 ?", "q3 ?", "q4 ?", "q5 ?"}
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		size := rapid.IntRange(1, 5).Draw(t, "size")
		f := newFake()
		c, err := New(fakeConnector{f}, size, func(err error) bool { return errors.Is(err, errStale) }).Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cn := c.(*conn)
		var want []string // most recent first
		args := []driver.NamedValue{{Ordinal: 1, Value: int64(1)}}
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for range steps {
			q := rapid.SampledFrom(texts).Draw(t, "q")
			stale := rapid.IntRange(0, 9).Draw(t, "one in ten stale") == 0
			if stale {
				f.failWith = errStale
			}
			if rapid.Bool().Draw(t, "query") {
				r, err := cn.QueryContext(ctx, q, args)
				if err == nil {
					_ = r.Close()
				}
			} else {
				_, _ = cn.ExecContext(ctx, q, args)
			}
			// The statement is cached (evicting the least recently used
			// beyond size) before it runs; a stale failure then drops it.
			want = slices.DeleteFunc(want, func(s string) bool { return s == q })
			want = slices.Insert(want, 0, q)
			if len(want) > size {
				want = want[:size]
			}
			if stale {
				want = want[1:]
			}
		}
		var got []string
		for e := cn.lru.next; cn.stmts != nil && e != &cn.lru; e = e.next {
			got = append(got, e.q)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("cached %v, want %v", got, want)
		}
		if len(cn.stmts) != len(want) {
			t.Fatalf("map holds %d statements, list %d", len(cn.stmts), len(want))
		}
		for _, q := range texts {
			wantLive := 0
			if slices.Contains(want, q) {
				wantLive = 1
			}
			if f.live[q] != wantLive {
				t.Fatalf("%s: %d open prepared statements, want %d", q, f.live[q], wantLive)
			}
		}
	})
}

package benchmarks

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// turnProxy is a TCP proxy on loopback in front of the PostgreSQL server
// that counts round trips: a round trip starts whenever the client sends
// after the server has answered (or at the first send of a connection).
// Messages a client pipelines without waiting count once, however the
// kernel splits them; it sees the wire, so it counts what any driver does
// (lib/pq's Parse/Describe/Sync then Bind/Execute, pgx's statement cache,
// BEGIN and COMMIT) without knowing either.
type turnProxy struct {
	ln     net.Listener
	target string
	turns  atomic.Int64
	wg     sync.WaitGroup
}

func newTurnProxy(target string) (*turnProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &turnProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *turnProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		var mu sync.Mutex
		up := false // the last bytes went client → server
		pipe := func(dst, src net.Conn, toServer bool) {
			defer dst.Close()
			defer src.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := src.Read(buf)
				if n > 0 {
					mu.Lock()
					if toServer && !up {
						p.turns.Add(1)
					}
					up = toServer
					mu.Unlock()
					if _, werr := dst.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}
		go pipe(s, c, true)
		go pipe(c, s, false)
	}
}

func (p *turnProxy) close() { p.ln.Close(); p.wg.Wait() }

// TestRoundTrips counts the round trips of each everyday operation of each
// library on PostgreSQL (lib/pq and pgx) and MariaDB (go-sql-driver/mysql),
// through turnProxy: each operation runs 3 times to warm caches (prepared
// statements, pools), then 20 times counted. It runs only when
// EVERYDAY_RT names the file to write its table to (make bench-everyday
// does); BENCH_DIALECTS limits it as it does BenchmarkEveryday.
func TestRoundTrips(t *testing.T) {
	out := os.Getenv("EVERYDAY_RT")
	if out == "" {
		t.Skip("EVERYDAY_RT not set")
	}
	ctx := context.Background()
	const runs = 20
	var sb strings.Builder
	sb.WriteString("| driver | library | insert 1 | insert 100 | update 1 | get 1 | read 100 |\n|---|---|--:|--:|--:|--:|--:|\n")
	proxies := map[string]*rtEnv{}
	for _, d := range everydayDialects() {
		envName, driverName, label := d, d, d
		switch d {
		case "sqlite":
			continue // in the process: no round trips
		case "postgres":
			label = "lib/pq"
		case "pgx":
			envName, label = "postgres", "pgx"
		case "mysql":
			label = "go-sql-driver/mysql (MariaDB)"
		}
		re := proxies[envName]
		if re == nil {
			e, err := getEnv(envName)
			if err != nil {
				t.Logf("%s: %v (skipped)", envName, err)
				continue
			}
			if re, err = newRTEnv(e); err != nil {
				t.Fatal(err)
			}
			defer re.p.close()
			proxies[envName] = re
		}
		arcURL := re.arcURL
		if d == "pgx" {
			arcURL = ""
		}
		l, err := newLibs(ctx, d, driverName, re.dsn, arcURL)
		if err != nil {
			t.Fatal(err)
		}
		for _, lib := range everydayLibs[d] {
			cells := []string{label, lib}
			has := false
			for _, op := range everydayOps {
				fn := edOp(l, op, lib)
				if fn == nil {
					cells = append(cells, "")
					continue
				}
				has = true
				for range 3 {
					if err := fn(ctx); err != nil {
						t.Fatalf("%s %s %s: %v", d, op, lib, err)
					}
				}
				before := re.p.turns.Load()
				for range runs {
					if err := fn(ctx); err != nil {
						t.Fatalf("%s %s %s: %v", d, op, lib, err)
					}
				}
				cells = append(cells, fmt.Sprintf("%.3g", float64(re.p.turns.Load()-before)/runs))
			}
			if has {
				sb.WriteString("| " + strings.Join(cells, " | ") + " |\n")
			}
		}
		l.close()
	}
	t.Log("\n" + sb.String())
	if err := os.WriteFile(out, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rtEnv is a seeded database reached through a turnProxy: the driver's
// DSN and Arc's URL with the proxy's address.
type rtEnv struct {
	p           *turnProxy
	dsn, arcURL string
}

func newRTEnv(e *env) (*rtEnv, error) {
	u, err := url.Parse(e.arcURL)
	if err != nil {
		return nil, err
	}
	p, err := newTurnProxy(u.Host)
	if err != nil {
		return nil, err
	}
	u.Host = p.ln.Addr().String()
	re := &rtEnv{p: p, arcURL: u.String(), dsn: u.String()}
	if e.my {
		if re.dsn, err = mysqlDSN(u); err != nil {
			p.close()
			return nil, err
		}
	}
	return re, nil
}

// Command load is Arc's load benchmark (make bench-load): N goroutines
// (8, 32, 128 by default) serve "requests", each with a session of its
// own, on SQLite (a file, default URL), PostgreSQL and MariaDB/MySQL
// (default options; a schema or database of its own, dropped at the end),
// and the same requests written by hand with database/sql run in the same
// process on the same pool. Half the requests read a shared row and then
// write it (and insert a row); the other half only read. It reports
// requests per second, p50 and p99 latency, errors (which must be 0) and
// the retried conflicts (Arc's Transaction with Retry).
//
// It is bounded: each configuration stops after -requests requests or
// -max time, whichever comes first, and it talks to 127.0.0.1 only.
//
//	go run ./cmd/load [-n 8,32,128] [-requests 3000] [-max 8s] [-dialects sqlite,postgres,mysql]
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/session"
)

// Item is a shared row that requests like.
type Item struct {
	ID    int64
	Name  string
	Likes int64
}

// Favorite is the row a liking request adds.
type Favorite struct {
	ID     int64
	ItemID int64 `arc:"fk:items.id;index"`
	Who    int64
}

const nItems = 20

var (
	flagN        = flag.String("n", "8,32,128", "concurrent goroutines, comma-separated")
	flagRequests = flag.Int("requests", 3000, "requests per configuration")
	flagMax      = flag.Duration("max", 8*time.Second, "time limit per configuration")
	flagDialects = flag.String("dialects", "sqlite,postgres,mysql", "dialects")
	flagPG       = flag.String("pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL URL (loopback)")
	flagMySQL    = flag.String("mysql", "mysql://root@127.0.0.1:3306/test", "MariaDB/MySQL URL (loopback)")
	flagWrites   = flag.Float64("writes", 0.5, "share of read-then-write requests")
	flagImpl     = flag.String("impl", "arc,database/sql", "implementations to run")
	flagProfile  = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
)

func main() {
	flag.Parse()
	if *flagProfile != "" {
		f, err := os.Create(*flagProfile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	var ns []int
	for _, f := range strings.Split(*flagN, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fail(fmt.Errorf("bad -n %q", *flagN))
		}
		ns = append(ns, n)
	}
	fmt.Printf("# bench-load: %s, GOMAXPROCS=%d, %d requests or %s per row, %.0f%% read-then-write\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.GOMAXPROCS(0), *flagRequests, *flagMax, *flagWrites*100)
	fmt.Println("| dialect | N | impl | req/s | p50 | p99 | errors | retried |")
	fmt.Println("|---|---:|---|---:|---:|---:|---:|---:|")
	failed := false
	for _, d := range strings.Split(*flagDialects, ",") {
		if err := runDialect(strings.TrimSpace(d), ns, &failed); err != nil {
			fail(err)
		}
	}
	if failed {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "load: some requests failed")
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(2)
}

func runDialect(name string, ns []int, failed *bool) error {
	ctx := context.Background()
	var rawURL string
	var cleanup func()
	switch name {
	case "sqlite":
		dir, err := os.MkdirTemp("", "arc-load-")
		if err != nil {
			return err
		}
		cleanup = func() { os.RemoveAll(dir) }
		rawURL = "sqlite:///" + filepath.ToSlash(filepath.Join(dir, "load.db"))
	case "postgres":
		u, err := url.Parse(*flagPG)
		if err != nil {
			return err
		}
		if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
			return fmt.Errorf("-pg must be a loopback address, not %s", h)
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "arc_load_" + hex.EncodeToString(b)
		admin, err := sql.Open("postgres", *flagPG)
		if err != nil {
			return err
		}
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			admin.Close()
			return fmt.Errorf("postgres: %w", err)
		}
		cleanup = func() {
			_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		rawURL = u.String()
	case "mysql":
		u, err := url.Parse(*flagMySQL)
		if err != nil {
			return err
		}
		if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
			return fmt.Errorf("-mysql must be a loopback address, not %s", h)
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		dbName := "arc_load_" + hex.EncodeToString(b)
		c := mysql.NewConfig()
		c.User = u.User.Username()
		c.Passwd, _ = u.User.Password()
		c.Net, c.Addr = "tcp", u.Host
		admin, err := sql.Open("mysql", c.FormatDSN())
		if err != nil {
			return err
		}
		if _, err := admin.Exec("CREATE DATABASE " + dbName + " CHARACTER SET utf8mb4"); err != nil {
			admin.Close()
			return fmt.Errorf("mysql: %w", err)
		}
		cleanup = func() {
			_, _ = admin.Exec("DROP DATABASE " + dbName)
			admin.Close()
		}
		u.Path = "/" + dbName
		rawURL = u.String()
	default:
		return fmt.Errorf("unknown dialect %q", name)
	}
	defer cleanup()
	eng, err := arc.Open(ctx, rawURL) // default options
	if err != nil {
		return err
	}
	defer eng.Close()
	if err := arc.CreateAll(ctx, eng, Item{}, Favorite{}); err != nil {
		return err
	}
	s := arc.NewSession(eng)
	for i := range nItems {
		if err := s.Add(&Item{Name: "item" + strconv.Itoa(i)}); err != nil {
			return err
		}
	}
	if err := s.Commit(arc.WithSession(ctx, s)); err != nil {
		return err
	}
	_ = s.Close(ctx)
	raw := newRaw(eng.DB(), name == "postgres")
	for _, n := range ns {
		for _, impl := range strings.Split(*flagImpl, ",") {
			var req func(ctx context.Context, write bool, item, who int64) (retried bool, err error)
			if impl == "arc" {
				req = func(ctx context.Context, write bool, item, who int64) (bool, error) {
					return arcRequest(ctx, eng, write, item, who)
				}
			} else {
				req = raw.request
			}
			r := run(ctx, n, req)
			fmt.Printf("| %s | %d | %s | %.0f | %s | %s | %d | %d |\n", name, n, impl, r.rps, ms(r.p50), ms(r.p99), r.errors, r.retried)
			if r.errors > 0 {
				*failed = true
				fmt.Fprintf(os.Stderr, "load: %s %s N=%d: first error: %v\n", name, impl, n, r.firstErr)
			}
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

type result struct {
	rps           float64
	p50, p99      time.Duration
	errors        int64
	retried       int64
	firstErr      error
	firstErrOnce  sync.Once
	requestsTaken atomic.Int64
}

// run serves requests from n goroutines until the request budget or the
// time limit is spent.
func run(ctx context.Context, n int, req func(ctx context.Context, write bool, item, who int64) (bool, error)) *result {
	r := &result{}
	deadline := time.Now().Add(*flagMax)
	lat := make([][]time.Duration, n)
	var errs, retried atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(g), 42))
			for r.requestsTaken.Add(1) <= int64(*flagRequests) && time.Now().Before(deadline) {
				write := rng.Float64() < *flagWrites
				item := 1 + rng.Int64N(nItems)
				t0 := time.Now()
				re, err := req(ctx, write, item, int64(g))
				lat[g] = append(lat[g], time.Since(t0))
				if re {
					retried.Add(1)
				}
				if err != nil {
					errs.Add(1)
					r.firstErrOnce.Do(func() { r.firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	r.rps = float64(len(all)) / elapsed.Seconds()
	if len(all) > 0 {
		r.p50 = all[len(all)/2]
		r.p99 = all[len(all)*99/100]
	}
	r.errors, r.retried = errs.Load(), retried.Load()
	return r
}

// arcRequest is one request with a session of its own: read the item,
// then (write) like it and record the favorite, in a Transaction that
// retries conflicts; or (read-only) read it and its latest favorites in
// a read-only session.
func arcRequest(ctx context.Context, eng *arc.Engine, write bool, item, who int64) (bool, error) {
	F := arc.Cols[Favorite]()
	if !write {
		s := arc.NewSession(eng, arc.ReadOnly())
		defer s.Close(ctx)
		ctx := arc.WithSession(ctx, s)
		if _, err := arc.Get[Item](ctx, item); err != nil {
			return false, err
		}
		_, err := arc.Select[Favorite]().Where(arc.Eq(&F.ItemID, item)).OrderBy(arc.Desc(&F.ID)).Limit(10).All(ctx)
		return false, err
	}
	attempts := 0
	err := arc.Transaction(ctx, eng, func(ctx context.Context) error {
		attempts++
		it, err := arc.Get[Item](ctx, item)
		if err != nil {
			return err
		}
		it.Likes++
		return session.From(ctx).Add(&Favorite{ItemID: item, Who: who})
	}, arc.Retry(5, 100*time.Millisecond))
	return attempts > 1, err
}

// raw is the same requests written by hand on the engine's pool.
type raw struct {
	db                               *sql.DB
	getItem, favs, update, insertFav string
}

func newRaw(db *sql.DB, pg bool) *raw {
	q := func(s string) string {
		if !pg {
			return s
		}
		n := 0
		var b strings.Builder
		for _, r := range s {
			if r == '?' {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				continue
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	return &raw{
		db:        db,
		getItem:   q("SELECT id, name, likes FROM items WHERE id = ?"),
		favs:      q("SELECT id, item_id, who FROM favorites WHERE item_id = ? ORDER BY id DESC LIMIT 10"),
		update:    q("UPDATE items SET likes = ? WHERE id = ?"),
		insertFav: q("INSERT INTO favorites (item_id, who) VALUES (?, ?)"),
	}
}

// request reads outside a transaction and writes in one, as Arc's
// session does (a DEFERRED SQLite transaction that read first could not
// upgrade its lock under load).
func (r *raw) request(ctx context.Context, write bool, item, who int64) (bool, error) {
	var it Item
	if err := r.db.QueryRowContext(ctx, r.getItem, item).Scan(&it.ID, &it.Name, &it.Likes); err != nil {
		return false, err
	}
	if !write {
		rows, err := r.db.QueryContext(ctx, r.favs, item)
		if err != nil {
			return false, err
		}
		defer rows.Close()
		var out []Favorite
		for rows.Next() {
			var f Favorite
			if err := rows.Scan(&f.ID, &f.ItemID, &f.Who); err != nil {
				return false, err
			}
			out = append(out, f)
		}
		return false, rows.Err()
	}
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, r.update, it.Likes+1, item); err != nil {
		_ = tx.Rollback()
		return false, err
	}
	if _, err := tx.ExecContext(ctx, r.insertFav, item, who); err != nil {
		_ = tx.Rollback()
		return false, err
	}
	return false, tx.Commit()
}

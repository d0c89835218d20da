package arc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/internal/dbtest"
)

// WAuthor and WPost are the models of the hammered web app.
type WAuthor struct {
	ID    int64
	Name  string
	Hits  int64
	Ver   int64           `arc:"version"`
	Posts arc.Many[WPost] `arc:"back_populates:Author;order_by:id;cascade:all,delete-orphan"`
}

type WPost struct {
	ID       int64
	Title    string
	AuthorID *int64           `arc:"fk:w_authors.id"`
	Author   arc.One[WAuthor] `arc:"back_populates:Posts"`
}

// webApp is a small JSON app over one shared engine: a session per
// request, closed when the request ends.
func webApp(eng *arc.Engine) http.Handler {
	mux := http.NewServeMux()
	status := func(w http.ResponseWriter, err error) {
		switch {
		case errors.Is(err, arc.ErrNotFound):
			http.Error(w, err.Error(), http.StatusNotFound)
		case errors.Is(err, arc.ErrStaleData):
			http.Error(w, err.Error(), http.StatusConflict)
		case arc.IsRetryable(err):
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		default:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}
	withSession := func(h func(ctx context.Context, r *http.Request) (any, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			s := arc.NewSession(eng)
			defer s.Close(r.Context())
			ctx := arc.WithSession(r.Context(), s)
			out, err := h(ctx, r)
			if err == nil {
				err = s.Commit(ctx)
			}
			if err != nil {
				status(w, err)
				return
			}
			_ = json.NewEncoder(w).Encode(out)
		}
	}
	id := func(r *http.Request) int64 {
		n, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		return n
	}
	mux.HandleFunc("POST /authors", withSession(func(ctx context.Context, r *http.Request) (any, error) {
		a := &WAuthor{Name: r.URL.Query().Get("name")}
		n, _ := strconv.Atoi(r.URL.Query().Get("posts"))
		for i := range n {
			a.Posts.Append(&WPost{Title: fmt.Sprintf("%s-%d", a.Name, i)})
		}
		if err := arc.SessionFrom(ctx).Add(a); err != nil {
			return nil, err
		}
		if err := arc.SessionFrom(ctx).Flush(ctx); err != nil {
			return nil, err
		}
		return a.ID, nil
	}))
	mux.HandleFunc("GET /authors", withSession(func(ctx context.Context, r *http.Request) (any, error) {
		A := arc.Cols[WAuthor]()
		as, err := arc.Select[WAuthor]().Options(arc.SelectIn(&A.Posts)).OrderBy(&A.ID).All(ctx)
		if err != nil {
			return nil, err
		}
		out := map[int64]int{}
		for _, a := range as {
			out[a.ID] = a.Posts.Len()
		}
		return out, nil
	}))
	mux.HandleFunc("POST /authors/{id}/hit", withSession(func(ctx context.Context, r *http.Request) (any, error) {
		a, err := arc.Get[WAuthor](ctx, id(r))
		if err != nil {
			return nil, err
		}
		a.Hits++
		return a.Hits, nil
	}))
	mux.HandleFunc("POST /authors/{id}/posts", withSession(func(ctx context.Context, r *http.Request) (any, error) {
		a, err := arc.Get[WAuthor](ctx, id(r))
		if err != nil {
			return nil, err
		}
		posts, err := a.Posts.Load(ctx)
		if err != nil {
			return nil, err
		}
		a.Posts.Append(&WPost{Title: fmt.Sprintf("extra-%d", len(posts))})
		return nil, nil
	}))
	mux.HandleFunc("DELETE /posts/{id}", withSession(func(ctx context.Context, r *http.Request) (any, error) {
		p, err := arc.Get[WPost](ctx, id(r))
		if err != nil {
			return nil, err
		}
		return nil, arc.SessionFrom(ctx).Delete(p)
	}))
	return mux
}

// TestWebAppUnderLoad hammers the app from many goroutines at
// once on every dialect, with a compiled-statement cache and a prepared
// statement cache of two entries (so both evict all the time), and checks
// afterwards: every hit that got 200 is counted exactly once (the version
// column turns a lost update into a 409), every error the app saw was a
// stale-data conflict, a retryable error or a 404 of a deleted post, the
// rows add up, no connection is still in use and no goroutine is left.
func TestWebAppUnderLoad(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, name string) {
		ctx := context.Background()
		eng := dbtest.Open(t, name, arc.WithCompiledCacheSize(2), arc.WithStatementCacheSize(2), arc.WithMaxOpenConns(8))
		baseline := runtime.NumGoroutine() // the harness's and the engine's pools are open
		require.NoError(t, arc.CreateAll(ctx, eng, WAuthor{}, WPost{}))
		srv := httptest.NewServer(webApp(eng))
		client := srv.Client()

		const workers, authors, rounds = 12, 4, 12
		call := func(method, path string) (int, string) {
			req, err := http.NewRequest(method, srv.URL+path, nil)
			require.NoError(t, err)
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			return resp.StatusCode, b.String()
		}
		ids := make([]int64, authors)
		for i := range ids {
			code, body := call("POST", fmt.Sprintf("/authors?name=a%d&posts=3", i))
			require.Equal(t, 200, code, body)
			n, err := strconv.ParseInt(strings.TrimSpace(body), 10, 64)
			require.NoError(t, err)
			ids[i] = n
		}

		var hits, created, extra, deleted, conflicts, retried atomic.Int64
		var mu sync.Mutex
		var unexpected []string
		bad := func(what string, code int, body string) {
			mu.Lock()
			unexpected = append(unexpected, fmt.Sprintf("%s: %d %s", what, code, body))
			mu.Unlock()
		}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					a := ids[(w+r)%authors]
					switch (w + r) % 5 {
					case 0, 1: // hit until it counts
						for {
							code, body := call("POST", fmt.Sprintf("/authors/%d/hit", a))
							if code == 200 {
								hits.Add(1)
								break
							}
							if code == 409 {
								conflicts.Add(1)
								continue
							}
							if code == 503 {
								retried.Add(1)
								continue
							}
							bad("hit", code, body)
							break
						}
					case 2:
						code, body := call("POST", fmt.Sprintf("/authors?name=w%d-%d&posts=2", w, r))
						if code == 200 {
							created.Add(1)
						} else if code != 503 {
							bad("create", code, body)
						}
					case 3:
						code, body := call("POST", fmt.Sprintf("/authors/%d/posts", a))
						switch code {
						case 200:
							extra.Add(1)
						case 409, 503:
						default:
							bad("add post", code, body)
						}
					case 4:
						code, body := call("GET", "/authors")
						if code != 200 && code != 503 {
							bad("list", code, body)
						}
						var m map[string]int
						if code == 200 && json.Unmarshal([]byte(body), &m) != nil {
							bad("list json", code, body)
						}
						pid := int64(1 + (w*rounds+r)%(authors*3))
						code, body = call("DELETE", fmt.Sprintf("/posts/%d", pid))
						switch code {
						case 200:
							deleted.Add(1)
						case 404, 409, 503:
						default:
							bad("delete", code, body)
						}
					}
				}
			}()
		}
		wg.Wait()
		client.CloseIdleConnections()
		srv.Close()
		assert.Empty(t, unexpected)
		t.Logf("hits %d (409s %d, 503s %d), authors +%d, posts +%d -%d", hits.Load(), conflicts.Load(), retried.Load(), created.Load(), extra.Load(), deleted.Load())

		s := arc.NewSession(eng)
		defer s.Close(ctx)
		sctx := arc.WithSession(ctx, s)
		var total int64
		for _, id := range ids {
			a, err := arc.Get[WAuthor](sctx, id)
			require.NoError(t, err)
			total += a.Hits
		}
		assert.Equal(t, hits.Load(), total, "every counted hit is in the database once")
		nAuthors, err := arc.QueryOf[WAuthor](s).Count(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(authors)+created.Load(), nAuthors)
		nPosts, err := arc.QueryOf[WPost](s).Count(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(authors*3)+2*created.Load()+extra.Load()-deleted.Load(), nPosts)
		require.NoError(t, s.Close(ctx))

		assert.Equal(t, 0, eng.DB().Stats().InUse, "no connection left in use")
		require.NoError(t, eng.Close())
		// The server's and the requests' goroutines end shortly after Close.
		for i := 0; i < 200 && runtime.NumGoroutine() > baseline; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > baseline {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines left (baseline %d):\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
		}
	})
}

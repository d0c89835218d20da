package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
)

// statements counts the SQL statements the engine echoes (BEGIN, COMMIT
// and ROLLBACK are logged without a duration and are not counted).
type statements struct{ n atomic.Int64 }

func (s *statements) Levels() []logrus.Level { return logrus.AllLevels }
func (s *statements) Fire(e *logrus.Entry) error {
	if _, ok := e.Data["took"]; ok {
		s.n.Add(1)
	}
	return nil
}

type client struct {
	t   *testing.T
	srv *httptest.Server
}

func (c client) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.srv.URL+path, rd)
	require.NoError(c.t, err)
	resp, err := c.srv.Client().Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var out map[string]any
	if resp.StatusCode != http.StatusNoContent {
		require.NoError(c.t, json.NewDecoder(resp.Body).Decode(&out))
	}
	return resp.StatusCode, out
}

func TestWebAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := t.Context()
		require.NoError(t, arc.CreateAll(ctx, eng, Models...))
		counter := &statements{}
		eng.Logger().SetOutput(io.Discard)
		eng.Logger().AddHook(counter)
		eng.SetEcho(true)
		srv := httptest.NewServer(NewApp(eng))
		defer srv.Close()
		c := client{t, srv}

		// Users: created, a taken name is a conflict, an empty one invalid.
		st, ann := c.do("POST", "/users", map[string]any{"name": "ann", "bio": "writes"})
		require.Equal(t, http.StatusCreated, st, ann)
		annID := ann["id"].(float64)
		st, body := c.do("POST", "/users", map[string]any{"name": "ann"})
		require.Equal(t, http.StatusConflict, st, body)
		st, body = c.do("POST", "/users", map[string]any{"name": " "})
		require.Equal(t, http.StatusUnprocessableEntity, st, body)
		st, body = c.do("POST", "/users", map[string]any{"name": "x", "admin": true})
		require.Equal(t, http.StatusUnprocessableEntity, st, body, "unknown fields are refused")

		// Articles: created with tags; an unknown author is invalid; a
		// second article with the same title takes the same slug: conflict.
		st, art := c.do("POST", "/articles", map[string]any{"author_id": annID, "title": "Hello, Arc!", "body": "first", "tags": []string{"Go", "orm", "go"}})
		require.Equal(t, http.StatusCreated, st, art)
		require.Equal(t, "hello-arc", art["slug"])
		require.Equal(t, []any{"go", "orm"}, art["tags"])
		require.Equal(t, "ann", art["author"])
		st, body = c.do("POST", "/articles", map[string]any{"author_id": 999, "title": "Nobody"})
		require.Equal(t, http.StatusUnprocessableEntity, st, body)
		st, body = c.do("POST", "/articles", map[string]any{"author_id": annID, "title": "hello arc"})
		require.Equal(t, http.StatusConflict, st, body)

		for i := range 24 {
			tags := []string{"go", fmt.Sprintf("t%d", i%3)}
			st, body := c.do("POST", "/articles", map[string]any{"author_id": annID, "title": fmt.Sprintf("Post %02d", i), "tags": tags})
			require.Equal(t, http.StatusCreated, st, body)
		}

		// A list page costs the same number of statements whatever its
		// size: the count, the page joined to its authors, the tags IN.
		pageStatements := func(limit int) (int64, map[string]any) {
			counter.n.Store(0)
			st, page := c.do("GET", fmt.Sprintf("/articles?limit=%d", limit), nil)
			require.Equal(t, http.StatusOK, st, page)
			require.Len(t, page["articles"], limit)
			return counter.n.Load(), page
		}
		small, _ := pageStatements(2)
		large, page := pageStatements(25)
		require.Equal(t, int64(3), small)
		require.Equal(t, small, large, "statements per list page must not grow with its size")
		require.Equal(t, float64(25), page["total"])
		first := page["articles"].([]any)[0].(map[string]any)
		require.Equal(t, "ann", first["author"])
		require.Len(t, first["tags"], 2)

		st, page = c.do("GET", "/articles?tag=t1&limit=100", nil)
		require.Equal(t, http.StatusOK, st, page)
		require.Equal(t, float64(8), page["total"])
		st, body = c.do("GET", "/articles?limit=0", nil)
		require.Equal(t, http.StatusUnprocessableEntity, st, body)

		// One article; a missing one is 404.
		st, body = c.do("GET", "/articles/hello-arc", nil)
		require.Equal(t, http.StatusOK, st, body)
		require.Equal(t, "first", body["body"])
		st, body = c.do("GET", "/articles/no-such-thing", nil)
		require.Equal(t, http.StatusNotFound, st, body)

		// Optimistic locking: the version the client read must be current.
		st, body = c.do("GET", "/articles/hello-arc", nil)
		require.Equal(t, http.StatusOK, st)
		version := body["version"]
		st, body = c.do("PUT", "/articles/hello-arc", map[string]any{"title": "Hello again", "version": version, "tags": []string{"news"}})
		require.Equal(t, http.StatusOK, st, body)
		require.Equal(t, version.(float64)+1, body["version"])
		require.Equal(t, []any{"news"}, body["tags"])
		st, body = c.do("PUT", "/articles/hello-arc", map[string]any{"title": "Lost update", "version": version})
		require.Equal(t, http.StatusConflict, st, body)
		st, body = c.do("GET", "/articles/hello-arc", nil)
		require.Equal(t, http.StatusOK, st)
		require.Equal(t, "Hello again", body["title"], "a refused update changes nothing")

		// Comments, then delete with its comments.
		st, body = c.do("POST", "/articles/hello-arc/comments", map[string]any{"body": "nice"})
		require.Equal(t, http.StatusCreated, st, body)
		st, body = c.do("POST", "/articles/hello-arc/comments", map[string]any{"body": ""})
		require.Equal(t, http.StatusUnprocessableEntity, st, body)
		st, body = c.do("GET", "/articles/hello-arc", nil)
		require.Equal(t, http.StatusOK, st)
		require.Equal(t, []any{"nice"}, body["comments"])
		st, _ = c.do("DELETE", "/articles/hello-arc", nil)
		require.Equal(t, http.StatusNoContent, st)
		st, _ = c.do("GET", "/articles/hello-arc", nil)
		require.Equal(t, http.StatusNotFound, st)
		st, _ = c.do("DELETE", "/articles/hello-arc", nil)
		require.Equal(t, http.StatusNotFound, st)
	})
}

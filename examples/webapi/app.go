package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/arcorm/arc"
)

// App is the JSON API: its handlers and the engine they share. Each
// request gets its own session (unit of work and identity map), committed
// when the handler succeeds and rolled back when it fails.
type App struct {
	eng *arc.Engine
	mux *http.ServeMux
}

// NewApp returns the API on eng.
func NewApp(eng *arc.Engine) *App {
	a := &App{eng: eng, mux: http.NewServeMux()}
	a.handle("POST /users", a.createUser)
	a.handle("GET /articles", a.listArticles)
	a.handle("POST /articles", a.createArticle)
	a.handle("GET /articles/{slug}", a.getArticle)
	a.handle("PUT /articles/{slug}", a.updateArticle)
	a.handle("DELETE /articles/{slug}", a.deleteArticle)
	a.handle("POST /articles/{slug}/comments", a.addComment)
	return a
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// handlerFunc is a handler that returns its result (written as JSON with
// the given status) or an error (mapped to a status by statusOf).
type handlerFunc func(ctx context.Context, r *http.Request) (status int, body any, err error)

// handle registers h behind the session-per-request middleware.
func (a *App) handle(pattern string, h handlerFunc) {
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s := arc.NewSession(a.eng)
		defer s.Close(context.WithoutCancel(r.Context())) // rolls back whatever was not committed
		ctx := arc.WithSession(r.Context(), s)

		status, body, err := h(ctx, r)
		if err == nil {
			err = s.Commit(ctx) // flushes, then commits; a failed commit changes nothing
		}
		if err != nil {
			status = statusOf(err)
			if status == http.StatusInternalServerError {
				slog.ErrorContext(ctx, "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
				body = errorBody{Error: "internal error"}
			} else {
				body = errorBody{Error: err.Error()}
			}
		}
		writeJSON(w, status, body)
	})
}

type errorBody struct {
	Error string `json:"error"`
}

// validationError is a request the API refuses to act on (422).
type validationError struct{ msg string }

func (e *validationError) Error() string { return e.msg }

func invalid(format string, args ...any) error {
	return &validationError{msg: fmt.Sprintf(format, args...)}
}

// statusOf maps Arc's sentinel errors (and the app's own) to HTTP statuses.
func statusOf(err error) int {
	var ve *validationError
	switch {
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity
	case errors.Is(err, arc.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, arc.ErrStaleData):
		return http.StatusConflict // someone else changed or deleted it
	case errors.Is(err, arc.ErrIntegrity):
		return http.StatusConflict // a unique key taken, a reference gone
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("request body: %v", err)
	}
	return nil
}

// ---- users ----

type userIn struct {
	Name string `json:"name"`
	Bio  string `json:"bio"`
}

type userOut struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Bio  string `json:"bio,omitempty"`
}

func (a *App) createUser(ctx context.Context, r *http.Request) (int, any, error) {
	var in userIn
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 50 {
		return 0, nil, invalid("name: 1 to 50 characters")
	}
	u := &User{Name: in.Name, Bio: in.Bio}
	s := arc.SessionFrom(ctx)
	if err := s.Add(u); err != nil {
		return 0, nil, err
	}
	if err := s.Flush(ctx); err != nil { // the id, and a taken name as ErrIntegrity
		return 0, nil, err
	}
	return http.StatusCreated, userOut{ID: u.ID, Name: u.Name, Bio: u.Bio}, nil
}

// ---- articles ----

type articleIn struct {
	AuthorID int64    `json:"author_id"`
	Title    string   `json:"title"`
	Body     string   `json:"body"`
	Tags     []string `json:"tags"`
	Version  int64    `json:"version"` // PUT: the version the client read
}

type articleOut struct {
	Slug      string    `json:"slug"`
	Title     string    `json:"title"`
	Body      string    `json:"body,omitempty"`
	Author    string    `json:"author"`
	Tags      []string  `json:"tags"`
	Comments  []string  `json:"comments,omitempty"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
}

type page struct {
	Articles []articleOut `json:"articles"`
	Total    int64        `json:"total"`
	Limit    int          `json:"limit"`
	Offset   int          `json:"offset"`
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func slugify(title string) string {
	return strings.Trim(nonWord.ReplaceAllString(strings.ToLower(title), "-"), "-")
}

func outOf(a *Article, withBody bool) articleOut {
	o := articleOut{Slug: a.Slug, Title: a.Title, Version: a.Version, CreatedAt: a.CreatedAt, Tags: []string{}}
	if withBody {
		o.Body = a.Body
	}
	if u := a.Author.Get(); u != nil {
		o.Author = u.Name
	}
	for _, t := range a.Tags.Items() {
		o.Tags = append(o.Tags, t.Name)
	}
	for _, c := range a.Comments.Items() {
		o.Comments = append(o.Comments, c.Body)
	}
	return o
}

func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, invalid("%s: an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// listArticles is a page of articles, newest first, optionally with one
// tag. Its statement count does not depend on the page size: the count,
// the page with its authors (a join), and the tags of every article on the
// page (one SELECT ... IN).
func (a *App) listArticles(ctx context.Context, r *http.Request) (int, any, error) {
	limit, err := queryInt(r, "limit", 20, 1, 100)
	if err != nil {
		return 0, nil, err
	}
	offset, err := queryInt(r, "offset", 0, 0, 1<<30)
	if err != nil {
		return 0, nil, err
	}
	A, T := arc.Cols[Article](), arc.Cols[Tag]()
	q := arc.Select[Article]()
	if tag := r.URL.Query().Get("tag"); tag != "" {
		q = q.Where(arc.Any(&A.Tags, arc.Eq(&T.Name, tag)))
	}
	total, err := q.Count(ctx)
	if err != nil {
		return 0, nil, err
	}
	arts, err := q.OrderBy(arc.Desc(&A.CreatedAt), arc.Desc(&A.ID)).Limit(limit).Offset(offset).
		Options(arc.Joined(&A.Author), arc.SelectIn(&A.Tags), arc.NoLoad(&A.Comments)).All(ctx)
	if err != nil {
		return 0, nil, err
	}
	out := page{Articles: make([]articleOut, 0, len(arts)), Total: total, Limit: limit, Offset: offset}
	for _, art := range arts {
		out.Articles = append(out.Articles, outOf(art, false))
	}
	return http.StatusOK, out, nil
}

// article loads the article of the request's {slug}, or ErrNotFound.
func article(ctx context.Context, r *http.Request, opts ...arc.LoadOption) (*Article, error) {
	A := arc.Cols[Article]()
	art, err := arc.Select[Article]().Where(arc.Eq(&A.Slug, r.PathValue("slug"))).Options(opts...).One(ctx)
	if err != nil {
		return nil, fmt.Errorf("article %q: %w", r.PathValue("slug"), err)
	}
	return art, nil
}

func (a *App) getArticle(ctx context.Context, r *http.Request) (int, any, error) {
	A := arc.Cols[Article]()
	art, err := article(ctx, r, arc.Joined(&A.Author), arc.SelectIn(&A.Tags), arc.SelectIn(&A.Comments))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, outOf(art, true), nil
}

// tagsNamed returns the tags with these names, creating the missing ones.
func tagsNamed(ctx context.Context, names []string) ([]*Tag, error) {
	seen := map[string]bool{}
	var want []string
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" || len(n) > 50 {
			return nil, invalid("tags: 1 to 50 characters each")
		}
		if !seen[n] {
			seen[n] = true
			want = append(want, n)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	T := arc.Cols[Tag]()
	have, err := arc.Select[Tag]().Where(arc.In(&T.Name, want...)).All(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]*Tag{}
	for _, t := range have {
		byName[t.Name] = t
	}
	out := make([]*Tag, 0, len(want))
	s := arc.SessionFrom(ctx)
	for _, n := range want {
		t := byName[n]
		if t == nil {
			t = &Tag{Name: n}
			if err := s.Add(t); err != nil {
				return nil, err
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func (a *App) createArticle(ctx context.Context, r *http.Request) (int, any, error) {
	var in articleIn
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" || len(in.Title) > 200 || slugify(in.Title) == "" {
		return 0, nil, invalid("title: 1 to 200 characters, some of them letters or digits")
	}
	author, err := arc.Get[User](ctx, in.AuthorID)
	if errors.Is(err, arc.ErrNotFound) {
		return 0, nil, invalid("author_id: no user %d", in.AuthorID)
	} else if err != nil {
		return 0, nil, err
	}
	tags, err := tagsNamed(ctx, in.Tags)
	if err != nil {
		return 0, nil, err
	}
	art := arc.New(&Article{Slug: slugify(in.Title), Title: in.Title, Body: in.Body, CreatedAt: time.Now().UTC()})
	art.Author.Set(author)
	art.Tags.Set(tags...)
	s := arc.SessionFrom(ctx)
	if err := s.Add(art); err != nil {
		return 0, nil, err
	}
	if err := s.Flush(ctx); err != nil { // a taken slug is ErrIntegrity: 409
		return 0, nil, err
	}
	return http.StatusCreated, outOf(art, true), nil
}

// updateArticle changes title and body. The client sends the version it
// read; a different version is a conflict (409), and so is a concurrent
// update that commits between our read and our write (the UPDATE's
// WHERE version = ? matches nothing: ErrStaleData).
func (a *App) updateArticle(ctx context.Context, r *http.Request) (int, any, error) {
	var in articleIn
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	A := arc.Cols[Article]()
	art, err := article(ctx, r, arc.Joined(&A.Author), arc.SelectIn(&A.Tags))
	if err != nil {
		return 0, nil, err
	}
	if in.Version != art.Version {
		return 0, nil, fmt.Errorf("article %q is at version %d, not %d: %w", art.Slug, art.Version, in.Version, arc.ErrStaleData)
	}
	// Always write the row, so that the version check and bump happen
	// even when only tags change (association rows carry no version).
	art.UpdatedAt = time.Now().UTC()
	if t := strings.TrimSpace(in.Title); t != "" {
		art.Title = t
	}
	if in.Body != "" {
		art.Body = in.Body
	}
	if in.Tags != nil {
		tags, err := tagsNamed(ctx, in.Tags)
		if err != nil {
			return 0, nil, err
		}
		art.Tags.Set(tags...)
	}
	if err := arc.SessionFrom(ctx).Flush(ctx); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, outOf(art, true), nil
}

func (a *App) deleteArticle(ctx context.Context, r *http.Request) (int, any, error) {
	art, err := article(ctx, r)
	if err != nil {
		return 0, nil, err
	}
	if err := arc.SessionFrom(ctx).Delete(art); err != nil { // comments go with it (cascade)
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

type commentIn struct {
	Body string `json:"body"`
}

func (a *App) addComment(ctx context.Context, r *http.Request) (int, any, error) {
	var in commentIn
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if strings.TrimSpace(in.Body) == "" {
		return 0, nil, invalid("body: must not be empty")
	}
	art, err := article(ctx, r)
	if err != nil {
		return 0, nil, err
	}
	c := arc.New(&Comment{Body: in.Body})
	art.Comments.Append(c) // the collection is not loaded: Append queues the new comment
	return http.StatusCreated, map[string]string{"body": c.Body}, nil
}

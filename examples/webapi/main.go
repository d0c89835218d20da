// Command webapi is a small JSON API on net/http with Arc as its data
// layer: users, articles with tags and comments, one session per request
// (committed when the handler succeeds, rolled back when it fails), Arc's
// errors mapped to HTTP statuses (ErrNotFound → 404, ErrStaleData and
// ErrIntegrity → 409, validation → 422), pagination, and eager loading
// that keeps a list page's statement count fixed whatever its size.
//
//	go run ./examples/webapi                       # SQLite file webapi.db, :8080
//	go run ./examples/webapi -database postgres://postgres@127.0.0.1/test?sslmode=disable
//
//	curl -XPOST localhost:8080/users -d '{"name":"ann"}'
//	curl -XPOST localhost:8080/articles -d '{"author_id":1,"title":"Hello","tags":["go"]}'
//	curl 'localhost:8080/articles?limit=10&tag=go'
//
// docs/web.md walks through it.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/arcorm/arc"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	url := flag.String("database", os.Getenv("ARC_DATABASE_URL"), "database URL (default sqlite:///webapi.db; also ARC_DATABASE_URL)")
	flag.Parse()
	if *url == "" {
		*url = "sqlite:///webapi.db"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, *addr); err != nil {
		slog.Error("webapi", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, addr string) error {
	eng, err := arc.Open(ctx, url)
	if err != nil {
		return err
	}
	defer eng.Close()
	if err := arc.CreateAll(ctx, eng, Models...); err != nil { // a real service runs migrations instead
		return err
	}
	srv := &http.Server{Addr: addr, Handler: NewApp(eng), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	slog.Info("listening", "addr", addr, "database", url)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

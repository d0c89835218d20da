// Command tutorial plays SQLAlchemy's ORM tutorial in Arc, in the
// tutorial's order, printing each statement Arc sends and the results. It
// runs on an in-memory SQLite database; point it at PostgreSQL with
// -database or ARC_DATABASE_URL (for example
// postgres://postgres@127.0.0.1/test?sslmode=disable). It drops the
// tutorial's tables first, so it can run again on the same database.
//
//	make demo
//	go run ./examples/tutorial -database postgres://postgres@127.0.0.1/test?sslmode=disable
//
// docs/tutorial.md tells the same story; a test checks that its code and
// output match this program.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/examples/tutorial/blog"
)

func main() {
	url := flag.String("database", os.Getenv("ARC_DATABASE_URL"), "database URL (default: SQLite in memory; also ARC_DATABASE_URL)")
	flag.Parse()
	if *url == "" {
		*url = "sqlite::memory:"
	}
	if _, err := run(context.Background(), *url, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tutorial:", err)
		os.Exit(1)
	}
}

// run plays the story on the database at url and returns its transcript.
func run(ctx context.Context, url string, out io.Writer) (*transcript, error) {
	tr := newTranscript(out)
	log := logrus.New()
	log.SetOutput(tr)
	log.SetFormatter(echoFormatter{})
	eng, err := arc.Open(ctx, url, arc.Echo(false), engine.WithLogger(log))
	if err != nil {
		return tr, err
	}
	defer eng.Close()
	// Start from an empty database, quietly.
	if err := arc.DropAll(ctx, eng, blog.PostKeyword{}, blog.Post{}, blog.Keyword{}, blog.Address{}, blog.User{}); err != nil {
		return tr, fmt.Errorf("dropping the tutorial's tables: %w", err)
	}
	eng.SetEcho(true)
	if err := story(ctx, eng, tr); err != nil {
		step := "start"
		if n := len(tr.steps); n > 0 {
			step = tr.steps[n-1].Name
		}
		return tr, fmt.Errorf("step %s: %w", step, err)
	}
	return tr, nil
}

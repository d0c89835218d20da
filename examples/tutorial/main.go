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

	"github.com/arcorm/arc"
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

// run plays the story on the database at url, printing to out.
func run(ctx context.Context, url string, out io.Writer) (*transcript, error) {
	eng, err := arc.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	return play(ctx, eng, out)
}

// play plays the story on eng and returns its transcript. It sends the
// engine's echo to the transcript.
func play(ctx context.Context, eng *arc.Engine, out io.Writer) (*transcript, error) {
	tr := newTranscript(out)
	eng.SetEcho(false)
	eng.Logger().SetOutput(tr)
	eng.Logger().SetFormatter(echoFormatter{})
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

// Command tutorial plays SQLAlchemy's ORM tutorial in Arc, printing each
// statement Arc sends and the results. It runs on an in-memory SQLite
// database; set ARC_DATABASE_URL (e.g. postgres://postgres@127.0.0.1/test)
// to run it on PostgreSQL instead.
//
//	make demo
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc"
)

func main() {
	url := os.Getenv("ARC_DATABASE_URL")
	if url == "" {
		url = "sqlite::memory:"
	}
	if err := run(context.Background(), url, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tutorial:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url string, out io.Writer) error {
	log := logrus.New()
	log.SetOutput(out)
	log.SetFormatter(&echoFormatter{})
	eng, err := arc.Open(ctx, url, arc.Echo(true), engineLogger(log))
	if err != nil {
		return err
	}
	defer eng.Close()
	return story(ctx, eng, out)
}

package record_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/session"

	_ "github.com/arcorm/arc/dialect/sqlite" // register "sqlite"
)

// Author is an active record: it embeds record.Base by value.
type Author struct {
	record.Base[Author]
	ID       int64
	Name     string `arc:"size:50"`
	Nickname string
}

func exampleDB() (eng *engine.Engine, cleanup func()) {
	dir, err := os.MkdirTemp("", "arc-record-example")
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	eng, err = engine.Open(ctx, "sqlite:///"+filepath.Join(dir, "example.db"))
	if err != nil {
		panic(err)
	}
	if err := migrate.CreateAll(ctx, eng, Author{}); err != nil {
		panic(err)
	}
	return eng, func() { eng.Close(); os.RemoveAll(dir) }
}

// Without a session in the context, each call is its own short
// transaction on the default engine, and objects come back detached.
func Example() {
	eng, cleanup := exampleDB()
	defer cleanup()
	record.SetDefault(eng)
	defer record.SetDefault(nil)
	ctx := context.Background()

	a := &Author{Name: "ed", Nickname: "eddie"}
	if err := a.Save(ctx); err != nil { // BEGIN; INSERT … RETURNING id; COMMIT
		panic(err)
	}
	fmt.Println(a.ID, session.StateOf(a))

	a.Nickname = "ed2"
	_ = a.Save(ctx) // BEGIN; UPDATE authors SET nickname = ? WHERE id = ?; COMMIT

	found, _ := record.Find[Author](ctx, a.ID)
	fmt.Println(found.Nickname, found == a)

	A := expr.Cols[Author]()
	first, _ := record.Where[Author](expr.Eq(&A.Name, "ed")).First(ctx)
	fmt.Println(first.Name)

	_ = a.Delete(ctx)
	_, err := record.Find[Author](ctx, a.ID)
	fmt.Println(err)
	// Output:
	// 1 detached
	// ed2 false
	// ed
	// arc: not found: Author with key (1)
}

// With a session in the context, record calls join its unit of work and
// identity map; nothing is committed until the session commits.
func Example_withSession() {
	eng, cleanup := exampleDB()
	defer cleanup()
	ctx := context.Background()
	s := session.New(eng)
	defer s.Close(ctx)
	ctx = session.With(ctx, s)

	a := &Author{Name: "wendy"}
	_ = a.Save(ctx) // Add + Flush in the session's transaction
	same, _ := record.Find[Author](ctx, a.ID)
	fmt.Println(same == a, session.StateOf(a))

	_ = s.Rollback(ctx)
	fmt.Println(session.StateOf(a))
	n, _ := record.Where[Author]().Count(ctx)
	fmt.Println(n)
	// Output:
	// true persistent
	// transient
	// 0
}

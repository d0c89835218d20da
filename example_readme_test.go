package arc_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/arcorm/arc"
)

type ReadmeUser struct {
	arc.Base[ReadmeUser]
	ID       int64
	Name     string `arc:"size:50;notnull;index"`
	Nickname string
}

// The README's twenty lines, kept compiling and running here.
func Example_readme() {
	dir, err := os.MkdirTemp("", "arc-readme")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	eng, err := arc.Open(ctx, "sqlite:///"+filepath.Join(dir, "app.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := arc.CreateAll(ctx, eng, ReadmeUser{}); err != nil {
		log.Fatal(err)
	}

	s := arc.NewSession(eng) // a unit of work with an identity map
	ctx = arc.WithSession(ctx, s)
	ed := &ReadmeUser{Name: "ed", Nickname: "eddie"}
	if err := s.Add(ed); err != nil { // pending: nothing sent yet
		log.Fatal(err)
	}

	U := arc.Cols[ReadmeUser]() // typed column references, no codegen
	same, err := arc.Select[ReadmeUser]().Where(arc.Eq(&U.Name, "ed")).First(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(same == ed) // one object per row in a session

	ed.Nickname = "" // a zero value is a change like any other
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	var nick string
	if err := eng.DB().QueryRow("SELECT nickname FROM readme_users WHERE name = 'ed'").Scan(&nick); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("nickname %q\n", nick)
	// Output:
	// true
	// nickname ""
}

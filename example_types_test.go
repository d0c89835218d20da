package arc_test

import (
	"context"
	"fmt"
	"log"

	"github.com/google/uuid"

	"github.com/arcorm/arc"
)

// Note has a client-generated UUID key, a generated column, a JSON map
// and an enum.
type Note struct {
	ID     uuid.UUID
	Title  string         `arc:"size:100;notnull"`
	Slug   string         `arc:"generated:lower(replace(title, ' ', '-'))"`
	Status string         `arc:"size:10;enum:draft,published;server_default:'draft'"`
	Meta   map[string]any `arc:"jsonb"`
}

// A UUID key drawn by the session, a server default and a generated
// column read back after INSERT and UPDATE, and a JSON map changed in
// place: all on SQLite here, the same on PostgreSQL.
func Example_types() {
	ctx := context.Background()
	eng, err := arc.Open(ctx, "sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := arc.CreateAll(ctx, eng, Note{}); err != nil {
		log.Fatal(err)
	}
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)

	n := &Note{Title: "Hello World", Meta: map[string]any{"views": 1}}
	if err := s.Add(n); err != nil {
		log.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(n.ID.Version(), n.Slug, n.Status)

	n.Title = "Goodbye World"
	n.Meta["views"] = 2 // in place: seen by the flush
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(n.Slug)

	// A fresh session reads the row back.
	s2 := arc.NewSession(eng)
	defer s2.Close(ctx)
	got, err := arc.Get[Note](arc.WithSession(ctx, s2), n.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Title, got.Meta["views"])
	// Output:
	// VERSION_7 hello-world draft
	// goodbye-world
	// Goodbye World 2
}

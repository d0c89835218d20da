package arc_test

import (
	"context"
	"fmt"
	"log"

	"github.com/arcorm/arc"
)

// Writer and Essay are an author and their essays for ExampleCountOf.
type Writer struct {
	ID     int64
	Name   string
	Essays arc.Many[Essay] `arc:"back_populates:Writer"`
}

// Essay is written by a Writer.
type Essay struct {
	ID       int64
	Title    string
	WriterID *int64          `arc:"fk:writers.id"`
	Writer   arc.One[Writer] `arc:"back_populates:Essays"`
}

// CountOf gives each row the size of a relationship as a column, and Any
// a flag: one query, no GROUP BY.
func ExampleCountOf() {
	ctx := context.Background()
	eng, err := arc.Open(ctx, "sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := arc.CreateAll(ctx, eng, Writer{}, Essay{}); err != nil {
		log.Fatal(err)
	}
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)
	ann, bob := arc.New(&Writer{Name: "ann"}), arc.New(&Writer{Name: "bob"})
	ann.Essays.Append(&Essay{Title: "On Go"}, &Essay{Title: "On SQL"})
	if err := s.AddAll(ann, bob); err != nil {
		log.Fatal(err)
	}
	W, E := arc.Cols[Writer](), arc.Cols[Essay]()
	type row struct {
		Name    string
		Essays  int64
		AboutGo bool
	}
	rows, err := arc.Rows[row](arc.Select[Writer]().Select(&W.Name,
		arc.Label(arc.CountOf(&W.Essays), "essays"),
		arc.Label(arc.Any(&W.Essays, arc.Like(&E.Title, "%Go%")), "about_go"),
	).OrderBy(&W.Name)).All(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Println(r.Name, r.Essays, r.AboutGo)
	}
	// Output:
	// ann 2 true
	// bob 0 false
}

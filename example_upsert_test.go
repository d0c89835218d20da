package arc_test

import (
	"context"
	"fmt"
	"log"

	"github.com/arcorm/arc"
)

// Counter is a named counter for ExampleUpsert.
type Counter struct {
	ID   int64
	Name string `arc:"size:50;notnull;unique"`
	Hits int64
}

// Upsert inserts a row or, when its unique key is taken, updates (or
// keeps) the existing one, in one statement; the object ends up holding
// the row as the database has it, generated key included.
func ExampleUpsert() {
	ctx := context.Background()
	eng, err := arc.Open(ctx, "sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := arc.CreateAll(ctx, eng, Counter{}); err != nil {
		log.Fatal(err)
	}
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)
	C := arc.Cols[Counter]()

	first, err := arc.Upsert(ctx, &Counter{Name: "home", Hits: 1}, arc.OnConflict(&C.Name).DoUpdate(&C.Hits))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(first.ID, first.Hits)

	// The same name again: the existing row is updated, and the session's
	// object for it (first) is the one returned.
	again, err := arc.Upsert(ctx, &Counter{Name: "home", Hits: 5}, arc.OnConflict(&C.Name).DoUpdate(&C.Hits))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(again == first, first.Hits)

	// DoNothing keeps the row and still hands back what it holds.
	kept, err := arc.Upsert(ctx, &Counter{Name: "home", Hits: 100}, arc.OnConflict(&C.Name).DoNothing())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(kept.Hits)
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 1 1
	// true 5
	// 5
}

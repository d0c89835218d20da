package arc_test

import (
	"context"
	"fmt"
	"log"

	"github.com/arcorm/arc"
)

// Account is soft-deleted: Delete sets DeletedAt.
type Account struct {
	ID   int64
	Name string
	arc.SoftDelete
}

// With the SoftDelete mixin, Delete keeps the row and hides it: queries
// skip it unless they ask for deleted rows, and Restore brings it back.
func Example_softDelete() {
	ctx := context.Background()
	eng, err := arc.Open(ctx, "sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := arc.CreateAll(ctx, eng, Account{}); err != nil {
		log.Fatal(err)
	}
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)
	ann := &Account{Name: "ann"}
	if err := s.AddAll(ann, &Account{Name: "bob"}); err != nil {
		log.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	if err := s.Delete(ann); err != nil {
		log.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	live, _ := arc.Select[Account]().Count(ctx)
	all, _ := arc.Select[Account]().WithDeleted().Count(ctx)
	fmt.Println(live, all, ann.DeletedAt != nil)

	gone, err := arc.Select[Account]().OnlyDeleted().One(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Restore(gone); err != nil {
		log.Fatal(err)
	}
	live, _ = arc.Select[Account]().Count(ctx) // autoflush writes the restore first
	fmt.Println(live)
	// Output:
	// 1 2 true
	// 2
}

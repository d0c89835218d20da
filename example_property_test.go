package arc_test

import (
	"context"
	"fmt"
	"log"

	"github.com/arcorm/arc"
)

// Blog and Entry: a blog carries its entry count and the length of its
// title, loaded with it from expressions (ExampleColumnProperty).
type Blog struct {
	ID      int64
	Title   string
	Entries arc.Many[Entry] `arc:"back_populates:Blog;order_by:id"`
	// Column properties: no column of their own, loaded from the
	// expressions registered below, never written.
	EntryCount int64 `arc:"property"`
	TitleLen   int64 `arc:"property"`
}

// Entry belongs to a Blog.
type Entry struct {
	ID     int64
	BlogID *int64        `arc:"fk:blogs.id"`
	Blog   arc.One[Blog] `arc:"back_populates:Entries"`
}

func init() {
	B := arc.Cols[Blog]()
	if err := arc.ColumnProperty(&B.EntryCount, arc.CountOf(&B.Entries)); err != nil {
		panic(err)
	}
	// Deferred: loaded on request only (Undefer, LoadProperties).
	if err := arc.ColumnProperty(&B.TitleLen, arc.Func("length", &B.Title), arc.Deferred()); err != nil {
		panic(err)
	}
}

// ColumnProperty registers a model field's SQL expression once; every
// load of the object then selects it: queries, Get, relationship loads,
// Refresh.
func ExampleColumnProperty() {
	ctx := context.Background()
	eng, err := arc.Open(ctx, "sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := arc.CreateAll(ctx, eng, Blog{}, Entry{}); err != nil {
		log.Fatal(err)
	}
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)
	gophers := arc.New(&Blog{Title: "gophers"})
	gophers.Entries.Append(&Entry{}, &Entry{})
	if err := s.AddAll(gophers, arc.New(&Blog{Title: "sql"})); err != nil {
		log.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	B := arc.Cols[Blog]()
	blogs, err := arc.Select[Blog]().OrderBy(&B.ID).All(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range blogs {
		fmt.Println(b.Title, b.EntryCount, b.TitleLen)
	}
	blogs, err = arc.Select[Blog]().Undefer(&B.TitleLen).OrderBy(&B.ID).All(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(blogs[0].Title, blogs[0].EntryCount, blogs[0].TitleLen)
	// Output:
	// gophers 2 0
	// sql 0 0
	// gophers 2 7
}

package session_test

import (
	"context"
	"errors"
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

// Person is the model of the examples. It embeds record.Base so that it
// remembers being detached; plain structs work with the session too, but
// once out of a session they read as transient.
type Person struct {
	record.Base[Person]
	ID       int64
	Name     string `arc:"size:50"`
	Nickname string
}

// exampleDB opens a new SQLite database in a temp dir with the people
// table; cleanup closes and removes it.
func uowExampleDB() (eng *engine.Engine, cleanup func()) {
	dir, err := os.MkdirTemp("", "arc-example")
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	eng, err = engine.Open(ctx, "sqlite:///"+filepath.Join(dir, "example.db"))
	if err != nil {
		panic(err)
	}
	if err := migrate.CreateAll(ctx, eng, Person{}); err != nil {
		panic(err)
	}
	return eng, func() { eng.Close(); os.RemoveAll(dir) }
}

// The five states, the identity map and a flush.
func Example() {
	eng, cleanup := uowExampleDB()
	defer cleanup()
	ctx := context.Background()

	s := session.New(eng)
	defer s.Close(ctx)
	ctx = session.With(ctx, s)

	ed := &Person{Name: "ed", Nickname: "eddie"}
	fmt.Println(s.StateOf(ed), ed.ID)
	_ = s.Add(ed)
	fmt.Println(s.StateOf(ed), ed.ID)

	// A query autoflushes: the INSERT runs first, and the row comes back
	// as the same pointer.
	P := expr.Cols[Person]()
	same, _ := session.Select[Person]().Where(expr.Eq(&P.Name, "ed")).First(ctx)
	fmt.Println(s.StateOf(ed), ed.ID, same == ed)

	// Get of a mapped key is answered from the identity map, without SQL.
	got, _ := session.Get[Person](ctx, s, ed.ID)
	fmt.Println(got == ed)

	ed.Nickname = "" // a zero value is a change like any other
	fmt.Println(len(s.Dirty()))
	_ = s.Delete(ed)
	_ = s.Flush(ctx) // UPDATE, then DELETE
	fmt.Println(s.StateOf(ed))
	_ = s.Commit(ctx)
	fmt.Println(s.StateOf(ed))
	// Output:
	// transient 0
	// pending 0
	// persistent 1 true
	// true
	// 1
	// deleted
	// detached
}

// Rollback puts objects back as the transaction found them (spec §6).
func ExampleSession_Rollback() {
	eng, cleanup := uowExampleDB()
	defer cleanup()
	ctx := context.Background()
	s := session.New(eng)
	defer s.Close(ctx)
	ctx = session.With(ctx, s)

	ed := &Person{Name: "ed"}
	_ = s.Add(ed)
	_ = s.Commit(ctx)

	ed.Name = "Edwardo"
	fake := &Person{Name: "fakeuser"}
	_ = s.Add(fake)
	P := expr.Cols[Person]()
	both, _ := session.Select[Person]().Where(expr.In(&P.Name, "Edwardo", "fakeuser")).All(ctx) // autoflush
	fmt.Println(len(both))

	_ = s.Rollback(ctx)
	fmt.Println(ed.Name, s.Contains(fake), s.StateOf(fake))
	n, _ := session.Select[Person]().Count(ctx)
	fmt.Println(n)
	// Output:
	// 2
	// ed false transient
	// 1
}

// Dirty tracking writes only the columns that changed, and nothing at
// all when a field is set back to its old value.
func ExampleSession_Dirty() {
	eng, cleanup := uowExampleDB()
	defer cleanup()
	ctx := context.Background()
	s := session.New(eng)
	defer s.Close(ctx)

	p := &Person{Name: "wendy", Nickname: "windy"}
	_ = s.Add(p)
	_ = s.Flush(ctx)

	p.Nickname = "w"
	fmt.Println(len(s.Dirty()), s.IsModified(p))
	p.Nickname = "windy"
	fmt.Println(len(s.Dirty()), s.IsModified(p))
	// Output:
	// 1 true
	// 0 false
}

// A savepoint: its Rollback undoes the work since BeginNested, in the
// database and in memory, and keeps what came before.
func ExampleSession_BeginNested() {
	eng, cleanup := uowExampleDB()
	defer cleanup()
	ctx := context.Background()
	s := session.New(eng)
	defer s.Close(ctx)
	ctx = session.With(ctx, s)

	mary := &Person{Name: "mary"}
	_ = s.Add(mary)
	sp, _ := s.BeginNested(ctx) // flushes mary, then SAVEPOINT arc_sp_1
	mary.Nickname = "contrary"
	fred := &Person{Name: "fred"}
	_ = s.Add(fred)
	_ = s.Flush(ctx)
	_ = sp.Rollback(ctx) // ROLLBACK TO SAVEPOINT arc_sp_1
	fmt.Printf("%q %v %v\n", mary.Nickname, s.StateOf(mary), s.StateOf(fred))
	_ = s.Commit(ctx)
	n, _ := session.Select[Person]().Count(ctx)
	fmt.Println(n)
	// Output:
	// "" persistent transient
	// 1
}

// Transaction commits when fn returns nil and rolls back when it returns
// an error (or panics); nested calls use savepoints.
func ExampleTransaction() {
	eng, cleanup := uowExampleDB()
	defer cleanup()
	ctx := context.Background()

	err := session.Transaction(ctx, eng, func(ctx context.Context) error {
		s := session.From(ctx)
		_ = s.Add(&Person{Name: "kept"})
		inner := session.Transaction(ctx, nil, func(ctx context.Context) error {
			_ = s.Add(&Person{Name: "undone"})
			_ = s.Flush(ctx)
			return errors.New("changed my mind")
		})
		fmt.Println("inner:", inner)
		return nil
	})
	fmt.Println("outer:", err)

	s := session.New(eng)
	defer s.Close(ctx)
	people, _ := session.Select[Person]().All(session.With(ctx, s))
	for _, p := range people {
		fmt.Println(p.Name)
	}
	// Output:
	// inner: changed my mind
	// outer: <nil>
	// kept
}

// Get returns ErrNotFound for a missing key and ErrInvalidRequest for a
// key of the wrong type.
func ExampleGet() {
	eng, cleanup := uowExampleDB()
	defer cleanup()
	ctx := context.Background()
	s := session.New(eng)
	defer s.Close(ctx)

	_, err := session.Get[Person](ctx, s, 42)
	fmt.Println(err)
	_, err = session.Get[Person](ctx, s, "42")
	fmt.Println(err)
	// Output:
	// arc: not found: Person with key (42)
	// arc: invalid request: key value 42 (string) does not fit Person.ID (int64)
}

// Merge copies a detached object's (or a decoded payload's) columns onto
// the session's object with the same key.
func ExampleMerge() {
	eng, cleanup := uowExampleDB()
	defer cleanup()
	ctx := context.Background()
	s := session.New(eng)
	defer s.Close(ctx)

	p := &Person{Name: "jack"}
	_ = s.Add(p)
	_ = s.Commit(ctx)

	payload := &Person{ID: p.ID, Name: "jack", Nickname: "jj"} // e.g. from JSON
	m, _ := session.Merge(ctx, s, payload)
	fmt.Println(m == p, p.Nickname, s.IsModified(p))
	// Output:
	// true jj true
}

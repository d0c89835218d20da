package relations_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/arcorm/arc"
)

type User struct {
	ID        int64
	Name      string                `arc:"size:50"`
	Addresses arc.Many[Address]     `arc:"back_populates:User;order_by:id"`
	Posts     arc.Dynamic[BlogPost] `arc:"back_populates:Author;order_by:id"`
}

type Address struct {
	ID     int64
	Email  string        `arc:"column:email_address;notnull"`
	UserID *int64        `arc:"fk:users.id"`
	User   arc.One[User] `arc:"back_populates:Addresses"`
}

type BlogPost struct {
	ID       int64
	UserID   *int64            `arc:"fk:users.id"`
	Headline string            `arc:"size:255;notnull"`
	Author   arc.One[User]     `arc:"back_populates:Posts"`
	Keywords arc.Many[Keyword] `arc:"secondary:post_keywords;fk:post_id,keyword_id;back_populates:Posts"`
}

func (BlogPost) TableName() string { return "posts" }

type Keyword struct {
	ID      int64
	Keyword string             `arc:"size:50;notnull;unique"`
	Posts   arc.Many[BlogPost] `arc:"secondary:post_keywords;back_populates:Keywords"`
}

type PostKeyword struct {
	PostID    int64 `arc:"pk;fk:posts.id"`
	KeywordID int64 `arc:"pk;fk:keywords.id"`
}

// open makes a SQLite database in a temporary directory with the schema
// and jack's two addresses.
func open(ctx context.Context) (*arc.Engine, func()) {
	dir, err := os.MkdirTemp("", "arc-example")
	if err != nil {
		panic(err)
	}
	eng, err := arc.Open(ctx, "sqlite:///"+filepath.Join(dir, "ex.db"))
	if err != nil {
		panic(err)
	}
	if err := arc.CreateAll(ctx, eng, User{}, Address{}, BlogPost{}, Keyword{}, PostKeyword{}); err != nil {
		panic(err)
	}
	s := arc.NewSession(eng)
	jack := arc.New(&User{Name: "jack"})
	jack.Addresses.Append(&Address{Email: "jack@google.com"}, &Address{Email: "j25@yahoo.com"})
	if err := s.Add(&User{Name: "ed"}); err != nil {
		panic(err)
	}
	if err := s.Add(jack); err != nil {
		panic(err)
	}
	if err := s.Commit(ctx); err != nil {
		panic(err)
	}
	_ = s.Close(ctx)
	return eng, func() { eng.Close(); os.RemoveAll(dir) }
}

// Setting one side of a relationship sets the other, in memory.
func Example() {
	jack := arc.New(&User{Name: "jack"})
	jack.Addresses.Set(&Address{Email: "jack@google.com"}, &Address{Email: "j25@yahoo.com"})
	fmt.Println(jack.Addresses.At(1).Email, "belongs to", jack.Addresses.At(1).User.Get().Name)

	a := arc.New(&Address{Email: "extra@jack.com"})
	a.User.Set(jack) // appends a to jack.Addresses
	fmt.Println(jack.Addresses.Len())
	jack.Addresses.Remove(a) // clears a.User
	fmt.Println(jack.Addresses.Len(), a.User.Get() == nil)
	// Output:
	// j25@yahoo.com belongs to jack
	// 3
	// 2 true
}

// A collection loads on first Load, after autoflush, in order_by order;
// a many-to-one is found in the identity map without SQL.
func ExampleMany_Load() {
	ctx := context.Background()
	eng, done := open(ctx)
	defer done()
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)
	U := arc.Cols[User]()

	jack, err := arc.Select[User]().Where(arc.Eq(&U.Name, "jack")).One(ctx)
	if err != nil {
		panic(err)
	}
	addrs, err := jack.Addresses.Load(ctx)
	if err != nil {
		panic(err)
	}
	for _, a := range addrs {
		owner, _ := a.User.Load(ctx)
		fmt.Println(a.Email, owner == jack)
	}
	// Output:
	// jack@google.com true
	// j25@yahoo.com true
}

// SelectIn loads every user's addresses with one more query.
func ExampleSelectIn() {
	ctx := context.Background()
	eng, done := open(ctx)
	defer done()
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)
	U := arc.Cols[User]()

	users, err := arc.Select[User]().Options(arc.SelectIn(&U.Addresses)).OrderBy(&U.ID).All(ctx)
	if err != nil {
		panic(err)
	}
	for _, u := range users {
		addrs, loaded := u.Addresses.Cached()
		fmt.Println(u.Name, len(addrs), loaded)
	}
	// Output:
	// ed 0 true
	// jack 2 true
}

// Any, Has and Is query across relationships.
func ExampleAny() {
	ctx := context.Background()
	eng, done := open(ctx)
	defer done()
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)
	U, A := arc.Cols[User](), arc.Cols[Address]()

	users, _ := arc.Select[User]().Where(arc.Any(&U.Addresses, arc.Like(&A.Email, "%google%"))).All(ctx)
	fmt.Println(len(users), users[0].Name)
	n, _ := arc.Select[Address]().Where(arc.Not(arc.Has(&A.User, arc.Eq(&U.Name, "jack")))).Count(ctx)
	fmt.Println(n)
	n, _ = arc.Select[Address]().Where(arc.Is(&A.User, users[0])).Count(ctx)
	fmt.Println(n)
	// Output:
	// 1 jack
	// 0
	// 2
}

// Many-to-many rows are written after both sides; Dynamic collections
// query instead of loading.
func ExampleDynamic() {
	ctx := context.Background()
	eng, done := open(ctx)
	defer done()
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)
	U, P, K := arc.Cols[User](), arc.Cols[BlogPost](), arc.Cols[Keyword]()

	jack, _ := arc.Select[User]().Where(arc.Eq(&U.Name, "jack")).One(ctx)
	post := arc.New(&BlogPost{Headline: "Jack's post"})
	post.Keywords.Append(&Keyword{Keyword: "jack"}, &Keyword{Keyword: "firstpost"})
	jack.Posts.Append(post, &BlogPost{Headline: "Another"})

	n, _ := jack.Posts.Count(ctx) // autoflush first
	fmt.Println(n)
	tagged, _ := jack.Posts.All(ctx, arc.Any(&P.Keywords, arc.Eq(&K.Keyword, "firstpost")))
	fmt.Println(len(tagged), tagged[0].Headline)
	second, _ := jack.Posts.Slice(ctx, 1, 2)
	fmt.Println(second[0].Headline)
	// Output:
	// 2
	// 1 Jack's post
	// Another
}

// Employee is a self-referential adjacency list: Manager is many-to-one,
// Reports one-to-many, both to the same table.
type Employee struct {
	ID        int64
	Name      string             `arc:"size:50"`
	ManagerID *int64             `arc:"fk:employees.id"`
	Manager   arc.One[Employee]  `arc:"back_populates:Reports"`
	Reports   arc.Many[Employee] `arc:"back_populates:Manager;order_by:id"`
}

// Over a self-referential relationship Any and Has alias the target
// (employees AS employees_1): field pointers inside them name the related
// row, arc.Outer names the row of the query around them.
func ExampleOuter() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "arc-example")
	defer os.RemoveAll(dir)
	eng, err := arc.Open(ctx, "sqlite:///"+filepath.Join(dir, "ex.db"))
	if err != nil {
		panic(err)
	}
	defer eng.Close()
	if err := arc.CreateAll(ctx, eng, Employee{}); err != nil {
		panic(err)
	}
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)
	boss := arc.New(&Employee{Name: "ann"})
	bob := arc.New(&Employee{Name: "bob"})
	boss.Reports.Append(bob, &Employee{Name: "cy"})
	bob.Reports.Append(&Employee{Name: "dee"})
	if err := s.Add(boss); err != nil {
		panic(err)
	}
	E := arc.Cols[Employee]()
	names := func(q *arc.Query[Employee]) []string {
		es, err := q.OrderBy(&E.ID).All(ctx)
		if err != nil {
			panic(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Name)
		}
		return out
	}
	// Employees whose manager is ann; whose manager's manager is ann.
	fmt.Println(names(arc.Select[Employee]().Where(arc.Has(&E.Manager, arc.Eq(&E.Name, "ann")))))
	fmt.Println(names(arc.Select[Employee]().Where(arc.Has(&E.Manager, arc.Has(&E.Manager, arc.Eq(&E.Name, "ann"))))))
	// Managers with a report named "cy", and managers with a report other
	// than bob whose name sorts after their own (Outer: the manager's row).
	fmt.Println(names(arc.Select[Employee]().Where(arc.Any(&E.Reports, arc.Eq(&E.Name, "cy")))))
	fmt.Println(names(arc.Select[Employee]().Where(arc.Any(&E.Reports, arc.Col(&E.Name).Gt(arc.Outer(&E.Name)), arc.Ne(&E.Name, "bob")))))
	// Output:
	// [bob cy]
	// [dee]
	// [ann]
	// [ann bob]
}

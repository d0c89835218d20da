package session_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// exampleDB opens a SQLite database in a temp dir with the tutorial's
// users and addresses, and returns a context carrying a new session.
func exampleDB() (context.Context, *engine.Engine, func()) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "arc-example")
	if err != nil {
		panic(err)
	}
	eng, err := engine.Open(ctx, "sqlite:///"+filepath.Join(dir, "example.db"))
	if err != nil {
		panic(err)
	}
	if err := migrate.CreateAll(ctx, eng, QUser{}, QAddress{}); err != nil {
		panic(err)
	}
	s := session.New(eng)
	users := []*QUser{
		{Name: "ed", Fullname: "Ed Jones", Nickname: "eddie"},
		{Name: "wendy", Fullname: "Wendy Williams", Nickname: "windy"},
		{Name: "mary", Fullname: "Mary Contrary", Nickname: "mary"},
		{Name: "fred", Fullname: "Fred Flintstone", Nickname: "freddy"},
		{Name: "jack", Fullname: "Jack Bean", Nickname: "gjffdd"},
	}
	for _, u := range users {
		_ = s.Add(u)
	}
	if err := s.Flush(ctx); err != nil {
		panic(err)
	}
	jack := users[4].ID
	_ = s.AddAll(&QAddress{Email: "jack@google.com", UserID: &jack}, &QAddress{Email: "j25@yahoo.com", UserID: &jack})
	if err := s.Commit(ctx); err != nil {
		panic(err)
	}
	_ = s.Close(ctx)
	s = session.New(eng)
	return session.With(ctx, s), eng, func() {
		_ = s.Close(ctx)
		_ = eng.Close()
		_ = os.RemoveAll(dir)
	}
}

func ExampleQuery_All() {
	ctx, _, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	users, err := session.Select[QUser]().Where(expr.Like(&U.Name, "%ed")).OrderBy(&U.ID).All(ctx)
	if err != nil {
		panic(err)
	}
	for _, u := range users {
		fmt.Println(u.Name, u.Fullname)
	}
	// Output:
	// ed Ed Jones
	// fred Fred Flintstone
}

func ExampleQuery_Slice() {
	ctx, eng, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	q := session.Select[QUser]().OrderBy(&U.ID).Slice(1, 3)
	sqlText, args, _ := q.SQL(eng.Dialect())
	fmt.Println(sqlText, args)
	users, _ := q.All(ctx)
	fmt.Println(names(users))
	// Output:
	// SELECT users.id, users.name, users.fullname, users.nickname FROM users ORDER BY users.id LIMIT ? OFFSET ? [2 1]
	// [wendy mary]
}

func ExampleRows() {
	ctx, _, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	// query(User, User.name): an entity and a column per row.
	type Row struct {
		User *QUser
		Name string
	}
	rows, err := session.Rows[Row](session.Select[QUser]().AddColumns(&U.Name).Where(expr.In(&U.Name, "ed", "wendy")).OrderBy(&U.ID)).All(ctx)
	if err != nil {
		panic(err)
	}
	for _, r := range rows {
		fmt.Println(r.User.Fullname, r.Name)
	}
	// Output:
	// Ed Jones ed
	// Wendy Williams wendy
}

func ExampleScalar() {
	ctx, _, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	n, err := session.Scalar[int64](ctx, session.Select[QUser]().Select(expr.CountAll()))
	fmt.Println(n, err)
	_, err = session.Scalar[int64](ctx, session.Select[QUser]().Select(&U.ID).Where(expr.Eq(&U.Name, "nobody")))
	fmt.Println(err)
	// Output:
	// 5 <nil>
	// arc: not found: Query[QUser] returned no rows (One)
}

func ExampleQuery_Join() {
	ctx, _, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	A := expr.Cols[QAddress]()
	users, err := session.Select[QUser]().Join(A, expr.On(&U.ID, &A.UserID)).Where(expr.Eq(&A.Email, "jack@google.com")).All(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(names(users))
	// Output: [jack]
}

func ExampleAlias() {
	ctx, _, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	a1, a2 := session.Alias[QAddress](""), session.Alias[QAddress]("")
	A1, A2 := a1.Cols(), a2.Cols()
	type Row struct{ Name, Email1, Email2 string }
	rows, err := session.Rows[Row](session.Select[QUser]().Select(&U.Name, &A1.Email, &A2.Email).
		Join(a1, expr.On(&U.ID, &A1.UserID)).Join(a2, expr.On(&U.ID, &A2.UserID)).
		Where(expr.Eq(&A1.Email, "jack@google.com"), expr.Eq(&A2.Email, "j25@yahoo.com"))).All(ctx)
	fmt.Println(rows, err)
	// Output: [{jack jack@google.com j25@yahoo.com}] <nil>
}

func ExampleSubquery() {
	ctx, _, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	A := expr.Cols[QAddress]()
	type AddrCount struct {
		UserID       *int64
		AddressCount int64
	}
	sq, S, err := session.Subquery[AddrCount](session.Select[QAddress]().
		Select(&A.UserID, expr.Label(expr.CountAll(), "address_count")).GroupBy(&A.UserID), "")
	if err != nil {
		panic(err)
	}
	type Row struct {
		User         *QUser
		AddressCount *int64
	}
	rows, err := session.Rows[Row](session.Select[QUser]().Select(U, &S.AddressCount).
		OuterJoin(sq, expr.On(&U.ID, &S.UserID)).OrderBy(&U.ID)).All(ctx)
	if err != nil {
		panic(err)
	}
	for _, r := range rows {
		if r.AddressCount == nil {
			fmt.Println(r.User.Name, "NULL")
		} else {
			fmt.Println(r.User.Name, *r.AddressCount)
		}
	}
	// Output:
	// ed NULL
	// wendy NULL
	// mary NULL
	// fred NULL
	// jack 2
}

func ExampleExistsQuery() {
	ctx, _, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	A := expr.Cols[QAddress]()
	hasAddress := session.ExistsQuery(session.Select[QAddress]().Where(expr.On(&A.UserID, &U.ID)))
	with, _ := session.Select[QUser]().Where(hasAddress).All(ctx)
	without, _ := session.Select[QUser]().Where(expr.Not(hasAddress)).OrderBy(&U.ID).All(ctx)
	fmt.Println(names(with), names(without))
	// Output: [jack] [ed wendy mary fred]
}

func ExampleQuery_Union() {
	ctx, _, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	q := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).
		Union(session.Select[QUser]().Where(expr.Eq(&U.Name, "mary"))).OrderBy(expr.Desc(&U.Name))
	users, _ := q.All(ctx)
	fmt.Println(names(users))
	// Output: [mary ed]
}

func ExampleQuery_FromStatement() {
	ctx, _, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	byName, _ := session.Select[QUser]().FromStatement(expr.Text("SELECT * FROM users WHERE name = :name")).
		Params(expr.P{"name": "ed"}).All(ctx)
	byPosition, _ := session.Select[QUser]().FromStatement(
		expr.Text("SELECT name, id, fullname, nickname FROM users WHERE name = :name").Columns(&U.Name, &U.ID, &U.Fullname, &U.Nickname),
	).Params(expr.P{"name": "ed"}).One(ctx)
	fmt.Println(byName[0].Nickname, byName[0] == byPosition)
	// Output: eddie true
}

func ExampleQuery_Update() {
	ctx, _, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	ed, _ := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).One(ctx)
	n, err := session.Select[QUser]().Where(expr.Like(&U.Name, "%ed")).Update(ctx, expr.P{"Nickname": "bulk"})
	fmt.Println(n, err, ed.Nickname)
	_, err = session.Select[QUser]().Delete(ctx)
	fmt.Println(err)
	// Output:
	// 2 <nil> bulk
	// arc: invalid request: Delete of QUser without a condition would change every row; add Where, or call AllRows() to mean it
}

func ExampleQuery_Count() {
	ctx, _, done := exampleDB()
	defer done()
	U := expr.Cols[QUser]()
	n, _ := session.Select[QUser]().Where(expr.Like(&U.Name, "%ed")).Count(ctx)
	type Group struct {
		Count int64
		Name  string
	}
	groups, _ := session.Rows[Group](session.Select[QUser]().Select(expr.Count(&U.Name), &U.Name).
		Where(expr.In(&U.Name, "ed", "wendy")).GroupBy(&U.Name).OrderBy(&U.Name)).All(ctx)
	fmt.Println(n, groups)
	// Output: 2 [{1 ed} {1 wendy}]
}

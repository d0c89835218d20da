package main

import (
	"context"

	"github.com/arcorm/arc"
)

// story runs the tutorial's chapters in order. Each "snippet:" region is
// shown in docs/tutorial.md with what it printed.
func story(ctx context.Context, eng *arc.Engine, tr *transcript) error {
	s, err := basics(ctx, eng, tr)
	if err != nil {
		return err
	}
	if err := relationships(ctx, s, tr); err != nil {
		return err
	}
	return cascades(ctx, eng, tr)
}

// basics is §3–§7: the schema, the session, querying.
func basics(ctx context.Context, eng *arc.Engine, tr *transcript) (*arc.Session, error) {
	show := tr.show

	tr.step("create-all", "§4 Creating the schema")
	// snippet: create-all
	if err := arc.CreateAll(ctx, eng, User{}, Address{}); err != nil {
		return nil, err
	}
	// end snippet

	tr.step("create-all-again", "§4 create_all again creates nothing")
	// snippet: create-all-again
	if err := arc.CreateAll(ctx, eng, User{}, Address{}); err != nil {
		return nil, err
	}
	// end snippet

	tr.step("session", "§5.1–5.2 A new object and a session")
	// snippet: session
	ed := &User{Name: "ed", Fullname: "Ed Jones", Nickname: "edsnickname"}
	show("ed.ID", ed.ID)

	s := arc.NewSession(eng)      // holds no connection yet
	ctx = arc.WithSession(ctx, s) // queries and Get find the session here
	show("state of ed", s.StateOf(ed))
	// end snippet

	tr.step("add", "§5.3 Add, autoflush and the identity map")
	// snippet: add
	if err := s.Add(ed); err != nil {
		return nil, err
	}
	show("state after Add", s.StateOf(ed))

	ourUser, err := arc.Select[User]().FilterBy(arc.P{"Name": "ed"}).First(ctx)
	if err != nil {
		return nil, err
	}
	show("ourUser", ourUser)
	show("ourUser == ed", ourUser == ed)
	show("state of ed after the query", s.StateOf(ed))

	impostor := &User{ID: ed.ID, Name: "ed"} // a second object for ed's key
	show("Add(impostor)", s.Add(impostor))
	// end snippet

	tr.step("add-all", "§5.4 AddAll, Dirty, New, Commit")
	// snippet: add-all
	if err := s.AddAll(
		&User{Name: "wendy", Fullname: "Wendy Williams", Nickname: "windy"},
		&User{Name: "mary", Fullname: "Mary Contrary", Nickname: "mary"},
		&User{Name: "fred", Fullname: "Fred Flintstone", Nickname: "freddy"},
	); err != nil {
		return nil, err
	}
	ed.Nickname = "eddie"
	show("s.Dirty()", s.Dirty())
	show("s.New()", s.New())
	if err := s.Commit(ctx); err != nil {
		return nil, err
	}
	// end snippet

	tr.step("expired", "§5.4 After the commit, objects are expired")
	// snippet: expired
	again, err := arc.Get[User](ctx, ed.ID) // expired: reloads (a read: no transaction until the next write)
	if err != nil {
		return nil, err
	}
	show("ed.ID after commit", again.ID)
	show("Get returned ed", again == ed)
	// end snippet

	tr.step("rollback", "§6 Rolling back")
	// snippet: rollback
	U := arc.Cols[User]() // a probe: &U.Name names the column users.name
	ed.Name = "Edwardo"
	fakeUser := &User{Name: "fakeuser", Fullname: "Invalid", Nickname: "12345"}
	if err := s.Add(fakeUser); err != nil {
		return nil, err
	}
	both, err := arc.Select[User]().Where(arc.In(&U.Name, "Edwardo", "fakeuser")).OrderBy(&U.ID).All(ctx)
	if err != nil {
		return nil, err
	}
	show("before rollback", userNames(both))

	if err := s.Rollback(ctx); err != nil {
		return nil, err
	}
	show("ed.Name", ed.Name)
	show("fakeUser in session", s.Contains(fakeUser))
	show("state of fakeUser", s.StateOf(fakeUser))
	after, err := arc.Select[User]().Where(arc.In(&U.Name, "ed", "fakeuser")).All(ctx)
	if err != nil {
		return nil, err
	}
	show("after rollback", after)
	// end snippet

	tr.step("query", "§7.1 Querying: entities, columns, labels, aliases")
	// snippet: query
	users, err := arc.Select[User]().OrderBy(&U.ID).All(ctx)
	if err != nil {
		return nil, err
	}
	show("users by id", users)

	names, err := arc.Rows[struct{ Name, Fullname string }](
		arc.Select[User]().Select(&U.Name, &U.Fullname).OrderBy(&U.ID)).All(ctx)
	if err != nil {
		return nil, err
	}
	show("name, fullname", names)

	type userAndName struct {
		User *User
		Name string
	}
	pairs, err := arc.Rows[userAndName](arc.Select[User]().AddColumns(&U.Name).OrderBy(&U.ID).Limit(2)).All(ctx)
	if err != nil {
		return nil, err
	}
	show("row.User, row.Name", pairs)

	labels, err := arc.Rows[struct{ NameLabel string }](
		arc.Select[User]().Select(arc.Label(&U.Name, "name_label")).OrderBy(&U.ID)).All(ctx)
	if err != nil {
		return nil, err
	}
	show("name_label", labels)

	ua := arc.Alias[User]("user_alias")
	aliased, err := arc.Rows[struct {
		UserAlias *User
		Name      string
	}](arc.SelectAs[User](ua).Select(ua.Cols(), &ua.Cols().Name).OrderBy(&ua.Cols().ID).Limit(1)).All(ctx)
	if err != nil {
		return nil, err
	}
	show("user_alias, name", aliased)
	// end snippet

	tr.step("slices", "§7.2 LIMIT and OFFSET")
	// snippet: slices
	byID := arc.Select[User]().OrderBy(&U.ID)
	page, err := byID.Slice(1, 3).All(ctx)
	if err != nil {
		return nil, err
	}
	show("[1:3]", page)
	second, err := byID.Slice(1, 2).One(ctx)
	if err != nil {
		return nil, err
	}
	show("[1]", second)
	// end snippet

	tr.step("filter", "§7.3 FilterBy and Where")
	// snippet: filter
	n1, err := arc.Rows[string](arc.Select[User]().Select(&U.Name).FilterBy(arc.P{"Fullname": "Ed Jones"})).One(ctx)
	if err != nil {
		return nil, err
	}
	n2, err := arc.Rows[string](arc.Select[User]().Select(&U.Name).Where(arc.Eq(&U.Fullname, "Ed Jones"))).One(ctx)
	if err != nil {
		return nil, err
	}
	show("FilterBy, Where", []string{n1, n2})

	chained, err := arc.Select[User]().Where(arc.Eq(&U.Name, "ed")).Where(arc.Eq(&U.Fullname, "Ed Jones")).One(ctx)
	if err != nil {
		return nil, err
	}
	show("two Where calls", chained)

	_, err = arc.Select[User]().FilterBy(arc.P{"Nmae": "ed"}).All(ctx)
	show("FilterBy with a typo", err)
	// end snippet

	tr.step("operators", "§7.4 Common filter operators")
	// snippet: operators
	ops := []struct {
		name string
		pred arc.Expr
	}{
		{"Eq", arc.Eq(&U.Name, "ed")},
		{"Ne", arc.Ne(&U.Name, "ed")},
		{"Like", arc.Like(&U.Name, "%ed%")},
		{"ILike", arc.ILike(&U.Name, "%ED%")},
		{"In", arc.In(&U.Name, "ed", "wendy", "jack")},
		{"InQuery", arc.InQuery(&U.Name, arc.Select[User]().Select(&U.Name).Where(arc.Like(&U.Name, "%ed%")))},
		{"TupleIn", arc.TupleIn([]any{&U.Name, &U.Nickname}, []any{"ed", "edsnickname"}, []any{"wendy", "windy"})},
		{"NotIn", arc.NotIn(&U.Name, "ed", "wendy", "jack")},
		{"In (empty)", arc.In[string](&U.Name)},
		{"NotIn (empty)", arc.NotIn[string](&U.Name)},
		{"IsNull", arc.IsNull(&U.Name)},
		{"IsNotNull", arc.IsNotNull(&U.Name)},
		{"And", arc.And(arc.Eq(&U.Name, "ed"), arc.Eq(&U.Fullname, "Ed Jones"))},
		{"Or", arc.Or(arc.Eq(&U.Name, "ed"), arc.Eq(&U.Name, "wendy"))},
		{"Not(Or)", arc.Not(arc.Or(arc.Eq(&U.Name, "ed"), arc.Eq(&U.Name, "wendy")))},
	}
	for _, op := range ops {
		found, err := arc.Select[User]().Where(op.pred).OrderBy(&U.ID).All(ctx)
		if err != nil {
			return nil, err
		}
		show(op.name, userNames(found))
	}
	// end snippet

	tr.step("results", "§7.5 Returning lists and scalars")
	// snippet: results
	q := arc.Select[User]().Where(arc.Like(&U.Name, "%ed")).OrderBy(&U.ID)
	all, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	show("All", all)
	first, err := q.First(ctx)
	if err != nil {
		return nil, err
	}
	show("First", first)
	_, err = q.One(ctx)
	show("One", err) // errors.Is(err, arc.ErrMultipleRows)
	_, err = q.Where(arc.Eq(&U.ID, 99)).One(ctx)
	show("One, id 99", err) // errors.Is(err, arc.ErrNotFound)
	none, err := q.Where(arc.Eq(&U.ID, 99)).OneOrNone(ctx)
	if err != nil {
		return nil, err
	}
	show("OneOrNone, id 99", none)
	id, err := arc.Scalar[int64](ctx, arc.Select[User]().Select(&U.ID).Where(arc.Eq(&U.Name, "ed")))
	if err != nil {
		return nil, err
	}
	show("Scalar", id)
	_, err = arc.Scalar[int64](ctx, arc.Select[User]().Select(&U.ID).Where(arc.Eq(&U.Name, "nobody")))
	show("Scalar, no row", err)
	// end snippet

	tr.step("text", "§7.6 Textual SQL")
	// snippet: text
	byText, err := arc.Select[User]().Where(arc.Text("id<224")).OrderBy(arc.Text("id")).All(ctx)
	if err != nil {
		return nil, err
	}
	show("Text", userNames(byText))

	fred, err := arc.Select[User]().Where(arc.Text("id<:value and name=:name")).
		Params(arc.P{"value": 224, "name": "fred"}).OrderBy(&U.ID).One(ctx)
	if err != nil {
		return nil, err
	}
	show("Params", fred)

	byName, err := arc.Select[User]().FromStatement(arc.Text("SELECT * FROM users where name=:name")).
		Params(arc.P{"name": "ed"}).All(ctx)
	if err != nil {
		return nil, err
	}
	show("FromStatement", byName)

	byPosition, err := arc.Select[User]().FromStatement(
		arc.Text("SELECT name, id, fullname, nickname, created_at FROM users where name=:name").
			Columns(&U.Name, &U.ID, &U.Fullname, &U.Nickname, &U.CreatedAt)).
		Params(arc.P{"name": "ed"}).All(ctx)
	if err != nil {
		return nil, err
	}
	show("Columns by position", byPosition)

	type idName struct {
		ID   int64
		Name string
	}
	cols, err := arc.Rows[idName](arc.Select[User]().Select(&U.ID, &U.Name).FromStatement(
		arc.Text("SELECT name, id FROM users where name=:name").Columns(&U.Name, &U.ID)).
		Params(arc.P{"name": "ed"})).All(ctx)
	if err != nil {
		return nil, err
	}
	show("id, name", cols)
	// end snippet

	tr.step("counting", "§7.7 Counting")
	// snippet: counting
	n, err := arc.Select[User]().Where(arc.Like(&U.Name, "%ed")).Count(ctx)
	if err != nil {
		return nil, err
	}
	show("Count", n)

	type nameCount struct {
		Count int64
		Name  string
	}
	groups, err := arc.Rows[nameCount](arc.Select[User]().Select(arc.Count(&U.Name), &U.Name).
		GroupBy(&U.Name).OrderBy(&U.Name)).All(ctx)
	if err != nil {
		return nil, err
	}
	show("count per name", groups)

	star, err := arc.Scalar[int64](ctx, arc.Select[Address]().Select(arc.CountAll()).SelectFrom(U))
	if err != nil {
		return nil, err
	}
	show("count(*) from users", star)
	ids, err := arc.Scalar[int64](ctx, arc.Select[User]().Select(arc.Count(&U.ID)))
	if err != nil {
		return nil, err
	}
	show("count(users.id)", ids)
	// end snippet
	return s, nil
}

// userNames lists the users' names.
func userNames(us []*User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Name
	}
	return out
}

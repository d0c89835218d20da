package main

import (
	"context"
	"fmt"
	"io"

	"github.com/arcorm/arc"
)

// story runs the tutorial's chapters in order.
func story(ctx context.Context, eng *arc.Engine, out io.Writer) error {
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	U := arc.Cols[User]()

	say("== Declaring a mapping and creating the schema (create_all)")
	if err := arc.CreateAll(ctx, eng, User{}, Address{}); err != nil {
		return err
	}
	say("-- a second create_all creates nothing:")
	if err := arc.CreateAll(ctx, eng, User{}, Address{}); err != nil {
		return err
	}

	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)

	say("\n== Adding and updating objects")
	ed := &User{Name: "ed", Fullname: "Ed Jones", Nickname: "edsnickname"}
	say("ed.ID before adding: %d (no SQL yet)", ed.ID)
	if err := s.Add(ed); err != nil {
		return err
	}
	our, err := arc.Select[User]().FilterBy(arc.P{"Name": "ed"}).First(ctx)
	if err != nil {
		return err
	}
	say("query returned %v; same object as ed: %v", our, our == ed)

	if err := s.AddAll(
		&User{Name: "wendy", Fullname: "Wendy Williams", Nickname: "windy"},
		&User{Name: "mary", Fullname: "Mary Contrary", Nickname: "mary"},
		&User{Name: "fred", Fullname: "Fred Flintstone", Nickname: "freddy"},
	); err != nil {
		return err
	}
	ed.Nickname = "eddie"
	say("dirty: %v", s.Dirty())
	say("new:   %v", s.New())
	if err := s.Commit(ctx); err != nil {
		return err
	}
	say("after commit ed.ID = %d", ed.ID)

	say("\n== Rolling back")
	ed.Name = "Edwardo"
	fake := &User{Name: "fakeuser", Fullname: "Invalid", Nickname: "12345"}
	if err := s.Add(fake); err != nil {
		return err
	}
	both, err := arc.Select[User]().Where(arc.In(&U.Name, "Edwardo", "fakeuser")).OrderBy(&U.ID).All(ctx)
	if err != nil {
		return err
	}
	say("before rollback: %v", both)
	if err := s.Rollback(ctx); err != nil {
		return err
	}
	say("after rollback ed.Name = %q; fakeuser in session: %v", ed.Name, s.Contains(fake))

	say("\n== Querying")
	users, err := arc.Select[User]().OrderBy(&U.ID).All(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		say("%s %s", u.Name, u.Fullname)
	}
	n, err := arc.Select[User]().Where(arc.Like(&U.Name, "%ed")).Count(ctx)
	if err != nil {
		return err
	}
	say("count of users named like '%%ed': %d", n)
	return s.Commit(ctx)
}

package main

import (
	"context"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/examples/tutorial/blog"
)

// cascades is §12b and §13: the second set of models (package blog) with
// delete cascade, then many-to-many and the dynamic relationship, in one
// session that is never committed.
func cascades(ctx context.Context, eng *arc.Engine, tr *transcript) error {
	show := tr.show
	U, A := arc.Cols[blog.User](), arc.Cols[blog.Address]()
	P, K := arc.Cols[blog.Post](), arc.Cols[blog.Keyword]()

	tr.step("blog-schema", "§12b–13 The second set of models: create_all adds posts and keywords")
	// snippet: blog-schema
	if err := arc.CreateAll(ctx, eng, blog.User{}, blog.Address{}, blog.Post{}, blog.Keyword{}, blog.PostKeyword{}); err != nil {
		return err
	}
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	ctx = arc.WithSession(ctx, s)
	// end snippet

	tr.step("cascade", "§12b Delete and delete-orphan cascade")
	// snippet: cascade
	jackID, err := arc.Scalar[int64](ctx, arc.Select[blog.User]().Select(&U.ID).Where(arc.Eq(&U.Name, "jack")))
	if err != nil {
		return err
	}
	jack, err := arc.Get[blog.User](ctx, jackID)
	if err != nil {
		return err
	}
	addresses, err := jack.Addresses.Load(ctx)
	if err != nil {
		return err
	}
	jack.Addresses.Remove(addresses[1]) // an orphan: deleted at the next flush
	jacksEmails := arc.Select[blog.Address]().Where(arc.In(&A.Email, "jack@google.com", "j25@yahoo.com"))
	n, err := jacksEmails.Count(ctx)
	if err != nil {
		return err
	}
	show("addresses left", n)

	if err := s.Delete(jack); err != nil { // deletes his addresses too
		return err
	}
	n, err = arc.Select[blog.User]().FilterBy(arc.P{"Name": "jack"}).Count(ctx)
	if err != nil {
		return err
	}
	show("jack deleted with cascade: users named jack", n)
	n, err = jacksEmails.Count(ctx)
	if err != nil {
		return err
	}
	show("addresses left after deleting jack", n)
	// end snippet

	tr.step("get-twice", "§12b Get looks in the identity map first")
	// snippet: get-twice
	ed, err := arc.Select[blog.User]().FilterBy(arc.P{"Name": "ed"}).One(ctx)
	if err != nil {
		return err
	}
	again, err := arc.Get[blog.User](ctx, ed.ID) // no SQL
	if err != nil {
		return err
	}
	show("Get(ed.ID) == ed", again == ed)
	_, err = arc.Get[blog.User](ctx, 99)
	show("Get(99)", err) // errors.Is(err, arc.ErrNotFound)
	// end snippet

	tr.step("many-to-many", "§13 Many-to-many")
	// snippet: many-to-many
	wendy, err := arc.Select[blog.User]().FilterBy(arc.P{"Name": "wendy"}).One(ctx)
	if err != nil {
		return err
	}
	post := blog.NewPost("Wendy's Blog Post", "This is a test", wendy)
	if err := s.Add(post); err != nil {
		return err
	}
	wendyKw, firstpost := arc.New(&blog.Keyword{Keyword: "wendy"}), arc.New(&blog.Keyword{Keyword: "firstpost"})
	post.Keywords.Append(wendyKw, firstpost)
	show("wendyKw.Posts", wendyKw.Posts.Items()) // the other side, in memory

	tagged, err := arc.Select[blog.Post]().Where(arc.Any(&P.Keywords, arc.Eq(&K.Keyword, "firstpost"))).All(ctx)
	if err != nil {
		return err
	}
	show("posts tagged firstpost", tagged)

	byWendy, err := arc.Select[blog.Post]().
		Where(arc.Is(&P.Author, wendy), arc.Any(&P.Keywords, arc.Eq(&K.Keyword, "firstpost"))).All(ctx)
	if err != nil {
		return err
	}
	show("by wendy, tagged firstpost", byWendy)
	// end snippet

	tr.step("dynamic", "§13 A dynamic relationship")
	// snippet: dynamic
	dyn, err := wendy.Posts.All(ctx, arc.Any(&P.Keywords, arc.Eq(&K.Keyword, "firstpost")))
	if err != nil {
		return err
	}
	show("wendy.Posts tagged firstpost", dyn)

	wendy.Posts.Append(blog.NewPost("Second post", "More", nil)) // queued, flushed before the next read
	count, err := wendy.Posts.Count(ctx)
	if err != nil {
		return err
	}
	show("wendy.Posts.Count", count)
	page, err := wendy.Posts.Slice(ctx, 1, 2)
	if err != nil {
		return err
	}
	show("wendy.Posts.Slice(1, 2)", page)

	post.Keywords.Remove(wendyKw) // deletes only the association row
	if err := s.Flush(ctx); err != nil {
		return err
	}
	kept, err := arc.Select[blog.Keyword]().OrderBy(&K.ID).All(ctx)
	if err != nil {
		return err
	}
	show("keywords", kept)
	// end snippet

	tr.step("passive-deletes", "§12b passive_deletes: the database deletes the posts")
	// snippet: passive-deletes
	if err := s.Delete(wendy); err != nil {
		return err
	}
	if err := s.Flush(ctx); err != nil {
		return err
	}
	left, err := arc.Select[blog.Post]().Count(ctx)
	if err != nil {
		return err
	}
	show("posts left", left)
	// end snippet
	return nil
}

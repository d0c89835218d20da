package session_test

import (
	"fmt"
	"strings"

	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// §9 / §16 item 13: empty collection, in-memory sync both ways, cascade on
// Add, parent inserted first with the FK filled in, lazy load in order.
func TestRelWorkingWithRelatedObjects(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		jack := relations.Init(&RUser{Name: "jack", Fullname: "Jack Bean", Nickname: "gjffdd"})
		items, loaded := jack.Addresses.Cached()
		require.Empty(t, items)
		require.True(t, loaded)

		a1, a2 := &RAddress{Email: "jack@google.com"}, &RAddress{Email: "j25@yahoo.com"}
		jack.Addresses.Set(a1, a2)
		require.Equal(t, 2, jack.Addresses.Len())
		require.Same(t, jack, jack.Addresses.At(1).User.Get())

		// The reverse direction: setting the to-one side appends, nil removes.
		a3 := relations.Init(&RAddress{Email: "tmp@example.com"})
		a3.User.Set(jack)
		require.Equal(t, 3, jack.Addresses.Len())
		a3.User.Set(nil)
		require.Equal(t, 2, jack.Addresses.Len())
		require.True(t, jack.Addresses.Remove(a1))
		require.Nil(t, a1.User.Get())
		jack.Addresses.Set(a1, a2)
		require.Same(t, jack, a1.User.Get())

		rec := dbtest.Record(eng)
		require.NoError(t, s.Add(jack))
		require.Len(t, s.New(), 3, "save-update cascade adds both addresses")
		require.NoError(t, s.Commit(ctx))
		ins := filterSQL(rec.SQL(), "INSERT")
		require.GreaterOrEqual(t, len(ins), 2)
		require.Contains(t, ins[0], "INSERT INTO users")
		require.Contains(t, ins[len(ins)-1], "INSERT INTO addresses")
		require.Equal(t, 2, countRows(t, eng, "addresses", "user_id = ?", jack.ID))

		// Lazy load in a new session: once, ordered by id.
		s2 := session.New(eng)
		defer s2.Close(ctx)
		j, err := session.NewQuery[RUser](s2).Where(expr.Eq(&U.Name, "jack")).One(ctx)
		require.NoError(t, err)
		_, loaded = j.Addresses.Cached()
		require.False(t, loaded)
		rec.Reset()
		got, err := j.Addresses.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"jack@google.com", "j25@yahoo.com"}, emails(got))
		require.Equal(t, []string{phs(eng, "SELECT addresses.id, addresses.email_address, addresses.user_id FROM addresses WHERE ? = addresses.user_id ORDER BY addresses.id")}, rec.SQL())
		rec.Reset()
		_, err = j.Addresses.Load(ctx)
		require.NoError(t, err)
		u, err := got[0].User.Load(ctx)
		require.NoError(t, err)
		require.Same(t, j, u)
		require.Empty(t, rec.SQL(), "second load and the many-to-one through the identity map emit no SQL")

		// A many-to-one of an address loaded by a query: identity map hit.
		s3 := session.New(eng)
		defer s3.Close(ctx)
		j3, err := session.Get[RUser](ctx, s3, jack.ID)
		require.NoError(t, err)
		addrs, err := session.NewQuery[RAddress](s3).OrderBy(&A.ID).All(ctx)
		require.NoError(t, err)
		rec.Reset()
		u3, err := addrs[0].User.Load(ctx)
		require.NoError(t, err)
		require.Same(t, j3, u3)
		require.Empty(t, rec.SQL())
	})
}

// Appending to a persistent parent's collection and moving a child.
func TestRelAppendToPersistent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		jackID := relSeed(t, eng)
		jack, err := session.Get[RUser](ctx, s, jackID)
		require.NoError(t, err)
		ed, err := session.NewQuery[RUser](s).Where(expr.Eq(&U.Name, "ed")).One(ctx)
		require.NoError(t, err)
		addrs, err := jack.Addresses.Load(ctx)
		require.NoError(t, err)
		// Move the second address to ed, append a new one to jack.
		moved := addrs[1]
		moved.User.Set(ed)
		require.Equal(t, 1, jack.Addresses.Len())
		jack.Addresses.Append(&RAddress{Email: "new@jack.com"})
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 2, countRows(t, eng, "addresses", "user_id = ?", jackID))
		require.Equal(t, 1, countRows(t, eng, "addresses", "user_id = ? AND email_address = ?", ed.ID, "j25@yahoo.com"))
	})
}

// §12 / §16 item 16: deleting a parent without delete cascade nulls the
// children's FK; Close rolls back.
func TestRelDeleteNullsChildren(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		jackID := relSeed(t, eng)
		jack, err := session.Get[RUser](ctx, s, jackID)
		require.NoError(t, err)
		rec := dbtest.Record(eng)
		require.NoError(t, s.Delete(jack))
		n, err := session.NewQuery[RUser](s).Where(expr.Eq(&U.Name, "jack")).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		sqls := rec.SQL()
		require.True(t, hasSQL(sqls, "FROM addresses WHERE"), "loads the collection: %v", sqls)
		require.Len(t, filterSQL(sqls, "UPDATE addresses SET user_id"), 2, "%v", sqls)
		require.True(t, hasSQL(sqls, "DELETE FROM users"))
		n, err = session.NewQuery[RAddress](s).Where(expr.In(&A.Email, "jack@google.com", "j25@yahoo.com")).Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		require.NoError(t, s.Close(ctx))
		require.Equal(t, 2, countRows(t, eng, "addresses", "user_id = ?", jackID), "close rolled back")
		require.Equal(t, 1, countRows(t, eng, "users", "name = 'jack'"))
		_, err = jack.Addresses.Load(ctx)
		require.ErrorIs(t, err, arcerr.ErrDetached, "the session is closed")
	})
}

// §12b / §16 item 17: cascade all,delete-orphan.
func TestRelDeleteOrphanCascade(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng, CUser{}, CAddress{})
		jackID := relSeed(t, eng)
		rec := dbtest.Record(eng)
		jack, err := session.Get[CUser](ctx, s, jackID)
		require.NoError(t, err)
		addrs, err := jack.Addresses.Load(ctx)
		require.NoError(t, err)
		require.Len(t, addrs, 2)
		require.True(t, hasSQL(rec.SQL(), phs(eng, "FROM addresses WHERE ? = addresses.user_id")))
		var second *CAddress
		for _, a := range addrs {
			if a.Email == "j25@yahoo.com" {
				second = a
			}
		}
		jack.Addresses.Remove(second)
		rec.Reset()
		n, err := session.NewQuery[CAddress](s).Where(expr.In(&CA.Email, "jack@google.com", "j25@yahoo.com")).Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.Equal(t, []string{phs(eng, "DELETE FROM addresses WHERE id = ?")}, filterSQL(rec.SQL(), "DELETE"))

		require.NoError(t, s.Delete(jack))
		rec.Reset()
		n, err = session.NewQuery[CUser](s).Where(expr.Eq(&CU.Name, "jack")).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		dels := filterSQL(rec.SQL(), "DELETE")
		require.Len(t, dels, 2, "%v", rec.SQL())
		require.Contains(t, dels[0], "DELETE FROM addresses")
		require.Contains(t, dels[1], "DELETE FROM users")
		n, err = session.NewQuery[CAddress](s).Where(expr.In(&CA.Email, "jack@google.com", "j25@yahoo.com")).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n)

		// A second Get of a mapped key emits no SQL.
		ed, err := session.NewQuery[CUser](s).Where(expr.Eq(&CU.Name, "ed")).One(ctx)
		require.NoError(t, err)
		rec.Reset()
		ed2, err := session.Get[CUser](ctx, s, ed.ID)
		require.NoError(t, err)
		require.Same(t, ed, ed2)
		require.Empty(t, rec.SQL())
	})
}

// §16 item 18: passive_deletes relies on ON DELETE CASCADE: no SELECT of
// the children.
func TestRelPassiveDeletes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng, PUser{}, PAddress{})
		u := &PUser{Name: "jack"}
		u.Addresses.Append(&PAddress{Email: "a@x"}, &PAddress{Email: "b@x"})
		require.NoError(t, s.Add(u))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 2, countRows(t, eng, "addresses", ""))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		u2, err := session.Get[PUser](ctx, s2, u.ID)
		require.NoError(t, err)
		rec := dbtest.Record(eng)
		require.NoError(t, s2.Delete(u2))
		require.NoError(t, s2.Commit(ctx))
		require.False(t, hasSQL(rec.SQL(), "FROM addresses"), "%v", rec.SQL())
		require.Equal(t, []string{phs(eng, "DELETE FROM users WHERE id = ?")}, filterSQL(rec.SQL(), "DELETE"))
		require.Equal(t, 0, countRows(t, eng, "addresses", ""))
	})
}

// §13 / §16 item 19: many-to-many and the dynamic relationship.
func TestRelManyToManyAndDynamic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		relSeed(t, eng)
		wendy, err := session.NewQuery[RUser](s).Where(expr.Eq(&U.Name, "wendy")).One(ctx)
		require.NoError(t, err)
		post := relations.Init(&RPost{Headline: "Wendy's Blog Post", Body: "This is a test"})
		post.Author.Set(wendy)
		require.NoError(t, s.Add(post))
		kw1, kw2 := relations.Init(&RKeyword{Keyword: "wendy"}), relations.Init(&RKeyword{Keyword: "firstpost"})
		post.Keywords.Append(kw1, kw2)
		require.Equal(t, []*RPost{post}, kw1.Posts.Items(), "back_populates on many-to-many, in memory")

		rec := dbtest.Record(eng)
		got, err := session.NewQuery[RPost](s).Where(relations.Any(&P.Keywords, expr.Eq(&K.Keyword, "firstpost"))).All(ctx)
		require.NoError(t, err)
		require.Equal(t, []*RPost{post}, got)
		sqls := rec.SQL()
		ins := filterSQL(sqls, "INSERT")
		require.Len(t, ins, 3, "%v", sqls)
		require.True(t, hasSQL(ins[:2], "INSERT INTO keywords"), "%v", ins)
		require.True(t, hasSQL(ins[:2], "INSERT INTO posts"), "%v", ins)
		require.Contains(t, ins[2], "INSERT INTO post_keywords", "association rows after both sides")
		require.True(t, hasSQL(sqls, phs(eng, "WHERE EXISTS (SELECT 1 FROM post_keywords, keywords WHERE posts.id = post_keywords.post_id AND keywords.id = post_keywords.keyword_id AND keywords.keyword = ?)")), "%v", sqls)
		require.Equal(t, int64(wendy.ID), *post.UserID)

		// author == wendy AND keywords.any(...)
		got, err = session.NewQuery[RPost](s).Where(relations.Is(&P.Author, wendy), relations.Any(&P.Keywords, expr.Eq(&K.Keyword, "firstpost"))).All(ctx)
		require.NoError(t, err)
		require.Equal(t, []*RPost{post}, got)

		// Dynamic: filter, count, slice, append.
		got, err = wendy.Posts.All(ctx, relations.Any(&P.Keywords, expr.Eq(&K.Keyword, "firstpost")))
		require.NoError(t, err)
		require.Equal(t, []*RPost{post}, got)
		n, err := wendy.Posts.Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		wendy.Posts.Append(&RPost{Headline: "second", Body: "b"})
		n, err = wendy.Posts.Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 2, n, "append is flushed before the read")
		sl, err := wendy.Posts.Slice(ctx, 1, 2)
		require.NoError(t, err)
		require.Len(t, sl, 1)
		require.Equal(t, "second", sl[0].Headline)

		// Removing a keyword deletes only the association row.
		post.Keywords.Remove(kw1)
		rec.Reset()
		require.NoError(t, s.Flush(ctx))
		require.Equal(t, []string{phs(eng, "DELETE FROM post_keywords WHERE post_keywords.keyword_id = ? AND post_keywords.post_id = ?")}, filterSQL(rec.SQL(), "DELETE"))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 1, countRows(t, eng, "post_keywords", ""))
		require.Equal(t, 2, countRows(t, eng, "keywords", ""))

		// Lazy load of a many-to-many in a fresh session.
		s2 := session.New(eng)
		defer s2.Close(ctx)
		p2, err := session.Get[RPost](ctx, s2, post.ID)
		require.NoError(t, err)
		kws, err := p2.Keywords.Load(ctx)
		require.NoError(t, err)
		require.Len(t, kws, 1)
		require.Equal(t, "firstpost", kws[0].Keyword)
	})
}

// Registration errors name both models.
type badNoFK struct {
	ID    int64
	Items relations.Many[badItem]
}
type badItem struct {
	ID   int64
	Name string
}
type badBack struct {
	ID       int64
	Children relations.Many[badChild] `arc:"back_populates:Nope"`
}
type badChild struct {
	ID       int64
	ParentID *int64 `arc:"fk:bad_backs.id"`
}
type twoPaths struct {
	ID    int64
	Items relations.Many[twoPathItem]
}

func (twoPaths) TableName() string      { return "two_paths" }
func (twoPathsFixed) TableName() string { return "two_paths_fixed" }

type twoPathItem struct {
	ID   int64
	AID  *int64 `arc:"fk:two_paths.id"`
	BID  *int64 `arc:"fk:two_paths.id"`
	Name string
}
type twoPathsFixed struct {
	ID    int64
	Items relations.Many[twoPathItem2] `arc:"fk:BID"`
}
type twoPathItem2 struct {
	ID  int64
	AID *int64 `arc:"fk:two_paths_fixed.id"`
	BID *int64 `arc:"fk:two_paths_fixed.id"`
}

func TestRelRegistrationErrors(t *testing.T) {
	resolve := func(t *testing.T, tab *meta.Table, field string) error {
		_, err := meta.Resolve(tab.Relation(field))
		return err
	}
	for _, tc := range []struct {
		name  string
		tab   *meta.Table
		field string
		want  []string
	}{
		{"no fk", meta.MustOf[badNoFK](), "Items", []string{"badNoFK", "badItem", "no foreign key"}},
		{"bad back_populates", meta.MustOf[badBack](), "Children", []string{"badBack", "badChild", "Nope"}},
		{"two paths", meta.MustOf[twoPaths](), "Items", []string{"twoPaths", "twoPathItem", "several foreign keys"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := resolve(t, tc.tab, tc.field)
			require.Error(t, err)
			require.True(t, errors.Is(err, arcerr.ErrInvalidModel), "%v", err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
	// Registration reports it too.
	_, err := meta.NewMetaData(badBack{})
	require.ErrorIs(t, err, arcerr.ErrInvalidModel)
	require.Contains(t, err.Error(), "badChild")
	r, err := meta.Resolve(meta.MustOf[twoPathsFixed]().Relation("Items"))
	require.NoError(t, err)
	require.Equal(t, "BID", r.TargetCols[0].Field)
	r, err = meta.Resolve(meta.MustOf[Node]().Relation("Children"))
	require.NoError(t, err)
	require.Equal(t, meta.OneToMany, r.Dir)
	r, err = meta.Resolve(meta.MustOf[Node]().Relation("Parent"))
	require.NoError(t, err)
	require.Equal(t, meta.ManyToOne, r.Dir)
}

// Self-referential adjacency list.
func TestRelSelfReferential(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		root := relations.Init(&Node{Name: "root"})
		root.Children.Append(&Node{Name: "a"}, &Node{Name: "b"})
		root.Children.At(0).Children.Append(&Node{Name: "a1"})
		require.NoError(t, s.Add(root))
		require.NoError(t, s.Commit(ctx))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		r2, err := session.Get[Node](ctx, s2, root.ID)
		require.NoError(t, err)
		kids, err := r2.Children.Load(ctx)
		require.NoError(t, err)
		require.Len(t, kids, 2)
		gk, err := kids[0].Children.Load(ctx)
		require.NoError(t, err)
		require.Len(t, gk, 1)
		p, err := gk[0].Parent.Load(ctx)
		require.NoError(t, err)
		require.Same(t, kids[0], p)
	})
}

// Rollback and Close restore the graph: collections of persistent objects
// are expired and reload from the database; objects added in the
// transaction become transient.
func TestRelRollbackRestoresGraph(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		jackID := relSeed(t, eng)
		jack, err := session.Get[RUser](ctx, s, jackID)
		require.NoError(t, err)
		addrs, err := jack.Addresses.Load(ctx)
		require.NoError(t, err)
		first := addrs[0]
		jack.Addresses.Remove(first)
		extra := &RAddress{Email: "extra@jack.com"}
		jack.Addresses.Append(extra)
		require.NoError(t, s.Flush(ctx))
		require.NotZero(t, extra.ID)
		require.NoError(t, s.Rollback(ctx))
		require.Equal(t, session.Transient, s.StateOf(extra))
		_, loaded := jack.Addresses.Cached()
		require.False(t, loaded, "expired by the rollback")
		got, err := jack.Addresses.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"jack@google.com", "j25@yahoo.com"}, emails(got))
		require.Same(t, first, got[0])
		require.NotNil(t, first.UserID)
		require.Equal(t, jackID, *first.UserID, "the nulled FK is restored")
	})
}

// A dynamic collection of a new owner reads its appended members.
func TestRelDynamicTransientOwner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		u := relations.Init(&RUser{Name: "nat"})
		p1, p2 := &RPost{Headline: "one"}, &RPost{Headline: "two"}
		u.Posts.Append(p1, p2)
		require.Same(t, u, p1.Author.Get(), "the inverse side is set at once")
		require.NoError(t, s.Add(u))
		n, err := u.Posts.Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 2, n, "pending owner: in-memory members, no SQL")
		require.Len(t, u.Posts.Pending(), 2)
		require.NoError(t, s.Commit(ctx))
		require.Empty(t, u.Posts.Pending())
		got, err := u.Posts.All(ctx)
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, "one", got[0].Headline)
		u.Posts.Remove(got[0])
		n, err = u.Posts.Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "the removal is flushed (FK nulled) before the read")
	})
}

// An association object: an association table with an extra column,
// mapped as a model with a One to each side.
type Group struct {
	ID      int64
	Name    string
	Members relations.Many[Membership2] `arc:"back_populates:Group;cascade:all,delete-orphan"`
}

type Membership2 struct {
	UserID  int64 `arc:"pk;fk:users.id"`
	GroupID int64 `arc:"pk;fk:groups.id"`
	Role    string
	User    relations.One[RUser]
	Group   relations.One[Group] `arc:"back_populates:Members"`
}

func (Membership2) TableName() string { return "memberships" }

// One-to-one: a One whose foreign key is on the other table.
type OUser struct {
	ID      int64
	Name    string
	Profile relations.One[OProfile] `arc:"back_populates:User"`
}

func (OUser) TableName() string { return "users" }

type OProfile struct {
	ID     int64
	UserID *int64 `arc:"fk:users.id;unique"`
	Bio    string
	User   relations.One[OUser] `arc:"back_populates:Profile"`
}

func TestRelAssociationObjectAndOneToOne(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng, RUser{}, RAddress{}, RPost{}, RKeyword{}, RPostKeyword{}, Group{}, Membership2{})
		jackID := relSeed(t, eng)
		jack, err := session.Get[RUser](ctx, s, jackID)
		require.NoError(t, err)
		g := relations.Init(&Group{Name: "admins"})
		m := &Membership2{Role: "owner"}
		m.User.Set(jack)
		g.Members.Append(m)
		require.NoError(t, s.Add(g))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 1, countRows(t, eng, "memberships", "user_id = ? AND group_id = ? AND role = ?", jackID, g.ID, "owner"))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		g2, err := session.Get[Group](ctx, s2, g.ID)
		require.NoError(t, err)
		ms, err := g2.Members.Load(ctx)
		require.NoError(t, err)
		require.Len(t, ms, 1)
		u, err := ms[0].User.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "jack", u.Name)
		g2.Members.Remove(ms[0])
		require.NoError(t, s2.Commit(ctx))
		require.Equal(t, 0, countRows(t, eng, "memberships", ""))
	})
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng, OUser{}, OProfile{})
		u := relations.Init(&OUser{Name: "ann"})
		u.Profile.Set(&OProfile{Bio: "hi"})
		require.NoError(t, s.Add(u))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 1, countRows(t, eng, "o_profiles", "user_id = ?", u.ID))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		u2, err := session.Get[OUser](ctx, s2, u.ID)
		require.NoError(t, err)
		p, err := u2.Profile.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, "hi", p.Bio)
		back, err := p.User.Load(ctx)
		require.NoError(t, err)
		require.Same(t, u2, back)
	})
}

// Related gives the full query API over a relationship; a to-one field
// and its FK column changed in disagreement are an error.
func TestRelRelatedQueryAndConflict(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		jackID := relSeed(t, eng)
		jack, err := session.Get[RUser](ctx, s, jackID)
		require.NoError(t, err)
		jack.Posts.Append(&RPost{Headline: "b"}, &RPost{Headline: "a"})
		got, err := session.Related[RPost](&jack.Posts).OrderBy(nil).OrderBy(&P.Headline).All(ctx)
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, "a", got[0].Headline)
		n, err := session.Related[RAddress](&jack.Addresses).Where(expr.Like(&A.Email, "%google%")).Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)

		// Contains and WithParent on a many-to-many.
		post := got[0]
		kw := &RKeyword{Keyword: "go"}
		post.Keywords.Append(kw)
		_, err = session.NewQuery[RPost](s).Where(relations.Contains(&P.Keywords, kw)).All(ctx)
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest, "kw has no key before the flush")
		require.NoError(t, s.Flush(ctx))
		ps, err := session.NewQuery[RPost](s).Where(relations.Contains(&P.Keywords, kw)).All(ctx)
		require.NoError(t, err)
		require.Equal(t, []*RPost{post}, ps)
		kws, err := session.NewQuery[RKeyword](s).Where(relations.WithParent(post, &P.Keywords)).All(ctx)
		require.NoError(t, err)
		require.Equal(t, []*RKeyword{kw}, kws)

		ed, err := session.NewQuery[RUser](s).Where(expr.Eq(&U.Name, "ed")).One(ctx)
		require.NoError(t, err)
		addrs, err := jack.Addresses.Load(ctx)
		require.NoError(t, err)
		a := addrs[0]
		a.User.Set(ed)
		wendyID := ed.ID + 1
		a.UserID = &wendyID
		err = s.Flush(ctx)
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		require.Contains(t, err.Error(), "RAddress.User")
	})
}

// Changes to an unloaded collection are queued and merged when it loads
// (no load is forced); the new member joins the session by cascade.
func TestRelUnloadedSideQueues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		jackID := relSeed(t, eng)
		jack, err := session.Get[RUser](ctx, s, jackID)
		require.NoError(t, err)
		rec := dbtest.Record(eng)
		a := relations.Init(&RAddress{Email: "third@jack.com"})
		a.User.Set(jack)
		_, loaded := jack.Addresses.Cached()
		require.False(t, loaded)
		require.Empty(t, rec.SQL(), "no load is forced")
		require.NoError(t, s.Flush(ctx))
		require.Equal(t, session.Persistent, s.StateOf(a), "reached through jack.Addresses")
		require.Equal(t, jackID, *a.UserID)
		got, err := jack.Addresses.Load(ctx)
		require.NoError(t, err)
		require.Len(t, got, 3)
		require.Same(t, a, got[2])
		require.NoError(t, s.Flush(ctx))
	})
}

// Deleting a post deletes its association rows first and keeps the
// keywords; deleting its author nulls posts.user_id through the dynamic
// relationship.
func TestRelDeleteManyToManyAndDynamicOwner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		relSeed(t, eng)
		wendy, err := session.NewQuery[RUser](s).Where(expr.Eq(&U.Name, "wendy")).One(ctx)
		require.NoError(t, err)
		p1 := relations.Init(&RPost{Headline: "one"})
		p1.Keywords.Append(&RKeyword{Keyword: "a"}, &RKeyword{Keyword: "b"})
		wendy.Posts.Append(p1, &RPost{Headline: "two"})
		require.NoError(t, s.Commit(ctx))

		rec := dbtest.Record(eng)
		require.NoError(t, s.Delete(p1))
		require.NoError(t, s.Flush(ctx))
		dels := filterSQL(rec.SQL(), "DELETE")
		require.Equal(t, []string{phs(eng, "DELETE FROM post_keywords WHERE post_keywords.post_id = ?"), phs(eng, "DELETE FROM posts WHERE id = ?")}, dels)

		require.NoError(t, s.Delete(wendy))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, 0, countRows(t, eng, "post_keywords", ""))
		require.Equal(t, 2, countRows(t, eng, "keywords", ""))
		require.Equal(t, 1, countRows(t, eng, "posts", "user_id IS NULL AND headline = 'two'"))
	})
}

// Moving a persistent child to a parent inserted in the same flush writes
// the FK with a separate UPDATE; a rollback must still give the child the
// value it had when the transaction began, not the rolled-back one.
func TestRelRollbackAfterMoveToNewParent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		jackID := relSeed(t, eng)
		jack, err := session.Get[RUser](ctx, s, jackID)
		require.NoError(t, err)
		addrs, err := jack.Addresses.Load(ctx)
		require.NoError(t, err)
		moved := addrs[1]
		newbie := &RUser{Name: "newbie"}
		require.NoError(t, s.Add(newbie))
		moved.User.Set(newbie)
		require.NoError(t, s.Flush(ctx))
		require.NotNil(t, moved.UserID)
		require.Equal(t, newbie.ID, *moved.UserID)

		require.NoError(t, s.Rollback(ctx))
		require.NotNil(t, moved.UserID, "restored to the value at transaction begin")
		require.Equal(t, jackID, *moved.UserID)
		require.Equal(t, 2, countRows(t, eng, "addresses", "user_id = ?", jackID))
	})
}

// A persistent child moved to a parent inserted in the same flush gets its
// FK from a separate UPDATE; when a later statement of that flush fails,
// the child must get its old FK back along with everything else.
func TestRelFailedFlushRestoresMovedChild(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		jackID := relSeed(t, eng)
		jack, err := session.Get[RUser](ctx, s, jackID)
		require.NoError(t, err)
		addrs, err := jack.Addresses.Load(ctx)
		require.NoError(t, err)
		moved, gone := addrs[0], addrs[1]
		// Make the DELETE of gone match no row, so the flush fails after
		// the FK UPDATE of moved.
		_, err = eng.DB().Exec(rebind(eng, "DELETE FROM addresses WHERE id = ?"), gone.ID)
		require.NoError(t, err)
		nu := &RUser{Name: "nu"}
		require.NoError(t, s.Add(nu))
		moved.User.Set(nu)
		require.NoError(t, s.Delete(gone))
		require.Error(t, s.Flush(ctx))
		require.Zero(t, nu.ID, "the parent's generated key is taken back")
		require.NotNil(t, moved.UserID)
		require.Equal(t, jackID, *moved.UserID, "the child's FK is taken back too")
	})
}

// The FK nulling that removing a child from a collection causes is done
// before the flush's statements; when the flush fails, it is undone too.
func TestRelFailedFlushUndoesFKNulling(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		jackID := relSeed(t, eng)
		jack, err := session.Get[RUser](ctx, s, jackID)
		require.NoError(t, err)
		addrs, err := jack.Addresses.Load(ctx)
		require.NoError(t, err)
		first := addrs[0]
		jack.Addresses.Remove(first)
		require.NoError(t, s.Add(&RKeyword{Keyword: "twice"}))
		require.NoError(t, s.Add(&RKeyword{Keyword: "twice"}))
		require.Error(t, s.Flush(ctx), "unique keyword")
		require.NotNil(t, first.UserID, "the FK nulled for the flush is back")
		require.Equal(t, jackID, *first.UserID)
	})
}

// Close of a session whose transaction wrote nothing detaches the objects
// as they are: loaded relationships stay readable (a handler can render
// after closing) and unflushed changes stay in memory; the database is
// untouched.
func TestRelCloseWithoutWritesKeepsGraph(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng)
		jackID := relSeed(t, eng)
		s := session.New(eng)
		sctx := session.With(ctx, s)
		users, err := session.Select[RUser]().Options(relations.SelectIn(&U.Addresses)).Where(expr.Eq(&U.ID, jackID)).All(sctx)
		require.NoError(t, err)
		require.Len(t, users, 1)
		jack := users[0]
		jack.Fullname = "changed, not flushed"
		rec := dbtest.Record(eng)
		require.NoError(t, s.Close(ctx))
		require.NotContains(t, rec.Statements(), "ROLLBACK", "reads alone open no transaction, so there is nothing to roll back")
		require.NotEqual(t, session.Persistent, s.StateOf(jack))
		require.Equal(t, "changed, not flushed", jack.Fullname)
		got, loaded := jack.Addresses.Cached()
		require.True(t, loaded, "the loaded collection survives Close")
		require.Equal(t, []string{"jack@google.com", "j25@yahoo.com"}, emails(got))
		require.Same(t, jack, got[0].User.Get())
		require.Equal(t, 0, countRows(t, eng, "users", "fullname = ?", "changed, not flushed"))
	})
}

// Association rows are inserted in a deterministic order: posts in the
// order they were added, each post's keywords in the order appended (it
// used to follow map iteration, so the SQL differed between runs).
func TestRelLinkOrderDeterministic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng)
		rec := dbtest.Record(eng)
		for round := 0; round < 5; round++ {
			s := session.New(eng)
			type pair struct {
				p *RPost
				k *RKeyword
			}
			var pairs []pair
			for i := 0; i < 3; i++ {
				p := relations.Init(&RPost{Headline: fmt.Sprintf("p%d-%d", round, i)})
				for j := 0; j < 3; j++ {
					k := relations.Init(&RKeyword{Keyword: fmt.Sprintf("k%d-%d-%d", round, i, j)})
					p.Keywords.Append(k)
					pairs = append(pairs, pair{p, k})
				}
				require.NoError(t, s.Add(p))
			}
			rec.Reset()
			require.NoError(t, s.Commit(ctx))
			var want []string
			for _, pk := range pairs { // the association's columns: keyword_id, post_id
				want = append(want, fmt.Sprintf("%d, %d", pk.k.ID, pk.p.ID))
			}
			args := rec.Args("INSERT INTO post_keywords")
			require.Len(t, args, 1)
			assert.Equal(t, "("+strings.Join(want, ", ")+")", args[0], "round %d", round)
			require.NoError(t, s.Close(ctx))
		}
	})
}

package main

import (
	"context"

	"github.com/arcorm/arc"
)

// relationships is §8–§12: related objects, joins, subqueries, EXISTS,
// eager loading and deleting without cascade.
func relationships(ctx context.Context, s *arc.Session, tr *transcript) error {
	show := tr.show
	ctx = arc.WithSession(ctx, s)
	U, A := arc.Cols[User](), arc.Cols[Address]()

	tr.step("related", "§9 Working with related objects")
	// snippet: related
	jack := arc.New(&User{Name: "jack", Fullname: "Jack Bean", Nickname: "gjffdd"})
	addrs, loaded := jack.Addresses.Cached()
	show("new jack.Addresses", addrs)
	show("loaded", loaded)

	jack.Addresses.Set(&Address{Email: "jack@google.com"}, &Address{Email: "j25@yahoo.com"})
	show("jack.Addresses.At(1)", jack.Addresses.At(1))
	show("jack.Addresses.At(1).User", jack.Addresses.At(1).User.Get())

	extra := arc.New(&Address{Email: "tmp@example.com"})
	extra.User.Set(jack) // appends extra to jack.Addresses
	show("jack.Addresses.Len()", jack.Addresses.Len())
	jack.Addresses.Remove(extra) // and this clears extra.User
	show("extra.User", extra.User.Get())

	if err := s.Add(jack); err != nil { // the addresses come along (save-update cascade)
		return err
	}
	show("s.New() after Add(jack)", s.New())
	if err := s.Commit(ctx); err != nil {
		return err
	}
	// end snippet

	tr.step("lazy", "§9 Lazy loading")
	// snippet: lazy
	jack, err := arc.Select[User]().FilterBy(arc.P{"Name": "jack"}).One(ctx)
	if err != nil {
		return err
	}
	show("jack", jack)
	addresses, err := jack.Addresses.Load(ctx) // the first Load queries, later ones do not
	if err != nil {
		return err
	}
	show("jack.Addresses", addresses)
	// end snippet

	tr.step("joins", "§10 Querying with joins")
	// snippet: joins
	type userAddress struct {
		User    *User
		Address *Address
	}
	implicit, err := arc.Rows[userAddress](arc.Select[User]().Select(U, A).
		Where(arc.On(&U.ID, &A.UserID), arc.Eq(&A.Email, "jack@google.com"))).All(ctx)
	if err != nil {
		return err
	}
	show("implicit join", implicit)

	joined, err := arc.Select[User]().Join(A, arc.On(&U.ID, &A.UserID)).
		Where(arc.Eq(&A.Email, "jack@google.com")).All(ctx)
	if err != nil {
		return err
	}
	show("Join with ON", joined)

	alongRel, err := arc.Select[User]().Join(&U.Addresses, nil).
		Where(arc.Eq(&A.Email, "jack@google.com")).All(ctx)
	if err != nil {
		return err
	}
	show("Join along User.Addresses", alongRel)

	notFoo, err := arc.Select[User]().Join(&U.Addresses, arc.Ne(&A.Email, "foo")).
		Where(arc.Eq(&A.Email, "jack@google.com")).All(ctx)
	if err != nil {
		return err
	}
	show("Join along User.Addresses with extra ON criteria", notFoo)

	outer, err := arc.Select[User]().OuterJoin(A, arc.On(&U.ID, &A.UserID)).OrderBy(&U.ID).All(ctx)
	if err != nil {
		return err
	}
	show("OuterJoin", userNames(outer))

	fromAddresses, err := arc.Rows[userAddress](arc.Select[User]().Select(U, A).SelectFrom(A).
		Join(U, arc.On(&U.ID, &A.UserID)).Where(arc.Eq(&A.Email, "jack@google.com"))).All(ctx)
	if err != nil {
		return err
	}
	show("SelectFrom(addresses)", fromAddresses)
	// end snippet

	tr.step("aliases", "§10.1 Aliases")
	// snippet: aliases
	a1, a2 := arc.Alias[Address](""), arc.Alias[Address]("")
	A1, A2 := a1.Cols(), a2.Cols()
	twice, err := arc.Rows[struct{ Name, Email1, Email2 string }](
		arc.Select[User]().Select(&U.Name, &A1.Email, &A2.Email).
			Join(a1, arc.RelOn(&U.Addresses, a1)).Join(a2, arc.RelOn(&U.Addresses, a2)).
			Where(arc.Eq(&A1.Email, "jack@google.com"), arc.Eq(&A2.Email, "j25@yahoo.com"))).All(ctx)
	if err != nil {
		return err
	}
	show("two aliases", twice)
	// end snippet

	tr.step("subqueries", "§10.2 Subqueries")
	// snippet: subqueries
	type addressCount struct {
		UserID       *int64
		AddressCount int64
	}
	sq, S, err := arc.Subquery[addressCount](arc.Select[Address]().
		Select(&A.UserID, arc.Label(arc.CountAll(), "address_count")).GroupBy(&A.UserID), "")
	if err != nil {
		return err
	}
	counts, err := arc.Rows[struct {
		User         *User
		AddressCount *int64 // NULL for users without addresses
	}](arc.Select[User]().Select(U, &S.AddressCount).OuterJoin(sq, arc.On(&U.ID, &S.UserID)).OrderBy(&U.ID)).All(ctx)
	if err != nil {
		return err
	}
	for _, c := range counts {
		show(c.User.Name+" address_count", c.AddressCount)
	}

	esq, E, err := arc.EntitySubquery(arc.Select[Address]().Where(arc.Ne(&A.Email, "j25@yahoo.com")), "")
	if err != nil {
		return err
	}
	fromSub, err := arc.Rows[struct {
		User    *User
		Address *Address
	}](arc.Select[User]().Select(U, E).Join(esq, arc.On(&U.ID, &E.UserID))).All(ctx)
	if err != nil {
		return err
	}
	show("entity subquery", fromSub)
	show("same Address object", fromSub[0].Address == addresses[0])
	// end snippet

	tr.step("exists", "§10.3 EXISTS, Any, Has")
	// snippet: exists
	preds := []struct {
		name string
		pred arc.Expr
	}{
		{"Exists", arc.Exists(arc.Select[Address]().Where(arc.On(&A.UserID, &U.ID)))},
		{"Any", arc.Any(&U.Addresses)},
		{"Any(crit)", arc.Any(&U.Addresses, arc.Like(&A.Email, "%google%"))},
		{"Not(Any)", arc.Not(arc.Any(&U.Addresses))},
	}
	for _, p := range preds {
		found, err := arc.Select[User]().Where(p.pred).OrderBy(&U.ID).All(ctx)
		if err != nil {
			return err
		}
		show(p.name, userNames(found))
	}
	notJacks, err := arc.Select[Address]().Where(arc.Not(arc.Has(&A.User, arc.Eq(&U.Name, "jack")))).All(ctx)
	if err != nil {
		return err
	}
	show("Not(Has)", notJacks)
	// end snippet

	tr.step("rel-operators", "§10.4 Relationship operators")
	// snippet: rel-operators
	google := addresses[0]
	relPreds := []struct {
		name string
		pred arc.Expr
	}{
		{"Is(jack)", arc.Is(&A.User, jack)},
		{"IsNot(jack)", arc.IsNot(&A.User, jack)},
		{"Is(nil)", arc.Is(&A.User, nil)},
		{"IsNot(nil)", arc.IsNot(&A.User, nil)},
		{"Has(name ed)", arc.Has(&A.User, arc.Eq(&U.Name, "ed"))},
		{"WithParent(jack)", arc.WithParent(jack, &U.Addresses)},
	}
	for _, p := range relPreds {
		found, err := arc.Select[Address]().Where(p.pred).OrderBy(&A.ID).All(ctx)
		if err != nil {
			return err
		}
		show(p.name, found)
	}
	owner, err := arc.Select[User]().Where(arc.Contains(&U.Addresses, google)).All(ctx)
	if err != nil {
		return err
	}
	show("Contains(google)", owner)
	// end snippet

	tr.step("eager", "§11 Eager loading")
	// snippet: eager
	s.ExpireAll() // forget what is loaded, to see each option load it
	byName := arc.Select[User]().FilterBy(arc.P{"Name": "jack"})
	viaSelectIn, err := byName.Options(arc.SelectIn(&U.Addresses)).One(ctx)
	if err != nil {
		return err
	}
	show("SelectIn", viaSelectIn.Addresses.Items())

	s.ExpireAll()
	viaJoin, err := byName.Options(arc.Joined(&U.Addresses)).One(ctx) // 2 rows, 1 user
	if err != nil {
		return err
	}
	show("Joined", viaJoin.Addresses.Items())

	s.ExpireAll()
	jacksAddresses, err := arc.Select[Address]().Join(&A.User, nil).
		Where(arc.Eq(&U.Name, "jack")).Options(arc.ContainsEager(&A.User)).OrderBy(&A.ID).All(ctx)
	if err != nil {
		return err
	}
	user, loaded := jacksAddresses[0].User.Cached() // filled by the join: no SQL
	show("ContainsEager", jacksAddresses)
	show("jacksAddresses[0].User", user)
	show("User loaded", loaded)
	// end snippet

	tr.step("delete", "§12 Deleting")
	// snippet: delete
	if err := s.Delete(jack); err != nil {
		return err
	}
	nJack, err := arc.Select[User]().FilterBy(arc.P{"Name": "jack"}).Count(ctx)
	if err != nil {
		return err
	}
	show("users named jack", nJack)
	show("state of jack", s.StateOf(jack))
	nAddr, err := arc.Select[Address]().Where(arc.In(&A.Email, "jack@google.com", "j25@yahoo.com")).Count(ctx)
	if err != nil {
		return err
	}
	show("jack's addresses", nAddr)

	if err := s.Close(ctx); err != nil { // rolls back: jack and his addresses are back
		return err
	}
	show("state of jack after Close", s.StateOf(jack))
	// end snippet
	return nil
}

// Package vetcopy is compiled only by record's TestRegression_VetReportsBaseCopies,
// which runs go vet on it: the lines marked "want" must be reported as
// copies of a record.Base, the others must not.
package vetcopy

import "github.com/arcorm/arc/record"

type Post struct {
	record.Base[Post]
	ID    int64
	Title string
}

func (*Post) TableName() string { return "posts" } // pointer receiver: fine

func ordinary() *Post {
	p := Post{Title: "a"} // a composite literal is not a copy
	q := &Post{Title: "b"}
	ps := []*Post{&p, q}
	for _, x := range ps { // pointers: fine
		x.Title = "c"
	}
	var zero Post
	_ = &zero
	return &p
}

func copies(p *Post, ps []Post) {
	b := p.Base // want: copy of the Base alone
	_ = &b
	q := *p // want: copy of the whole model
	_ = &q
	for _, v := range ps { // want: range copies the model
		_ = v.ID
	}
	q.Base = record.Base[Post]{} // resetting a copy's base is not a copy
}

// Package blog holds the models of the tutorial's second half (SQLAlchemy
// declares them on a new declarative base): users and addresses again, on
// the same tables, now with delete and delete-orphan cascade, and the
// blog's posts and keywords (many-to-many) with a dynamic relationship.
package blog

import (
	"fmt"
	"time"

	"github.com/arcorm/arc"
)

// snippet: blog-models

// User maps the same users table as the first half's User; its addresses
// are deleted with it, and an address removed from the collection is
// deleted (cascade all, delete-orphan). Posts is dynamic: never loaded
// whole, each read is a query.
type User struct {
	ID        int64  `arc:"seq:user_id_seq"`
	Name      string `arc:"size:50"`
	Fullname  string `arc:"size:50"`
	Nickname  string `arc:"size:50"`
	CreatedAt time.Time

	Addresses arc.Many[Address] `arc:"back_populates:User;cascade:all,delete-orphan"`
	Posts     arc.Dynamic[Post] `arc:"back_populates:Author;order_by:id;cascade:all;passive_deletes"`
}

// Address maps addresses.
type Address struct {
	ID     int64
	Email  string `arc:"column:email_address;notnull"`
	UserID *int64 `arc:"fk:users.id"`

	User arc.One[User] `arc:"back_populates:Addresses"`
}

// Post is the tutorial's BlogPost, on the table posts.
type Post struct {
	ID       int64
	UserID   *int64 `arc:"fk:users.id;ondelete:cascade"`
	Headline string `arc:"size:255;notnull"`
	Body     string `arc:"text"`

	Author   arc.One[User]     `arc:"back_populates:Posts"`
	Keywords arc.Many[Keyword] `arc:"secondary:post_keywords;back_populates:Posts;order_by:id"`
}

// Keyword maps keywords; each keyword is unique.
type Keyword struct {
	ID      int64
	Keyword string `arc:"size:50;notnull;unique"`

	Posts arc.Many[Post] `arc:"secondary:post_keywords;back_populates:Keywords"`
}

// PostKeyword is the association table: a plain model with one foreign
// key to each side and a composite primary key. The ORM writes its rows.
type PostKeyword struct {
	PostID    int64 `arc:"pk;fk:posts.id;ondelete:cascade"`
	KeywordID int64 `arc:"pk;fk:keywords.id"`
}

// end snippet

// NewPost is BlogPost's constructor: a post by author.
func NewPost(headline, body string, author *User) *Post {
	p := arc.New(&Post{Headline: headline, Body: body})
	p.Author.Set(author)
	return p
}

func (u *User) String() string {
	return fmt.Sprintf("<User(name='%s', fullname='%s', nickname='%s')>", u.Name, u.Fullname, u.Nickname)
}

func (a *Address) String() string { return fmt.Sprintf("<Address(email_address='%s')>", a.Email) }

func (p *Post) String() string {
	return fmt.Sprintf("BlogPost(%q, %q, %v)", p.Headline, p.Body, p.Author.Get())
}

func (k *Keyword) String() string { return fmt.Sprintf("Keyword(%q)", k.Keyword) }

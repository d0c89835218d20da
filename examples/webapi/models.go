package main

import (
	"time"

	"github.com/arcorm/arc"
)

// User writes articles.
type User struct {
	ID   int64
	Name string `arc:"size:50;notnull;unique"`
	Bio  string `arc:"text"`
}

// Article is a post by a user, tagged, with comments. Version turns on
// optimistic locking: an UPDATE whose version moved on is ErrStaleData.
type Article struct {
	ID        int64
	Slug      string `arc:"size:120;notnull;unique"`
	Title     string `arc:"size:200;notnull"`
	Body      string `arc:"text"`
	AuthorID  int64  `arc:"fk:users.id"`
	Version   int64  `arc:"version"`
	CreatedAt time.Time
	UpdatedAt time.Time

	Author   arc.One[User]     `arc:"fk:AuthorID"`
	Tags     arc.Many[Tag]     `arc:"secondary:article_tags;order_by:name"`
	Comments arc.Many[Comment] `arc:"back_populates:Article;order_by:id;cascade:all,delete-orphan"`
}

// Tag is a unique word articles are tagged with.
type Tag struct {
	ID   int64
	Name string `arc:"size:50;notnull;unique"`
}

// ArticleTag is the association table between articles and tags.
type ArticleTag struct {
	ArticleID int64 `arc:"pk;fk:articles.id;ondelete:cascade"`
	TagID     int64 `arc:"pk;fk:tags.id;ondelete:cascade"`
}

// Comment is a remark on an article.
type Comment struct {
	ID        int64
	ArticleID int64  `arc:"fk:articles.id;ondelete:cascade"`
	Body      string `arc:"text;notnull"`

	Article arc.One[Article] `arc:"back_populates:Comments"`
}

// Models are the application's models, in no particular order: CreateAll
// sorts them by their foreign keys.
var Models = []any{User{}, Article{}, Tag{}, ArticleTag{}, Comment{}}

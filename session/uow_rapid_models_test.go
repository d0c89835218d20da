package session_test

import (
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/relations"
)

// The model graph of the randomized unit-of-work test (uow_rapid_test.go):
// Author 1—* Post with cascade all,delete-orphan; Post.Parent/Replies,
// self-referential; Post.Tags/Tag.Posts, many-to-many. CHECK constraints
// and a UNIQUE column let the data make statements fail.

type MAuthor struct {
	record.Base[MAuthor]
	ID    int64
	Name  string                `arc:"size:40"`
	Rank  int                   `arc:"check:rank >= 0"`
	Posts relations.Many[MPost] `arc:"back_populates:Author;cascade:all,delete-orphan"`
}

func (*MAuthor) TableName() string { return "m_authors" }

type MPost struct {
	record.Base[MPost]
	ID       int64
	AuthorID *int64                 `arc:"fk:m_authors.id"`
	ParentID *int64                 `arc:"fk:m_posts.id"`
	Title    string                 `arc:"size:40"`
	Score    int                    `arc:"check:score >= 0"`
	Author   relations.One[MAuthor] `arc:"back_populates:Posts"`
	Parent   relations.One[MPost]   `arc:"back_populates:Replies"`
	Replies  relations.Many[MPost]  `arc:"back_populates:Parent"`
	Tags     relations.Many[MTag]   `arc:"secondary:m_post_tags;fk:post_id,tag_id;back_populates:Posts"`
}

func (*MPost) TableName() string { return "m_posts" }

type MTag struct {
	record.Base[MTag]
	ID    int64
	Word  string                `arc:"size:40;unique"`
	Posts relations.Many[MPost] `arc:"secondary:m_post_tags;back_populates:Tags"`
}

func (*MTag) TableName() string { return "m_tags" }

type MPostTag struct {
	PostID int64 `arc:"pk;fk:m_posts.id"`
	TagID  int64 `arc:"pk;fk:m_tags.id"`
}

func (MPostTag) TableName() string { return "m_post_tags" }

var uowModels = []any{MAuthor{}, MPost{}, MTag{}, MPostTag{}}

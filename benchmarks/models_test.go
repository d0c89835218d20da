package benchmarks

import (
	"github.com/uptrace/bun"

	"github.com/arcorm/arc/relations"
)

// One model per library for the same three tables: users (100,000 rows;
// nickname groups of 100), authors (100) and books (10 per author).

// Arc.

type User struct {
	ID       int64
	Name     string `arc:"size:50"`
	Fullname string `arc:"size:100"`
	Nickname string `arc:"size:50"`
}

func (User) TableName() string { return "users" }

type Author struct {
	ID    int64
	Name  string               `arc:"size:50"`
	Books relations.Many[Book] `arc:"back_populates:Author"`
}

func (Author) TableName() string { return "authors" }

type Book struct {
	ID       int64
	Title    string                `arc:"size:100"`
	AuthorID int64                 `arc:"fk:authors.id"`
	Author   relations.One[Author] `arc:"back_populates:Books"`
}

func (Book) TableName() string { return "books" }

// database/sql and sqlx.

type RUser struct {
	ID       int64  `db:"id"`
	Name     string `db:"name"`
	Fullname string `db:"fullname"`
	Nickname string `db:"nickname"`
}

type RAuthor struct {
	ID    int64  `db:"id"`
	Name  string `db:"name"`
	Books []*RBook
}

type RBook struct {
	ID       int64  `db:"id"`
	Title    string `db:"title"`
	AuthorID int64  `db:"author_id"`
}

// GORM.

type GUser struct {
	ID       int64
	Name     string
	Fullname string
	Nickname string
}

func (GUser) TableName() string { return "users" }

type GAuthor struct {
	ID    int64
	Name  string
	Books []*GBook `gorm:"foreignKey:AuthorID"`
}

func (GAuthor) TableName() string { return "authors" }

type GBook struct {
	ID       int64
	Title    string
	AuthorID int64
}

func (GBook) TableName() string { return "books" }

// bun.

type BUser struct {
	bun.BaseModel `bun:"table:users"`
	ID            int64 `bun:",pk,autoincrement"`
	Name          string
	Fullname      string
	Nickname      string
}

type BAuthor struct {
	bun.BaseModel `bun:"table:authors"`
	ID            int64 `bun:",pk,autoincrement"`
	Name          string
	Books         []*BBook `bun:"rel:has-many,join:id=author_id"`
}

type BBook struct {
	bun.BaseModel `bun:"table:books"`
	ID            int64 `bun:",pk,autoincrement"`
	Title         string
	AuthorID      int64
}

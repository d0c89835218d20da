package main

import (
	"fmt"
	"time"

	"github.com/arcorm/arc"
)

// snippet: models

// Timestamped is a mixin (a declarative mixin in SQLAlchemy): its fields
// become columns of every model that embeds it, and the session fills
// CreatedAt at INSERT.
type Timestamped struct {
	CreatedAt time.Time
}

// User maps the table users (the snake_case plural of the type name).
type User struct {
	arc.Base[User]
	ID       int64  `arc:"seq:user_id_seq"` // primary key; PostgreSQL draws it from user_id_seq
	Name     string `arc:"size:50"`
	Fullname string `arc:"size:50"`
	Nickname string `arc:"size:50"`
	Timestamped

	Addresses arc.Many[Address] `arc:"back_populates:User;order_by:id"`
}

func (u *User) String() string {
	return fmt.Sprintf("<User(name='%s', fullname='%s', nickname='%s')>", u.Name, u.Fullname, u.Nickname)
}

// Address maps addresses; UserID is a nullable foreign key to users.id.
type Address struct {
	arc.Base[Address]
	ID     int64
	Email  string `arc:"column:email_address;notnull"`
	UserID *int64 `arc:"fk:users.id"`

	User arc.One[User] `arc:"back_populates:Addresses"`
}

func (a *Address) String() string { return fmt.Sprintf("<Address(email_address='%s')>", a.Email) }

// end snippet

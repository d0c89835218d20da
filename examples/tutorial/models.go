package main

import (
	"fmt"
	"time"

	"github.com/arcorm/arc"
)

// Timestamps is a mixin (SQLAlchemy's declarative mixin): its columns join
// every table of a model that embeds it, and the session fills them.
type Timestamps struct {
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is the tutorial's users table.
type User struct {
	arc.Base[User]
	ID       int64  `arc:"seq:user_id_seq"`
	Name     string `arc:"size:50"`
	Fullname string `arc:"size:50"`
	Nickname string `arc:"size:50"`
	Timestamps
}

func (u *User) String() string {
	return fmt.Sprintf("<User(name='%s', fullname='%s', nickname='%s')>", u.Name, u.Fullname, u.Nickname)
}

// Address is the tutorial's addresses table.
type Address struct {
	arc.Base[Address]
	ID     int64
	Email  string `arc:"column:email_address;notnull"`
	UserID *int64 `arc:"fk:users.id"`
}

func (a *Address) String() string { return fmt.Sprintf("<Address(email_address='%s')>", a.Email) }

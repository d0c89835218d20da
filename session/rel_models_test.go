package session_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// The tutorial's models with relationships (spec §8, §13). Table names
// match the tutorial; the Go names differ from the plain models of
// models_test.go.

type RUser struct {
	ID        int64
	Name      string `arc:"size:50"`
	Fullname  string
	Nickname  string                   `arc:"size:50"`
	Addresses relations.Many[RAddress] `arc:"back_populates:User;order_by:id"`
	Posts     relations.Dynamic[RPost] `arc:"back_populates:Author;order_by:id"`
}

func (RUser) TableName() string { return "users" }

type RAddress struct {
	ID     int64
	Email  string               `arc:"column:email_address;notnull"`
	UserID *int64               `arc:"fk:users.id"`
	User   relations.One[RUser] `arc:"back_populates:Addresses"`
}

func (RAddress) TableName() string { return "addresses" }

type RPost struct {
	ID       int64
	UserID   *int64                   `arc:"fk:users.id"`
	Headline string                   `arc:"size:255;notnull"`
	Body     string                   `arc:"text"`
	Author   relations.One[RUser]     `arc:"back_populates:Posts"`
	Keywords relations.Many[RKeyword] `arc:"secondary:post_keywords;fk:post_id,keyword_id;back_populates:Posts;order_by:id"`
}

func (RPost) TableName() string { return "posts" }

type RKeyword struct {
	ID      int64
	Keyword string                `arc:"size:50;notnull;unique"`
	Posts   relations.Many[RPost] `arc:"secondary:post_keywords;back_populates:Keywords"`
}

func (RKeyword) TableName() string { return "keywords" }

type RPostKeyword struct {
	PostID    int64 `arc:"pk;fk:posts.id"`
	KeywordID int64 `arc:"pk;fk:keywords.id"`
}

func (RPostKeyword) TableName() string { return "post_keywords" }

// The §12b variant: delete and delete-orphan cascade, no order_by.
type CUser struct {
	ID        int64
	Name      string `arc:"size:50"`
	Fullname  string
	Nickname  string                   `arc:"size:50"`
	Addresses relations.Many[CAddress] `arc:"back_populates:User;cascade:all,delete-orphan"`
}

func (CUser) TableName() string { return "users" }

type CAddress struct {
	ID     int64
	Email  string               `arc:"column:email_address;notnull"`
	UserID *int64               `arc:"fk:users.id"`
	User   relations.One[CUser] `arc:"back_populates:Addresses"`
}

func (CAddress) TableName() string { return "addresses" }

// passive_deletes with ON DELETE CASCADE.
type PUser struct {
	ID        int64
	Name      string                   `arc:"size:50"`
	Addresses relations.Many[PAddress] `arc:"cascade:all,delete-orphan;passive_deletes;backref:User"`
}

func (PUser) TableName() string { return "users" }

type PAddress struct {
	ID     int64
	Email  string `arc:"column:email_address;notnull"`
	UserID *int64 `arc:"fk:users.id;ondelete:cascade"`
	User   relations.One[PUser]
}

func (PAddress) TableName() string { return "addresses" }

// Node is a self-referential adjacency list.
type Node struct {
	ID       int64
	ParentID *int64 `arc:"fk:nodes.id"`
	Name     string
	Parent   relations.One[Node]  `arc:"back_populates:Children"`
	Children relations.Many[Node] `arc:"back_populates:Parent;order_by:id"`
}

var relModels = []any{RUser{}, RAddress{}, RPost{}, RKeyword{}, RPostKeyword{}, Node{}}

var (
	U  = expr.Cols[RUser]()
	A  = expr.Cols[RAddress]()
	P  = expr.Cols[RPost]()
	K  = expr.Cols[RKeyword]()
	CU = expr.Cols[CUser]()
	CA = expr.Cols[CAddress]()
)

func relSetup(t *testing.T, eng *engine.Engine, models ...any) (context.Context, *session.Session) {
	t.Helper()
	ctx := context.Background()
	if len(models) == 0 {
		models = relModels
	}
	require.NoError(t, migrate.CreateAll(ctx, eng, models...))
	s := session.New(eng)
	t.Cleanup(func() { _ = s.Close(ctx) })
	return session.With(ctx, s), s
}

// seedUsers inserts the tutorial's users ed, wendy, mary, fred with raw SQL
// and jack with two addresses, and returns jack's id.
func relSeed(t *testing.T, eng *engine.Engine) int64 {
	t.Helper()
	exec := func(q string, args ...any) {
		_, err := eng.DB().Exec(rebind(eng, q), args...)
		require.NoError(t, err)
	}
	for _, u := range [][3]string{{"ed", "Ed Jones", "eddie"}, {"wendy", "Wendy Williams", "windy"}, {"mary", "Mary Contrary", "mary"}, {"fred", "Fred Flintstone", "freddy"}, {"jack", "Jack Bean", "gjffdd"}} {
		exec("INSERT INTO users (name, fullname, nickname) VALUES (?, ?, ?)", u[0], u[1], u[2])
	}
	var jack int64
	require.NoError(t, eng.DB().QueryRow("SELECT id FROM users WHERE name = 'jack'").Scan(&jack))
	exec("INSERT INTO addresses (email_address, user_id) VALUES (?, ?)", "jack@google.com", jack)
	exec("INSERT INTO addresses (email_address, user_id) VALUES (?, ?)", "j25@yahoo.com", jack)
	return jack
}

// phs rewrites ? placeholders for the engine's dialect.
func phs(eng *engine.Engine, q string) string { return rebind(eng, q) }

func emails(as []*RAddress) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Email
	}
	return out
}

func hasSQL(stmts []string, substr string) bool {
	for _, s := range stmts {
		if strings.Contains(s, substr) {
			return true
		}
	}
	return false
}

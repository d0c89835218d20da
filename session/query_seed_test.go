package session_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// QUser and QAddress are the tutorial's users and addresses for the query
// tests (their own Go types, so they do not depend on the session tests'
// models).
type QUser struct {
	ID       int64
	Name     string `arc:"size:50"`
	Fullname string `arc:"size:50"`
	Nickname string `arc:"size:50"`
}

// TableName is users.
func (QUser) TableName() string { return "users" }

type QAddress struct {
	ID     int64
	Email  string `arc:"column:email_address;size:100;notnull"`
	UserID *int64 `arc:"fk:users.id"`
}

// TableName is addresses.
func (QAddress) TableName() string { return "addresses" }

// tutorialData is the spec's §1 data set after §9: ed (nickname changed
// to eddie), wendy, mary, fred, and jack with two addresses.
type tutorialData struct {
	ctx   context.Context
	s     *session.Session
	eng   *engine.Engine
	ids   map[string]int64 // user name -> id, as the database numbered them
	addrs map[string]int64 // email -> id
}

// seedTutorial creates users and addresses and loads the tutorial's rows
// in one committed transaction, then returns a fresh session (empty
// identity map) in the context. Ids are looked up, never assumed (§15).
func seedTutorial(t *testing.T, eng *engine.Engine) *tutorialData {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, migrate.CreateAll(ctx, eng, QUser{}, QAddress{}))
	s := session.New(eng)
	users := []*QUser{
		{Name: "ed", Fullname: "Ed Jones", Nickname: "eddie"},
		{Name: "wendy", Fullname: "Wendy Williams", Nickname: "windy"},
		{Name: "mary", Fullname: "Mary Contrary", Nickname: "mary"},
		{Name: "fred", Fullname: "Fred Flintstone", Nickname: "freddy"},
		{Name: "jack", Fullname: "Jack Bean", Nickname: "gjffdd"},
	}
	for _, u := range users {
		require.NoError(t, s.Add(u))
	}
	require.NoError(t, s.Flush(ctx))
	jack := users[4].ID
	addrs := []*QAddress{{Email: "jack@google.com", UserID: &jack}, {Email: "j25@yahoo.com", UserID: &jack}}
	for _, a := range addrs {
		require.NoError(t, s.Add(a))
	}
	require.NoError(t, s.Commit(ctx))
	d := &tutorialData{eng: eng, ids: map[string]int64{}, addrs: map[string]int64{}}
	for _, u := range users {
		d.ids[u.Name] = u.ID
	}
	for _, a := range addrs {
		d.addrs[a.Email] = a.ID
	}
	require.NoError(t, s.Close(ctx))
	d.s = session.New(eng)
	t.Cleanup(func() { _ = d.s.Close(context.Background()) })
	d.ctx = session.With(ctx, d.s)
	return d
}

var pgPlaceholder = regexp.MustCompile(`\$\d+`)

// norm writes PostgreSQL's $n placeholders as ? so one expected SQL text
// serves both dialects.
func norm(sql string) string { return pgPlaceholder.ReplaceAllString(sql, "?") }

// lastSelect returns the last recorded statement that starts with SELECT
// or WITH, normalized.
func lastSelect(t *testing.T, stmts []string) string {
	t.Helper()
	for i := len(stmts) - 1; i >= 0; i-- {
		if strings.HasPrefix(stmts[i], "SELECT") || strings.HasPrefix(stmts[i], "WITH") {
			return norm(stmts[i])
		}
	}
	t.Fatalf("no SELECT recorded in %q", stmts)
	return ""
}

func names(us []*QUser) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Name
	}
	return out
}

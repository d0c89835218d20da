package session_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Models for the recycled-struct tests: JTag's columns are all basic (its
// joined plan scans straight into the struct), JNote has a Scanner column
// (its joined plan scans through holders).
type JUser struct {
	ID    int64
	Name  string
	Nick  *string
	Notes relations.Many[JNote] `arc:"back_populates:User;order_by:id"`
	Tags  relations.Many[JTag]  `arc:"back_populates:User;order_by:id"`
}

func (JUser) TableName() string { return "j_users" }

type JNote struct {
	ID     int64
	UserID *int64 `arc:"fk:j_users.id"`
	Body   sql.NullString
	User   relations.One[JUser] `arc:"back_populates:Notes"`
}

func (JNote) TableName() string { return "j_notes" }

type JTag struct {
	ID     int64
	UserID *int64 `arc:"fk:j_users.id"`
	Label  string
	Rank   *int64
	User   relations.One[JUser] `arc:"back_populates:Tags"`
}

func (JTag) TableName() string { return "j_tags" }

var JU = expr.Cols[JUser]()

// Structs a load scanned and did not keep are reused for the next row
// without zeroing when every column is rewritten by each scan. Rows that
// follow repeats (joined parents, objects already in the session) and
// outer-join rows without a child must come out with exactly their own
// values: a nil pointer stays nil after a struct that held one.
func TestLoadReusesScannedStructs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng, JUser{}, JNote{}, JTag{})
		nick, rank := "a", int64(7)
		u1 := &JUser{Name: "u1", Nick: &nick}
		u1.Notes.Append(&JNote{Body: sql.NullString{String: "n1", Valid: true}}, &JNote{})
		u1.Tags.Append(&JTag{Label: "t1", Rank: &rank}, &JTag{Label: "t2"})
		u2 := &JUser{Name: "u2"} // no nick, no notes, no tags
		u3 := &JUser{Name: "u3", Nick: &nick}
		u3.Tags.Append(&JTag{Label: "t3"})
		for _, u := range []*JUser{u1, u2, u3} {
			require.NoError(t, s.Add(u))
		}
		require.NoError(t, s.Commit(ctx))

		type want struct {
			name  string
			nick  bool
			notes []string
			tags  []string
		}
		wants := []want{{"u1", true, []string{"n1", ""}, []string{"t1", "t2"}}, {"u2", false, nil, nil}, {"u3", true, nil, []string{"t3"}}}
		check := func(t *testing.T, users []*JUser) {
			t.Helper()
			require.Len(t, users, len(wants))
			for i, w := range wants {
				u := users[i]
				require.Equal(t, w.name, u.Name)
				require.Equal(t, w.nick, u.Nick != nil, "%s.Nick", u.Name)
				notes, loaded := u.Notes.Cached()
				if loaded {
					var got []string
					for _, n := range notes {
						got = append(got, n.Body.String)
					}
					require.Equal(t, w.notes, got, "%s.Notes", u.Name)
				}
				tags, loaded := u.Tags.Cached()
				if loaded {
					var got []string
					for _, tg := range tags {
						got = append(got, tg.Label)
						require.Equal(t, tg.Label == "t1", tg.Rank != nil, "%s.Rank", tg.Label)
					}
					require.Equal(t, w.tags, got, "%s.Tags", u.Name)
				}
			}
		}
		cases := []struct {
			name string
			load func(ctx2 context.Context, s *session.Session) ([]*JUser, error)
		}{
			{"joined both (cartesian rows, holder and direct child plans)", func(ctx2 context.Context, s *session.Session) ([]*JUser, error) {
				users, _, err := session.AllJoined(ctx2, s, session.NewQuery[JUser](s).Options(relations.Joined(&JU.Notes), relations.Joined(&JU.Tags)).OrderBy(&JU.ID))
				return users, err
			}},
			{"joined direct child only", func(ctx2 context.Context, s *session.Session) ([]*JUser, error) {
				users, _, err := session.AllJoined(ctx2, s, session.NewQuery[JUser](s).Options(relations.Joined(&JU.Tags)).OrderBy(&JU.ID))
				return users, err
			}},
			{"query after the first user is mapped", func(ctx2 context.Context, s *session.Session) ([]*JUser, error) {
				if _, err := session.NewQuery[JUser](s).Where(expr.Eq(&JU.Name, "u1")).One(ctx2); err != nil {
					return nil, err
				}
				return session.NewQuery[JUser](s).OrderBy(&JU.ID).All(ctx2)
			}},
			{"select-in", func(ctx2 context.Context, s *session.Session) ([]*JUser, error) {
				return session.NewQuery[JUser](s).Options(relations.SelectIn(&JU.Notes), relations.SelectIn(&JU.Tags)).OrderBy(&JU.ID).All(ctx2)
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s2 := session.New(eng)
				defer s2.Close(ctx)
				users, err := c.load(session.With(ctx, s2), s2)
				require.NoError(t, err)
				check(t, users)
			})
		}
	})
}

package session_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/session"
)

// Stream over a model with relationships: a change of membership made in
// the loop (a child appended to a collection) keeps the object in the
// session and Commit writes it; a new child pointed at a streamed parent
// (many-to-one, back_populates) changes the parent's collection too, so
// the parent stays; unchanged parents leave.
func TestStream_Relationships(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := relSetup(t, eng)
		for i := range 6 {
			require.NoError(t, s.Add(&RUser{Name: fmt.Sprint("u", i)}))
		}
		require.NoError(t, s.Commit(ctx))
		s.ExpungeAll()
		U := expr.Cols[RUser]()
		var users []*RUser
		i := 0
		for u, err := range session.Select[RUser]().OrderBy(&U.ID).Stream(ctx) {
			require.NoError(t, err)
			switch i {
			case 1:
				u.Addresses.Append(&RAddress{Email: "appended@x"})
			case 3:
				a := &RAddress{Email: "pointed@x"}
				a.User.Set(u)
				require.NoError(t, s.Add(a))
			}
			users = append(users, u)
			i++
		}
		for i, u := range users {
			assert.Equal(t, i == 1 || i == 3, s.Contains(u), "user %d", i)
		}
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, 1, countRows(t, eng, "addresses", "email_address = ? AND user_id = ?", "appended@x", users[1].ID))
		assert.Equal(t, 1, countRows(t, eng, "addresses", "email_address = ? AND user_id = ?", "pointed@x", users[3].ID))
		assert.Equal(t, 6, countRows(t, eng, "users", ""))
	})
}

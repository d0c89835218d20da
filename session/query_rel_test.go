package session_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// QLUser loads its addresses eagerly by default (lazy:selectin).
type QLUser struct {
	ID        int64
	Name      string                    `arc:"size:50"`
	Fullname  string                    `arc:"size:50"`
	Nickname  string                    `arc:"size:50"`
	Addresses relations.Many[QLAddress] `arc:"back_populates:User;order_by:id;lazy:selectin"`
}

func (QLUser) TableName() string { return "users" }

type QLAddress struct {
	ID     int64
	Email  string                `arc:"column:email_address;size:100;notnull"`
	UserID *int64                `arc:"fk:users.id"`
	User   relations.One[QLUser] `arc:"back_populates:Addresses"`
}

func (QLAddress) TableName() string { return "addresses" }

// Entities read through Rows get their relationships' lazy: defaults,
// as entities from All do.
func TestQueryRowsRelationshipDefaults(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := seedTutorial(t, eng) // same tables; read them through the QL models
		U := expr.Cols[QLUser]()
		type Row struct {
			User *QLUser
			Name string
		}
		rows, err := session.Rows[Row](session.Select[QLUser]().AddColumns(&U.Name).OrderBy(&U.ID)).All(d.ctx)
		require.NoError(t, err)
		require.Len(t, rows, 5)
		jack := rows[4].User
		addrs, loaded := jack.Addresses.Cached()
		assert.True(t, loaded, "selectin default applied")
		require.Len(t, addrs, 2)
		assert.Equal(t, "jack@google.com", addrs[0].Email)
		_, loaded = rows[0].User.Addresses.Cached()
		assert.True(t, loaded)

		all, err := session.Select[QLUser]().OrderBy(&U.ID).All(d.ctx)
		require.NoError(t, err)
		assert.Same(t, jack, all[4])
	})
}

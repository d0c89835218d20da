package session_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Lonely has a one-to-many relationship to a model without a foreign key
// to it, so the relationship cannot be resolved.
type Lonely struct {
	ID     int64
	Things relations.Many[Unlinked]
}

// Unlinked has no foreign key to Lonely.
type Unlinked struct {
	ID int64
}

// TestRegression_LoadKeepsRelationError: a relationship that could not be
// resolved while a query mapped its object was dropped; the object came
// back with an unbound field, and using it later said "not bound ... load
// it with a query" of an object that was just loaded. The load now fails
// with the cause (ErrInvalidModel, naming the relationship).
func TestRegression_LoadKeepsRelationError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		_, err := eng.DB().ExecContext(ctx, "CREATE TABLE lonelies (id INTEGER PRIMARY KEY)")
		require.NoError(t, err)
		_, err = eng.DB().ExecContext(ctx, "INSERT INTO lonelies (id) VALUES (1)")
		require.NoError(t, err)
		s := session.New(eng)
		defer func() { _ = s.Close(ctx) }()
		_, err = session.Select[Lonely]().All(session.With(ctx, s))
		require.Error(t, err)
		assert.ErrorIs(t, err, arcerr.ErrInvalidModel)
		assert.Contains(t, err.Error(), "Things")
		_, err = session.Get[Lonely](ctx, s, 1)
		assert.ErrorIs(t, err, arcerr.ErrInvalidModel)
	})
}

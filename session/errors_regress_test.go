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

// BackErrUser's Addresses resolves (fk: picks owner_id), but its inverse
// side BackErrAddress.Owner does not: BackErrAddress has two foreign keys
// to back_err_users and Owner names neither.
type BackErrUser struct {
	ID        int64
	Addresses relations.Many[BackErrAddress] `arc:"fk:owner_id;back_populates:Owner"`
}

type BackErrAddress struct {
	ID       int64
	OwnerID  *int64                     `arc:"fk:back_err_users.id"`
	EditorID *int64                     `arc:"fk:back_err_users.id"`
	Owner    relations.One[BackErrUser] `arc:"back_populates:Addresses"`
}

// TestRegression_InverseSideErrorSurfaces: binding a relationship field
// resolved its inverse side (back_populates) only when a member was linked,
// and dropped the error: adding or loading the owner succeeded, a member
// appended to its collection kept an unset inverse field, and a load of
// the collection left every member's inverse unset, silently. Binding the
// field now resolves the inverse side and fails with its cause, naming
// both fields (ErrInvalidModel).
func TestRegression_InverseSideErrorSurfaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		check := func(t *testing.T, err error) {
			t.Helper()
			require.Error(t, err)
			assert.ErrorIs(t, err, arcerr.ErrInvalidModel)
			for _, want := range []string{"BackErrUser.Addresses", "BackErrAddress.Owner", "several foreign keys"} {
				assert.Contains(t, err.Error(), want)
			}
		}
		s := session.New(eng)
		defer func() { _ = s.Close(ctx) }()
		check(t, s.Add(&BackErrUser{}))

		_, err := eng.DB().ExecContext(ctx, "CREATE TABLE back_err_users (id INTEGER PRIMARY KEY)")
		require.NoError(t, err)
		_, err = eng.DB().ExecContext(ctx, "INSERT INTO back_err_users (id) VALUES (1)")
		require.NoError(t, err)
		s2 := session.New(eng)
		defer func() { _ = s2.Close(ctx) }()
		_, err = session.Select[BackErrUser]().All(session.With(ctx, s2))
		check(t, err)
		_, err = session.Get[BackErrUser](ctx, s2, 1)
		check(t, err)
	})
}

// shiftedPosts embeds a relationship field at a non-zero offset: it has
// the field's methods, but its address is not the field's.
type shiftedPosts struct {
	Pad int64
	relations.Many[RPost]
}

// TestRegression_RelatedRefusesNonFields: Related, Link and Unlink took
// any value with a Core method and called it, so a nil *relations.Many
// crashed with a nil dereference. They take a relations.Field now and
// refuse a nil one, or a type of another package that embeds a field, with
// ErrInvalidRequest.
func TestRegression_RelatedRefusesNonFields(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng)
		for name, f := range map[string]relations.Field{
			"nil interface":    nil,
			"nil *Many":        (*relations.Many[RPost])(nil),
			"embedding a Many": &shiftedPosts{},
		} {
			_, err := session.Related[RPost](f).All(ctx)
			assert.ErrorIs(t, err, arcerr.ErrInvalidRequest, name)
			_, err = session.Link(ctx, f, &RPost{})
			assert.ErrorIs(t, err, arcerr.ErrInvalidRequest, name)
			_, err = session.Unlink(ctx, f, &RPost{})
			assert.ErrorIs(t, err, arcerr.ErrInvalidRequest, name)
		}
	})
}

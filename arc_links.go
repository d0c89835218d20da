package arc

import (
	"context"

	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Link writes the link row of a many-to-many field now and idempotently
// (INSERT ... ON CONFLICT DO NOTHING) without loading the collection, and
// reports whether it was new: the race-free "favorite" or "follow"
// (see session.Link).
//
//	added, err := arc.Link(ctx, &article.FavoritedBy, user)
func Link(ctx context.Context, field relations.Field, target any) (bool, error) {
	return session.Link(ctx, field, target)
}

// Unlink deletes the link row of a many-to-many field now, and reports
// whether there was one; an absent link is not an error (see
// session.Unlink).
func Unlink(ctx context.Context, field relations.Field, target any) (bool, error) {
	return session.Unlink(ctx, field, target)
}

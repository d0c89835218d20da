package arc

import (
	"context"

	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// SoftDelete is the soft-delete mixin (see record.SoftDelete): embed it
// and Delete sets DeletedAt instead of deleting the row.
type SoftDelete = record.SoftDelete

// SessionOption configures NewSession.
type SessionOption = session.Option

// SessionFrom returns the session that WithSession put in ctx, or nil.
// A web handler behind a session-per-request middleware reaches its
// unit of work this way (see examples/webapi).
func SessionFrom(ctx context.Context) *Session { return session.From(ctx) }

// WithAutoflush turns autoflush before queries, lazy loads and Get misses
// on or off (default on).
func WithAutoflush(on bool) SessionOption { return session.WithAutoflush(on) }

// WithExpireOnCommit turns expiry of loaded objects at commit on or off
// (default on, as in SQLAlchemy: the next read after a commit reloads).
func WithExpireOnCommit(on bool) SessionOption { return session.WithExpireOnCommit(on) }

// Related is a query over the members of one object's collection
// relationship, typically a Dynamic (SQLAlchemy's lazy="dynamic"
// relationship as a query): arc.Related[Post](&wendy.Posts) can be
// filtered, joined, ordered and sliced like any Query without loading
// the whole collection. The object must be in a session.
func Related[T any](field relations.Field) *Query[T] {
	return session.Related[T](field)
}

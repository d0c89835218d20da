package arc

import (
	"context"

	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/session"
)

// Conflict says what Upsert does on a unique-key conflict.
type Conflict = session.Conflict

// OnConflict names the unique key an upsert handles (field pointers such
// as &U.Name, or field or column names); follow it with DoNothing() or
// DoUpdate(cols...).
func OnConflict(cols ...any) Conflict { return session.OnConflict(cols...) }

// Upsert inserts obj or, on a conflict of the unique key c names, keeps
// or updates the existing row (INSERT ... ON CONFLICT ... RETURNING), and
// returns the session's object for the row, holding what the database
// holds (see session.Upsert):
//
//	tag, err := arc.Upsert(ctx, &Tag{Name: "go"}, arc.OnConflict(&T.Name).DoNothing())
func Upsert[T any](ctx context.Context, obj *T, c Conflict) (*T, error) {
	return record.Upsert(ctx, obj, c)
}

// UpsertAll is Upsert for a batch, in as few statements as the dialect's
// bind-parameter limit allows; results are in input order.
func UpsertAll[T any](ctx context.Context, objs []*T, c Conflict) ([]*T, error) {
	return record.UpsertAll(ctx, objs, c)
}

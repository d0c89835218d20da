package relcore

import (
	"context"
	"unsafe"

	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/meta"
)

// Loader loads relationships; package session implements it.
type Loader interface {
	// LoadRelation loads the relationship r of the object at owner and
	// fills its field (Core.SetLoaded).
	LoadRelation(ctx context.Context, owner unsafe.Pointer, r *meta.Relationship) error
	// QueryRelation runs a query over a dynamic relationship: the rows of
	// r's target that belong to owner, narrowed by q. out is a *[]*T or,
	// with q.Count, a *int64.
	QueryRelation(ctx context.Context, owner unsafe.Pointer, r *meta.Relationship, q DynamicQuery, out any) error
}

// DynamicQuery narrows a dynamic relationship's query (relations.Dynamic's
// All, Slice and Count).
type DynamicQuery struct {
	Where   []expr.Expr
	OrderBy []any
	Limit   *int64
	Offset  int64
	Count   bool
}

// MemberPeeker is an optional interface of a Loader: the objects in
// memory that loaded inverse fields show as members of owner's collection
// r (no I/O). Set on an unloaded collection uses it to take the owner out
// of the inverse side of the members it drops, at once.
type MemberPeeker interface {
	PeekMembers(owner unsafe.Pointer, r *meta.Relationship) []unsafe.Pointer
}

// Peeker is an optional interface of a Loader: it returns the object an
// unloaded many-to-one field of owner refers to in the database, when that
// object is in memory (the session's identity map), without I/O; nil
// otherwise. Moving a member whose to-one side is not loaded uses it to
// take the member out of its old parent's collection in memory
// (SQLAlchemy reads the old value the same way, without SQL).
type Peeker interface {
	PeekOne(owner unsafe.Pointer, r *meta.Relationship) unsafe.Pointer
}

// Mode is a per-object loading mode set by query options.
type Mode uint8

// Modes.
const (
	ModeDefault Mode = iota
	ModeRaise        // Load fails with arcerr.ErrLazyLoad
	ModeNoLoad       // the field reads as empty and never loads
)

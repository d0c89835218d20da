// The session as its relationship fields see it: the relations.Loader
// methods live on relLoader, a type with the Session's layout, so that
// they are not part of Session's documented method set (issue 23.4).

package session

import (
	"context"
	"unsafe"

	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/relations"
)

// relLoader is a Session seen as the relations.Loader (and Peeker,
// MemberPeeker) of the relationship fields it binds. A conversion, not a
// wrapper: (*relLoader)(s) allocates nothing.
type relLoader Session

var (
	_ relations.Loader       = (*relLoader)(nil)
	_ relations.Peeker       = (*relLoader)(nil)
	_ relations.MemberPeeker = (*relLoader)(nil)
)

// asLoader is s as the loader of the relationship fields it binds.
func (s *Session) asLoader() *relLoader { return (*relLoader)(s) }

// loaderRef is s as the loader of the relationship fields it binds, as
// the pointer they keep (relations.Core.Bind).
func (s *Session) loaderRef() *relations.Loader {
	if s.ldRef == nil {
		s.ldRef = s.asLoader()
	}
	return &s.ldRef
}

// sessionOf returns the session behind a relationship field's loader, or
// nil when the field has none (or another package's loader).
func sessionOf(ld relations.Loader) *Session {
	if l, ok := ld.(*relLoader); ok {
		return (*Session)(l)
	}
	return nil
}

// LoadRelation implements relations.Loader (see Session.loadRelation).
func (l *relLoader) LoadRelation(ctx context.Context, owner unsafe.Pointer, r *meta.Relationship) error {
	return (*Session)(l).loadRelation(ctx, owner, r)
}

// QueryRelation implements relations.Loader (see Session.queryRelation).
func (l *relLoader) QueryRelation(ctx context.Context, owner unsafe.Pointer, r *meta.Relationship, q relations.DynamicQuery, out any) error {
	return (*Session)(l).queryRelation(ctx, owner, r, q, out)
}

// PeekOne implements relations.Peeker (see Session.peekOne).
func (l *relLoader) PeekOne(owner unsafe.Pointer, r *meta.Relationship) unsafe.Pointer {
	return (*Session)(l).peekOne(owner, r)
}

// PeekMembers implements relations.MemberPeeker (see Session.peekMembers).
func (l *relLoader) PeekMembers(owner unsafe.Pointer, r *meta.Relationship) []unsafe.Pointer {
	return (*Session)(l).peekMembers(owner, r)
}

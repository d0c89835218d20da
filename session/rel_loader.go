// The session as its relationship fields see it: the relcore.Loader
// methods live on relLoader, a type with the Session's layout, so that
// they are not part of Session's documented method set (issue 23.4); and
// the way from a relations.Field a user passes to its relcore.Core.

package session

import (
	"context"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/internal/relcore"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/relations"
)

// relLoader is a Session seen as the relcore.Loader (and Peeker,
// MemberPeeker) of the relationship fields it binds. A conversion, not a
// wrapper: (*relLoader)(s) allocates nothing.
type relLoader Session

var (
	_ relcore.Loader       = (*relLoader)(nil)
	_ relcore.Peeker       = (*relLoader)(nil)
	_ relcore.MemberPeeker = (*relLoader)(nil)
)

// asLoader is s as the loader of the relationship fields it binds.
func (s *Session) asLoader() *relLoader { return (*relLoader)(s) }

// loaderRef is s as the loader of the relationship fields it binds, as
// the pointer they keep (relcore.Core.Bind).
func (s *Session) loaderRef() *relcore.Loader {
	if s.ldRef == nil {
		s.ldRef = s.asLoader()
	}
	return &s.ldRef
}

// sessionOf returns the session behind a relationship field's loader, or
// nil when the field has none (or another package's loader).
func sessionOf(ld relcore.Loader) *Session {
	if l, ok := ld.(*relLoader); ok {
		return (*Session)(l)
	}
	return nil
}

// LoadRelation implements relcore.Loader (see Session.loadRelation).
func (l *relLoader) LoadRelation(ctx context.Context, owner unsafe.Pointer, r *meta.Relationship) error {
	return (*Session)(l).loadRelation(ctx, owner, r)
}

// QueryRelation implements relcore.Loader (see Session.queryRelation).
func (l *relLoader) QueryRelation(ctx context.Context, owner unsafe.Pointer, r *meta.Relationship, q relcore.DynamicQuery, out any) error {
	return (*Session)(l).queryRelation(ctx, owner, r, q, out)
}

// PeekOne implements relcore.Peeker (see Session.peekOne).
func (l *relLoader) PeekOne(owner unsafe.Pointer, r *meta.Relationship) unsafe.Pointer {
	return (*Session)(l).peekOne(owner, r)
}

// PeekMembers implements relcore.MemberPeeker (see Session.peekMembers).
func (l *relLoader) PeekMembers(owner unsafe.Pointer, r *meta.Relationship) []unsafe.Pointer {
	return (*Session)(l).peekMembers(owner, r)
}

// relationsPkg is the import path of the relationship field types.
var relationsPkg = reflect.TypeFor[relations.Field]().PkgPath()

// fieldCore returns the header of a relationship field given to Related,
// Link or Unlink. relations.Field is implemented by relations' field types
// only, and each of them is a relcore.Core; a type of another package that
// embeds one (so that its Core may not start at its address) is refused.
func fieldCore(f relations.Field) (*relcore.Core, error) {
	v := reflect.ValueOf(f)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, fmt.Errorf("%w: a nil relationship field", arcerr.ErrInvalidRequest)
	}
	if v.Type().Elem().PkgPath() != relationsPkg {
		return nil, fmt.Errorf("%w: %T is not a relationship field (a *relations.One, *relations.Many or *relations.Dynamic)", arcerr.ErrInvalidRequest, f)
	}
	return relcore.At(v.UnsafePointer()), nil
}

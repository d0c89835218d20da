package relations

import (
	"context"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/relcore"
	"github.com/arcorm/arc/meta"
)

// One is a to-one relationship field (many-to-one, or one-to-one):
//
//	type Address struct {
//	    ID     int64
//	    UserID *int64 `arc:"fk:users.id"`
//	    User   relations.One[User] `arc:"back_populates:Addresses"`
//	}
type One[T any] struct{ c relcore.Core }

// ArcRelation tells meta that the field is a to-one relationship to T.
func (*One[T]) ArcRelation() (meta.RelationKind, reflect.Type) {
	return meta.RelOne, reflect.TypeFor[T]()
}

// Get returns the related object in memory (nil when there is none or it
// is not loaded yet; Cached tells the two apart). It never does I/O.
func (o *One[T]) Get() *T { return (*T)(o.c.One()) }

// Cached returns the related object and whether the field is loaded.
func (o *One[T]) Cached() (*T, bool) { return (*T)(o.c.One()), o.c.Loaded() }

// Set points the field at v (nil clears it). The inverse collection is
// updated in memory: the owner leaves the old target's collection (found
// in the session's identity map when the field was not loaded) and joins
// v's. The foreign key column is written at the next flush, also when the
// field was never loaded and v is nil.
func (o *One[T]) Set(v *T) { o.c.SetOne(unsafe.Pointer(v)) }

// Load returns the related object, loading it on first use: from the
// session's identity map when the target is there (no SQL), otherwise
// with a SELECT after autoflush. A NULL foreign key gives nil.
func (o *One[T]) Load(ctx context.Context) (*T, error) {
	if o.c.Loaded() {
		return o.Get(), nil
	}
	if err := o.c.Load(ctx, "One["+typeName[T]()+"]"); err != nil {
		return nil, err
	}
	return o.Get(), nil
}

// Many is a collection relationship field: one-to-many, or many-to-many
// with `secondary:`.
//
//	type User struct {
//	    ID        int64
//	    Addresses relations.Many[Address] `arc:"back_populates:User;order_by:id"`
//	}
type Many[T any] struct{ c relcore.Core }

// ArcRelation tells meta that the field is a collection of T.
func (*Many[T]) ArcRelation() (meta.RelationKind, reflect.Type) {
	return meta.RelMany, reflect.TypeFor[T]()
}

// Items returns the members in memory, in order. It never does I/O; an
// unloaded collection of a persistent object holds only what was
// appended in memory (Cached tells). The slice must not be modified.
func (m *Many[T]) Items() []*T {
	s := m.c.Items()
	return *(*[]*T)(unsafe.Pointer(&s))
}

// Cached returns the members and whether the collection is loaded.
func (m *Many[T]) Cached() ([]*T, bool) { return m.Items(), m.c.Loaded() }

// Get returns the members when the collection is loaded, and an error
// wrapping arcerr.ErrLazyLoad when it is not (call Load).
func (m *Many[T]) Get() ([]*T, error) {
	if !m.c.Loaded() {
		return nil, fmt.Errorf("%w: %s is not loaded (call Load(ctx) or use an eager option)", arcerr.ErrLazyLoad, m.c.Name("Many["+typeName[T]()+"]"))
	}
	return m.Items(), nil
}

// Len is the number of members in memory.
func (m *Many[T]) Len() int { return m.c.Len() }

// At returns member i.
func (m *Many[T]) At(i int) *T { return (*T)(m.c.Items()[i]) }

// Load returns the collection, loading it on first use (after autoflush,
// ordered by the relationship's order_by). It loads once per session
// unless the owner is expired.
func (m *Many[T]) Load(ctx context.Context) ([]*T, error) {
	if m.c.Loaded() {
		return m.Items(), nil
	}
	if err := m.c.Load(ctx, "Many["+typeName[T]()+"]"); err != nil {
		return nil, err
	}
	return m.Items(), nil
}

// Append adds members; each one's inverse side (its One, or the other
// collection of a many-to-many) is set at once.
func (m *Many[T]) Append(vs ...*T) {
	for _, v := range vs {
		m.c.Append(unsafe.Pointer(v))
	}
}

// Remove takes v out of the collection and clears its inverse side. It
// reports whether v was a member. At the next flush its foreign key is
// set to NULL, or with cascade delete-orphan the row is deleted; for a
// many-to-many only the association row goes.
func (m *Many[T]) Remove(v *T) bool { return m.c.Remove(unsafe.Pointer(v)) }

// Set replaces the members; the ones left out are de-associated as by
// Remove. It replaces the whole collection even when it is not loaded:
// the members the database holds are read at the next flush (or Load),
// and those not in vs leave it then (their association rows deleted,
// their foreign keys nulled, or, with delete-orphan, the rows deleted).
func (m *Many[T]) Set(vs ...*T) {
	ps := make([]unsafe.Pointer, len(vs))
	for i, v := range vs {
		ps[i] = unsafe.Pointer(v)
	}
	m.c.SetAll(ps)
}

// Dynamic is a query-backed collection (SQLAlchemy's lazy="dynamic"): it
// never loads whole. Reads query the database (after autoflush), narrowed
// by predicates; Append and Remove are queued and written at flush. While
// the owner is new (no identity yet), reads return the appended members.
type Dynamic[T any] struct{ c relcore.Core }

// ArcRelation tells meta that the field is a dynamic collection of T.
func (*Dynamic[T]) ArcRelation() (meta.RelationKind, reflect.Type) {
	return meta.RelDynamic, reflect.TypeFor[T]()
}

func (d *Dynamic[T]) run(ctx context.Context, q relcore.DynamicQuery, out any) error {
	return d.c.Query(ctx, "Dynamic["+typeName[T]()+"]", q, out)
}

// All returns the members that match every predicate, in the
// relationship's order_by.
func (d *Dynamic[T]) All(ctx context.Context, where ...expr.Expr) ([]*T, error) {
	var out []*T
	err := d.run(ctx, relcore.DynamicQuery{Where: where}, &out)
	return out, err
}

// Slice returns members start..stop-1 (LIMIT/OFFSET) of those matching where.
func (d *Dynamic[T]) Slice(ctx context.Context, start, stop int, where ...expr.Expr) ([]*T, error) {
	if start < 0 || stop < start {
		return nil, fmt.Errorf("%w: slice [%d:%d]", arcerr.ErrInvalidRequest, start, stop)
	}
	n := int64(stop - start)
	var out []*T
	err := d.run(ctx, relcore.DynamicQuery{Where: where, Limit: &n, Offset: int64(start)}, &out)
	return out, err
}

// Count counts the members that match every predicate.
func (d *Dynamic[T]) Count(ctx context.Context, where ...expr.Expr) (int64, error) {
	var n int64
	err := d.run(ctx, relcore.DynamicQuery{Where: where, Count: true}, &n)
	return n, err
}

// Append queues members to add; they are written at the next flush (and a
// read autoflushes first). The inverse side is set in memory at once.
func (d *Dynamic[T]) Append(vs ...*T) {
	for _, v := range vs {
		d.c.Append(unsafe.Pointer(v))
	}
}

// Remove queues v's removal.
func (d *Dynamic[T]) Remove(v *T) { d.c.Remove(unsafe.Pointer(v)) }

// Pending returns the members appended in memory and not yet flushed.
func (d *Dynamic[T]) Pending() []*T {
	added := d.c.Added()
	out := make([]*T, len(added))
	for i, p := range added {
		out[i] = (*T)(p)
	}
	return out
}

// Field is a relationship field: a *One[T], *Many[T] or *Dynamic[T] of a
// model object. The functions that act on one object's relationship take
// it (arc.Related, arc.Link, arc.Unlink). Only this package's field types
// implement it.
type Field interface {
	ArcRelation() (meta.RelationKind, reflect.Type)
	relationField()
}

func (*One[T]) relationField()     {}
func (*Many[T]) relationField()    {}
func (*Dynamic[T]) relationField() {}

// Init binds every relationship field of obj in memory (no session), so
// that appending to one side sets the other at once, and returns obj. A
// new object's collections are empty and loaded. Adding obj to a session
// does the same. Init has no error to return: a field whose relationship
// (or inverse side) does not resolve is left unbound, and adding obj to a
// session reports why (arcerr.ErrInvalidModel).
func Init[T any](obj *T) *T {
	if obj == nil {
		return obj
	}
	t, err := meta.Of[T]()
	if err != nil {
		return obj
	}
	p := unsafe.Pointer(obj)
	for _, rf := range t.Relations {
		r, err := meta.Resolve(rf)
		if err != nil {
			continue // reported when obj is added to a session
		}
		c := relcore.Of(p, rf)
		if c.Bind(p, r, nil) == nil {
			c.MarkLoaded()
		}
	}
	return obj
}

func typeName[T any]() string { return reflect.TypeFor[T]().Name() }

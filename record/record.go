// Package record is Arc's active-record face: embed Base[T] in a model
// and it gains Save, Delete, Reload and Find, backed by the session in the
// context or, without one, by a short transaction of its own on the
// default engine (SetDefault), as Rails users expect of save.
//
//	type User struct {
//		record.Base[User]
//		ID   int64
//		Name string
//	}
//	u := &User{Name: "ed"}
//	err := u.Save(ctx)
//
// With a session in ctx (session.With), calls join its unit of work and
// identity map: Save adds the object and flushes the session, so the row
// is written in the session's transaction and committed with it.
//
// record imports session and below.
package record

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/session"
)

// Base gives model T active-record methods. Embed it by value, directly
// in T (not through a pointer or another struct). It holds the object's
// session state.
//
// A Base must not be copied, alone or with its model: its methods find the
// model from the Base's own address. go vet's copylocks check reports
// copies (b := p.Base, q := *p, a model passed or ranged over by value),
// and at run time a method of a copy of a Base that has been in a session
// returns an error wrapping arcerr.ErrInvalidRequest instead of touching
// memory that is not a T. To duplicate a model, copy its fields into a new
// value (or reset the copy's base with q.Base = record.Base[T]{}); the
// session API (session.Add(&q)) treats a copy as a new, untracked object.
type Base[T any] struct {
	_ noCopy // first: a zero-size field at the end would add padding
	h session.Holder
}

// noCopy makes go vet's copylocks check report copies of a Base (the
// check looks for a Lock method; see sync.noCopy).
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// ArcHolder implements session.Tracked.
func (b *Base[T]) ArcHolder() *session.Holder { return &b.h }

// ArcModelType implements meta.OwnedBy: registration uses it to reject a
// Base[X] embedded anywhere but by value directly in X (its methods find
// the model from the base's own address).
func (*Base[T]) ArcModelType() reflect.Type { return reflect.TypeFor[T]() }

// defaultEngine is the only global setting in Arc: the engine record
// calls use when the context carries no session. (Everything else at
// package level is an immutable, bounded memo: docs/architecture.md,
// "Process-wide state".)
var defaultEngine atomic.Pointer[engine.Engine]

// SetDefault sets the default engine (nil clears it).
func SetDefault(eng *engine.Engine) { defaultEngine.Store(eng) }

// Default returns the default engine, or nil.
func Default() *engine.Engine { return defaultEngine.Load() }

type engineKey struct{}

// WithEngine returns a context whose session-less record calls use eng
// instead of the default engine.
func WithEngine(ctx context.Context, eng *engine.Engine) context.Context {
	return context.WithValue(ctx, engineKey{}, eng)
}

func engineFor(ctx context.Context) (*engine.Engine, error) {
	if e, ok := ctx.Value(engineKey{}).(*engine.Engine); ok && e != nil {
		return e, nil
	}
	if e := defaultEngine.Load(); e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("%w: no session in the context and no default engine (call record.SetDefault or use session.With)", arcerr.ErrInvalidRequest)
}

// owner recovers the outer *T from the embedded Base. Base must be the
// field at the offset meta found; validated once per type.
//
// A Base that has been in a session keeps its object's address (the
// Holder's owner, set by the session when it adds or loads the object and
// kept after it leaves): a Base that is not at that address plus the
// offset is a copy, alone (b := p.Base, where the offset leads to memory
// that is not a T) or with its model (q := *p), and is refused before the
// offset is used. A Base never in a session carries nothing to check
// against; go vet's copylocks check (noCopy) is what catches a copy of it.
func (b *Base[T]) owner() (*T, error) {
	off, err := baseOffset[T]()
	if err != nil {
		return nil, err
	}
	if b.h.Copied(off + unsafe.Offsetof(b.h)) {
		return nil, fmt.Errorf("%w: record.Base[%s] was copied from a %s that has been in a session (b := obj.Base or a copy of the whole model): "+
			"call its methods on the original object, or copy the fields into a new %s",
			arcerr.ErrInvalidRequest, reflect.TypeFor[T]().Name(), reflect.TypeFor[T]().Name(), reflect.TypeFor[T]().Name())
	}
	return layout.Container[T](unsafe.Pointer(b), off), nil
}

var offsets atomicMap

type atomicMap struct {
	m atomic.Pointer[map[reflect.Type]offsetResult]
}

type offsetResult struct {
	off uintptr
	err error
}

func baseOffset[T any]() (uintptr, error) {
	t := reflect.TypeFor[T]()
	if m := offsets.m.Load(); m != nil {
		if r, ok := (*m)[t]; ok {
			return r.off, r.err
		}
	}
	r := computeOffset[T](t)
	for {
		old := offsets.m.Load()
		nm := map[reflect.Type]offsetResult{}
		if old != nil {
			for k, v := range *old {
				nm[k] = v
			}
		}
		nm[t] = r
		if offsets.m.CompareAndSwap(old, &nm) {
			break
		}
	}
	return r.off, r.err
}

func computeOffset[T any](t reflect.Type) offsetResult {
	bt := reflect.TypeFor[Base[T]]()
	if t.Kind() != reflect.Struct {
		return offsetResult{err: fmt.Errorf("%w: record.Base[%s]: %s is not a struct", arcerr.ErrInvalidModel, t, t)}
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type == bt {
			return offsetResult{off: f.Offset}
		}
	}
	return offsetResult{err: fmt.Errorf("%w: record.Base[%s] must be embedded by value directly in %s", arcerr.ErrInvalidModel, t.Name(), t.Name())}
}

// run gives fn the session for ctx: the one it carries, or a one-shot
// session on the default engine whose transaction commits when fn
// succeeds.
func run(ctx context.Context, fn func(ctx context.Context, s *session.Session) error) error {
	if s := session.From(ctx); s != nil {
		return fn(ctx, s)
	}
	eng, err := engineFor(ctx)
	if err != nil {
		return err
	}
	s := session.New(eng, session.WithExpireOnCommit(false), session.OneShot())
	sctx := session.With(ctx, s)
	err = fn(sctx, s)
	if err == nil {
		err = s.Commit(sctx)
	}
	// Close, not Rollback then Close: Close rolls back a transaction still
	// open and, only when it holds written work, puts the objects back to
	// match the database; a failed flush has already rolled its own
	// statements back and restored the objects to what the caller had, so
	// a failed Save keeps the caller's values (and the snapshot of the row)
	// to fix and save again, as Rails and GORM leave them. Rollback would
	// reset them to the snapshot, losing the change.
	if cerr := s.Close(sctx); err == nil {
		err = cerr
	}
	return err
}

// Save inserts or updates the object: it is added to the session and the
// session is flushed (its whole unit of work, as SQLAlchemy's flush). Only
// changed columns are updated. Without a session in ctx it runs in its
// own transaction and the object ends detached, remembering its values so
// a later Save writes only what changed.
func (b *Base[T]) Save(ctx context.Context) error {
	return b.flushAfter(ctx, func(s *session.Session, obj *T) error { return s.Add(obj) })
}

// Delete deletes the object's row (at once: the session is flushed).
func (b *Base[T]) Delete(ctx context.Context) error {
	return b.flushAfter(ctx, func(s *session.Session, obj *T) error { return s.Delete(obj) })
}

// HardDelete deletes the object's row for real (at once), also for a
// model with a softdelete column, where Delete only sets that column.
func (b *Base[T]) HardDelete(ctx context.Context) error {
	return b.flushAfter(ctx, func(s *session.Session, obj *T) error { return s.HardDelete(obj) })
}

// Restore clears the softdelete column of a soft-deleted object (loaded
// with WithDeleted) and saves it at once.
func (b *Base[T]) Restore(ctx context.Context) error {
	return b.flushAfter(ctx, func(s *session.Session, obj *T) error {
		if err := s.Add(obj); err != nil {
			return err
		}
		return s.Restore(obj)
	})
}

// flushAfter runs change on the object in the session for ctx (see run),
// then flushes the session.
func (b *Base[T]) flushAfter(ctx context.Context, change func(s *session.Session, obj *T) error) error {
	obj, err := b.owner()
	if err != nil {
		return err
	}
	// Without a session in ctx, run commits right after the change, and the
	// commit's flush is the one that may send a single statement alone in
	// autocommit (one round trip, see session's flush_single.go); an explicit
	// Flush here would begin a transaction first.
	oneShot := session.From(ctx) == nil
	return run(ctx, func(ctx context.Context, s *session.Session) error {
		if err := change(s, obj); err != nil {
			return err
		}
		if oneShot {
			return nil
		}
		return s.Flush(ctx)
	})
}

// SoftDelete is a mixin for soft deletion: embed it in a model and
// Delete sets DeletedAt instead of deleting the row; queries, Get and
// relationship loads skip deleted rows unless a query says WithDeleted or
// OnlyDeleted; HardDelete deletes for real and Restore clears DeletedAt.
type SoftDelete struct {
	DeletedAt *time.Time `arc:"softdelete;index"`
}

// Reload reads the object's row again, overwriting its fields.
func (b *Base[T]) Reload(ctx context.Context) error {
	obj, err := b.owner()
	if err != nil {
		return err
	}
	return run(ctx, func(ctx context.Context, s *session.Session) error {
		if err := s.Add(obj); err != nil {
			return err
		}
		if s.StateOf(obj) == session.Pending {
			return fmt.Errorf("%w: Reload of a %T that was never saved", arcerr.ErrInvalidRequest, obj)
		}
		return s.Refresh(ctx, obj)
	})
}

// Find loads the T with the given primary key into the receiver's session
// and returns it (the receiver is only used for its type).
func (b *Base[T]) Find(ctx context.Context, key ...any) (*T, error) { return Find[T](ctx, key...) }

// Find returns the T with the given primary key; an error wrapping
// arcerr.ErrNotFound when there is none.
func Find[T any](ctx context.Context, key ...any) (*T, error) {
	var out *T
	err := run(ctx, func(ctx context.Context, s *session.Session) error {
		var err error
		out, err = session.Get[T](ctx, s, key...)
		return err
	})
	return out, err
}

// Where starts a query for T with predicates. Its terminal methods use
// the session in their context, or, without one, a one-shot session on the
// default engine (the objects come back detached).
func Where[T any](preds ...expr.Expr) *session.Query[T] {
	return session.Select[T]().Where(preds...).WithFallback(func(ctx context.Context, fn func(context.Context) error) error {
		return run(ctx, func(ctx context.Context, _ *session.Session) error { return fn(ctx) })
	})
}

// All returns every T.
func All[T any](ctx context.Context) ([]*T, error) { return Where[T]().All(ctx) }

// Table returns the metadata of T.
func Table[T any]() (*meta.Table, error) { return meta.Of[T]() }

// Upsert inserts obj or, when a row with the same unique key exists, does
// what c says (session.OnConflict(...).DoNothing() or .DoUpdate(...)), in
// one statement, and returns the object holding the row as the database
// has it afterwards (see session.Upsert). With a session in ctx it joins
// its transaction and identity map; without one its statement runs alone
// in autocommit on the default engine and the object comes back detached.
func Upsert[T any](ctx context.Context, obj *T, c session.Conflict) (out *T, err error) {
	err = run(ctx, func(ctx context.Context, s *session.Session) error {
		out, err = session.Upsert(ctx, s, obj, c)
		return err
	})
	return out, err
}

// UpsertAll is Upsert for a batch (see session.UpsertAll).
func UpsertAll[T any](ctx context.Context, objs []*T, c session.Conflict) (out []*T, err error) {
	err = run(ctx, func(ctx context.Context, s *session.Session) error {
		out, err = session.UpsertAll(ctx, s, objs, c)
		return err
	})
	return out, err
}

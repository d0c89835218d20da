package arc

import (
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// Relationship field types (see package relations).
type (
	// One is a to-one relationship field (many-to-one, one-to-one).
	One[T any] = relations.One[T]
	// Many is a collection relationship field (one-to-many, or
	// many-to-many with `secondary:`).
	Many[T any] = relations.Many[T]
	// Dynamic is a query-backed collection (lazy="dynamic").
	Dynamic[T any] = relations.Dynamic[T]
	// LoadOption is a relationship loading option for Query.Options.
	LoadOption = relations.LoadOption
	// LazyGuard is the N+1 guard's mode (session option WithLazyGuard).
	LazyGuard = session.LazyGuard
)

// N+1 guard modes.
const (
	GuardOff   = session.GuardOff
	GuardWarn  = session.GuardWarn
	GuardRaise = session.GuardRaise
)

// WithLazyGuard sets a session's N+1 guard: GuardWarn logs, GuardRaise
// fails with ErrLazyLoad, a lazy load on an object that came from a
// multi-row query.
func WithLazyGuard(g LazyGuard) session.Option { return session.WithLazyGuard(g) }

// New binds obj's relationship fields in memory, so that setting one side
// of a relationship sets the other at once, and returns obj:
// jack := arc.New(&User{Name: "jack"}). Adding obj to a session does the
// same.
func New[T any](obj *T) *T { return relations.Init(obj) }

// SelectIn loads a relationship for all the query's objects with one more
// SELECT ... WHERE fk IN (...), chunked below the dialect's limit.
func SelectIn(field any) *relations.Option { return relations.SelectIn(field) }

// Joined loads a relationship in the same SELECT through a LEFT OUTER JOIN
// to an anonymous alias; parents are de-duplicated.
func Joined(field any) *relations.Option { return relations.Joined(field) }

// ContainsEager fills a relationship from a join the query already has.
func ContainsEager(field any) *relations.Option { return relations.ContainsEager(field) }

// Raise makes a lazy load of the relationship fail with ErrLazyLoad.
func Raise(field any) *relations.Option { return relations.Raise(field) }

// NoLoad makes the relationship read as empty and never load.
func NoLoad(field any) *relations.Option { return relations.NoLoad(field) }

// Lazy loads the relationship lazily, on first access, overriding a
// lazy: default in its tag (relations.Lazy).
func Lazy(field any) *relations.Option { return relations.Lazy(field) }

// Any tests that a collection has a member matching crit (EXISTS).
func Any(field any, crit ...Expr) Expr { return relations.Any(field, crit...) }

// Has tests that a to-one relationship's target matches crit (EXISTS).
func Has(field any, crit ...Expr) Expr { return relations.Has(field, crit...) }

// Outer makes a field pointer or predicate inside Any/Has (or another
// subquery) name the enclosing query's row; inside Any/Has the target
// model's field pointers name the related row. For a self-referential
// relationship: arc.Has(&N.Parent, arc.Col(&N.ID).Lt(arc.Outer(&N.ID))).
func Outer(x any) Expr { return expr.Outer(x) }

// Contains tests that a collection holds obj.
func Contains(field any, obj any) Expr { return relations.Contains(field, obj) }

// WithParent selects the members of parent's relationship field.
func WithParent(parent any, field any) Expr { return relations.WithParent(parent, field) }

// Is compares a many-to-one with an object (nil: the FK IS NULL).
func Is(field any, obj any) Expr { return relations.Is(field, obj) }

// IsNot is the negation of Is; it includes NULL foreign keys.
func IsNot(field any, obj any) Expr { return relations.IsNot(field, obj) }

// RelTarget and RelOn join along a relationship with Query.Join:
// q.Join(arc.RelTarget(&U.Addresses), arc.RelOn(&U.Addresses, nil)); pass
// an alias to join to it instead of the target table.
func RelTarget(field any) expr.FromItem { return relations.Target(field) }

// RelOn is the ON condition of a relationship join to its target or to
// the alias given; extra criteria are ANDed.
func RelOn(field any, to expr.FromItem, extra ...Expr) Expr { return relations.On(field, to, extra...) }

// CountOf is the number of related rows per row, a correlated scalar
// subquery for Select, Rows, Where (arc.Col(arc.CountOf(...)).Gt(2)) and
// OrderBy: arc.Label(arc.CountOf(&A.FavoritedBy), "favorites"). Criteria
// narrow the counted rows. An exists-flag per row is arc.Any (or Has) in
// the SELECT list: arc.Label(arc.Any(&A.FavoritedBy, arc.Eq(&U.ID, me)), "mine").
func CountOf(field any, crit ...Expr) Expr { return relations.CountOf(field, crit...) }

// PropertyOption configures a column property (Deferred).
type PropertyOption = session.PropertyOption

// ColumnProperty registers the expression a model field tagged
// `arc:"property"` is loaded from with its object (SQLAlchemy's
// column_property): read-only, never written, never dirty, selected by
// queries, Get, relationship loads and Refresh. Build it with Arc's
// expressions against the model's probe, and register it once, before
// the model is first loaded:
//
//	type Post struct {
//		ID           int64
//		Comments     arc.Many[Comment] `arc:"back_populates:Post"`
//		CommentCount int64             `arc:"property"`
//	}
//
//	func init() {
//		P := arc.Cols[Post]()
//		if err := arc.ColumnProperty(&P.CommentCount, arc.CountOf(&P.Comments)); err != nil {
//			panic(err)
//		}
//	}
//
// With arc.Deferred() the property loads only when asked for: a query's
// Undefer(&P.CommentCount), or Session.LoadProperties.
func ColumnProperty[V any](field *V, x Expr, opts ...PropertyOption) error {
	return session.ColumnProperty(field, x, opts...)
}

// Deferred makes a column property load only on request (Query.Undefer,
// Session.LoadProperties).
func Deferred() PropertyOption { return session.Deferred() }

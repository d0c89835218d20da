package relations

import (
	"fmt"
	"reflect"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/meta"
)

// Strategy is how a query option loads a relationship.
type Strategy uint8

// Loading strategies.
const (
	StrategySelectIn      Strategy = iota + 1 // one extra SELECT ... WHERE fk IN (...) per relationship
	StrategyJoined                            // LEFT OUTER JOIN to an anonymous alias in the same query
	StrategyContainsEager                     // filled from a join the query already has
	StrategyRaise                             // loading lazily fails with ErrLazyLoad
	StrategyNoLoad                            // never loads; reads as empty
	StrategyLazy                              // the default lazy loading (overrides lazy: in the tag)
)

// String is the strategy's SQLAlchemy name.
func (s Strategy) String() string {
	return [...]string{"", "selectin", "joined", "contains_eager", "raise", "noload", "select"}[s]
}

// LoadOption is a relationship loading option given to a query
// (Query.Options). *Option implements it.
type LoadOption interface{ LoadOptionSpec() *Option }

// Option loads one relationship with a strategy, and optionally further
// relationships of the loaded objects (Then).
type Option struct {
	Strategy Strategy
	// Field is the relationship, found from the field pointer given.
	Field *meta.RelationField
	// Inner asks Joined for an INNER JOIN.
	Inner bool
	// Alias is the FROM item ContainsEager reads from (nil: the target table).
	Alias any
	// Next are options applied to the loaded objects.
	Next []*Option
	Err  error
}

// LoadOptionSpec returns o.
func (o *Option) LoadOptionSpec() *Option { return o }

// Then chains options for the objects this option loads:
// SelectIn(&U.Posts).Then(SelectIn(&P.Keywords)).
func (o *Option) Then(next ...*Option) *Option {
	n := *o
	n.Next = append(append([]*Option(nil), o.Next...), next...)
	return &n
}

// InnerJoin makes a Joined option use an INNER JOIN.
func (o *Option) InnerJoin() *Option {
	n := *o
	n.Inner = true
	return &n
}

// FieldOf finds the relationship field a probe field pointer names
// (&U.Addresses where U := arc.Cols[User]()).
func FieldOf(field any) (*meta.RelationField, error) {
	rv := reflect.ValueOf(field)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("%w: %T is not a pointer to a relationship field of a probe (&U.Addresses)", arcerr.ErrInvalidRequest, field)
	}
	if _, ok := field.(interface {
		ArcRelation() (meta.RelationKind, reflect.Type)
	}); !ok {
		return nil, fmt.Errorf("%w: %T is not a relationship field (relations.One, Many or Dynamic)", arcerr.ErrInvalidRequest, field)
	}
	t, off, ok := meta.ProbeOwner(rv.UnsafePointer())
	if !ok {
		return nil, fmt.Errorf("%w: %T does not point into a probe (use &U.Field with U := arc.Cols[Model]())", arcerr.ErrNotAColumn, field)
	}
	rf := t.RelationAt(off)
	if rf == nil {
		return nil, fmt.Errorf("%w: no relationship of %s at that field", arcerr.ErrNotAColumn, t.GoType.Name())
	}
	return rf, nil
}

func newOption(s Strategy, field any) *Option {
	rf, err := FieldOf(field)
	return &Option{Strategy: s, Field: rf, Err: err}
}

// SelectIn loads the relationship for every object of the result with one
// more query, WHERE fk IN (...), chunked below the dialect's bind-parameter
// limit. Best for collections.
func SelectIn(field any) *Option { return newOption(StrategySelectIn, field) }

// Joined loads the relationship in the same query through a LEFT OUTER
// JOIN to an anonymous alias (InnerJoin for JOIN); parent rows are
// de-duplicated. Best for many-to-one.
func Joined(field any) *Option { return newOption(StrategyJoined, field) }

// ContainsEager fills the relationship from the columns of a join the
// query already has (Join(&A.User) ...), with no extra SQL.
func ContainsEager(field any) *Option { return newOption(StrategyContainsEager, field) }

// Raise makes a lazy load of the relationship fail with arcerr.ErrLazyLoad.
func Raise(field any) *Option { return newOption(StrategyRaise, field) }

// NoLoad makes the relationship read as empty and never load.
func NoLoad(field any) *Option { return newOption(StrategyNoLoad, field) }

// Lazy restores the default lazy loading for this query.
func Lazy(field any) *Option { return newOption(StrategyLazy, field) }

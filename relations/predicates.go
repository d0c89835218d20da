package relations

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/internal/relcore"
	"github.com/arcorm/arc/meta"
)

func col(f expr.FromItem, c *meta.Column) expr.Expr { return &expr.ColRef{From: f, Col: c} }

// unsaved reports an object whose key columns in cols are still zero.
func unsaved(obj unsafe.Pointer, cols []*meta.Column, what string) error {
	for _, c := range cols {
		if c.PrimaryKey && layout.Value(obj, c.Offset, c.GoType).IsZero() {
			return fmt.Errorf("%w: %s: the %s has no primary key yet (flush it first)", arcerr.ErrInvalidRequest, what, c.Table.GoType.Name())
		}
	}
	return nil
}

// Join resolves a relationship field pointer (&U.Addresses) for
// Query.Join: the target table and the ON condition, plus, for a
// many-to-many, the secondary table to join before it. to may be an alias
// of the target (nil: the target table).
func Join(field any, to expr.FromItem) (sec expr.FromItem, secOn expr.Expr, target expr.FromItem, on expr.Expr, err error) {
	rf, err := FieldOf(field)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	r, err := meta.Resolve(rf)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if to == nil {
		to = expr.TableOf(r.Target)
	}
	sec, secOn, on = relcore.JoinOn(r, expr.TableOf(r.Owner), to)
	return sec, secOn, to, on, nil
}

func resolveField(field any, what string) (*meta.Relationship, error) {
	rf, err := FieldOf(field)
	if err != nil {
		return nil, fmt.Errorf("arc: %s: %w", what, err)
	}
	return meta.Resolve(rf)
}

// ownerCol names a column of r's owner: the row of the query being
// compiled (up 0), or of the query enclosing the subquery (up 1). It finds
// that row's FROM item when the SQL is written, so the owner may be an
// alias (two levels deep, the target of the enclosing Any/Has).
func ownerCol(c *meta.Column, up int) expr.Expr { return &expr.OwnerCol{Col: c, Up: up} }

// eqFalseOnNull compares a key column with an object's column read when
// the query runs: "col = ? AND (col = ?) IS NOT NULL". A NULL value makes
// it FALSE rather than NULL, so Not(Contains(&U.Addresses, a)) for an
// address with no user holds for every user, as it did when the value was
// read up front. (A bare "? IS NOT NULL" cannot be typed by PostgreSQL.)
func eqFalseOnNull(c expr.Expr, v relcore.Deferred) []expr.Expr {
	return []expr.Expr{
		&expr.Binary{L: c, Op: "=", R: v},
		&expr.NullTest{X: &expr.Paren{X: &expr.Binary{L: c, Op: "=", R: v}}, Not: true},
	}
}

// exists builds EXISTS (SELECT 1 FROM target[, secondary] WHERE <join> AND
// crit). The target is a TargetRef: written as an alias when the table is
// already in an enclosing query (a self-referential relationship), and
// named by the target model's field pointers inside crit.
func exists(r *meta.Relationship, crit []expr.Expr) expr.Expr {
	return expr.Exists(related(r, crit))
}

// related is SELECT FROM target[, secondary] WHERE <join to the owner row
// one level out> AND crit AND <target not soft-deleted>, with no columns:
// the body of Any/Has (EXISTS) and CountOf (count(*)).
func related(r *meta.Relationship, crit []expr.Expr) *expr.Select {
	target := expr.NewTargetRef(r.Target)
	sel := &expr.Select{From: []expr.FromItem{target}}
	if r.Dir == meta.ManyToMany {
		st := expr.TableOf(r.Secondary)
		sel.From = []expr.FromItem{st, target}
		for i, c := range r.OwnerRef {
			sel.Where = append(sel.Where, &expr.Binary{L: ownerCol(c, 1), Op: "=", R: col(st, r.SecOwner[i])})
		}
		for i, c := range r.TargetRef {
			sel.Where = append(sel.Where, &expr.Binary{L: col(target, c), Op: "=", R: col(st, r.SecTarget[i])})
		}
	} else {
		for i, c := range r.OwnerCols {
			sel.Where = append(sel.Where, &expr.Binary{L: ownerCol(c, 1), Op: "=", R: col(target, r.TargetCols[i])})
		}
	}
	sel.Where = append(sel.Where, crit...)
	if c := r.Target.SoftDelete; c != nil {
		sel.Where = append(sel.Where, &expr.NullTest{X: col(target, c)})
	}
	return sel
}

// Any tests that a collection has a member matching every criterion:
// EXISTS (SELECT 1 FROM addresses WHERE users.id = addresses.user_id AND
// ...). With no criteria it tests for a non-empty collection; Not(Any(...))
// for an empty one.
func Any(field any, crit ...expr.Expr) expr.Expr {
	r, err := resolveField(field, "Any")
	if err != nil {
		return expr.Err(err)
	}
	if !r.Uselist() {
		return expr.Err(fmt.Errorf("%w: Any is for collections; %s is a to-one relationship: use Has", arcerr.ErrInvalidRequest, r.Name()))
	}
	return exists(r, crit)
}

// Has tests that a to-one relationship's target matches every criterion:
// EXISTS (SELECT 1 FROM users WHERE users.id = addresses.user_id AND ...).
func Has(field any, crit ...expr.Expr) expr.Expr {
	r, err := resolveField(field, "Has")
	if err != nil {
		return expr.Err(err)
	}
	if r.Uselist() {
		return expr.Err(fmt.Errorf("%w: Has is for to-one relationships; %s is a collection: use Any", arcerr.ErrInvalidRequest, r.Name()))
	}
	return exists(r, crit)
}

func objPtr(obj any) (unsafe.Pointer, reflect.Type, error) {
	rv := reflect.ValueOf(obj)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("%w: %T is not a non-nil pointer to a model", arcerr.ErrInvalidRequest, obj)
	}
	return rv.UnsafePointer(), rv.Type().Elem(), nil
}

// Contains tests that a collection holds obj. One-to-many: users.id = ?
// (obj's FK). Many-to-many: EXISTS over the association table.
func Contains(field any, obj any) expr.Expr {
	r, err := resolveField(field, "Contains")
	if err != nil {
		return expr.Err(err)
	}
	if !r.Uselist() {
		return expr.Err(fmt.Errorf("%w: Contains is for collections; %s is a to-one relationship: use Is", arcerr.ErrInvalidRequest, r.Name()))
	}
	p, typ, err := objPtr(obj)
	if err != nil || typ != r.Target.GoType {
		return expr.Err(fmt.Errorf("%w: Contains(%s) needs a *%s, got %T", arcerr.ErrInvalidRequest, r.Name(), r.Target.GoType.Name(), obj))
	}
	if err := unsaved(p, append(r.TargetRef, r.TargetCols...), "Contains"); err != nil {
		return expr.Err(err)
	}
	if r.Dir == meta.ManyToMany {
		st := expr.TableOf(r.Secondary)
		sel := &expr.Select{From: []expr.FromItem{st}}
		for i, c := range r.OwnerRef {
			sel.Where = append(sel.Where, &expr.Binary{L: ownerCol(c, 1), Op: "=", R: col(st, r.SecOwner[i])})
		}
		for i, v := range relcore.KeyArgs(p, r.TargetRef) {
			sel.Where = append(sel.Where, &expr.Binary{L: expr.Value{V: v}, Op: "=", R: col(st, r.SecTarget[i])})
		}
		return expr.Exists(sel)
	}
	// obj's FK is read when the query runs, after its autoflush (NULL
	// matches no row).
	var terms []expr.Expr
	for i, c := range r.TargetCols {
		terms = append(terms, eqFalseOnNull(ownerCol(r.OwnerCols[i], 0), relcore.Deferred{Obj: p, Col: c})...)
	}
	return expr.And(terms...)
}

// WithParent selects the targets of parent's relationship field (given
// as a probe pointer &U.Addresses): Select[Address]().Where(WithParent(jack,
// &U.Addresses)) gives "? = addresses.user_id". Many-to-many needs the
// secondary table in FROM; use Any for that instead.
func WithParent(parent any, field any) expr.Expr {
	r, err := resolveField(field, "WithParent")
	if err != nil {
		return expr.Err(err)
	}
	p, typ, err := objPtr(parent)
	if err != nil || typ != r.Owner.GoType {
		return expr.Err(fmt.Errorf("%w: WithParent(%s) needs a *%s parent, got %T", arcerr.ErrInvalidRequest, r.Name(), r.Owner.GoType.Name(), parent))
	}
	if err := unsaved(p, append(r.OwnerRef, r.OwnerCols...), "WithParent"); err != nil {
		return expr.Err(err)
	}
	if r.Dir == meta.ManyToMany {
		// EXISTS over the association table, correlated to the target
		// (the query's row).
		st := expr.TableOf(r.Secondary)
		sel := &expr.Select{From: []expr.FromItem{st}}
		for i, v := range relcore.KeyArgs(p, r.OwnerRef) {
			sel.Where = append(sel.Where, &expr.Binary{L: expr.Value{V: v}, Op: "=", R: col(st, r.SecOwner[i])})
		}
		for i, c := range r.TargetRef {
			sel.Where = append(sel.Where, &expr.Binary{L: ownerCol(c, 1), Op: "=", R: col(st, r.SecTarget[i])})
		}
		return expr.Exists(sel)
	}
	// The query's row is the target. A many-to-one parent's FK is read
	// when the query runs, after its autoflush (NULL matches no row).
	var terms []expr.Expr
	for i, c := range r.OwnerCols {
		if r.Dir == meta.OneToMany {
			terms = append(terms, &expr.Binary{L: expr.Value{V: relcore.KeyArgs(p, r.OwnerCols)[i]}, Op: "=", R: ownerCol(r.TargetCols[i], 0)})
			continue
		}
		terms = append(terms, eqFalseOnNull(ownerCol(r.TargetCols[i], 0), relcore.Deferred{Obj: p, Col: c})...)
	}
	return expr.And(terms...)
}

// Is compares a many-to-one with an object: "? = addresses.user_id" (the
// object's key), or with nil: "addresses.user_id IS NULL".
func Is(field any, obj any) expr.Expr { return isExpr(field, obj, false) }

// IsNot is the negation of Is, and includes NULL foreign keys:
// "addresses.user_id != ? OR addresses.user_id IS NULL"; IsNot(field, nil)
// is "addresses.user_id IS NOT NULL".
func IsNot(field any, obj any) expr.Expr { return isExpr(field, obj, true) }

func isExpr(field, obj any, not bool) expr.Expr {
	r, err := resolveField(field, "Is")
	if err != nil {
		return expr.Err(err)
	}
	if r.Uselist() {
		return expr.Err(fmt.Errorf("%w: cannot compare the collection %s to an object; use Contains to test membership", arcerr.ErrInvalidRequest, r.Name()))
	}
	if r.Dir != meta.ManyToOne {
		return expr.Err(fmt.Errorf("%w: Is needs a many-to-one relationship; %s is %s", arcerr.ErrInvalidRequest, r.Name(), r.Dir))
	}
	rv := reflect.ValueOf(obj)
	if obj == nil || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		var terms []expr.Expr
		for _, c := range r.OwnerCols {
			terms = append(terms, &expr.NullTest{X: ownerCol(c, 0), Not: not})
		}
		return expr.And(terms...)
	}
	p, typ, err := objPtr(obj)
	if err != nil || typ != r.Target.GoType {
		return expr.Err(fmt.Errorf("%w: Is(%s) needs a *%s, got %T", arcerr.ErrInvalidRequest, r.Name(), r.Target.GoType.Name(), obj))
	}
	if err := unsaved(p, r.TargetCols, "Is"); err != nil {
		return expr.Err(err)
	}
	vals := relcore.KeyArgs(p, r.TargetCols)
	var terms []expr.Expr
	for i, c := range r.OwnerCols {
		if not {
			terms = append(terms, expr.Or(&expr.Binary{L: ownerCol(c, 0), Op: "!=", R: vals[i]}, &expr.NullTest{X: ownerCol(c, 0)}))
		} else {
			terms = append(terms, &expr.Binary{L: expr.Value{V: vals[i]}, Op: "=", R: ownerCol(c, 0)})
		}
	}
	return expr.And(terms...)
}

// Target returns the FROM item of a relationship's target table (nil
// when field is not a relationship; On then reports why), for Query.Join: q.Join(relations.Target(&U.Addresses), relations.On(&U.Addresses)).
func Target(field any) expr.FromItem {
	r, err := resolveField(field, "Target")
	if err != nil {
		return nil // On reports the error
	}
	return expr.TableOf(r.Target)
}

// On returns the ON condition of a relationship join from its owner's
// table to its target table, or to the alias given (join to an alias:
// q.Join(adalias, relations.On(&U.Addresses, adalias))). extra criteria
// are ANDed. A many-to-many needs two joins: use Secondary first.
func On(field any, to expr.FromItem, extra ...expr.Expr) expr.Expr {
	r, err := resolveField(field, "On")
	if err != nil {
		return expr.Err(err)
	}
	if to == nil {
		to = expr.TableOf(r.Target)
	}
	_, _, on := relcore.JoinOn(r, expr.TableOf(r.Owner), to)
	return expr.And(append([]expr.Expr{on}, extra...)...)
}

// Secondary returns a many-to-many relationship's association table and
// the ON condition joining it to the owner's table, to join before the
// target: q.Join(relations.Secondary(&P.Keywords)).Join(relations.Target(&P.Keywords), relations.On(&P.Keywords, nil)).
func Secondary(field any) (expr.FromItem, expr.Expr) {
	r, err := resolveField(field, "Secondary")
	if err != nil {
		return nil, expr.Err(err)
	}
	if r.Dir != meta.ManyToMany {
		err := fmt.Errorf("%w: %s has no secondary table", arcerr.ErrInvalidRequest, r.Name())
		return nil, expr.Err(err)
	}
	sec, secOn, _ := relcore.JoinOn(r, expr.TableOf(r.Owner), expr.TableOf(r.Target))
	return sec, secOn
}

package relcore

import (
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/meta"
)

// The criteria that tie a relationship's rows to one owner object, for
// the session's loads, Dynamic queries and Related, and the join
// conditions of relations' public Join, On and Secondary.

func col(f expr.FromItem, c *meta.Column) expr.Expr { return &expr.ColRef{From: f, Col: c} }

// KeyArgs reads cols of obj as bind values (nil for NULL).
func KeyArgs(obj unsafe.Pointer, cols []*meta.Column) []any {
	out := make([]any, len(cols))
	for i, c := range cols {
		v := reflect.NewAt(c.GoType, unsafe.Add(obj, c.Offset)).Elem()
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				out[i] = nil
				goto next
			}
			v = v.Elem()
		}
		if c.NullType {
			if !v.FieldByName("Valid").Bool() {
				out[i] = nil
				continue
			}
			v = v.Field(0)
		}
		out[i] = v.Interface()
	next:
	}
	return out
}

// ParentCriteria returns the WHERE terms that select r's targets (in
// target, or r's secondary for a many-to-many) belonging to owner:
// "? = addresses.user_id", or for a many-to-many "? = post_keywords.post_id
// AND keywords.id = post_keywords.keyword_id" (the secondary table must be
// in FROM).
func ParentCriteria(r *meta.Relationship, owner unsafe.Pointer, target expr.FromItem) []expr.Expr {
	var out []expr.Expr
	switch r.Dir {
	case meta.ManyToMany:
		sec := expr.TableOf(r.Secondary)
		for i, v := range KeyArgs(owner, r.OwnerRef) {
			out = append(out, &expr.Binary{L: expr.Value{V: v}, Op: "=", R: col(sec, r.SecOwner[i])})
		}
		for i, c := range r.TargetRef {
			out = append(out, &expr.Binary{L: col(target, c), Op: "=", R: col(sec, r.SecTarget[i])})
		}
	case meta.OneToMany:
		for i, v := range KeyArgs(owner, r.OwnerCols) {
			out = append(out, &expr.Binary{L: expr.Value{V: v}, Op: "=", R: col(target, r.TargetCols[i])})
		}
	case meta.ManyToOne:
		// owner's FK is read when the query runs, after its autoflush
		// (NULL matches no row).
		for i, c := range r.OwnerCols {
			out = append(out, &expr.Binary{L: expr.Value{V: Deferred{Obj: owner, Col: c}}, Op: "=", R: col(target, r.TargetCols[i])})
		}
	}
	return out
}

// JoinOn returns the ON condition joining from (r's owner table, or an
// alias of it) to to (r's target, or an alias). For a many-to-many it
// returns the secondary table to join first and its condition too.
func JoinOn(r *meta.Relationship, from, to expr.FromItem) (sec expr.FromItem, secOn, on expr.Expr) {
	if r.Dir == meta.ManyToMany {
		return JoinOnVia(r, from, expr.TableOf(r.Secondary), to)
	}
	var terms []expr.Expr
	for i, c := range r.OwnerCols {
		terms = append(terms, &expr.Binary{L: col(from, c), Op: "=", R: col(to, r.TargetCols[i])})
	}
	return nil, nil, expr.And(terms...)
}

// JoinOnVia is JoinOn for a many-to-many whose secondary table is joined
// as st (the table, or an alias of it).
func JoinOnVia(r *meta.Relationship, from, st, to expr.FromItem) (sec expr.FromItem, secOn, on expr.Expr) {
	var a, b []expr.Expr
	for i, c := range r.OwnerRef {
		a = append(a, &expr.Binary{L: col(from, c), Op: "=", R: col(st, r.SecOwner[i])})
	}
	for i, c := range r.TargetRef {
		b = append(b, &expr.Binary{L: col(to, c), Op: "=", R: col(st, r.SecTarget[i])})
	}
	return st, expr.And(a...), expr.And(b...)
}

package expr

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// TargetRef is the target table of a relationship predicate's subquery
// (the FROM of Any/Has's EXISTS). Field pointers of the model's own probe
// (&N.Name) name it wherever it is the innermost FROM item that holds
// them, so criteria inside Any/Has bind to the related row, as SQLAlchemy
// binds criteria inside any()/has() to the target. It is written as the
// plain table when no enclosing query selects from a table of the same
// name, and as an anonymous alias ("nodes AS nodes_1") when one does (a
// self-referential relationship, or a nested predicate that comes back to
// a table of an outer level), so the outer row and the related row are
// never confused.
type TargetRef struct{ T *meta.Table }

// NewTargetRef returns the FROM item for the target of a relationship
// predicate over t.
func NewTargetRef(t *meta.Table) *TargetRef { return &TargetRef{T: t} }

// Table returns the target table.
func (r *TargetRef) Table() *meta.Table { return r.T }

// Qualifier is the table name, or the alias's when it must be aliased.
func (r *TargetRef) Qualifier(c *Compiler) string {
	if c.relAliased(r) {
		return c.aliasName(r, "", r.T.Name)
	}
	return r.T.Name
}

// AppendSQL writes "table" or "table AS alias".
func (r *TargetRef) AppendSQL(c *Compiler) {
	c.Ident(r.T.Name)
	if q := r.Qualifier(c); q != r.T.Name {
		c.Write(" AS ")
		c.Ident(q)
	}
}

func (r *TargetRef) columnAt(p unsafe.Pointer, typ reflect.Type) *meta.Column {
	return probeColumn(r.T, r.T.Probe(), p, typ)
}

// relAliased reports whether r must be written as an alias: some FROM
// item of an enclosing query (or another item of its own) goes by the
// table's name. An aliased decision is kept for the rest of the compile.
func (c *Compiler) relAliased(r *TargetRef) bool {
	if _, ok := c.aliases[r]; ok {
		return true
	}
	// The scope that holds r: the decision depends on it and its parents
	// only, wherever r's columns are written from.
	home := c.scope
	for s := c.scope; s != nil; s = s.parent {
		if containsItem(s.items, r) {
			home = s
			break
		}
	}
	if home == nil {
		return false
	}
	for _, it := range home.items {
		if it == FromItem(r) {
			continue
		}
		if _, nested := it.(*TargetRef); !nested && it.Qualifier(c) == r.T.Name {
			return true
		}
	}
	for s := home.parent; s != nil; s = s.parent {
		for _, it := range s.items {
			if it.Qualifier(c) == r.T.Name {
				return true
			}
		}
	}
	return false
}

func containsItem(items []FromItem, x FromItem) bool {
	for _, it := range items {
		if it == x {
			return true
		}
	}
	return false
}

// OwnerCol is a column of a relationship's owner, written against the FROM
// item the owner's field pointers name Up levels of nesting out (0: the
// query being compiled; 1: the query enclosing a subquery): the outer row
// of Any/Has/Contains, which may itself be a TargetRef alias two levels
// deep, or an alias the query selects from.
type OwnerCol struct {
	Col *meta.Column
	Up  int
}

// AppendSQL writes qualifier.column for the owner's FROM item.
func (o *OwnerCol) AppendSQL(c *Compiler) {
	s := c.scope
	for i := 0; i < o.Up && s != nil; i++ {
		s = s.parent
	}
	var from FromItem = TableOf(o.Col.Table)
	if it := ownerItem(s, o.Col); it != nil {
		from = it
	}
	c.Ident(from.Qualifier(c))
	c.Byte('.')
	c.Ident(o.Col.Name)
}

// ownerItem finds the FROM item, from s outwards, that the owner's probe
// field names; failing that the nearest item of the owner's table (an
// alias with a probe of its own).
func ownerItem(s *scope, col *meta.Column) FromItem {
	p := layout.At(col.Table.Probe(), col.Offset)
	for x := s; x != nil; x = x.parent {
		for _, it := range x.items {
			if it.columnAt(p, col.GoType) != nil {
				return it
			}
		}
	}
	for x := s; x != nil; x = x.parent {
		for _, it := range x.items {
			if it.Table() == col.Table {
				return it
			}
		}
	}
	return nil
}

// OuterExpr compiles X in the scope enclosing the current subquery.
type OuterExpr struct{ X Expr }

// Outer makes a field pointer or expression inside a subquery name the
// row of the enclosing query instead of the subquery's own. Inside
// relations.Any / Has, field pointers of the target model name the related
// row; when the relationship is self-referential (owner and target are the
// same model) Outer names the owner row:
//
//	// nodes whose parent has a smaller id than themselves
//	relations.Has(&N.Parent, expr.Col(&N.ID).Lt(expr.Outer(&N.ID)))
//
// Each Outer goes out one level: Outer(Outer(x)) inside Has(..., Has(...))
// names the query's own row.
func Outer(x any) Expr { return &OuterExpr{X: asExpr(x)} }

// AppendSQL writes X as seen from the enclosing query.
func (o *OuterExpr) AppendSQL(c *Compiler) {
	if c.scope == nil || c.scope.parent == nil {
		c.Fail(fmt.Errorf("%w: expr.Outer used outside a subquery (it names the row of the query enclosing Any/Has or another subquery)", arcerr.ErrInvalidRequest))
		return
	}
	saved := c.scope
	c.scope = c.scope.parent
	o.X.AppendSQL(c)
	c.scope = saved
}

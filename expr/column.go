package expr

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/meta"
)

// Cols returns model T's probe: a zero *T, allocated once per type and never
// used for data, whose field addresses name T's columns (&U.Name is
// users.name). It panics if T is not a valid model, like regexp.MustCompile;
// use meta.Of[T] first to get the error instead.
func Cols[T any]() *T {
	t := meta.MustOf[T]()
	return (*T)(t.Probe())
}

// FieldRef names a column by a pointer into a probe (a table's, an
// alias's or a subquery's). It is resolved when the statement compiles.
type FieldRef struct {
	P   unsafe.Pointer
	Typ reflect.Type
}

// Field returns the column reference for a pointer into a probe.
func Field[V any](p *V) *FieldRef {
	return &FieldRef{P: unsafe.Pointer(p), Typ: reflect.TypeFor[V]()}
}

// AppendSQL writes qualifier.column.
func (f *FieldRef) AppendSQL(c *Compiler) {
	it, col, err := c.resolve(f.P, f.Typ)
	if err != nil {
		c.Fail(err)
		return
	}
	c.Ident(it.Qualifier(c))
	c.Byte('.')
	c.Ident(col.Name)
}

// Resolve returns the FROM item and column f names in the compiler's scope.
func (f *FieldRef) Resolve(c *Compiler) (FromItem, *meta.Column, error) { return c.resolve(f.P, f.Typ) }

// ColumnName is the column's SQL name when it belongs to a known probe
// (table or the given items), or "".
func (f *FieldRef) ColumnName(items ...FromItem) string {
	for _, it := range items {
		if col := it.columnAt(f.P, f.Typ); col != nil {
			return col.Name
		}
	}
	if t, off, ok := meta.ProbeOwner(f.P); ok {
		if col := t.ColumnAt(off, f.Typ); col != nil {
			return col.Name
		}
	}
	return ""
}

// Owner returns the model table whose default probe f points into, or nil.
func (f *FieldRef) Owner() *meta.Table {
	t, off, ok := meta.ProbeOwner(f.P)
	if !ok || t.ColumnAt(off, f.Typ) == nil {
		return nil
	}
	return t
}

// ColRef is a column of a known FROM item, resolved ahead of time (the
// session uses it for SELECT lists).
type ColRef struct {
	From FromItem
	Col  *meta.Column
}

// AppendSQL writes qualifier.column.
func (r *ColRef) AppendSQL(c *Compiler) {
	c.Ident(r.From.Qualifier(c))
	c.Byte('.')
	c.Ident(r.Col.Name)
}

// Named is an untyped column reference by name: "users.name" or "name".
type Named struct {
	Qual string
	Name string
}

// C names a column by text: C("users.name") or C("name"). Each part is
// quoted by the dialect.
func C(name string) *Named {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return &Named{Qual: name[:i], Name: name[i+1:]}
	}
	return &Named{Name: name}
}

// AppendSQL writes the quoted name; a "*" name (C("*"), C("users.*"))
// stays a bare star.
func (n *Named) AppendSQL(c *Compiler) {
	if err := c.checkName(n); err != nil {
		c.Fail(err)
		return
	}
	if n.Qual != "" {
		c.Ident(n.Qual)
		c.Byte('.')
	}
	if n.Name == "*" {
		c.Byte('*')
		return
	}
	c.Ident(n.Name)
}

// asExpr converts a column designator to an Expr: an Expr stays as is, a
// pointer to a field becomes a FieldRef, and a string becomes C(name).
func asExpr(v any) Expr {
	switch x := v.(type) {
	case Expr:
		return x
	case string:
		return C(x)
	case nil:
		return badExpr{fmt.Errorf("%w: nil column", arcerr.ErrNotAColumn)}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return &FieldRef{P: rv.UnsafePointer(), Typ: rv.Type().Elem()}
	}
	return badExpr{fmt.Errorf("%w: %T is neither an expression nor a field pointer", arcerr.ErrNotAColumn, v)}
}

// AsExpr is asExpr for other packages: a field pointer, a string column
// name or an Expr.
func AsExpr(v any) Expr { return asExpr(v) }

type badExpr struct{ err error }

func (b badExpr) AppendSQL(c *Compiler) { c.Fail(b.err) }

// Err returns an expression that fails compilation with err.
func Err(err error) Expr { return badExpr{err} }

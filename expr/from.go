package expr

import (
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/meta"
)

// FromItem is something a SELECT can select from: a table, an alias of a
// table, or a subquery.
type FromItem interface {
	Expr
	// Table is the mapped table behind the item (nil for a subquery of
	// a non-model shape).
	Table() *meta.Table
	// Qualifier is the name columns are qualified with in this compile.
	Qualifier(c *Compiler) string
	columnAt(p unsafe.Pointer, typ reflect.Type) *meta.Column
}

// TableRef selects from a mapped table under its own name.
type TableRef struct{ T *meta.Table }

// TableOf returns the FromItem for a table.
func TableOf(t *meta.Table) *TableRef { return &TableRef{T: t} }

// Table returns the mapped table.
func (r *TableRef) Table() *meta.Table { return r.T }

// Qualifier is the table name.
func (r *TableRef) Qualifier(*Compiler) string { return r.T.Name }

// AppendSQL writes the table name.
func (r *TableRef) AppendSQL(c *Compiler) { c.Ident(r.T.Name) }

func (r *TableRef) columnAt(p unsafe.Pointer, typ reflect.Type) *meta.Column {
	return probeColumn(r.T, r.T.Probe(), p, typ)
}

func probeColumn(t *meta.Table, probe, p unsafe.Pointer, typ reflect.Type) *meta.Column {
	start := uintptr(probe)
	a := uintptr(p)
	if a < start || a >= start+t.Size() {
		return nil
	}
	return t.ColumnAt(a-start, typ)
}

// AliasRef is a table under another name (SQLAlchemy's aliased()). Its
// probe is its own zero value, so &A.Email names alias.email_address.
type AliasRef struct {
	T     *meta.Table
	Name  string // "" for an anonymous alias: <table>_<n> in order of appearance
	probe unsafe.Pointer
	keep  any // keeps the probe allocation reachable
}

// Alias is a typed alias of model T.
type Alias[T any] struct {
	*AliasRef
	cols *T
}

// NewAlias returns an alias of T named name ("" for an anonymous one).
func NewAlias[T any](name string) (*Alias[T], error) {
	t, err := meta.Of[T]()
	if err != nil {
		return nil, err
	}
	p := new(T)
	return &Alias[T]{AliasRef: &AliasRef{T: t, Name: name, probe: unsafe.Pointer(p), keep: p}, cols: p}, nil
}

// Cols returns the alias's probe: &a.Cols().Email names <alias>.email_address.
func (a *Alias[T]) Cols() *T { return a.cols }

// Table returns the aliased table.
func (r *AliasRef) Table() *meta.Table { return r.T }

// Qualifier is the alias name.
func (r *AliasRef) Qualifier(c *Compiler) string { return c.aliasName(r, r.Name, r.T.Name) }

// AppendSQL writes "table AS alias".
func (r *AliasRef) AppendSQL(c *Compiler) {
	c.Ident(r.T.Name)
	c.Write(" AS ")
	c.Ident(r.Qualifier(c))
}

func (r *AliasRef) columnAt(p unsafe.Pointer, typ reflect.Type) *meta.Column {
	return probeColumn(r.T, r.probe, p, typ)
}

// Probe returns the alias's probe pointer.
func (r *AliasRef) Probe() unsafe.Pointer { return r.probe }

// SubqueryRef is a SELECT used as a table: "(SELECT ...) AS anon_1". When
// built with a row type (SubqueryAs), the row type's fields name its
// columns; when built for a model (EntitySubquery) the model's do.
type SubqueryRef struct {
	Sel   *Select
	Name  string
	shape *meta.Table
	probe unsafe.Pointer
	keep  any
}

// SubqueryAs wraps sel as a derived table whose columns are named by the
// fields of R (snake_case, or `column:` tags): the returned probe's field
// addresses name anon_1.<column>.
func SubqueryAs[R any](sel *Select, name string) (*SubqueryRef, *R, error) {
	shape, err := meta.RowTypeOf(reflect.TypeFor[R]())
	if err != nil {
		return nil, nil, err
	}
	p := new(R)
	return &SubqueryRef{Sel: sel, Name: name, shape: shape, probe: unsafe.Pointer(p), keep: p}, p, nil
}

// Table returns the row shape's table (for a model subquery, the model's).
func (r *SubqueryRef) Table() *meta.Table { return r.shape }

// Qualifier is the subquery's alias.
func (r *SubqueryRef) Qualifier(c *Compiler) string { return c.aliasName(r, r.Name, "anon") }

// AppendSQL writes "(SELECT ...) AS name".
func (r *SubqueryRef) AppendSQL(c *Compiler) {
	c.Byte('(')
	r.Sel.AppendSQL(c)
	c.Write(") AS ")
	c.Ident(r.Qualifier(c))
}

func (r *SubqueryRef) columnAt(p unsafe.Pointer, typ reflect.Type) *meta.Column {
	if r.shape == nil {
		return nil
	}
	return probeColumn(r.shape, r.probe, p, typ)
}

// Probe returns the subquery's probe pointer.
func (r *SubqueryRef) Probe() unsafe.Pointer { return r.probe }

// EntitySubquery wraps sel (which selects the columns of model T, in any
// order, by name) as a derived table whose rows are T entities: SQLAlchemy's
// aliased(Address, subquery). The probe names its columns.
func EntitySubquery[T any](sel *Select, name string) (*SubqueryRef, *T, error) {
	t, err := meta.Of[T]()
	if err != nil {
		return nil, nil, err
	}
	p := new(T)
	return &SubqueryRef{Sel: sel, Name: name, shape: t, probe: unsafe.Pointer(p), keep: p}, p, nil
}

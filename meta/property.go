package meta

import (
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/internal/naming"
	"github.com/arcorm/arc/internal/tag"
)

// Property is a model field loaded from a SQL expression with its object
// (SQLAlchemy's column_property), declared by the tag `arc:"property"`:
// it is no column of the table (no DDL, never written by INSERT or
// UPDATE, never dirty), and its expression is registered from Go code
// (session.ColumnProperty, arc.ColumnProperty) before the model is first
// loaded. A deferred property is loaded only when asked for.
type Property struct {
	// Col describes the field for scanning: Name is the label the
	// expression is selected under (the field's snake_case name, or
	// `column:`), Offset and GoType locate the field. It is not one of
	// the table's Columns.
	Col *Column

	mu       sync.RWMutex
	expr     any // an expr.Expr, kept untyped (meta is below expr)
	deferred bool
	set      bool
}

// Expr returns the registered expression and whether the property is
// deferred; ok is false while none is registered.
func (p *Property) Expr() (x any, deferred, ok bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.expr, p.deferred, p.set
}

// SetExpr registers the property's expression, once.
func (p *Property) SetExpr(x any, deferred bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.set {
		return &arcerr.ModelError{Model: p.Col.Table.GoType.Name(), Field: p.Col.Field,
			Msg: "the column property's expression is registered already (register it once, before the model is loaded)"}
	}
	p.expr, p.deferred, p.set = x, deferred, true
	return nil
}

// PropertyAt returns the property whose field is at byte offset off of
// the struct and has type typ, or nil.
func (t *Table) PropertyAt(off uintptr, typ reflect.Type) *Property {
	for _, p := range t.Properties {
		if p.Col.Offset == off && (typ == nil || p.Col.GoType == typ) {
			return p
		}
	}
	return nil
}

// PropertyOf returns the table and property a pointer into a model's
// probe names (&P.CommentCount), or an error naming what it is instead.
func PropertyOf(p unsafe.Pointer, typ reflect.Type) (*Table, *Property, error) {
	t, off, ok := ProbeOwner(p)
	if !ok {
		return nil, nil, fmt.Errorf("%w: a %s pointer that points into no model probe (use the model's probe, e.g. &P.CommentCount with P := arc.Cols[Post]())", arcerr.ErrInvalidRequest, typ)
	}
	if pr := t.PropertyAt(off, typ); pr != nil {
		return t, pr, nil
	}
	return t, nil, fmt.Errorf("%w: the field is not a column property of %s (tag it `arc:\"property\"`)", arcerr.ErrInvalidRequest, t.GoType.Name())
}

var propertyKeys = map[string]bool{"property": true, "column": true}

// isProperty reports whether a field's tag declares a column property.
func isProperty(words []tag.Word) bool {
	for _, w := range words {
		if w.Key == "property" {
			return true
		}
	}
	return false
}

func (b *builder) property(f reflect.StructField, idx []int, off uintptr, path string, words []tag.Word) error {
	c := &Column{Table: b.t, Name: naming.Snake(f.Name), Field: path, Index: idx, Offset: off, GoType: f.Type, Nullable: true}
	for _, wd := range words {
		switch {
		case !propertyKeys[wd.Key]:
			return b.err(path, "%s is not a word of a column property (it takes property and column:)", wd.Key)
		case wd.Key == "property" && !wd.Flag:
			return b.err(path, "property is a flag: write `arc:\"property\"`")
		case wd.Key == "column":
			if wd.Value == "" {
				return b.err(path, "column: needs a name")
			}
			c.Name = wd.Value
		}
	}
	if err := b.classify(c, path, map[string]tag.Word{}); err != nil {
		return err
	}
	b.t.Properties = append(b.t.Properties, &Property{Col: c})
	return nil
}

package session

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// Column properties: model fields loaded from a SQL expression with their
// object (SQLAlchemy's column_property). The field is tagged
// `arc:"property"`; its expression is registered with ColumnProperty.

// PropertyOption configures a column property.
type PropertyOption func(*propertyConfig)

type propertyConfig struct{ deferred bool }

// Deferred makes a column property load only when asked for: by a query
// with Undefer, or by LoadProperties on an object. Other loads leave the
// field as it is.
func Deferred() PropertyOption { return func(c *propertyConfig) { c.deferred = true } }

// ColumnProperty registers the SQL expression a column property is
// loaded from. field points into the model's probe (&P.CommentCount with
// P := expr.Cols[Post]()) at a field tagged `arc:"property"`; x is built
// with Arc's expressions against the same probe, typically a correlated
// subquery such as relations.CountOf(&P.Comments). The value is selected
// with every load of the object — queries, Get, relationship loads
// (lazy, SelectIn, Joined), Refresh and the reload of an expired object —
// and is never written, so it is never dirty. Register once per model,
// before the model is first loaded (an init function, or next to the
// model's declaration).
func ColumnProperty[V any](field *V, x expr.Expr, opts ...PropertyOption) error {
	if field == nil || x == nil {
		return fmt.Errorf("%w: ColumnProperty needs a field pointer and an expression", arcerr.ErrInvalidRequest)
	}
	_, p, err := meta.PropertyOf(unsafe.Pointer(field), reflect.TypeFor[V]())
	if err != nil {
		return fmt.Errorf("arc: ColumnProperty: %w", err)
	}
	var cfg propertyConfig
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return p.SetExpr(x, cfg.deferred)
}

// propMask is a set of t's properties (bit i = t.Properties[i]).
type propMask uint64

// propsMask returns the properties a load selects by default: the ones
// not deferred, plus extra.
func propsMask(t *meta.Table, extra propMask) propMask {
	m := extra
	for i, p := range t.Properties {
		if _, deferred, _ := p.Expr(); !deferred && i < 64 {
			m |= 1 << i
		}
	}
	return m
}

// propColumns returns the SELECT list items of t's properties in m,
// selected from the FROM item from, each labelled with its name. A
// property without a registered expression fails the compile.
func propColumns(from expr.FromItem, t *meta.Table, m propMask) []expr.Expr {
	var out []expr.Expr
	for i, p := range t.Properties {
		if i >= 64 || m&(1<<i) == 0 {
			continue
		}
		x, _, ok := p.Expr()
		var e expr.Expr
		if xe, isExpr := x.(expr.Expr); ok && isExpr {
			e = xe
			if _, own := from.(*expr.TableRef); !own {
				e = expr.Adapt(e, from)
			}
		} else {
			e = expr.Err(&arcerr.ModelError{Model: t.GoType.Name(), Field: p.Col.Field,
				Msg: "column property without an expression: register it with arc.ColumnProperty before loading the model"})
		}
		out = append(out, &expr.Labeled{X: e, Name: p.Col.Name})
	}
	return out
}

// propCols returns the scan columns of t's properties in m.
func propCols(t *meta.Table, m propMask) []*meta.Column {
	var out []*meta.Column
	for i, p := range t.Properties {
		if i < 64 && m&(1<<i) != 0 {
			out = append(out, p.Col)
		}
	}
	return out
}

// loadCols returns the columns a load of t scans: t's columns, then the
// properties in m.
func loadCols(t *meta.Table, m propMask) []*meta.Column {
	if m == 0 {
		return t.Columns
	}
	return append(slices.Clip(t.Columns), propCols(t, m)...)
}

// loadPlan returns a scan plan for the default load of t (columns and
// properties not deferred).
func loadPlan(t *meta.Table) *engine.ScanPlan {
	return engine.NewScanPlan(loadCols(t, propsMask(t, 0)))
}

// planProps returns the property columns a plan of t scans (none for a
// table without properties).
func planProps(t *meta.Table, plan *engine.ScanPlan) []*meta.Column {
	if len(t.Properties) == 0 {
		return nil
	}
	var out []*meta.Column
	for _, c := range plan.Columns() {
		if c != nil && c.Table == t && slices.ContainsFunc(t.Properties, func(p *meta.Property) bool { return p.Col == c }) {
			out = append(out, c)
		}
	}
	return out
}

// copyProps copies the property fields cols from a freshly scanned row
// into an object the session holds already: a property is read-only, so
// the latest load's value is the one to keep.
func copyProps(dst, src unsafe.Pointer, cols []*meta.Column) {
	for _, c := range cols {
		layout.Copy(dst, src, c.Offset, c.GoType)
	}
}

// Undefer returns a query that also loads the given deferred column
// properties of T (field pointers into T's probe) with its objects.
func (q *Query[T]) Undefer(fields ...any) *Query[T] {
	n := q.clone()
	for _, f := range fields {
		i, err := propIndex(q.t, f)
		if err != nil {
			return n.fail(fmt.Errorf("arc: Undefer: %w", err))
		}
		n.undefer |= 1 << i
	}
	return n
}

// propIndex finds the property of t a field pointer names.
func propIndex(t *meta.Table, f any) (int, error) {
	rv := reflect.ValueOf(f)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return 0, fmt.Errorf("%w: %T is not a field pointer", arcerr.ErrInvalidRequest, f)
	}
	pt, p, err := meta.PropertyOf(rv.UnsafePointer(), rv.Type().Elem())
	if err != nil {
		return 0, err
	}
	if pt != t {
		return 0, fmt.Errorf("%w: %s.%s is a property of %s, not of %s", arcerr.ErrInvalidRequest, pt.GoType.Name(), p.Col.Field, pt.GoType.Name(), t.GoType.Name())
	}
	i := slices.Index(t.Properties, p)
	if i >= 64 {
		return 0, fmt.Errorf("%w: %s has more than 64 column properties", arcerr.ErrInvalidRequest, t.GoType.Name())
	}
	return i, nil
}

// LoadProperties loads column properties of obj, a persistent object of
// the session, with one SELECT by its key: the fields named (pointers into
// the model's probe), or every property, deferred or not, when none is.
func (s *Session) LoadProperties(ctx context.Context, obj any, fields ...any) error {
	gHeld, gErr := s.inUse.enter("LoadProperties")
	if gErr != nil {
		return gErr
	}
	defer s.inUse.leave(gHeld)
	st, err := s.stateOf(obj)
	if err != nil {
		return err
	}
	if st.status != Persistent {
		return fmt.Errorf("%w: cannot load the properties of %s %s", arcerr.ErrInvalidRequest, st.status, describe(st))
	}
	t := st.cd.t
	var m propMask
	for _, f := range fields {
		i, err := propIndex(t, f)
		if err != nil {
			return fmt.Errorf("arc: LoadProperties: %w", err)
		}
		m |= 1 << i
	}
	if len(fields) == 0 {
		m = 1<<min(len(t.Properties), 64) - 1
	}
	if m == 0 {
		return nil
	}
	if err := s.autoflush(ctx); err != nil {
		return err
	}
	x, err := s.executor(ctx)
	if err != nil {
		return err
	}
	tr := expr.TableOf(t)
	sel := &expr.Select{From: []expr.FromItem{tr}, Columns: propColumns(tr, t, m)}
	for i, c := range t.PrimaryKey {
		sel.Where = append(sel.Where, &expr.Binary{L: colRef(tr, c), Op: "=", R: st.keyArgs()[i]})
	}
	q, args, err := compileWith(x.Dialect(), sel, nil)
	if err != nil {
		return fmt.Errorf("arc: loading the properties of %s: %w", describe(st), err)
	}
	rows, err := x.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("%w: %s", arcerr.ErrObjectDeleted, describe(st))
	}
	if err := engine.NewScanPlan(propCols(t, m)).Scan(rows, st.obj); err != nil {
		return fmt.Errorf("arc: loading the properties of %s: %w", describe(st), err)
	}
	return rows.Err()
}

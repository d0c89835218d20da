package expr

import (
	"fmt"
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/meta"
)

// Expr is any SQL expression or statement fragment.
type Expr interface {
	// AppendSQL writes the expression into the compiler's buffer.
	AppendSQL(c *Compiler)
}

// Statement is a complete statement (SELECT, INSERT, UPDATE, DELETE, text).
type Statement interface {
	Expr
	statement()
}

// Compiler accumulates SQL text and bind arguments for one dialect.
type Compiler struct {
	D    dialect.Dialect
	Buf  []byte
	Args []any
	err  error

	// Params supplies :name parameters to every Text in the statement that
	// does not bind them itself (Query.Params).
	Params P

	scope   *scope
	aliases map[any]string // anonymous aliases and subqueries -> generated names
	counts  map[string]int
}

// NewCompiler returns a compiler for d.
func NewCompiler(d dialect.Dialect) *Compiler { return &Compiler{D: d} }

// Compile renders e for dialect d.
func Compile(d dialect.Dialect, e Expr) (string, []any, error) {
	c := NewCompiler(d)
	e.AppendSQL(c)
	if c.err != nil {
		return "", nil, c.err
	}
	return string(c.Buf), c.Args, nil
}

// Err returns the first error recorded.
func (c *Compiler) Err() error { return c.err }

// Fail records an error; the first one wins.
func (c *Compiler) Fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// Write appends raw SQL text.
func (c *Compiler) Write(s string) { c.Buf = append(c.Buf, s...) }

// Byte appends one byte of SQL text.
func (c *Compiler) Byte(b byte) { c.Buf = append(c.Buf, b) }

// Ident appends a quoted identifier.
func (c *Compiler) Ident(s string) { c.Buf = c.D.AppendIdent(c.Buf, s) }

// Bind appends a placeholder and records v as its argument. A time.Time
// is bound in UTC, as the session writes times, so that SQLite (which
// stores times as text) compares instants, whatever zone v is in.
func (c *Compiler) Bind(v any) {
	if t, ok := v.(time.Time); ok {
		v = t.UTC()
	}
	c.Args = append(c.Args, v)
	c.Buf = c.D.AppendPlaceholder(c.Buf, len(c.Args))
}

// Int appends an integer literal (never user data).
func (c *Compiler) Int(n int64) { c.Buf = strconv.AppendInt(c.Buf, n, 10) }

// Operand writes v as an expression: an Expr is rendered, anything else is bound.
func (c *Compiler) Operand(v any) {
	switch x := v.(type) {
	case Expr:
		x.AppendSQL(c)
	default:
		c.Bind(v)
	}
}

// aliasName returns the name of an alias or subquery, generating
// "<base>_<n>" names in order of first appearance for anonymous ones.
func (c *Compiler) aliasName(key any, given, base string) string {
	if given != "" {
		return given
	}
	if n, ok := c.aliases[key]; ok {
		return n
	}
	if c.aliases == nil {
		c.aliases = map[any]string{}
		c.counts = map[string]int{}
	}
	c.counts[base]++
	n := base + "_" + strconv.Itoa(c.counts[base])
	c.aliases[key] = n
	return n
}

// scope is the chain of FROM items visible while compiling a SELECT.
type scope struct {
	items  []FromItem
	sel    *Select // the SELECT whose items these are, for its labels (nil: none)
	parent *scope
}

func (c *Compiler) push(items []FromItem) { c.scope = &scope{items: items, parent: c.scope} }

// pushSel is push for a SELECT's own items: names in it may also refer
// to the labels of its SELECT list.
func (c *Compiler) pushSel(items []FromItem, sel *Select) {
	c.scope = &scope{items: items, sel: sel, parent: c.scope}
}
func (c *Compiler) pop() { c.scope = c.scope.parent }

// resolve finds the FROM item and column a field pointer names.
func (c *Compiler) resolve(p unsafe.Pointer, typ reflect.Type) (FromItem, *meta.Column, error) {
	for s := c.scope; s != nil; s = s.parent {
		for _, it := range s.items {
			if col := it.columnAt(p, typ); col != nil {
				return it, col, nil
			}
		}
	}
	if t, off, ok := meta.ProbeOwner(p); ok {
		col := t.ColumnAt(off, typ)
		if col == nil {
			return nil, nil, fmt.Errorf("%w: the pointer is inside model %s but not at a column field", arcerr.ErrNotAColumn, t.GoType)
		}
		if c.scope == nil {
			// Outside any SELECT (UPDATE/DELETE/INSERT of that table, or a
			// standalone expression): the table itself.
			return TableOf(t), col, nil
		}
		return nil, nil, fmt.Errorf("%w: %s (field %s.%s) is not in the FROM clause of the query; select from or join %s",
			arcerr.ErrNotAColumn, col, t.GoType.Name(), col.Field, t.Name)
	}
	return nil, nil, fmt.Errorf("%w: a %s pointer that points into no model probe (use expr.Cols[T]() fields, e.g. &U.Name, not a loaded object's field)", arcerr.ErrNotAColumn, typ)
}

package expr

import (
	"fmt"
	"strings"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
)

// Select is a SELECT statement. Its builder methods change it in place
// and return it; copy it with Clone to branch (session.Query is the
// immutable face over it).
type Select struct {
	With      []*CTE
	Distinct  bool
	Columns   []Expr
	From      []FromItem
	Joins     []*Join
	Where     []Expr
	GroupBy   []Expr
	Having    []Expr
	OrderBy   []Expr
	Limit     *int64
	Offset    *int64
	Lock      string // "", "UPDATE", "UPDATE NOWAIT", "UPDATE SKIP LOCKED", "SHARE", ...
	Compounds []Compound
}

// Join is one JOIN clause.
type Join struct {
	Outer  bool
	Target FromItem
	On     Expr
}

// Compound is a UNION / UNION ALL / INTERSECT / EXCEPT member.
type Compound struct {
	Op  string
	Sel *Select
}

// CTE is a common table expression: WITH name AS (SELECT ...).
type CTE struct {
	Name      string
	Sel       *Select
	Recursive bool
	ref       *SubqueryRef
}

// NewSelect returns SELECT cols. Columns may be field pointers, Exprs or
// column names.
func NewSelect(cols ...any) *Select {
	s := &Select{}
	return s.AddColumns(cols...)
}

// Clone returns a shallow copy whose slices can be appended to without
// touching s.
func (s *Select) Clone() *Select {
	n := new(Select)
	s.CloneTo(n)
	return n
}

// CloneTo makes *n a copy of s as Clone does (for a caller that allocates
// the copy together with other things).
func (s *Select) CloneTo(n *Select) {
	*n = *s
	n.With = clip(s.With)
	n.Columns = clip(s.Columns)
	n.From = clip(s.From)
	n.Joins = clip(s.Joins)
	n.Where = clip(s.Where)
	n.GroupBy = clip(s.GroupBy)
	n.Having = clip(s.Having)
	n.OrderBy = clip(s.OrderBy)
	n.Compounds = clip(s.Compounds)
}

func clip[E any](s []E) []E { return s[:len(s):len(s)] }

// AddColumns appends to the SELECT list.
func (s *Select) AddColumns(cols ...any) *Select {
	for _, c := range cols {
		s.Columns = append(s.Columns, asExpr(c))
	}
	return s
}

// SelectFrom appends FROM items.
func (s *Select) SelectFrom(items ...FromItem) *Select {
	s.From = append(s.From, items...)
	return s
}

// Filter appends WHERE predicates (ANDed).
func (s *Select) Filter(preds ...Expr) *Select {
	s.Where = append(s.Where, preds...)
	return s
}

// JoinOn appends an inner JOIN.
func (s *Select) JoinOn(target FromItem, on Expr) *Select {
	s.Joins = append(s.Joins, &Join{Target: target, On: on})
	return s
}

// OuterJoinOn appends a LEFT OUTER JOIN.
func (s *Select) OuterJoinOn(target FromItem, on Expr) *Select {
	s.Joins = append(s.Joins, &Join{Outer: true, Target: target, On: on})
	return s
}

// Order appends ORDER BY items (field pointers, Exprs, *Ordering).
func (s *Select) Order(items ...any) *Select {
	for _, it := range items {
		s.OrderBy = append(s.OrderBy, asExpr(it))
	}
	return s
}

// Group appends GROUP BY items.
func (s *Select) Group(items ...any) *Select {
	for _, it := range items {
		s.GroupBy = append(s.GroupBy, asExpr(it))
	}
	return s
}

// SetLimit sets LIMIT n.
func (s *Select) SetLimit(n int64) *Select { s.Limit = &n; return s }

// SetOffset sets OFFSET n.
func (s *Select) SetOffset(n int64) *Select { s.Offset = &n; return s }

func (*Select) statement() {}

// items returns the FROM items visible inside the statement: explicit FROM
// (or the tables its columns name, when FROM is empty) and join targets.
func (s *Select) items() []FromItem {
	items := make([]FromItem, 0, len(s.From)+len(s.Joins))
	items = append(items, s.From...)
	if len(items) == 0 {
		items = s.inferFrom()
	}
	for _, j := range s.Joins {
		items = append(items, j.Target)
	}
	return items
}

// inferFrom finds the model tables named by the SELECT list, in order,
// when there is no explicit FROM (SQLAlchemy's implicit FROM).
func (s *Select) inferFrom() []FromItem {
	var out []FromItem
	seen := map[any]bool{}
	var visit func(e Expr)
	visit = func(e Expr) {
		switch x := e.(type) {
		case *FieldRef:
			if t := x.Owner(); t != nil && !seen[t] {
				seen[t] = true
				out = append(out, TableOf(t))
			}
		case *ColRef:
			if !seen[x.From] {
				seen[x.From] = true
				out = append(out, x.From)
			}
		case *Labeled:
			visit(x.X)
		case *FuncCall:
			for _, a := range x.Args {
				if ae, ok := a.(Expr); ok {
					visit(ae)
				}
			}
		case ColExpr:
			visit(x.X)
		case *Paren:
			visit(x.X)
		case *Binary:
			visit(x.L)
			if r, ok := x.R.(Expr); ok {
				visit(r)
			}
		case *onExpr:
			visit(&x.Binary)
		}
	}
	for _, c := range s.Columns {
		visit(c)
	}
	return out
}

// AppendSQL writes the statement.
func (s *Select) AppendSQL(c *Compiler) {
	if len(s.With) > 0 {
		c.Write("WITH ")
		for _, w := range s.With {
			if w != nil && w.Recursive {
				c.Write("RECURSIVE ")
				break
			}
		}
		for i, w := range s.With {
			if w == nil {
				c.Fail(fmt.Errorf("%w: nil CTE given to With", arcerr.ErrInvalidRequest))
				return
			}
			if i > 0 {
				c.Write(", ")
			}
			c.Ident(w.Name)
			c.Write(" AS (")
			w.Sel.AppendSQL(c)
			c.Byte(')')
		}
		c.Byte(' ')
	}
	s.appendCore(c)
	for _, cp := range s.Compounds {
		c.Byte(' ')
		c.Write(cp.Op)
		c.Byte(' ')
		cp.Sel.appendCore(c)
	}
	if len(s.OrderBy) > 0 {
		c.pushSel(s.items(), s)
		c.Write(" ORDER BY ")
		list(c, s.OrderBy)
		c.pop()
	}
	s.appendLimit(c)
	if s.Lock != "" {
		appendLock(c, s.Lock)
	}
}

// appendLock writes the row-locking clause: FOR lock, or on a dialect
// without FOR SHARE (MariaDB) LOCK IN SHARE MODE for a SHARE lock. SKIP
// LOCKED on a dialect without it is an error.
func appendLock(c *Compiler, lock string) {
	up := strings.ToUpper(lock)
	if strings.Contains(up, "SKIP LOCKED") && c.D.Has(dialect.ForUpdate) && !c.D.Has(dialect.SkipLocked) {
		c.Fail(fmt.Errorf("%w: FOR %s: this %s server has no SKIP LOCKED (MariaDB 10.6+ and MySQL 8+ do)", arcerr.ErrInvalidRequest, lock, c.D.Name()))
		return
	}
	if rest, ok := strings.CutPrefix(up, "SHARE"); ok && c.D.Has(dialect.ForUpdate) && !c.D.Has(dialect.ForShare) {
		c.Write(" LOCK IN SHARE MODE")
		c.Write(rest)
		return
	}
	c.Write(" FOR ")
	c.Write(lock)
}

func (s *Select) appendCore(c *Compiler) {
	items := s.items()
	c.pushSel(items, s)
	defer c.pop()
	c.Write("SELECT ")
	if s.Distinct {
		c.Write("DISTINCT ")
	}
	if len(s.Columns) == 0 {
		c.Byte('*')
	} else {
		list(c, s.Columns)
	}
	from := s.From
	if len(from) == 0 {
		from = items[:len(items)-len(s.Joins)]
	}
	if len(from) > 0 {
		c.Write(" FROM ")
		for i, f := range from {
			if i > 0 {
				c.Write(", ")
			}
			f.AppendSQL(c)
		}
	}
	for _, j := range s.Joins {
		if j.Outer {
			c.Write(" LEFT OUTER JOIN ")
		} else {
			c.Write(" JOIN ")
		}
		j.Target.AppendSQL(c)
		if j.On != nil {
			c.Write(" ON ")
			j.On.AppendSQL(c)
		} else {
			c.Fail(fmt.Errorf("%w: join to %s has no ON condition", arcerr.ErrInvalidRequest, j.Target.Qualifier(c)))
		}
	}
	if len(s.Where) > 0 {
		c.Write(" WHERE ")
		And(s.Where...).AppendSQL(c)
	}
	if len(s.GroupBy) > 0 {
		c.Write(" GROUP BY ")
		list(c, s.GroupBy)
	}
	if len(s.Having) > 0 {
		c.Write(" HAVING ")
		And(s.Having...).AppendSQL(c)
	}
}

func (s *Select) appendLimit(c *Compiler) {
	switch {
	case s.Limit != nil:
		c.Write(" LIMIT ")
		c.Bind(*s.Limit)
	case s.Offset != nil && !c.D.Has(dialectOffsetAlone):
		if c.D.Has(dialectLimitAll) {
			c.Write(" LIMIT ALL")
		} else if ml, ok := c.D.(dialect.MaxLimiter); ok {
			c.Write(" LIMIT ")
			c.Write(ml.MaxLimit())
		} else {
			c.Write(" LIMIT -1") // a constant, not data: written, not bound
		}
	case s.Offset != nil && c.D.Has(dialectLimitAll):
		c.Write(" LIMIT ALL")
	}
	if s.Offset != nil {
		c.Write(" OFFSET ")
		c.Bind(*s.Offset)
	}
}

func list(c *Compiler, xs []Expr) {
	for i, x := range xs {
		if i > 0 {
			c.Write(", ")
		}
		x.AppendSQL(c)
	}
}

// ExistsExpr is [NOT] EXISTS (SELECT ...). A subquery with no SELECT list
// selects 1. Columns of enclosing queries resolve in it (correlation).
type ExistsExpr struct {
	Sel *Select
	Not bool
}

// Exists wraps sel in EXISTS.
func Exists(sel *Select) *ExistsExpr { return &ExistsExpr{Sel: sel} }

// AppendSQL writes the test.
func (e *ExistsExpr) AppendSQL(c *Compiler) {
	if e.Not {
		c.Write("NOT (")
	}
	c.Write("EXISTS (")
	sel := e.Sel
	if len(sel.Columns) == 0 {
		sel = sel.Clone()
		sel.Columns = []Expr{Raw("1")}
	}
	sel.AppendSQL(c)
	c.Byte(')')
	if e.Not {
		c.Byte(')')
	}
}

// ScalarSubquery is (SELECT ...) used as a value.
type ScalarSubquery struct{ Sel *Select }

// AppendSQL writes (SELECT ...).
func (s *ScalarSubquery) AppendSQL(c *Compiler) {
	c.Byte('(')
	s.Sel.AppendSQL(c)
	c.Byte(')')
}

// AsCTE declares sel as a common table expression named name on the
// statement that adds it with WithCTE, and returns a FROM item for it whose
// probe (row type R) names its columns.
func AsCTE[R any](sel *Select, name string, recursive bool) (*CTE, *R, error) {
	ref, p, err := SubqueryAs[R](sel, name)
	if err != nil {
		return nil, nil, err
	}
	return &CTE{Name: name, Sel: sel, Recursive: recursive, ref: ref}, p, nil
}

// Ref returns the CTE as a FROM item.
func (w *CTE) Ref() FromItem { return &cteRef{w.ref} }

type cteRef struct{ *SubqueryRef }

func (r *cteRef) AppendSQL(c *Compiler) { c.Ident(r.Name) }

package expr

import (
	"fmt"
	"strings"

	"github.com/arcorm/arc/arcerr"
)

// nilPred is the expression a nil predicate becomes: it fails the
// statement's compilation with ErrInvalidRequest instead of panicking.
func nilPred(where string) Expr {
	return badExpr{fmt.Errorf("%w: nil predicate given to %s", arcerr.ErrInvalidRequest, where)}
}

// checkPreds replaces nil entries of preds (a nil interface or a typed nil
// pointer) with nilPred. The slice is copied only when it has one.
func checkPreds(where string, preds []Expr) []Expr {
	for i, p := range preds {
		if isNilExpr(p) {
			out := append([]Expr(nil), preds...)
			for j := i; j < len(out); j++ {
				if isNilExpr(out[j]) {
					out[j] = nilPred(where)
				}
			}
			return out
		}
	}
	return preds
}

// isNilExpr reports whether e is nil or a nil pointer held in the interface.
func isNilExpr(e Expr) bool {
	if e == nil {
		return true
	}
	switch x := e.(type) {
	case *Bool:
		return x == nil
	case *Binary:
		return x == nil
	case *TextExpr:
		return x == nil
	case *NotExpr:
		return x == nil
	case *Select:
		return x == nil
	}
	return false
}

// CheckPreds is checkPreds for other packages (the session's Where,
// Having and Filter): nil entries become expressions that fail to
// compile with ErrInvalidRequest naming where.
func CheckPreds(where string, preds []Expr) []Expr { return checkPreds(where, preds) }

// binaryOps are the operators a Binary may write: comparisons and
// arithmetic. Op and Arith take the operator as a string; anything else
// fails the compilation instead of reaching the SQL.
var binaryOps = map[string]bool{
	"=": true, "!=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true,
	"+": true, "-": true, "*": true, "/": true, "%": true, "||": true,
}

// isIdent reports whether s is a plain SQL identifier: a letter or _
// followed by letters, digits or _ (ASCII).
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b == '_', 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z':
		case '0' <= b && b <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// isIdentPath reports whether s is a plain or dotted identifier
// (lower, pg_catalog.lower).
func isIdentPath(s string) bool {
	for {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return isIdent(s)
		}
		if !isIdent(s[:i]) {
			return false
		}
		s = s[i+1:]
	}
}

// checkName checks a column named by a string against the statement's
// FROM items: inside a SELECT, an unqualified name must be a column of a
// table (or typed subquery) in scope or a label of the SELECT list, and a
// qualified one a column of the item it qualifies, so that a misspelt
// name is an error and never a string constant (SQLite reads an unknown
// "name" as a string). Names are not checked outside a SELECT, or when an
// item in scope has no known columns (a subquery of an untyped shape).
func (c *Compiler) checkName(n *Named) error {
	if n.Name == "*" || c.scope == nil {
		return nil
	}
	unknown := false
	for s := c.scope; s != nil; s = s.parent {
		if n.Qual == "" && s.sel != nil {
			for _, col := range s.sel.Columns {
				if l, ok := col.(*Labeled); ok && l.Name == n.Name {
					return nil
				}
			}
		}
		for _, it := range s.items {
			t := it.Table()
			if n.Qual != "" && it.Qualifier(c) != n.Qual {
				continue
			}
			if t == nil {
				unknown = true
				continue
			}
			if t.ColumnByName(n.Name) != nil {
				return nil
			}
			if n.Qual != "" {
				return fmt.Errorf("%w: %s has no column %q", arcerr.ErrNotAColumn, n.Qual, n.Name)
			}
		}
	}
	if unknown || n.Qual != "" {
		return nil // not ours to check: the database reports it
	}
	return fmt.Errorf("%w: no table of the query has a column %q (name a column of %s, or use a field pointer)",
		arcerr.ErrNotAColumn, n.Name, c.scopeNames())
}

func (c *Compiler) scopeNames() string {
	var names []string
	for s := c.scope; s != nil; s = s.parent {
		for _, it := range s.items {
			names = append(names, it.Qualifier(c))
		}
	}
	if len(names) == 0 {
		return "no table"
	}
	return strings.Join(names, ", ")
}

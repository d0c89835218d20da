package expr

import (
	"fmt"

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

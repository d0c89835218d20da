package session

import (
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"
)

// bulkSQL returns the SQL and arguments of a bulk UPDATE or DELETE (st),
// rendered once per shape: a statement built anew on every call with the
// same columns and conditions (arc.Where[T](…).Update(ctx, P{…}) in a
// request handler) finds its SQL among the engine's templates, as an
// inline query does (query_cache.go), and only its values are gathered.
// A statement with Params, or a part without a shape, is rendered.
func (q *Query[T]) bulkSQL(s *Session, d dialect.Dialect, st expr.Expr, where []expr.Expr, sets []assignment, del bool, ret []string) (string, []any, error) {
	tc := s.cache()
	if tc == nil || len(q.params) > 0 {
		return compileWith(d, st, q.params)
	}
	sh := shapeBufs.Get().(*expr.Shape)
	defer func() {
		sh.Reset()
		shapeBufs.Put(sh)
	}()
	if !bulkShape(sh, d, where, sets, del, ret) {
		return compileWith(d, st, nil)
	}
	c, args, _ := fromTemplate(tc, q.t, sh, func() *compiled {
		sqlText, args, err := compileWith(d, st, nil)
		return &compiled{sql: sqlText, args: args, err: err}
	})
	return c.sql, args, c.err
}

// bulkShape writes the shape of a bulk statement, binding values in the
// order the compiler does (SET, then WHERE); false when a part has none.
func bulkShape(sh *expr.Shape, d dialect.Dialect, where []expr.Expr, sets []assignment, del bool, ret []string) bool {
	sh.Str("bulk") // never the start of a query's shape (its dialect's name)
	sh.Str(d.Name())
	if del {
		sh.Tag('D')
	} else {
		sh.Tag('U')
	}
	sh.Int(len(ret))
	sh.Int(len(sets))
	for _, a := range sets {
		sh.Str(a.col.Name)
		if x, ok := a.v.(expr.Expr); ok {
			if !sh.Add(x) {
				return false
			}
		} else {
			sh.Bind(a.v)
		}
	}
	sh.Int(len(where))
	for _, w := range where {
		if !sh.Add(w) {
			return false
		}
	}
	return true
}

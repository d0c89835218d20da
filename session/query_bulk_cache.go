package session

import (
	"hash/maphash"
	"slices"

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
	k := templateKey{q.t, maphash.Bytes(shapeSeed, sh.Key)}
	if v, ok := tc.Get(k); ok {
		if tp, ok := v.(*template); ok && tp.shape == string(sh.Key) && tp.c != nil {
			return tp.c.sql, slices.Clone(sh.Args), nil
		}
	}
	sqlText, args, err := compileWith(d, st, nil)
	if err != nil {
		return "", nil, err
	}
	// Trusted once the shape's values are the rendered arguments, in
	// order (else kept as "render": tp.c nil); the template keeps no values.
	tp := &template{shape: string(sh.Key)}
	if expr.SameArgs(args, sh.Args) {
		tp.c = &compiled{sql: sqlText}
	}
	tc.Store(k, tp)
	return sqlText, args, nil
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

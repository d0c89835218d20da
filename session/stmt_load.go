package session

import (
	"fmt"
	"slices"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/lru"
	"github.com/arcorm/arc/meta"
)

// The statements of the load paths — Get's lookup by key, a relationship's
// lazy and SelectIn loads — and of association rows, built with expr and
// rendered by the dialect. Each text is rendered once per dialect and
// table (relationship, column set) with expr.Slot placeholders and kept;
// the callers pass the values.

// stmtText is a statement rendered with slots: its SQL, and the
// arguments the statement fixes itself (a column property's expression
// may bind values) with expr.Slot{} where the caller's values go; args is
// nil when every argument is the caller's.
type stmtText struct {
	sql  string
	args []any
}

// bind returns the arguments of one run: vals in the slots.
func (t stmtText) bind(vals []any) []any {
	if t.args == nil {
		return vals
	}
	out := make([]any, len(t.args))
	j := 0
	for i, a := range t.args {
		if _, slot := a.(expr.Slot); slot && j < len(vals) {
			out[i] = vals[j]
			j++
		} else {
			out[i] = a
		}
	}
	return out
}

// renderStmt compiles a statement built with slots.
func renderStmt(d dialect.Dialect, st expr.Expr) (stmtText, error) {
	q, args, err := expr.Compile(d, st)
	if err != nil {
		return stmtText{}, err
	}
	for _, a := range args {
		if _, slot := a.(expr.Slot); !slot {
			return stmtText{q, args}, nil
		}
	}
	return stmtText{sql: q}, nil
}

// stmtCache is the compiled cache of the engine a session runs on
// (engine.Engine.CompiledCache): the statement texts of the flush, the
// load paths and query templates, each under its own comparable key type
// (sqlKey, relSQLKey, colsKey, tableColumnsKey, templateKey), so a hit
// allocates nothing and two engines never share an entry. nil is a cache
// that keeps nothing (engine.WithCompiledCacheSize(0)).
type stmtCache = lru.Cache[any, any]

// cache is the compiled cache of the session's engine.
func (s *Session) cache() *stmtCache { return s.eng.CompiledCache() }

// cachedStmt keeps a rendered statement in the compiled cache c (its
// key's kinds are the load paths' own); a failure is not kept.
func cachedStmt(c *stmtCache, k sqlKey, build func() (stmtText, error)) (stmtText, error) {
	if k.t != nil && k.kind != 0 && len(k.t.Columns) <= 64 {
		if v, ok := c.Get(k); ok {
			return v.(stmtText), nil
		}
		q, err := build()
		if err != nil {
			return stmtText{}, err
		}
		return c.Store(k, q).(stmtText), nil
	}
	return build()
}

func colRef(from expr.FromItem, c *meta.Column) *expr.ColRef { return &expr.ColRef{From: from, Col: c} }

// eqSlot is "from.col = ?".
func eqSlot(from expr.FromItem, c *meta.Column) expr.Expr {
	return &expr.Binary{L: colRef(from, c), Op: "=", R: expr.Slot{}}
}

// getSQL renders SELECT <all columns> FROM t WHERE pk = ?.
func getSQL(c *stmtCache, d dialect.Dialect, t *meta.Table) (stmtText, error) {
	return cachedStmt(c, sqlKey{d: d, t: t, kind: 'g'}, func() (stmtText, error) { return renderStmt(d, getStmt(t, false)) })
}

// getAliveSQL is getSQL that skips a soft-deleted row (Get's lookup; a
// refresh of an object already loaded reads its row whatever its state).
func getAliveSQL(c *stmtCache, d dialect.Dialect, t *meta.Table) (stmtText, error) {
	if t.SoftDelete == nil {
		return getSQL(c, d, t)
	}
	return cachedStmt(c, sqlKey{d: d, t: t, kind: 'G'}, func() (stmtText, error) { return renderStmt(d, getStmt(t, true)) })
}

// getStmt is SELECT <t's columns> FROM t WHERE t.pk = ? [AND t.deleted IS NULL].
func getStmt(t *meta.Table, alive bool) *expr.Select {
	tr := expr.TableOf(t)
	sel := &expr.Select{From: []expr.FromItem{tr}, Columns: entityColumns(tr, t)}
	for _, c := range t.PrimaryKey {
		sel.Where = append(sel.Where, eqSlot(tr, c))
	}
	if alive {
		sel.Where = append(sel.Where, &expr.NullTest{X: colRef(tr, t.SoftDelete)})
	}
	return sel
}

// entityColumns is the SELECT list that loads an object of t from the
// FROM item from: its columns, in order, then its column properties not
// deferred (loadCols scans the same list).
func entityColumns(from expr.FromItem, t *meta.Table) []expr.Expr {
	cols := make([]expr.Expr, 0, len(t.Columns)+len(t.Properties))
	for _, c := range t.Columns {
		cols = append(cols, colRef(from, c))
	}
	if len(t.Properties) > 0 {
		cols = append(cols, propColumns(from, t, propsMask(t, 0))...)
	}
	return cols
}

// relSQLKey keys a relationship load's SELECT in the compiled cache:
// dialect, relationship and number of owners.
type relSQLKey struct {
	d dialect.Dialect
	r *meta.Relationship
	n int
}

// cachedRelSQL is relSQL, rendered once per dialect, relationship and
// IN-list length and kept in c.
func cachedRelSQL(c *stmtCache, d dialect.Dialect, r *meta.Relationship, n int) (stmtText, error) {
	k := relSQLKey{d, r, n}
	if v, ok := c.Get(k); ok {
		return v.(stmtText), nil
	}
	q, err := renderStmt(d, relStmt(r, n))
	if err != nil {
		return stmtText{}, fmt.Errorf("arc: loading %s: %w", r.Name(), err)
	}
	return c.Store(k, q).(stmtText), nil
}

// relStmt is the SELECT of r's targets for n owners (n == 0: one owner,
// "? = fk"; otherwise "fk IN (?, ...)"). A many-to-many load of several
// owners selects the owner's key from the association table first; the
// other directions read it from the target row itself (keyFromRow).
func relStmt(r *meta.Relationship, n int) *expr.Select {
	t := r.Target
	tr := expr.TableOf(t)
	sel := &expr.Select{From: []expr.FromItem{tr}}
	keyFrom, keyCols := expr.FromItem(tr), r.TargetCols
	if r.Dir == meta.ManyToMany {
		sec := expr.TableOf(r.Secondary)
		sel.From = append(sel.From, sec)
		keyFrom, keyCols = sec, r.SecOwner
		if n > 0 {
			for _, c := range keyCols {
				sel.Columns = append(sel.Columns, colRef(sec, c))
			}
		}
	}
	sel.Columns = append(sel.Columns, entityColumns(tr, t)...)
	if n == 0 {
		for _, c := range keyCols {
			sel.Where = append(sel.Where, &expr.Binary{L: expr.Slot{}, Op: "=", R: colRef(keyFrom, c)})
		}
	} else {
		sel.Where = append(sel.Where, &expr.InExpr{X: colRef(keyFrom, keyCols[0]), Values: expr.Slots(n)})
	}
	if r.Dir == meta.ManyToMany {
		for i, c := range r.TargetRef {
			sel.Where = append(sel.Where, &expr.Binary{L: colRef(tr, c), Op: "=", R: colRef(keyFrom, r.SecTarget[i])})
		}
	}
	if t.SoftDelete != nil {
		sel.Where = append(sel.Where, &expr.NullTest{X: colRef(tr, t.SoftDelete)})
	}
	for _, o := range r.OrderBy {
		if o.Desc {
			sel.OrderBy = append(sel.OrderBy, expr.Desc(colRef(tr, o.Col)))
		} else {
			sel.OrderBy = append(sel.OrderBy, colRef(tr, o.Col))
		}
	}
	return sel
}

// listKey names the ordered list cols of t's columns for the statement
// cache's key: a byte per column (its index + 1). A list it cannot name
// (more than 8 columns, a column past the 255th) gets kind 0, which
// cachedStmt does not keep.
func listKey(kind byte, t *meta.Table, cols []*meta.Column) (byte, uint64) {
	if len(cols) > 8 {
		return 0, 0
	}
	var k uint64
	for _, c := range cols {
		i := slices.Index(t.Columns, c)
		if i < 0 || i >= 255 {
			return 0, 0
		}
		k = k<<8 | uint64(i+1)
	}
	return kind, k
}

// fkUpdateSQL is UPDATE t SET fk = ?, ... WHERE pk = ?: the foreign key of
// a child whose new parent was just inserted.
func fkUpdateSQL(c *stmtCache, d dialect.Dialect, t *meta.Table, cols []*meta.Column) (stmtText, error) {
	kind, mask := listKey('f', t, cols)
	return cachedStmt(c, sqlKey{d: d, t: t, kind: kind, mask: mask}, func() (stmtText, error) {
		u := &expr.Update{Table: t}
		for _, c := range cols {
			u.Set = append(u.Set, expr.Assign{Col: c.Name, V: expr.Slot{}})
		}
		for _, c := range t.PrimaryKey {
			u.Where = append(u.Where, &expr.Binary{L: &expr.Named{Name: c.Name}, Op: "=", R: expr.Slot{}})
		}
		return renderStmt(d, u)
	})
}

// assocDeleteSQL is DELETE FROM sec WHERE sec.c = ? AND ...: an owner's
// association rows (cols its key columns), or one row (cols every key
// column of the link).
func assocDeleteSQL(c *stmtCache, d dialect.Dialect, sec *meta.Table, cols []*meta.Column) (stmtText, error) {
	kind, mask := listKey('a', sec, cols)
	return cachedStmt(c, sqlKey{d: d, t: sec, kind: kind, mask: mask}, func() (stmtText, error) {
		del := &expr.Delete{Table: sec}
		tr := expr.TableOf(sec)
		for _, c := range cols {
			del.Where = append(del.Where, eqSlot(tr, c))
		}
		return renderStmt(d, del)
	})
}

// assocInsertSQL is INSERT INTO sec (cols) VALUES (?, ...)×rows.
func assocInsertSQL(c *stmtCache, d dialect.Dialect, sec *meta.Table, cols []*meta.Column, rows int) (stmtText, error) {
	kind, mask := listKey('l', sec, cols)
	if rows > 64 {
		kind = 0 // row counts are kept up to 64 (a flush's usual batches), not every size
	}
	return cachedStmt(c, sqlKey{d: d, t: sec, kind: kind, mask: mask, rows: rows}, func() (stmtText, error) {
		in := &expr.Insert{Table: sec, Rows: make([][]any, rows)}
		for _, c := range cols {
			in.Columns = append(in.Columns, c.Name)
		}
		for i := range in.Rows {
			in.Rows[i] = expr.Slots(len(cols))
		}
		return renderStmt(d, in)
	})
}

// byKeysSQL is SELECT <t's columns> FROM t WHERE t.pk IN (?, ...): the
// many-to-one targets of a SelectIn load that the identity map lacks.
func byKeysSQL(c *stmtCache, d dialect.Dialect, t *meta.Table, n int) (stmtText, error) {
	return cachedStmt(c, sqlKey{d: d, t: t, kind: 'k', rows: n}, func() (stmtText, error) {
		tr := expr.TableOf(t)
		sel := &expr.Select{From: []expr.FromItem{tr}, Columns: entityColumns(tr, t)}
		sel.Where = []expr.Expr{&expr.InExpr{X: colRef(tr, t.PrimaryKey[0]), Values: expr.Slots(n)}}
		return renderStmt(d, sel)
	})
}

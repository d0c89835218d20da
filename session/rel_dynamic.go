// Dynamic relationships (lazy="dynamic"): the collection as a query,
// never loaded whole.

package session

import (
	"context"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/relcore"
	"github.com/arcorm/arc/meta"
)

// dynamicMembers loads every member of a dynamic relationship (for delete
// processing).
func (s *Session) dynamicMembers(ctx context.Context, owner unsafe.Pointer, r *meta.Relationship) ([]unsafe.Pointer, error) {
	_, all, err := s.loadGroups(ctx, r, []unsafe.Pointer{owner}, false)
	return all, err
}

// queryRelation implements relcore.Loader for Dynamic fields (through
// relLoader).
func (s *Session) queryRelation(ctx context.Context, owner unsafe.Pointer, r *meta.Relationship, q relcore.DynamicQuery, out any) error {
	if err := s.check(); err != nil {
		return err
	}
	st := s.stateAt(owner)
	c := coreOf(owner, r.Field)
	if st == nil || st.status == Pending {
		// No identity yet: the members are the ones appended in memory.
		if len(q.Where) > 0 {
			return fmt.Errorf("%w: %s: cannot filter the members of an unsaved owner", arcerr.ErrInvalidRequest, r.Name())
		}
		items := c.Items()
		if q.Count {
			*out.(*int64) = int64(len(items))
			return nil
		}
		if q.Offset > 0 || q.Limit != nil {
			lo := min(int(q.Offset), len(items))
			hi := len(items)
			if q.Limit != nil {
				hi = min(hi, lo+int(*q.Limit))
			}
			items = items[lo:hi]
		}
		setPtrSlice(out, r.Target, items)
		return nil
	}
	if err := s.autoflush(ctx); err != nil {
		return err
	}
	sel := relSelect(r, owner)
	sel.Where = append(sel.Where, q.Where...)
	if q.Count {
		sel.Columns = []expr.Expr{expr.CountAll()}
		sel.OrderBy = nil
	} else {
		sel.Limit = q.Limit
		if q.Offset > 0 {
			o := q.Offset
			sel.Offset = &o
		}
	}
	x, err := s.executor(ctx)
	if err != nil {
		return err
	}
	text, args, err := expr.Compile(x.Dialect(), sel)
	if err != nil {
		return fmt.Errorf("arc: %s: %w", r.Name(), err)
	}
	if q.Count {
		rows, err := x.Query(ctx, text, args...)
		if err != nil {
			return fmt.Errorf("arc: %s: %w", r.Name(), err)
		}
		defer rows.Close()
		var n int64
		if rows.Next() {
			if err := rows.Scan(&n); err != nil {
				return fmt.Errorf("arc: %s: %w", r.Name(), err)
			}
		}
		*out.(*int64) = n
		return rows.Err()
	}
	items, err := s.runRel(ctx, x, r, stmtText{sql: text}, args, 0, nil)
	if err != nil {
		return err
	}
	setPtrSlice(out, r.Target, items)
	return nil
}

func setPtrSlice(out any, t *meta.Table, items []unsafe.Pointer) {
	v := reflect.ValueOf(out).Elem()
	sl := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, p := range items {
		sl.Index(i).Set(reflect.NewAt(t.GoType, p))
	}
	v.Set(sl)
}

// relSelect is SELECT target.* FROM target WHERE <belongs to owner>
// ORDER BY <order_by>, as an expr.Select to extend.
func relSelect(r *meta.Relationship, owner unsafe.Pointer) *expr.Select {
	tref := expr.TableOf(r.Target)
	sel := &expr.Select{From: []expr.FromItem{tref}, Columns: entityColumns(tref, r.Target)}
	sel.Where = append(sel.Where, relcore.ParentCriteria(r, owner, tref)...)
	if c := r.Target.SoftDelete; c != nil {
		sel.Where = append(sel.Where, aliveTerm(tref, c, false))
	}
	if r.Dir == meta.ManyToMany {
		sel.From = append(sel.From, expr.TableOf(r.Secondary))
	}
	for _, o := range r.OrderBy {
		if o.Desc {
			sel.OrderBy = append(sel.OrderBy, expr.Desc(&expr.ColRef{From: tref, Col: o.Col}))
		} else {
			sel.OrderBy = append(sel.OrderBy, expr.Asc(&expr.ColRef{From: tref, Col: o.Col}))
		}
	}
	return sel
}

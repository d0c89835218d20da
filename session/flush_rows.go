package session

import (
	"context"
	"slices"
	"unsafe"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/meta"
)

// Per-row dependency order within one table (SQLAlchemy's per-row sort
// for self-referential mappers): tables are ordered by their foreign
// keys, but a table whose rows refer to rows of the same table needs its
// rows ordered too — parents inserted before their children, children
// deleted before their parents.

// selfRef is a foreign key of a table to itself: cols refer to ref.
type selfRef struct{ cols, ref []*meta.Column }

// selfRefsOf returns t's foreign keys to itself.
func selfRefsOf(t *meta.Table) []selfRef {
	var out []selfRef
	for _, fk := range t.ForeignKeys {
		if fk.RefTable != t.Name || len(fk.RefColumns) != len(fk.Columns) {
			continue
		}
		ref := make([]*meta.Column, len(fk.RefColumns))
		ok := true
		for i, n := range fk.RefColumns {
			if ref[i] = t.ColumnByName(n); ref[i] == nil {
				ok = false
			}
		}
		if ok {
			out = append(out, selfRef{fk.Columns, ref})
		}
	}
	return out
}

// deleteOrder returns the rows of t to delete, each row before the rows
// it refers to through a self-referential foreign key (by the values in
// the database: the snapshot). Rows that no order can delete — those in a
// reference cycle and the rows they refer to — come last in their
// original order and are also returned as stuck: the flush nulls their
// self-referential foreign keys first (breakDeleteCycles).
func deleteOrder(t *meta.Table, sts []*state) (order, stuck []*state) {
	if len(sts) < 2 {
		return sts, nil
	}
	refs := selfRefsOf(t)
	if len(refs) == 0 {
		return sts, nil
	}
	row := func(st *state) unsafe.Pointer {
		if st.snap != nil && st.snap.p != nil {
			return st.snap.p
		}
		return st.obj
	}
	// parents[i]: the rows row i refers to.
	parents := make([][]int, len(sts))
	for _, sr := range refs {
		idx := make(map[string]int, len(sts))
		for i, st := range sts {
			if vals, ok := keyValues(row(st), sr.ref); ok {
				idx[encodeKey(vals)] = i
			}
		}
		for i, st := range sts {
			if vals, ok := keyValues(row(st), sr.cols); ok {
				if j, ok := idx[encodeKey(vals)]; ok && j != i {
					parents[i] = append(parents[i], j)
				}
			}
		}
	}
	children := make([]int, len(sts)) // rows still to delete that refer to row i
	for _, ps := range parents {
		for _, j := range ps {
			children[j]++
		}
	}
	order = kahn(sts, children, parents)
	n := 0 // kahn leaves the count of blocking rows above 0 for the stuck ones, last in order
	for _, c := range children {
		if c > 0 {
			n++
		}
	}
	return order, order[len(order)-n:]
}

// breakDeleteCycles sets the self-referential foreign keys of the rows of
// t in stuck to NULL (one UPDATE per row), so that DELETEs in any order
// find no row referring to them: a cycle of rows deleted in one flush
// (a parent of b parent of a) is the mirror of the cycle of inserted rows
// whose keys an UPDATE writes after the INSERT. Soft-deleted rows stay
// and are left alone.
func (s *Session) breakDeleteCycles(ctx context.Context, tx *engine.Tx, t *meta.Table, stuck []*state) error {
	var cols []*meta.Column
	for _, sr := range selfRefsOf(t) {
		for _, c := range sr.cols {
			if !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
	}
	if len(cols) == 0 {
		return nil
	}
	var q stmtText
	for _, st := range stuck {
		if s.softDeleting(st) || st.snap == nil {
			continue
		}
		if q.sql == "" { // the same statement for every row
			var err error
			if q, err = fkUpdateSQL(s.cache(), s.eng.Dialect(), t, cols); err != nil {
				return flushErr("update", st, err)
			}
		}
		args := make([]any, len(cols), len(cols)+len(t.PrimaryKey)+1)
		args = s.pkArgs(st, args, st.snap)
		if t.Version != nil {
			args = args[:len(args)-1]
		}
		if _, err := tx.Exec(ctx, q.sql, args...); err != nil {
			return flushErr("update (breaking a reference cycle before delete)", st, err)
		}
	}
	return nil
}

// insertLevels splits the rows of t to insert into groups inserted one
// after the other: a row whose foreign key waits for the generated key of
// another row of the batch (a self-referential parent) goes in a later
// group than that row, so its key is known before its own INSERT and no
// UPDATE is needed. Rows in a reference cycle share the last group (their
// keys are written by an UPDATE after it).
func (s *Session) insertLevels(t *meta.Table, ins []*state) [][]*state {
	rf := s.relFlush
	if rf == nil || len(ins) < 2 || len(rf.syncs) == 0 || len(selfRefsOf(t)) == 0 {
		return [][]*state{ins}
	}
	pos := make(map[unsafe.Pointer]int, len(ins))
	for i, st := range ins {
		pos[st.obj] = i
	}
	waits := make([]int, len(ins))      // in-batch parents of row i not inserted yet
	children := make([][]int, len(ins)) // rows waiting for row i
	for i := range rf.syncs {
		sy := &rf.syncs[i]
		c, ok1 := pos[sy.child]
		p, ok2 := pos[sy.parent]
		if !ok1 || !ok2 || c == p {
			continue
		}
		waits[c]++
		children[p] = append(children[p], c)
	}
	var levels [][]*state
	var cur []int
	for i := range ins {
		if waits[i] == 0 {
			cur = append(cur, i)
		}
	}
	placed := 0
	for len(cur) > 0 {
		lvl := make([]*state, len(cur))
		var next []int
		for k, i := range cur {
			lvl[k] = ins[i]
			for _, c := range children[i] {
				if waits[c]--; waits[c] == 0 {
					next = append(next, c)
				}
			}
		}
		placed += len(cur)
		levels = append(levels, lvl)
		slices.Sort(next)
		cur = next
	}
	if placed < len(ins) {
		var rest []*state
		for i := range ins {
			if waits[i] > 0 {
				rest = append(rest, ins[i])
			}
		}
		levels = append(levels, rest)
	}
	return levels
}

// kahn orders sts so that a row comes before the rows it refers to
// (parents[i]); blocked[i] counts the rows that must come before row i.
// Rows left in a cycle follow in their original order.
func kahn(sts []*state, blocked []int, parents [][]int) []*state {
	out := make([]*state, 0, len(sts))
	done := make([]bool, len(sts))
	var queue []int
	for i := range sts {
		if blocked[i] == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		out = append(out, sts[i])
		done[i] = true
		for _, j := range parents[i] {
			if blocked[j]--; blocked[j] == 0 {
				queue = append(queue, j)
			}
		}
	}
	for i, st := range sts {
		if !done[i] {
			out = append(out, st)
		}
	}
	return out
}

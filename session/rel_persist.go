// Relationship persistence: the statements a flush sends for relationship
// work after its own INSERTs and UPDATEs (foreign keys of children,
// association rows), and the bookkeeping after it commits.

package session

import (
	"context"
	"fmt"
	"slices"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/meta"
)

// relSyncBeforeInsert copies the keys parents got in this flush into the
// FKs of the children about to be inserted.
func (s *Session) relSyncBeforeInsert(ins []*state) error {
	rf := s.relFlush
	if rf == nil {
		return nil
	}
	for i := range rf.syncs {
		sy := &rf.syncs[i]
		cst := s.stateAt(sy.child)
		if cst == nil || !slices.Contains(ins, cst) {
			continue
		}
		vals, ok := keyValues(sy.parent, sy.parentCols)
		if !ok {
			if pst := s.stateAt(sy.parent); pst != nil && slices.Contains(ins, pst) {
				// Parent and child in one INSERT batch (self-referential):
				// insert the child with a NULL key, UPDATE it afterwards.
				sy.post = true
				continue
			}
			return fmt.Errorf("%w: %s refers to a %s that is not saved in this flush (add it to the session)",
				arcerr.ErrInvalidRequest, describe(cst), sy.parentCols[0].Table.GoType.Name())
		}
		if err := setCols(sy.child, sy.childCols, vals); err != nil {
			return err
		}
	}
	return nil
}

// relAfterSaves runs after the INSERTs and UPDATEs and before the DELETEs:
// FKs of persistent children whose new parent was just inserted, then
// association rows.
func (s *Session) relAfterSaves(ctx context.Context, tx *engine.Tx, p *flushPlan) error {
	rf := s.relFlush
	if rf == nil {
		return nil
	}
	d := s.eng.Dialect()
	for i := range rf.syncs {
		sy := &rf.syncs[i]
		cst := s.stateAt(sy.child)
		if cst == nil {
			continue
		}
		inserted := slices.Contains(p.inserts[cst.cd.t], cst)
		if inserted && !sy.post || !inserted && (cst.status != Persistent || cst.snap == nil) {
			continue
		}
		vals, ok := keyValues(sy.parent, sy.parentCols)
		if !ok {
			return fmt.Errorf("%w: %s refers to an object that is not saved in this flush", arcerr.ErrInvalidRequest, describe(cst))
		}
		if !slices.Contains(p.touched, cst) {
			// Not in the plan, so not backed up: a failed flush must put
			// the old FK back too.
			p.backups = append(p.backups, backup{cst, cst.cd.take(cst.obj)})
			p.touched = append(p.touched, cst)
		}
		if err := setCols(sy.child, sy.childCols, vals); err != nil {
			return err
		}
		q, err := fkUpdateSQL(s.cache(), d, cst.cd.t, sy.childCols)
		if err != nil {
			return flushErr("update", cst, err)
		}
		args := append([]any(nil), vals...)
		keySrc := cst.snap
		if inserted {
			keySrc = &snapshot{p: cst.obj}
		}
		args = s.pkArgs(cst, args, keySrc)
		if cst.cd.t.Version != nil {
			args = args[:len(args)-1]
		}
		if _, err := tx.Exec(ctx, q.sql, args...); err != nil {
			return flushErr("update", cst, err)
		}
		if !inserted {
			// The snapshot is replaced, not written into, once the flush
			// has succeeded (relCommitPlan): it may also be the state at
			// transaction begin that a rollback restores.
			rf.resnap = append(rf.resnap, cst)
		}
	}
	// Association rows: deletes first, then inserts.
	for _, od := range rf.ownerDel {
		vals, ok := keyValues(od.obj, od.ref)
		if !ok {
			continue
		}
		q, err := assocDeleteSQL(s.cache(), d, od.sec, od.cols)
		if err != nil {
			return fmt.Errorf("arc: flush: delete from %s: %w", od.sec.Name, err)
		}
		if _, err := tx.Exec(ctx, q.sql, vals...); err != nil {
			return fmt.Errorf("arc: flush: delete from %s: %w", od.sec.Name, err)
		}
	}
	var inserts []link
	for _, k := range rf.linkOrder {
		l := *rf.links[k]
		if (rf.linkDel[k] || rf.linkAdd[k]) && (s.isDeleted(l.a) || s.isDeleted(l.b)) {
			continue // the rows of a deleted object are deleted with it
		}
		if rf.linkDel[k] {
			av, ok1 := keyValues(l.a, l.aRef)
			bv, ok2 := keyValues(l.b, l.bRef)
			if !ok1 || !ok2 {
				continue
			}
			q, err := assocDeleteSQL(s.cache(), d, l.sec, append(slices.Clone(l.aCols), l.bCols...))
			if err != nil {
				return fmt.Errorf("arc: flush: delete from %s: %w", l.sec.Name, err)
			}
			res, err := tx.Exec(ctx, q.sql, append(av, bv...)...)
			if err != nil {
				return fmt.Errorf("arc: flush: delete from %s: %w", l.sec.Name, err)
			}
			if n, err := res.RowsAffected(); err == nil && n != 1 {
				return fmt.Errorf("arc: flush: delete from %s (%v, %v): %w: DELETE matched %d rows, expected 1 (the association row was removed by someone else)",
					l.sec.Name, av, bv, arcerr.ErrStaleData, n)
			}
		} else if rf.linkAdd[k] {
			if rf.linkGuess[k] {
				there, err := s.linkExists(ctx, tx, p, &l)
				if err != nil {
					return err
				}
				if there {
					continue
				}
			}
			inserts = append(inserts, l)
		}
	}
	// Inserts, one multi-row INSERT per association table.
	for len(inserts) > 0 {
		first := inserts[0]
		var batch, rest []link
		for _, l := range inserts {
			if l.sec == first.sec && l.aCols[0] == first.aCols[0] {
				batch = append(batch, l)
			} else {
				rest = append(rest, l)
			}
		}
		inserts = rest
		cols := append(slices.Clone(first.aCols), first.bCols...)
		per := max(1, d.MaxParams()/len(cols))
		for start := 0; start < len(batch); start += per {
			part := batch[start:min(len(batch), start+per)]
			q, err := assocInsertSQL(s.cache(), d, first.sec, cols, len(part))
			if err != nil {
				return fmt.Errorf("arc: flush: insert into %s: %w", first.sec.Name, err)
			}
			args := make([]any, 0, len(part)*len(cols))
			for _, l := range part {
				av, ok1 := keyValues(l.a, l.aRef)
				bv, ok2 := keyValues(l.b, l.bRef)
				if !ok1 || !ok2 {
					return fmt.Errorf("%w: association row in %s for an object without a key", arcerr.ErrInvalidRequest, l.sec.Name)
				}
				args = append(append(args, av...), bv...)
			}
			if _, err := tx.Exec(ctx, q.sql, args...); err != nil {
				return fmt.Errorf("arc: flush: insert into %s: %w", first.sec.Name, err)
			}
		}
	}
	return nil
}

func (s *Session) relDeletedByCascade(st *state) bool {
	return s.relFlush != nil && s.relFlush.passiveDel[st]
}

// relCommitPlan records the new memberships after a successful flush.
func (s *Session) relCommitPlan(*flushPlan) {
	if rf := s.relFlush; rf != nil {
		s.relFlush = nil
		for _, st := range rf.resnap {
			if st.txSnap == nil {
				st.txSnap = st.snap
			}
			st.snap = st.cd.take(st.obj)
		}
		// A child of a deleted parent keeps no reference to it: its to-one
		// (loaded, say, as the back-reference of the parent's collection
		// the delete read) reads nil, as its foreign key now does.
		for _, u := range rf.unparented {
			if c := coreOf(u.child, u.f); c.Bound() && c.Loaded() && c.One() == u.parent {
				c.SetNone()
			}
		}
	}
	if !s.relModels {
		return // no object of a model with relationships
	}
	for st := range s.states.All() {
		if len(st.cd.t.Relations) == 0 || st.status != Persistent {
			continue
		}
		for _, f := range st.cd.t.Relations {
			c := coreOf(st.obj, f)
			if f.Kind == meta.RelDynamic {
				c.ClearQueued()
				c.Expire()
				continue
			}
			if c.Loaded() {
				c.TakeSnapshot()
			}
			c.ClearQueued()
		}
	}
}

// linkExists reports whether the association row l is in the database.
// It is asked only for a row appended while neither side's collection
// was loaded (the membership is not known, as SQLAlchemy would know it by
// loading the collection on append): appending a member the database
// already links is then a no-op instead of a duplicate-key error. A row of
// an object inserted in this flush cannot exist yet.
func (s *Session) linkExists(ctx context.Context, tx *engine.Tx, p *flushPlan, l *link) (bool, error) {
	for _, obj := range []unsafe.Pointer{l.a, l.b} {
		if st := s.stateAt(obj); st == nil || slices.Contains(p.inserts[st.cd.t], st) {
			return false, nil
		}
	}
	av, ok1 := keyValues(l.a, l.aRef)
	bv, ok2 := keyValues(l.b, l.bRef)
	if !ok1 || !ok2 {
		return false, nil
	}
	ref := expr.TableOf(l.sec)
	sel := &expr.Select{Columns: []expr.Expr{expr.Raw("1")}, From: []expr.FromItem{ref}}
	vals := append(av, bv...)
	for i, c := range append(slices.Clone(l.aCols), l.bCols...) {
		sel.Where = append(sel.Where, expr.Op(&expr.ColRef{From: ref, Col: c}, "=", vals[i]))
	}
	q, args, err := compileWith(s.eng.Dialect(), sel, nil)
	if err != nil {
		return false, fmt.Errorf("arc: flush: read %s: %w", l.sec.Name, err)
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("arc: flush: read %s: %w", l.sec.Name, err)
	}
	defer rows.Close()
	there := rows.Next()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("arc: flush: read %s: %w", l.sec.Name, err)
	}
	return there, nil
}

package session

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/internal/toposort"
	"github.com/arcorm/arc/meta"
)

// MaxInsertBatch caps the rows of one multi-row INSERT (the dialect's
// bind-parameter limit caps it further).
const MaxInsertBatch = 1000

// flushPlan is the work one flush does.
type flushPlan struct {
	tables  []*meta.Table // dependency order
	inserts map[*meta.Table][]*state
	updates map[*meta.Table][]*update
	deletes map[*meta.Table][]*state
	touched []*state
	backups []backup
	light   []*state // pending objects restored by clearing what the INSERT filled in
	// Some persistent objects have no backup: restore undoes their
	// UpdatedAt and version changes (see update).
	lightPersistent bool
}

// backup is a touched object's values before the flush.
type backup struct {
	st   *state
	snap *snapshot
}

type update struct {
	st   *state
	cols []int // codec column indexes
	mask uint64
	// What the flush itself changed in the object, for a light restore.
	setUpdatedAt int // codec index of UpdatedAt set by the flush, or -1
	bumped       bool
}

// Flush writes all pending changes in one transaction (begun if needed),
// in foreign-key order: for each table, parents first, UPDATEs then
// INSERTs; then DELETEs, children first. Generated keys and server
// defaults are read back into the objects. When it fails, the database
// is rolled back to where it was before the flush and every object is
// restored exactly: the caller can fix the problem and flush again.
func (s *Session) flush(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	if s.failed != nil {
		return fmt.Errorf("%w (cause: %v)", arcerr.ErrNeedsRollback, s.failed)
	}
	if s.iterating > 0 {
		return fmt.Errorf("%w: flush", arcerr.ErrIteratorOpen)
	}
	if s.flushing {
		return inFlush("a flush (Flush, Commit, BeginNested)")
	}
	// The relationship bookkeeping of this flush lives until it commits;
	// every other way out undoes what it wrote into objects and drops it,
	// so a failed flush changes and leaks nothing.
	s.relPre, s.relExpunged = nil, nil
	flushed := false
	s.flushing = true
	defer func() {
		s.flushing = false
		if !flushed {
			s.relUndoPre()
			s.relRollback()
		}
	}()
	if err := s.relPreFlush(ctx); err != nil {
		return err
	}
	if !s.hasChanges() {
		s.relExpunged = nil // nothing to write: the expunges stand
		return nil
	}
	if s.opts.readOnly {
		return fmt.Errorf("%w: flush in a read-only session (session.ReadOnly): %d new, %d deleted, %d changed objects cannot be written",
			arcerr.ErrInvalidRequest, len(s.pending), len(s.deleted), len(s.Dirty()))
	}
	if err := s.runBeforeFlush(ctx); err != nil {
		return err
	}
	plan := s.newPlan()
	if err := s.runBeforeHooks(ctx, plan); err != nil {
		s.restored.add(plan.restore())
		return err
	}
	plan.computeUpdates(s.flushNow())
	tx, err := s.flushTx(ctx, plan) // flush_single.go
	if err != nil {
		s.restored.add(plan.restore())
		return err
	}
	useSavepoint := !tx.Autocommitted() && (s.txFlushed || len(s.nested) > 0)
	var done *executed
	err = s.runProtected(ctx, tx, useSavepoint, "arc_flush", func() (err error) {
		if done, err = s.execute(ctx, tx, plan); err == nil {
			err = s.runAfterHooks(ctx, plan)
		}
		return err
	})
	if err != nil {
		err = nameBadText(plan, err) // before restore: the values as written
		s.restored.add(plan.restore())
		return err
	}
	s.commitPlan(plan, done)
	if !done.softAt.IsZero() {
		for _, st := range done.deleted {
			if s.softDeleting(st) {
				setSoftDeleted(st, done.softAt)
			}
		}
	}
	s.hardDeletes = nil
	s.txFlushed = !tx.Autocommitted()
	s.relPre, s.relExpunged = nil, nil
	flushed = true
	return nil
}

// oneTable reports whether sts are one or more objects of one table.
func oneTable(sts []*state) bool {
	if len(sts) == 0 {
		return false
	}
	for _, st := range sts[1:] {
		if st.cd.t != sts[0].cd.t {
			return false
		}
	}
	return true
}

func (s *Session) newPlan() *flushPlan {
	p := &flushPlan{}
	var tables []*meta.Table
	// The maps are made only when needed (a nil map reads as empty).
	if len(s.pending) > 0 {
		p.inserts = map[*meta.Table][]*state{}
	}
	if oneTable(s.pending) {
		// The common case: new objects of one table, listed at once
		// (no growth by doubling for a flush of thousands), in one list
		// that is also the start of touched (capped: appending to
		// touched copies instead of writing into the insert list).
		t := s.pending[0].cd.t
		ins := slices.Clone(s.pending)
		p.inserts[t] = ins
		p.touched = ins[:len(ins):len(ins)]
		tables = append(tables, t)
	} else {
		if len(s.pending) > 0 {
			p.touched = make([]*state, 0, len(s.pending))
		}
		for _, st := range s.pending {
			p.inserts[st.cd.t] = append(p.inserts[st.cd.t], st)
			p.touched = append(p.touched, st)
			if !slices.Contains(tables, st.cd.t) {
				tables = append(tables, st.cd.t)
			}
		}
	}
	for _, st := range s.changedStates() {
		if p.updates == nil {
			p.updates = map[*meta.Table][]*update{}
		}
		p.updates[st.cd.t] = append(p.updates[st.cd.t], &update{st: st, setUpdatedAt: -1})
		p.touched = append(p.touched, st)
		if !slices.Contains(tables, st.cd.t) {
			tables = append(tables, st.cd.t)
		}
	}
	if len(s.deleted) > 0 {
		p.deletes = map[*meta.Table][]*state{}
	}
	for _, st := range s.deleted {
		p.deletes[st.cd.t] = append(p.deletes[st.cd.t], st)
		p.touched = append(p.touched, st)
		if !slices.Contains(tables, st.cd.t) {
			tables = append(tables, st.cd.t)
		}
	}
	p.tables = sortTables(tables)
	if allLightPending(p.touched) {
		// Only new objects, all restored lightly: the light list is
		// touched itself (capped as above).
		for _, st := range p.touched {
			st.filled = 0
		}
		p.light = p.touched[:len(p.touched):len(p.touched)]
		return p
	}
	var lastT *meta.Table
	var light bool
	for _, st := range p.touched {
		if st.cd.t != lastT { // lightRestore once per run of one table
			lastT, light = st.cd.t, lightRestore(st.cd.t)
		}
		if light {
			switch {
			case st.status == Pending:
				st.filled = 0
				if p.light == nil {
					p.light = make([]*state, 0, len(p.touched))
				}
				p.light = append(p.light, st)
				continue
			case st.status == Persistent && st.snap != nil:
				// An UPDATE changes only UpdatedAt and the version in
				// memory, a DELETE nothing: restore undoes exactly that.
				p.lightPersistent = true
				continue
			}
		}
		p.backups = append(p.backups, backup{st, st.cd.take(st.obj)})
	}
	return p
}

// allLightPending reports whether sts are all pending objects of tables
// that lightRestore allows.
func allLightPending(sts []*state) bool {
	var lastT *meta.Table
	for _, st := range sts {
		if st.status != Pending {
			return false
		}
		if st.cd.t != lastT {
			if !lightRestore(st.cd.t) {
				return false
			}
			lastT = st.cd.t
		}
	}
	return len(sts) > 0
}

// lightRestore reports whether an object of t can be restored after a
// failed flush without a full copy, because nothing but the statement
// itself writes to it: for an INSERT, defaults, timestamps, the version
// and RETURNING, all into fields that were zero; for an UPDATE, UpdatedAt
// and the version; for a DELETE, nothing. Hooks can change any field, and
// relationship bookkeeping writes foreign keys, so objects of tables with
// hooks, relationship fields or foreign keys get a full backup.
func lightRestore(t *meta.Table) bool {
	return t.Hooks&^meta.HookAfterLoad == 0 && len(t.Relations) == 0 && len(t.ForeignKeys) == 0 && len(t.Columns) <= 64 &&
		len(t.Generated) == 0 // RETURNING overwrites generated fields, which need not be zero
}

// restoreCounts counts the objects failed flushes of a session restored,
// by path: Light are new objects restored by clearing what the INSERT
// filled in, LightUpdates changed objects that got back only their
// UpdatedAt and version, Full objects copied back from a full backup.
// Only tests read it (export_test.go): each path has a test that takes it.
type restoreCounts struct{ Light, LightUpdates, Full int }

func (c *restoreCounts) add(d restoreCounts) {
	c.Light += d.Light
	c.LightUpdates += d.LightUpdates
	c.Full += d.Full
}

// restore puts every touched object back as it was before the flush, and
// says which paths it took.
func (p *flushPlan) restore() restoreCounts {
	n := restoreCounts{Light: len(p.light), Full: len(p.backups)}
	for _, b := range p.backups {
		b.st.cd.restore(b.st.obj, b.snap)
	}
	for _, st := range p.light {
		for i := range st.cd.cols {
			if st.filled&bit(i) != 0 {
				c := st.cd.cols[i].c
				layout.Value(st.obj, c.Offset, c.GoType).SetZero()
			}
		}
		st.filled = 0
	}
	if p.lightPersistent {
		for _, ups := range p.updates {
			for _, u := range ups {
				if !lightRestore(u.st.cd.t) {
					continue
				}
				n.LightUpdates++
				if u.setUpdatedAt >= 0 {
					u.st.cd.restoreCol(u.setUpdatedAt, u.st.obj, u.st.snap)
					u.setUpdatedAt = -1
				}
				if u.bumped {
					v := u.st.cd.t.Version
					f := layout.Value(u.st.obj, v.Offset, v.GoType)
					f.SetInt(f.Int() - 1)
					u.bumped = false
				}
			}
		}
	}
	return n
}

// computeUpdates fixes the changed columns of each update after the
// before-hooks ran (they may change fields) and drops no-op updates.
func (p *flushPlan) computeUpdates(now time.Time) {
	for t, ups := range p.updates {
		kept := ups[:0]
		for _, u := range ups {
			st := u.st
			u.cols = u.cols[:0]
			u.mask = 0
			for i := range st.cd.cols {
				if c := st.cd.cols[i].c; c == t.Version || c.Generated != "" {
					continue // the version is bumped by the UPDATE; generated columns are read-only
				}
				if st.cd.changed(i, st.obj, st.snap) {
					u.cols = append(u.cols, i)
				}
			}
			if len(u.cols) == 0 {
				continue
			}
			if ua := t.UpdatedAt; ua != nil {
				idx := slices.IndexFunc(st.cd.cols, func(cc colCodec) bool { return cc.c == ua })
				if !slices.Contains(u.cols, idx) {
					setNow(st.obj, ua, now)
					u.setUpdatedAt = idx
					u.cols = append(u.cols, idx)
					slices.Sort(u.cols)
				}
			}
			for _, i := range u.cols {
				if i < 64 {
					u.mask |= 1 << uint(i)
				}
			}
			kept = append(kept, u)
		}
		p.updates[t] = kept
	}
}

// sortTables orders tables so that referenced tables come first.
func sortTables(tables []*meta.Table) []*meta.Table {
	if len(tables) < 2 {
		return tables
	}
	idx := map[string]int{}
	for i, t := range tables {
		idx[t.Name] = i
	}
	order, _, _ := toposort.Sort(len(tables), func(i int) []int {
		var deps []int
		for _, fk := range tables[i].ForeignKeys {
			if j, ok := idx[fk.RefTable]; ok {
				deps = append(deps, j)
			}
		}
		return deps
	})
	out := make([]*meta.Table, len(order))
	for i, j := range order {
		out[i] = tables[j]
	}
	return out
}

func (s *Session) runBeforeHooks(ctx context.Context, p *flushPlan) error {
	if planHasHooks(p) {
		s.inUse.callbacks()
		defer s.inUse.callbacksDone()
	}
	for _, t := range p.tables {
		if t.Hooks == 0 {
			continue // nothing to call for this table's objects
		}
		for _, st := range p.inserts[t] {
			if err := callHooks(ctx, st, meta.HookBeforeSave, meta.HookBeforeCreate); err != nil {
				return err
			}
		}
		for _, u := range p.updates[t] {
			if err := callHooks(ctx, u.st, meta.HookBeforeSave, meta.HookBeforeUpdate); err != nil {
				return err
			}
		}
		for _, st := range p.deletes[t] {
			if err := callHooks(ctx, st, meta.HookBeforeDelete); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Session) runAfterHooks(ctx context.Context, p *flushPlan) error {
	if planHasHooks(p) {
		s.inUse.callbacks()
		defer s.inUse.callbacksDone()
	}
	for _, t := range p.tables {
		if t.Hooks == 0 {
			continue // nothing to call for this table's objects
		}
		for _, st := range p.inserts[t] {
			if err := callHooks(ctx, st, meta.HookAfterCreate, meta.HookAfterSave); err != nil {
				return err
			}
		}
		for _, u := range p.updates[t] {
			if err := callHooks(ctx, u.st, meta.HookAfterUpdate, meta.HookAfterSave); err != nil {
				return err
			}
		}
		for _, st := range p.deletes[t] {
			if err := callHooks(ctx, st, meta.HookAfterDelete); err != nil {
				return err
			}
		}
	}
	return nil
}

func callHooks(ctx context.Context, st *state, hooks ...meta.HookSet) error {
	h := st.cd.t.Hooks
	if h == 0 {
		return nil
	}
	for _, hook := range hooks {
		if !h.Has(hook) {
			continue
		}
		var err error
		name := ""
		switch hook {
		case meta.HookBeforeSave:
			err, name = st.ifc().(meta.BeforeSaver).BeforeSave(ctx), "BeforeSave"
		case meta.HookBeforeCreate:
			err, name = st.ifc().(meta.BeforeCreator).BeforeCreate(ctx), "BeforeCreate"
		case meta.HookBeforeUpdate:
			err, name = st.ifc().(meta.BeforeUpdater).BeforeUpdate(ctx), "BeforeUpdate"
		case meta.HookBeforeDelete:
			err, name = st.ifc().(meta.BeforeDeleter).BeforeDelete(ctx), "BeforeDelete"
		case meta.HookAfterSave:
			err, name = st.ifc().(meta.AfterSaver).AfterSave(ctx), "AfterSave"
		case meta.HookAfterCreate:
			err, name = st.ifc().(meta.AfterCreator).AfterCreate(ctx), "AfterCreate"
		case meta.HookAfterUpdate:
			err, name = st.ifc().(meta.AfterUpdater).AfterUpdate(ctx), "AfterUpdate"
		case meta.HookAfterDelete:
			err, name = st.ifc().(meta.AfterDeleter).AfterDelete(ctx), "AfterDelete"
		}
		if err != nil {
			return fmt.Errorf("arc: %s.%s hook on %s: %w", st.cd.t.GoType.Name(), name, describe(st), err)
		}
	}
	return nil
}

// executed records what the SQL phase did, for commitPlan.
type executed struct {
	inserted []*state
	updated  []*update
	deleted  []*state
	softAt   time.Time // the time soft deletes of this flush wrote, or zero
}

func (s *Session) execute(ctx context.Context, tx *engine.Tx, p *flushPlan) (*executed, error) {
	ex := &executed{}
	for _, t := range p.tables {
		for _, u := range p.updates[t] {
			if err := s.execUpdate(ctx, tx, u); err != nil {
				return nil, err
			}
			ex.updated = append(ex.updated, u)
		}
		if ins := p.inserts[t]; len(ins) > 0 {
			for _, lvl := range s.insertLevels(t, ins) { // self-referential parents first
				if err := s.relSyncBeforeInsert(lvl); err != nil {
					return nil, err
				}
				if err := s.execInserts(ctx, tx, t, lvl); err != nil {
					return nil, err
				}
			}
			if ex.inserted == nil {
				ex.inserted = ins[:len(ins):len(ins)] // the plan's list, not copied (capped)
			} else {
				ex.inserted = append(ex.inserted, ins...)
			}
		}
	}
	if err := s.relAfterSaves(ctx, tx, p); err != nil {
		return nil, err
	}
	for i := len(p.tables) - 1; i >= 0; i-- {
		t := p.tables[i]
		order, stuck := deleteOrder(t, p.deletes[t]) // self-referential children first
		if err := s.breakDeleteCycles(ctx, tx, t, stuck); err != nil {
			return nil, err
		}
		for _, st := range order {
			var err error
			if s.softDeleting(st) {
				if ex.softAt.IsZero() {
					ex.softAt = s.flushNow()
				}
				err = s.execSoftDelete(ctx, tx, st, ex.softAt)
			} else {
				err = s.execDelete(ctx, tx, st)
			}
			if err != nil {
				return nil, err
			}
			ex.deleted = append(ex.deleted, st)
		}
	}
	return ex, nil
}

// commitPlan moves objects to their new states after a successful flush.
func (s *Session) commitPlan(p *flushPlan, ex *executed) {
	if len(ex.inserted) > 8 {
		s.identity.reserve(ex.inserted[0].cd.t, len(ex.inserted))
	}
	snapAll(ex.inserted)
	for _, st := range ex.inserted {
		st.status = Persistent
		st.key = identityOf(st.cd.t, st.obj).sk()
		st.set(bHasKey, true)
		st.set(bNewInTx, true)
		s.identity.put(st)
	}
	s.pending = s.pending[:0]
	for _, u := range ex.updated {
		st := u.st
		if st.txSnap == nil {
			st.txSnap = st.snap
		}
		st.snap = st.cd.take(st.obj)
		if newKey := identityOf(st.cd.t, st.obj); newKey != st.ikey() {
			s.identity.del(st.ikey())
			st.key = newKey.sk()
			s.identity.put(st)
		}
	}
	for _, st := range ex.deleted {
		st.status = Deleted
		st.markedDelete = false
		st.set(bDeletedInTx, true)
		if s.identity.get(st.ikey()) == st {
			s.identity.del(st.ikey())
		}
	}
	s.deleted = s.deleted[:0]
	s.relCommitPlan(p)
}

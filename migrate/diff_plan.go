package migrate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/meta"
)

// step is one change with its inverse, as operations the dialect renders
// (package ddl); phases order the up file. The down file runs every
// step's down in reverse order, then every step's late in reverse order:
// down operations use the models' names, late operations are built from
// the live schema's own definitions (index and constraint text, SQLite's
// CREATE TABLE), which name the tables and columns as they were before
// any rename, so they run after the renames are undone.
type step struct {
	phase          int
	up, down, late []ddl.Operation
}

const (
	phRename = iota
	phDropFK
	phDropIndex
	phCreateTable
	phColumns
	phDropColumn
	phAddIndex
	phAddFK
	phDropTable
)

type planner struct {
	d         dialect.Dialect
	md        *meta.MetaData
	opts      DiffOptions
	plan      *Plan
	live      map[string]*dialect.TableSchema // by the models' name (renames applied)
	orig      map[string]*dialect.TableSchema // the same tables as inspected
	liveOrder []*dialect.TableSchema
	desired   map[string]*dialect.TableSchema
	objects   []*dialect.ObjectSchema // SQLite views and triggers
	ren       *renames
	steps     []step
}

type ops = []ddl.Operation

func (p *planner) add(phase int, up, down ops) {
	p.steps = append(p.steps, step{phase: phase, up: up, down: down})
}

func (p *planner) addLate(phase int, up, down, late ops) {
	p.steps = append(p.steps, step{phase: phase, up: up, down: down, late: late})
}

func (p *planner) change(format string, a ...any) {
	p.plan.Changes = append(p.plan.Changes, fmt.Sprintf(format, a...))
}
func (p *planner) skip(format string, a ...any) {
	p.plan.Skipped = append(p.plan.Skipped, fmt.Sprintf(format, a...))
}
func (p *planner) note(format string, a ...any) {
	p.plan.Notes = append(p.plan.Notes, fmt.Sprintf(format, a...))
}

// sameType compares two type spellings the way the database does.
func (p *planner) sameType(a, b string) bool {
	if tc, ok := p.d.(dialect.TypeComparer); ok {
		return tc.SameType(a, b)
	}
	return strings.EqualFold(a, b)
}

func (p *planner) run() {
	alter := p.d.Has(dialect.AlterColumn)
	inCycle := cycleFKs(p.md)
	var olds []string
	for old := range p.ren.table {
		olds = append(olds, old)
	}
	slices.Sort(olds)
	for _, old := range olds {
		n := p.ren.table[old]
		p.add(phRename, ops{ddl.RenameTable{From: old, To: n}}, ops{ddl.RenameTable{From: n, To: old}})
		p.change("rename table %s to %s", old, n)
	}
	for _, t := range p.md.Sorted() {
		if p.live[t.Name] == nil {
			p.createTable(t, inCycle)
			continue
		}
		p.compareTable(t, alter)
	}
	p.dropTables()
	slices.SortStableFunc(p.steps, func(a, b step) int { return a.phase - b.phase })
	for _, s := range p.steps {
		p.plan.upOps = append(p.plan.upOps, s.up...)
	}
	for i := len(p.steps) - 1; i >= 0; i-- {
		p.plan.downOps = append(p.plan.downOps, p.steps[i].down...)
	}
	for i := len(p.steps) - 1; i >= 0; i-- {
		p.plan.downOps = append(p.plan.downOps, p.steps[i].late...)
	}
	p.plan.Up = ddl.RenderAll(p.d, p.plan.upOps)
	p.plan.Down = ddl.RenderAll(p.d, p.plan.downOps)
}

func (p *planner) createTable(t *meta.Table, inCycle map[*meta.ForeignKey]bool) {
	created, deferred := splitCycleFKs(p.d, t, inCycle)
	p.add(phCreateTable, ops{ddl.CreateTable{Table: created}}, ops{ddl.DropTable{Name: t.Name, Sequences: t.Sequences}})
	if len(deferred) > 0 {
		var up, down ops
		for _, fk := range deferred {
			up = append(up, ddl.AddForeignKey{Table: t.Name, ForeignKey: fk})
			down = append(down, ddl.DropConstraint{Table: t.Name, Kind: dialect.ForeignKeyConstraint, Name: fk.Name})
		}
		p.add(phAddFK, up, down)
	}
	p.change("create table %s", t.Name)
}

// dropTables handles live tables the models do not have, referencing
// tables first.
func (p *planner) dropTables() {
	var extra []*dialect.TableSchema
	for _, l := range p.liveOrder {
		if p.desired[l.Name] == nil {
			extra = append(extra, l)
		}
	}
	if len(extra) == 0 {
		return
	}
	if !p.opts.AllowDrop {
		for _, l := range extra {
			p.skip("drop table %s (not in the models)", l.Name)
		}
		return
	}
	// Order: a table goes before the tables it references.
	done := map[string]bool{}
	var order []*dialect.TableSchema
	for len(order) < len(extra) {
		progress := false
		for _, l := range extra {
			if done[l.Name] {
				continue
			}
			referenced := false
			for _, o := range extra {
				if o == l || done[o.Name] {
					continue
				}
				for _, fk := range o.ForeignKeys {
					if fk.RefTable == l.Name {
						referenced = true
					}
				}
			}
			if !referenced {
				done[l.Name] = true
				order = append(order, l)
				progress = true
			}
		}
		if !progress { // a cycle: take the rest as they come
			for _, l := range extra {
				if !done[l.Name] {
					done[l.Name] = true
					order = append(order, l)
				}
			}
		}
	}
	for i, l := range order {
		late := p.recreateLive(p.orig[l.Name])
		late = append(ops{ddl.Comment{Text: "WARNING: table " + l.Name + " is re-created empty; its rows are not restored"}}, late...)
		// Stable phase order with drops of referencing tables first.
		p.steps = append(p.steps, step{phase: phDropTable*100 + i, up: ops{ddl.DropTable{Name: l.Name}}, late: late})
		p.change("drop table %s", l.Name)
	}
}

// recreateLive creates a live table again, for a down migration: the
// table, its indexes, and (SQLite) its triggers.
func (p *planner) recreateLive(l *dialect.TableSchema) ops {
	out := ops{ddl.RestoreTable{Table: l}}
	for _, ix := range l.Indexes {
		if ix.Def != "" {
			out = append(out, ddl.RestoreIndex{Table: l.Name, Index: ix})
		}
	}
	for _, o := range p.objects {
		if o.Kind == "trigger" && o.Table == l.Name {
			out = append(out, ddl.RestoreObject{Object: o})
		}
	}
	return out
}

func key(cols []string) string { return strings.Join(cols, "\x00") }

func fkKey(cols []string, ref string, refCols []string, del, upd string) string {
	return key(cols) + "->" + ref + "(" + key(refCols) + ")" + del + "/" + upd
}

type colChange struct {
	name                     string
	typ, null, def, identity bool
	narrowing                bool
}

// rename is an index or constraint the models call by another name.
type rename struct {
	kind     string // "index", "constraint"
	from, to string
	live     *dialect.IndexSchema // the live index (kind "index")
	model    *meta.Index
}

// tableDiff is what differs between a model table and its live table.
type tableDiff struct {
	t              *meta.Table
	l, orig, ds    *dialect.TableSchema // live (models' names), live as inspected, desired
	added, dropped []string
	changed        []colChange
	pkDiff         bool
	addU           []*meta.Unique
	dropU          []*dialect.ConstraintSchema
	addF           []*meta.ForeignKey
	dropF          []*dialect.ForeignKeySchema
	addI           []*meta.Index
	dropI          []*dialect.IndexSchema
	renamed        []rename
	colRen         [][2]string                 // live -> model column names
	addC, dropC    []*dialect.ConstraintSchema // changed CHECK constraints (checks.go)
	// keptF and keptC are live foreign keys and checks the models do not
	// have, left in place without AllowDrop (a SQLite rebuild cannot keep
	// them: it notes that).
	keptF []*dialect.ForeignKeySchema
	keptC []*dialect.ConstraintSchema
}

// compareTable writes the steps that bring a live table to its model:
// diffTable compares (the same on every dialect), then the table's
// differences are rendered as ALTER statements where the dialect can
// alter columns (alterTable), else by SQLite's rules (renderSQLite).
func (p *planner) compareTable(t *meta.Table, alter bool) {
	td := p.diffTable(t)
	td.addC, td.dropC = checkChanges(td.l, td.ds) // enum: value sets among them
	if !p.opts.AllowDrop {
		// A check the models have under no name (written by hand) is
		// kept; one they have with another expression is replaced.
		kept := td.dropC[:0]
		for _, c := range td.dropC {
			if hasCheck(td.ds, c.Name) {
				kept = append(kept, c)
				continue
			}
			p.skip("drop check constraint %s on %s (the models do not have it)", c.Name, t.Name)
			td.keptC = append(td.keptC, c)
		}
		td.dropC = kept
	}
	if alter {
		p.alterTable(td)
		p.checkSteps(t, td.addC, td.dropC)
		return
	}
	p.renderSQLite(td)
}

// diffTable compares a model table with its live table (renames
// applied): columns added, dropped and changed, constraints and indexes
// added, dropped and renamed. Drops and narrowings are kept only with
// AllowDrop; the rest is listed in Plan.Skipped.
func (p *planner) diffTable(t *meta.Table) *tableDiff {
	l, ds := p.live[t.Name], p.desired[t.Name]
	td := &tableDiff{t: t, l: l, orig: p.orig[t.Name], ds: ds}
	for _, dc := range ds.Columns {
		lc := l.Column(dc.Name)
		if lc == nil {
			td.added = append(td.added, dc.Name)
			continue
		}
		cc := colChange{name: dc.Name,
			typ:      !p.sameType(dc.Type, lc.Type),
			null:     dc.NotNull != lc.NotNull,
			def:      !sameDefault(dc.Default, lc.Default),
			identity: dc.Identity != lc.Identity,
		}
		if lc.AutoGenerated() && dc.AutoGenerated() {
			// serial, identity and a sequence default are all
			// autoincrement: nothing to change (and never DROP DEFAULT).
			cc.identity = false
			cc.def = cc.def && lc.Serial != "" && dc.Serial != ""
		}
		if cc.typ {
			cc.narrowing = !widens(lc.Type, dc.Type)
		}
		if cc.typ || cc.null || cc.def || cc.identity {
			td.changed = append(td.changed, cc)
		}
	}
	for _, lc := range l.Columns {
		if ds.Column(lc.Name) == nil {
			td.dropped = append(td.dropped, lc.Name)
		}
	}
	for _, lc := range td.orig.Columns {
		if n := p.ren.colName(td.orig.Name, lc.Name); n != lc.Name {
			td.colRen = append(td.colRen, [2]string{lc.Name, n})
		}
	}
	// Possible renames: reported, never guessed.
	for _, a := range td.added {
		for _, dr := range td.dropped {
			if p.sameType(ds.Column(a).Type, l.Column(dr).Type) {
				p.note("%s.%s may be a rename of %s.%s (written as add%s; if it is, diff again with --rename %s.%s=%s)",
					t.Name, a, t.Name, dr, map[bool]string{true: " + drop", false: ""}[p.opts.AllowDrop], t.Name, dr, a)
			}
		}
	}
	if !p.opts.AllowDrop {
		for _, dr := range td.dropped {
			p.skip("drop column %s.%s (not in the model)", t.Name, dr)
		}
		td.dropped = nil
		kept := td.changed[:0]
		for _, c := range td.changed {
			if c.typ && c.narrowing {
				p.skip("change type of %s.%s from %s to %s (may lose data)", t.Name, c.name, l.Column(c.name).Type, ds.Column(c.name).Type)
				c.typ = false
				if !c.null && !c.def && !c.identity {
					continue
				}
			}
			kept = append(kept, c)
		}
		td.changed = kept
	}
	for _, c := range td.changed {
		if c.identity {
			p.note("%s.%s: identity/autoincrement differs; Arc does not change it, edit by hand", t.Name, c.name)
		}
	}

	// Constraints and indexes, matched by definition; a match under
	// another name is a rename.
	renamedTo := func(kind, from, to string) {
		if from != "" && to != "" && from != to {
			td.renamed = append(td.renamed, rename{kind: kind, from: from, to: to})
		}
	}
	td.pkDiff = l.PrimaryKey == nil || ds.PrimaryKey == nil || key(l.PrimaryKey.Columns) != key(ds.PrimaryKey.Columns)
	if !td.pkDiff {
		renamedTo("constraint", l.PrimaryKey.Name, ds.PrimaryKey.Name)
	}
	liveU := map[string]*dialect.ConstraintSchema{}
	for _, u := range l.Uniques {
		liveU[key(u.Columns)] = u
	}
	wantU := map[string]bool{}
	for _, u := range ds.Uniques {
		k := key(u.Columns)
		wantU[k] = true
		if lu := liveU[k]; lu == nil {
			td.addU = append(td.addU, metaUnique(t, u.Columns))
		} else {
			renamedTo("constraint", lu.Name, u.Name)
		}
	}
	for _, u := range l.Uniques {
		if !wantU[key(u.Columns)] {
			td.dropU = append(td.dropU, u)
		}
	}
	liveF := map[string]*dialect.ForeignKeySchema{}
	for _, f := range l.ForeignKeys {
		liveF[fkKey(f.Columns, f.RefTable, f.RefColumns, f.OnDelete, f.OnUpdate)] = f
	}
	wantF := map[string]bool{}
	for _, f := range ds.ForeignKeys {
		k := fkKey(f.Columns, f.RefTable, f.RefColumns, f.OnDelete, f.OnUpdate)
		wantF[k] = true
		if lf := liveF[k]; lf == nil {
			td.addF = append(td.addF, metaFK(t, f.Columns))
		} else {
			renamedTo("constraint", lf.Name, f.Name)
		}
	}
	for _, f := range l.ForeignKeys {
		if wantF[fkKey(f.Columns, f.RefTable, f.RefColumns, f.OnDelete, f.OnUpdate)] {
			continue
		}
		if p.desired[f.RefTable] == nil && !p.opts.AllowDrop {
			// A key to a table outside the models (kept, ignored, or
			// never mapped) is not the models' to drop.
			p.skip("drop foreign key %s on %s (it references %s, which the models do not have)", f.Name, t.Name, f.RefTable)
			td.keptF = append(td.keptF, f)
			continue
		}
		td.dropF = append(td.dropF, f)
	}
	ixKey := func(unique bool, cols []string) string { return strconv.FormatBool(unique) + key(cols) }
	liveI := map[string]*dialect.IndexSchema{}
	for _, ix := range l.Indexes {
		if !ix.Expr {
			liveI[ixKey(ix.Unique, ix.Columns)] = ix
		}
	}
	wantI := map[string]bool{}
	for _, ix := range ds.Indexes {
		k := ixKey(ix.Unique, ix.Columns)
		wantI[k] = true
		var model *meta.Index
		for _, mi := range t.Indexes {
			if mi.Name == ix.Name {
				model = mi
			}
		}
		if li := liveI[k]; li == nil {
			if model != nil {
				td.addI = append(td.addI, model)
			}
		} else if li.Name != ix.Name && model != nil {
			td.renamed = append(td.renamed, rename{kind: "index", from: li.Name, to: ix.Name, live: li, model: model})
		}
	}
	for _, ix := range l.Indexes {
		if ix.Expr {
			p.note("index %s on %s is on an expression or partial; Arc leaves it alone", ix.Name, t.Name)
			continue
		}
		if !wantI[ixKey(ix.Unique, ix.Columns)] && !supportsKept(ix, td.keptF) {
			td.dropI = append(td.dropI, ix)
		}
	}
	p.matchUniqueIndexes(td)

	return td
}

// supportsKept reports whether ix is the index of a kept foreign key
// (MySQL names the index it makes for a key after the key, and refuses
// to drop an index a key needs).
func supportsKept(ix *dialect.IndexSchema, kept []*dialect.ForeignKeySchema) bool {
	for _, f := range kept {
		if ix.Name == f.Name || (len(ix.Columns) >= len(f.Columns) && key(ix.Columns[:len(f.Columns)]) == key(f.Columns)) {
			return true
		}
	}
	return false
}

// matchUniqueIndexes pairs a unique constraint the plan would add with a
// live unique index on the same columns (and a unique index it would
// add with a live unique constraint): both enforce the same thing, so
// neither is dropped nor added, and a note says so.
func (p *planner) matchUniqueIndexes(td *tableDiff) {
	keptU := td.addU[:0]
	for _, u := range td.addU {
		cols := key(meta.ColumnNames(u.Columns))
		if i := slices.IndexFunc(td.dropI, func(ix *dialect.IndexSchema) bool { return ix.Unique && !ix.Expr && key(ix.Columns) == cols }); i >= 0 {
			p.note("unique index %s on %s stands for the models' unique constraint %s; Arc leaves it as it is", td.dropI[i].Name, td.t.Name, u.Name)
			td.dropI = slices.Delete(td.dropI, i, i+1)
			continue
		}
		keptU = append(keptU, u)
	}
	td.addU = keptU
	keptI := td.addI[:0]
	for _, ix := range td.addI {
		cols := key(meta.ColumnNames(ix.Columns))
		if i := slices.IndexFunc(td.dropU, func(u *dialect.ConstraintSchema) bool { return key(u.Columns) == cols }); ix.Unique && i >= 0 {
			p.note("unique constraint %s on %s stands for the models' unique index %s; Arc leaves it as it is", td.dropU[i].Name, td.t.Name, ix.Name)
			td.dropU = slices.Delete(td.dropU, i, i+1)
			continue
		}
		keptI = append(keptI, ix)
	}
	td.addI = keptI
}

func hasCheck(t *dialect.TableSchema, name string) bool {
	_, ok := checksOf(t)[name]
	return ok
}

func metaUnique(t *meta.Table, cols []string) *meta.Unique {
	for _, u := range t.Uniques {
		if key(meta.ColumnNames(u.Columns)) == key(cols) {
			return u
		}
	}
	// A unique index of the models, which the database reports as a
	// unique constraint (MySQL keeps both as a unique index).
	for _, ix := range t.Indexes {
		if ix.Unique && key(meta.ColumnNames(ix.Columns)) == key(cols) {
			return &meta.Unique{Name: ix.Name, Columns: ix.Columns}
		}
	}
	return &meta.Unique{Name: "uq_" + t.Name + "_" + strings.Join(cols, "_")}
}

func metaFK(t *meta.Table, cols []string) *meta.ForeignKey {
	for _, f := range t.ForeignKeys {
		if key(meta.ColumnNames(f.Columns)) == key(cols) {
			return f
		}
	}
	return nil
}

// indexSteps drops, creates and renames indexes. A renamed index is
// ALTER INDEX ... RENAME where the dialect can (PostgreSQL), else dropped
// and created again (SQLite).
func (p *planner) indexSteps(td *tableDiff) {
	t := td.t
	for _, ix := range td.dropI {
		p.addLate(phDropIndex, ops{ddl.DropIndex{Table: t.Name, Name: ix.Name}}, nil, ops{ddl.RestoreIndex{Table: td.orig.Name, Index: ix}})
		p.change("drop index %s on %s", ix.Name, t.Name)
	}
	for _, ix := range td.addI {
		p.add(phAddIndex, ops{ddl.CreateIndex{Table: t.Name, Index: ix}}, ops{ddl.DropIndex{Table: t.Name, Name: ix.Name}})
		p.change("create index %s on %s", ix.Name, t.Name)
	}
	for _, r := range td.renamed {
		if r.kind != "index" {
			continue
		}
		if p.d.Has(dialect.AlterColumn) {
			p.add(phAddIndex, ops{ddl.RenameIndex{Table: t.Name, From: r.from, To: r.to}},
				ops{ddl.RenameIndex{Table: t.Name, From: r.to, To: r.from}})
		} else {
			p.addLate(phAddIndex, ops{ddl.DropIndex{Table: t.Name, Name: r.from}, ddl.CreateIndex{Table: t.Name, Index: r.model}},
				ops{ddl.DropIndex{Table: t.Name, Name: r.to}}, ops{ddl.RestoreIndex{Table: td.orig.Name, Index: r.live}})
		}
		p.change("rename index %s to %s on %s", r.from, r.to, t.Name)
	}
}

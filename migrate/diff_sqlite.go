package migrate

import (
	"slices"
	"strings"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/meta"
)

// renderSQLite writes a table's differences on SQLite: ADD COLUMN,
// RENAME COLUMN and CREATE/DROP INDEX where they suffice, else a rebuild.
func (p *planner) renderSQLite(td *tableDiff) {
	t := td.t
	rebuild := len(td.dropped) > 0 || len(td.changed) > 0 || td.pkDiff || len(td.addU) > 0 || len(td.dropU) > 0 ||
		len(td.addF) > 0 || len(td.dropF) > 0 || len(td.addC) > 0 || len(td.dropC) > 0
	for _, a := range td.added {
		if !p.simpleAdd(t.ColumnByName(a)) {
			rebuild = true
		}
	}
	if rebuild {
		p.checkChangeNotes(t.Name, td.addC, td.dropC)
		p.rebuild(td)
		return
	}
	tn := t.Name
	for _, r := range td.colRen {
		p.add(phRename, ops{ddl.RenameColumn{Table: tn, From: r[0], To: r[1]}}, ops{ddl.RenameColumn{Table: tn, From: r[1], To: r[0]}})
		p.change("rename column %s.%s to %s", t.Name, r[0], r[1])
	}
	for _, a := range td.added {
		p.add(phColumns, ops{ddl.AddColumn{Table: tn, Column: t.ColumnByName(a)}}, ops{ddl.DropColumn{Table: tn, Column: a}})
		p.change("add column %s.%s", t.Name, a)
	}
	p.indexSteps(td)
}

// simpleAdd reports whether SQLite can ADD COLUMN c without a rebuild.
func (p *planner) simpleAdd(c *meta.Column) bool {
	if c == nil || c.PrimaryKey || c.Unique || c.FK != nil {
		return false
	}
	if !c.Nullable && c.ServerDefault == "" {
		return false
	}
	d := strings.ToUpper(c.ServerDefault)
	return !strings.Contains(d, "(") && !strings.Contains(d, "CURRENT_")
}

// rebuild plans SQLite's table rebuild (ddl.RecreateTable): create the
// new shape under a temporary name, copy the rows, drop the old table,
// rename, re-create the indexes, and the views and triggers that use the
// table (SQLite drops a table's triggers with it, and refuses the rename
// while a view or trigger names a missing table). The files run with
// foreign keys off (see Plan.Rebuild). Column renames are part of the
// copy. AUTOINCREMENT and its high-water mark are kept.
func (p *planner) rebuild(td *tableDiff) {
	p.plan.Rebuild = true
	t, l, o, ds := td.t, td.l, td.orig, td.ds
	// The rebuilt table has the models' constraints only.
	for _, f := range td.keptF {
		p.note("WARNING: rebuilding %s drops its foreign key %s (to %s), which the models do not have; the down file restores it", t.Name, f.Name, f.RefTable)
	}

	// The new shape: the model's, keeping what the plan does not change
	// (columns not dropped, types not narrowed).
	cp := *t
	cp.Name = "_arc_new_" + t.Name
	cp.Indexes = nil
	cp.Columns = nil
	// Checks the models do not have, kept without AllowDrop, are kept by
	// the rebuild too.
	cp.Checks = slices.Clone(t.Checks)
	for _, c := range td.keptC {
		expr := strings.TrimSpace(c.Def)
		if len(expr) > 5 && strings.EqualFold(expr[:5], "CHECK") {
			expr = strings.TrimSpace(expr[5:])
		}
		if strings.HasPrefix(expr, "(") && closing(expr, 0) == len(expr)-1 {
			expr = expr[1 : len(expr)-1]
		}
		cp.Checks = append(cp.Checks, &meta.Check{Name: c.Name, Expr: expr})
	}
	typeChanged := map[string]bool{}
	for _, ch := range td.changed {
		typeChanged[ch.name] = ch.typ
	}
	for _, c := range t.Columns {
		if lc := l.Column(c.Name); lc != nil && !p.sameType(lc.Type, ds.Column(c.Name).Type) && !typeChanged[c.Name] {
			cc := *c
			cc.SQLType = lc.Type
			cp.Columns = append(cp.Columns, &cc)
			continue
		}
		cp.Columns = append(cp.Columns, c)
	}
	drop := map[string]bool{}
	for _, dr := range td.dropped {
		drop[dr] = true
	}
	for _, lc := range l.Columns {
		if ds.Column(lc.Name) == nil && !drop[lc.Name] {
			cp.Columns = append(cp.Columns, &meta.Column{Name: lc.Name, SQLType: lc.Type, Nullable: !lc.NotNull, ServerDefault: lc.Default})
		}
	}
	var dst, src []string
	for _, c := range cp.Columns {
		if l.Column(c.Name) != nil {
			dst = append(dst, c.Name)
			src = append(src, p.ren.liveCol(t.Name, c.Name))
		}
	}
	autoinc := false
	if pk := l.PrimaryKey; pk != nil && len(pk.Columns) == 1 && len(t.PrimaryKey) == 1 && t.PrimaryKey[0].Name == pk.Columns[0] {
		if lc := l.Column(pk.Columns[0]); lc != nil && lc.AutoIncrement {
			autoinc = p.keepAutoincrement(dialect.CreateTable(p.d, &cp, false)[0], t)
		}
	}
	up := ops{ddl.Comment{Text: "rebuild table " + t.Name + " (SQLite cannot ALTER this)"}}
	for _, c := range td.changed {
		if dc := ds.Column(c.name); c.null && dc.NotNull {
			up = append(up, p.backfill(t.Name, t.Name, p.ren.liveCol(t.Name, c.name), dc)...)
		}
	}
	deps := p.dependents(o.Name)
	up = append(up, dropObjects(deps)...)
	up = append(up, ddl.RecreateTable{Table: t.Name, Temp: cp.Name, Model: &cp, Columns: dst, From: src, KeepSequence: autoinc})
	for _, ix := range t.Indexes {
		up = append(up, ddl.CreateIndex{Table: t.Name, Index: ix})
	}
	for _, ix := range l.Indexes {
		if ix.Expr && ix.Def != "" {
			up = append(up, ddl.RestoreIndex{Table: t.Name, Index: ix})
		}
	}
	up = append(up, createObjects(deps)...)

	// The way back (after the renames are undone): the live table's own
	// CREATE text under a temporary name.
	var bdst, bsrc []string
	for _, lc := range o.Columns {
		n := p.ren.colName(o.Name, lc.Name)
		for _, c := range cp.Columns {
			if c.Name == n {
				bdst, bsrc = append(bdst, lc.Name), append(bsrc, n)
			}
		}
	}
	var down ops
	if len(td.dropped) > 0 {
		down = append(down, ddl.Comment{Text: "WARNING: dropped columns come back empty: " + strings.Join(td.dropped, ", ")})
	}
	for _, c := range td.changed {
		if lc, dc := l.Column(c.name), ds.Column(c.name); c.typ {
			up = insertAfterFirst(up, narrowingWarningIf(c.narrowing, t.Name, c.name, lc.Type, dc.Type))
			if c.narrowing {
				p.note("WARNING: %s.%s narrows from %s to %s (up file)", t.Name, c.name, lc.Type, dc.Type)
			}
			if !widens(dc.Type, lc.Type) {
				down = append(down, ddl.Comment{Text: "WARNING: changes " + t.Name + "." + c.name + " back from " + dc.Type + " to " + lc.Type +
					" (SQLite keeps each value as it is stored, converting by the column's affinity)"})
				p.note("WARNING: the down file changes %s.%s back from %s to %s", t.Name, c.name, dc.Type, lc.Type)
			}
		}
	}
	keep := false
	for _, lc := range o.Columns {
		keep = keep || lc.AutoIncrement
	}
	down = append(down, dropObjects(deps)...)
	down = append(down, ddl.RecreateTable{Table: o.Name, Temp: "_arc_old_" + o.Name, Schema: o, Columns: bdst, From: bsrc, KeepSequence: keep})
	for _, ix := range o.Indexes {
		if ix.Def != "" {
			down = append(down, ddl.RestoreIndex{Table: o.Name, Index: ix})
		}
	}
	down = append(down, createObjects(deps)...)
	p.addLate(phColumns, up, nil, down)

	if len(deps) > 0 {
		var names []string
		for _, d := range deps {
			names = append(names, d.Kind+" "+d.Name)
		}
		p.note("the rebuild of %s drops and re-creates %s (they use the table); re-creating one fails if it uses a column the rebuild removes or renames: edit it in the file",
			t.Name, strings.Join(names, ", "))
		if o.Name != t.Name {
			p.note("WARNING: %s is renamed and rebuilt; the re-created views and triggers are their text from before the rename: edit them in the up file", t.Name)
		}
	}
	for _, r := range td.colRen {
		p.change("rename column %s.%s to %s", t.Name, r[0], r[1])
	}
	for _, a := range td.added {
		c := t.ColumnByName(a)
		if c != nil && !c.Nullable && c.ServerDefault == "" {
			p.note("%s.%s is NOT NULL without a server default: the rebuild fails if %s has rows", t.Name, a, t.Name)
		}
		p.change("add column %s.%s", t.Name, a)
	}
	for _, dr := range td.dropped {
		p.change("drop column %s.%s", t.Name, dr)
	}
	for _, c := range td.changed {
		lc, dc := l.Column(c.name), ds.Column(c.name)
		if c.typ {
			p.change("change type of %s.%s from %s to %s", t.Name, c.name, lc.Type, dc.Type)
		}
		if c.null {
			p.change("change nullability of %s.%s", t.Name, c.name)
		}
		if c.def {
			p.change("change default of %s.%s", t.Name, c.name)
		}
	}
	for _, u := range td.addU {
		p.change("add unique constraint %s on %s", u.Name, t.Name)
	}
	for range td.dropU {
		p.change("drop a unique constraint on %s", t.Name)
	}
	for _, f := range td.addF {
		if f != nil {
			p.change("add foreign key %s on %s", f.Name, t.Name)
		}
	}
	for range td.dropF {
		p.change("drop a foreign key on %s", t.Name)
	}
	for _, ix := range td.addI {
		p.change("create index %s on %s", ix.Name, t.Name)
	}
	for _, ix := range td.dropI {
		p.change("drop index %s on %s", ix.Name, t.Name)
	}
	for _, r := range td.renamed {
		p.change("rename %s %s to %s on %s", r.kind, r.from, r.to, t.Name)
	}
	if len(p.plan.Changes) == 0 || !strings.Contains(strings.Join(p.plan.Changes, "\n"), t.Name) {
		p.change("rebuild table %s (primary key)", t.Name)
	}
}

func narrowingWarningIf(on bool, table, col, a, b string) ddl.Operation {
	if !on {
		return nil
	}
	return ddl.Comment{Text: "WARNING: narrows " + table + "." + col + " from " + a + " to " + b +
		" (SQLite keeps each value as it is stored, converting by the column's affinity)"}
}

// insertAfterFirst puts op after the first operation (the rebuild's
// heading comment); nil inserts nothing.
func insertAfterFirst(list ops, op ddl.Operation) ops {
	if op == nil {
		return list
	}
	return append(list[:1], append(ops{op}, list[1:]...)...)
}

// keepAutoincrement reports whether the rebuilt table can keep SQLite's
// AUTOINCREMENT: the dialect then writes the model's key column as
// "INTEGER PRIMARY KEY AUTOINCREMENT" (a column constraint: the table
// constraint form cannot carry AUTOINCREMENT), which it can only when
// the generated CREATE TABLE has the column and the key in the standard
// layout. Otherwise it notes that the key loses AUTOINCREMENT.
func (p *planner) keepAutoincrement(create string, t *meta.Table) bool {
	c := t.PrimaryKey[0]
	q := func(s string) string { return dialect.QuoteIdent(p.d, s) }
	def := dialect.ColumnDef(p.d, c)
	pk := ",\n\tCONSTRAINT " + q(t.PKName) + " PRIMARY KEY (" + q(c.Name) + ")"
	if !strings.HasPrefix(def, q(c.Name)+" INTEGER") || !strings.Contains(create, "\t"+def+",\n") || !strings.Contains(create, pk) {
		p.note("%s.%s has AUTOINCREMENT, which the rebuild cannot keep for the model's column; add it back by hand", t.Name, c.Name)
		return false
	}
	return true
}

// dependents are the views and triggers a rebuild of table must drop and
// re-create: triggers on it, views and triggers whose text names it, and
// (transitively) views and triggers that name one of those views.
func (p *planner) dependents(table string) []*dialect.ObjectSchema {
	names := map[string]bool{strings.ToLower(table): true}
	in := map[*dialect.ObjectSchema]bool{}
	for changed := true; changed; {
		changed = false
		for _, o := range p.objects {
			if in[o] {
				continue
			}
			if (o.Kind == "trigger" && strings.EqualFold(o.Table, table)) || mentionsAny(o.Def, names) {
				in[o] = true
				changed = true
				if o.Kind == "view" {
					names[strings.ToLower(o.Name)] = true
				}
			}
		}
	}
	var out []*dialect.ObjectSchema
	for _, o := range p.objects {
		if in[o] {
			out = append(out, o)
		}
	}
	return out
}

func dropObjects(deps []*dialect.ObjectSchema) ops {
	var out ops
	for i := len(deps) - 1; i >= 0; i-- {
		out = append(out, ddl.DropObject{Kind: deps[i].Kind, Name: deps[i].Name})
	}
	return out
}

func createObjects(deps []*dialect.ObjectSchema) ops {
	var out ops
	for _, o := range deps {
		out = append(out, ddl.RestoreObject{Object: o})
	}
	return out
}

// mentionsAny reports whether SQL text names one of the (lower-cased)
// names as an identifier, bare or quoted; strings and comments do not count.
func mentionsAny(sql string, names map[string]bool) bool {
	for i := 0; i < len(sql); {
		if j := dialect.SkipQuoted(sql, i); j > i {
			if c := sql[i]; (c == '"' || c == '`') && j-i >= 2 {
				if names[strings.ToLower(sql[i+1:j-1])] {
					return true
				}
			}
			i = j
			continue
		}
		if sql[i] == '[' {
			if j := strings.IndexByte(sql[i:], ']'); j > 0 {
				if names[strings.ToLower(sql[i+1:i+j])] {
					return true
				}
				i += j + 1
				continue
			}
		}
		j := i
		for j < len(sql) && (sql[j] == '_' || sql[j] >= 'a' && sql[j] <= 'z' || sql[j] >= 'A' && sql[j] <= 'Z' || sql[j] >= '0' && sql[j] <= '9' || sql[j] >= 0x80) {
			j++
		}
		if j == i {
			i++
			continue
		}
		if names[strings.ToLower(sql[i:j])] {
			return true
		}
		i = j
	}
	return false
}

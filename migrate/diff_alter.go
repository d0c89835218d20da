package migrate

import (
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/meta"
)

// alterTable plans the ALTER TABLE operations of a table on a dialect
// that alters tables in place (PostgreSQL, MySQL).
func (p *planner) alterTable(td *tableDiff) {
	t, l, ds := td.t, td.l, td.ds
	tn := t.Name
	// The late (after renames are undone) operations name the table as it was.
	otn := td.orig.Name
	drop := func(kind dialect.ConstraintKind, name string) ddl.Operation {
		return ddl.DropConstraint{Table: tn, Kind: kind, Name: name}
	}
	for _, r := range td.colRen {
		p.add(phRename, ops{ddl.RenameColumn{Table: tn, From: r[0], To: r[1]}}, ops{ddl.RenameColumn{Table: tn, From: r[1], To: r[0]}})
		p.change("rename column %s.%s to %s", t.Name, r[0], r[1])
	}
	for _, r := range td.renamed {
		if r.kind != "constraint" {
			continue
		}
		kind := constraintKind(l, r.from)
		if up := (ddl.RenameConstraint{Table: tn, Kind: kind, From: r.from, To: r.to}); len(ddl.Render(p.d, up)) > 0 {
			p.add(phRename, ops{up}, ops{ddl.RenameConstraint{Table: tn, Kind: kind, From: r.to, To: r.from}})
		} else if def, want := constraintDef(td.orig, r.from), constraintDef(ds, r.to); def != "" && want != "" {
			// No RENAME CONSTRAINT (MySQL's foreign keys): drop it and add
			// it again under the new name (the live definition names the
			// tables as they were, the desired one as they become).
			p.addLate(phDropFK, ops{drop(kind, r.from)}, nil, ops{ddl.AddConstraint{Table: otn, Name: r.from, Def: def}})
			p.add(phAddFK, ops{ddl.AddConstraint{Table: tn, Name: r.to, Def: want}}, ops{drop(kind, r.to)})
		} else {
			continue // a primary key's name MySQL does not keep
		}
		p.change("rename constraint %s to %s on %s", r.from, r.to, t.Name)
	}
	for _, f := range td.dropF {
		p.addLate(phDropFK, ops{drop(dialect.ForeignKeyConstraint, f.Name)}, nil, ops{ddl.AddConstraint{Table: otn, Name: f.Name, Def: f.Def}})
		p.change("drop foreign key %s on %s", f.Name, t.Name)
	}
	for _, u := range td.dropU {
		p.addLate(phDropIndex, ops{drop(dialect.UniqueConstraint, u.Name)}, nil, ops{ddl.AddConstraint{Table: otn, Name: u.Name, Def: u.Def}})
		p.change("drop unique constraint %s on %s", u.Name, t.Name)
	}
	if td.pkDiff && l.PrimaryKey != nil {
		p.addLate(phDropIndex, ops{drop(dialect.PrimaryKeyConstraint, l.PrimaryKey.Name)}, nil,
			ops{ddl.AddConstraint{Table: otn, Name: l.PrimaryKey.Name, Def: l.PrimaryKey.Def}})
	}
	for _, a := range td.added {
		c := t.ColumnByName(a)
		if !c.Nullable && c.ServerDefault == "" && !c.AutoIncrement {
			p.note("%s.%s is NOT NULL without a server default: adding it fails if %s has rows", t.Name, a, t.Name)
		}
		p.add(phColumns, ops{ddl.AddColumn{Table: tn, Column: c}}, ops{ddl.DropColumn{Table: tn, Column: a}})
		p.change("add column %s.%s", t.Name, a)
	}
	// A dialect that redefines a column whole (MySQL's MODIFY COLUMN)
	// renders ModifyColumn; the standard SQL alters each part.
	modify := len(ddl.Render(p.d, ddl.ModifyColumn{Table: tn, Column: &dialect.ColumnSchema{Name: "x", Type: "x"}})) > 0
	for _, c := range td.changed {
		lc, dc := l.Column(c.name), ds.Column(c.name)
		if modify {
			p.modifyColumn(tn, c, lc, dc)
			continue
		}
		if c.typ {
			p.typeChange(t.Name, c, lc.Type, dc.Type)
		}
		if c.null {
			set, unset := ddl.SetNotNull{Table: tn, Column: c.name}, ddl.DropNotNull{Table: tn, Column: c.name}
			if dc.NotNull {
				p.add(phColumns, append(p.backfill(t.Name, t.Name, c.name, dc), set), ops{unset})
				p.change("make %s.%s NOT NULL", t.Name, c.name)
			} else {
				p.add(phColumns, ops{unset}, ops{set})
				p.change("make %s.%s nullable", t.Name, c.name)
			}
		}
		if c.def {
			def := func(v string) ddl.Operation {
				if v == "" {
					return ddl.DropDefault{Table: tn, Column: c.name}
				}
				return ddl.SetDefault{Table: tn, Column: c.name, Default: v}
			}
			p.add(phColumns, ops{def(dc.Default)}, ops{def(lc.Default)})
			p.change("change default of %s.%s", t.Name, c.name)
		}
	}
	// One step for the table's dropped columns, so that the down file
	// adds them back in the table's column order.
	var dropUp, dropDown ops
	for _, dr := range td.dropped {
		lc := l.Column(dr)
		dropDown = append(dropDown, ddl.Comment{Text: "WARNING: column " + t.Name + "." + dr + " is re-added without its data"})
		if lc.SerialOwned { // dropping the column dropped its sequence
			dropDown = append(dropDown, ddl.CreateSequence{Name: lc.Serial})
		}
		dropDown = append(dropDown, ddl.RestoreColumn{Table: tn, Column: lc})
		if lc.SerialOwned {
			dropDown = append(dropDown, ddl.SequenceOwnedBy{Sequence: lc.Serial, Table: t.Name, Column: dr})
		}
		dropUp = append(dropUp, ddl.DropColumn{Table: tn, Column: dr})
		p.change("drop column %s.%s", t.Name, dr)
	}
	if len(dropUp) > 0 {
		p.add(phDropColumn, dropUp, dropDown)
	}
	if td.pkDiff {
		p.add(phAddIndex, ops{ddl.AddPrimaryKey{Table: tn, Name: t.PKName, Columns: meta.ColumnNames(t.PrimaryKey)}},
			ops{drop(dialect.PrimaryKeyConstraint, t.PKName)})
		p.change("change primary key of %s", t.Name)
	}
	for _, u := range td.addU {
		p.add(phAddIndex, ops{ddl.AddUnique{Table: tn, Unique: u}}, ops{drop(dialect.UniqueConstraint, u.Name)})
		p.change("add unique constraint %s on %s", u.Name, t.Name)
	}
	p.indexSteps(td)
	for _, f := range td.addF {
		if f == nil {
			continue
		}
		p.add(phAddFK, ops{ddl.AddForeignKey{Table: tn, ForeignKey: f}}, ops{drop(dialect.ForeignKeyConstraint, f.Name)})
		p.change("add foreign key %s on %s", f.Name, t.Name)
	}
}

// typeChange plans ALTER COLUMN ... TYPE both ways (PostgreSQL, which
// renders a USING cast where it has no assignment cast, so a value that
// does not fit the new type fails the statement instead of being cut).
// Every narrowing, up or down, gets a WARNING comment and a note; a down
// file that would round or cut data silently is written only with
// AllowDrop (the up widened, so the up itself needed no permission).
func (p *planner) typeChange(table string, c colChange, from, to string) {
	up := ops{ddl.AlterColumnType{Table: table, Column: c.name, From: from, To: to}}
	if c.narrowing {
		up = append(ops{narrowingWarning(table, c.name, from, to)}, up...)
		p.note("WARNING: %s.%s narrows from %s to %s (up file)", table, c.name, from, to)
	}
	back := ddl.AlterColumnType{Table: table, Column: c.name, From: to, To: from}
	down := ops{back}
	if !widens(to, from) {
		switch {
		case failsCleanly(to, from) || p.opts.AllowDrop:
			down = ops{narrowingWarning(table, c.name, to, from), back}
			p.note("WARNING: the down file narrows %s.%s back from %s to %s", table, c.name, to, from)
		default:
			down = ops{skippedDown(back)}
			p.note("WARNING: the down file leaves %s.%s as %s: changing it back to %s may lose data (diff with --allow-drop to write it)",
				table, c.name, to, from)
		}
	}
	p.add(phColumns, up, down)
	p.change("change type of %s.%s from %s to %s", table, c.name, from, to)
}

// skippedDown is a down step written commented out: it may round or cut
// data, and AllowDrop was not given.
func skippedDown(op ddl.Operation) ddl.Operation {
	return ddl.Commented{Prefix: "SKIPPED (needs --allow-drop; it may round or cut data): ", Op: op}
}

// backfill is what goes before a column becomes NOT NULL: an UPDATE that
// gives its NULLs the column's default, or, without a default, a note and
// a commented placeholder to fill in. tableName and colName are the names
// at that point of the file.
func (p *planner) backfill(table, tableName, colName string, dc *dialect.ColumnSchema) ops {
	if dc.AutoGenerated() {
		return nil
	}
	if dc.Default != "" {
		return ops{ddl.Backfill{Table: tableName, Column: colName, Value: dc.Default}}
	}
	p.note("%s.%s becomes NOT NULL and has no default: rows where it is NULL make the migration fail; fill them in the placeholder UPDATE of the up file",
		table, dc.Name)
	return ops{
		ddl.Comment{Text: "NOTE: " + table + "." + dc.Name + " becomes NOT NULL and has no default; give its NULL rows a value first:"},
		ddl.Commented{Op: ddl.Backfill{Table: tableName, Column: colName, Value: "<value>"}},
	}
}

// constraintKind is the kind of the live constraint called name.
func constraintKind(l *dialect.TableSchema, name string) dialect.ConstraintKind {
	for _, f := range l.ForeignKeys {
		if f.Name == name {
			return dialect.ForeignKeyConstraint
		}
	}
	for _, u := range l.Uniques {
		if u.Name == name {
			return dialect.UniqueConstraint
		}
	}
	if l.PrimaryKey != nil && l.PrimaryKey.Name == name {
		return dialect.PrimaryKeyConstraint
	}
	return dialect.CheckConstraint
}

// constraintDef is the definition of the live foreign key or unique
// constraint called name ("" for the primary key, which is never renamed
// by dropping it).
func constraintDef(l *dialect.TableSchema, name string) string {
	for _, f := range l.ForeignKeys {
		if f.Name == name {
			return f.Def
		}
	}
	for _, u := range l.Uniques {
		if u.Name == name {
			return u.Def
		}
	}
	return ""
}

// modifyColumn plans a column change as the dialect's whole-column
// redefinition (MySQL's MODIFY COLUMN): up, the live column with what
// changed taken from the models (a narrowing type change skipped without
// AllowDrop keeps the live type); down, the live column as it is.
// Narrowings get the same WARNING comments and notes as on PostgreSQL;
// MySQL in strict mode (Arc's sql_mode) refuses a value that does not
// fit a shorter string or a smaller integer, and rounds decimals.
func (p *planner) modifyColumn(table string, c colChange, lc, dc *dialect.ColumnSchema) {
	if !c.typ && !c.null && !c.def {
		// Only identity/autoincrement differs, which Arc notes and does not
		// change: a MODIFY COLUMN of the live definition would be a no-op.
		return
	}
	want := *lc
	var up, down ops
	skipDown := false
	if c.typ {
		// The models' default goes with their type (MariaDB refuses
		// current_timestamp(6) on a column of another precision).
		want.Type, want.Default = dc.Type, dc.Default
		if c.narrowing {
			up = append(up, narrowingWarning(table, c.name, lc.Type, dc.Type))
			p.note("WARNING: %s.%s narrows from %s to %s (up file)", table, c.name, lc.Type, dc.Type)
		}
		if !widens(dc.Type, lc.Type) {
			if failsCleanly(dc.Type, lc.Type) || p.opts.AllowDrop {
				down = append(down, narrowingWarning(table, c.name, dc.Type, lc.Type))
				p.note("WARNING: the down file narrows %s.%s back from %s to %s", table, c.name, dc.Type, lc.Type)
			} else {
				skipDown = true
				p.note("WARNING: the down file leaves %s.%s as %s: changing it back to %s may lose data (diff with --allow-drop to write it)",
					table, c.name, dc.Type, lc.Type)
			}
		}
		p.change("change type of %s.%s from %s to %s", table, c.name, lc.Type, dc.Type)
	}
	if c.null {
		want.NotNull = dc.NotNull
		if dc.NotNull {
			up = append(up, p.backfill(table, table, c.name, dc)...)
			p.change("make %s.%s NOT NULL", table, c.name)
		} else {
			p.change("make %s.%s nullable", table, c.name)
		}
	}
	if c.def {
		want.Default = dc.Default
		p.change("change default of %s.%s", table, c.name)
	}
	up = append(up, ddl.ModifyColumn{Table: table, Column: &want})
	back := ddl.ModifyColumn{Table: table, Column: lc}
	if skipDown {
		// The other changes of the column are undone only with the type.
		down = append(down, skippedDown(back))
	} else {
		down = append(down, back)
	}
	p.add(phColumns, up, down)
}

package migrate

import (
	"fmt"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/meta"
)

// alterTable writes ALTER TABLE statements (PostgreSQL).
func (p *planner) alterTable(td *tableDiff) {
	t, l, ds := td.t, td.l, td.ds
	tn := "ALTER TABLE " + p.q(t.Name) + " "
	// The late (after renames are undone) statements name the table as it was.
	otn := "ALTER TABLE " + p.q(td.orig.Name) + " "
	for _, r := range td.colRen {
		p.add(phRename, []string{tn + "RENAME COLUMN " + p.q(r[0]) + " TO " + p.q(r[1])},
			[]string{tn + "RENAME COLUMN " + p.q(r[1]) + " TO " + p.q(r[0])})
		p.change("rename column %s.%s to %s", t.Name, r[0], r[1])
	}
	drop := func(kind dialect.ConstraintKind, name string) string {
		return dialect.DropConstraintClause(p.d, kind, name)
	}
	for _, r := range td.renamed {
		if r.kind != "constraint" {
			continue
		}
		kind := constraintKind(l, r.from)
		if up := dialect.RenameConstraintClause(p.d, kind, r.from, r.to); up != "" {
			p.add(phRename, []string{tn + up}, []string{tn + dialect.RenameConstraintClause(p.d, kind, r.to, r.from)})
		} else if def, want := constraintDef(td.orig, r.from), constraintDef(ds, r.to); def != "" && want != "" {
			// No RENAME CONSTRAINT (MySQL's foreign keys): drop it and add
			// it again under the new name (the live definition names the
			// tables as they were, the desired one as they become).
			p.addLate(phDropFK, []string{tn + drop(kind, r.from)}, nil, []string{otn + "ADD CONSTRAINT " + p.q(r.from) + " " + def})
			p.add(phAddFK, []string{tn + "ADD CONSTRAINT " + p.q(r.to) + " " + want}, []string{tn + drop(kind, r.to)})
		} else {
			continue // a primary key's name MySQL does not keep
		}
		p.change("rename constraint %s to %s on %s", r.from, r.to, t.Name)
	}
	for _, f := range td.dropF {
		p.addLate(phDropFK, []string{tn + drop(dialect.ForeignKeyConstraint, f.Name)}, nil, []string{otn + "ADD CONSTRAINT " + p.q(f.Name) + " " + f.Def})
		p.change("drop foreign key %s on %s", f.Name, t.Name)
	}
	for _, u := range td.dropU {
		p.addLate(phDropIndex, []string{tn + drop(dialect.UniqueConstraint, u.Name)}, nil, []string{otn + "ADD CONSTRAINT " + p.q(u.Name) + " " + u.Def})
		p.change("drop unique constraint %s on %s", u.Name, t.Name)
	}
	if td.pkDiff && l.PrimaryKey != nil {
		p.addLate(phDropIndex, []string{tn + drop(dialect.PrimaryKeyConstraint, l.PrimaryKey.Name)}, nil,
			[]string{otn + "ADD CONSTRAINT " + p.q(l.PrimaryKey.Name) + " " + l.PrimaryKey.Def})
	}
	for _, a := range td.added {
		c := t.ColumnByName(a)
		if !c.Nullable && c.ServerDefault == "" && !c.AutoIncrement {
			p.note("%s.%s is NOT NULL without a server default: adding it fails if %s has rows", t.Name, a, t.Name)
		}
		p.add(phColumns, []string{tn + "ADD COLUMN " + dialect.ColumnDef(p.d, c)}, []string{tn + "DROP COLUMN " + p.q(a)})
		p.change("add column %s.%s", t.Name, a)
	}
	for _, c := range td.changed {
		lc, dc := l.Column(c.name), ds.Column(c.name)
		if aw, ok := p.d.(dialect.AlterWriter); ok && aw.ModifyColumn("x") != "" {
			p.modifyColumn(aw, tn, t.Name, c, lc, dc)
			continue
		}
		col := tn + "ALTER COLUMN " + p.q(c.name) + " "
		if c.typ {
			p.typeChange(t.Name, c, col, lc.Type, dc.Type)
		}
		if c.null {
			set, unset := col+"SET NOT NULL", col+"DROP NOT NULL"
			if dc.NotNull {
				p.add(phColumns, append(p.backfill(t.Name, t.Name, c.name, dc), set), []string{unset})
				p.change("make %s.%s NOT NULL", t.Name, c.name)
			} else {
				p.add(phColumns, []string{unset}, []string{set})
				p.change("make %s.%s nullable", t.Name, c.name)
			}
		}
		if c.def {
			def := func(v string) string {
				if v == "" {
					return col + "DROP DEFAULT"
				}
				return col + "SET DEFAULT " + v
			}
			p.add(phColumns, []string{def(dc.Default)}, []string{def(lc.Default)})
			p.change("change default of %s.%s", t.Name, c.name)
		}
	}
	for _, dr := range td.dropped {
		lc := l.Column(dr)
		down := []string{"-- WARNING: column " + t.Name + "." + dr + " is re-added without its data"}
		if lc.SerialOwned { // dropping the column dropped its sequence
			down = append(down, "CREATE SEQUENCE IF NOT EXISTS "+lc.Serial)
		}
		down = append(down, tn+"ADD COLUMN "+p.liveColumnDef(lc))
		if lc.SerialOwned {
			down = append(down, "ALTER SEQUENCE "+lc.Serial+" OWNED BY "+p.q(t.Name)+"."+p.q(dr))
		}
		p.add(phDropColumn, []string{tn + "DROP COLUMN " + p.q(dr)}, down)
		p.change("drop column %s.%s", t.Name, dr)
	}
	if td.pkDiff {
		p.add(phAddIndex, []string{tn + "ADD CONSTRAINT " + p.q(t.PKName) + " PRIMARY KEY (" + dialect.IdentList(p.d, meta.ColumnNames(t.PrimaryKey)) + ")"},
			[]string{tn + drop(dialect.PrimaryKeyConstraint, t.PKName)})
		p.change("change primary key of %s", t.Name)
	}
	for _, u := range td.addU {
		p.add(phAddIndex, []string{tn + "ADD " + dialect.UniqueDef(p.d, u)}, []string{tn + drop(dialect.UniqueConstraint, u.Name)})
		p.change("add unique constraint %s on %s", u.Name, t.Name)
	}
	p.indexSteps(td)
	for _, f := range td.addF {
		if f == nil {
			continue
		}
		p.add(phAddFK, []string{tn + "ADD " + dialect.ForeignKeyDef(p.d, f)}, []string{tn + drop(dialect.ForeignKeyConstraint, f.Name)})
		p.change("add foreign key %s on %s", f.Name, t.Name)
	}
}

// typeChange writes ALTER COLUMN ... TYPE both ways (PostgreSQL). There
// is no USING cast where PostgreSQL has an assignment cast, so a value
// that does not fit the new type fails the statement instead of being
// cut (an explicit ::varchar(50) truncates). Every narrowing, up or down,
// gets a WARNING comment and a note; a down file that would round or cut
// data silently is written only with AllowDrop (the up widened, so the
// up itself needed no permission).
func (p *planner) typeChange(table string, c colChange, col, from, to string) {
	qc := p.q(c.name)
	up := []string{col + "TYPE " + to + pgUsing(qc, from, to)}
	if c.narrowing {
		up = append([]string{narrowingWarning(table, c.name, from, to)}, up...)
		p.note("WARNING: %s.%s narrows from %s to %s (up file)", table, c.name, from, to)
	}
	back := col + "TYPE " + from + pgUsing(qc, to, from)
	down := []string{back}
	if !widens(to, from) {
		switch {
		case failsCleanly(to, from) || p.opts.AllowDrop:
			down = []string{narrowingWarning(table, c.name, to, from), back}
			p.note("WARNING: the down file narrows %s.%s back from %s to %s", table, c.name, to, from)
		default:
			down = []string{"-- SKIPPED (needs --allow-drop; it may round or cut data): " + back + ";"}
			p.note("WARNING: the down file leaves %s.%s as %s: changing it back to %s may lose data (diff with --allow-drop to write it)",
				table, c.name, to, from)
		}
	}
	p.add(phColumns, up, down)
	p.change("change type of %s.%s from %s to %s", table, c.name, from, to)
}

// backfill is what goes before a column becomes NOT NULL: an UPDATE that
// gives its NULLs the column's default, or, without a default, a note and
// a commented placeholder to fill in. tableName and colName are the names
// at that point of the file.
func (p *planner) backfill(table, tableName, colName string, dc *dialect.ColumnSchema) []string {
	if dc.AutoGenerated() {
		return nil
	}
	upd := "UPDATE " + p.q(tableName) + " SET " + p.q(colName) + " = %s WHERE " + p.q(colName) + " IS NULL"
	if dc.Default != "" {
		return []string{fmt.Sprintf(upd, dc.Default)}
	}
	p.note("%s.%s becomes NOT NULL and has no default: rows where it is NULL make the migration fail; fill them in the placeholder UPDATE of the up file",
		table, dc.Name)
	return []string{
		"-- NOTE: " + table + "." + dc.Name + " becomes NOT NULL and has no default; give its NULL rows a value first:",
		"-- " + fmt.Sprintf(upd, "<value>") + ";",
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

// modifyColumn writes a column change as the dialect's whole-column
// redefinition (MySQL's MODIFY COLUMN): up, the live column with what
// changed taken from the models (a narrowing type change skipped without
// AllowDrop keeps the live type); down, the live column as it is.
// Narrowings get the same WARNING comments and notes as on PostgreSQL;
// MySQL in strict mode (Arc's sql_mode) refuses a value that does not
// fit a shorter string or a smaller integer, and rounds decimals.
func (p *planner) modifyColumn(aw dialect.AlterWriter, tn, table string, c colChange, lc, dc *dialect.ColumnSchema) {
	want := *lc
	var up, down []string
	skipDown := false
	if c.typ {
		want.Type = dc.Type
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
	up = append(up, tn+aw.ModifyColumn(p.liveColumnDef(&want)))
	back := tn + aw.ModifyColumn(p.liveColumnDef(lc))
	if skipDown {
		// The other changes of the column are undone only with the type.
		down = append(down, "-- SKIPPED (needs --allow-drop; it may round or cut data): "+back+";")
	} else {
		down = append(down, back)
	}
	p.add(phColumns, up, down)
}

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
	for _, r := range td.renamed {
		if r.kind == "constraint" {
			p.add(phRename, []string{tn + "RENAME CONSTRAINT " + p.q(r.from) + " TO " + p.q(r.to)},
				[]string{tn + "RENAME CONSTRAINT " + p.q(r.to) + " TO " + p.q(r.from)})
			p.change("rename constraint %s to %s on %s", r.from, r.to, t.Name)
		}
	}
	for _, f := range td.dropF {
		p.addLate(phDropFK, []string{tn + "DROP CONSTRAINT " + p.q(f.Name)}, nil, []string{otn + "ADD CONSTRAINT " + p.q(f.Name) + " " + f.Def})
		p.change("drop foreign key %s on %s", f.Name, t.Name)
	}
	for _, u := range td.dropU {
		p.addLate(phDropIndex, []string{tn + "DROP CONSTRAINT " + p.q(u.Name)}, nil, []string{otn + "ADD CONSTRAINT " + p.q(u.Name) + " " + u.Def})
		p.change("drop unique constraint %s on %s", u.Name, t.Name)
	}
	if td.pkDiff && l.PrimaryKey != nil {
		p.addLate(phDropIndex, []string{tn + "DROP CONSTRAINT " + p.q(l.PrimaryKey.Name)}, nil,
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
			[]string{tn + "DROP CONSTRAINT " + p.q(t.PKName)})
		p.change("change primary key of %s", t.Name)
	}
	for _, u := range td.addU {
		p.add(phAddIndex, []string{tn + "ADD " + dialect.UniqueDef(p.d, u)}, []string{tn + "DROP CONSTRAINT " + p.q(u.Name)})
		p.change("add unique constraint %s on %s", u.Name, t.Name)
	}
	p.indexSteps(td)
	for _, f := range td.addF {
		if f == nil {
			continue
		}
		p.add(phAddFK, []string{tn + "ADD " + dialect.ForeignKeyDef(p.d, f)}, []string{tn + "DROP CONSTRAINT " + p.q(f.Name)})
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

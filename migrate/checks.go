package migrate

import (
	"strings"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/meta"
)

// checksOf returns a table's named CHECK constraints by name: the
// inspector's (PostgreSQL), or those parsed from the CREATE TABLE text
// SQLite keeps (Arc writes each as CONSTRAINT name CHECK (expr)).
func checksOf(t *dialect.TableSchema) map[string]string {
	out := map[string]string{}
	for _, c := range t.Checks {
		out[c.Name] = c.Def
	}
	if len(t.Checks) > 0 || t.DDL == "" {
		return out
	}
	ddl := t.DDL
	upper := strings.ToUpper(ddl)
	for i := 0; ; {
		j := strings.Index(upper[i:], "CONSTRAINT ")
		if j < 0 {
			break
		}
		i += j + len("CONSTRAINT ")
		name, rest := sqlIdent(ddl[i:])
		if name == "" {
			continue
		}
		k := len(ddl) - len(rest)
		after := strings.TrimLeft(upper[k:], " \t\n")
		if !strings.HasPrefix(after, "CHECK") {
			continue
		}
		open := strings.IndexByte(ddl[k:], '(')
		if open < 0 {
			break
		}
		start := k + open
		if end := closing(ddl, start); end > start {
			out[name] = "CHECK " + ddl[start:end+1]
			i = end + 1
		}
	}
	return out
}

// sqlIdent reads an identifier, plain or double-quoted, at the start of s.
func sqlIdent(s string) (name, rest string) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] == '"' {
				if i+1 < len(s) && s[i+1] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				return b.String(), s[i+1:]
			}
			b.WriteByte(s[i])
		}
		return "", s
	}
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return s[:i], s[i:]
}

// closing returns the index of the parenthesis that closes the one at
// open, skipping string literals and quoted identifiers, or -1.
func closing(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\'', '"':
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
			}
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// checkChanges compares the live table's CHECK constraints with the
// models' (the desired schema, built by the database from the models'
// DDL, so both sides are in the database's own spelling): a check whose
// name is new, gone, or whose expression differs (an enum's value set,
// a changed check:) is dropped and added again.
func checkChanges(l, ds *dialect.TableSchema) (add, drop []*dialect.ConstraintSchema) {
	live, want := checksOf(l), checksOf(ds)
	for name, def := range want {
		if ld, ok := live[name]; !ok || normSQL(ld) != normSQL(def) {
			add = append(add, &dialect.ConstraintSchema{Name: name, Def: def})
		}
	}
	for name, def := range live {
		if wd, ok := want[name]; !ok || normSQL(wd) != normSQL(def) {
			drop = append(drop, &dialect.ConstraintSchema{Name: name, Def: def})
		}
	}
	sortByName(add)
	sortByName(drop)
	return add, drop
}

func normSQL(s string) string { return strings.Join(strings.Fields(s), " ") }

func sortByName(cs []*dialect.ConstraintSchema) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].Name < cs[j-1].Name; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// checkSteps plans the operations for changed checks on a dialect that
// alters tables in place; SQLite rebuilds the table instead. An added
// check is written from the model's expression: PostgreSQL's own
// spelling of it does not always read back the same.
func (p *planner) checkSteps(t *meta.Table, add, drop []*dialect.ConstraintSchema) {
	table := t.Name
	for _, c := range drop {
		p.add(phDropIndex, ops{ddl.DropConstraint{Table: table, Kind: dialect.CheckConstraint, Name: c.Name}},
			ops{ddl.AddConstraint{Table: table, Name: c.Name, Def: c.Def}})
		p.change("drop check constraint %s on %s", c.Name, table)
	}
	for _, c := range add {
		var up ddl.Operation = ddl.AddConstraint{Table: table, Name: c.Name, Def: c.Def}
		for _, mc := range t.Checks {
			if mc.Name == c.Name {
				up = ddl.AddCheck{Table: table, Name: c.Name, Expr: mc.Expr}
			}
		}
		p.add(phAddIndex, ops{up}, ops{ddl.DropConstraint{Table: table, Kind: dialect.CheckConstraint, Name: c.Name}})
		p.change("add check constraint %s on %s", c.Name, table)
	}
}

// checkChangeNotes lists the changed checks of a table SQLite rebuilds.
func (p *planner) checkChangeNotes(table string, add, drop []*dialect.ConstraintSchema) {
	dropped := map[string]bool{}
	for _, c := range drop {
		dropped[c.Name] = true
	}
	for _, c := range add {
		if dropped[c.Name] {
			p.change("change check constraint %s on %s", c.Name, table)
			delete(dropped, c.Name)
		} else {
			p.change("add check constraint %s on %s", c.Name, table)
		}
	}
	for _, c := range drop {
		if dropped[c.Name] {
			p.change("drop check constraint %s on %s", c.Name, table)
		}
	}
}

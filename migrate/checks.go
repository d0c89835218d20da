package migrate

import (
	"strconv"
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
	defer unnamedChecks(t.Name, ddl, out)
	upper := upperASCII(ddl) // indexes into upper are indexes into ddl
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

// unnamedChecks adds to out the CHECK constraints of a CREATE TABLE text
// that have no name — a table constraint "CHECK (expr)" or a column's
// "col T CHECK (expr)" in a table Arc did not create — under the names
// PostgreSQL would give them: <table>_<column>_check and <table>_check,
// numbered from 1 when one repeats. Without them a SQLite rebuild, which
// writes the table anew, dropped them silently; with them the diff keeps
// them (and reports them as not in the models) as on the other dialects.
func unnamedChecks(table, ddl string, out map[string]string) {
	open := strings.IndexByte(ddl, '(')
	if open < 0 {
		return
	}
	end := closing(ddl, open)
	if end < 0 {
		return
	}
	for _, def := range splitTop(ddl[open+1 : end]) {
		words := 0
		var first, prev, prev2 string
		for i := 0; i < len(def); i++ {
			switch c := def[i]; {
			case c == '\'' || c == '"' || c == '`' || c == '[':
				j := dialect.SkipQuoted(def, i) // just past the closing quote
				if c == '[' {                   // SQLite's [name], which SkipQuoted does not know
					j = len(def)
					if k := strings.IndexByte(def[i:], ']'); k >= 0 {
						j = i + k + 1
					}
				}
				word := def[i:j]
				if words == 0 && c != '\'' {
					first, _ = sqlIdent(strings.Trim(word, "`[]"))
					if c == '"' {
						first, _ = sqlIdent(word)
					}
				}
				prev2, prev = prev, word
				words++
				i = j - 1
			case c == '(':
				k := closing(def, i)
				if k < 0 {
					return
				}
				if strings.EqualFold(prev, "CHECK") && !strings.EqualFold(prev2, "CONSTRAINT") && !isConstraintName(def[:i]) {
					name := table + "_check"
					if !strings.EqualFold(first, "CHECK") && !strings.EqualFold(first, "CONSTRAINT") {
						name = table + "_" + first + "_check"
					}
					base := name
					for n := 1; out[name] != ""; n++ {
						name = base + strconv.Itoa(n)
					}
					out[name] = "CHECK " + def[i:k+1]
				}
				prev2, prev = prev, def[i:k+1]
				i = k
			case identByte(c):
				j := i
				for j < len(def) && identByte(def[j]) {
					j++
				}
				if words == 0 {
					first = def[i:j]
				}
				prev2, prev = prev, def[i:j]
				words++
				i = j - 1
			}
		}
	}
}

// isConstraintName reports whether the text before a CHECK's parenthesis
// ends with "CONSTRAINT name CHECK" (a named check, read by checksOf).
func isConstraintName(before string) bool {
	f := strings.Fields(strings.ToUpper(before))
	return len(f) >= 3 && f[len(f)-1] == "CHECK" && f[len(f)-3] == "CONSTRAINT"
}

// splitTop splits a table's definition list at its top-level commas
// (outside parentheses and quotes).
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'', '"', '`':
			i = dialect.SkipQuoted(s, i) - 1
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
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
	for i < len(s) && identByte(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// upperASCII is s with a–z in upper case and every other byte as it is,
// so that its indexes are s's: strings.ToUpper changes the length of
// invalid UTF-8 (each bad byte becomes a 3-byte U+FFFD) and of some
// letters (ſ becomes S).
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// identByte reports whether c may stand in an unquoted identifier.
func identByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
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

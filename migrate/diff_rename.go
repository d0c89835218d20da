package migrate

import (
	"fmt"
	"strings"

	"github.com/arcorm/arc/dialect"
)

// Rename tells Diff that a live table or column is the one the models
// call To: Diff then writes ALTER TABLE ... RENAME instead of a drop and
// an add, and keeps the data. Diff never guesses renames; it notes the
// likely ones.
type Rename struct {
	// Table is the column's table (its live or its model name) for a
	// column rename, "" for a table rename.
	Table string
	// From is the live name, To the models' name.
	From, To string
}

func (r Rename) String() string {
	if r.Table == "" {
		return r.From + "=" + r.To
	}
	return r.Table + "." + r.From + "=" + r.To
}

// ParseRename reads arctl's --rename value: "users.name=display_name"
// renames a column (the right side may repeat the table:
// "users.name=users.display_name"), "old_table=new_table" a table.
func ParseRename(s string) (Rename, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "=")
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	bad := fmt.Errorf("arc: rename %q: want table.column=new_column or table=new_table", s)
	if !ok || from == "" || to == "" {
		return Rename{}, bad
	}
	table, col, isCol := strings.Cut(from, ".")
	if !isCol {
		if strings.Contains(to, ".") {
			return Rename{}, bad
		}
		return Rename{From: from, To: to}, nil
	}
	if t2, c2, ok := strings.Cut(to, "."); ok {
		if t2 != table {
			return Rename{}, fmt.Errorf("arc: rename %q: a column keeps its table (rename the table separately)", s)
		}
		to = c2
	}
	if table == "" || col == "" || to == "" || strings.Contains(to, ".") {
		return Rename{}, bad
	}
	return Rename{Table: table, From: col, To: to}, nil
}

// renames is the resolved set of Rename options: live names to model
// names, by table and by column.
type renames struct {
	table map[string]string            // live table -> model table
	col   map[string]map[string]string // model table -> live column -> model column
	back  map[string]map[string]string // model table -> model column -> live column
}

func (r *renames) tableName(live string) string {
	if n, ok := r.table[live]; ok {
		return n
	}
	return live
}

// colName maps a live column of the live table to its model name.
func (r *renames) colName(liveTable, col string) string {
	if n, ok := r.col[r.tableName(liveTable)][col]; ok {
		return n
	}
	return col
}

// liveCol maps a model column of a model table to its live name.
func (r *renames) liveCol(table, col string) string {
	if n, ok := r.back[table][col]; ok {
		return n
	}
	return col
}

// resolveRenames checks the options against both schemas.
func resolveRenames(opts []Rename, live, desired map[string]*dialect.TableSchema) (*renames, error) {
	r := &renames{table: map[string]string{}, col: map[string]map[string]string{}, back: map[string]map[string]string{}}
	for _, o := range opts {
		if o.Table != "" {
			continue
		}
		switch {
		case live[o.From] == nil:
			return nil, fmt.Errorf("arc: diff: rename %s: the database has no table %s", o, o.From)
		case desired[o.To] == nil:
			return nil, fmt.Errorf("arc: diff: rename %s: the models have no table %s", o, o.To)
		case live[o.To] != nil:
			return nil, fmt.Errorf("arc: diff: rename %s: the database already has a table %s", o, o.To)
		case desired[o.From] != nil:
			return nil, fmt.Errorf("arc: diff: rename %s: the models still have a table %s", o, o.From)
		}
		r.table[o.From] = o.To
	}
	for _, o := range opts {
		if o.Table == "" {
			continue
		}
		model, liveName := o.Table, o.Table
		if n, ok := r.table[o.Table]; ok {
			model = n
		} else {
			for l, m := range r.table {
				if m == o.Table {
					liveName = l
				}
			}
		}
		lt, dt := live[liveName], desired[model]
		switch {
		case lt == nil || dt == nil:
			return nil, fmt.Errorf("arc: diff: rename %s: no table %s in both the database and the models", o, o.Table)
		case lt.Column(o.From) == nil:
			return nil, fmt.Errorf("arc: diff: rename %s: table %s has no column %s", o, liveName, o.From)
		case dt.Column(o.To) == nil:
			return nil, fmt.Errorf("arc: diff: rename %s: the model of %s has no column %s", o, model, o.To)
		case lt.Column(o.To) != nil:
			return nil, fmt.Errorf("arc: diff: rename %s: table %s already has a column %s", o, liveName, o.To)
		case dt.Column(o.From) != nil:
			return nil, fmt.Errorf("arc: diff: rename %s: the model of %s still has a column %s", o, model, o.From)
		}
		if r.col[model] == nil {
			r.col[model], r.back[model] = map[string]string{}, map[string]string{}
		}
		r.col[model][o.From] = o.To
		r.back[model][o.To] = o.From
	}
	return r, nil
}

// renamed is the live table as it looks after the renames: its name and
// the names of its columns (and those its constraints, indexes and
// foreign keys list) are the models'. Definitions (Def, DDL) keep the
// live text: they are used by the down file after the renames are undone.
func (r *renames) renamed(l *dialect.TableSchema) *dialect.TableSchema {
	if len(r.table) == 0 && len(r.col) == 0 {
		return l
	}
	n := *l
	n.Name = r.tableName(l.Name)
	cols := func(cs []string) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = r.colName(l.Name, c)
		}
		return out
	}
	n.Columns = nil
	for _, c := range l.Columns {
		cc := *c
		cc.Name = r.colName(l.Name, c.Name)
		n.Columns = append(n.Columns, &cc)
	}
	cons := func(c *dialect.ConstraintSchema) *dialect.ConstraintSchema {
		cc := *c
		cc.Columns = cols(c.Columns)
		return &cc
	}
	if l.PrimaryKey != nil {
		n.PrimaryKey = cons(l.PrimaryKey)
	}
	n.Uniques, n.Checks, n.Indexes, n.ForeignKeys = nil, nil, nil, nil
	for _, u := range l.Uniques {
		n.Uniques = append(n.Uniques, cons(u))
	}
	for _, c := range l.Checks {
		n.Checks = append(n.Checks, cons(c))
	}
	for _, ix := range l.Indexes {
		cc := *ix
		cc.Columns = cols(ix.Columns)
		n.Indexes = append(n.Indexes, &cc)
	}
	for _, f := range l.ForeignKeys {
		cc := *f
		cc.Columns = cols(f.Columns)
		cc.RefTable = r.tableName(f.RefTable)
		cc.RefColumns = make([]string, len(f.RefColumns))
		for i, c := range f.RefColumns {
			cc.RefColumns[i] = r.colName(f.RefTable, c)
		}
		n.ForeignKeys = append(n.ForeignKeys, &cc)
	}
	return &n
}

package meta

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/internal/toposort"
)

// MetaData is a registry of tables: SQLAlchemy's MetaData. It resolves
// foreign keys by table name, checks that they point at existing columns,
// and orders the tables so that every table follows the tables it refers
// to. A MetaData is built once and then read concurrently; Add is not safe
// to call concurrently with readers.
type MetaData struct {
	tables []*Table
	byName map[string]*Table
	byType map[reflect.Type]*Table
	sorted []*Table
	cycles [][]*Table
}

// NewMetaData registers the given models (struct values, pointers to them,
// or reflect.Types) and resolves their foreign keys.
func NewMetaData(models ...any) (*MetaData, error) {
	md := &MetaData{byName: map[string]*Table{}, byType: map[reflect.Type]*Table{}}
	if err := md.Add(models...); err != nil {
		return nil, err
	}
	return md, nil
}

// Add registers more models and re-resolves the registry. Models already
// present are ignored. Related models reached through relationship fields
// are added too, so registering User brings in Address.
func (md *MetaData) Add(models ...any) error {
	for _, m := range models {
		t, err := TableOfValue(m)
		if err != nil {
			return err
		}
		if err := md.addTable(t); err != nil {
			return err
		}
	}
	if err := md.addSecondaries(); err != nil {
		return err
	}
	return md.resolve()
}

// addSecondaries resolves every relationship of the registered models (a
// bad relationship is an error at registration) and registers the
// association tables they synthesized (secondary.go). When a model of this
// registry maps such a table, the model stays, checked against the
// relationship's columns.
func (md *MetaData) addSecondaries() error {
	models := slices.DeleteFunc(slices.Clone(md.tables), (*Table).Synthesized)
	for _, t := range models {
		for _, rf := range t.Relations {
			r, err := Resolve(rf)
			if err != nil {
				return err
			}
			st := r.Secondary
			if st == nil || !st.synth {
				continue
			}
			if m := md.byName[st.Name]; m != nil {
				if m != st {
					if err := checkAssociation(m, r); err != nil {
						return err
					}
				}
				continue
			}
			md.tables = append(md.tables, st)
			md.byName[st.Name] = st
		}
	}
	return nil
}

func (md *MetaData) addTable(t *Table) error {
	if _, ok := md.byType[t.GoType]; ok {
		return nil
	}
	if other, ok := md.byName[t.Name]; ok && other.synth {
		// A model maps a table an earlier relationship synthesized: the
		// model's DDL wins (addSecondaries checks that it fits).
		md.tables = slices.DeleteFunc(md.tables, func(x *Table) bool { return x == other })
		delete(md.byName, t.Name)
	} else if ok {
		return fmt.Errorf("%w: models %s and %s both map table %q", arcerr.ErrInvalidModel, other.GoType, t.GoType, t.Name)
	}
	md.tables = append(md.tables, t)
	md.byName[t.Name] = t
	md.byType[t.GoType] = t
	for _, r := range t.Relations {
		rt, err := TableOf(r.Target)
		if err != nil {
			return fmt.Errorf("relationship %s.%s: %w", t.GoType.Name(), r.Field, err)
		}
		if err := md.addTable(rt); err != nil {
			return err
		}
	}
	return nil
}

// fkMu guards the first resolution of a foreign key's target. Tables are
// shared by every registry (Of caches them per type), so two registries
// built at once (parallel tests reading fixtures) resolve the same
// foreign key together: only the first writes, the others find the same
// target and leave it.
var fkMu sync.Mutex

func setFKTarget(fk *ForeignKey, target *Table, cols []*Column) {
	fkMu.Lock()
	defer fkMu.Unlock()
	if fk.Target != target || !slices.Equal(fk.TargetColumns, cols) {
		fk.Target, fk.TargetColumns = target, cols
	}
}

func (md *MetaData) resolve() error {
	for _, t := range md.tables {
		for _, fk := range t.ForeignKeys {
			target := md.byName[fk.RefTable]
			if target == nil {
				return &arcerr.ModelError{Model: t.GoType.String(), Field: fk.Columns[0].Field,
					Msg: fmt.Sprintf("foreign key to table %q, which no registered model maps", fk.RefTable)}
			}
			cols := make([]*Column, len(fk.RefColumns))
			for i, name := range fk.RefColumns {
				c := target.ColumnByName(name)
				if c == nil {
					return &arcerr.ModelError{Model: t.GoType.String(), Field: fk.Columns[i].Field,
						Msg: fmt.Sprintf("foreign key to %s.%s, which does not exist (model %s)", fk.RefTable, name, target.GoType)}
				}
				cols[i] = c
			}
			setFKTarget(fk, target, cols)
		}
	}
	index := map[*Table]int{}
	for i, t := range md.tables {
		index[t] = i
	}
	order, cycle, _ := toposort.Sort(len(md.tables), func(i int) []int {
		var deps []int
		for _, fk := range md.tables[i].ForeignKeys {
			deps = append(deps, index[fk.Target])
		}
		return deps
	})
	md.sorted = md.sorted[:0]
	for _, i := range order {
		md.sorted = append(md.sorted, md.tables[i])
	}
	md.cycles = nil
	if len(cycle) > 0 {
		var c []*Table
		for _, i := range cycle {
			c = append(c, md.tables[i])
		}
		md.cycles = append(md.cycles, c)
	}
	return nil
}

// Tables returns the registered tables in registration order.
func (md *MetaData) Tables() []*Table { return md.tables }

// Sorted returns the tables in foreign-key dependency order: referenced
// tables first. Tables on a foreign-key cycle keep a valid order for the
// rest; Cycles reports them.
func (md *MetaData) Sorted() []*Table { return md.sorted }

// Cycles lists groups of tables that refer to each other in a cycle.
func (md *MetaData) Cycles() [][]*Table { return md.cycles }

// Table returns the table named name, or nil.
func (md *MetaData) Table(name string) *Table { return md.byName[name] }

// TableFor returns the registered table of a Go type, or nil.
func (md *MetaData) TableFor(t reflect.Type) *Table {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return md.byType[t]
}

// String lists the tables in dependency order.
func (md *MetaData) String() string {
	names := make([]string, len(md.sorted))
	for i, t := range md.sorted {
		names[i] = t.Name
	}
	return "MetaData(" + strings.Join(names, ", ") + ")"
}

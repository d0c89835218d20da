package meta

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/arcorm/arc/arcerr"
)

// Direction is a relationship's shape, inferred from the foreign keys.
type Direction uint8

// Relationship directions.
const (
	ManyToOne  Direction = iota + 1 // the owner's table holds the FK (Address.User)
	OneToMany                       // the target's table holds the FK (User.Addresses)
	ManyToMany                      // through a secondary (association) table
)

// String names the direction ("many-to-one", ...).
func (d Direction) String() string {
	switch d {
	case ManyToOne:
		return "many-to-one"
	case OneToMany:
		return "one-to-many"
	case ManyToMany:
		return "many-to-many"
	}
	return "invalid"
}

// Cascade is a set of cascade rules (`cascade:` tag).
type Cascade uint8

// Cascade rules.
const (
	CascadeSaveUpdate Cascade = 1 << iota
	CascadeMerge
	CascadeDelete
	CascadeDeleteOrphan
	CascadeExpunge
	CascadeRefreshExpire
)

// Has reports whether every rule of x is in c.
func (c Cascade) Has(x Cascade) bool { return c&x == x }

// OrderCol is one ORDER BY item of a relationship's `order_by:`.
type OrderCol struct {
	Col  *Column
	Desc bool
}

// Relationship is a resolved relationship field: which columns join the
// two tables, the inverse field, and the options of its tag. It is built
// once per field and never changed.
type Relationship struct {
	Field  *RelationField
	Owner  *Table // the table of the struct holding the field
	Target *Table
	Dir    Direction
	// OwnerCols[i] joins TargetCols[i] (no secondary): for many-to-one the
	// owner's FK columns and the target's key; for one-to-many the owner's
	// key and the target's FK columns.
	OwnerCols  []*Column
	TargetCols []*Column
	// Many-to-many: SecOwner[i] (in Secondary) refers to OwnerRef[i], and
	// SecTarget[i] to TargetRef[i].
	Secondary            *Table
	SecOwner, SecTarget  []*Column
	OwnerRef, TargetRef  []*Column
	Back                 *RelationField // the inverse side, or nil
	OrderBy              []OrderCol
	Lazy                 string // "select" (default), "selectin", "joined", "raise", "noload", "dynamic"
	Cascade              Cascade
	PassiveDeletes       bool
	PassiveDeletesAll    bool
	backName, backrefFor string
}

// Uselist reports whether the field is a collection.
func (r *Relationship) Uselist() bool { return r.Field.Kind != RelOne }

// Name is "Model.Field", for messages.
func (r *Relationship) Name() string { return r.Owner.GoType.Name() + "." + r.Field.Field }

// FKOnOwner reports whether the owner's table holds the foreign key
// (many-to-one).
func (r *Relationship) FKOnOwner() bool { return r.Dir == ManyToOne }

type relEntry struct {
	r   *Relationship
	err error
}

var relMu sync.Mutex

// Resolve returns the resolved relationship of field rf: foreign keys
// inferred from the metadata (or named by `fk:`), the inverse side
// (`back_populates`, or `backref` declared on the other side), order,
// cascade and loading options. Errors name both models. The result is
// cached.
func Resolve(rf *RelationField) (*Relationship, error) {
	if re := rf.resolved.Load(); re != nil {
		return re.r, re.err
	}
	relMu.Lock()
	defer relMu.Unlock()
	if re := rf.resolved.Load(); re != nil {
		return re.r, re.err
	}
	r, err := resolveRel(rf)
	rf.resolved.Store(&relEntry{r, err})
	return r, err
}

// ResolveAll resolves every relationship field of t.
func ResolveAll(t *Table) error {
	for _, rf := range t.Relations {
		if _, err := Resolve(rf); err != nil {
			return err
		}
	}
	return nil
}

// Relationships returns t's resolved relationships (nil entries never: the
// first error is returned).
func Relationships(t *Table) ([]*Relationship, error) {
	out := make([]*Relationship, 0, len(t.Relations))
	for _, rf := range t.Relations {
		r, err := Resolve(rf)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func relErr(owner, target *Table, field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &arcerr.ModelError{Model: owner.GoType.String(), Field: field,
		Msg: fmt.Sprintf("relationship to %s: %s", target.GoType.String(), msg)}
}

// fkCols returns the FKs of from that refer to table to.
func fksTo(from, to *Table) []*ForeignKey {
	var out []*ForeignKey
	for _, fk := range from.ForeignKeys {
		if fk.RefTable == to.Name {
			out = append(out, fk)
		}
	}
	return out
}

func refCols(fk *ForeignKey, to *Table) ([]*Column, error) {
	cols := make([]*Column, len(fk.RefColumns))
	for i, n := range fk.RefColumns {
		c := to.ColumnByName(n)
		if c == nil {
			return nil, fmt.Errorf("foreign key %s refers to %s.%s, which does not exist", fk.Name, to.Name, n)
		}
		cols[i] = c
	}
	return cols, nil
}

// filterFK keeps the keys whose columns are named (by column or field
// name) in names.
func filterFK(fks []*ForeignKey, names []string) []*ForeignKey {
	if len(names) == 0 {
		return fks
	}
	var out []*ForeignKey
	for _, fk := range fks {
		ok := true
		for _, c := range fk.Columns {
			if !slices.Contains(names, c.Name) && !slices.Contains(names, c.Field) {
				ok = false
			}
		}
		if ok {
			out = append(out, fk)
		}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func resolveRel(rf *RelationField) (*Relationship, error) {
	owner := rf.Table
	target, err := TableOf(rf.Target)
	if err != nil {
		return nil, fmt.Errorf("relationship %s.%s: %w", owner.GoType.Name(), rf.Field, err)
	}
	r := &Relationship{Field: rf, Owner: owner, Target: target, Lazy: "select", Cascade: CascadeSaveUpdate | CascadeMerge}
	tag := rf.Tag
	if rf.Kind == RelDynamic {
		r.Lazy = "dynamic"
	}
	fkNames := splitList(tag["fk"])
	if sec := tag["secondary"]; sec != "" {
		if rf.Kind == RelOne {
			return nil, relErr(owner, target, rf.Field, "secondary: needs a collection (relations.Many or relations.Dynamic), not relations.One")
		}
		r.Dir = ManyToMany
		if st := graphTable(sec, owner, target); st != nil {
			if err := r.modelSecondary(st, fkNames); err != nil {
				return nil, err
			}
		} else {
			ownerSide, targetSide, err := r.secondaryNames(fkNames)
			if err != nil {
				return nil, err
			}
			st, err := synthSecondary(sec, r, ownerSide, targetSide)
			if err != nil {
				return nil, err
			}
			r.Secondary = st
			r.SecOwner, r.SecTarget = st.ForeignKeys[0].Columns, st.ForeignKeys[1].Columns
			r.OwnerRef, r.TargetRef = owner.PrimaryKey, target.PrimaryKey
		}
	} else {
		m2o := filterFK(fksTo(owner, target), fkNames) // FK on the owner
		o2m := filterFK(fksTo(target, owner), fkNames) // FK on the target
		var fk *ForeignKey
		switch {
		case owner == target:
			if len(m2o) != 1 {
				return nil, relErr(owner, target, rf.Field, "%d foreign keys from %s to itself; name one with fk:", len(m2o), owner.Name)
			}
			fk = m2o[0]
			if rf.Kind == RelOne {
				r.Dir = ManyToOne
			} else {
				r.Dir = OneToMany
			}
		case rf.Kind != RelOne:
			if len(o2m) == 0 {
				return nil, relErr(owner, target, rf.Field, "no foreign key from %s to %s: add one (fk:%s.<column>) on %s, or name it with fk:",
					target.Name, owner.Name, owner.Name, target.GoType.Name())
			}
			if len(o2m) > 1 {
				return nil, relErr(owner, target, rf.Field, "several foreign keys from %s to %s (%s); name one with fk:", target.Name, owner.Name, fkList(o2m))
			}
			fk, r.Dir = o2m[0], OneToMany
		default:
			switch {
			case len(m2o) == 1:
				fk, r.Dir = m2o[0], ManyToOne
			case len(m2o) > 1:
				return nil, relErr(owner, target, rf.Field, "several foreign keys from %s to %s (%s); name one with fk:", owner.Name, target.Name, fkList(m2o))
			case len(o2m) == 1:
				fk, r.Dir = o2m[0], OneToMany // one-to-one, FK on the target
			case len(o2m) > 1:
				return nil, relErr(owner, target, rf.Field, "several foreign keys from %s to %s (%s); name one with fk:", target.Name, owner.Name, fkList(o2m))
			default:
				return nil, relErr(owner, target, rf.Field, "no foreign key between %s and %s: add one, or name it with fk:", owner.Name, target.Name)
			}
		}
		if r.Dir == ManyToOne {
			r.OwnerCols = fk.Columns
			if r.TargetCols, err = refCols(fk, target); err != nil {
				return nil, relErr(owner, target, rf.Field, "%v", err)
			}
		} else {
			r.TargetCols = fk.Columns
			if r.OwnerCols, err = refCols(fk, owner); err != nil {
				return nil, relErr(owner, target, rf.Field, "%v", err)
			}
		}
	}
	if err := r.options(tag); err != nil {
		return nil, err
	}
	if err := r.findBack(); err != nil {
		return nil, err
	}
	r.shareSecondary() // secondary.go
	return r, nil
}

// modelSecondary sets r's association columns from st, a model of r's
// graph that maps the secondary table: its foreign keys to the owner and
// to the target (fk: names the owner side's columns among several).
func (r *Relationship) modelSecondary(st *Table, fkNames []string) error {
	owner, target, rf := r.Owner, r.Target, r.Field
	r.Secondary = st
	toOwner, toTarget := fksTo(st, owner), fksTo(st, target)
	if owner == target {
		// Self-referential many-to-many: fk: names the owner side's column.
		if len(fkNames) == 0 || len(toOwner) != 2 {
			return relErr(owner, target, rf.Field, "self-referential secondary %s needs fk: naming the column that refers to the owner", st.Name)
		}
		toOwner = filterFK(toOwner, fkNames)
		toTarget = slices.DeleteFunc(fksTo(st, target), func(fk *ForeignKey) bool { return slices.Contains(toOwner, fk) })
	} else {
		toOwner = filterFK(toOwner, fkNames)
	}
	if len(toOwner) != 1 || len(toTarget) != 1 {
		return relErr(owner, target, rf.Field, "secondary table %s must have exactly one foreign key to %s and one to %s (found %d and %d; name one with fk:)",
			st.Name, owner.Name, target.Name, len(toOwner), len(toTarget))
	}
	r.SecOwner, r.SecTarget = toOwner[0].Columns, toTarget[0].Columns
	var err error
	if r.OwnerRef, err = refCols(toOwner[0], owner); err != nil {
		return relErr(owner, target, rf.Field, "%v", err)
	}
	if r.TargetRef, err = refCols(toTarget[0], target); err != nil {
		return relErr(owner, target, rf.Field, "%v", err)
	}
	return nil
}

func fkList(fks []*ForeignKey) string {
	var names []string
	for _, fk := range fks {
		names = append(names, strings.Join(ColumnNames(fk.Columns), ","))
	}
	return strings.Join(names, "; ")
}

func (r *Relationship) options(tag map[string]string) error {
	owner, target, field := r.Owner, r.Target, r.Field.Field
	if v := tag["lazy"]; v != "" {
		switch v {
		case "select", "selectin", "joined", "raise", "noload":
			if r.Field.Kind == RelDynamic {
				return relErr(owner, target, field, "lazy:%s does not apply to relations.Dynamic", v)
			}
			r.Lazy = v
		case "dynamic":
			if r.Field.Kind != RelDynamic {
				return relErr(owner, target, field, "lazy:dynamic needs a relations.Dynamic field")
			}
		default:
			return relErr(owner, target, field, "unknown lazy strategy %q (select, selectin, joined, raise, noload, dynamic)", v)
		}
	}
	if v, ok := tag["cascade"]; ok {
		r.Cascade = 0
		for _, w := range splitList(v) {
			switch w {
			case "save-update":
				r.Cascade |= CascadeSaveUpdate
			case "merge":
				r.Cascade |= CascadeMerge
			case "delete":
				r.Cascade |= CascadeDelete
			case "delete-orphan":
				r.Cascade |= CascadeDeleteOrphan
			case "expunge":
				r.Cascade |= CascadeExpunge
			case "refresh-expire":
				r.Cascade |= CascadeRefreshExpire
			case "all":
				r.Cascade |= CascadeSaveUpdate | CascadeMerge | CascadeDelete | CascadeExpunge | CascadeRefreshExpire
			case "none":
			default:
				return relErr(owner, target, field, "unknown cascade %q (save-update, merge, delete, delete-orphan, expunge, refresh-expire, all, none)", w)
			}
		}
		if r.Cascade.Has(CascadeDeleteOrphan) && r.Dir != OneToMany && tag["single_parent"] != "true" {
			return relErr(owner, target, field, "delete-orphan on a %s relationship needs single_parent", r.Dir)
		}
	}
	switch tag["passive_deletes"] {
	case "", "false":
	case "true":
		r.PassiveDeletes = true
	case "all":
		r.PassiveDeletes, r.PassiveDeletesAll = true, true
	default:
		return relErr(owner, target, field, "passive_deletes takes true or all, not %q", tag["passive_deletes"])
	}
	if v := tag["order_by"]; v != "" {
		for _, item := range splitList(v) {
			desc := false
			if strings.HasPrefix(item, "-") {
				desc, item = true, item[1:]
			}
			if f := strings.Fields(item); len(f) == 2 && strings.EqualFold(f[1], "desc") {
				desc, item = true, f[0]
			} else if len(f) == 2 && strings.EqualFold(f[1], "asc") {
				item = f[0]
			}
			c := target.ColumnByName(item)
			if c == nil {
				c = target.ColumnByField(item)
			}
			if c == nil {
				return relErr(owner, target, field, "order_by: %s has no column %q", target.GoType.Name(), item)
			}
			r.OrderBy = append(r.OrderBy, OrderCol{Col: c, Desc: desc})
		}
	}
	r.backName = tag["back_populates"]
	if b := tag["backref"]; b != "" {
		if r.backName != "" {
			return relErr(owner, target, field, "use back_populates or backref, not both")
		}
		r.backName, r.backrefFor = b, b
	}
	return nil
}

// findBack sets Back: the field this one names (back_populates or
// backref), or the field on the target that names this one as its backref.
func (r *Relationship) findBack() error {
	owner, target, field := r.Owner, r.Target, r.Field.Field
	if r.backName != "" {
		b := target.Relation(r.backName)
		if b == nil {
			return relErr(owner, target, field, "back_populates names %s.%s, which is not a relationship field of %s", target.GoType.Name(), r.backName, target.GoType.Name())
		}
		if b.Target != owner.GoType {
			return relErr(owner, target, field, "back_populates names %s.%s, which points to %s, not back to %s", target.GoType.Name(), r.backName, b.Target, owner.GoType.Name())
		}
		if r.backrefFor == "" {
			other := b.Tag["back_populates"]
			if other == "" {
				other = b.Tag["backref"]
			}
			if other != field {
				return relErr(owner, target, field, "back_populates names %s.%s, whose back_populates is %q, not %q: set it on both sides (or use backref on one side)",
					target.GoType.Name(), r.backName, other, field)
			}
		} else if o := b.Tag["back_populates"]; o != "" && o != field {
			return relErr(owner, target, field, "backref %s.%s already points to %s.%s", target.GoType.Name(), r.backName, owner.GoType.Name(), o)
		}
		r.Back = b
		return nil
	}
	// A one-sided backref declared on the other side.
	for _, b := range target.Relations {
		if b.Target == owner.GoType && b.Tag["backref"] == field {
			r.Back = b
			// The generated side mirrors the schema of the declaring side.
			if len(b.Tag) > 0 && b.Tag["secondary"] != "" && r.Secondary == nil {
				return relErr(owner, target, field, "backref from %s.%s is many-to-many: add secondary:%s here too", target.GoType.Name(), b.Field, b.Tag["secondary"])
			}
			return nil
		}
	}
	return nil
}

package meta

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/arcorm/arc/internal/naming"
	"github.com/arcorm/arc/internal/tag"
)

// The association table of a `secondary:` relationship belongs to the
// model graph it is reached from. It is resolved from the types alone, so
// the result never depends on what else the process has loaded:
//
//  1. a model reachable from the relationship's owner through relationship
//     fields (the owner, its targets, their targets, ...) that maps the
//     named table is the association table (its foreign keys pick the
//     columns; fk: chooses among several);
//  2. otherwise the table is synthesized from the relationship: the columns
//     named by fk: (the owner side, then optionally the target side; a
//     side fk: leaves out comes from the inverse field's fk:, else the
//     default name snake(Model)_<key column>), typed as the two primary
//     keys, a composite primary key of both sides, a foreign key to each
//     table with ON DELETE CASCADE, and an index on the target side.
//
// A MetaData (the registry CreateAll builds) creates a synthesized table
// unless one of its own models maps that table name: then that model's
// DDL is used (extra columns, its constraints), after a check that it has
// the relationship's columns with the key types (MetaData.Add).

// graphTable finds the model reachable from owner through relationship
// fields whose table is named name (or whose Go type is), preferring one
// with foreign keys to both owner and target.
func graphTable(name string, owner, target *Table) *Table {
	seen := map[*Table]bool{}
	queue := []*Table{owner, target}
	var found []*Table
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		if t == nil || seen[t] {
			continue
		}
		seen[t] = true
		if t.Name == name || t.GoType.Name() == name {
			found = append(found, t)
		}
		for _, rf := range t.Relations {
			if rt, err := TableOf(rf.Target); err == nil {
				queue = append(queue, rt)
			}
		}
	}
	for _, t := range found {
		if len(fksTo(t, owner)) > 0 && len(fksTo(t, target)) > 0 {
			return t
		}
	}
	if len(found) > 0 {
		return found[0]
	}
	return nil
}

// secondaryNames returns the column names of a synthesized association
// table: those that refer to the owner's key and those that refer to the
// target's.
func (r *Relationship) secondaryNames(fkNames []string) (ownerSide, targetSide []string, err error) {
	owner, target, rf := r.Owner, r.Target, r.Field
	no, nt := len(owner.PrimaryKey), len(target.PrimaryKey)
	switch len(fkNames) {
	case 0:
	case no:
		ownerSide = fkNames
	case no + nt:
		ownerSide, targetSide = fkNames[:no], fkNames[no:]
	default:
		return nil, nil, relErr(owner, target, rf.Field, "fk: names %d columns of the association table %s; give the %d that refer to %s (then optionally the %d that refer to %s)",
			len(fkNames), rf.Tag["secondary"], no, owner.Name, nt, target.Name)
	}
	// The inverse field's fk: names its owner side (this target side),
	// then optionally its target side (this owner side).
	if b := backField(rf, target); b != nil && b.Tag["secondary"] == rf.Tag["secondary"] {
		bn := splitList(b.Tag["fk"])
		if targetSide == nil && (len(bn) == nt || len(bn) == nt+no) {
			targetSide = bn[:nt]
		}
		if ownerSide == nil && len(bn) == nt+no {
			ownerSide = bn[nt:]
		}
	}
	def := func(t *Table) []string {
		out := make([]string, len(t.PrimaryKey))
		for i, c := range t.PrimaryKey {
			out[i] = naming.Snake(t.GoType.Name()) + "_" + c.Name
		}
		return out
	}
	if ownerSide == nil {
		ownerSide = def(owner)
	}
	if targetSide == nil {
		targetSide = def(target)
	}
	for _, n := range ownerSide {
		if slices.Contains(targetSide, n) {
			return nil, nil, relErr(owner, target, rf.Field, "the association table %s would have column %s for both sides; name the columns with fk:<owner side>,<target side>", rf.Tag["secondary"], n)
		}
	}
	for _, n := range append(slices.Clone(ownerSide), targetSide...) {
		if !tag.IsIdent(n) {
			return nil, nil, relErr(owner, target, rf.Field, "fk:%s: %q is not a column name of the association table %s", rf.Tag["fk"], n, rf.Tag["secondary"])
		}
	}
	return ownerSide, targetSide, nil
}

// backField is the relationship field on target that is rf's inverse
// (named by rf's back_populates/backref, or naming rf as its backref).
func backField(rf *RelationField, target *Table) *RelationField {
	if n := rf.Tag["back_populates"]; n != "" {
		return target.Relation(n)
	}
	if n := rf.Tag["backref"]; n != "" {
		return target.Relation(n)
	}
	for _, b := range target.Relations {
		if b.Target == rf.Table.GoType && b.Tag["backref"] == rf.Field {
			return b
		}
	}
	return nil
}

// synthSecondary builds the association table name for r: ownerSide
// columns refer to the owner's primary key, targetSide to the target's.
func synthSecondary(name string, r *Relationship, ownerSide, targetSide []string) (*Table, error) {
	var fields []reflect.StructField
	add := func(cols []string, refs []*Column) {
		for i, n := range cols {
			typ := refs[i].GoType
			if refs[i].Ptr {
				typ = typ.Elem()
			}
			fields = append(fields, reflect.StructField{Name: goName(n, len(fields)), Type: typ,
				Tag: reflect.StructTag(fmt.Sprintf(`arc:"column:%s;pk;notnull"`, n))})
		}
	}
	add(ownerSide, r.Owner.PrimaryKey)
	add(targetSide, r.Target.PrimaryKey)
	t, err := build(reflect.StructOf(fields), false, name)
	if err != nil {
		return nil, fmt.Errorf("%w", relErr(r.Owner, r.Target, r.Field.Field, "association table %s: %v", name, err))
	}
	cols := func(names []string, refs []*Column) []*Column {
		out := make([]*Column, len(names))
		for i, n := range names {
			c := t.ColumnByName(n)
			ref := refs[i]
			c.Kind, c.Size, c.Precision, c.Scale, c.SQLType = ref.Kind, ref.Size, ref.Precision, ref.Scale, ref.SQLType
			c.AutoIncrement, c.Nullable = false, false
			out[i] = c
		}
		return out
	}
	oc, tc := cols(ownerSide, r.Owner.PrimaryKey), cols(targetSide, r.Target.PrimaryKey)
	fk := func(cs []*Column, to *Table) *ForeignKey {
		f := &ForeignKey{Name: naming.ForeignKey(name, ColumnNames(cs), to.Name), Table: t, Columns: cs,
			RefTable: to.Name, RefColumns: ColumnNames(to.PrimaryKey), OnDelete: "CASCADE",
			Target: to, TargetColumns: to.PrimaryKey}
		if len(cs) == 1 {
			cs[0].FK = f
		}
		return f
	}
	t.ForeignKeys = []*ForeignKey{fk(oc, r.Owner), fk(tc, r.Target)}
	t.Indexes = []*Index{{Name: naming.Index(name, targetSide), Columns: tc}}
	t.synth = true
	return t, nil
}

// goName turns a column name into an exported Go field name (post_id ->
// PostID is not attempted: PostId), falling back to C<i>.
func goName(col string, i int) string {
	var b strings.Builder
	for _, p := range strings.Split(col, "_") {
		if p == "" {
			continue
		}
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	s := b.String()
	if s == "" || !tag.IsIdent(s) || s[0] < 'A' || s[0] > 'Z' {
		return fmt.Sprintf("C%d", i)
	}
	return s
}

// Synthesized reports whether t is an association table built from a
// `secondary:` relationship rather than mapped by a model.
func (t *Table) Synthesized() bool { return t.synth }

// shareSecondary makes r use the association table its inverse side
// already resolved to, when both synthesized the same table: the two sides
// of a many-to-many must agree on one *Table.
func (r *Relationship) shareSecondary() {
	if r.Back == nil || r.Secondary == nil || !r.Secondary.synth {
		return
	}
	re := r.Back.resolved.Load()
	if re == nil || re.r == nil || re.r.Secondary == nil || !re.r.Secondary.synth || re.r.Secondary.Name != r.Secondary.Name {
		return
	}
	b := re.r
	if !slices.Equal(ColumnNames(b.SecTarget), ColumnNames(r.SecOwner)) || !slices.Equal(ColumnNames(b.SecOwner), ColumnNames(r.SecTarget)) {
		return
	}
	r.Secondary, r.SecOwner, r.SecTarget = b.Secondary, b.SecTarget, b.SecOwner
}

// checkAssociation checks that model m, which maps the table that r
// synthesized, can be r's association table: it has each column r uses,
// with the type of the key it refers to.
func checkAssociation(m *Table, r *Relationship) error {
	check := func(cols []*Column) error {
		for _, sc := range cols {
			c := m.ColumnByName(sc.Name)
			if c == nil {
				return relErr(r.Owner, r.Target, r.Field.Field, "secondary %s is mapped by model %s, which has no column %s (the relationship's columns are %s; name them with fk:<owner side>,<target side>)",
					m.Name, m.GoType, sc.Name, strings.Join(append(ColumnNames(r.SecOwner), ColumnNames(r.SecTarget)...), ", "))
			}
			if c.Kind != sc.Kind {
				return relErr(r.Owner, r.Target, r.Field.Field, "secondary %s is mapped by model %s, whose column %s (field %s) is %s, but the key it refers to is %s",
					m.Name, m.GoType, c.Name, c.Field, c.Kind, sc.Kind)
			}
		}
		return nil
	}
	if err := check(r.SecOwner); err != nil {
		return err
	}
	return check(r.SecTarget)
}

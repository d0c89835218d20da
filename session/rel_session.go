package session

import (
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/internal/relcore"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/relations"
)

// Relationships in the unit of work.
//
// Each relationship field holds a relcore.Core bound to its owner and
// to the session (the Loader). The Core also keeps the membership as last
// loaded or flushed; a flush diffs the fields against it to set or null
// foreign keys, delete orphans and insert or delete association rows.

// LoadOption is a relationship loading option (relations.SelectIn, ...).
type LoadOption = relations.LoadOption

// relFlush is the scratch work of one flush, computed by relPreFlush.
type relFlush struct {
	syncs      []fkSync          // FKs to copy from parents that get their key in this flush
	linkAdd    map[linkKey]bool  // association rows to insert
	linkDel    map[linkKey]bool  // association rows to delete
	links      map[linkKey]*link // details of each association row
	linkOrder  []linkKey         // first-seen order of linkAdd/linkDel
	linkGuess  map[linkKey]bool  // linkAdd rows neither side's membership knows (see linkExists)
	ownerDel   []ownerDelete     // association rows of deleted objects
	passiveDel map[*state]bool   // deleted children whose rows the database may remove first
	resnap     []*state          // persistent children whose FK an UPDATE here wrote
	unparented []unparented      // children whose FK was nulled because their parent is deleted
}

// unparented is a child whose foreign key the flush nulls because parent
// is deleted: after the flush its to-one f no longer points at parent.
type unparented struct {
	child, parent unsafe.Pointer
	f             *meta.RelationField
}

// fkSync copies parent's key columns into child's foreign key columns.
type fkSync struct {
	child, parent unsafe.Pointer
	childCols     []*meta.Column
	parentCols    []*meta.Column
	post          bool // written by an UPDATE after the child's INSERT
}

// linkKey identifies one association row.
type linkKey struct {
	sec  *meta.Table
	a, b unsafe.Pointer
}

// link is one association row: a's key in aCols, b's key in bCols.
type link struct {
	sec          *meta.Table
	r            *meta.Relationship // a is r's owner
	a, b         unsafe.Pointer
	aRef, bRef   []*meta.Column
	aCols, bCols []*meta.Column
	// fa, fb: the collection fields of a and b holding the other (fb is
	// nil for a one-sided relationship).
	fa, fb *meta.RelationField
}

type ownerDelete struct {
	sec  *meta.Table
	cols []*meta.Column
	obj  unsafe.Pointer
	ref  []*meta.Column
}

func (rf *relFlush) empty() bool {
	return rf == nil || len(rf.syncs) == 0 && len(rf.linkAdd) == 0 && len(rf.linkDel) == 0 && len(rf.ownerDel) == 0
}

func coreOf(obj unsafe.Pointer, rf *meta.RelationField) *relcore.Core {
	return relcore.At(layout.At(obj, rf.Offset))
}

func ifaceOf(t *meta.Table, p unsafe.Pointer) any { return reflect.NewAt(t.GoType, p).Interface() }

// bindRelations binds st's relationship fields to it and to the session.
func (s *Session) bindRelations(st *state) error {
	for _, rf := range st.cd.t.Relations {
		r, err := meta.Resolve(rf)
		if err != nil {
			return err
		}
		if err := coreOf(st.obj, rf).Bind(st.obj, r, s.loaderRef()); err != nil {
			return err
		}
	}
	st.set(bRelBound, true)
	return nil
}

// relLoaded is called for each object a query or Get maps for the first
// time. A relationship that cannot be resolved fails the load: dropping
// the error left the field unbound, and a later use of it said "not bound
// ... load it with a query" of an object that was just loaded.
func (s *Session) relLoaded(st *state) error {
	if len(st.cd.t.Relations) > 0 {
		if err := s.bindRelations(st); err != nil {
			return fmt.Errorf("arc: loading %s: %w", st.cd.t.GoType.Name(), err)
		}
	}
	return nil
}

// relCascadeAdd binds the object's relationships and adds the related
// objects it reaches (save-update cascade).
func (s *Session) relCascadeAdd(st *state) error {
	if len(st.cd.t.Relations) == 0 {
		return nil
	}
	if err := s.bindRelations(st); err != nil {
		return err
	}
	for _, rf := range st.cd.t.Relations {
		c := coreOf(st.obj, rf)
		r := c.Rel()
		if st.status == Pending && rf.Kind != meta.RelDynamic {
			c.MarkLoaded() // a new object's collection is all there is
		}
		if !r.Cascade.Has(meta.CascadeSaveUpdate) {
			continue
		}
		for _, it := range c.Items() {
			if it == nil || s.stateAt(it) != nil {
				continue
			}
			if _, err := s.add(ifaceOf(r.Target, it), it, r.Target); err != nil {
				return fmt.Errorf("arc: cascading %s: %w", r.Name(), err)
			}
		}
	}
	return nil
}

func (s *Session) relCascadeDelete(*state) error { return nil }

func (s *Session) relHasChanges(*state) bool {
	return !s.relFlush.empty()
}

func (s *Session) relExpire(st *state) {
	if len(st.cd.t.Relations) == 0 {
		return
	}
	for _, rf := range st.cd.t.Relations {
		coreOf(st.obj, rf).Expire()
	}
}

func (s *Session) relRollback() { s.relFlush = nil }

// preImage is an object as it was before relPreFlush wrote a foreign key
// into it or marked it for a cascade delete.
type preImage struct {
	snap   *snapshot
	marked bool
}

// keepPre records obj's pre-image once per flush, so a failed flush can
// undo what relationship bookkeeping did before the plan took its backups.
func (s *Session) keepPre(obj unsafe.Pointer) {
	st := s.stateAt(obj)
	if st == nil {
		return
	}
	if s.relPre == nil {
		s.relPre = map[*state]preImage{}
	}
	if _, ok := s.relPre[st]; !ok {
		s.relPre[st] = preImage{snap: st.cd.take(st.obj), marked: st.markedDelete}
	}
}

// relUndoPre puts back what relPreFlush changed, after a failed flush.
func (s *Session) relUndoPre() {
	for st, pre := range s.relPre {
		st.cd.restore(st.obj, pre.snap)
		if !pre.marked && st.markedDelete {
			st.markedDelete = false
			s.deleted = slices.DeleteFunc(s.deleted, func(x *state) bool { return x == st })
		}
	}
	s.relPre = nil
	s.undoExpunges()
}

// keyValues reads cols of obj as normalised values; ok is false when one
// is NULL or, for a key, zero.
func keyValues(obj unsafe.Pointer, cols []*meta.Column) ([]any, bool) {
	out := make([]any, len(cols))
	for i, c := range cols {
		v := layout.Value(obj, c.Offset, c.GoType)
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return nil, false
			}
			v = v.Elem()
		}
		if c.NullType {
			if !v.FieldByName("Valid").Bool() {
				return nil, false
			}
			v = v.Field(0)
		}
		if c.PrimaryKey && v.IsZero() {
			return nil, false
		}
		out[i] = normValue(v)
	}
	return out, true
}

// setCols writes vals (nil for NULL) into obj's columns.
func setCols(obj unsafe.Pointer, cols []*meta.Column, vals []any) error {
	for i, c := range cols {
		f := layout.Value(obj, c.Offset, c.GoType)
		if vals == nil || vals[i] == nil {
			if !c.CanHoldNull() {
				return fmt.Errorf("%w: cannot set %s.%s to NULL: the field cannot hold NULL (use a pointer or sql.Null type, or cascade delete-orphan)",
					arcerr.ErrInvalidRequest, c.Table.GoType.Name(), c.Field)
			}
			f.Set(reflect.Zero(c.GoType))
			continue
		}
		v := reflect.ValueOf(vals[i])
		switch {
		case c.Ptr:
			p := reflect.New(c.Elem)
			p.Elem().Set(v.Convert(c.Elem))
			f.Set(p)
		case c.NullType:
			for j := 0; j < f.NumField(); j++ {
				ft := f.Type().Field(j)
				if ft.Name == "Valid" {
					f.Field(j).SetBool(true)
				} else if v.Type().ConvertibleTo(ft.Type) {
					f.Field(j).Set(v.Convert(ft.Type))
				}
			}
		default:
			f.Set(v.Convert(c.GoType))
		}
	}
	return nil
}

func sameVals(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func diffItems(cur, old []unsafe.Pointer) (added, removed []unsafe.Pointer) {
	for _, p := range cur {
		if !slices.Contains(old, p) {
			added = append(added, p)
		}
	}
	for _, p := range old {
		if !slices.Contains(cur, p) {
			removed = append(removed, p)
		}
	}
	return
}

// relStates returns the states with relationship work, in a deterministic
// order (so the flush's SQL is): new objects in Add order, then the others
// by table and key.
func (s *Session) relStates(out []*state, skipMarked bool) []*state {
	for _, st := range s.pending {
		if st.status == Pending && !(skipMarked && st.markedDelete) && s.relWork(st) {
			out = append(out, st)
		}
	}
	n := len(out)
	for st := range s.states.All() {
		if st.status != Pending && !(skipMarked && st.markedDelete) && s.relWork(st) {
			out = append(out, st)
		}
	}
	sortStates(out[n:])
	return out
}

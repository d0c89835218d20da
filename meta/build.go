package meta

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/internal/naming"
	"github.com/arcorm/arc/internal/tag"
)

// TagKey is the struct tag key Arc reads.
const TagKey = "arc"

// TableNamer lets a model choose its table name.
type TableNamer interface{ TableName() string }

var (
	cacheMu sync.Mutex
	cache   sync.Map // reflect.Type -> *cacheEntry
)

type cacheEntry struct {
	t   *Table
	err error
}

// Of returns the cached metadata of model type T (a struct type), building
// it on first use. It is safe for concurrent use. The cache is the only
// process-wide state in meta and holds immutable values, like
// encoding/json's field cache.
func Of[T any]() (*Table, error) { return TableOf(reflect.TypeFor[T]()) }

// MustOf is Of for package-level declarations; it panics on an invalid model.
func MustOf[T any]() *Table {
	t, err := Of[T]()
	if err != nil {
		panic(err)
	}
	return t
}

// TableOf returns the cached metadata of struct type typ (a pointer to a
// struct is accepted too).
func TableOf(typ reflect.Type) (*Table, error) {
	if typ == nil {
		return nil, fmt.Errorf("%w: nil type", arcerr.ErrInvalidModel)
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if e, ok := cache.Load(typ); ok {
		ce := e.(*cacheEntry)
		return ce.t, ce.err
	}
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if e, ok := cache.Load(typ); ok {
		ce := e.(*cacheEntry)
		return ce.t, ce.err
	}
	var t *Table
	err := checkOwnedBases(typ)
	if err == nil {
		t, err = build(typ, false, "")
	}
	if err == nil {
		registerProbe(t)
	}
	cache.Store(typ, &cacheEntry{t, err})
	return t, err
}

// TableOfValue returns the metadata of a model value's type: v may be a
// struct value, a pointer to one, or a reflect.Type.
func TableOfValue(v any) (*Table, error) {
	switch x := v.(type) {
	case nil:
		return nil, fmt.Errorf("%w: nil model", arcerr.ErrInvalidModel)
	case reflect.Type:
		return TableOf(x)
	case *Table:
		return x, nil
	}
	return TableOf(reflect.TypeOf(v))
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	bytesType   = reflect.TypeFor[[]byte]()
	valuerType  = reflect.TypeFor[driver.Valuer]()
	scannerType = reflect.TypeFor[sql.Scanner]()
	relType     = reflect.TypeFor[RelationType]()
)

var nullTypes = map[reflect.Type]reflect.Type{
	reflect.TypeFor[sql.NullString]():  reflect.TypeFor[string](),
	reflect.TypeFor[sql.NullInt64]():   reflect.TypeFor[int64](),
	reflect.TypeFor[sql.NullInt32]():   reflect.TypeFor[int32](),
	reflect.TypeFor[sql.NullInt16]():   reflect.TypeFor[int16](),
	reflect.TypeFor[sql.NullByte]():    reflect.TypeFor[uint8](),
	reflect.TypeFor[sql.NullFloat64](): reflect.TypeFor[float64](),
	reflect.TypeFor[sql.NullBool]():    reflect.TypeFor[bool](),
	reflect.TypeFor[sql.NullTime]():    timeType,
}

// nullElem returns the value type of sql.Null* and sql.Null[T], or nil.
func nullElem(t reflect.Type) reflect.Type {
	if e, ok := nullTypes[t]; ok {
		return e
	}
	if t.Kind() == reflect.Struct && t.PkgPath() == "database/sql" && strings.HasPrefix(t.Name(), "Null[") {
		if f, ok := t.FieldByName("V"); ok {
			return f.Type
		}
	}
	return nil
}

var columnKeys = map[string]bool{
	"column": true, "pk": true, "autoincrement": true, "notnull": true, "null": true,
	"size": true, "text": true, "unique": true, "index": true, "default": true,
	"server_default": true, "fk": true, "ondelete": true, "onupdate": true, "seq": true,
	"check": true, "type": true, "json": true, "version": true, "precision": true,
	"scale": true, "autocreatetime": true, "autoupdatetime": true, "softdelete": true,
	"jsonb": true, "uuid": true, "enum": true, "generated": true,
}

// RelationKeys are the tag words a relationship field accepts.
var relationKeys = map[string]bool{
	"back_populates": true, "backref": true, "order_by": true, "lazy": true,
	"cascade": true, "passive_deletes": true, "secondary": true, "fk": true,
	"single_parent": true,
}

// flagKeys are the column words that are flags: bare, or :true / :false
// (false is the same as leaving the word out).
var flagKeys = map[string]bool{
	"pk": true, "notnull": true, "null": true, "text": true, "json": true,
	"version": true, "autocreatetime": true, "autoupdatetime": true, "autoincrement": true,
	"softdelete": true, "jsonb": true, "uuid": true,
}

// sortedKeys lists a key set for messages and suggestions.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// unknownWord is the message of a tag word that is not in known, with a
// suggestion when one is close.
func unknownWord(what, word string, known map[string]bool) string {
	keys := sortedKeys(known)
	msg := fmt.Sprintf("unknown tag word %q%s", word, what)
	if s := tag.Suggest(word, keys); s != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg + " (known: " + strings.Join(keys, ", ") + ")"
}

type builder struct {
	t       *Table
	model   string
	indexes map[string]*Index
	uniques map[string]*Unique
	idxOrd  []string
	uqOrd   []string
	explPK  bool
	row     bool             // a result-row shape: no primary key needed
	autoSet map[*Column]bool // columns with an explicit autoincrement word
}

var rowCache sync.Map // reflect.Type -> *cacheEntry

// RowTypeOf returns the column shape of a plain struct used as a result
// row or a subquery's columns: like TableOf, but no primary key is needed
// and no table name is assumed. Cached per type.
func RowTypeOf(typ reflect.Type) (*Table, error) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if e, ok := rowCache.Load(typ); ok {
		ce := e.(*cacheEntry)
		return ce.t, ce.err
	}
	t, err := build(typ, true, "")
	e, _ := rowCache.LoadOrStore(typ, &cacheEntry{t, err})
	ce := e.(*cacheEntry)
	return ce.t, ce.err
}

// build reflects typ; name, when set, is the table name (a synthesized
// association table's struct type has no name).
func build(typ reflect.Type, row bool, name string) (*Table, error) {
	model := typ.String()
	if typ.Kind() != reflect.Struct {
		return nil, &arcerr.ModelError{Model: model, Msg: "a model must be a struct type, got " + typ.Kind().String()}
	}
	t := &Table{
		GoType:   typ,
		byName:   map[string]*Column{},
		byField:  map[string]*Column{},
		byOffset: map[offsetKey]*Column{},
		relByOff: map[uintptr]*RelationField{},
		size:     typ.Size(),
	}
	t.Name = naming.TableName(typ.Name())
	if tn, ok := reflect.New(typ).Interface().(TableNamer); ok {
		t.Name = tn.TableName()
	}
	if name != "" {
		t.Name = name
	}
	if t.Name == "" && !row {
		return nil, &arcerr.ModelError{Model: model, Msg: "empty table name"}
	}
	b := &builder{t: t, model: model, row: row, indexes: map[string]*Index{}, uniques: map[string]*Unique{}, autoSet: map[*Column]bool{}}
	if err := b.walk(typ, nil, 0, ""); err != nil {
		return nil, err
	}
	if err := b.finish(); err != nil {
		return nil, err
	}
	t.Hooks = hooksOf(typ)
	if size := typ.Size(); size > 0 {
		t.probe = reflect.New(typ).UnsafePointer()
	} else {
		return nil, &arcerr.ModelError{Model: model, Msg: "a model must have at least one column"}
	}
	return t, nil
}

func (b *builder) walk(typ reflect.Type, index []int, base uintptr, prefix string) error {
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		idx := append(slices.Clone(index), i)
		raw, hasTag := f.Tag.Lookup(TagKey)
		if raw == "-" {
			continue
		}
		if !f.IsExported() {
			// An embedded unexported struct may still hold exported fields (a
			// mixin); anything else unexported is ignored.
			if !(f.Anonymous && f.Type.Kind() == reflect.Struct) {
				continue
			}
		}
		words, err := tag.Parse(raw)
		if err != nil {
			return &arcerr.ModelError{Model: b.model, Field: prefix + f.Name, Msg: err.Error()}
		}
		fieldPath := prefix + f.Name
		off := base + f.Offset
		if reflect.PointerTo(f.Type).Implements(relType) || f.Type.Implements(relType) {
			if err := b.relation(f, idx, off, fieldPath, words); err != nil {
				return err
			}
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct && !isLeafType(f.Type) && !hasTag {
			if err := b.walk(f.Type, idx, off, fieldPath+"."); err != nil {
				return err
			}
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct && !isLeafType(f.Type) {
			return &arcerr.ModelError{Model: b.model, Field: fieldPath,
				Msg: "an embedded pointer to a struct cannot be a mixin; embed the struct by value"}
		}
		if !f.IsExported() {
			continue
		}
		if isProperty(words) {
			if err := b.property(f, idx, off, fieldPath, words); err != nil {
				return err
			}
			continue
		}
		if err := b.column(f, idx, off, fieldPath, words); err != nil {
			return err
		}
	}
	return nil
}

// customElem reports whether a pointer field's element type is a custom
// Valuer/Scanner type (a *Money field whose Money has Value and *Money Scan).
func customElem(elem reflect.Type) bool {
	return (elem.Implements(valuerType) || reflect.PointerTo(elem).Implements(valuerType)) &&
		reflect.PointerTo(elem).Implements(scannerType)
}

// isLeafType reports whether a struct type is a value (time.Time, sql.Null*,
// a Scanner) rather than a mixin.
func isLeafType(t reflect.Type) bool {
	if t == timeType || nullElem(t) != nil {
		return true
	}
	return reflect.PointerTo(t).Implements(scannerType) || t.Implements(valuerType)
}

func (b *builder) err(field, format string, args ...any) error {
	return &arcerr.ModelError{Model: b.model, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (b *builder) relation(f reflect.StructField, idx []int, off uintptr, path string, words []tag.Word) error {
	rv := reflect.New(f.Type).Elem().Interface()
	rt, ok := rv.(RelationType)
	if !ok {
		rt, _ = reflect.New(f.Type).Interface().(RelationType)
	}
	kind, target := rt.ArcRelation()
	r := &RelationField{Table: b.t, Field: f.Name, Index: idx, Offset: off, GoType: f.Type,
		Kind: kind, Target: target, Tag: map[string]string{}}
	for _, w := range words {
		if !relationKeys[w.Key] {
			return b.err(path, "%s", unknownWord(" for a relationship", w.Key, relationKeys))
		}
		v := w.Value
		switch w.Key {
		case "single_parent":
			on, err := w.Bool()
			if err != nil {
				return b.err(path, "%v", err)
			}
			if !on {
				continue
			}
			v = "true"
		case "back_populates", "backref":
			if !tag.IsIdent(v) {
				return b.err(path, "%s:%s: needs the name of a relationship field of %s", w.Key, v, target)
			}
		case "passive_deletes": // a flag, or :true, :false, :all
			if w.Flag {
				v = "true"
			}
			switch v = strings.ToLower(v); v {
			case "true", "all":
			case "false":
				continue
			default:
				return b.err(path, "passive_deletes:%s: write passive_deletes, passive_deletes:true, :false or :all", w.Value)
			}
		case "secondary":
			if v == "" || w.Flag {
				return b.err(path, "secondary: needs the association table's name")
			}
		default: // fk, order_by, lazy, cascade, passive_deletes: checked when resolved
			if w.Flag || v == "" {
				return b.err(path, "%s: needs a value", w.Key)
			}
			if w.Key == "fk" {
				for _, item := range w.List() {
					if !isNameOrDotted(item) {
						return b.err(path, "fk:%s: %q is not a column or field name", v, item)
					}
				}
			}
		}
		r.Tag[w.Key] = v
	}
	b.t.Relations = append(b.t.Relations, r)
	b.t.relByOff[off] = r
	return nil
}

func (b *builder) column(f reflect.StructField, idx []int, off uintptr, path string, words []tag.Word) error {
	c := &Column{Table: b.t, Name: naming.Snake(f.Name), Field: path, Index: idx, Offset: off, GoType: f.Type, Nullable: true}
	w := map[string]tag.Word{}
	for _, wd := range words {
		if !columnKeys[wd.Key] {
			what := ""
			if relationKeys[wd.Key] {
				what = " for a column (it is a relationship word)"
			}
			return b.err(path, "%s", unknownWord(what, wd.Key, columnKeys))
		}
		if flagKeys[wd.Key] {
			on, err := wd.Bool()
			if err != nil {
				return b.err(path, "%v", err)
			}
			if !on && wd.Key != "autoincrement" {
				continue // pk:false is no pk
			}
		}
		if (wd.Key == "unique" || wd.Key == "index") && !wd.Flag {
			switch strings.ToLower(wd.Value) {
			case "true":
				wd = tag.Word{Key: wd.Key, Flag: true}
			case "false":
				continue
			default:
				if !tag.IsIdent(wd.Value) {
					return b.err(path, "%s:%s: the value is a constraint name (letters, digits, _), or true/false", wd.Key, wd.Value)
				}
			}
		}
		if wd.Flag && valueKeys[wd.Key] {
			return b.err(path, "%s needs a value (%s:...)", wd.Key, wd.Key)
		}
		w[wd.Key] = wd
	}
	if v, ok := w["column"]; ok {
		if v.Value == "" {
			return b.err(path, "column: needs a name")
		}
		c.Name = v.Value
	}
	if err := b.classify(c, path, w); err != nil {
		return err
	}
	if _, ok := w["pk"]; ok {
		c.PrimaryKey = true
		b.explPK = true
	}
	if _, ok := w["notnull"]; ok {
		c.Nullable = false
	}
	if _, ok := w["null"]; ok {
		c.Nullable = true
	}
	if v, ok := w["autoincrement"]; ok {
		bv, err := flagBool(v)
		if err != nil {
			return b.err(path, "autoincrement: %v", err)
		}
		if bv && !c.Kind.IsInteger() {
			return b.err(path, "autoincrement needs an integer column, got %s", c.Kind)
		}
		c.AutoIncrement = bv
		b.autoSet[c] = true
	}
	if v, ok := w["default"]; ok {
		if err := b.parseDefault(c, path, v.Value); err != nil {
			return err
		}
	}
	if v, ok := w["server_default"]; ok {
		if v.Value == "" {
			return b.err(path, "server_default: needs an expression")
		}
		c.ServerDefault = v.Value
	}
	if v, ok := w["seq"]; ok {
		if v.Value == "" {
			return b.err(path, "seq: needs a sequence name")
		}
		c.Sequence = v.Value
		b.t.Sequences = append(b.t.Sequences, v.Value)
	}
	if err := b.enum(c, path, w); err != nil {
		return err
	}
	if v, ok := w["generated"]; ok {
		if v.Value == "" {
			return b.err(path, "generated: needs a SQL expression")
		}
		for _, k := range []string{"pk", "default", "server_default", "autoincrement", "seq", "version", "autocreatetime", "autoupdatetime"} {
			if _, ok := w[k]; ok {
				return b.err(path, "a generated column cannot also be %s", k)
			}
		}
		c.Generated = v.Value
		b.t.Generated = append(b.t.Generated, c)
	}
	if v, ok := w["check"]; ok {
		if strings.TrimSpace(v.Value) == "" {
			return b.err(path, "check: needs an expression")
		}
		c.Check = v.Value
		b.t.Checks = append(b.t.Checks, &Check{Name: naming.Check(b.t.Name, c.Name), Expr: v.Value})
	}
	if _, ok := w["version"]; ok {
		if !c.Kind.IsInteger() {
			return b.err(path, "a version column must be an integer")
		}
		if b.t.Version != nil {
			return b.err(path, "two version columns")
		}
		b.t.Version = c
	}
	if _, ok := w["softdelete"]; ok {
		if c.Elem != timeType || !c.CanHoldNull() {
			return b.err(path, "a softdelete column must be a nullable time (*time.Time, sql.NullTime or sql.Null[time.Time])")
		}
		if b.t.SoftDelete != nil {
			return b.err(path, "two softdelete columns")
		}
		b.t.SoftDelete = c
	}
	if _, ok := w["autocreatetime"]; ok || (f.Name == "CreatedAt" && c.Elem == timeType && c.Generated == "") {
		b.t.CreatedAt = c
	}
	if _, ok := w["autoupdatetime"]; ok || (f.Name == "UpdatedAt" && c.Elem == timeType && c.Generated == "") {
		b.t.UpdatedAt = c
	}
	if v, ok := w["fk"]; ok {
		ref := strings.SplitN(v.Value, ".", 2)
		if len(ref) != 2 || ref[0] == "" || ref[1] == "" {
			return b.err(path, "fk:%s should be table.column", v.Value)
		}
		fk := &ForeignKey{Table: b.t, Columns: []*Column{c}, RefTable: ref[0], RefColumns: []string{ref[1]}}
		if od, ok := w["ondelete"]; ok {
			fk.OnDelete = refAction(od.Value)
			if fk.OnDelete == "" {
				return b.err(path, "ondelete:%s is not one of cascade, set null, set default, restrict, no action", od.Value)
			}
		}
		if ou, ok := w["onupdate"]; ok {
			fk.OnUpdate = refAction(ou.Value)
			if fk.OnUpdate == "" {
				return b.err(path, "onupdate:%s is not one of cascade, set null, set default, restrict, no action", ou.Value)
			}
		}
		c.FK = fk
		b.t.ForeignKeys = append(b.t.ForeignKeys, fk)
	} else if _, ok := w["ondelete"]; ok {
		return b.err(path, "ondelete: without fk:")
	} else if _, ok := w["onupdate"]; ok {
		return b.err(path, "onupdate: without fk:")
	}
	if v, ok := w["unique"]; ok {
		name := v.Value
		if v.Flag {
			name = ""
			c.Unique = true
		}
		b.addUnique(name, c)
	}
	if v, ok := w["index"]; ok {
		name := ""
		if !v.Flag {
			name = v.Value
		}
		b.addIndex(name, c)
	}
	if prev := b.t.byName[c.Name]; prev != nil {
		return b.err(path, "column %q is also mapped by field %s", c.Name, prev.Field)
	}
	b.t.Columns = append(b.t.Columns, c)
	b.t.byName[c.Name] = c
	b.t.byField[c.Field] = c
	if _, dup := b.t.byField[f.Name]; !dup {
		b.t.byField[f.Name] = c
	}
	b.t.byOffset[offsetKey{off, f.Type}] = c
	return nil
}

func flagBool(w tag.Word) (bool, error) { return w.Bool() }

// valueKeys are the column words that need a value.
var valueKeys = map[string]bool{
	"column": true, "size": true, "default": true, "server_default": true, "fk": true,
	"ondelete": true, "onupdate": true, "seq": true, "check": true, "type": true,
	"precision": true, "scale": true, "enum": true, "generated": true,
}

// isNameOrDotted reports whether s is an identifier or a dotted pair of
// them (a relationship's fk: names a column or field, or table.column).
func isNameOrDotted(s string) bool {
	a, b, ok := strings.Cut(s, ".")
	if !ok {
		return tag.IsIdent(s)
	}
	return tag.IsIdent(a) && tag.IsIdent(b)
}

func refAction(s string) string {
	switch strings.ToUpper(strings.Join(strings.Fields(s), " ")) {
	case "CASCADE":
		return "CASCADE"
	case "SET NULL", "SETNULL", "SET_NULL":
		return "SET NULL"
	case "SET DEFAULT", "SETDEFAULT", "SET_DEFAULT":
		return "SET DEFAULT"
	case "RESTRICT":
		return "RESTRICT"
	case "NO ACTION", "NOACTION", "NO_ACTION":
		return "NO ACTION"
	}
	return ""
}

// classify works out the column's kind and Go shape.
func (b *builder) classify(c *Column, path string, w map[string]tag.Word) error {
	t := c.GoType
	elem := t
	if t.Kind() == reflect.Pointer {
		c.Ptr = true
		elem = t.Elem()
	} else if ne := nullElem(t); ne != nil {
		c.NullType = true
		elem = ne
	}
	c.Elem = elem
	c.Valuer = t.Implements(valuerType) || reflect.PointerTo(t).Implements(valuerType)
	c.Scanner = reflect.PointerTo(t).Implements(scannerType)
	_, isJSON := w["json"]
	if _, ok := w["jsonb"]; ok {
		isJSON = true
	}
	if isJSON {
		c.JSON = true
		c.Kind = KindJSON
		return b.sizeAndType(c, path, w)
	}
	switch {
	case elem == timeType:
		c.Kind = KindTime
	case elem == bytesType || (elem.Kind() == reflect.Slice && elem.Elem().Kind() == reflect.Uint8):
		c.Kind = KindBytes
	default:
		switch elem.Kind() {
		case reflect.Bool:
			c.Kind = KindBool
		case reflect.Int8, reflect.Int16, reflect.Uint8:
			c.Kind = KindSmallInt
		case reflect.Int32, reflect.Uint16:
			c.Kind = KindInt
		case reflect.Int, reflect.Int64, reflect.Uint32, reflect.Uint, reflect.Uint64:
			c.Kind = KindBigInt
		case reflect.Float32:
			c.Kind = KindFloat
		case reflect.Float64:
			c.Kind = KindDouble
		case reflect.String:
			c.Kind = KindString
		case reflect.Slice:
			if !arrayElem(elem.Elem()) {
				return b.err(path, "unsupported field type %s: a slice column is a PostgreSQL array of string, int64, int32, float64 or bool (use `json` for any other slice)", t)
			}
			if c.Ptr || c.NullType {
				return b.err(path, "%s: a nil slice is NULL already; use the slice type itself", t)
			}
			c.Kind = KindArray
		default:
			if uuidShape(elem) && ((c.Valuer && c.Scanner) || (c.Ptr && customElem(elem))) {
				c.Kind = KindUUID
			} else if uuidShape(elem) {
				return b.err(path, "%s is a [16]byte without driver.Valuer and sql.Scanner: use github.com/google/uuid's uuid.UUID or a string with `uuid`", t)
			} else if (c.Valuer && c.Scanner) || (c.Ptr && customElem(elem)) {
				c.Kind = KindText // a custom type; `type:` picks another SQL type
			} else if _, ok := w["type"]; ok && c.Valuer {
				c.Kind = KindText
			} else {
				return b.err(path, "unsupported field type %s (use a pointer or sql.Null for NULL, implement driver.Valuer and sql.Scanner, add `json`, or skip it with arc:\"-\")", t)
			}
		}
	}
	if _, ok := w["text"]; ok {
		if c.Kind != KindString {
			return b.err(path, "text applies to string fields, not %s", t)
		}
		c.Kind = KindText
	}
	if _, ok := w["uuid"]; ok {
		if c.Kind != KindString && c.Kind != KindUUID {
			return b.err(path, "uuid applies to string fields and [16]byte UUID types, not %s", t)
		}
		c.Kind = KindUUID
	}
	return b.sizeAndType(c, path, w)
}

// uuidShape reports whether t is a 16-byte array (uuid.UUID and its kin).
func uuidShape(t reflect.Type) bool {
	return t.Kind() == reflect.Array && t.Len() == 16 && t.Elem().Kind() == reflect.Uint8
}

// arrayElem reports whether a slice of t maps to a PostgreSQL array.
func arrayElem(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Bool:
		return true
	}
	return false
}

// Enumer is implemented by a named string type that lists the values its
// columns allow; Arc turns them into a CHECK constraint, as `enum:` does.
type Enumer interface{ Values() []string }

var enumerType = reflect.TypeFor[Enumer]()

// enum records the values a string column allows (`enum:` or the field
// type's Values method) and the CHECK constraint that enforces them.
func (b *builder) enum(c *Column, path string, w map[string]tag.Word) error {
	var vals []string
	if v, ok := w["enum"]; ok {
		vals = v.List()
		if len(vals) == 0 {
			return b.err(path, "enum: needs values, e.g. enum:draft,published")
		}
	} else if c.Elem.Kind() == reflect.String && c.Elem.Implements(enumerType) {
		vals = reflect.Zero(c.Elem).Interface().(Enumer).Values()
		if len(vals) == 0 {
			return b.err(path, "%s.Values() returned no values", c.Elem)
		}
	} else {
		return nil
	}
	if c.Kind != KindString && c.Kind != KindText {
		return b.err(path, "enum applies to string fields, not %s", c.GoType)
	}
	seen := map[string]bool{}
	var e strings.Builder
	e.WriteString(`"` + strings.ReplaceAll(c.Name, `"`, `""`) + `" IN (`)
	for i, v := range vals {
		if seen[v] {
			return b.err(path, "enum value %q given twice", v)
		}
		seen[v] = true
		if i > 0 {
			e.WriteString(", ")
		}
		e.WriteString("'" + strings.ReplaceAll(v, "'", "''") + "'")
	}
	e.WriteString(")")
	c.Enum = vals
	b.t.Checks = append(b.t.Checks, &Check{Name: naming.Check(b.t.Name, c.Name+"_enum"), Expr: e.String()})
	return nil
}

func (b *builder) sizeAndType(c *Column, path string, w map[string]tag.Word) error {
	if v, ok := w["size"]; ok {
		n, err := strconv.Atoi(v.Value)
		if err != nil || n <= 0 {
			return b.err(path, "size:%s is not a positive number", v.Value)
		}
		if c.Kind != KindString {
			return b.err(path, "size applies to string fields")
		}
		c.Size = n
	}
	if v, ok := w["precision"]; ok {
		n, err := strconv.Atoi(v.Value)
		if err != nil || n <= 0 {
			return b.err(path, "precision:%s is not a positive number", v.Value)
		}
		c.Precision, c.Kind = n, KindDecimal
	}
	if v, ok := w["scale"]; ok {
		n, err := strconv.Atoi(v.Value)
		if err != nil || n < 0 {
			return b.err(path, "scale:%s is not a number", v.Value)
		}
		if c.Precision == 0 {
			return b.err(path, "scale: needs precision:")
		}
		c.Scale = n
	}
	if v, ok := w["type"]; ok {
		if v.Value == "" {
			return b.err(path, "type: needs a SQL type")
		}
		c.SQLType = v.Value
	}
	return nil
}

func (b *builder) parseDefault(c *Column, path, s string) error {
	c.HasDefault = true
	if c.Kind == KindTime && strings.EqualFold(s, "now") {
		c.DefaultNow = true
		return nil
	}
	rv := reflect.New(c.Elem).Elem()
	var err error
	switch c.Elem.Kind() {
	case reflect.String:
		rv.SetString(s)
	case reflect.Bool:
		var v bool
		v, err = strconv.ParseBool(s)
		rv.SetBool(v)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var v int64
		v, err = strconv.ParseInt(s, 10, 64)
		rv.SetInt(v)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var v uint64
		v, err = strconv.ParseUint(s, 10, 64)
		rv.SetUint(v)
	case reflect.Float32, reflect.Float64:
		var v float64
		v, err = strconv.ParseFloat(s, 64)
		rv.SetFloat(v)
	default:
		return b.err(path, "default: is supported for string, number, bool and time (now) fields; use server_default: for %s", c.GoType)
	}
	if err != nil {
		return b.err(path, "default:%s does not parse as %s: %v", s, c.Elem, err)
	}
	c.Default = rv.Interface()
	return nil
}

func (b *builder) addUnique(name string, c *Column) {
	key := name
	if key == "" {
		key = "\x00" + c.Name
	}
	u := b.uniques[key]
	if u == nil {
		u = &Unique{Name: name}
		b.uniques[key] = u
		b.uqOrd = append(b.uqOrd, key)
	}
	u.Columns = append(u.Columns, c)
}

func (b *builder) addIndex(name string, c *Column) {
	key := name
	if key == "" {
		key = "\x00" + c.Name
	}
	ix := b.indexes[key]
	if ix == nil {
		ix = &Index{Name: name}
		b.indexes[key] = ix
		b.idxOrd = append(b.idxOrd, key)
	}
	ix.Columns = append(ix.Columns, c)
}

func (b *builder) finish() error {
	t := b.t
	if len(t.Columns) == 0 {
		return &arcerr.ModelError{Model: b.model, Msg: "no columns (only exported fields are mapped)"}
	}
	if b.explPK {
		for _, c := range t.Columns {
			if c.PrimaryKey {
				t.PrimaryKey = append(t.PrimaryKey, c)
			}
		}
	} else if c := t.byField["ID"]; c != nil {
		c.PrimaryKey = true
		t.PrimaryKey = []*Column{c}
	} else if c := t.byName["id"]; c != nil {
		c.PrimaryKey = true
		t.PrimaryKey = []*Column{c}
	}
	if len(t.PrimaryKey) == 0 && b.row {
		return nil
	}
	if len(t.PrimaryKey) == 0 {
		return &arcerr.ModelError{Model: b.model, Msg: "no primary key: add a field named ID or tag fields with `arc:\"pk\"`"}
	}
	for _, c := range t.PrimaryKey {
		c.Nullable = false
		if c.Generated != "" {
			return b.err(c.Field, "a primary key column cannot be generated")
		}
		if c.Ptr || c.NullType {
			return b.err(c.Field, "a primary key column cannot be a pointer or sql.Null type")
		}
	}
	// A single integer primary key autoincrements unless told otherwise.
	if len(t.PrimaryKey) == 1 {
		c := t.PrimaryKey[0]
		if !b.autoSet[c] && c.Kind.IsInteger() && c.FK == nil {
			c.AutoIncrement = true
		}
	} else {
		for _, c := range t.PrimaryKey {
			if c.AutoIncrement {
				return b.err(c.Field, "autoincrement is not supported on a composite primary key")
			}
		}
	}
	for _, c := range t.Columns {
		if c.AutoIncrement && !c.PrimaryKey {
			return b.err(c.Field, "autoincrement is only supported on the primary key")
		}
	}
	t.PKName = naming.PrimaryKey(t.Name)
	for _, key := range b.uqOrd {
		u := b.uniques[key]
		if u.Name == "" {
			u.Name = naming.Unique(t.Name, ColumnNames(u.Columns))
		}
		t.Uniques = append(t.Uniques, u)
	}
	for _, key := range b.idxOrd {
		ix := b.indexes[key]
		if ix.Name == "" {
			ix.Name = naming.Index(t.Name, ColumnNames(ix.Columns))
		}
		t.Indexes = append(t.Indexes, ix)
	}
	for _, fk := range t.ForeignKeys {
		fk.Name = naming.ForeignKey(t.Name, ColumnNames(fk.Columns), fk.RefTable)
	}
	return nil
}

// Pointer helpers for other packages.

// ObjectPtr returns the struct pointer held in v (a *T), checking its type
// against t. It returns nil for a nil pointer.
func ObjectPtr(v any) unsafe.Pointer {
	return reflect.ValueOf(v).UnsafePointer()
}

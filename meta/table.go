package meta

import (
	"reflect"
	"sync/atomic"
	"unsafe"

	"github.com/arcorm/arc/internal/layout"
)

// Table is the metadata of one mapped Go struct type. It is built once per
// type and never changed afterwards, so it is safe to share.
type Table struct {
	Name       string
	GoType     reflect.Type // the struct type (not a pointer)
	Columns    []*Column    // in field order, mixin columns where the mixin is embedded
	PrimaryKey []*Column
	// PKName is the primary key constraint's name (naming convention).
	PKName      string
	ForeignKeys []*ForeignKey
	Indexes     []*Index
	Uniques     []*Unique
	Checks      []*Check
	Relations   []*RelationField
	// Sequences are the PostgreSQL sequences the table's columns use (`seq:` tag).
	Sequences []string
	// Version is the optimistic-locking column, or nil.
	Version *Column
	// SoftDelete is the column (tag softdelete, a nullable time) whose
	// non-NULL value marks a row deleted, or nil: Delete sets it instead
	// of deleting, and queries, Get and relationship loads skip such rows.
	SoftDelete *Column
	// CreatedAt and UpdatedAt are the timestamp columns the session fills, or nil.
	CreatedAt, UpdatedAt *Column
	// Generated lists the generated columns (`generated:`), read back by
	// RETURNING after every INSERT and UPDATE.
	Generated []*Column
	// Properties are the fields loaded from a SQL expression with the
	// object (`arc:"property"`), which are not columns.
	Properties []*Property
	Hooks      HookSet

	byName   map[string]*Column
	byField  map[string]*Column
	byOffset map[offsetKey]*Column
	relByOff map[uintptr]*RelationField
	probe    unsafe.Pointer
	size     uintptr
	synth    bool // an association table built from a secondary: (secondary.go)
}

type offsetKey struct {
	off uintptr
	typ reflect.Type
}

// Column is one mapped field.
type Column struct {
	Table  *Table
	Name   string       // SQL column name
	Field  string       // Go field path, "Timestamps.CreatedAt" for a mixin's field
	Index  []int        // reflect field index path
	Offset uintptr      // byte offset of the field inside the struct
	GoType reflect.Type // the field's type

	Kind      Kind
	Size      int    // VARCHAR(n); 0 for none
	Precision int    // NUMERIC(p, s)
	Scale     int    // NUMERIC(p, s)
	SQLType   string // explicit `type:` override, used verbatim by every dialect

	PrimaryKey    bool
	AutoIncrement bool
	Nullable      bool // the DDL allows NULL
	Unique        bool // single-column unique constraint (see Table.Uniques)

	// Client-side default (`default:`): used at INSERT when the field holds
	// its zero value (nil for pointers and sql.Null types).
	Default    any
	HasDefault bool
	DefaultNow bool // `default:now` on a time column

	ServerDefault string // `server_default:`, a SQL expression used verbatim in DDL
	Sequence      string // `seq:` (PostgreSQL; ignored on SQLite)
	Check         string // `check:` expression
	// Enum lists the values a string column allows (`enum:a,b,c`); a CHECK
	// constraint named ck_<table>_<column>_enum enforces them.
	Enum []string
	// Generated is a generated column's SQL expression (`generated:`): the
	// database computes the value (GENERATED ALWAYS AS (expr) STORED), the
	// session never writes it and reads it back after INSERT and UPDATE.
	Generated string

	FK *ForeignKey // the single-column foreign key on this column, if any

	// Go-side shape, for scanning and dirty tracking.
	Ptr      bool // *T field
	NullType bool // sql.Null* or sql.Null[T]
	Valuer   bool // implements driver.Valuer (value or pointer receiver)
	Scanner  bool // *T implements sql.Scanner
	JSON     bool // stored as JSON
	// Elem is the Go type of the value without pointer or sql.Null wrapper.
	Elem reflect.Type
}

// CanHoldNull reports whether the Go field can represent SQL NULL.
func (c *Column) CanHoldNull() bool {
	return c.Ptr || c.NullType || c.Kind == KindBytes || c.Kind == KindArray || c.JSON || (c.Scanner && c.Valuer)
}

// ForeignKey is a foreign key constraint.
type ForeignKey struct {
	Name       string
	Table      *Table
	Columns    []*Column
	RefTable   string   // referenced table name, as written
	RefColumns []string // referenced column names, as written
	OnDelete   string   // "CASCADE", "SET NULL", ... (upper case) or ""
	OnUpdate   string
	// Target and TargetColumns are filled when a MetaData resolves the key.
	Target        *Table
	TargetColumns []*Column
}

// Index is a (possibly unique) index.
type Index struct {
	Name    string
	Columns []*Column
	Unique  bool
}

// Unique is a unique constraint.
type Unique struct {
	Name    string
	Columns []*Column
}

// Check is a check constraint.
type Check struct {
	Name string
	Expr string
}

// RelationField is a field whose type is a relationship (relations.One,
// Many, Dynamic). meta records it; the relations package resolves it.
type RelationField struct {
	Table  *Table
	Field  string
	Index  []int
	Offset uintptr
	GoType reflect.Type
	Kind   RelationKind
	Target reflect.Type // the related struct type
	// Tag holds the relationship's tag words (back_populates, order_by, ...).
	Tag map[string]string

	resolved atomic.Pointer[relEntry] // Resolve's result, once known
}

// RelationKind tells a to-one field from a collection.
type RelationKind uint8

// Relation kinds.
const (
	RelOne     RelationKind = iota + 1 // relations.One[T]
	RelMany                            // relations.Many[T]
	RelDynamic                         // relations.Dynamic[T]
)

// RelationType is implemented by the relationship field types of package
// relations; meta uses it to recognise them without importing relations.
type RelationType interface {
	ArcRelation() (RelationKind, reflect.Type)
}

// ColumnByName returns the column with the SQL name name, or nil.
func (t *Table) ColumnByName(name string) *Column { return t.byName[name] }

// ColumnByField returns the column for the Go field path (e.g. "Name" or
// "Timestamps.CreatedAt"; a promoted mixin field also answers to its short
// name), or nil.
func (t *Table) ColumnByField(field string) *Column { return t.byField[field] }

// Relation returns the relation field with Go name field, or nil.
func (t *Table) Relation(field string) *RelationField {
	for _, r := range t.Relations {
		if r.Field == field {
			return r
		}
	}
	return nil
}

// ColumnAt returns the column whose field starts at byte offset off and has
// type typ, or nil. typ tells a mixin apart from its first field.
func (t *Table) ColumnAt(off uintptr, typ reflect.Type) *Column {
	return t.byOffset[offsetKey{off, typ}]
}

// RelationAt returns the relation field at byte offset off, or nil.
func (t *Table) RelationAt(off uintptr) *RelationField { return t.relByOff[off] }

// Probe returns this table's probe: a zero value of the struct, allocated
// once and never freed, whose field addresses name the table's columns in
// expressions (&probe.Name is users.name).
func (t *Table) Probe() unsafe.Pointer { return t.probe }

// Size is the struct's size in bytes.
func (t *Table) Size() uintptr { return t.size }

// HasCompositeKey reports whether the primary key has more than one column.
func (t *Table) HasCompositeKey() bool { return len(t.PrimaryKey) > 1 }

// AutoPK returns the single autoincrement primary key column, or nil.
func (t *Table) AutoPK() *Column {
	if len(t.PrimaryKey) == 1 && t.PrimaryKey[0].AutoIncrement {
		return t.PrimaryKey[0]
	}
	return nil
}

// ColumnNames lists the SQL names of cols.
func ColumnNames(cols []*Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// FieldPtr returns the address of column c inside the struct at base.
func (c *Column) FieldPtr(base unsafe.Pointer) unsafe.Pointer { return layout.At(base, c.Offset) }

// FieldValue returns an addressable reflect.Value of column c in the struct at base.
func (c *Column) FieldValue(base unsafe.Pointer) reflect.Value {
	return layout.Value(base, c.Offset, c.GoType)
}

// String is "table.column".
func (c *Column) String() string { return c.Table.Name + "." + c.Name }

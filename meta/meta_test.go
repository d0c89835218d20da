package meta_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/meta"
)

// Money is a custom type stored through driver.Valuer / sql.Scanner.
type Money struct{ Cents int64 }

func (m Money) Value() (driver.Value, error) { return m.Cents, nil }
func (m *Money) Scan(src any) error {
	if v, ok := src.(int64); ok {
		m.Cents = v
	}
	return nil
}

type Timestamps struct {
	CreatedAt time.Time
	UpdatedAt time.Time
}

type Audit struct {
	CreatedBy string `arc:"size:40;index"`
}

type User struct {
	ID       int64  `arc:"seq:user_id_seq"`
	Name     string `arc:"size:50;notnull;index"`
	Fullname string
	Nickname string `arc:"size:50;unique"`
	Secret   string `arc:"-"`
	private  int    //nolint:unused
	Timestamps
	Audit
}

type Address struct {
	ID     int64
	Email  string `arc:"column:email_address;notnull"`
	UserID *int64 `arc:"fk:users.id;ondelete:cascade"`
}

type Custom struct{ ID int64 }

func (Custom) TableName() string { return "my_custom" }

type Custom2 struct{ ID int64 }

func (*Custom2) TableName() string { return "my_custom" }

type Composite struct {
	A int64  `arc:"pk"`
	B string `arc:"pk;size:10"`
	C int
}

type Everything struct {
	ID       int32
	I        int
	I8       int8
	I16      int16
	I32      int32
	I64      int64
	U        uint
	U8       uint8
	U16      uint16
	U32      uint32
	U64      uint64
	F32      float32
	F64      float64
	B        bool
	S        string
	S50      string `arc:"size:50"`
	T        string `arc:"text"`
	When     time.Time
	Blob     []byte
	PI       *int64
	PS       *string
	PT       *time.Time
	NS       sql.NullString
	NI       sql.NullInt64
	NI32     sql.NullInt32
	NI16     sql.NullInt16
	NB       sql.NullBool
	NF       sql.NullFloat64
	NT       sql.NullTime
	NByte    sql.NullByte
	NG       sql.Null[int64]
	Price    Money
	PricePtr *Money
	Dec      string    `arc:"precision:10;scale:2"`
	Raw      string    `arc:"type:CHAR(3)"`
	Doc      Payload   `arc:"json"`
	Age      int       `arc:"check:age >= 0"`
	Ver      int64     `arc:"version"`
	Def      string    `arc:"default:hello"`
	DefN     int       `arc:"default:42"`
	DefB     bool      `arc:"default:true"`
	DefF     float64   `arc:"default:1.5"`
	DefT     time.Time `arc:"default:now"`
	SDef     string    `arc:"server_default:'x'"`
	Nullable int       `arc:"null"`
	Named    string    `arc:"index:ix_named_pair"`
	Named2   string    `arc:"index:ix_named_pair"`
	UqA      string    `arc:"unique:uq_pair"`
	UqB      string    `arc:"unique:uq_pair"`
	OnUpd    *int64    `arc:"fk:users.id;onupdate:cascade;ondelete:set null"`
	Stamp    time.Time `arc:"autocreatetime"`
	Touched  time.Time `arc:"autoupdatetime"`
}

type Payload struct{ A []string }

func TestTableAndColumnNames(t *testing.T) {
	u, err := meta.Of[User]()
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "users" {
		t.Errorf("table = %q", u.Name)
	}
	want := []string{"id", "name", "fullname", "nickname", "created_at", "updated_at", "created_by"}
	if got := meta.ColumnNames(u.Columns); !reflect.DeepEqual(got, want) {
		t.Errorf("columns = %v, want %v (Secret skipped by arc:\"-\", private ignored, mixins joined)", got, want)
	}
	a := meta.MustOf[Address]()
	if a.Name != "addresses" || a.ColumnByField("Email").Name != "email_address" {
		t.Errorf("addresses: %s %v", a.Name, meta.ColumnNames(a.Columns))
	}
	if c := meta.MustOf[Custom](); c.Name != "my_custom" {
		t.Errorf("TableName() override ignored: %s", c.Name)
	}
	// A pointer type, reflect.Type and a value all name the same cached table.
	p, _ := meta.TableOf(reflect.TypeFor[*User]())
	v, _ := meta.TableOfValue(User{})
	if p != u || v != u {
		t.Error("TableOf(*User) / TableOfValue(User{}) are not the cached *Table")
	}
	// Mixin fields answer to their path and their promoted name.
	if c := u.ColumnByField("Timestamps.CreatedAt"); c == nil || c != u.ColumnByField("CreatedAt") {
		t.Error("mixin column lookup by path / short name")
	}
	if u.CreatedAt == nil || u.CreatedAt.Name != "created_at" || u.UpdatedAt == nil {
		t.Error("CreatedAt/UpdatedAt of the Timestamps mixin not recognised")
	}
	if u.ColumnByName("secret") != nil {
		t.Error("arc:\"-\" field mapped")
	}
}

func TestPrimaryKeys(t *testing.T) {
	u := meta.MustOf[User]()
	if len(u.PrimaryKey) != 1 || u.PrimaryKey[0].Name != "id" || !u.PrimaryKey[0].AutoIncrement || u.PrimaryKey[0].Nullable {
		t.Errorf("users pk: %+v", u.PrimaryKey)
	}
	if u.AutoPK() == nil || u.HasCompositeKey() || u.PKName != "pk_users" {
		t.Errorf("AutoPK/HasCompositeKey/PKName: %v %v %s", u.AutoPK(), u.HasCompositeKey(), u.PKName)
	}
	if u.PrimaryKey[0].Sequence != "user_id_seq" || !reflect.DeepEqual(u.Sequences, []string{"user_id_seq"}) {
		t.Errorf("sequence: %q %v", u.PrimaryKey[0].Sequence, u.Sequences)
	}
	c := meta.MustOf[Composite]()
	if got := meta.ColumnNames(c.PrimaryKey); !reflect.DeepEqual(got, []string{"a", "b"}) || !c.HasCompositeKey() {
		t.Errorf("composite pk = %v", got)
	}
	for _, col := range c.PrimaryKey {
		if col.AutoIncrement || col.Nullable {
			t.Errorf("composite pk column %s: autoincrement=%v nullable=%v", col.Name, col.AutoIncrement, col.Nullable)
		}
	}
	if c.AutoPK() != nil {
		t.Error("composite key has an AutoPK")
	}
	type NoAuto struct {
		ID int64 `arc:"autoincrement:false"`
	}
	if meta.MustOf[NoAuto]().PrimaryKey[0].AutoIncrement {
		t.Error("autoincrement:false ignored")
	}
	type StrKey struct {
		Code string `arc:"pk;size:3"`
	}
	if k := meta.MustOf[StrKey]().PrimaryKey[0]; k.AutoIncrement || k.Name != "code" {
		t.Errorf("string pk: %+v", k)
	}
}

func TestColumnShapes(t *testing.T) {
	e, err := meta.Of[Everything]()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]meta.Kind{
		"i": meta.KindBigInt, "i8": meta.KindSmallInt, "i16": meta.KindSmallInt, "i32": meta.KindInt,
		"i64": meta.KindBigInt, "u": meta.KindBigInt, "u8": meta.KindSmallInt, "u16": meta.KindInt,
		"u32": meta.KindBigInt, "u64": meta.KindBigInt, "f32": meta.KindFloat, "f64": meta.KindDouble,
		"b": meta.KindBool, "s": meta.KindString, "s50": meta.KindString, "t": meta.KindText,
		"when": meta.KindTime, "blob": meta.KindBytes, "pi": meta.KindBigInt, "ps": meta.KindString,
		"pt": meta.KindTime, "ns": meta.KindString, "ni": meta.KindBigInt, "ni32": meta.KindInt,
		"ni16": meta.KindSmallInt, "nb": meta.KindBool, "nf": meta.KindDouble, "nt": meta.KindTime,
		"n_byte": meta.KindSmallInt, "ng": meta.KindBigInt, "price": meta.KindText, "price_ptr": meta.KindText,
		"dec": meta.KindDecimal, "doc": meta.KindJSON,
	}
	for name, k := range kinds {
		c := e.ColumnByName(name)
		if c == nil {
			t.Errorf("no column %s", name)
			continue
		}
		if c.Kind != k {
			t.Errorf("%s: kind %s, want %s", name, c.Kind, k)
		}
	}
	nullable := map[string]bool{"pi": true, "ps": true, "pt": true, "ns": true, "ng": true, "nt": true, "price_ptr": true, "blob": true}
	for name := range nullable {
		if !e.ColumnByName(name).CanHoldNull() {
			t.Errorf("%s cannot hold NULL", name)
		}
	}
	for _, name := range []string{"i", "s", "b", "when", "f64"} {
		if e.ColumnByName(name).CanHoldNull() {
			t.Errorf("%s claims it can hold NULL", name)
		}
	}
	if c := e.ColumnByName("pi"); !c.Ptr || c.Elem != reflect.TypeFor[int64]() {
		t.Errorf("pi: ptr=%v elem=%v", c.Ptr, c.Elem)
	}
	if c := e.ColumnByName("ng"); !c.NullType || c.Elem != reflect.TypeFor[int64]() {
		t.Errorf("sql.Null[int64]: nulltype=%v elem=%v", c.NullType, c.Elem)
	}
	if c := e.ColumnByName("price"); !c.Valuer || !c.Scanner {
		t.Errorf("Money: valuer=%v scanner=%v", c.Valuer, c.Scanner)
	}
	if c := e.ColumnByName("s50"); c.Size != 50 {
		t.Errorf("size = %d", c.Size)
	}
	if c := e.ColumnByName("dec"); c.Precision != 10 || c.Scale != 2 {
		t.Errorf("precision/scale = %d/%d", c.Precision, c.Scale)
	}
	if c := e.ColumnByName("raw"); c.SQLType != "CHAR(3)" {
		t.Errorf("type: = %q", c.SQLType)
	}
	if c := e.ColumnByName("doc"); !c.JSON {
		t.Error("json flag")
	}
	if c := e.ColumnByName("nullable"); !c.Nullable {
		t.Error("null flag")
	}
	if e.Version == nil || e.Version.Name != "ver" {
		t.Error("version column")
	}
	if e.CreatedAt == nil || e.CreatedAt.Name != "stamp" || e.UpdatedAt == nil || e.UpdatedAt.Name != "touched" {
		t.Error("autocreatetime / autoupdatetime")
	}
}

func TestNotNullUniqueIndexDefaults(t *testing.T) {
	u := meta.MustOf[User]()
	if u.ColumnByName("name").Nullable || !u.ColumnByName("fullname").Nullable {
		t.Error("notnull: name must be NOT NULL, fullname nullable")
	}
	if !u.ColumnByName("nickname").Unique || len(u.Uniques) != 1 || u.Uniques[0].Name != "uq_users_nickname" {
		t.Errorf("unique: %+v", u.Uniques)
	}
	var ix []string
	for _, i := range u.Indexes {
		ix = append(ix, i.Name+"("+strings.Join(meta.ColumnNames(i.Columns), ",")+")")
	}
	if want := []string{"ix_users_name(name)", "ix_users_created_by(created_by)"}; !reflect.DeepEqual(ix, want) {
		t.Errorf("indexes = %v, want %v", ix, want)
	}

	e := meta.MustOf[Everything]()
	var named *meta.Index
	for _, i := range e.Indexes {
		if i.Name == "ix_named_pair" {
			named = i
		}
	}
	if named == nil || !reflect.DeepEqual(meta.ColumnNames(named.Columns), []string{"named", "named2"}) {
		t.Errorf("named composite index: %+v", named)
	}
	if len(e.Uniques) != 1 || e.Uniques[0].Name != "uq_pair" || !reflect.DeepEqual(meta.ColumnNames(e.Uniques[0].Columns), []string{"uq_a", "uq_b"}) {
		t.Errorf("named composite unique: %+v", e.Uniques)
	}
	defaults := map[string]any{"def": "hello", "def_n": 42, "def_b": true, "def_f": 1.5}
	for name, want := range defaults {
		c := e.ColumnByName(name)
		if !c.HasDefault || c.Default != want {
			t.Errorf("%s default = %#v, want %#v", name, c.Default, want)
		}
	}
	if c := e.ColumnByName("def_t"); !c.HasDefault || !c.DefaultNow {
		t.Error("default:now")
	}
	if c := e.ColumnByName("s_def"); c.ServerDefault != "'x'" || c.HasDefault {
		t.Errorf("server_default = %q", c.ServerDefault)
	}
	if len(e.Checks) != 1 || e.Checks[0].Name != "ck_everythings_age" || e.Checks[0].Expr != "age >= 0" {
		t.Errorf("check: %+v", e.Checks)
	}
}

func TestForeignKeys(t *testing.T) {
	a := meta.MustOf[Address]()
	if len(a.ForeignKeys) != 1 {
		t.Fatalf("fks: %+v", a.ForeignKeys)
	}
	fk := a.ForeignKeys[0]
	if fk.Name != "fk_addresses_user_id_users" || fk.RefTable != "users" || !reflect.DeepEqual(fk.RefColumns, []string{"id"}) ||
		fk.OnDelete != "CASCADE" || fk.Columns[0] != a.ColumnByName("user_id") || a.ColumnByName("user_id").FK != fk {
		t.Errorf("fk = %+v", fk)
	}
	e := meta.MustOf[Everything]()
	f := e.ColumnByName("on_upd").FK
	if f.OnUpdate != "CASCADE" || f.OnDelete != "SET NULL" {
		t.Errorf("onupdate/ondelete = %q/%q", f.OnUpdate, f.OnDelete)
	}
	// A single integer pk that is also a foreign key does not autoincrement.
	type Profile struct {
		UserID int64 `arc:"pk;fk:users.id"`
	}
	if meta.MustOf[Profile]().PrimaryKey[0].AutoIncrement {
		t.Error("an FK primary key autoincrements")
	}
}

// Constraint names depend only on table and column names, never on field
// order of unrelated columns, run or platform.
func TestNamingConventionDeterministic(t *testing.T) {
	type Order struct {
		ID     int64
		Number string `arc:"unique;index"`
		UserID int64  `arc:"fk:users.id"`
	}
	o := meta.MustOf[Order]()
	got := []string{o.PKName, o.Uniques[0].Name, o.Indexes[0].Name, o.ForeignKeys[0].Name}
	want := []string{"pk_orders", "uq_orders_number", "ix_orders_number", "fk_orders_user_id_users"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
}

type BadUnknownWord struct {
	ID   int64
	Name string `arc:"size:10;nulable"`
}
type BadType struct {
	ID   int64
	Tags map[string]string
}
type BadStructField struct {
	ID   int64
	Addr struct{ Street string }
}
type BadDupColumn struct {
	ID    int64
	Email string
	Mail  string `arc:"column:email"`
}
type BadNoPK struct {
	Name string
}
type BadFKColumn struct {
	ID     int64
	UserID int64 `arc:"fk:users.uid"`
}
type BadFKTable struct {
	ID  int64
	XID int64 `arc:"fk:nowhere.id"`
}
type BadSize struct {
	ID int64
	N  int `arc:"size:10"`
}
type BadPtrPK struct {
	ID *int64
}
type BadOndelete struct {
	ID  int64
	UID int64 `arc:"fk:users.id;ondelete:explode"`
}
type BadOndeleteNoFK struct {
	ID  int64
	UID int64 `arc:"ondelete:cascade"`
}
type BadTwice struct {
	ID int64 `arc:"pk;pk"`
}
type BadAutoinc struct {
	ID   int64
	Name string `arc:"autoincrement"`
}
type BadDefault struct {
	ID int64
	N  int `arc:"default:abc"`
}
type BadMixinPtr struct {
	ID int64
	*Timestamps
}
type BadDupViaMixin struct {
	ID        int64
	CreatedAt time.Time `arc:"column:updated_at"`
	Timestamps
}

type BadAutoincNonPK struct {
	ID int64
	N  int64 `arc:"autoincrement"`
}
type BadScale struct {
	ID int64
	D  string `arc:"scale:2"`
}
type BadEmptyColumn struct {
	ID int64
	N  int `arc:"column:"`
}
type BadEmptySeq struct {
	ID int64 `arc:"seq:"`
}
type BadVersionType struct {
	ID int64
	V  string `arc:"version"`
}
type BadTwoVersions struct {
	ID int64
	V1 int `arc:"version"`
	V2 int `arc:"version"`
}
type BadText struct {
	ID int64
	N  int `arc:"text"`
}
type BadSizeValue struct {
	ID int64
	S  string `arc:"size:abc"`
}
type BadFKFormat struct {
	ID  int64
	UID int64 `arc:"fk:users"`
}
type BadCompositeAutoinc struct {
	A int64 `arc:"pk;autoincrement"`
	B int64 `arc:"pk"`
}
type BadEmptyServerDefault struct {
	ID int64
	N  int `arc:"server_default:"`
}

func TestBadModels(t *testing.T) {
	tests := []struct {
		model any
		field string
		msg   string
	}{
		{BadUnknownWord{}, "Name", `unknown tag word "nulable"`},
		{BadType{}, "Tags", "unsupported field type map[string]string"},
		{BadStructField{}, "Addr", "unsupported field type"},
		{BadDupColumn{}, "Mail", `column "email" is also mapped by field Email`},
		{BadNoPK{}, "", "no primary key"},
		{BadSize{}, "N", "size applies to string fields"},
		{BadPtrPK{}, "ID", "primary key column cannot be a pointer"},
		{BadOndelete{}, "UID", "ondelete:explode"},
		{BadOndeleteNoFK{}, "UID", "ondelete: without fk:"},
		{BadTwice{}, "ID", `"pk" given twice`},
		{BadAutoinc{}, "Name", "autoincrement needs an integer"},
		{BadDefault{}, "N", "default:abc does not parse"},
		{BadMixinPtr{}, "Timestamps", "embedded pointer"},
		{BadDupViaMixin{}, "Timestamps.UpdatedAt", `column "updated_at" is also mapped by field CreatedAt`},
		{42, "", "must be a struct"},
		{BadAutoincNonPK{}, "N", "autoincrement is only supported on the primary key"},
		{BadScale{}, "D", "scale: needs precision:"},
		{BadEmptyColumn{}, "N", "column: needs a name"},
		{BadEmptySeq{}, "ID", "seq: needs a sequence name"},
		{BadVersionType{}, "V", "a version column must be an integer"},
		{BadTwoVersions{}, "V2", "two version columns"},
		{BadText{}, "N", "text applies to string fields"},
		{BadSizeValue{}, "S", "size:abc is not a positive number"},
		{BadFKFormat{}, "UID", "fk:users should be table.column"},
		{BadCompositeAutoinc{}, "A", "autoincrement is not supported on a composite primary key"},
		{BadEmptyServerDefault{}, "N", "server_default: needs an expression"},
	}
	for _, tt := range tests {
		typ := reflect.TypeOf(tt.model)
		t.Run(typ.Name(), func(t *testing.T) {
			_, err := meta.TableOf(typ)
			checkModelErr(t, err, typ.String(), tt.field, tt.msg)
			// The error is cached: asking again gives it again.
			_, err2 := meta.TableOf(typ)
			if err2 == nil || err2.Error() != err.Error() {
				t.Errorf("second lookup: %v", err2)
			}
		})
	}
}

func checkModelErr(t *testing.T, err error, model, field, msg string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, arcerr.ErrInvalidModel) {
		t.Errorf("%v is not ErrInvalidModel", err)
	}
	var me *arcerr.ModelError
	if !errors.As(err, &me) {
		t.Fatalf("%v is not a *ModelError", err)
	}
	if me.Model != model || me.Field != field {
		t.Errorf("names model %q field %q, want %q %q", me.Model, me.Field, model, field)
	}
	if !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), model) {
		t.Errorf("message %q does not contain %q and %q", err, msg, model)
	}
}

func TestForeignKeyCheckedWhenRegistryIsComplete(t *testing.T) {
	// Address alone refers to a table nobody maps.
	_, err := meta.NewMetaData(Address{})
	checkModelErr(t, err, "meta_test.Address", "UserID", `foreign key to table "users"`)
	// With users present but no uid column.
	_, err = meta.NewMetaData(User{}, BadFKColumn{})
	checkModelErr(t, err, "meta_test.BadFKColumn", "UserID", "users.uid, which does not exist")
	_, err = meta.NewMetaData(BadFKTable{})
	checkModelErr(t, err, "meta_test.BadFKTable", "XID", `"nowhere"`)
	// Two models on one table.
	if _, err := meta.NewMetaData(Custom{}, Custom2{}); !errors.Is(err, arcerr.ErrInvalidModel) || !strings.Contains(err.Error(), "my_custom") {
		t.Errorf("two models on one table: %v", err)
	}
	// A bad model in the list surfaces its own error.
	if _, err := meta.NewMetaData(User{}, BadNoPK{}); !errors.Is(err, arcerr.ErrInvalidModel) {
		t.Errorf("bad model: %v", err)
	}
}

type Post struct {
	ID       int64
	UserID   *int64 `arc:"fk:users.id"`
	Headline string `arc:"size:255;notnull"`
}
type Keyword struct {
	ID      int64
	Keyword string `arc:"size:50;notnull;unique"`
}
type PostKeyword struct {
	PostID    int64 `arc:"pk;fk:posts.id"`
	KeywordID int64 `arc:"pk;fk:keywords.id"`
}

func TestMetaDataSortsByForeignKey(t *testing.T) {
	// Registered children first: the sort must still put parents first.
	md, err := meta.NewMetaData(&PostKeyword{}, Keyword{}, reflect.TypeFor[Post](), Address{}, User{})
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, tb := range md.Sorted() {
		pos[tb.Name] = i
	}
	for _, tb := range md.Tables() {
		for _, fk := range tb.ForeignKeys {
			if pos[fk.RefTable] > pos[tb.Name] {
				t.Errorf("%s sorted before %s, which it refers to", tb.Name, fk.RefTable)
			}
			if fk.Target == nil || fk.Target.Name != fk.RefTable || len(fk.TargetColumns) != 1 {
				t.Errorf("fk %s not resolved", fk.Name)
			}
		}
	}
	if got := md.String(); got != "MetaData(users, posts, keywords, post_keywords, addresses)" {
		t.Errorf("order = %s", got)
	}
	if md.Table("users") != meta.MustOf[User]() || md.TableFor(reflect.TypeFor[*Keyword]()) != meta.MustOf[Keyword]() {
		t.Error("lookup by name / type")
	}
	if len(md.Cycles()) != 0 {
		t.Errorf("cycles: %v", md.Cycles())
	}
	// Adding a model already present is a no-op.
	if err := md.Add(User{}); err != nil || len(md.Tables()) != 5 {
		t.Errorf("re-add: %v, %d tables", err, len(md.Tables()))
	}
}

type CycA struct {
	ID  int64
	BID *int64 `arc:"fk:cyc_bs.id"`
}
type CycB struct {
	ID  int64
	AID *int64 `arc:"fk:cyc_as.id"`
}

func TestMetaDataCycles(t *testing.T) {
	md, err := meta.NewMetaData(CycA{}, CycB{}, User{})
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Cycles()) != 1 || len(md.Cycles()[0]) != 2 || len(md.Sorted()) != 3 {
		t.Errorf("cycles = %v, sorted = %v", md.Cycles(), md.Sorted())
	}
}

// Many goroutines asking for the same and different types at once get one
// *Table per type (run under -race).
func TestOfConcurrent(t *testing.T) {
	type C1 struct {
		ID   int64
		Name string
	}
	type C2 struct {
		ID int64
		C1 int64
	}
	type C3 struct {
		K string `arc:"pk"`
	}
	const n = 64
	var wg sync.WaitGroup
	got := make([][3]*meta.Table, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, _ := meta.Of[C1]()
			b, _ := meta.Of[C2]()
			c, _ := meta.Of[C3]()
			got[i] = [3]*meta.Table{a, b, c}
			_ = a.ColumnByName("name")
			_, _, _ = meta.ProbeOwner(a.Probe())
			_, _ = meta.Of[BadNoPK]()
		}()
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if got[i] != got[0] || got[0][0] == nil {
			t.Fatalf("goroutine %d got different tables", i)
		}
	}
}

func TestProbe(t *testing.T) {
	u := meta.MustOf[User]()
	p := (*User)(u.Probe())
	tb, off, ok := meta.ProbeOwner(unsafePtr(&p.Nickname))
	if !ok || tb != u || tb.ColumnAt(off, reflect.TypeFor[string]()).Name != "nickname" {
		t.Errorf("ProbeOwner(&probe.Nickname) = %v %d %v", tb, off, ok)
	}
	// A mixin's first field and the mixin itself share an offset: the type tells them apart.
	tb, off, _ = meta.ProbeOwner(unsafePtr(&p.Timestamps))
	if c := tb.ColumnAt(off, reflect.TypeFor[time.Time]()); c == nil || c.Name != "created_at" {
		t.Errorf("mixin first field: %v", c)
	}
	if c := tb.ColumnAt(off, reflect.TypeFor[Timestamps]()); c != nil {
		t.Errorf("the mixin itself resolved to column %v", c)
	}
	var real User
	if _, _, ok := meta.ProbeOwner(unsafePtr(&real.Name)); ok {
		t.Error("a real object's field resolved as a probe")
	}
}

type Hooked struct{ ID int64 }

func (*Hooked) BeforeSave(context.Context) error { return nil }
func (*Hooked) AfterLoad(context.Context) error  { return nil }

func TestHooks(t *testing.T) {
	h := meta.MustOf[Hooked]().Hooks
	if !h.Has(meta.HookBeforeSave) || !h.Has(meta.HookAfterLoad) || h.Has(meta.HookBeforeDelete) {
		t.Errorf("hooks = %b", h)
	}
	if meta.MustOf[User]().Hooks != 0 {
		t.Error("User has hooks")
	}
}

func TestRowTypeNeedsNoKey(t *testing.T) {
	type Row struct {
		Name  string
		Count int64 `arc:"column:n"`
	}
	r, err := meta.RowTypeOf(reflect.TypeFor[Row]())
	if err != nil || !reflect.DeepEqual(meta.ColumnNames(r.Columns), []string{"name", "n"}) {
		t.Errorf("RowTypeOf: %v %v", r, err)
	}
}

package meta_test

import (
	"database/sql/driver"
	"reflect"
	"testing"

	"github.com/arcorm/arc/meta"
)

type rawUUID [16]byte

type vUUID [16]byte

func (u vUUID) Value() (driver.Value, error) { return u[:], nil }
func (u *vUUID) Scan(any) error              { return nil }

type BadEnumInt struct {
	ID int64
	N  int `arc:"enum:1,2"`
}
type BadEnumEmpty struct {
	ID int64
	S  string `arc:"enum:"`
}
type BadEnumDup struct {
	ID int64
	S  string `arc:"enum:a,b,a"`
}
type BadGeneratedPK struct {
	ID int64 `arc:"pk;generated:1"`
}
type BadGeneratedDefault struct {
	ID int64
	N  int64 `arc:"generated:id * 2;server_default:0"`
}
type BadGeneratedEmpty struct {
	ID int64
	N  int64 `arc:"generated:"`
}
type BadRawUUID struct {
	ID rawUUID
}
type BadUUIDInt struct {
	ID int64
	N  int64 `arc:"uuid"`
}
type BadArrayPtr struct {
	ID   int64
	Tags *[]string
}
type BadArrayElem struct {
	ID   int64
	Nums []int
}

func TestBadTypeModels(t *testing.T) {
	tests := []struct {
		model any
		field string
		msg   string
	}{
		{BadEnumInt{}, "N", "enum applies to string fields"},
		{BadEnumEmpty{}, "S", "enum: needs values"},
		{BadEnumDup{}, "S", `enum value "a" given twice`},
		{BadGeneratedPK{}, "ID", "a generated column cannot also be pk"},
		{BadGeneratedDefault{}, "N", "a generated column cannot also be server_default"},
		{BadGeneratedEmpty{}, "N", "generated: needs a SQL expression"},
		{BadRawUUID{}, "ID", "[16]byte without driver.Valuer and sql.Scanner"},
		{BadUUIDInt{}, "N", "uuid applies to string fields"},
		{BadArrayPtr{}, "Tags", "a nil slice is NULL already"},
		{BadArrayElem{}, "Nums", "a slice column is a PostgreSQL array of string, int64, int32, float64 or bool"},
	}
	for _, tt := range tests {
		typ := reflect.TypeOf(tt.model)
		t.Run(typ.Name(), func(t *testing.T) {
			_, err := meta.TableOf(typ)
			checkModelErr(t, err, typ.String(), tt.field, tt.msg)
		})
	}
}

type Status string

func (Status) Values() []string { return []string{"draft", "published"} }

type TypeShapes struct {
	ID      vUUID
	Ref     *vUUID
	Text    string `arc:"uuid"`
	Tags    []string
	Counts  []int64
	State   Status
	Kind    string         `arc:"enum:a,b'c"`
	Slug    string         `arc:"generated:lower(text)"`
	Doc     map[string]any `arc:"jsonb"`
	Created int64
}

func TestTypeKinds(t *testing.T) {
	tb, err := meta.Of[TypeShapes]()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]meta.Kind{"id": meta.KindUUID, "ref": meta.KindUUID, "text": meta.KindUUID,
		"tags": meta.KindArray, "counts": meta.KindArray, "state": meta.KindString, "doc": meta.KindJSON}
	for name, k := range kinds {
		if got := tb.ColumnByName(name).Kind; got != k {
			t.Errorf("%s: kind %s, want %s", name, got, k)
		}
	}
	if tb.PrimaryKey[0].AutoIncrement {
		t.Error("a UUID key does not autoincrement")
	}
	if got := tb.ColumnByName("state").Enum; !reflect.DeepEqual(got, []string{"draft", "published"}) {
		t.Errorf("Values() enum: %v", got)
	}
	var checks []string
	for _, c := range tb.Checks {
		checks = append(checks, c.Name+": "+c.Expr)
	}
	want := []string{`ck_type_shapes_state_enum: "state" IN ('draft', 'published')`, `ck_type_shapes_kind_enum: "kind" IN ('a', 'b''c')`}
	if !reflect.DeepEqual(checks, want) {
		t.Errorf("checks:\n%q\nwant\n%q", checks, want)
	}
	if len(tb.Generated) != 1 || tb.Generated[0].Name != "slug" || tb.Generated[0].Generated != "lower(text)" {
		t.Errorf("generated: %v", tb.Generated)
	}
	if !tb.ColumnByName("tags").CanHoldNull() {
		t.Error("a slice holds NULL as nil")
	}
}

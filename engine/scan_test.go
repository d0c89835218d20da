package engine_test

import (
	"database/sql"
	"database/sql/driver"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/migrate"
)

// Money is a custom column type (driver.Valuer on the value, sql.Scanner
// on the pointer).
type Money struct{ Cents int64 }

func (m Money) Value() (driver.Value, error) { return m.Cents, nil }
func (m *Money) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		m.Cents = v
	case []byte, string:
		var n int64
		for _, c := range []byte(asString(v)) {
			n = n*10 + int64(c-'0')
		}
		m.Cents = n
	}
	return nil
}

func asString(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v.(string)
}

type Status string

// AllTypes has a field of every Go type the type table lists.
type AllTypes struct {
	ID     int64
	I      int
	I8     int8
	I16    int16
	I32    int32
	I64    int64
	UU     uint
	U8     uint8
	U16    uint16
	U32    uint32
	U64    uint64
	F32    float32
	F64    float64
	B      bool
	S      string `arc:"size:20"`
	T      string `arc:"text"`
	St     Status `arc:"size:10"`
	When   time.Time
	Blob   []byte
	PI     *int64
	PS     *string
	PT     *time.Time
	PNil   *int64
	NS     sql.NullString
	NI     sql.NullInt64
	NB     sql.NullBool
	NF     sql.NullFloat64
	NT     sql.NullTime
	NNil   sql.NullString
	NG     sql.Null[int32]
	Price  Money          `arc:"type:BIGINT"`
	PPrice *Money         `arc:"type:BIGINT"`
	Doc    map[string]int `arc:"json"`
}

func TestTypesRoundTrip(t *testing.T) {
	when := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	i, s := int64(-7), "ptr"
	in := AllTypes{
		I: -1, I8: -8, I16: -16, I32: -32, I64: -1 << 40, UU: 7, U8: 8, U16: 16, U32: 32, U64: 64, F32: 1.5, F64: 2.25,
		B: true, S: "short", T: "long text ' \" ;", St: "active", When: when, Blob: []byte{0, 1, 2, 255},
		PI: &i, PS: &s, PT: &when,
		NS: sql.NullString{String: "ns", Valid: true}, NI: sql.NullInt64{Int64: 5, Valid: true},
		NB: sql.NullBool{Bool: true, Valid: true}, NF: sql.NullFloat64{Float64: 0.5, Valid: true},
		NT: sql.NullTime{Time: when, Valid: true}, NG: sql.Null[int32]{V: 9, Valid: true},
		Price: Money{1999}, PPrice: &Money{250}, Doc: map[string]int{"a": 1},
	}
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		if err := migrate.CreateAll(ctx, eng, AllTypes{}); err != nil {
			t.Fatal(err)
		}
		tb := meta.MustOf[AllTypes]()
		var cols []string
		var vals []any
		for _, c := range tb.Columns {
			if c.PrimaryKey {
				continue
			}
			cols = append(cols, c.Name)
			v := c.FieldValue(unsafe.Pointer(&in)).Interface()
			if c.JSON {
				v = `{"a":1}`
			}
			vals = append(vals, v)
		}
		if _, err := engine.ExecStmt(ctx, eng, &expr.Insert{Table: tb, Columns: cols, Rows: [][]any{vals}}); err != nil {
			t.Fatal(err)
		}
		rows, err := engine.QueryStmt(ctx, eng, expr.NewSelect(expr.C("*")).SelectFrom(expr.TableOf(tb)))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		names, _ := rows.Columns()
		plan := engine.NewScanPlan(colsByName(tb, names))
		var out AllTypes
		if !rows.Next() {
			t.Fatal("no row")
		}
		if err := plan.Scan(rows, unsafe.Pointer(&out)); err != nil {
			t.Fatal(err)
		}
		want := in
		want.ID = 1
		// Times come back as the same instant, maybe in another location.
		for _, p := range []struct{ got, want *time.Time }{{&out.When, &want.When}, {out.PT, want.PT}, {&out.NT.Time, &want.NT.Time}} {
			if p.got == nil || !p.got.Equal(*p.want) {
				t.Errorf("time %v, want %v", p.got, p.want)
				continue
			}
			*p.got = *p.want
		}
		want.PT = out.PT
		if !reflect.DeepEqual(out, want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", out, want)
		}
	})
}

func colsByName(tb *meta.Table, names []string) []*meta.Column {
	out := make([]*meta.Column, len(names))
	for i, n := range names {
		out[i] = tb.ColumnByName(n)
	}
	return out
}

// NULL into a non-pointer field reads as its zero value.
func TestScanNullIntoPlainField(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		type Row struct {
			ID   int64
			Name string
			N    int
			When time.Time
		}
		tb, err := meta.RowTypeOf(reflect.TypeFor[Row]())
		if err != nil {
			t.Fatal(err)
		}
		rows, err := eng.Query(ctx, "SELECT 1 AS id, NULL AS name, NULL AS n, NULL AS when_")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		r := Row{Name: "x", N: 3, When: time.Now()}
		plan := engine.NewScanPlan([]*meta.Column{tb.Columns[0], tb.Columns[1], tb.Columns[2], tb.Columns[3]})
		rows.Next()
		if err := plan.Scan(rows, unsafe.Pointer(&r)); err != nil {
			t.Fatal(err)
		}
		if r != (Row{ID: 1}) {
			t.Errorf("got %+v", r)
		}
	})
}

// A value that does not fit the field is an error naming the column, not
// a silent wrap-around.
func TestScanOverflow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		type Row struct {
			Small uint8
			Tiny  int8
		}
		tb, err := meta.RowTypeOf(reflect.TypeFor[Row]())
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"SELECT -1 AS small, 0 AS tiny", "SELECT 256 AS small, 0 AS tiny", "SELECT 0 AS small, 128 AS tiny"} {
			rows, err := eng.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			rows.Next()
			var r Row
			err = engine.NewScanPlan(tb.Columns).Scan(rows, unsafe.Pointer(&r))
			rows.Close()
			if err == nil || !strings.Contains(err.Error(), "overflows") {
				t.Errorf("%s: err = %v", q, err)
			}
		}
	})
}

// Rewrites holds for plans of basic kinds only; Null reports the NULLs of
// the row last scanned.
func TestScanPlanRewritesAndNull(t *testing.T) {
	type Row struct {
		ID    int64
		Name  string
		Ptr   *int64
		When  time.Time
		Raw   []byte
		Note  sql.NullString
		Price Money
		Tags  []string `arc:"json"`
	}
	tb, err := meta.RowTypeOf(reflect.TypeFor[Row]())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		cols []string
		want bool
	}{
		{[]string{"id", "name", "ptr", "when", "raw"}, true},
		{[]string{"id", "note"}, false},
		{[]string{"id", "price"}, false},
		{[]string{"id", "tags"}, false},
	}
	for _, c := range cases {
		cols := colsByName(tb, c.cols)
		for i, col := range cols {
			if col == nil {
				t.Fatalf("no column %s", c.cols[i])
			}
		}
		if got := engine.NewScanPlan(cols).Rewrites(); got != c.want {
			t.Errorf("Rewrites(%v) = %v, want %v", c.cols, got, c.want)
		}
	}
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		rows, err := eng.Query(ctx, "SELECT 1 AS id, NULL AS name, NULL AS ptr")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		plan := engine.NewScanPlan(colsByName(tb, []string{"id", "name", "ptr"}))
		v := int64(4)
		r := Row{Name: "x", Ptr: &v}
		rows.Next()
		if err := plan.Scan(rows, unsafe.Pointer(&r)); err != nil {
			t.Fatal(err)
		}
		if plan.Null(0) || !plan.Null(1) || !plan.Null(2) || r.Name != "" || r.Ptr != nil {
			t.Errorf("Null = %v %v %v, row %+v", plan.Null(0), plan.Null(1), plan.Null(2), r)
		}
	})
}

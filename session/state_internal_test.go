package session

import (
	"math"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/arcorm/arc/meta"
)

type cmpModel struct {
	ID    int64
	Name  string
	Small int8
	Flag  bool
	Ratio float64
	When  time.Time
	Maybe *int64
	Blob  []byte
	Tags  []string `arc:"json"`
}

// TestAnyChangedFastPath: the memory comparison of anyChanged agrees with
// the column-by-column test for every kind of change, including changes
// that leave the value equal in other memory.
func TestAnyChangedFastPath(t *testing.T) {
	tbl, err := meta.Of[cmpModel]()
	if err != nil {
		t.Fatal(err)
	}
	cd := codecOf(tbl)
	when := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	base := func() *cmpModel {
		seven := int64(7)
		return &cmpModel{ID: 1, Name: "name", Small: 3, Flag: true, Ratio: math.NaN(), When: when, Maybe: &seven, Blob: []byte("ab"), Tags: []string{"x"}}
	}
	for _, tc := range []struct {
		name    string
		change  func(m *cmpModel)
		changed bool
	}{
		{"nothing", func(*cmpModel) {}, false},
		{"same text in other memory", func(m *cmpModel) { m.Name = strings.Clone("name") }, false},
		{"text", func(m *cmpModel) { m.Name = "other" }, true},
		{"to zero", func(m *cmpModel) { m.Name = "" }, true},
		{"int8", func(m *cmpModel) { m.Small = 0 }, true},
		{"bool", func(m *cmpModel) { m.Flag = false }, true},
		{"NaN stays NaN", func(m *cmpModel) { m.Ratio = math.NaN() }, false},
		{"float", func(m *cmpModel) { m.Ratio = 1 }, true},
		{"same instant elsewhere", func(m *cmpModel) { m.When = when.In(time.FixedZone("x", 3600)) }, false},
		{"instant", func(m *cmpModel) { m.When = when.Add(time.Nanosecond) }, true},
		{"pointer target in place", func(m *cmpModel) { *m.Maybe = 8 }, true},
		{"pointer to an equal value", func(m *cmpModel) { v := int64(7); m.Maybe = &v }, false},
		{"byte in place", func(m *cmpModel) { m.Blob[0] = 'z' }, true},
		{"json in place", func(m *cmpModel) { m.Tags[0] = "y" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			snap := cd.take(unsafe.Pointer(m))
			tc.change(m)
			fast, slow := cd.anyChanged(unsafe.Pointer(m), snap), false
			for i := range cd.cols {
				slow = slow || cd.changed(i, unsafe.Pointer(m), snap)
			}
			if fast != slow || fast != tc.changed {
				t.Fatalf("anyChanged %v, column by column %v, want %v", fast, slow, tc.changed)
			}
		})
	}
}

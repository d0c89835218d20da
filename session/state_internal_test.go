package session

import (
	"math"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/arcorm/arc/meta"
)

type codecProbe struct {
	ID    int64
	F     float64
	F32   float32
	When  time.Time
	Blob  []byte
	Maybe *float64
}

// TestCodecEquality covers the comparison rules that are easy to get
// wrong: NaN is equal to itself (compared by bits), time by instant, bytes
// by content, pointers by target.
func TestCodecEquality(t *testing.T) {
	tbl, err := meta.TableOf(reflect.TypeFor[codecProbe]())
	if err != nil {
		t.Fatal(err)
	}
	cd := codecOf(tbl)
	nan := math.NaN()
	x := &codecProbe{ID: 1, F: nan, F32: float32(nan), When: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Blob: []byte("ab"), Maybe: &nan}
	p := unsafe.Pointer(x)
	snap := cd.take(p)
	if cd.anyChanged(p, snap) {
		t.Fatal("a NaN snapshot must not read as changed")
	}
	steps := []struct {
		name    string
		change  func()
		changed bool
	}{
		{"same instant in another zone", func() { x.When = x.When.In(time.FixedZone("X", 7200)) }, false},
		{"new slice, same bytes", func() { x.Blob = []byte("ab") }, false},
		{"new pointer, same NaN target", func() { n := math.NaN(); x.Maybe = &n }, false},
		{"NaN to number", func() { x.F = 1 }, true},
		{"number back to NaN", func() { x.F = nan }, false},
		{"float32 NaN to negative zero", func() { x.F32 = float32(math.Copysign(0, -1)) }, true},
		{"pointer target", func() { *x.Maybe = 2 }, true},
		{"bytes in place", func() { x.Blob[1] = 'z' }, true},
	}
	for _, s := range steps {
		s.change()
		if got := cd.anyChanged(p, snap); got != s.changed {
			t.Errorf("%s: changed = %v, want %v", s.name, got, s.changed)
		}
		cd.restore(p, snap)
		if cd.anyChanged(p, snap) {
			t.Errorf("%s: restore did not restore", s.name)
		}
	}
}

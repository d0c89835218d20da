package relcore

import (
	"testing"
	"unsafe"
)

// The compact members/snapshot storage gives back the slices it was given:
// nil stays nil, empty stays empty and non-nil, and a snapshot that shares
// the members' array does not see later appends or removals.
func TestCoreListStorage(t *testing.T) {
	a, b, c := new(int), new(int), new(int)
	pa, pb, pc := unsafe.Pointer(a), unsafe.Pointer(b), unsafe.Pointer(c)
	cases := []struct {
		name string
		in   []unsafe.Pointer
	}{
		{"nil", nil},
		{"empty", []unsafe.Pointer{}},
		{"empty with room", make([]unsafe.Pointer, 0, 4)},
		{"two", []unsafe.Pointer{pa, pb}},
		{"tail of a larger array", []unsafe.Pointer{pa, pb, pc}[1:2]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var co Core
			co.SetLoaded(tc.in)
			got := co.Items()
			if (got == nil) != (tc.in == nil) || len(got) != len(tc.in) || cap(got) != cap(tc.in) {
				t.Fatalf("Items() = %v (nil %v, cap %d), want %v (nil %v, cap %d)", got, got == nil, cap(got), tc.in, tc.in == nil, cap(tc.in))
			}
			for i := range got {
				if got[i] != tc.in[i] {
					t.Fatalf("Items()[%d] differs", i)
				}
			}
			snap, ok := co.Snapshot()
			if !ok || (snap == nil) != (tc.in == nil) || len(snap) != len(tc.in) {
				t.Fatalf("Snapshot() = %v, %v", snap, ok)
			}
			co.addRaw(pc)
			if s, _ := co.Snapshot(); len(s) != len(tc.in) {
				t.Fatalf("the snapshot saw an append: %v", s)
			}
			if co.Items()[len(co.Items())-1] != pc || !co.removeRaw(pc) || len(co.Items()) != len(tc.in) {
				t.Fatalf("append/remove: %v", co.Items())
			}
		})
	}
}

// The flags the unit of work reads: Set on an unloaded collection of a
// bound owner replaces it (the flush loads the rest), setting a to-one
// (nil too) is a change, and both are cleared by a load; Core stays 64
// bytes.
func TestCoreReplacedAndAssigned(t *testing.T) {
	if n := unsafe.Sizeof(Core{}); n != 64 {
		t.Fatalf("Core is %d bytes, want 64", n)
	}
	var co Core
	co.SetAll(nil)
	if co.Replaced() || !co.Loaded() {
		t.Fatalf("an unbound field's Set is all there is: replaced %v loaded %v", co.Replaced(), co.Loaded())
	}
	var one Core
	one.SetOne(nil)
	if !one.Assigned() {
		t.Fatal("SetOne(nil) on an unloaded to-one is a change")
	}
	one.SetLoaded(nil)
	if one.Assigned() {
		t.Fatal("a load clears Assigned")
	}
}

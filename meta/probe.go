package meta

import (
	"slices"
	"sync/atomic"
	"unsafe"
)

// Every table's probe is a zero struct allocated once and never freed, so
// the address range of a probe identifies its table for as long as the
// process runs: &probe.Name can only ever mean users.name. probes holds the
// ranges sorted by address; it is replaced wholesale (copy on write) under
// cacheMu when a table is built, and read without locks.
var probes atomic.Pointer[[]probeRange]

type probeRange struct {
	start, end uintptr
	t          *Table
}

func registerProbe(t *Table) {
	old := probes.Load()
	var list []probeRange
	if old != nil {
		list = slices.Clone(*old)
	}
	start := uintptr(t.probe)
	i, _ := slices.BinarySearchFunc(list, start, func(r probeRange, s uintptr) int {
		switch {
		case r.start < s:
			return -1
		case r.start > s:
			return 1
		}
		return 0
	})
	list = slices.Insert(list, i, probeRange{start, start + t.size, t})
	probes.Store(&list)
}

// ProbeOwner returns the table whose default probe contains p, and p's
// offset inside it; ok is false when p points into no probe.
func ProbeOwner(p unsafe.Pointer) (t *Table, off uintptr, ok bool) {
	list := probes.Load()
	if list == nil {
		return nil, 0, false
	}
	a := uintptr(p)
	l := *list
	i, found := slices.BinarySearchFunc(l, a, func(r probeRange, x uintptr) int {
		switch {
		case r.start > x:
			return 1
		case r.end <= x:
			return -1
		}
		return 0
	})
	if !found {
		return nil, 0, false
	}
	_ = i
	return l[i].t, a - l[i].start, true
}

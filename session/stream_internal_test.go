package session

import (
	"context"
	"runtime"
	"testing"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/meta"
)

type streamRow struct {
	ID       int64
	Name     string
	Fullname string
	Nickname string
}

// BenchmarkStreamBookkeeping: what Stream adds to a row, without a
// database and without the scan: "struct" takes a struct from the
// loader (NoTrack's work); "stream" also maps it into the session,
// snapshots it, and on the next row compares it and detaches it.
// Subtracted, the cost of tracking per streamed row, free of the
// driver's noise (BenchmarkStream measures the whole loop).
func BenchmarkStreamBookkeeping(b *testing.B) {
	ctx := context.Background()
	t, err := meta.Of[streamRow]()
	if err != nil {
		b.Fatal(err)
	}
	names := [3]string{"ed", "Ed Jones", "eddie"}
	fill := func(p *streamRow, i int64) {
		p.ID, p.Name, p.Fullname, p.Nickname = i, names[0], names[1], names[2]
	}
	b.Run("struct", func(b *testing.B) {
		s := New(nil)
		ld := s.newLoader(t, engine.NewScanPlan(t.Columns), false, 0, &loadHint{})
		b.ReportAllocs()
		var i int64
		for b.Loop() {
			i++
			fill((*streamRow)(ld.fresh()), i)
		}
	})
	b.Run("stream", func(b *testing.B) {
		s := New(nil)
		ld := s.newLoader(t, engine.NewScanPlan(t.Columns), false, 0, &loadHint{})
		m := streamer{s: s, ld: ld, recycle: true}
		b.ReportAllocs()
		var i int64
		for b.Loop() {
			i++
			m.release()
			p := ld.fresh()
			fill((*streamRow)(p), i)
			if _, err := m.load(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
		m.release()
		if s.states.Len() != 0 {
			b.Fatal("objects left in the session:", s.states.Len())
		}
	})
}

// TestStreamReusesBookkeeping: a stream over a plain model allocates only
// the objects it yields (from the loader's chunks): the state and the
// snapshot of each clean object are reused for the next row, and both
// indexes keep their size (their deleted slots are emptied, not left as
// tombstones that force rehashing).
func TestStreamReusesBookkeeping(t *testing.T) {
	ctx := context.Background()
	tb, err := meta.Of[streamRow]()
	if err != nil {
		t.Fatal(err)
	}
	s := New(nil)
	ld := s.newLoader(tb, engine.NewScanPlan(tb.Columns), false, 0, &loadHint{})
	m := streamer{s: s, ld: ld, recycle: true}
	row := func(i int64) {
		m.release()
		p := ld.fresh()
		*(*streamRow)(p) = streamRow{ID: i, Name: "n"}
		if _, err := m.load(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	row(0)
	var i int64
	const n = 20_000
	before := totalAlloc()
	for range n {
		i++
		row(i)
	}
	perRow := float64(totalAlloc()-before) / n
	// The object's chunk rounds up to a size class (56-byte objects: 64
	// bytes a row); a new state and snapshot per row would add ~200.
	if size := float64(tb.GoType.Size()); perRow > 1.5*size {
		t.Errorf("%.1f bytes allocated per streamed row; the object alone is %.0f: the state or snapshot is not reused", perRow, size)
	}
	m.release()
	if s.states.Len() != 0 || s.states.Slots() > 8 {
		t.Errorf("object index: %d states in %d slots after the stream", s.states.Len(), s.states.Slots())
	}
}

func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

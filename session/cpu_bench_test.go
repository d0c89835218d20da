//go:build unix

package session_test

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU is b.ReportAllocs plus a "cpu-ns/op" metric: the process's
// user+system CPU time from here to the end of the benchmark function,
// per iteration. On a shared machine whose other jobs take the cores
// away, wall time per op includes the wait for a core and moves by tens
// of percent; CPU time counts only the work done (this process's: the
// Go code, SQLite in-process, the collector; not the PostgreSQL
// server's). docs/performance.md gives both.
func reportCPU(b *testing.B) {
	b.ReportAllocs()
	start := cpuTime()
	b.Cleanup(func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	})
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

//go:build !unix

package session_test

import "testing"

// reportCPU is b.ReportAllocs where the process's CPU time is not read
// (see cpu_bench_test.go).
func reportCPU(b *testing.B) { b.ReportAllocs() }

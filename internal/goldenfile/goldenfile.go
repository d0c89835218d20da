// Package goldenfile compares a test's output with a snapshot file of Arc's
// own tests (the per-dialect statement snapshots of expr and session), or
// rewrites the file when the test runs with -update.
package goldenfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check compares got with the file at path; with update it writes got
// there instead. regen is the command that regenerates the file, named
// in the failure when the file is missing. A difference reports the first
// line that differs.
func Check(t testing.TB, path, got string, update bool, regen string) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no snapshot file (%v): run %s and check %s", err, regen, path)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s line %d:\n got %s\nwant %s", path, i+1, g, w)
			break
		}
	}
	t.Errorf("statements differ from %s (regenerate with -update after a deliberate change)", path)
}

//go:build !linux

package cli

import "os"

// isTerminal reports whether f looks like a terminal (a character device
// other than the null device).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(st, null)
}

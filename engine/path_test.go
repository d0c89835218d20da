package engine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/arcorm/arc/engine"
)

// File names with URI-special characters open the file they name.
func TestOpenSQLiteOddPath(t *testing.T) {
	for _, name := range []string{"with space.db", "per%cent.db", "hash#tag.db", "q?mark.db"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d ir")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name)
			u := "sqlite:///" + (&urlPath{path}).escaped()
			eng, err := engine.Open(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			mustExec(t, eng, "CREATE TABLE t (x INTEGER)")
			if _, err := os.Stat(path); err != nil {
				entries, _ := os.ReadDir(dir)
				t.Errorf("%s not created (dir holds %v)", path, entries)
			}
		})
	}
}

type urlPath struct{ p string }

// escaped writes the path as a URL path: percent-encodes what a URL needs.
func (u *urlPath) escaped() string {
	var b []byte
	for i := 0; i < len(u.p); i++ {
		switch c := u.p[i]; c {
		case '%', '?', '#', ' ':
			b = append(b, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

package tag

import (
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; what it accepts has trimmed, lower-case,
// non-empty, distinct keys; Bool, List and Suggest never panic on them.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "pk", "size:50;notnull;index", " PK ; Column: Email_Address ", "fk:users.id;ondelete:set null",
		"server_default:'a:b'", `server_default:'x\;y'`, ";;pk;;", "index:ix_a", "unique:", "pk;PK", ":x",
		"cascade:all,delete-orphan", "pk:false", "notnull:TRUE", `\`, `\\;`, "a:b:c", "secondary:post_keywords;back_populates:Posts",
	} {
		f.Add(s)
	}
	known := []string{"back_populates", "column", "index", "notnull", "null", "pk", "unique"}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := Parse(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, w := range words {
			if w.Key == "" || w.Key != strings.ToLower(w.Key) || w.Key != strings.TrimSpace(w.Key) {
				t.Fatalf("Parse(%q): bad key %q", s, w.Key)
			}
			if seen[w.Key] {
				t.Fatalf("Parse(%q): key %q twice", s, w.Key)
			}
			seen[w.Key] = true
			if w.Flag && w.Value != "" {
				t.Fatalf("Parse(%q): flag %q with value %q", s, w.Key, w.Value)
			}
			if b, err := w.Bool(); err == nil && !w.Flag && !strings.EqualFold(w.Value, "true") && !strings.EqualFold(w.Value, "false") {
				t.Fatalf("Bool(%+v) = %v without an error", w, b)
			}
			_ = w.List()
			_ = Suggest(w.Key, known)
		}
	})
}

// Package tag parses Arc's struct tag grammar: the value of the `arc` key is
// a list of words separated by ';'; a word is either a bare flag ("pk") or
// "key:value"; lists inside a value are separated by ','. A lone "-" skips
// the field. Standard library only.
package tag

import (
	"fmt"
	"strings"
)

// Word is one parsed tag word.
type Word struct {
	Key   string
	Value string // empty for a bare flag
	Flag  bool   // true when the word had no ':'
}

// List splits Value on ',' and trims each item; empty items are dropped.
func (w Word) List() []string {
	if w.Value == "" {
		return nil
	}
	parts := strings.Split(w.Value, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Parse splits a tag value into words. Keys are lower-cased; values keep
// their case. A key repeated twice is an error.
func Parse(s string) ([]Word, error) {
	var words []Word
	seen := map[string]bool{}
	for _, part := range splitUnescaped(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var w Word
		if i := strings.IndexByte(part, ':'); i >= 0 {
			w.Key = strings.ToLower(strings.TrimSpace(part[:i]))
			w.Value = strings.TrimSpace(part[i+1:])
		} else {
			w.Key = strings.ToLower(part)
			w.Flag = true
		}
		if w.Key == "" {
			return nil, fmt.Errorf("empty key in tag word %q", part)
		}
		if seen[w.Key] {
			return nil, fmt.Errorf("tag word %q given twice", w.Key)
		}
		seen[w.Key] = true
		words = append(words, w)
	}
	return words, nil
}

// splitUnescaped splits on ';' except where it is written as '\;' (a
// server_default expression may need a semicolon, rarely).
func splitUnescaped(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == ';' {
			cur.WriteByte(';')
			i++
			continue
		}
		if s[i] == ';' {
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(s[i])
	}
	return append(out, cur.String())
}

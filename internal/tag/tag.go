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

// Bool reads a boolean word: a bare flag is true; otherwise the value
// must be "true" or "false" (any case). Anything else is an error, so that
// pk:no or notnull:0 is never read as the opposite of what was meant.
func (w Word) Bool() (bool, error) {
	if w.Flag {
		return true, nil
	}
	switch strings.ToLower(w.Value) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%s:%s: %s is a flag; write %s, %s:true or %s:false", w.Key, w.Value, w.Key, w.Key, w.Key, w.Key)
}

// Suggest returns the word of known closest to word when it is close
// enough to be a likely misspelling (an edit distance of at most 2, or
// at most 1 for short words; the same letters without _ and -; or a known
// word of 4 letters or more followed by more letters), or "".
func Suggest(word string, known []string) string {
	word = strings.ToLower(word)
	best, bestD := "", 1<<30
	squash := func(s string) string { return strings.NewReplacer("_", "", "-", "").Replace(s) }
	for _, k := range known {
		if squash(k) == squash(word) {
			return k
		}
		d := distance(word, k)
		if d < bestD {
			best, bestD = k, d
		}
	}
	limit := 2
	if len(word) <= 4 {
		limit = 1
	}
	if bestD <= limit {
		return best
	}
	for _, k := range known { // a longer form: nullable -> null, indexed -> index
		if len(k) >= 4 && strings.HasPrefix(word, k) {
			return k
		}
	}
	return ""
}

// distance is the Levenshtein edit distance of a and b (bytes).
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20 // not a misspelling of a tag word
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// IsIdent reports whether s is a plain identifier: an ASCII letter or _
// followed by letters, digits or _.
func IsIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

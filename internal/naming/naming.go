// Package naming holds Arc's naming rules: Go identifiers to snake_case
// SQL names, English pluralisation of table names, and the deterministic
// convention for constraint and index names. Standard library only.
package naming

import (
	"strings"
	"unicode"
)

// Snake converts a Go identifier to snake_case: "UserID" -> "user_id",
// "HTTPServer" -> "http_server", "EmailAddress" -> "email_address",
// "UserIDs" -> "user_ids".
func Snake(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 {
				prev := rs[i-1]
				nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
				// "IDs", "URLs": a plural 's' after an acronym is not a new word.
				if nextLower && rs[i+1] == 's' && (i+2 == len(rs) || !unicode.IsLower(rs[i+2])) {
					nextLower = false
				}
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var irregular = map[string]string{
	"person": "people", "man": "men", "woman": "women", "child": "children",
	"mouse": "mice", "goose": "geese", "foot": "feet", "tooth": "teeth",
	"datum": "data", "index": "indices", "matrix": "matrices", "vertex": "vertices",
}

var uncountable = map[string]bool{
	"equipment": true, "information": true, "rice": true, "money": true,
	"species": true, "series": true, "fish": true, "sheep": true, "news": true,
	"data": true, "metadata": true,
}

// Plural returns the English plural of a lower-case snake_case word; only
// the last segment is inflected ("blog_post" -> "blog_posts").
func Plural(s string) string {
	head, last := "", s
	if i := strings.LastIndexByte(s, '_'); i >= 0 {
		head, last = s[:i+1], s[i+1:]
	}
	return head + pluralWord(last)
}

func pluralWord(w string) string {
	if w == "" || uncountable[w] {
		return w
	}
	if p, ok := irregular[w]; ok {
		return p
	}
	n := len(w)
	switch {
	case n > 1 && w[n-1] == 's' && !strings.ContainsRune("suiao", rune(w[n-2])):
		// Already plural ("types", "settings", "news"); a singular ending in
		// s ("address", "status", "basis", "alias", "kudos") falls through.
		return w
	case strings.HasSuffix(w, "is") && n > 2:
		return w[:n-2] + "es" // basis, analysis
	case strings.HasSuffix(w, "s") || strings.HasSuffix(w, "x") || strings.HasSuffix(w, "z") ||
		strings.HasSuffix(w, "ch") || strings.HasSuffix(w, "sh"):
		return w + "es"
	case strings.HasSuffix(w, "y") && n > 1 && !strings.ContainsRune("aeiou", rune(w[n-2])):
		return w[:n-1] + "ies"
	case strings.HasSuffix(w, "fe"):
		return w[:n-2] + "ves"
	case strings.HasSuffix(w, "lf") || strings.HasSuffix(w, "af"):
		return w[:n-1] + "ves"
	}
	return w + "s"
}

// TableName is the default table name of a Go type name: snake_case plural.
func TableName(typeName string) string { return Plural(Snake(typeName)) }

// Constraint names follow one deterministic convention, because migrations
// address constraints by name:
//
//	primary key   pk_<table>
//	unique        uq_<table>_<col>[_<col>...]
//	index         ix_<table>_<col>[_<col>...]
//	foreign key   fk_<table>_<col>[_<col>...]_<reftable>
//	check         ck_<table>_<name>
//
// Names longer than 63 bytes (PostgreSQL's limit) are cut and suffixed with
// a short stable hash of the full name.

// PrimaryKey names a table's primary key constraint.
func PrimaryKey(table string) string { return limit("pk_" + table) }

// Unique names a unique constraint over cols.
func Unique(table string, cols []string) string {
	return limit("uq_" + table + "_" + strings.Join(cols, "_"))
}

// Index names an index over cols.
func Index(table string, cols []string) string {
	return limit("ix_" + table + "_" + strings.Join(cols, "_"))
}

// ForeignKey names a foreign key from cols of table to refTable.
func ForeignKey(table string, cols []string, refTable string) string {
	return limit("fk_" + table + "_" + strings.Join(cols, "_") + "_" + refTable)
}

// Check names a check constraint.
func Check(table, name string) string { return limit("ck_" + table + "_" + name) }

// MaxIdent is the longest identifier the convention produces.
const MaxIdent = 63

func limit(s string) string {
	if len(s) <= MaxIdent {
		return s
	}
	// FNV-1a, 32 bit: stable across runs and platforms.
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	const hex = "0123456789abcdef"
	suf := make([]byte, 9)
	suf[0] = '_'
	for i := 8; i >= 1; i-- {
		suf[i] = hex[h&0xf]
		h >>= 4
	}
	return s[:MaxIdent-len(suf)] + string(suf)
}

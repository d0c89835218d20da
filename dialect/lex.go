package dialect

import "strings"

// SkipQuoted returns the index just past the quoted or commented token that
// starts at s[i], or i when none starts there. It knows the spellings of
// both dialects: '...' strings (” doubles a quote), PostgreSQL's E'...'
// strings (a backslash escapes the next byte), "..." and `...` identifiers,
// dollar-quoted bodies ($$...$$, $tag$...$tag$; $1 is a parameter, not a
// tag), -- comments (up to, not including, the newline) and /* */
// comments. An unterminated token runs to the end of s. Code that scans SQL
// text for its own tokens (parameters, statement ends) skips what this
// returns.
func SkipQuoted(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch c := s[i]; {
	case (c == 'E' || c == 'e') && i+1 < len(s) && s[i+1] == '\'' && (i == 0 || !isIdentByte(s[i-1])):
		j := i + 2
		for j < len(s) {
			switch s[j] {
			case '\\':
				j += 2
				continue
			case '\'':
				if j+1 < len(s) && s[j+1] == '\'' {
					j += 2
					continue
				}
				return j + 1
			}
			j++
		}
		return len(s)
	case c == '\'' || c == '"' || c == '`':
		j := i + 1
		for j < len(s) {
			if s[j] == c {
				if j+1 < len(s) && s[j+1] == c {
					j += 2
					continue
				}
				return j + 1
			}
			j++
		}
		return len(s)
	case c == '$' && (i == 0 || !isIdentByte(s[i-1])):
		tag := dollarTag(s[i:])
		if tag == "" {
			return i
		}
		if j := strings.Index(s[i+len(tag):], tag); j >= 0 {
			return i + len(tag) + j + len(tag)
		}
		return len(s)
	case c == '-' && i+1 < len(s) && s[i+1] == '-':
		if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
			return i + j
		}
		return len(s)
	case c == '/' && i+1 < len(s) && s[i+1] == '*':
		if j := strings.Index(s[i+2:], "*/"); j >= 0 {
			return i + 2 + j + 2
		}
		return len(s)
	}
	return i
}

func isIdentByte(b byte) bool {
	return b == '_' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b >= 0x80
}

// dollarTag returns the opening tag of a dollar-quoted string at the start
// of s ("$$", "$body$"), or "".
func dollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		switch b := s[j]; {
		case b == '$':
			return s[:j+1]
		case b >= '0' && b <= '9':
			if j == 1 {
				return ""
			}
		case !isIdentByte(b):
			return ""
		}
	}
	return ""
}

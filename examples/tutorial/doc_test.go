package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The guide docs/tutorial.md is checked against this package: each
// "<!-- begin NAME -->" … "<!-- end NAME -->" region of the guide holds the
// code between "// snippet: NAME" and "// end snippet" in this package's
// sources, then what that step printed on SQLite and, where it differs,
// on PostgreSQL. Regenerate the regions after changing the story with
//
//	go test ./examples/tutorial -run TestTutorial -update
var update = flag.Bool("update", false, "rewrite the generated regions of docs/tutorial.md")

const guidePath = "../../docs/tutorial.md"

// snippets reads the snippet regions of the package's Go sources (and of
// package blog), de-indented.
func snippets(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob("blog/*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var name string
		var lines []string
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			line := sc.Text()
			trimmed := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(trimmed, "// snippet: "):
				name, lines = strings.TrimPrefix(trimmed, "// snippet: "), nil
			case trimmed == "// end snippet" && name != "":
				if _, dup := out[name]; dup {
					t.Fatalf("snippet %s defined twice", name)
				}
				out[name] = dedent(lines)
				name = ""
			case name != "":
				lines = append(lines, line)
			}
		}
		if name != "" {
			t.Fatalf("%s: snippet %s has no end", f, name)
		}
	}
	return out
}

// dedent removes the indentation common to all non-blank lines and
// surrounding blank lines.
func dedent(lines []string) string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	prefix := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "\t"))
		if prefix < 0 || n < prefix {
			prefix = n
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		if len(l) >= prefix && prefix > 0 {
			l = l[prefix:]
		}
		out[i] = strings.ReplaceAll(l, "\t", "    ")
	}
	return strings.Join(out, "\n")
}

var placeholder = regexp.MustCompile(`\$\d+`)

// region renders the generated part of the guide for one snippet. logs
// holds the step's text per dialect ("" when it printed nothing or did not
// run).
func region(code string, logs map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "```go\n%s\n```\n", code)
	lite, pg := strings.TrimRight(logs["sqlite"], "\n"), strings.TrimRight(logs["postgres"], "\n")
	if lite != "" {
		fmt.Fprintf(&b, "\nOutput on SQLite:\n\n```text\n%s\n```\n", lite)
	}
	if pg == "" || canon(placeholder.ReplaceAllString(pg, "?")) == canon(lite) {
		return b.String()
	}
	// The same number of lines: show only the lines that differ.
	ll, pl := strings.Split(lite, "\n"), strings.Split(pg, "\n")
	if len(ll) == len(pl) {
		var diff []string
		for i := range pl {
			if canon(placeholder.ReplaceAllString(pl[i], "?")) != canon(ll[i]) {
				diff = append(diff, pl[i])
			}
		}
		fmt.Fprintf(&b, "\nOn PostgreSQL, the lines that differ:\n\n```text\n%s\n```\n", strings.Join(diff, "\n"))
		return b.String()
	}
	fmt.Fprintf(&b, "\nOn PostgreSQL:\n\n```text\n%s\n```\n", pg)
	return b.String()
}

var regionRE = regexp.MustCompile(`(?s)<!-- begin ([a-z0-9-]+) -->\n(.*?)<!-- end ([a-z0-9-]+) -->`)

// checkGuide compares (or with -update rewrites) the guide's regions.
// With logs == nil only the code blocks are compared.
func checkGuide(t *testing.T, logs map[string]map[string]string) {
	t.Helper()
	snips := snippets(t)
	data, err := os.ReadFile(guidePath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	seen := map[string]bool{}
	var problems []string
	newDoc := regionRE.ReplaceAllStringFunc(doc, func(m string) string {
		sub := regionRE.FindStringSubmatch(m)
		name, body := sub[1], sub[2]
		if sub[3] != name {
			problems = append(problems, fmt.Sprintf("region %s ends as %s", name, sub[3]))
			return m
		}
		seen[name] = true
		code, ok := snips[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("the guide shows snippet %s, which the program does not have", name))
			return m
		}
		if logs == nil {
			want := fmt.Sprintf("```go\n%s\n```\n", code)
			if !strings.HasPrefix(body, want) {
				problems = append(problems, fmt.Sprintf("snippet %s: the guide's code differs from the program's", name))
			}
			return m
		}
		return "<!-- begin " + name + " -->\n" + region(code, logs[name]) + "<!-- end " + name + " -->"
	})
	for name := range snips {
		if !seen[name] {
			problems = append(problems, fmt.Sprintf("snippet %s is not in the guide (add <!-- begin %s --><!-- end %s -->)", name, name, name))
		}
	}
	if len(problems) > 0 {
		t.Fatalf("docs/tutorial.md:\n  %s", strings.Join(problems, "\n  "))
	}
	if logs == nil || canon(newDoc) == canon(doc) {
		return
	}
	if *update {
		if err := os.WriteFile(guidePath, []byte(newDoc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("docs/tutorial.md is out of date with the program's code or output: %s;\nregenerate it with: go test ./examples/tutorial -run TestTutorial -update", firstDiff(doc, newDoc))
}

// multiInsert matches a multi-row INSERT without RETURNING (association
// rows), whose row order Arc does not fix.
var multiInsert = regexp.MustCompile(`^(SQL> INSERT INTO \w+ \(([^)]*)\) VALUES [^R]*?)  \((.*)\)$`)

// canon sorts the rows of multi-row association INSERTs, so that the
// comparison does not depend on their order.
func canon(doc string) string {
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		m := multiInsert.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		ncols := len(strings.Split(m[2], ","))
		args := strings.Split(m[3], ", ")
		if ncols == 0 || len(args)%ncols != 0 {
			continue
		}
		var rows []string
		for j := 0; j < len(args); j += ncols {
			rows = append(rows, strings.Join(args[j:j+ncols], ", "))
		}
		slices.Sort(rows)
		lines[i] = m[1] + "  (" + strings.Join(rows, "; ") + ")"
	}
	return strings.Join(lines, "\n")
}

func firstDiff(a, b string) string {
	a, b = canon(a), canon(b)
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d is\n\t%s\nbut the program gives\n\t%s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("the guide has %d lines, the program's version %d", len(al), len(bl))
}

// TestGuideSnippets needs no database: the guide's code blocks are the
// program's.
func TestGuideSnippets(t *testing.T) { checkGuide(t, nil) }

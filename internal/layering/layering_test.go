// Package layering guards the import direction of DESIGN.md §1 (see
// docs/architecture.md): a package never imports one above it.
package layering

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/arcorm/arc"

// rank orders Arc's packages from the bottom (0) up. A package may import
// packages of its own rank or lower, never higher. Rank 0 packages import
// the standard library only; meta imports nothing outside the module but
// the standard library. Packages that do not exist yet are listed so that
// the rule holds the day they land.
var rank = map[string]int{
	"internal/tag":        0,
	"internal/naming":     0,
	"internal/toposort":   0,
	"internal/stmtcache":  0, // database/sql driver wrapper (dialect/postgres)
	"internal/uuidtext":   0, // UUID text form (dialect/sqlite, session)
	"internal/lru":        0, // LRU cache (the engine's compiled cache)
	"internal/goldenfile": 0, // snapshot files of the tests (expr, session)
	"internal/identity":   0, // the identity map's hash set (session)
	"internal/layout":     0, // fields by offset, typed get/set, arrays of structs (session, meta, engine, record)
	"internal/snapshot":   0, // copy/compare/restore of struct fields by offset (session's change detection)
	"internal/layering":   0, // this test; no code
	"arcerr":              0,
	"meta":                1,
	"internal/tablememo":  1, // per-table memos of the packages above meta (session)
	"dialect":             2, // and dialect/sqlite, dialect/postgres, dialect/mysql
	"dialect/ddl":         2, // migration operations and their rendering; imports dialect, imported by the dialects
	"expr":                3,
	"engine":              4,
	"internal/dbtest":     4, // test harness: engine plus both dialects
	"internal/relcore":    4, // relationship fields' bookkeeping (relations, session)
	"relations":           5,
	"session":             6,
	"record":              7,
	"migrate":             8,
	"fixtures":            8,
	"internal/testmodels": 8,
	"":                    9, // the root package arc re-exports the everyday surface
	"cli":                 10,
	"cmd":                 11, // cmd/arctl: a thin main
	"examples":            100,
}

// rankOf finds the rank of a module-relative package path by its longest
// listed prefix ("dialect/sqlite" -> "dialect"); "" is the root package.
func rankOf(rel string) (int, bool) {
	if rel == "" {
		return rank[""], true
	}
	for p := rel; p != ""; {
		if r, ok := rank[p]; ok {
			return r, true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0, false
}

type pkg struct {
	ImportPath string
	Deps       []string
	Error      *struct{ Err string }
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Deps,Error", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	if strings.HasPrefix(path, module+"/") {
		return path[len(module)+1:], true
	}
	return "", false
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func TestImportsPointDown(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 8 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		r, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		pr, known := rankOf(r)
		if !known {
			t.Errorf("package %s has no place in the layering: add it to the rank table of %s and to docs/architecture.md", p.ImportPath, "internal/layering")
			continue
		}
		for _, d := range p.Deps {
			dr, inModule := rel(d)
			if !inModule {
				if pr == 0 && !isStd(d) || pr == 1 && !isStd(d) {
					t.Errorf("%s (rank %d) depends on %s: only the standard library is allowed this low", p.ImportPath, pr, d)
				}
				continue
			}
			drank, known := rankOf(dr)
			if !known {
				continue // reported as a package of its own
			}
			if pr == 0 {
				t.Errorf("%s must import the standard library only, but depends on %s", p.ImportPath, d)
			}
			if drank > pr {
				t.Errorf("%s (rank %d) depends on %s (rank %d): imports must point down (DESIGN.md §1)", p.ImportPath, pr, d, drank)
			}
		}
	}
}

func TestRankOf(t *testing.T) {
	for path, want := range map[string]int{
		"": 9, "dialect/sqlite": 2, "dialect/postgres": 2, "cmd/arctl": 11, "examples/tutorial": 100,
		"internal/tag": 0, "internal/relcore": 4, "internal/tablememo": 1, "relations": 5, "cli": 10, "fixtures": 8,
	} {
		if got, ok := rankOf(path); !ok || got != want {
			t.Errorf("rankOf(%q) = %d, %v; want %d", path, got, ok, want)
		}
	}
	for _, path := range []string{"internal/unknown", "newpkg", "newpkg/sub"} {
		if _, ok := rankOf(path); ok {
			t.Errorf("rankOf(%q) is known", path)
		}
	}
	// The rule fires: a made-up edge from meta up to engine.
	if mr, _ := rankOf("meta"); mr >= rank["engine"] {
		t.Error("meta is not below engine")
	}
}

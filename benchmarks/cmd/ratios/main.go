// Command ratios reads the output of the in-package benchmarks
// (session/*bench_test.go) run several times over (rounds) and prints, for
// every Arc benchmark, its ratio to the hand-written database/sql
// benchmark of the same group ("raw", its sibling), paired round by round:
// round i of "arc" is divided by round i of "raw", which ran seconds
// apart in the same process. On a machine whose speed drifts (a shared
// VM), the median of these paired ratios is much steadier than the ratio
// of two medians; both are printed, with the target where there
// is one. Run the test binary once per round (not with -count, which
// repeats each benchmark back to back), as make bench-targets does:
//
//	go test -c -o /tmp/session.test ./session/
//	cd session && for r in 1 2 3 4 5 6 7 8; do
//	  /tmp/session.test -test.run '^$' -test.bench '^BenchmarkQuery$' -test.benchtime 0.2s
//	done > /tmp/q.txt
//	cd ../benchmarks && go run ./cmd/ratios < /tmp/q.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// line matches "BenchmarkName/sub-2   1000   1234 ns/op ...".
var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op`)

// targets are the issues' limits, by benchmark name without the dialect
// and the baseline it is divided by ("name vs raw"); a key that starts
// with a dialect ("sqlite:") applies to that dialect only and wins.
// Issue 25 moved the relationship loads' baseline to what users write
// (unprepared, autocommit: "raw"; the earlier prepared-in-a-transaction
// code is "raw-prep-tx") and gave the flush of 1,000 objects a baseline
// per dialect.
var targets = map[string]float64{
	"BenchmarkInsertCommit/arc vs raw":           1.15,
	"BenchmarkUpdateOneColumn/arc vs raw":        1.15,
	"BenchmarkGet/miss/arc vs raw":               1.15,
	"BenchmarkFlush/1000/arc vs raw":             1.5,
	"sqlite:BenchmarkFlush/1000/arc vs raw-loop": 0.85,
	"postgres:BenchmarkFlush/1000/arc vs raw":    1.1,
	"BenchmarkQuery/1row/arc vs raw":             1.15,
	"BenchmarkQuery/100rows/arc vs raw":          1.15,
	"BenchmarkRelSelectIn/arc vs raw":            1.15,
	"BenchmarkRelJoined/arc vs raw":              1.3,
}

// alsoShown are baselines printed without a target: the hand-written
// form of the statement Arc sends (PostgreSQL's rows as arrays).
var alsoShown = map[string]bool{
	"BenchmarkFlush/1000/arc vs raw-unnest": true,
}

// target returns the limit of name divided by baseline, if any.
func target(name, baseline string) (float64, bool) {
	key := withoutDialect(name) + " vs " + baseline
	for _, d := range []string{"sqlite", "postgres", "mysql"} {
		if strings.Contains(name, "/"+d+"/") || strings.HasSuffix(name, "/"+d) {
			if t, ok := targets[d+":"+key]; ok {
				return t, true
			}
		}
	}
	t, ok := targets[key]
	return t, ok
}

// metric is the unit compared: ns/op (wall time) by default; -cpu
// compares cpu-ns/op, the process's CPU time per op that the session
// benchmarks report (on a shared machine, steadier than wall time; it
// leaves out the PostgreSQL server's work).
var metric = "ns/op"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-cpu" {
		metric = "cpu-ns/op"
	}
	runs, order, err := read(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(1)
	}
	fmt.Printf("%s, paired by round\n\n", metric)
	fmt.Println("| benchmark | baseline | rounds | time/op (median) | baseline (median) | ratio of medians | paired ratio: median [min, max] | target |")
	fmt.Println("|---|---|--:|--:|--:|--:|--:|:-:|")
	for _, name := range order {
		i := strings.LastIndexByte(name, '/')
		if i < 0 || strings.HasPrefix(name[i+1:], "raw") {
			continue
		}
		// Every raw* sibling: "raw" always, the others where a target
		// names them.
		for _, sib := range order {
			if !strings.HasPrefix(sib, name[:i]+"/raw") || strings.Contains(sib[i+1:], "/") {
				continue
			}
			bname := sib[i+1:]
			t, hasTarget := target(name, bname)
			if bname != "raw" && !hasTarget && !alsoShown[withoutDialect(name)+" vs "+bname] {
				continue
			}
			base := runs[sib]
			xs := runs[name]
			n := min(len(xs), len(base))
			if n == 0 {
				continue
			}
			paired := make([]float64, n)
			for r := range n {
				paired[r] = xs[r] / base[r]
			}
			pm := median(paired)
			tgt := ""
			if hasTarget {
				verdict := "✗"
				if pm <= t {
					verdict = "✓"
				}
				tgt = fmt.Sprintf("≤ %.2f %s", t, verdict)
			}
			fmt.Printf("| %s | %s | %d | %s | %s | %.2f× | **%.2f×** [%.2f, %.2f] | %s |\n",
				name, bname, n, dur(median(xs)), dur(median(base)), median(xs)/median(base),
				pm, slices.Min(paired), slices.Max(paired), tgt)
		}
	}
}

// read collects ns/op per benchmark name in the order of the input.
func read(r io.Reader) (map[string][]float64, []string, error) {
	runs := map[string][]float64{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if metric != "ns/op" {
			f := strings.Fields(sc.Text())
			m[2] = ""
			for i := 1; i < len(f); i++ {
				if f[i] == metric {
					m[2] = f[i-1]
				}
			}
			if m[2] == "" {
				continue
			}
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return nil, nil, fmt.Errorf("%q: %w", sc.Text(), err)
		}
		if _, seen := runs[m[1]]; !seen {
			order = append(order, m[1])
		}
		runs[m[1]] = append(runs[m[1]], v)
	}
	return runs, order, sc.Err()
}

// withoutDialect drops the "/sqlite" or "/postgres" element.
func withoutDialect(name string) string {
	parts := strings.Split(name, "/")
	parts = slices.DeleteFunc(parts, func(p string) bool { return p == "sqlite" || p == "postgres" || p == "mysql" })
	return strings.Join(parts, "/")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

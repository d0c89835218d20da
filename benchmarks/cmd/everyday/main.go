// Command everyday reads the output of BenchmarkEveryday (the five
// everyday operations × libraries × dialects, in interleaved rounds) and
// prints, per dialect, the median over rounds of each library's time
// divided by unprepared raw database/sql's time of the same operation in
// the same round, the geometric mean of the five, and (for the pgx
// dialect) each library on pgx divided by the same library on lib/pq in
// the same round. A file of round trips (roundtrips.txt, written by
// TestRoundTrips) given as the first argument adds their table.
//
//	go run ./cmd/everyday [roundtrips.txt] < raw.txt
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^BenchmarkEveryday/([^/\s]+)/([^/\s]+)/([^/\s#]+?)(?:#\d+)?(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+\d+ B/op\s+(\d+) allocs/op)?`)

// roundLine is BenchmarkEveryday's "# round i of n, <time>, load: a b c".
var roundLine = regexp.MustCompile(`^# round \d+ of \d+, ([^,]+), load: ([\d.]+)`)

var ops = []string{"insert1", "insert100", "update", "get", "read100"}

type key struct{ dialect, op, lib string }

func main() {
	runs := map[key][]float64{}
	allocs := map[key][]float64{}
	var dialects, libOrder []string
	var loads []float64 // 1-minute load average at the start of each round
	var firstRound, lastRound string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if r := roundLine.FindStringSubmatch(sc.Text()); r != nil {
			if firstRound == "" {
				firstRound = r[1]
			}
			lastRound = r[1]
			if v, err := strconv.ParseFloat(r[2], 64); err == nil {
				loads = append(loads, v)
			}
			continue
		}
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		k := key{m[1], m[2], m[3]}
		v, _ := strconv.ParseFloat(m[4], 64)
		runs[k] = append(runs[k], v)
		if m[5] != "" {
			a, _ := strconv.ParseFloat(m[5], 64)
			allocs[k] = append(allocs[k], a)
		}
		if !slices.Contains(dialects, k.dialect) {
			dialects = append(dialects, k.dialect)
		}
		if !slices.Contains(libOrder, k.lib) {
			libOrder = append(libOrder, k.lib)
		}
	}
	paired := func(a, b key) (float64, int) {
		xs, ys := runs[a], runs[b]
		n := min(len(xs), len(ys))
		if n == 0 {
			return math.NaN(), 0
		}
		r := make([]float64, n)
		for i := range n {
			r[i] = xs[i] / ys[i]
		}
		return median(r), n
	}
	if len(loads) > 0 {
		fmt.Printf("Rounds from %s to %s; 1-minute load average at their starts %.1f–%.1f (median %.1f).\n",
			firstRound, lastRound, slices.Min(loads), slices.Max(loads), median(loads))
	}
	for _, d := range dialects {
		rounds := len(runs[key{d, "get", "raw"}])
		fmt.Printf("\n### %s (%d rounds): median of paired ratios to unprepared raw database/sql (lower is better)\n\n", d, rounds)
		fmt.Println("| library | insert 1 | insert 100 | update 1 | get 1 | read 100 | geomean |")
		fmt.Println("|---|--:|--:|--:|--:|--:|--:|")
		for _, lib := range libOrder {
			var cells []string
			logSum, n, any := 0.0, 0, false
			for _, op := range ops {
				if _, ok := runs[key{d, op, lib}]; !ok {
					cells = append(cells, "")
					continue
				}
				any = true
				r, _ := paired(key{d, op, lib}, key{d, op, "raw"})
				cells = append(cells, fmt.Sprintf("%.2f×", r))
				logSum += math.Log(r)
				n++
			}
			if !any {
				continue
			}
			gm := ""
			if n == len(ops) {
				gm = fmt.Sprintf("**%.2f×**", math.Exp(logSum/float64(n)))
			}
			fmt.Printf("| %s | %s | %s |\n", lib, strings.Join(cells, " | "), gm)
		}
		fmt.Printf("\nraw database/sql, median time per operation: ")
		var ts []string
		for _, op := range ops {
			ts = append(ts, op+" "+dur(median(runs[key{d, op, "raw"}])))
		}
		fmt.Println(strings.Join(ts, ", "))
		fmt.Printf("\nallocations per operation (median): ")
		var as []string
		for _, lib := range libOrder {
			var c []string
			for _, op := range ops {
				if a := allocs[key{d, op, lib}]; len(a) > 0 {
					c = append(c, strconv.Itoa(int(median(a))))
				}
			}
			if len(c) > 0 {
				as = append(as, lib+" "+strings.Join(c, "/"))
			}
		}
		fmt.Println(strings.Join(as, "; "))
	}
	if slices.Contains(dialects, "pgx") && slices.Contains(dialects, "postgres") {
		fmt.Printf("\n### pgx ÷ lib/pq: the same library and operation, paired by round\n\n")
		fmt.Println("| library | insert 1 | insert 100 | update 1 | get 1 | read 100 | geomean |")
		fmt.Println("|---|--:|--:|--:|--:|--:|--:|")
		for _, lib := range libOrder {
			var cells []string
			logSum, n := 0.0, 0
			for _, op := range ops {
				if _, ok := runs[key{"pgx", op, lib}]; !ok {
					cells = append(cells, "")
					continue
				}
				if _, ok := runs[key{"postgres", op, lib}]; !ok {
					cells = append(cells, "")
					continue
				}
				r, _ := paired(key{"pgx", op, lib}, key{"postgres", op, lib})
				cells = append(cells, fmt.Sprintf("%.2f×", r))
				logSum += math.Log(r)
				n++
			}
			if n == 0 {
				continue
			}
			gm := ""
			if n == len(ops) {
				gm = fmt.Sprintf("**%.2f×**", math.Exp(logSum/float64(n)))
			}
			fmt.Printf("| %s | %s | %s |\n", lib, strings.Join(cells, " | "), gm)
		}
	}
	if len(os.Args) > 1 {
		b, err := os.ReadFile(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "everyday:", err)
			os.Exit(1)
		}
		fmt.Printf("\n### Round trips per operation (counted on a loopback proxy)\n\n%s", b)
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
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
		return fmt.Sprintf("%.0f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

// Command report turns benchstat's CSV summary of the benchmarks
// (go tool benchstat -format csv results.txt) into markdown tables: one
// per operation, a row per library, time/op, allocs/op and the ratio of
// time/op to prepared raw database/sql ("raw-prep") of the same dialect
// and run. Times are benchstat's medians, with its confidence interval
// when it gives one.
//
//	go tool benchstat -format csv results.txt | go run ./cmd/report
package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// key is one benchmark: operation, dialect, library.
type key struct{ op, dialect, lib string }

var procs = regexp.MustCompile(`-\d+$`)

func main() {
	vals, order, err := read(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	write(w, vals, order)
}

// ci holds benchstat's confidence interval of each time/op ("4%").
var ci = map[key]string{}

// read collects unit -> key -> center value from benchstat's CSV, which
// is a series of tables, each starting with a ",unit,CI" header row.
func read(r io.Reader) (map[string]map[key]float64, []key, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	vals := map[string]map[key]float64{}
	seen := map[key]bool{}
	var order []key
	unit := ""
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if len(rec) < 2 {
			continue
		}
		if rec[0] == "" {
			if rec[1] != "" && !strings.Contains(rec[1], "/") || strings.HasSuffix(rec[1], "/op") || strings.HasSuffix(rec[1], "-B") {
				unit = rec[1]
			}
			continue
		}
		parts := strings.Split(procs.ReplaceAllString(rec[0], ""), "/")
		if len(parts) != 3 || unit == "" {
			continue
		}
		v, err := strconv.ParseFloat(rec[1], 64)
		if err != nil {
			continue
		}
		k := key{parts[0], parts[1], parts[2]}
		if vals[unit] == nil {
			vals[unit] = map[key]float64{}
		}
		vals[unit][k] = v
		if unit == "sec/op" && len(rec) > 2 && strings.HasSuffix(rec[2], "%") {
			ci[k] = rec[2]
		}
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	if len(order) == 0 {
		return nil, nil, fmt.Errorf("no benchmarks in the input")
	}
	return vals, order, nil
}

func write(w io.Writer, vals map[string]map[key]float64, order []key) {
	var ops, dialects []string
	libs := map[string][]string{}
	has := map[string]bool{}
	for _, k := range order {
		if !has["op:"+k.op] {
			has["op:"+k.op] = true
			ops = append(ops, k.op)
		}
		if !has["d:"+k.dialect] {
			has["d:"+k.dialect] = true
			dialects = append(dialects, k.dialect)
		}
		if !has["l:"+k.op+"/"+k.lib] {
			has["l:"+k.op+"/"+k.lib] = true
			libs[k.op] = append(libs[k.op], k.lib)
		}
	}
	for _, op := range ops {
		peak := false
		for _, d := range dialects {
			for _, l := range libs[op] {
				if _, ok := vals["peak-live-B"][key{op, d, l}]; ok {
					peak = true
				}
			}
		}
		fmt.Fprintf(w, "**%s**\n\n| |", op)
		sep := "|---|"
		for _, d := range dialects {
			fmt.Fprintf(w, " %s time/op | × raw-prep | allocs/op |", d)
			sep += "--:|--:|--:|"
			if peak {
				fmt.Fprintf(w, " %s peak live |", d)
				sep += "--:|"
			}
		}
		fmt.Fprintf(w, "\n%s\n", sep)
		for _, l := range libs[op] {
			fmt.Fprintf(w, "| %s |", l)
			for _, d := range dialects {
				k := key{op, d, l}
				t, ok := vals["sec/op"][k]
				base, bok := vals["sec/op"][key{op, d, "raw-prep"}]
				if !ok {
					fmt.Fprint(w, " – | – | – |")
				} else {
					ratio := "–"
					if bok && base > 0 {
						ratio = fmt.Sprintf("%.2f", t/base)
					}
					a := "–"
					if v, ok := vals["allocs/op"][k]; ok {
						a = strconv.FormatFloat(v, 'f', -1, 64)
					}
					pm := ""
					if c := ci[k]; c != "" {
						pm = " ±" + c
					}
					fmt.Fprintf(w, " %s%s | %s | %s |", duration(t), pm, ratio, a)
				}
				if peak {
					if v, ok := vals["peak-live-B"][k]; ok {
						fmt.Fprintf(w, " %s |", bytes(v))
					} else {
						fmt.Fprint(w, " – |")
					}
				}
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w)
	}
}

func duration(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.3g ms", s*1e3)
	case s >= 1e-6:
		return fmt.Sprintf("%.3g µs", s*1e6)
	}
	return fmt.Sprintf("%.3g ns", s*1e9)
}

func bytes(v float64) string {
	switch {
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.0f KB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

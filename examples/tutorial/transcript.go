package main

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"

	"github.com/sirupsen/logrus"
)

// transcript collects what the tutorial prints, step by step: the SQL the
// engine echoes and the values the story shows. The program prints it; the
// test reads the values back (Value) and compares the per-step text with
// docs/tutorial.md.
type transcript struct {
	out    io.Writer
	steps  []*stepLog
	values map[string]any
}

// stepLog is one step of the story: its name (the snippet it runs), its
// title and everything printed while it ran.
type stepLog struct {
	Name, Title string
	Text        bytes.Buffer
}

func newTranscript(out io.Writer) *transcript {
	return &transcript{out: out, values: map[string]any{}}
}

// step starts a new step; what follows is printed under its title.
func (tr *transcript) step(name, title string) {
	tr.steps = append(tr.steps, &stepLog{Name: name, Title: title})
	fmt.Fprintf(tr.out, "\n== %s\n", title)
}

// Write receives echo lines (the logger writes here) and the story's
// output.
func (tr *transcript) Write(p []byte) (int, error) {
	if n := len(tr.steps); n > 0 {
		tr.steps[n-1].Text.Write(p)
	}
	return tr.out.Write(p)
}

// show prints a labelled value and keeps it for the test.
func (tr *transcript) show(label string, v any) {
	if _, dup := tr.values[label]; dup {
		label += "'" // a label shown twice keeps both values
	}
	tr.values[label] = v
	fmt.Fprintf(tr, "%s → %s\n", label, format(v))
}

// Value returns what show recorded under label.
func (tr *transcript) Value(label string) (any, bool) {
	v, ok := tr.values[label]
	return v, ok
}

// format prints slices one element after the other, errors by their text,
// nil pointers as nil.
func format(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case error:
		return "error: " + x.Error()
	case string:
		return fmt.Sprintf("%q", x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = format(rv.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Pointer:
		if rv.IsNil() {
			return "nil"
		}
		if _, ok := v.(fmt.Stringer); !ok {
			return format(rv.Elem().Interface())
		}
	}
	return fmt.Sprintf("%v", v)
}

// echoFormatter prints echoed SQL as SQLAlchemy's echo does: the
// statement, then its parameters. Times in the parameters are written as
// <now> so that two runs print the same text.
type echoFormatter struct{}

var timeArg = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?( [+-]\d{4} [A-Z]+|Z|[+-]\d\d(:\d\d)?)`)

func (echoFormatter) Format(e *logrus.Entry) ([]byte, error) {
	msg := strings.ReplaceAll(e.Message, "\n", "\n     ")
	msg = strings.ReplaceAll(msg, "\t", "  ")
	s := "SQL> " + msg
	if strings.HasPrefix(e.Message, "create_all:") {
		s = "-- " + e.Message // a note, not a statement
	}
	if a, ok := e.Data["args"]; ok {
		s += "  " + timeArg.ReplaceAllString(fmt.Sprint(a), "<now>")
	}
	if err, ok := e.Data["error"]; ok {
		s += "  -- error: " + fmt.Sprint(err)
	}
	return []byte(s + "\n"), nil
}

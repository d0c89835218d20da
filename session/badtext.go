package session

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/internal/layout"
)

// nameBadText adds the model and field to a flush error for a string the
// database refused as text (arcerr.ErrInvalidText: a NUL byte or invalid
// UTF-8 on PostgreSQL, invalid UTF-8 on MySQL). The driver's message names
// neither, nor which of the statement's values it was; the flush knows the
// objects it wrote, so it finds the field that held a refused value of the
// statement. Runs only on that failure: the flush itself checks nothing.
func nameBadText(p *flushPlan, err error) error {
	var se *arcerr.StatementError
	if !errors.As(err, &se) || !errors.Is(se.Kind, arcerr.ErrInvalidText) {
		return err
	}
	var bad []string
	for _, a := range se.Args {
		if s, ok := textOf(a); ok && arcerr.TextProblem(s) != "" {
			bad = append(bad, s)
		}
	}
	if len(bad) == 0 {
		return err
	}
	for _, st := range p.touched {
		for i := range st.cd.cols {
			cc := &st.cd.cols[i]
			s, ok := textOf(cc.get(layout.At(st.obj, cc.c.Offset)))
			if !ok {
				continue
			}
			for _, b := range bad {
				if s == b {
					return fmt.Errorf("arc: model %s, field %s (column %s): value %s: %w",
						st.cd.t.GoType.Name(), cc.c.Field, cc.c.Name, arcerr.TextProblem(s), err)
				}
			}
		}
	}
	return err
}

// textOf returns a bind value's string when it is one (a string, a named
// string type, or a pointer to one).
func textOf(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.String {
		return rv.String(), true
	}
	return "", false
}

// A multi-row INSERT whose rows travel as one array per column
// (dialect.ArrayRows: PostgreSQL's unnest), so that its text and its
// parameter count do not grow with the rows.

package session

import (
	"database/sql/driver"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// minUnnestRows is the smallest batch sent as arrays; a single row keeps
// its VALUES (as short, and nothing to gain).
const minUnnestRows = 2

// unnestSQL renders
//
//	INSERT INTO t (a, b) SELECT arc_c1, arc_c2
//	FROM unnest(CAST($1 AS T1[]), CAST($2 AS T2[])) WITH ORDINALITY AS arc_rows(arc_c1, arc_c2, arc_ord)
//	[ORDER BY arc_ord] [RETURNING …]
//
// one text for every batch size of a column set. The casts name the
// columns' types without length or precision (castType), so that the
// columns' own assignment rules apply as they do to VALUES (a too-long
// string fails instead of being cut). With ordered (insOrdered), ORDER BY
// the row number draws generated keys in the objects' order, as the
// VALUES form's sentinel does.
func unnestSQL(c *stmtCache, d dialect.Dialect, ar dialect.ArrayRows, t *meta.Table, cols []*meta.Column, mask uint64, ret []*meta.Column, retMask uint64, ordered bool) (string, error) {
	kind := byte('n')
	if ordered {
		kind = 'N'
	}
	return cachedSQL(c, sqlKey{d: d, t: t, kind: kind, mask: mask, ret: retMask}, func() expr.Expr {
		ut := &expr.UnnestTable{Name: "arc_rows", Ord: "arc_ord"}
		sel := &expr.Select{From: []expr.FromItem{ut}}
		if ordered {
			sel.OrderBy = []expr.Expr{&expr.Named{Name: "arc_ord"}}
		}
		for i, col := range cols {
			n := "arc_c" + strconv.Itoa(i+1)
			ut.Args = append(ut.Args, expr.Cast(expr.Slot{}, ar.ArrayOf(castType(d.ColumnType(col))))) // not "": unnestArgs checked
			ut.Cols = append(ut.Cols, n)
			sel.Columns = append(sel.Columns, &expr.Named{Name: n})
		}
		return &expr.Insert{Table: t, Columns: names(cols), Select: sel, Returning: returningOf(d, dialect.ReturningInsert, ret)}
	})
}

// unnestCol reads one column's values for its array.
type unnestCol struct {
	off   uintptr
	typ   unsafe.Pointer             // referenced in place (refType), or nil
	get   func(p unsafe.Pointer) any // otherwise
	bytea bool
}

// unnestArgs builds the arrays of a batch: for each column the INSERT
// writes (mask), an array literal of the objects' values. false when a
// value cannot go in an array as the driver would send it alone (a
// Valuer, whose conversion database/sql owns; a type the dialect does not
// encode; an array column or a column type without arrays of its own
// (ArrayOf); text the database refuses, whose error the
// VALUES form names by field): the caller then sends the batch as VALUES.
func unnestArgs(ar dialect.ArrayRows, d dialect.Dialect, cd *codec, mask uint64, objs []*state) ([]any, bool) {
	if len(cd.cols) > 64 {
		return nil, false
	}
	ucs := make([]unnestCol, 0, bitsSet(mask))
	for i := range cd.cols {
		if mask&bit(i) == 0 {
			continue
		}
		cc := &cd.cols[i]
		c := cc.c
		if c.Kind == meta.KindArray || c.Valuer {
			return nil, false
		}
		ct := castType(d.ColumnType(c))
		if ar.ArrayOf(ct) == "" {
			return nil, false
		}
		ucs = append(ucs, unnestCol{off: c.Offset, typ: refType(c), get: cc.get,
			bytea: strings.EqualFold(ct, "BYTEA")})
	}
	args := make([]any, len(ucs))
	for j := range ucs {
		uc := &ucs[j]
		b := make([]byte, 0, 2+len(objs)*12)
		b = append(b, '{')
		for k, st := range objs {
			if k > 0 {
				b = append(b, ',')
			}
			p := layout.At(st.obj, uc.off)
			var v any
			if uc.typ != nil {
				v = layout.Ref(uc.typ, p)
			} else {
				v = uc.get(p)
			}
			var ok bool
			if v, ok = driverValue(v); !ok {
				return nil, false
			}
			if x, isStr := v.(string); isStr && !storableText(x) {
				return nil, false
			}
			if b, ok = ar.AppendArrayElem(b, v, uc.bytea); !ok {
				return nil, false
			}
		}
		b = append(b, '}')
		args[j] = unsafe.String(unsafe.SliceData(b), len(b)) // b is not written again
	}
	return args, true
}

// driverValue is v as database/sql hands it to the driver when v is not
// a driver.Valuer and the driver leaves its conversion to database/sql
// (lib/pq's CheckNamedValue does, but for slices and uint64):
// driver.DefaultParameterConverter turns a named string, integer, float
// or bool type (an enum's type, say) into its basic value. false for a
// Valuer, a slice other than bytes, a uint64, or a value the converter
// refuses: the batch goes as VALUES, where database/sql and the driver
// convert it (or report why not).
func driverValue(v any) (any, bool) {
	switch v.(type) {
	case nil, int64, float64, bool, string, []byte, time.Time:
		return v, true
	case driver.Valuer:
		return nil, false
	}
	switch t := reflect.TypeOf(v); t.Kind() {
	case reflect.Uint64, reflect.Uint, reflect.Uintptr:
		return nil, false
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Uint8 {
			return nil, false
		}
	}
	x, err := driver.DefaultParameterConverter.ConvertValue(v)
	if err != nil {
		return nil, false
	}
	if _, ok := x.(driver.Valuer); ok {
		return nil, false
	}
	return x, true
}

// storableText reports whether every dialect stores s as text
// (arcerr.TextProblem is ""): at once for ASCII without NUL, the common
// case, else by TextProblem.
func storableText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= utf8.RuneSelf {
			return arcerr.TextProblem(s) == ""
		}
	}
	return true
}

package expr_test

import (
	"flag"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/goldenfile"
)

// Every case of the golden tables (predicates, statements) and the cases
// below, rendered for every registered dialect into
// testdata/statements/<dialect>.sql: a new dialect adds a file of
// snapshots, not a column in each case. Regenerate after a deliberate
// change (or for a new dialect) with
//
//	go test ./expr -run TestSnapshots -update
//
// and read the diff.

var updateSnapshots = flag.Bool("update", false, "rewrite the snapshots under testdata/statements")

// snapshotCases are statements only snapshots check (no per-dialect
// expectations written in the test).
func snapshotCases() []golden {
	ua, err := expr.NewAlias[User]("")
	if err != nil {
		panic(err)
	}
	return []golden{
		{name: "slots: a statement rendered once, values supplied per run",
			e: &expr.Select{Columns: []expr.Expr{expr.Field(&U.Name)}, Where: []expr.Expr{
				&expr.InExpr{X: expr.Field(&U.ID), Values: expr.Slots(3)},
				&expr.Binary{L: expr.Field(&U.Age), Op: ">", R: expr.Slot{}},
			}}},
		{name: "insert from a VALUES table with casts, ordered",
			e: &expr.Insert{Table: users.T, Columns: []string{"name", "age"}, Returning: []string{"id"},
				Select: &expr.Select{
					Columns: []expr.Expr{expr.ValuesColumn(0), expr.ValuesColumn(1)},
					From: []expr.FromItem{&expr.ValuesTable{Name: "arc_rows", Rows: [][]any{
						{expr.Cast(expr.Slot{}, "VARCHAR"), expr.Cast(expr.Slot{}, "INTEGER"), expr.Raw("0")},
						{expr.Slot{}, expr.Slot{}, expr.Raw("1")},
					}}},
					OrderBy: []expr.Expr{expr.ValuesColumn(2)},
				}}},
		{name: "an expression adapted to an alias",
			e: &expr.Select{From: []expr.FromItem{ua}, Columns: []expr.Expr{
				expr.Field(&ua.Cols().ID),
				expr.Label(expr.Adapt(expr.Arith(&U.Age, "+", 1), ua), "next_age"),
			}}},
		{name: "quoted identifiers", e: expr.NewSelect(expr.Label(&U.Name, "order"), expr.Label(&U.Age, "Mixed Case"))},
		{name: "insert default values", e: &expr.Insert{Table: addrs.T, Returning: []string{"id"}}},
		{name: "update returning", e: &expr.Update{Table: users.T, Set: []expr.Assign{{Col: "age", V: expr.Slot{}}},
			Where: []expr.Expr{expr.Eq(&U.ID, int64(1))}, Returning: []string{"age"}}},
		{name: "delete returning", e: &expr.Delete{Table: users.T, Where: []expr.Expr{expr.Eq(&U.ID, int64(1))}, Returning: []string{"id"}}},
		{name: "offset without limit", e: expr.NewSelect(&U.ID).SetOffset(2)},
		{name: "nulls last, for update", e: func() expr.Expr {
			s := expr.NewSelect(&U.ID).Order(expr.Asc(&U.Nickname).NullsLast())
			s.Lock = "UPDATE"
			return s
		}()},
	}
}

func registeredDialects(t *testing.T) []dialect.Dialect {
	var out []dialect.Dialect
	for _, n := range dialect.Names() {
		d, err := dialect.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name() == n {
			out = append(out, d)
		}
	}
	return out
}

func TestSnapshots(t *testing.T) {
	var cases []golden
	for _, g := range predicates {
		g.name = "predicate: " + g.name
		cases = append(cases, g)
	}
	cases = append(cases, statements()...)
	cases = append(cases, snapshotCases()...)
	for _, d := range registeredDialects(t) {
		t.Run(d.Name(), func(t *testing.T) {
			var b strings.Builder
			for _, g := range cases {
				e := g.e
				if g.wrapped || strings.HasPrefix(g.name, "predicate: ") {
					e = wrap(e)
				}
				q, args, err := expr.Compile(d, e)
				if err != nil {
					q = "error: " + err.Error()
				}
				fmt.Fprintf(&b, "-- %s\n%s\n", g.name, q)
				if len(args) > 0 {
					fmt.Fprintf(&b, "-- args: %s\n", showArgs(args))
				}
				b.WriteByte('\n')
			}
			got := b.String()
			path := filepath.Join("testdata", "statements", d.Name()+".sql")
			goldenfile.Check(t, path, got, *updateSnapshots, "go test ./expr -run TestSnapshots -update")
		})
	}
}

// showArgs prints arguments without addresses: a pointer as &value.
func showArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		v := reflect.ValueOf(a)
		switch {
		case a == nil:
			parts[i] = "nil"
		case v.Kind() == reflect.Pointer && v.IsNil():
			parts[i] = "(nil pointer)"
		case v.Kind() == reflect.Pointer:
			parts[i] = fmt.Sprintf("&%v", v.Elem().Interface())
		default:
			parts[i] = fmt.Sprintf("%v", a)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

package expr_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/postgres"
	"github.com/arcorm/arc/dialect/sqlite"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/migrate"
)

type User struct {
	ID       int64
	Name     string `arc:"size:50;unique"`
	Fullname string
	Nickname *string
	Age      int
}

type Address struct {
	ID     int64
	Email  string `arc:"column:email_address"`
	UserID *int64 `arc:"fk:users.id"`
	Note   sql.Null[string]
}

var (
	U     = expr.Cols[User]()
	A     = expr.Cols[Address]()
	users = expr.TableOf(meta.MustOf[User]())
	addrs = expr.TableOf(meta.MustOf[Address]())
	lite  = sqlite.New()
	pg    = postgres.New()
)

func sp(s string) *string { return &s }

// seed creates users 1..4 (ed, wendy, mary, fred) and addresses 1..3
// (two for ed, one for wendy) on a fresh database.
func seed(t *testing.T, eng *engine.Engine) {
	t.Helper()
	ctx := context.Background()
	if err := migrate.CreateAll(ctx, eng, User{}, Address{}); err != nil {
		t.Fatal(err)
	}
	run(t, eng, &expr.Insert{Table: users.T, Columns: []string{"name", "fullname", "nickname", "age"}, Rows: [][]any{
		{"ed", "Ed Jones", "eddie", 30},
		{"wendy", "Wendy Williams", "windy", 25},
		{"mary", "Mary Contrary", "mary", 40},
		{"fred", "Fred Flintstone", nil, 35},
	}})
	run(t, eng, &expr.Insert{Table: addrs.T, Columns: []string{"email_address", "user_id", "note"}, Rows: [][]any{
		{"ed@a.com", 1, nil}, {"ed@b.com", 1, "work"}, {"wendy@c.com", 2, nil},
	}})
}

func run(t *testing.T, eng *engine.Engine, st expr.Expr) {
	t.Helper()
	if _, err := engine.ExecStmt(context.Background(), eng, st); err != nil {
		t.Fatal(err)
	}
}

// rowsOf runs a query and renders each row as its values joined by '|'.
func rowsOf(t *testing.T, x engine.Executor, st expr.Expr) []string {
	t.Helper()
	rows, err := engine.QueryStmt(context.Background(), x, st)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				parts[i] = "NULL"
			case []byte:
				parts[i] = string(x)
			default:
				parts[i] = fmt.Sprint(x)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type golden struct {
	name     string
	e        expr.Expr
	lite     string
	liteArgs []any
	pg       string
	pgArgs   []any
	want     []string // rows when run; for a predicate, the matching user names by id
	only     string   // run on this dialect only ("" = both)
	// wantLiteralDQ, when set, replaces want on a dialect whose double
	// quotes make a string literal, not an identifier (MySQL).
	wantLiteralDQ []string
	// wrapped: the golden SQL is of the predicate inside its SELECT (a
	// correlated subquery needs the enclosing query to compile).
	wrapped bool
}

func wrap(pred expr.Expr) *expr.Select { return expr.NewSelect(&U.Name).Filter(pred).Order(&U.ID) }

func (g golden) check(t *testing.T) {
	t.Helper()
	for _, d := range []struct {
		d    dialect.Dialect
		sql  string
		args []any
	}{{lite, g.lite, g.liteArgs}, {pg, g.pg, g.pgArgs}} {
		e := g.e
		if g.wrapped {
			e = wrap(e)
		}
		q, args, err := expr.Compile(d.d, e)
		if err != nil {
			t.Errorf("%s: %v", d.d.Name(), err)
			continue
		}
		if q != d.sql {
			t.Errorf("%s SQL:\n got %s\nwant %s", d.d.Name(), q, d.sql)
		}
		if len(args) != 0 || len(d.args) != 0 {
			if !reflect.DeepEqual(args, d.args) {
				t.Errorf("%s args: got %#v, want %#v", d.d.Name(), args, d.args)
			}
		}
	}
}

func names(ns ...string) []string { return ns }

// Every operator of the tutorial's §7.4 and the other predicates: exact
// SQL and arguments on both dialects, then the predicate run in
// SELECT users.name FROM users WHERE <pred> ORDER BY users.id.
var predicates = []golden{
	{name: "eq", e: expr.Eq(&U.Name, "ed"),
		lite: "users.name = ?", liteArgs: []any{"ed"}, pg: "users.name = $1", pgArgs: []any{"ed"}, want: names("ed")},
	{name: "ne", e: expr.Ne(&U.Name, "ed"),
		lite: "users.name != ?", liteArgs: []any{"ed"}, pg: "users.name != $1", pgArgs: []any{"ed"}, want: names("wendy", "mary", "fred")},
	{name: "like", e: expr.Like(&U.Name, "%ed%"),
		lite: "users.name LIKE ?", liteArgs: []any{"%ed%"}, pg: "users.name LIKE $1", pgArgs: []any{"%ed%"}, want: names("ed", "fred")},
	{name: "not like", e: expr.NotLike(&U.Name, "%ed%"),
		lite: "users.name NOT LIKE ?", liteArgs: []any{"%ed%"}, pg: "users.name NOT LIKE $1", pgArgs: []any{"%ed%"}, want: names("wendy", "mary")},
	{name: "ilike", e: expr.ILike(&U.Name, "%ED%"),
		lite: "lower(users.name) LIKE lower(?)", liteArgs: []any{"%ED%"}, pg: "users.name ILIKE $1", pgArgs: []any{"%ED%"}, want: names("ed", "fred")},
	{name: "not ilike", e: expr.Not(expr.ILike(&U.Name, "%ED%")),
		lite: "lower(users.name) NOT LIKE lower(?)", liteArgs: []any{"%ED%"}, pg: "users.name NOT ILIKE $1", pgArgs: []any{"%ED%"}, want: names("wendy", "mary")},
	{name: "in", e: expr.In(&U.Name, "ed", "wendy", "jack"),
		lite: "users.name IN (?, ?, ?)", liteArgs: []any{"ed", "wendy", "jack"}, pg: "users.name IN ($1, $2, $3)", pgArgs: []any{"ed", "wendy", "jack"}, want: names("ed", "wendy")},
	{name: "in subquery", e: expr.InQuery(&U.Name, expr.NewSelect(&U.Name).Filter(expr.Like(&U.Name, "%ed%"))),
		lite: "users.name IN (SELECT users.name FROM users WHERE users.name LIKE ?)", liteArgs: []any{"%ed%"},
		pg: "users.name IN (SELECT users.name FROM users WHERE users.name LIKE $1)", pgArgs: []any{"%ed%"}, want: names("ed", "fred")},
	{name: "tuple in", e: &expr.TupleIn{Cols: []expr.Expr{expr.Field(&U.Name), expr.Field(&U.Nickname)}, Rows: [][]any{{"ed", "edsnickname"}, {"wendy", "windy"}}},
		lite: "(users.name, users.nickname) IN (VALUES (?, ?), (?, ?))", liteArgs: []any{"ed", "edsnickname", "wendy", "windy"},
		pg: "(users.name, users.nickname) IN (($1, $2), ($3, $4))", pgArgs: []any{"ed", "edsnickname", "wendy", "windy"}, want: names("wendy")},
	{name: "not in", e: expr.NotIn(&U.Name, "ed", "wendy", "jack"),
		lite: "(users.name NOT IN (?, ?, ?))", liteArgs: []any{"ed", "wendy", "jack"}, pg: "(users.name NOT IN ($1, $2, $3))", pgArgs: []any{"ed", "wendy", "jack"}, want: names("mary", "fred")},
	{name: "not(in)", e: expr.Not(expr.In(&U.Name, "ed", "wendy")),
		lite: "(users.name NOT IN (?, ?))", liteArgs: []any{"ed", "wendy"}, pg: "(users.name NOT IN ($1, $2))", pgArgs: []any{"ed", "wendy"}, want: names("mary", "fred")},
	{name: "empty in is false", e: expr.In[string](&U.Name),
		lite: "1 != 1", pg: "1 != 1", want: nil},
	{name: "empty not in is true", e: expr.NotIn[string](&U.Name),
		lite: "1 = 1", pg: "1 = 1", want: names("ed", "wendy", "mary", "fred")},
	{name: "empty tuple in is false", e: &expr.TupleIn{Cols: []expr.Expr{expr.Field(&U.Name), expr.Field(&U.Age)}},
		lite: "1 != 1", pg: "1 != 1", want: nil},
	{name: "untyped empty in", e: expr.Col(&U.Age).In(),
		lite: "1 != 1", pg: "1 != 1", want: nil},
	{name: "eq nil is IS NULL", e: expr.Eq(&U.Nickname, nil),
		lite: "users.nickname IS NULL", pg: "users.nickname IS NULL", want: names("fred")},
	{name: "ne nil is IS NOT NULL", e: expr.Ne(&U.Nickname, nil),
		lite: "users.nickname IS NOT NULL", pg: "users.nickname IS NOT NULL", want: names("ed", "wendy", "mary")},
	{name: "is null", e: expr.IsNull(&U.Nickname),
		lite: "users.nickname IS NULL", pg: "users.nickname IS NULL", want: names("fred")},
	{name: "is not null", e: expr.IsNotNull(&U.Nickname),
		lite: "users.nickname IS NOT NULL", pg: "users.nickname IS NOT NULL", want: names("ed", "wendy", "mary")},
	{name: "not(is null)", e: expr.Not(expr.IsNull(&U.Nickname)),
		lite: "users.nickname IS NOT NULL", pg: "users.nickname IS NOT NULL", want: names("ed", "wendy", "mary")},
	{name: "nullable eq pointer", e: expr.Eq(&U.Nickname, sp("windy")),
		lite: "users.nickname = ?", liteArgs: []any{sp("windy")}, pg: "users.nickname = $1", pgArgs: []any{sp("windy")}, want: names("wendy")},
	{name: "EqN: pointer field, plain value", e: expr.EqN(&U.Nickname, "windy"),
		lite: "users.nickname = ?", liteArgs: []any{"windy"}, pg: "users.nickname = $1", pgArgs: []any{"windy"}, want: names("wendy")},
	{name: "NeN", e: expr.NeN(&U.Nickname, "windy"),
		lite: "users.nickname != ?", liteArgs: []any{"windy"}, pg: "users.nickname != $1", pgArgs: []any{"windy"}, want: names("ed", "mary")},
	{name: "nullable eq plain value", e: expr.Col(&U.Nickname).Eq("windy"),
		lite: "users.nickname = ?", liteArgs: []any{"windy"}, pg: "users.nickname = $1", pgArgs: []any{"windy"}, want: names("wendy")},
	{name: "untyped eq nil", e: expr.Col("nickname").Eq(nil),
		lite: "nickname IS NULL", pg: "nickname IS NULL", want: names("fred")},
	{name: "by name", e: expr.Col("users.name").Eq("mary"),
		lite: "users.name = ?", liteArgs: []any{"mary"}, pg: "users.name = $1", pgArgs: []any{"mary"}, want: names("mary")},
	{name: "and", e: expr.And(expr.Eq(&U.Name, "ed"), expr.Eq(&U.Fullname, "Ed Jones")),
		lite: "users.name = ? AND users.fullname = ?", liteArgs: []any{"ed", "Ed Jones"},
		pg: "users.name = $1 AND users.fullname = $2", pgArgs: []any{"ed", "Ed Jones"}, want: names("ed")},
	{name: "or", e: expr.Or(expr.Eq(&U.Name, "ed"), expr.Eq(&U.Name, "wendy")),
		lite: "users.name = ? OR users.name = ?", liteArgs: []any{"ed", "wendy"},
		pg: "users.name = $1 OR users.name = $2", pgArgs: []any{"ed", "wendy"}, want: names("ed", "wendy")},
	{name: "not(or)", e: expr.Not(expr.Or(expr.Eq(&U.Name, "ed"), expr.Eq(&U.Name, "wendy"))),
		lite: "NOT (users.name = ? OR users.name = ?)", liteArgs: []any{"ed", "wendy"},
		pg: "NOT (users.name = $1 OR users.name = $2)", pgArgs: []any{"ed", "wendy"}, want: names("mary", "fred")},
	{name: "and of or", e: expr.And(expr.Or(expr.Eq(&U.Name, "ed"), expr.Eq(&U.Name, "wendy")), expr.Gt(&U.Age, 26)),
		lite: "(users.name = ? OR users.name = ?) AND users.age > ?", liteArgs: []any{"ed", "wendy", 26},
		pg: "(users.name = $1 OR users.name = $2) AND users.age > $3", pgArgs: []any{"ed", "wendy", 26}, want: names("ed")},
	{name: "not not", e: expr.Not(expr.Not(expr.Eq(&U.Name, "ed"))),
		lite: "users.name = ?", liteArgs: []any{"ed"}, pg: "users.name = $1", pgArgs: []any{"ed"}, want: names("ed")},
	{name: "empty and/or", e: expr.Or(&expr.Bool{Op: "AND"}, &expr.Bool{Op: "OR"}),
		lite: "1 = 1 OR 1 != 1", pg: "1 = 1 OR 1 != 1", want: names("ed", "wendy", "mary", "fred")},
	{name: "match", e: expr.MatchText(&U.Name, "wendy"),
		lite: "users.name MATCH ?", liteArgs: []any{"wendy"}, pg: "users.name @@ to_tsquery($1)", pgArgs: []any{"wendy"},
		want: names("wendy"), only: "postgres"},
	{name: "lt", e: expr.Lt(&U.Age, 30), lite: "users.age < ?", liteArgs: []any{30}, pg: "users.age < $1", pgArgs: []any{30}, want: names("wendy")},
	{name: "le", e: expr.Le(&U.Age, 30), lite: "users.age <= ?", liteArgs: []any{30}, pg: "users.age <= $1", pgArgs: []any{30}, want: names("ed", "wendy")},
	{name: "gt", e: expr.Gt(&U.Age, 30), lite: "users.age > ?", liteArgs: []any{30}, pg: "users.age > $1", pgArgs: []any{30}, want: names("mary", "fred")},
	{name: "ge", e: expr.Ge(&U.Age, 35), lite: "users.age >= ?", liteArgs: []any{35}, pg: "users.age >= $1", pgArgs: []any{35}, want: names("mary", "fred")},
	{name: "between", e: expr.BetweenV(&U.Age, 25, 30),
		lite: "users.age BETWEEN ? AND ?", liteArgs: []any{25, 30}, pg: "users.age BETWEEN $1 AND $2", pgArgs: []any{25, 30}, want: names("ed", "wendy")},
	{name: "column to column", e: expr.On(&U.Name, &U.Nickname),
		lite: "users.name = users.nickname", pg: "users.name = users.nickname", want: names("mary")},
	{name: "column method with column", e: expr.Col(&U.Name).Ne(&U.Nickname),
		lite: "users.name != users.nickname", pg: "users.name != users.nickname", want: names("ed", "wendy")},
	{name: "arithmetic add", e: expr.Col(&U.Age).Add(5).Gt(40),
		lite: "(users.age + ?) > ?", liteArgs: []any{5, 40}, pg: "(users.age + $1) > $2", pgArgs: []any{5, 40}, want: names("mary")},
	{name: "arithmetic mul sub", e: expr.Col(&U.Age).Mul(2).Sub(10).Ge(60),
		lite: "((users.age * ?) - ?) >= ?", liteArgs: []any{2, 10, 60}, pg: "((users.age * $1) - $2) >= $3", pgArgs: []any{2, 10, 60}, want: names("mary", "fred")},
	{name: "arithmetic div", e: expr.Col(&U.Age).Div(5).Eq(6),
		lite: "(users.age / ?) = ?", liteArgs: []any{5, 6}, pg: "(users.age / $1) = $2", pgArgs: []any{5, 6}, want: names("ed")},
	{name: "arith column op column", e: expr.Col(expr.Arith(&U.Age, "-", &U.ID)).Eq(29),
		lite: "(users.age - users.id) = ?", liteArgs: []any{29}, pg: "(users.age - users.id) = $1", pgArgs: []any{29}, want: names("ed")},
	{name: "function", e: expr.Col(expr.Func("lower", &U.Fullname)).Eq("ed jones"),
		lite: "lower(users.fullname) = ?", liteArgs: []any{"ed jones"}, pg: "lower(users.fullname) = $1", pgArgs: []any{"ed jones"}, want: names("ed")},
	{name: "function with bound arg", e: expr.Col(expr.Func("coalesce", &U.Nickname, "none")).Eq("none"),
		lite: "coalesce(users.nickname, ?) = ?", liteArgs: []any{"none", "none"}, pg: "coalesce(users.nickname, $1) = $2", pgArgs: []any{"none", "none"}, want: names("fred")},
	{name: "text", e: expr.Text("age > :a AND name != :n", expr.P{"a": 26, "n": "mary"}),
		lite: "age > ? AND name != ?", liteArgs: []any{26, "mary"}, pg: "age > $1 AND name != $2", pgArgs: []any{26, "mary"}, want: names("ed", "fred")},
	{name: "text keeps its precedence", e: expr.And(expr.Text("name = :a OR name = :b", expr.P{"a": "ed", "b": "mary"}), expr.Gt(&U.Age, 35)),
		lite: "(name = ? OR name = ?) AND users.age > ?", liteArgs: []any{"ed", "mary", 35},
		pg: "(name = $1 OR name = $2) AND users.age > $3", pgArgs: []any{"ed", "mary", 35}, want: names("mary")},
	{name: "exists correlated", e: expr.Exists(expr.NewSelect().SelectFrom(addrs).Filter(expr.On(&A.UserID, &U.ID))),
		lite: "SELECT users.name FROM users WHERE EXISTS (SELECT 1 FROM addresses WHERE addresses.user_id = users.id) ORDER BY users.id",
		pg:   "SELECT users.name FROM users WHERE EXISTS (SELECT 1 FROM addresses WHERE addresses.user_id = users.id) ORDER BY users.id", want: names("ed", "wendy"), wrapped: true},
	{name: "not exists", e: expr.Not(expr.Exists(expr.NewSelect().SelectFrom(addrs).Filter(expr.On(&A.UserID, &U.ID), expr.Like(&A.Email, "%b.com")))),
		lite: "SELECT users.name FROM users WHERE NOT (EXISTS (SELECT 1 FROM addresses WHERE addresses.user_id = users.id AND addresses.email_address LIKE ?)) ORDER BY users.id", liteArgs: []any{"%b.com"},
		pg: "SELECT users.name FROM users WHERE NOT (EXISTS (SELECT 1 FROM addresses WHERE addresses.user_id = users.id AND addresses.email_address LIKE $1)) ORDER BY users.id", pgArgs: []any{"%b.com"},
		want: names("wendy", "mary", "fred"), wrapped: true},
	{name: "scalar subquery", e: expr.Col(&expr.ScalarSubquery{Sel: expr.NewSelect(expr.CountAll()).SelectFrom(addrs).Filter(expr.On(&A.UserID, &U.ID))}).Ge(2),
		lite: "SELECT users.name FROM users WHERE (SELECT count(*) FROM addresses WHERE addresses.user_id = users.id) >= ? ORDER BY users.id", liteArgs: []any{2},
		pg: "SELECT users.name FROM users WHERE (SELECT count(*) FROM addresses WHERE addresses.user_id = users.id) >= $1 ORDER BY users.id", pgArgs: []any{2}, want: names("ed"), wrapped: true},
	// Values that look like SQL travel as data.
	{name: "injection as data", e: expr.Eq(&U.Name, "x' OR '1'='1"),
		lite: "users.name = ?", liteArgs: []any{"x' OR '1'='1"}, pg: "users.name = $1", pgArgs: []any{"x' OR '1'='1"}, want: nil},
	{name: "comment as data", e: expr.In(&U.Name, "ed'; DROP TABLE users; --", "/* mary */"),
		lite: "users.name IN (?, ?)", liteArgs: []any{"ed'; DROP TABLE users; --", "/* mary */"},
		pg: "users.name IN ($1, $2)", pgArgs: []any{"ed'; DROP TABLE users; --", "/* mary */"}, want: nil},
}

func TestPredicates(t *testing.T) {
	for _, g := range predicates {
		t.Run(g.name, g.check)
	}
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		seed(t, eng)
		for _, g := range predicates {
			if g.only != "" && g.only != eng.Dialect().Name() {
				continue
			}
			t.Run(g.name, func(t *testing.T) {
				got := rowsOf(t, eng, wrap(g.e))
				if !reflect.DeepEqual(got, g.want) {
					t.Errorf("rows = %v, want %v", got, g.want)
				}
			})
		}
		// The table survived every "injection".
		if got := rowsOf(t, eng, expr.NewSelect(expr.CountAll()).SelectFrom(users)); !reflect.DeepEqual(got, []string{"4"}) {
			t.Errorf("users count = %v", got)
		}
	})
}

type addrCount struct {
	UserID *int64
	N      int64
}

func statements() []golden {
	a1, _ := expr.NewAlias[Address]("")
	a2, _ := expr.NewAlias[Address]("")
	named, _ := expr.NewAlias[Address]("adr")
	sub, S, _ := expr.SubqueryAs[addrCount](
		expr.NewSelect(&A.UserID, expr.Label(expr.CountAll(), "n")).Group(&A.UserID), "")
	having := expr.NewSelect(&A.UserID, expr.Label(expr.Count(&A.ID), "n")).Group(&A.UserID).Order(&A.UserID)
	having.Having = []expr.Expr{expr.Col(expr.Count(&A.ID)).Gt(1)}
	distinct := expr.NewSelect(&A.UserID).Order(&A.UserID)
	distinct.Distinct = true
	return []golden{
		{name: "columns label order desc",
			e:    expr.NewSelect(&U.Name, expr.Label(expr.Func("upper", &U.Name), "up")).Order(expr.Desc(&U.Age)),
			lite: "SELECT users.name, upper(users.name) AS up FROM users ORDER BY users.age DESC",
			pg:   "SELECT users.name, upper(users.name) AS up FROM users ORDER BY users.age DESC",
			want: []string{"mary|MARY", "fred|FRED", "ed|ED", "wendy|WENDY"}},
		{name: "order asc, two keys, label ref",
			e:    expr.NewSelect(expr.Label(expr.Arith(&U.Age, "%", 10), "m"), &U.Name).Order(expr.LabelRef("m"), expr.Asc(&U.Name)),
			lite: "SELECT (users.age % ?) AS m, users.name FROM users ORDER BY m, users.name", liteArgs: []any{10},
			pg: "SELECT (users.age % $1) AS m, users.name FROM users ORDER BY m, users.name", pgArgs: []any{10},
			want: []string{"0|ed", "0|mary", "5|fred", "5|wendy"}},
		{name: "star",
			e:    expr.NewSelect(expr.C("users.*")).SelectFrom(users).Filter(expr.Eq(&U.ID, int64(4))),
			lite: "SELECT users.* FROM users WHERE users.id = ?", liteArgs: []any{int64(4)},
			pg: "SELECT users.* FROM users WHERE users.id = $1", pgArgs: []any{int64(4)}, want: []string{"4|fred|Fred Flintstone|NULL|35"}},
		{name: "EqNull: sql.Null field, plain value",
			e:    expr.NewSelect(&A.Email).Filter(expr.EqNull(&A.Note, "work")),
			lite: "SELECT addresses.email_address FROM addresses WHERE addresses.note = ?", liteArgs: []any{"work"},
			pg: "SELECT addresses.email_address FROM addresses WHERE addresses.note = $1", pgArgs: []any{"work"}, want: []string{"ed@b.com"}},
		{name: "NeNull",
			e:    expr.NewSelect(&A.Email).Filter(expr.NeNull(&A.Note, "work")),
			lite: "SELECT addresses.email_address FROM addresses WHERE addresses.note != ?", liteArgs: []any{"work"},
			pg: "SELECT addresses.email_address FROM addresses WHERE addresses.note != $1", pgArgs: []any{"work"}, want: nil},
		{name: "count(*) literal",
			e:    expr.NewSelect(expr.CountAll()).SelectFrom(users),
			lite: "SELECT count(*) FROM users", pg: "SELECT count(*) FROM users", want: []string{"4"}},
		{name: "count(col) label",
			e:    expr.NewSelect(expr.Label(expr.Count(&U.Nickname), "n")),
			lite: "SELECT count(users.nickname) AS n FROM users", pg: "SELECT count(users.nickname) AS n FROM users", want: []string{"3"}},
		{name: "count distinct",
			e:    expr.NewSelect(expr.CountDistinct(&A.UserID)),
			lite: "SELECT count(DISTINCT addresses.user_id) FROM addresses", pg: "SELECT count(DISTINCT addresses.user_id) FROM addresses", want: []string{"2"}},
		{name: "group by having",
			e:    having,
			lite: "SELECT addresses.user_id, count(addresses.id) AS n FROM addresses GROUP BY addresses.user_id HAVING count(addresses.id) > ? ORDER BY addresses.user_id", liteArgs: []any{1},
			pg: "SELECT addresses.user_id, count(addresses.id) AS n FROM addresses GROUP BY addresses.user_id HAVING count(addresses.id) > $1 ORDER BY addresses.user_id", pgArgs: []any{1},
			want: []string{"1|2"}},
		{name: "distinct",
			e:    distinct,
			lite: "SELECT DISTINCT addresses.user_id FROM addresses ORDER BY addresses.user_id",
			pg:   "SELECT DISTINCT addresses.user_id FROM addresses ORDER BY addresses.user_id", want: []string{"1", "2"}},
		{name: "limit offset",
			e:    expr.NewSelect(&U.Name).Order(&U.ID).SetLimit(2).SetOffset(1),
			lite: "SELECT users.name FROM users ORDER BY users.id LIMIT ? OFFSET ?", liteArgs: []any{int64(2), int64(1)},
			pg: "SELECT users.name FROM users ORDER BY users.id LIMIT $1 OFFSET $2", pgArgs: []any{int64(2), int64(1)},
			want: []string{"wendy", "mary"}},
		{name: "limit only",
			e:    expr.NewSelect(&U.Name).Order(&U.ID).SetLimit(1),
			lite: "SELECT users.name FROM users ORDER BY users.id LIMIT ?", liteArgs: []any{int64(1)},
			pg: "SELECT users.name FROM users ORDER BY users.id LIMIT $1", pgArgs: []any{int64(1)}, want: []string{"ed"}},
		{name: "offset only",
			e:    expr.NewSelect(&U.Name).Order(&U.ID).SetOffset(2),
			lite: "SELECT users.name FROM users ORDER BY users.id LIMIT -1 OFFSET ?", liteArgs: []any{int64(2)},
			pg: "SELECT users.name FROM users ORDER BY users.id LIMIT ALL OFFSET $1", pgArgs: []any{int64(2)},
			want: []string{"mary", "fred"}},
		{name: "join",
			e:    expr.NewSelect(&U.Name, &A.Email).SelectFrom(users).JoinOn(addrs, expr.On(&A.UserID, &U.ID)).Order(&A.ID),
			lite: "SELECT users.name, addresses.email_address FROM users JOIN addresses ON addresses.user_id = users.id ORDER BY addresses.id",
			pg:   "SELECT users.name, addresses.email_address FROM users JOIN addresses ON addresses.user_id = users.id ORDER BY addresses.id",
			want: []string{"ed|ed@a.com", "ed|ed@b.com", "wendy|wendy@c.com"}},
		{name: "outer join",
			e:    expr.NewSelect(&U.Name, &A.Email).SelectFrom(users).OuterJoinOn(addrs, expr.On(&A.UserID, &U.ID)).Filter(expr.Gt(&U.Age, 30)).Order(&U.ID),
			lite: "SELECT users.name, addresses.email_address FROM users LEFT OUTER JOIN addresses ON addresses.user_id = users.id WHERE users.age > ? ORDER BY users.id", liteArgs: []any{30},
			pg: "SELECT users.name, addresses.email_address FROM users LEFT OUTER JOIN addresses ON addresses.user_id = users.id WHERE users.age > $1 ORDER BY users.id", pgArgs: []any{30},
			want: []string{"mary|NULL", "fred|NULL"}},
		{name: "anonymous aliases",
			e: expr.NewSelect(&U.Name, &a1.Cols().Email, &a2.Cols().Email).SelectFrom(users).
				JoinOn(a1, expr.On(&a1.Cols().UserID, &U.ID)).JoinOn(a2, expr.On(&a2.Cols().UserID, &U.ID)).
				Filter(expr.Eq(&a1.Cols().Email, "ed@a.com"), expr.Eq(&a2.Cols().Email, "ed@b.com")),
			lite:     "SELECT users.name, addresses_1.email_address, addresses_2.email_address FROM users JOIN addresses AS addresses_1 ON addresses_1.user_id = users.id JOIN addresses AS addresses_2 ON addresses_2.user_id = users.id WHERE addresses_1.email_address = ? AND addresses_2.email_address = ?",
			liteArgs: []any{"ed@a.com", "ed@b.com"},
			pg:       "SELECT users.name, addresses_1.email_address, addresses_2.email_address FROM users JOIN addresses AS addresses_1 ON addresses_1.user_id = users.id JOIN addresses AS addresses_2 ON addresses_2.user_id = users.id WHERE addresses_1.email_address = $1 AND addresses_2.email_address = $2",
			pgArgs:   []any{"ed@a.com", "ed@b.com"},
			want:     []string{"ed|ed@a.com|ed@b.com"}},
		{name: "named alias",
			e:    expr.NewSelect(&named.Cols().Email).SelectFrom(named).Filter(expr.Eq(&named.Cols().ID, int64(3))),
			lite: "SELECT adr.email_address FROM addresses AS adr WHERE adr.id = ?", liteArgs: []any{int64(3)},
			pg: "SELECT adr.email_address FROM addresses AS adr WHERE adr.id = $1", pgArgs: []any{int64(3)}, want: []string{"wendy@c.com"}},
		{name: "subquery",
			e:    expr.NewSelect(&U.Name, &S.N).SelectFrom(users).OuterJoinOn(sub, expr.On(&U.ID, &S.UserID)).Order(&U.ID),
			lite: "SELECT users.name, anon_1.n FROM users LEFT OUTER JOIN (SELECT addresses.user_id, count(*) AS n FROM addresses GROUP BY addresses.user_id) AS anon_1 ON users.id = anon_1.user_id ORDER BY users.id",
			pg:   "SELECT users.name, anon_1.n FROM users LEFT OUTER JOIN (SELECT addresses.user_id, count(*) AS n FROM addresses GROUP BY addresses.user_id) AS anon_1 ON users.id = anon_1.user_id ORDER BY users.id",
			want: []string{"ed|2", "wendy|1", "mary|NULL", "fred|NULL"}},
		{name: "text statement",
			e:    expr.Text(`SELECT name FROM users WHERE name = :n OR fullname = :n ORDER BY id`, expr.P{"n": "ed"}),
			lite: "SELECT name FROM users WHERE name = ? OR fullname = ? ORDER BY id", liteArgs: []any{"ed", "ed"},
			pg: "SELECT name FROM users WHERE name = $1 OR fullname = $2 ORDER BY id", pgArgs: []any{"ed", "ed"}, want: []string{"ed"}},
		{name: "text skips quotes and escapes",
			e:    expr.Text(`SELECT ':x' AS a, '\:y' AS b, 'it''s :z' AS c, :v AS d, "name" FROM users WHERE id = :id`, expr.P{"v": "val", "id": 1}),
			lite: `SELECT ':x' AS a, '\:y' AS b, 'it''s :z' AS c, ? AS d, "name" FROM users WHERE id = ?`, liteArgs: []any{"val", 1},
			pg: `SELECT ':x' AS a, '\:y' AS b, 'it''s :z' AS c, $1 AS d, "name" FROM users WHERE id = $2`, pgArgs: []any{"val", 1},
			want: []string{`:x|\:y|it's :z|val|ed`},
			// Where double quotes are string literals (MySQL without ANSI_QUOTES).
			wantLiteralDQ: []string{`:x|\:y|it's :z|val|name`}},
		{name: "text skips comments",
			e:    expr.Text("SELECT name -- :not a param\nFROM users /* :nor\n:this */ WHERE id = :id", expr.P{"id": 2}),
			lite: "SELECT name -- :not a param\nFROM users /* :nor\n:this */ WHERE id = ?", liteArgs: []any{2},
			pg: "SELECT name -- :not a param\nFROM users /* :nor\n:this */ WHERE id = $1", pgArgs: []any{2}, want: []string{"wendy"}},
		{name: "text backslash colon",
			e:    expr.Text(`SELECT 'a' || '\:' AS x WHERE 1 = :one`, expr.P{"one": 1}),
			lite: `SELECT 'a' || '\:' AS x WHERE 1 = ?`, liteArgs: []any{1},
			pg: `SELECT 'a' || '\:' AS x WHERE 1 = $1`, pgArgs: []any{1}, want: []string{`a\:`}},
		{name: "text pg cast",
			e:    expr.Text(`SELECT :v::text || 'x', 1 WHERE 2 > \:w`, expr.P{"v": "a"}),
			lite: `SELECT ?::text || 'x', 1 WHERE 2 > :w`, liteArgs: []any{"a"},
			pg: `SELECT $1::text || 'x', 1 WHERE 2 > :w`, pgArgs: []any{"a"}},
		{name: "text pg cast run",
			e:    expr.Text(`SELECT CAST(:v AS text)::varchar(3) AS s`, expr.P{"v": "abcdef"}),
			lite: `SELECT CAST(? AS text)::varchar(3) AS s`, liteArgs: []any{"abcdef"},
			pg: `SELECT CAST($1 AS text)::varchar(3) AS s`, pgArgs: []any{"abcdef"}, want: []string{"abc"}, only: "postgres"},
		{name: "text pg escape string",
			e:    expr.Text(`SELECT E'it\'s :x' || e'\\' AS s, :v AS v`, expr.P{"v": "val"}),
			lite: `SELECT E'it\'s :x' || e'\\' AS s, ? AS v`, liteArgs: []any{"val"},
			pg: `SELECT E'it\'s :x' || e'\\' AS s, $1 AS v`, pgArgs: []any{"val"}, want: []string{`it's :x\|val`}, only: "postgres"},
		{name: "text pg dollar quotes",
			e:    expr.Text(`SELECT $$ :x 'y $$ || $q$:z$$q$ AS s, :v AS v`, expr.P{"v": "val"}),
			lite: `SELECT $$ :x 'y $$ || $q$:z$$q$ AS s, ? AS v`, liteArgs: []any{"val"},
			pg: `SELECT $$ :x 'y $$ || $q$:z$$q$ AS s, $1 AS v`, pgArgs: []any{"val"}, want: []string{` :x 'y :z$|val`}, only: "postgres"},
	}
}

func TestStatements(t *testing.T) {
	for _, g := range statements() {
		t.Run(g.name, g.check)
	}
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		seed(t, eng)
		for _, g := range statements() {
			if g.want == nil || (g.only != "" && g.only != eng.Dialect().Name()) {
				continue
			}
			t.Run(g.name, func(t *testing.T) {
				want := g.want
				if g.wantLiteralDQ != nil && !strings.HasPrefix(dialect.QuoteIdent(eng.Dialect(), "a b"), `"`) {
					want = g.wantLiteralDQ
				}
				if got := rowsOf(t, eng, g.e); !reflect.DeepEqual(got, want) {
					t.Errorf("rows = %q, want %q", got, want)
				}
			})
		}
	})
}

func TestDML(t *testing.T) {
	ut := users.T
	evil := `o'hara"; DELETE FROM users; -- /*`
	ins := &expr.Insert{Table: ut, Columns: []string{"name", "fullname", "age"},
		Rows: [][]any{{"jack", "Jack Bean", 20}, {evil, "Evil'); DROP TABLE users;--", 21}}, Returning: []string{"id", "name"}}
	upd := &expr.Update{Table: ut, Set: []expr.Assign{{Col: "age", V: expr.Col(&U.Age).Add(1)}, {Col: "nickname", V: "jj"}},
		Where: []expr.Expr{expr.Eq(&U.Name, "jack")}, Returning: []string{"age", "nickname"}}
	del := &expr.Delete{Table: addrs.T, Where: []expr.Expr{expr.In(&A.ID, int64(1), int64(3))}, Returning: []string{"email_address"}}
	upsert := &expr.Insert{Table: ut, Columns: []string{"name", "fullname", "age"}, Rows: [][]any{{"ed", "Edward", 31}},
		OnConflict: &expr.OnConflict{Columns: []string{"name"}, Update: []string{"fullname", "age"}}}
	nothing := &expr.Insert{Table: ut, Columns: []string{"name"}, Rows: [][]any{{"ed"}}, OnConflict: &expr.OnConflict{Columns: []string{"name"}, DoNothing: true}}
	cases := []golden{
		{name: "insert multi-row returning", e: ins,
			lite:     "INSERT INTO users (name, fullname, age) VALUES (?, ?, ?), (?, ?, ?) RETURNING id, name",
			liteArgs: []any{"jack", "Jack Bean", 20, evil, "Evil'); DROP TABLE users;--", 21},
			pg:       "INSERT INTO users (name, fullname, age) VALUES ($1, $2, $3), ($4, $5, $6) RETURNING id, name",
			pgArgs:   []any{"jack", "Jack Bean", 20, evil, "Evil'); DROP TABLE users;--", 21}},
		{name: "update returning", e: upd,
			lite: "UPDATE users SET age = (users.age + ?), nickname = ? WHERE users.name = ? RETURNING age, nickname", liteArgs: []any{1, "jj", "jack"},
			pg: "UPDATE users SET age = (users.age + $1), nickname = $2 WHERE users.name = $3 RETURNING age, nickname", pgArgs: []any{1, "jj", "jack"}},
		{name: "delete returning", e: del,
			lite: "DELETE FROM addresses WHERE addresses.id IN (?, ?) RETURNING email_address", liteArgs: []any{int64(1), int64(3)},
			pg: "DELETE FROM addresses WHERE addresses.id IN ($1, $2) RETURNING email_address", pgArgs: []any{int64(1), int64(3)}},
		{name: "upsert", e: upsert,
			lite: "INSERT INTO users (name, fullname, age) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET fullname = excluded.fullname, age = excluded.age", liteArgs: []any{"ed", "Edward", 31},
			pg: "INSERT INTO users (name, fullname, age) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET fullname = excluded.fullname, age = excluded.age", pgArgs: []any{"ed", "Edward", 31}},
		{name: "insert do nothing", e: nothing,
			lite: "INSERT INTO users (name) VALUES (?) ON CONFLICT (name) DO NOTHING", liteArgs: []any{"ed"},
			pg: "INSERT INTO users (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", pgArgs: []any{"ed"}},
		{name: "delete all", e: &expr.Delete{Table: addrs.T}, lite: "DELETE FROM addresses", pg: "DELETE FROM addresses"},
	}
	for _, g := range cases {
		t.Run(g.name, g.check)
	}
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		seed(t, eng)
		if got := rowsOf(t, eng, ins); !reflect.DeepEqual(got, []string{"5|jack", "6|" + evil}) {
			t.Errorf("insert returning = %q", got)
		}
		if got := rowsOf(t, eng, expr.NewSelect(&U.Fullname).Filter(expr.Eq(&U.Name, evil))); !reflect.DeepEqual(got, []string{"Evil'); DROP TABLE users;--"}) {
			t.Errorf("SQL-looking values did not round-trip: %q", got)
		}
		if !eng.Dialect().Has(dialect.ReturningUpdate) {
			// MySQL, MariaDB: a clear error, not SQL the server refuses.
			if _, _, err := expr.Compile(eng.Dialect(), upd); !errors.Is(err, arcerr.ErrInvalidRequest) || !strings.Contains(err.Error(), "UPDATE users ... RETURNING") {
				t.Errorf("UPDATE ... RETURNING without the capability: %v", err)
			}
			upd2 := *upd
			upd2.Returning = nil
			run(t, eng, &upd2)
		} else if got := rowsOf(t, eng, upd); !reflect.DeepEqual(got, []string{"21|jj"}) {
			t.Errorf("update returning = %q", got)
		}
		if got := rowsOf(t, eng, expr.NewSelect(&U.Age, &U.Nickname).Filter(expr.Eq(&U.Name, "jack"))); !reflect.DeepEqual(got, []string{"21|jj"}) {
			t.Errorf("after update = %q", got)
		}
		if !eng.Dialect().Has(dialect.ReturningDelete) {
			if _, _, err := expr.Compile(eng.Dialect(), del); !errors.Is(err, arcerr.ErrInvalidRequest) {
				t.Errorf("DELETE ... RETURNING without the capability: %v", err)
			}
			del2 := *del
			del2.Returning = nil
			run(t, eng, &del2)
		} else if got := rowsOf(t, eng, del); !reflect.DeepEqual(got, []string{"ed@a.com", "wendy@c.com"}) && !reflect.DeepEqual(got, []string{"wendy@c.com", "ed@a.com"}) {
			t.Errorf("delete returning = %q", got)
		}
		run(t, eng, upsert)
		run(t, eng, nothing)
		if got := rowsOf(t, eng, expr.NewSelect(&U.Fullname, &U.Age).Filter(expr.Eq(&U.Name, "ed"))); !reflect.DeepEqual(got, []string{"Edward|31"}) {
			t.Errorf("after upsert: %q", got)
		}
		res, err := engine.ExecStmt(context.Background(), eng, &expr.Delete{Table: addrs.T})
		if n, _ := res.RowsAffected(); err != nil || n != 1 {
			t.Errorf("delete all: %d rows, %v", n, err)
		}
		if got := rowsOf(t, eng, expr.NewSelect(expr.CountAll()).SelectFrom(users)); !reflect.DeepEqual(got, []string{"6"}) {
			t.Errorf("users count = %v", got)
		}
	})
}

func TestCompileErrors(t *testing.T) {
	var loaded User
	tests := []struct {
		name string
		e    expr.Expr
		is   error
		msg  string
	}{
		{"loaded object field", expr.Eq(&loaded.Name, "x"), arcerr.ErrNotAColumn, "points into no model probe"},
		{"column not in FROM", expr.NewSelect(&U.Name).SelectFrom(addrs), arcerr.ErrNotAColumn, "not in the FROM clause"},
		{"missing text param", expr.Text("a = :a"), arcerr.ErrInvalidRequest, "no value for parameter :a"},
		{"join without on", expr.NewSelect(&U.Name).SelectFrom(users).JoinOn(addrs, nil), arcerr.ErrInvalidRequest, "no ON condition"},
		{"update without set", &expr.Update{Table: users.T}, arcerr.ErrInvalidRequest, "nothing to set"},
		{"row arity", &expr.Insert{Table: users.T, Columns: []string{"name"}, Rows: [][]any{{"a", "b"}}}, arcerr.ErrInvalidRequest, "row 0 has 2 values for 1 columns"},
		{"correlated without outer query", expr.Exists(expr.NewSelect().SelectFrom(addrs).Filter(expr.On(&A.UserID, &U.ID))), arcerr.ErrNotAColumn, "users.id (field User.ID) is not in the FROM clause"},
		{"On with columns of different kinds", expr.NewSelect(&U.Name).SelectFrom(users).JoinOn(addrs, expr.On(&A.Email, &U.ID)), arcerr.ErrInvalidRequest,
			"On(addresses.email_address, users.id) compares a string column (Go string) with a bigint column (Go int64)"},
		{"nil column", expr.Col(nil).Eq(1), arcerr.ErrNotAColumn, "nil column"},
		{"not a column", expr.Col(42).Eq(1), arcerr.ErrNotAColumn, "neither an expression nor a field pointer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := expr.Compile(lite, tt.e)
			if !errors.Is(err, tt.is) || !strings.Contains(fmt.Sprint(err), tt.msg) {
				t.Errorf("err = %v, want %v containing %q", err, tt.is, tt.msg)
			}
		})
	}
}

// Compiling the same expression twice gives the same text and arguments
// (no state leaks between compiles), and NULL-able values bind as nil.
func TestCompileIsRepeatable(t *testing.T) {
	s := expr.NewSelect(&U.Name).Filter(expr.Eq(&U.Name, "ed")).Order(&U.ID).SetLimit(3)
	q1, a1, _ := expr.Compile(pg, s)
	q2, a2, _ := expr.Compile(pg, s)
	if q1 != q2 || !reflect.DeepEqual(a1, a2) {
		t.Errorf("%s %v / %s %v", q1, a1, q2, a2)
	}
	_ = sql.ErrNoRows
}

// An IN subquery with LIMIT runs on every dialect: MySQL refuses LIMIT
// there, so the compiler wraps the subquery in a derived table; NULLS
// FIRST/LAST, which MySQL lacks, is ordered by "x IS NULL" first.
func TestRegression_LimitInSubqueryAndNullsOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		seed(t, eng)
		oldest := expr.NewSelect(&U.ID).SelectFrom(users).Order(expr.Desc(&U.Age)).SetLimit(2)
		q := expr.NewSelect(&U.Name).Filter(expr.InQuery(&U.ID, oldest)).Order(&U.ID)
		if got := rowsOf(t, eng, q); !reflect.DeepEqual(got, []string{"mary", "fred"}) {
			t.Errorf("IN (subquery LIMIT 2) = %q", got)
		}
		nf := expr.NewSelect(&U.Name).SelectFrom(users).Order(expr.Asc(&U.Nickname).NullsFirst())
		if got := rowsOf(t, eng, nf); !reflect.DeepEqual(got, []string{"fred", "ed", "mary", "wendy"}) {
			t.Errorf("NULLS FIRST = %q", got)
		}
		nl := expr.NewSelect(&U.Name).SelectFrom(users).Order(expr.Desc(&U.Nickname).NullsLast())
		if got := rowsOf(t, eng, nl); !reflect.DeepEqual(got, []string{"wendy", "mary", "ed", "fred"}) {
			t.Errorf("DESC NULLS LAST = %q", got)
		}
	})
}

package expr_test

import (
	"fmt"

	"github.com/arcorm/arc/expr"
)

func ExampleCompile() {
	q := expr.NewSelect(&U.Name, expr.Label(expr.Count(&A.ID), "n")).
		SelectFrom(users).
		OuterJoinOn(addrs, expr.On(&A.UserID, &U.ID)).
		Filter(expr.Or(expr.Like(&U.Name, "%ed"), expr.In(&U.Name, "wendy", "mary"))).
		Group(&U.Name).
		Order(expr.Desc(expr.LabelRef("n"))).
		SetOffset(1)
	sql, args, _ := expr.Compile(lite, q)
	fmt.Println(sql, args)
	sql, args, _ = expr.Compile(pg, q)
	fmt.Println(sql, args)
	// Output:
	// SELECT users.name, count(addresses.id) AS n FROM users LEFT OUTER JOIN addresses ON addresses.user_id = users.id WHERE users.name LIKE ? OR users.name IN (?, ?) GROUP BY users.name ORDER BY n DESC LIMIT -1 OFFSET ? [%ed wendy mary 1]
	// SELECT users.name, count(addresses.id) AS n FROM users LEFT OUTER JOIN addresses ON addresses.user_id = users.id WHERE users.name LIKE $1 OR users.name IN ($2, $3) GROUP BY users.name ORDER BY n DESC LIMIT ALL OFFSET $4 [%ed wendy mary 1]
}

func ExampleText() {
	t := expr.Text("SELECT * FROM users WHERE name = :name AND created::date = :day AND note = 'x:y'",
		expr.P{"name": "ed", "day": "2024-01-02"})
	sql, args, _ := expr.Compile(pg, t)
	fmt.Println(sql, args)
	// Output:
	// SELECT * FROM users WHERE name = $1 AND created::date = $2 AND note = 'x:y' [ed 2024-01-02]
}

func ExampleIn_empty() {
	sql, _, _ := expr.Compile(lite, expr.In[string](&U.Name))
	fmt.Println(sql)
	sql, _, _ = expr.Compile(lite, expr.NotIn[string](&U.Name))
	fmt.Println(sql)
	// Output:
	// 1 != 1
	// 1 = 1
}

package session_test

import (
	"fmt"
	"strings"

	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/session"
)

// Stream reads a result of any size in constant memory while changes
// made in the loop are still written: each clean object leaves the
// session when the loop takes the next one, a changed one stays until
// Commit. A pointer kept past its iteration is detached if it was clean
// then; Merge brings its later changes back.
func ExampleQuery_Stream() {
	ctx, _, done := exampleDB()
	defer done()
	s := session.From(ctx)
	U := expr.Cols[QUser]()
	var first *QUser
	for u, err := range session.Select[QUser]().OrderBy(&U.ID).Stream(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if first == nil {
			first = u // kept past its iteration, unchanged then
		}
		if u.Name == "mary" {
			u.Nickname = strings.ToUpper(u.Nickname) // changed: stays tracked
		}
	}
	fmt.Println(s.Contains(first), len(s.Dirty()))

	first.Nickname = "lost" // detached: not written by Commit...
	_ = s.Commit(ctx)
	ed, _ := session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).One(ctx)
	mary, _ := session.Select[QUser]().Where(expr.Eq(&U.Name, "mary")).One(ctx)
	fmt.Println(ed.Nickname, mary.Nickname)

	_, _ = session.Merge(ctx, s, first) // ...unless merged back
	_ = s.Commit(ctx)
	ed, _ = session.Select[QUser]().Where(expr.Eq(&U.Name, "ed")).One(ctx)
	fmt.Println(ed.Nickname)
	// Output:
	// false 1
	// eddie MARY
	// lost
}

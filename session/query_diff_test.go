package session_test

// The differential query check: random predicate trees compiled by Arc
// must select exactly the rows the same predicate selects when evaluated
// in Go with SQL's three-valued logic, on both dialects.

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

type QDAuthor struct {
	ID    int64
	Name  string                 `arc:"size:40"`
	Nick  *string                `arc:"size:40"`
	Age   *int64                 ``
	Posts relations.Many[QDPost] `arc:"back_populates:Author;order_by:id"`
}

func (QDAuthor) TableName() string { return "qd_authors" }

type QDPost struct {
	ID       int64
	AuthorID *int64                  `arc:"fk:qd_authors.id"`
	ParentID *int64                  `arc:"fk:qd_posts.id"`
	Title    string                  `arc:"size:40"`
	Body     *string                 `arc:"size:40"`
	Rank     int64                   ``
	Author   relations.One[QDAuthor] `arc:"back_populates:Posts"`
	Parent   relations.One[QDPost]   `arc:"back_populates:Replies"`
	Replies  relations.Many[QDPost]  `arc:"back_populates:Parent;order_by:id"`
	Tags     relations.Many[QDTag]   `arc:"secondary:qd_post_tags;fk:post_id,tag_id;back_populates:Posts;order_by:id"`
}

func (QDPost) TableName() string { return "qd_posts" }

type QDTag struct {
	ID     int64
	Word   string                 `arc:"size:40"`
	Weight *int64                 ``
	Score  sql.Null[int64]        ``
	Posts  relations.Many[QDPost] `arc:"secondary:qd_post_tags;back_populates:Tags;order_by:id"`
}

func (QDTag) TableName() string { return "qd_tags" }

type QDPostTag struct {
	PostID int64 `arc:"pk;fk:qd_posts.id"`
	TagID  int64 `arc:"pk;fk:qd_tags.id"`
}

func (QDPostTag) TableName() string { return "qd_post_tags" }

var (
	QA = expr.Cols[QDAuthor]()
	QP = expr.Cols[QDPost]()
	QT = expr.Cols[QDTag]()
)

// The models of the check.
const (
	mAuthor = iota
	mPost
	mTag
)

var modelNames = [...]string{"Author", "Post", "Tag"}

// qdData is one random dataset.
type qdData struct {
	authors []*QDAuthor
	posts   []*QDPost
	tags    []*QDTag
	links   map[[2]int64]bool // post id, tag id
}

func (d *qdData) rows(m int) int {
	return [...]int{len(d.authors), len(d.posts), len(d.tags)}[m]
}

// Strings carry LIKE's wildcards, quotes and mixed case (no backslash:
// its meaning in LIKE differs between the dialects, see Like's doc).
var qdPieces = []string{"a", "A", "b", "B", "ab", "%", "_", "'", `"`, " ", "50%", "a_b", "x'y", "Ab%"}

func qdString(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(qdPieces[r.IntN(len(qdPieces))])
	}
	return b.String()
}

func qdNullString(r *rand.Rand) *string {
	if r.IntN(3) == 0 {
		return nil
	}
	s := qdString(r)
	return &s
}

func qdNullInt(r *rand.Rand) *int64 {
	if r.IntN(3) == 0 {
		return nil
	}
	v := int64(r.IntN(8) - 2)
	return &v
}

func newQDData(seed uint64) *qdData {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d := &qdData{links: map[[2]int64]bool{}}
	for i := range 3 + r.IntN(5) {
		d.authors = append(d.authors, &QDAuthor{ID: int64(i + 1), Name: qdString(r), Nick: qdNullString(r), Age: qdNullInt(r)})
	}
	for i := range 5 + r.IntN(8) {
		p := &QDPost{ID: int64(i + 1), Title: qdString(r), Body: qdNullString(r), Rank: int64(r.IntN(8) - 2)}
		if r.IntN(5) > 0 {
			a := d.authors[r.IntN(len(d.authors))].ID
			p.AuthorID = &a
		}
		if i > 0 && r.IntN(2) == 0 {
			par := int64(1 + r.IntN(i))
			p.ParentID = &par
		}
		d.posts = append(d.posts, p)
	}
	for i := range 2 + r.IntN(4) {
		tg := &QDTag{ID: int64(i + 1), Word: qdString(r), Weight: qdNullInt(r)}
		if v := qdNullInt(r); v != nil {
			tg.Score = sql.Null[int64]{V: *v, Valid: true}
		}
		d.tags = append(d.tags, tg)
	}
	for _, p := range d.posts {
		for _, t := range d.tags {
			if r.IntN(3) == 0 {
				d.links[[2]int64{p.ID, t.ID}] = true
			}
		}
	}
	return d
}

func (d *qdData) insert(t *testing.T, eng *engine.Engine) {
	t.Helper()
	exec := func(q string, args ...any) {
		t.Helper()
		_, err := eng.DB().Exec(phs(eng, q), args...)
		require.NoError(t, err)
	}
	// MySQL checks a self-referencing foreign key row by row during a
	// DELETE: unlink the posts from their parents first.
	exec("UPDATE qd_posts SET parent_id = NULL")
	for _, tbl := range []string{"qd_post_tags", "qd_tags", "qd_posts", "qd_authors"} {
		exec("DELETE FROM " + tbl)
	}
	for _, a := range d.authors {
		exec("INSERT INTO qd_authors (id, name, nick, age) VALUES (?, ?, ?, ?)", a.ID, a.Name, a.Nick, a.Age)
	}
	for _, p := range d.posts {
		exec("INSERT INTO qd_posts (id, author_id, parent_id, title, body, rank) VALUES (?, ?, ?, ?, ?, ?)", p.ID, p.AuthorID, p.ParentID, p.Title, p.Body, p.Rank)
	}
	for _, tg := range d.tags {
		exec("INSERT INTO qd_tags (id, word, weight, score) VALUES (?, ?, ?, ?)", tg.ID, tg.Word, tg.Weight, tg.Score)
	}
	for k := range d.links {
		exec("INSERT INTO qd_post_tags (post_id, tag_id) VALUES (?, ?)", k[0], k[1])
	}
}

// tv is a value of SQL's three-valued logic.
type tv uint8

const (
	tFalse tv = iota
	tTrue
	tNull
)

func and3(a, b tv) tv {
	switch {
	case a == tFalse || b == tFalse:
		return tFalse
	case a == tNull || b == tNull:
		return tNull
	}
	return tTrue
}

func or3(a, b tv) tv {
	switch {
	case a == tTrue || b == tTrue:
		return tTrue
	case a == tNull || b == tNull:
		return tNull
	}
	return tFalse
}

func not3(a tv) tv {
	switch a {
	case tTrue:
		return tFalse
	case tFalse:
		return tTrue
	}
	return tNull
}

func bool3(b bool) tv {
	if b {
		return tTrue
	}
	return tFalse
}

// qval is a column value: an int64 or a string, or NULL.
type qval struct {
	null bool
	i    int64
	s    string
	str  bool
}

func (v qval) String() string {
	switch {
	case v.null:
		return "NULL"
	case v.str:
		return strconv.Quote(v.s)
	}
	return strconv.FormatInt(v.i, 10)
}

func cmpVals(a, b qval) int {
	if a.str {
		return strings.Compare(a.s, b.s)
	}
	switch {
	case a.i < b.i:
		return -1
	case a.i > b.i:
		return 1
	}
	return 0
}

// cmp3 is a op b in SQL: NULL when either side is.
func cmp3(a qval, op string, b qval) tv {
	if a.null || b.null {
		return tNull
	}
	c := cmpVals(a, b)
	switch op {
	case "=":
		return bool3(c == 0)
	case "!=":
		return bool3(c != 0)
	case "<":
		return bool3(c < 0)
	case "<=":
		return bool3(c <= 0)
	case ">":
		return bool3(c > 0)
	case ">=":
		return bool3(c >= 0)
	}
	panic(op)
}

// like3 is SQL LIKE without an escape character. fold: ignore ASCII case
// (SQLite's LIKE; ILIKE everywhere for ASCII text).
func like3(s qval, pattern string, fold bool) tv {
	if s.null {
		return tNull
	}
	str := s.s
	if fold {
		str, pattern = strings.ToLower(str), strings.ToLower(pattern)
	}
	return bool3(likeMatch(str, pattern))
}

func likeMatch(s, p string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '%':
		for i := 0; i <= len(s); i++ {
			if likeMatch(s[i:], p[1:]) {
				return true
			}
		}
		return false
	case '_':
		return s != "" && likeMatch(s[1:], p[1:])
	}
	return s != "" && s[0] == p[0] && likeMatch(s[1:], p[1:])
}

// frame is the row a predicate is evaluated against: the query's row, or
// the related row inside Any/Has.
type frame struct{ model, row int }

// qnode is a predicate both as Arc builds it and as Go evaluates it.
type qnode struct {
	e    expr.Expr
	eval func(env []frame) tv
	desc string
}

// qcol is a column of a model for leaf predicates.
type qcol struct {
	name     string
	str      bool
	nullable bool
	get      func(d *qdData, row int) qval
	ptr      any // the probe's field pointer: *int64, **int64, *string or **string
}

func intVal(v int64) qval   { return qval{i: v} }
func strVal(v string) qval  { return qval{s: v, str: true} }
func nullInt(v *int64) qval { return nullable(v, intVal) }
func nullStr(v *string) qval {
	return nullable(v, strVal)
}

func nullable[V any](v *V, f func(V) qval) qval {
	if v == nil {
		return qval{null: true}
	}
	return f(*v)
}

var qcols = [...][]qcol{
	mAuthor: {
		{"id", false, false, func(d *qdData, r int) qval { return intVal(d.authors[r].ID) }, &QA.ID},
		{"name", true, false, func(d *qdData, r int) qval { return strVal(d.authors[r].Name) }, &QA.Name},
		{"nick", true, true, func(d *qdData, r int) qval { return nullStr(d.authors[r].Nick) }, &QA.Nick},
		{"age", false, true, func(d *qdData, r int) qval { return nullInt(d.authors[r].Age) }, &QA.Age},
	},
	mPost: {
		{"id", false, false, func(d *qdData, r int) qval { return intVal(d.posts[r].ID) }, &QP.ID},
		{"author_id", false, true, func(d *qdData, r int) qval { return nullInt(d.posts[r].AuthorID) }, &QP.AuthorID},
		{"parent_id", false, true, func(d *qdData, r int) qval { return nullInt(d.posts[r].ParentID) }, &QP.ParentID},
		{"title", true, false, func(d *qdData, r int) qval { return strVal(d.posts[r].Title) }, &QP.Title},
		{"body", true, true, func(d *qdData, r int) qval { return nullStr(d.posts[r].Body) }, &QP.Body},
		{"rank", false, false, func(d *qdData, r int) qval { return intVal(d.posts[r].Rank) }, &QP.Rank},
	},
	mTag: {
		{"id", false, false, func(d *qdData, r int) qval { return intVal(d.tags[r].ID) }, &QT.ID},
		{"word", true, false, func(d *qdData, r int) qval { return strVal(d.tags[r].Word) }, &QT.Word},
		{"weight", false, true, func(d *qdData, r int) qval { return nullInt(d.tags[r].Weight) }, &QT.Weight},
		{"score", false, true, func(d *qdData, r int) qval {
			if sc := d.tags[r].Score; sc.Valid {
				return intVal(sc.V)
			}
			return qval{null: true}
		}, &QT.Score},
	},
}

// qgen draws predicate trees over one dataset for one dialect.
type qgen struct {
	d         *qdData
	likeFolds bool // LIKE ignores ASCII case (SQLite; MySQL with a _ci collation)
}

var qOps = []string{"=", "!=", "<", "<=", ">", ">="}

// drawVal draws a value for c: usually one of the dataset's, sometimes a
// new one, NULL for nullable columns.
func (g *qgen) drawVal(t *rapid.T, c qcol, m int, label string) qval {
	if c.nullable && rapid.IntRange(0, 5).Draw(t, label+"null") == 0 {
		return qval{null: true}
	}
	if n := g.d.rows(m); n > 0 && rapid.Bool().Draw(t, label+"fromdata") {
		if v := c.get(g.d, rapid.IntRange(0, n-1).Draw(t, label+"row")); !v.null {
			return v
		}
	}
	if c.str {
		return strVal(rapid.SampledFrom(append([]string{""}, qdPieces...)).Draw(t, label+"s"))
	}
	return intVal(int64(rapid.IntRange(-3, 14).Draw(t, label+"i")))
}

// typed builds a typed predicate for c with the Go value v.
func typedOp(c qcol, op string, v qval) expr.Expr {
	switch p := c.ptr.(type) {
	case *int64:
		return opOf(p, op, v.i)
	case *string:
		return opOf(p, op, v.s)
	case **int64:
		return opOf(p, op, ptrOf(v, v.i))
	case **string:
		return opOf(p, op, ptrOf(v, v.s))
	case *sql.Null[int64]:
		return opOf(p, op, sql.Null[int64]{V: v.i, Valid: !v.null})
	}
	panic("column type")
}

// untypedVal is v for the untyped builders (nil for NULL).
func untypedVal(v qval) any {
	switch {
	case v.null:
		return nil
	case v.str:
		return v.s
	}
	return v.i
}

func ptrOf[V any](v qval, x V) *V {
	if v.null {
		return nil
	}
	return &x
}

func opOf[V any](col *V, op string, v V) expr.Expr {
	switch op {
	case "=":
		return expr.Eq(col, v)
	case "!=":
		return expr.Ne(col, v)
	case "<":
		return expr.Lt(col, v)
	case "<=":
		return expr.Le(col, v)
	case ">":
		return expr.Gt(col, v)
	case ">=":
		return expr.Ge(col, v)
	}
	panic(op)
}

func inOf(c qcol, vs []qval, not bool) expr.Expr {
	switch p := c.ptr.(type) {
	case *int64:
		return inList(p, vs, not, func(v qval) int64 { return v.i })
	case *string:
		return inList(p, vs, not, func(v qval) string { return v.s })
	case **int64:
		return inList(p, vs, not, func(v qval) *int64 { return ptrOf(v, v.i) })
	case **string:
		return inList(p, vs, not, func(v qval) *string { return ptrOf(v, v.s) })
	case *sql.Null[int64]:
		return inList(p, vs, not, func(v qval) sql.Null[int64] { return sql.Null[int64]{V: v.i, Valid: !v.null} })
	}
	panic("column type")
}

func inList[V any](col *V, vs []qval, not bool, conv func(qval) V) expr.Expr {
	xs := make([]V, len(vs))
	for i, v := range vs {
		xs[i] = conv(v)
	}
	if not {
		return expr.NotIn(col, xs...)
	}
	return expr.In(col, xs...)
}

func betweenOf(c qcol, a, b qval) expr.Expr {
	switch p := c.ptr.(type) {
	case *int64:
		return expr.BetweenV(p, a.i, b.i)
	case *string:
		return expr.BetweenV(p, a.s, b.s)
	case **int64:
		return expr.BetweenV(p, ptrOf(a, a.i), ptrOf(b, b.i))
	case **string:
		return expr.BetweenV(p, ptrOf(a, a.s), ptrOf(b, b.s))
	case *sql.Null[int64]:
		return expr.BetweenV(p, sql.Null[int64]{V: a.i, Valid: !a.null}, sql.Null[int64]{V: b.i, Valid: !b.null})
	}
	panic("column type")
}

func likeOf(c qcol, pattern string, ci bool) expr.Expr {
	switch p := c.ptr.(type) {
	case *string:
		if ci {
			return expr.ILike(p, pattern)
		}
		return expr.Like(p, pattern)
	default: // nullable: the untyped builder
		if ci {
			return expr.Col(p).ILike(pattern)
		}
		return expr.Col(p).Like(pattern)
	}
}

// drawPattern draws a LIKE pattern: pieces of the data's strings and
// wildcards.
func (g *qgen) drawPattern(t *rapid.T, c qcol, m int) string {
	var b strings.Builder
	for i := range rapid.IntRange(0, 4).Draw(t, "plen") {
		switch rapid.IntRange(0, 3).Draw(t, fmt.Sprint("pk", i)) {
		case 0:
			b.WriteByte('%')
		case 1:
			b.WriteByte('_')
		case 2:
			if v := g.drawVal(t, c, m, "pv"); !v.null && v.s != "" {
				s := v.s
				from := rapid.IntRange(0, len(s)-1).Draw(t, "pfrom")
				to := rapid.IntRange(from, len(s)).Draw(t, "pto")
				b.WriteString(s[from:to])
			}
		default:
			b.WriteString(rapid.SampledFrom(qdPieces).Draw(t, "ppiece"))
		}
	}
	return b.String()
}

// leaf draws a comparison, IN, BETWEEN, NULL test or LIKE on a column of
// the current row's model.
func (g *qgen) leaf(t *rapid.T, m, depth int) qnode {
	c := rapid.SampledFrom(qcols[m]).Draw(t, "col")
	get := func(env []frame) qval { return c.get(g.d, env[len(env)-1].row) }
	kinds := []string{"cmp", "in", "between"}
	if c.nullable {
		kinds = append(kinds, "null")
	}
	if c.str {
		kinds = append(kinds, "like")
	}
	switch rapid.SampledFrom(kinds).Draw(t, "leaf") {
	case "cmp":
		op := rapid.SampledFrom(qOps).Draw(t, "op")
		v := g.drawVal(t, c, m, "v")
		desc := fmt.Sprintf("%s %s %s", c.name, op, v)
		e := typedOp(c, op, v)
		switch rapid.IntRange(0, 2).Draw(t, "form") {
		case 1: // the untyped builder: Col(&x).Eq(v)
			col := expr.Col(c.ptr)
			e = map[string]func(any) expr.Expr{"=": col.Eq, "!=": col.Ne, "<": col.Lt, "<=": col.Le, ">": col.Gt, ">=": col.Ge}[op](untypedVal(v))
			desc += " (Col)"
		case 2: // EqN/NeN: a pointer column with a plain value
			if !v.null && (op == "=" || op == "!=") {
				switch p := c.ptr.(type) {
				case **int64:
					e = map[string]func(**int64, int64) expr.Expr{"=": expr.EqN[int64], "!=": expr.NeN[int64]}[op](p, v.i)
					desc += " (N)"
				case **string:
					e = map[string]func(**string, string) expr.Expr{"=": expr.EqN[string], "!=": expr.NeN[string]}[op](p, v.s)
					desc += " (N)"
				}
			}
		}
		if v.null && (op == "=" || op == "!=") {
			// Eq/Ne with nil are IS [NOT] NULL.
			not := op == "!="
			return qnode{e, func(env []frame) tv { return bool3(get(env).null != not) }, desc}
		}
		return qnode{e, func(env []frame) tv { return cmp3(get(env), op, v) }, desc}
	case "in":
		n := rapid.IntRange(0, 3).Draw(t, "inlen")
		vs := make([]qval, n)
		for i := range vs {
			vs[i] = g.drawVal(t, c, m, "in")
		}
		not := rapid.Bool().Draw(t, "notin")
		desc := fmt.Sprintf("%s IN %v", c.name, vs)
		if not {
			desc = fmt.Sprintf("%s NOT IN %v", c.name, vs)
		}
		e := inOf(c, vs, not)
		if rapid.Bool().Draw(t, "untypedin") {
			xs := make([]any, len(vs))
			for i, v := range vs {
				xs[i] = untypedVal(v)
			}
			e = expr.Col(c.ptr).In(xs...)
			if not {
				e = expr.Col(c.ptr).NotIn(xs...)
			}
			desc += " (Col)"
		}
		return qnode{e, func(env []frame) tv {
			// An empty list is false (IN) or true (NOT IN), never NULL.
			x := get(env)
			r := tFalse
			for _, v := range vs {
				r = or3(r, cmp3(x, "=", v))
			}
			if not {
				return not3(r)
			}
			return r
		}, desc}
	case "between":
		a, b := g.drawVal(t, c, m, "lo"), g.drawVal(t, c, m, "hi")
		return qnode{betweenOf(c, a, b), func(env []frame) tv {
			x := get(env)
			return and3(cmp3(x, ">=", a), cmp3(x, "<=", b))
		}, fmt.Sprintf("%s BETWEEN %s AND %s", c.name, a, b)}
	case "null":
		not := rapid.Bool().Draw(t, "notnull")
		var e expr.Expr
		switch p := c.ptr.(type) {
		case **int64:
			e = expr.IsNull(p)
			if not {
				e = expr.IsNotNull(p)
			}
		case **string:
			e = expr.IsNull(p)
			if not {
				e = expr.IsNotNull(p)
			}
		default:
			e = expr.Col(p).IsNull()
			if not {
				e = expr.Col(p).IsNotNull()
			}
		}
		return qnode{e, func(env []frame) tv { return bool3(get(env).null != not) }, fmt.Sprintf("%s IS NULL (not=%v)", c.name, not)}
	default: // like
		pattern := g.drawPattern(t, c, m)
		ci := rapid.Bool().Draw(t, "ilike")
		fold := ci || g.likeFolds
		op := "LIKE"
		if ci {
			op = "ILIKE"
		}
		if p, ok := c.ptr.(*string); ok && !ci && rapid.IntRange(0, 3).Draw(t, "notlike") == 0 {
			return qnode{expr.NotLike(p, pattern), func(env []frame) tv { return not3(like3(get(env), pattern, fold)) }, fmt.Sprintf("%s NOT LIKE %q", c.name, pattern)}
		}
		return qnode{likeOf(c, pattern, ci), func(env []frame) tv { return like3(get(env), pattern, fold) }, fmt.Sprintf("%s %s %q", c.name, op, pattern)}
	}
}

// outerLeaf compares an integer column of the current row with one of an
// enclosing row through expr.Outer, one or more levels out (the owner row
// of Any/Has, which is of the same model on a self-referential
// relationship; Outer(Outer(x)) the row around that).
func (g *qgen) outerLeaf(t *rapid.T, env []int) qnode {
	up := rapid.IntRange(1, len(env)-1).Draw(t, "up")
	m, om := env[len(env)-1], env[len(env)-1-up]
	ints := func(m int) []qcol {
		var out []qcol
		for _, c := range qcols[m] {
			if !c.str {
				out = append(out, c)
			}
		}
		return out
	}
	c := rapid.SampledFrom(ints(m)).Draw(t, "icol")
	oc := rapid.SampledFrom(ints(om)).Draw(t, "ocol")
	op := rapid.SampledFrom(qOps).Draw(t, "oop")
	var outer any = oc.ptr
	for range up {
		outer = expr.Outer(outer)
	}
	col := expr.Col(c.ptr)
	e := map[string]func(any) expr.Expr{"=": col.Eq, "!=": col.Ne, "<": col.Lt, "<=": col.Le, ">": col.Gt, ">=": col.Ge}[op](outer)
	return qnode{e, func(fr []frame) tv {
		in, out := fr[len(fr)-1], fr[len(fr)-1-up]
		return cmp3(c.get(g.d, in.row), op, oc.get(g.d, out.row))
	}, fmt.Sprintf("%s.%s %s outer^%d %s.%s", modelNames[m], c.name, op, up, modelNames[om], oc.name)}
}

// rel is a relationship of the check's models, with its Go meaning.
type rel struct {
	name    string
	owner   int
	target  int
	field   any
	many    bool
	related func(d *qdData, owner, target int) bool
}

func idEq(a *int64, b int64) bool { return a != nil && *a == b }

var qrels = []rel{
	{"Author.Posts", mAuthor, mPost, &QA.Posts, true, func(d *qdData, o, t int) bool { return idEq(d.posts[t].AuthorID, d.authors[o].ID) }},
	{"Post.Author", mPost, mAuthor, &QP.Author, false, func(d *qdData, o, t int) bool { return idEq(d.posts[o].AuthorID, d.authors[t].ID) }},
	{"Post.Parent", mPost, mPost, &QP.Parent, false, func(d *qdData, o, t int) bool { return idEq(d.posts[o].ParentID, d.posts[t].ID) }},
	{"Post.Replies", mPost, mPost, &QP.Replies, true, func(d *qdData, o, t int) bool { return idEq(d.posts[t].ParentID, d.posts[o].ID) }},
	{"Post.Tags", mPost, mTag, &QP.Tags, true, func(d *qdData, o, t int) bool { return d.links[[2]int64{d.posts[o].ID, d.tags[t].ID}] }},
	{"Tag.Posts", mTag, mPost, &QT.Posts, true, func(d *qdData, o, t int) bool { return d.links[[2]int64{d.posts[t].ID, d.tags[o].ID}] }},
}

func (d *qdData) object(m, row int) any {
	switch m {
	case mAuthor:
		return d.authors[row]
	case mPost:
		return d.posts[row]
	}
	return d.tags[row]
}

// relNode draws Any/Has with nested criteria, Contains, Is/IsNot or
// WithParent for the current model.
func (g *qgen) relNode(t *rapid.T, env []int, depth int) (qnode, bool) {
	m := env[len(env)-1]
	var owned, targeted []rel
	for _, r := range qrels {
		if r.owner == m {
			owned = append(owned, r)
		}
		if r.target == m {
			targeted = append(targeted, r)
		}
	}
	d := g.d
	switch rapid.IntRange(0, 4).Draw(t, "relkind") {
	case 0, 1: // Any / Has
		r := rapid.SampledFrom(owned).Draw(t, "rel")
		n := rapid.IntRange(0, 2).Draw(t, "ncrit")
		crit := make([]qnode, n)
		inner := append(slices.Clone(env), r.target)
		for i := range crit {
			crit[i] = g.pred(t, inner, depth-1)
		}
		es := make([]expr.Expr, n)
		descs := make([]string, n)
		for i, c := range crit {
			es[i], descs[i] = c.e, c.desc
		}
		var e expr.Expr
		name := "Any"
		if r.many {
			e = relations.Any(r.field, es...)
		} else {
			name = "Has"
			e = relations.Has(r.field, es...)
		}
		return qnode{e, func(fr []frame) tv {
			o := fr[len(fr)-1].row
			for row := range d.rows(r.target) {
				if !r.related(d, o, row) {
					continue
				}
				in := append(slices.Clone(fr), frame{r.target, row})
				ok := tTrue
				for _, c := range crit {
					ok = and3(ok, c.eval(in))
				}
				if ok == tTrue {
					return tTrue
				}
			}
			return tFalse // EXISTS is never NULL
		}, fmt.Sprintf("%s(%s, %s)", name, r.name, strings.Join(descs, ", "))}, true
	case 2: // Contains
		var many []rel
		for _, r := range owned {
			if r.many {
				many = append(many, r)
			}
		}
		if len(many) == 0 || d.rows(many[0].target) == 0 {
			return qnode{}, false
		}
		r := rapid.SampledFrom(many).Draw(t, "crel")
		row := rapid.IntRange(0, d.rows(r.target)-1).Draw(t, "crow")
		return qnode{relations.Contains(r.field, d.object(r.target, row)), func(fr []frame) tv {
			return bool3(r.related(d, fr[len(fr)-1].row, row))
		}, fmt.Sprintf("Contains(%s, #%d)", r.name, row)}, true
	case 3: // WithParent: the current model is the target
		if len(targeted) == 0 {
			return qnode{}, false
		}
		r := rapid.SampledFrom(targeted).Draw(t, "wrel")
		if d.rows(r.owner) == 0 {
			return qnode{}, false
		}
		row := rapid.IntRange(0, d.rows(r.owner)-1).Draw(t, "wrow")
		return qnode{relations.WithParent(d.object(r.owner, row), r.field), func(fr []frame) tv {
			t := fr[len(fr)-1].row
			if r.name == "Post.Author" || r.name == "Post.Parent" || r.name == "Author.Posts" || r.name == "Post.Replies" {
				// ? = fk: NULL when the row's side of the key is NULL.
				var fk *int64
				switch r.name {
				case "Author.Posts":
					fk = d.posts[t].AuthorID
				case "Post.Replies":
					fk = d.posts[t].ParentID
				case "Post.Author", "Post.Parent":
					// m2o: ? (the owner's fk) = the target's id, false when the owner's fk is NULL
					return bool3(r.related(d, row, t))
				}
				if fk == nil {
					return tNull
				}
			}
			return bool3(r.related(d, row, t))
		}, fmt.Sprintf("WithParent(#%d, %s)", row, r.name)}, true
	default: // Is / IsNot on Post.Author or Post.Parent
		if m != mPost {
			return qnode{}, false
		}
		r := rapid.SampledFrom([]rel{qrels[1], qrels[2]}).Draw(t, "isrel")
		not := rapid.Bool().Draw(t, "isnot")
		fk := func(row int) *int64 {
			if r.name == "Post.Author" {
				return d.posts[row].AuthorID
			}
			return d.posts[row].ParentID
		}
		name := "Is"
		if not {
			name = "IsNot"
		}
		if rapid.IntRange(0, 3).Draw(t, "isnil") == 0 {
			var e expr.Expr
			if r.name == "Post.Author" {
				e = relations.Is(r.field, (*QDAuthor)(nil))
				if not {
					e = relations.IsNot(r.field, (*QDAuthor)(nil))
				}
			} else {
				e = relations.Is(r.field, (*QDPost)(nil))
				if not {
					e = relations.IsNot(r.field, (*QDPost)(nil))
				}
			}
			return qnode{e, func(fr []frame) tv { return bool3((fk(fr[len(fr)-1].row) == nil) != not) }, fmt.Sprintf("%s(%s, nil)", name, r.name)}, true
		}
		if d.rows(r.target) == 0 {
			return qnode{}, false
		}
		row := rapid.IntRange(0, d.rows(r.target)-1).Draw(t, "isrow")
		obj := d.object(r.target, row)
		e := relations.Is(r.field, obj)
		if not {
			e = relations.IsNot(r.field, obj)
		}
		return qnode{e, func(fr []frame) tv {
			k := fk(fr[len(fr)-1].row)
			eq := r.related(d, fr[len(fr)-1].row, row)
			if not {
				return bool3(k == nil || !eq) // fk != ? OR fk IS NULL
			}
			if k == nil {
				return tNull // ? = fk
			}
			return bool3(eq)
		}, fmt.Sprintf("%s(%s, #%d)", name, r.name, row)}, true
	}
}

// pred draws a predicate for the row of model env[len(env)-1] (the models
// of the enclosing Any/Has rows come before it).
func (g *qgen) pred(t *rapid.T, env []int, depth int) qnode {
	kind := 0
	if depth > 0 {
		kind = rapid.IntRange(0, 7).Draw(t, "kind")
	}
	switch kind {
	case 1, 2: // And / Or of 0..3
		or := kind == 2
		n := rapid.IntRange(0, 3).Draw(t, "n")
		kids := make([]qnode, n)
		es := make([]expr.Expr, n)
		descs := make([]string, n)
		for i := range kids {
			kids[i] = g.pred(t, env, depth-1)
			es[i], descs[i] = kids[i].e, kids[i].desc
		}
		if or {
			return qnode{expr.Or(es...), func(fr []frame) tv {
				r := tFalse
				for _, k := range kids {
					r = or3(r, k.eval(fr))
				}
				return r
			}, "Or(" + strings.Join(descs, ", ") + ")"}
		}
		return qnode{expr.And(es...), func(fr []frame) tv {
			r := tTrue
			for _, k := range kids {
				r = and3(r, k.eval(fr))
			}
			return r
		}, "And(" + strings.Join(descs, ", ") + ")"}
	case 3: // Not
		k := g.pred(t, env, depth-1)
		return qnode{expr.Not(k.e), func(fr []frame) tv { return not3(k.eval(fr)) }, "Not(" + k.desc + ")"}
	case 4, 5, 6:
		if n, ok := g.relNode(t, env, depth); ok {
			return n
		}
	case 7:
		if len(env) > 1 {
			return g.outerLeaf(t, env)
		}
	}
	return g.leaf(t, env[len(env)-1], depth)
}

// qdChecks is how many predicates each dataset gets per dialect:
// ARC_RAPID_CHECKS, else -rapid.checks (100 by default).
func qdChecks(t *testing.T) {
	if v := os.Getenv("ARC_RAPID_CHECKS"); v != "" {
		require.NoError(t, flag.Set("rapid.checks", v))
	}
}

// qdDatasets is how many random datasets the check builds per dialect
// (ARC_QDIFF_DATASETS, default 5).
func qdDatasets() int {
	if n, err := strconv.Atoi(os.Getenv("ARC_QDIFF_DATASETS")); err == nil && n > 0 {
		return n
	}
	return 5
}

func ids[T any](xs []*T, id func(*T) int64) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

// qdResult is what the database says about a predicate on model m's rows.
type qdResult struct {
	ids     []int64 // All, ordered by id
	count   int64   // Count
	exists  bool    // Exists
	updated int64   // a bulk UPDATE with the predicate (-1: not run)
}

// runQD runs e over model m's rows: All, Count and Exists, and with
// update a bulk UPDATE that sets a column to itself, rolled back.
func runQD(ctx context.Context, s *session.Session, m int, e expr.Expr, update bool) (qdResult, error) {
	switch m {
	case mAuthor:
		return runQDFor(ctx, s, session.Select[QDAuthor]().Where(e).OrderBy(&QA.ID), func(a *QDAuthor) int64 { return a.ID }, expr.P{"Age": expr.Col(&QA.Age)}, update)
	case mPost:
		return runQDFor(ctx, s, session.Select[QDPost]().Where(e).OrderBy(&QP.ID), func(p *QDPost) int64 { return p.ID }, expr.P{"Rank": expr.Col(&QP.Rank)}, update)
	}
	return runQDFor(ctx, s, session.Select[QDTag]().Where(e).OrderBy(&QT.ID), func(tg *QDTag) int64 { return tg.ID }, expr.P{"Word": expr.Col(&QT.Word)}, update)
}

func runQDFor[T any](ctx context.Context, s *session.Session, q *session.Query[T], id func(*T) int64, set expr.P, update bool) (r qdResult, err error) {
	xs, err := q.All(ctx)
	if err != nil {
		return r, fmt.Errorf("All: %w", err)
	}
	r.ids = ids(xs, id)
	if r.count, err = q.Count(ctx); err != nil {
		return r, fmt.Errorf("Count: %w", err)
	}
	if r.exists, err = q.Exists(ctx); err != nil {
		return r, fmt.Errorf("Exists: %w", err)
	}
	r.updated = -1
	if update {
		if r.updated, err = q.OrderBy().AllRows().Update(ctx, set); err != nil {
			return r, fmt.Errorf("Update: %w", err)
		}
		if err := s.Rollback(ctx); err != nil {
			return r, err
		}
	}
	return r, nil
}

func sqlQD(eng *engine.Engine, m int, e expr.Expr) string {
	var text string
	var err error
	switch m {
	case mAuthor:
		text, _, err = session.Select[QDAuthor]().Where(e).SQL(eng.Dialect())
	case mPost:
		text, _, err = session.Select[QDPost]().Where(e).SQL(eng.Dialect())
	default:
		text, _, err = session.Select[QDTag]().Where(e).SQL(eng.Dialect())
	}
	if err != nil {
		return err.Error()
	}
	return text
}

// TestQueryDifferential: random predicate trees (And/Or/Not, comparisons,
// IN/NOT IN including empty lists and NULLs, BETWEEN, IS [NOT] NULL,
// LIKE/ILIKE with %, _ and quotes in the data, Any/Has with nested
// criteria on one-to-many, many-to-one, many-to-many and self-referential
// relationships, Outer, Contains, Is/IsNot, WithParent) select exactly the
// rows the Go evaluation selects; NOT of the predicate selects exactly the
// rows where it is false (not NULL). `make fuzz` runs it longer:
// ARC_RAPID_CHECKS=N per dataset, ARC_QDIFF_DATASETS=K datasets.
func TestQueryDifferential(t *testing.T) {
	qdChecks(t)
	var cases atomic.Int64
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng, QDAuthor{}, QDPost{}, QDTag{}, QDPostTag{})
		for k := range qdDatasets() {
			seed := uint64(k + 1)
			if s, err := strconv.ParseUint(os.Getenv("ARC_QDIFF_SEED"), 10, 64); err == nil {
				seed = s + uint64(k)
			}
			d := newQDData(seed)
			d.insert(t, eng)
			g := &qgen{d: d, likeFolds: likeFoldsCase(t, eng)}
			t.Run(fmt.Sprintf("dataset%d", seed), func(t *testing.T) {
				rapid.Check(t, func(rt *rapid.T) {
					s := session.New(eng)
					defer s.Close(ctx)
					ctx := session.With(ctx, s)
					m := rapid.IntRange(0, 2).Draw(rt, "model")
					p := g.pred(rt, []int{m}, rapid.IntRange(0, 4).Draw(rt, "depth"))
					var want, wantNot []int64
					for row := range d.rows(m) {
						id := qcols[m][0].get(d, row).i
						switch p.eval([]frame{{m, row}}) {
						case tTrue:
							want = append(want, id)
						case tFalse:
							wantNot = append(wantNot, id)
						}
					}
					update := rapid.IntRange(0, 3).Draw(rt, "update") == 0
					got, err := runQD(ctx, s, m, p.e, update)
					if err != nil {
						rt.Fatalf("%s WHERE %s\nSQL: %s\n%v", modelNames[m], p.desc, sqlQD(eng, m, p.e), err)
					}
					gotNot, err := runQD(ctx, s, m, expr.Not(p.e), false)
					if err != nil {
						rt.Fatalf("%s WHERE NOT %s\nSQL: %s\n%v", modelNames[m], p.desc, sqlQD(eng, m, expr.Not(p.e)), err)
					}
					cases.Add(1)
					if os.Getenv("ARC_QDIFF_DEBUG") != "" {
						rt.Logf("%s WHERE %s: %v / NOT %v", modelNames[m], p.desc, got.ids, gotNot.ids)
					}
					wantUpdated := int64(-1)
					if update {
						wantUpdated = int64(len(want))
					}
					if !slices.Equal(want, got.ids) || !slices.Equal(wantNot, gotNot.ids) ||
						got.count != int64(len(want)) || got.exists != (len(want) > 0) || got.updated != wantUpdated {
						rt.Fatalf("%s WHERE %s\nSQL: %s\nwant %v, got %v (count %d, exists %v, updated %d)\nNOT: want %v, got %v",
							modelNames[m], p.desc, sqlQD(eng, m, p.e), want, got.ids, got.count, got.exists, got.updated, wantNot, gotNot.ids)
					}
				})
			})
		}
	})
	t.Logf("differential query check: %d predicates, each with its negation", cases.Load())
}

// likeFoldsCase asks the database whether LIKE on a column ignores ASCII
// case: SQLite's does, and MySQL's under a case-insensitive collation
// (the harness's databases use a binary one). A fact of the database and
// its collation, not of the dialect alone.
func likeFoldsCase(t *testing.T, eng *engine.Engine) bool {
	t.Helper()
	db := eng.DB()
	for _, q := range []string{"CREATE TABLE qd_like_probe (s VARCHAR(5))", "INSERT INTO qd_like_probe (s) VALUES ('A')"} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM qd_like_probe WHERE s LIKE 'a'").Scan(&n))
	_, err := db.Exec("DROP TABLE qd_like_probe")
	require.NoError(t, err)
	return n > 0
}

package main

import (
	"context"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/examples/tutorial/blog"
	"github.com/arcorm/arc/internal/dbtest"
)

// TestTutorial plays the story on both dialects, checks its results
// against the spec's acceptance script (§16), and then checks
// docs/tutorial.md against the program's code and output.
func TestTutorial(t *testing.T) {
	logs := map[string]map[string]string{} // step -> dialect -> text
	ran := map[string]bool{}
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		name := dbtest.Name(eng)
		tr, err := play(context.Background(), eng, io.Discard)
		require.NoError(t, err)
		checkStory(t, name, tr)
		for _, st := range tr.steps {
			if logs[st.Name] == nil {
				logs[st.Name] = map[string]string{}
			}
			logs[st.Name][name] = st.Text.String()
		}
		ran[name] = true
	})
	// The guide shows the SQLite and PostgreSQL output; it is checked
	// whenever both ran (MariaDB's run checks the story only).
	switch {
	case t.Failed():
	case ran["sqlite"] && ran["postgres"]:
		checkGuide(t, logs)
	default:
		// Not silently: a run without one of the two says so.
		t.Logf("docs/tutorial.md not checked: it shows SQLite's and PostgreSQL's output, and this run had %v", ran)
	}
}

// names lists the names (users), emails (addresses), headlines (posts) or
// keywords of a result.
func names(t *testing.T, v any) []string {
	t.Helper()
	rv := reflect.ValueOf(v)
	require.Equal(t, reflect.Slice, rv.Kind(), "%T is not a slice", v)
	out := []string{}
	for i := range rv.Len() {
		switch x := rv.Index(i).Interface().(type) {
		case string:
			out = append(out, x)
		case *User:
			out = append(out, x.Name)
		case *Address:
			out = append(out, x.Email)
		case *blog.Post:
			out = append(out, x.Headline)
		case *blog.Keyword:
			out = append(out, x.Keyword)
		default:
			t.Fatalf("names: unexpected %T", x)
		}
	}
	return out
}

var dollar = regexp.MustCompile(`\$\d+`)

func checkStory(t *testing.T, dialect string, tr *transcript) {
	val := func(label string) any {
		t.Helper()
		v, ok := tr.Value(label)
		require.True(t, ok, "the story shows no %q", label)
		return v
	}
	list := func(label string) []string { t.Helper(); return names(t, val(label)) }
	sqlOf := func(step string) []string {
		t.Helper()
		for _, st := range tr.steps {
			if st.Name == step {
				var out []string
				for _, l := range strings.Split(st.Text.String(), "\n") {
					if s, ok := strings.CutPrefix(l, "SQL> "); ok {
						out = append(out, dollar.ReplaceAllString(s, "?"))
					}
				}
				return out
			}
		}
		t.Fatalf("no step %s", step)
		return nil
	}
	grep := func(stmts []string, prefix string) []string {
		var out []string
		for _, s := range stmts {
			if strings.HasPrefix(s, prefix) {
				out = append(out, s)
			}
		}
		return out
	}
	// 1. create_all creates the tables once.
	assert.NotEmpty(t, grep(sqlOf("create-all"), "CREATE TABLE"))
	assert.Empty(t, grep(sqlOf("create-all-again"), "CREATE"))
	// 2. A new object: no key, transient, no SQL; a misspelt field is an error naming model and field.
	assert.Equal(t, int64(0), val("ed.ID"))
	assert.Equal(t, "transient", fmtV(val("state of ed")))
	assert.Empty(t, sqlOf("session"))
	assert.ErrorIs(t, val("FilterBy with a typo").(error), arc.ErrInvalidRequest)
	assert.ErrorContains(t, val("FilterBy with a typo").(error), `User has no field or column "Nmae"`)
	// 3. Add, then a query autoflushes (INSERT, then SELECT … LIMIT) and returns the same pointer.
	assert.Equal(t, "pending", fmtV(val("state after Add")))
	add := sqlOf("add")
	require.GreaterOrEqual(t, len(add), 2)
	assert.Contains(t, strings.Join(add, "\n"), "INSERT INTO users")
	assert.Contains(t, add[len(add)-1], "WHERE users.name = ? LIMIT ?")
	assert.Equal(t, true, val("ourUser == ed"))
	assert.Equal(t, "persistent", fmtV(val("state of ed after the query")))
	assert.ErrorIs(t, val("Add(impostor)").(error), arc.ErrInvalidRequest)
	// 4. Dirty and New; one UPDATE of the nickname only, the INSERTs in Add order, COMMIT.
	assert.Equal(t, []string{"ed"}, userNamesOf(t, val("s.Dirty()")))
	assert.Equal(t, []string{"wendy", "mary", "fred"}, userNamesOf(t, val("s.New()")))
	upd := grep(sqlOf("add-all"), "UPDATE")
	require.Len(t, upd, 1)
	assert.Contains(t, upd[0], "UPDATE users SET nickname = ? WHERE id = ?")
	ins := strings.Join(grep(sqlOf("add-all"), "INSERT"), "\n")
	assert.Regexp(t, `(?s)wendy.*mary.*fred`, ins) // bound values, or PostgreSQL's arrays of them
	assert.Contains(t, sqlOf("add-all"), "COMMIT")
	// 5. After commit, Get reloads by key (a read: no transaction until the next write): ed is 1.
	exp := sqlOf("expired")
	require.Len(t, exp, 1)
	assert.Contains(t, exp[0], "WHERE users.id = ?")
	assert.Equal(t, int64(1), val("ed.ID after commit"))
	assert.Equal(t, true, val("Get returned ed"))
	// 6. Rollback.
	assert.Equal(t, []string{"Edwardo", "fakeuser"}, list("before rollback"))
	assert.Equal(t, "ed", val("ed.Name"))
	assert.Equal(t, false, val("fakeUser in session"))
	assert.Equal(t, "transient", fmtV(val("state of fakeUser")))
	assert.Equal(t, []string{"ed"}, list("after rollback"))
	// 7. Iteration order, columns, entity + column, label, alias.
	all4 := []string{"ed", "wendy", "mary", "fred"}
	assert.Equal(t, all4, list("users by id"))
	assert.Equal(t, "{ed Ed Jones}", fmtV(reflect.ValueOf(val("name, fullname")).Index(0).Interface()))
	pair := reflect.ValueOf(val("row.User, row.Name")).Index(1)
	assert.Equal(t, "wendy", pair.Field(0).Interface().(*User).Name)
	assert.Equal(t, "wendy", pair.Field(1).Interface())
	assert.Equal(t, "{fred}", fmtV(reflect.ValueOf(val("name_label")).Index(3).Interface()))
	al := reflect.ValueOf(val("user_alias, name")).Index(0)
	assert.Equal(t, "ed", al.Field(0).Interface().(*User).Name)
	// 8. Slices.
	assert.Equal(t, []string{"wendy", "mary"}, list("[1:3]"))
	assert.Equal(t, "wendy", val("[1]").(*User).Name)
	assert.Contains(t, sqlOf("slices")[0], "LIMIT ? OFFSET ?")
	// 9. Operators (§7.4).
	ops := map[string][]string{
		"Eq": {"ed"}, "Ne": {"wendy", "mary", "fred"}, "Like": {"ed", "fred"}, "ILike": {"ed", "fred"},
		"In": {"ed", "wendy"}, "InQuery": {"ed", "fred"}, "TupleIn": {"wendy"}, "NotIn": {"mary", "fred"},
		"In (empty)": {}, "NotIn (empty)": all4, "IsNull": {}, "IsNotNull": all4,
		"And": {"ed"}, "Or": {"ed", "wendy"}, "Not(Or)": {"mary", "fred"},
	}
	for op, want := range ops {
		assert.Equal(t, want, list(op), op)
	}
	assert.Equal(t, []string{"ed", "ed"}, list("FilterBy, Where"))
	assert.Equal(t, "ed", val("two Where calls").(*User).Name)
	// 10. Lists and scalars.
	assert.Equal(t, []string{"ed", "fred"}, list("All"))
	assert.Equal(t, "ed", val("First").(*User).Name)
	assert.ErrorIs(t, val("One").(error), arc.ErrMultipleRows)
	assert.ErrorIs(t, val("One, id 99").(error), arc.ErrNotFound)
	assert.Nil(t, val("OneOrNone, id 99").(*User))
	assert.Equal(t, int64(1), val("Scalar"))
	assert.ErrorIs(t, val("Scalar, no row").(error), arc.ErrNotFound) // SQLAlchemy: None
	// 11. Textual SQL.
	assert.Equal(t, all4, list("Text"))
	assert.Equal(t, "fred", val("Params").(*User).Name)
	assert.Equal(t, []string{"ed"}, list("FromStatement"))
	assert.Equal(t, []string{"ed"}, list("Columns by position"))
	assert.Equal(t, "[{1 ed}]", fmtV(val("id, name")))
	// 12. Counting.
	assert.Equal(t, int64(2), val("Count"))
	assert.Contains(t, sqlOf("counting")[0], "SELECT count(*) FROM (SELECT")
	assert.Equal(t, "[{1 ed} {1 fred} {1 mary} {1 wendy}]", fmtV(val("count per name")))
	assert.Equal(t, int64(4), val("count(*) from users"))
	assert.Equal(t, int64(4), val("count(users.id)"))
	// 13. Relationships: empty new collection, back-references, cascade on Add, parent first, lazy load in order.
	assert.Empty(t, list("new jack.Addresses"))
	assert.Equal(t, true, val("loaded"))
	assert.Equal(t, "jack", val("jack.Addresses.At(1).User").(*User).Name)
	assert.Equal(t, 3, val("jack.Addresses.Len()"))
	assert.Nil(t, val("extra.User").(*User))
	assert.Len(t, val("s.New() after Add(jack)"), 3)
	rel := grep(sqlOf("related"), "INSERT")
	require.Len(t, rel, 2)
	assert.Contains(t, rel[0], "INSERT INTO users")
	assert.Contains(t, rel[1], "INSERT INTO addresses")
	jack := val("jack").(*User)
	if strings.Contains(rel[1], "unnest(") { // PostgreSQL: one array per column
		assert.Contains(t, rel[1], `jack@google.com\",\"j25@yahoo.com`)
		assert.Contains(t, rel[1], "{"+itoa(jack.ID)+","+itoa(jack.ID)+"}")
	} else {
		assert.Contains(t, rel[1], `"jack@google.com", `+itoa(jack.ID))
	}
	assert.Equal(t, []string{"jack@google.com", "j25@yahoo.com"}, list("jack.Addresses"))
	assert.Contains(t, sqlOf("lazy")[len(sqlOf("lazy"))-1], "ORDER BY addresses.id")
	// §15 rolled back a first jack: SQLite draws the largest key plus one
	// again (5); sequences and AUTO_INCREMENT counters do not roll back (6).
	assert.Contains(t, []int64{5, 6}, jack.ID)
	// 14. Joins, aliases, subqueries, EXISTS, relationship operators.
	assert.Len(t, val("implicit join"), 1)
	assert.Equal(t, []string{"jack"}, list("Join with ON"))
	assert.Equal(t, []string{"jack"}, list("Join along User.Addresses"))
	assert.Equal(t, []string{"jack"}, list("Join along User.Addresses with extra ON criteria"))
	assert.Contains(t, strings.Join(sqlOf("joins"), "\n"), "ON users.id = addresses.user_id AND addresses.email_address != ?")
	assert.Equal(t, []string{"ed", "wendy", "mary", "fred", "jack"}, list("OuterJoin"))
	assert.Len(t, val("SelectFrom(addresses)"), 1)
	assert.Equal(t, "[{jack jack@google.com j25@yahoo.com}]", fmtV(val("two aliases")))
	for _, u := range all4 {
		assert.Nil(t, val(u+" address_count").(*int64), u)
	}
	assert.Equal(t, int64(2), *val("jack address_count").(*int64))
	assert.Len(t, val("entity subquery"), 1)
	assert.Equal(t, true, val("same Address object"))
	assert.Equal(t, []string{"jack"}, list("Exists"))
	assert.Equal(t, []string{"jack"}, list("Any"))
	assert.Equal(t, []string{"jack"}, list("Any(crit)"))
	assert.Equal(t, all4, list("Not(Any)"))
	assert.Empty(t, list("Not(Has)"))
	both := []string{"jack@google.com", "j25@yahoo.com"}
	assert.Equal(t, both, list("Is(jack)"))
	assert.Empty(t, list("IsNot(jack)"))
	assert.Empty(t, list("Is(nil)"))
	assert.Equal(t, both, list("IsNot(nil)"))
	assert.Empty(t, list("Has(name ed)"))
	assert.Equal(t, both, list("WithParent(jack)"))
	assert.Equal(t, []string{"jack"}, list("Contains(google)"))
	// 15. Eager loading: same rows; ContainsEager fills .User without SQL.
	assert.Equal(t, both, list("SelectIn"))
	assert.Equal(t, both, list("Joined"))
	assert.Equal(t, both, list("ContainsEager"))
	assert.Equal(t, "jack", val("jacksAddresses[0].User").(*User).Name)
	assert.Equal(t, true, val("User loaded"))
	eager := sqlOf("eager")
	if assert.Len(t, eager, 4, "SelectIn: 2 statements; Joined: 1 (2 rows, 1 user); ContainsEager: 1, and .User needs none") {
		assert.Contains(t, eager[1], "WHERE addresses.user_id IN (?)")
		assert.Contains(t, eager[2], "LEFT OUTER JOIN addresses AS addresses_1 ON users.id = addresses_1.user_id")
		assert.Contains(t, eager[3], "addresses.user_id, users.id, users.name")
	}
	// 16. Delete without cascade nulls the addresses; Close rolls back.
	del := sqlOf("delete")
	assert.Len(t, grep(del, "UPDATE addresses SET user_id = ?"), 2)
	assert.Len(t, grep(del, "DELETE FROM users"), 1)
	assert.Equal(t, int64(0), val("users named jack"))
	assert.Equal(t, int64(2), val("jack's addresses"))
	assert.Equal(t, "ROLLBACK", del[len(del)-1])
	assert.Equal(t, "deleted", fmtV(val("state of jack")))
	assert.Equal(t, "detached", fmtV(val("state of jack after Close")))
	// 17. Cascade all, delete-orphan; a second Get emits no SQL.
	assert.Equal(t, int64(1), val("addresses left"))
	casc := sqlOf("cascade")
	dels := grep(casc, "DELETE")
	require.Len(t, dels, 3)
	assert.Contains(t, dels[0], "DELETE FROM addresses")
	assert.Contains(t, dels[1], "DELETE FROM addresses")
	assert.Contains(t, dels[2], "DELETE FROM users")
	assert.Equal(t, int64(0), val("jack deleted with cascade: users named jack"))
	assert.Equal(t, int64(0), val("addresses left after deleting jack"))
	gt := sqlOf("get-twice")
	if assert.Len(t, gt, 2, "the query and Get(99); Get(ed.ID) is answered by the identity map") {
		assert.Contains(t, gt[0], "WHERE users.name = ?")
		assert.Contains(t, gt[1], "WHERE users.id = ?  (99)")
	}
	assert.Equal(t, true, val("Get(ed.ID) == ed"))
	assert.ErrorIs(t, val("Get(99)").(error), arc.ErrNotFound) // SQLAlchemy: None
	assert.Empty(t, grep(casc, "SELECT posts"), "passive_deletes: jack's posts are not read")
	// 18. passive_deletes with ON DELETE CASCADE: no SELECT of the posts, the database deletes them.
	pd := sqlOf("passive-deletes")
	assert.Empty(t, grep(pd, "SELECT posts"))
	if assert.Len(t, grep(pd, "DELETE"), 1) {
		assert.Contains(t, grep(pd, "DELETE")[0], "DELETE FROM users WHERE id = ?")
	}
	assert.Equal(t, int64(0), val("posts left"))
	// 19. Many-to-many and the dynamic relationship.
	post := []string{"Wendy's Blog Post"}
	assert.Equal(t, post, list("wendyKw.Posts"))
	m2m := grep(sqlOf("many-to-many"), "INSERT")
	require.Len(t, m2m, 3)
	assert.Contains(t, m2m[2], "INSERT INTO post_keywords", "association rows after both sides")
	assert.Equal(t, post, list("posts tagged firstpost"))
	assert.Equal(t, post, list("by wendy, tagged firstpost"))
	assert.Equal(t, post, list("wendy.Posts tagged firstpost"))
	assert.Equal(t, int64(2), val("wendy.Posts.Count"))
	assert.Equal(t, []string{"Second post"}, list("wendy.Posts.Slice(1, 2)"))
	assert.Len(t, grep(sqlOf("dynamic"), "DELETE FROM post_keywords"), 1)
	assert.Equal(t, []string{"wendy", "firstpost"}, list("keywords"))
}

func fmtV(v any) string { return strings.TrimSpace(strings.ReplaceAll(format(v), ", ", " ")) }

func itoa(n int64) string { return strings.TrimSpace(format(n)) }

func userNamesOf(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, o := range v.([]any) {
		out = append(out, o.(*User).Name)
	}
	return out
}

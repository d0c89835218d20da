package arc_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/internal/dbtest"
)

// SecPost and SecKeyword are a many-to-many through sec_post_keywords,
// which no model of their graph maps: the relationship synthesizes it
// (columns sec_post_id and sec_keyword_id, the default names).
type SecPost struct {
	ID       int64
	Title    string               `arc:"size:50"`
	Keywords arc.Many[SecKeyword] `arc:"secondary:sec_post_keywords;back_populates:Posts;order_by:id"`
}

type SecKeyword struct {
	ID    int64
	Word  string            `arc:"size:50"`
	Posts arc.Many[SecPost] `arc:"secondary:sec_post_keywords;back_populates:Keywords;order_by:id"`
}

// SecPostKeyword maps the association table explicitly, with an extra
// column: registered with the others, its DDL is used.
type SecPostKeyword struct {
	SecPostID    int64  `arc:"pk;fk:sec_posts.id"`
	SecKeywordID int64  `arc:"pk;fk:sec_keywords.id"`
	Note         string `arc:"size:20;server_default:'linked'"`
}

func (SecPostKeyword) TableName() string { return "sec_post_keywords" }

// SecBadLink maps the same table with a column of the wrong type.
type SecBadLink struct {
	SecPostID    string `arc:"pk;size:10"`
	SecKeywordID int64  `arc:"pk"`
}

func (SecBadLink) TableName() string { return "sec_post_keywords" }

// secTag links two keywords to a post and reads them back in a new session.
func secTag(t *testing.T, ctx context.Context, eng *arc.Engine) {
	t.Helper()
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	p := &SecPost{ID: 1, Title: "p"}
	require.NoError(t, s.Add(p))
	p.Keywords.Append(&SecKeyword{ID: 1, Word: "x"}, &SecKeyword{ID: 2, Word: "y"})
	require.NoError(t, s.Commit(ctx))
	secCheck(t, ctx, eng, "x", "y")
}

func secCheck(t *testing.T, ctx context.Context, eng *arc.Engine, want ...string) {
	t.Helper()
	s := arc.NewSession(eng)
	defer s.Close(ctx)
	p, err := arc.Get[SecPost](arc.WithSession(ctx, s), int64(1))
	require.NoError(t, err)
	kws, err := p.Keywords.Load(arc.WithSession(ctx, s))
	require.NoError(t, err)
	var got []string
	for _, k := range kws {
		got = append(got, k.Word)
	}
	assert.Equal(t, want, got)
	P, K := arc.Cols[SecPost](), arc.Cols[SecKeyword]()
	n, err := arc.QueryOf[SecPost](s).Where(arc.Any(&P.Keywords, arc.Eq(&K.Word, want[len(want)-1]))).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "Any through the association table")
}

// secScenarios are run in several orders, in this process and in fresh
// ones: none may depend on what ran before.
var secScenarios = map[byte]func(t *testing.T){
	// CreateAll of the owner alone creates the association table.
	'a': func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
			ctx := context.Background()
			require.NoError(t, arc.CreateAll(ctx, eng, SecPost{}))
			secTag(t, ctx, eng)
			var n int
			require.NoError(t, eng.DB().QueryRowContext(ctx, "SELECT count(*) FROM sec_post_keywords WHERE sec_post_id = 1").Scan(&n))
			assert.Equal(t, 2, n)
		})
	},
	// An explicit association model registered with the others is used.
	'b': func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
			ctx := context.Background()
			require.NoError(t, arc.CreateAll(ctx, eng, SecPost{}, SecPostKeyword{}))
			secTag(t, ctx, eng)
			var note string
			require.NoError(t, eng.DB().QueryRowContext(ctx, "SELECT note FROM sec_post_keywords WHERE sec_keyword_id = 2").Scan(&note))
			assert.Equal(t, "linked", note, "the model's extra column exists")
			err := arc.CreateAll(ctx, eng, SecBadLink{}, SecPost{})
			require.ErrorIs(t, err, arc.ErrInvalidModel)
			assert.Contains(t, err.Error(), "SecPost")
			assert.Contains(t, err.Error(), "Keywords")
			assert.Contains(t, err.Error(), "SecBadLink")
			assert.Contains(t, err.Error(), "sec_post_id")
		})
	},
	// An application whose schema comes from migrations loads the
	// many-to-many without registering anything.
	'c': func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
			ctx := context.Background()
			for _, q := range []string{
				"CREATE TABLE sec_posts (id BIGINT PRIMARY KEY, title VARCHAR(50) NOT NULL)",
				"CREATE TABLE sec_keywords (id BIGINT PRIMARY KEY, word VARCHAR(50) NOT NULL)",
				"CREATE TABLE sec_post_keywords (sec_post_id BIGINT NOT NULL REFERENCES sec_posts (id), sec_keyword_id BIGINT NOT NULL REFERENCES sec_keywords (id), PRIMARY KEY (sec_post_id, sec_keyword_id))",
				"INSERT INTO sec_posts VALUES (1, 'p')",
				"INSERT INTO sec_keywords VALUES (1, 'x'), (2, 'y'), (3, 'z')",
				"INSERT INTO sec_post_keywords VALUES (1, 1), (1, 3)",
			} {
				_, err := eng.DB().ExecContext(ctx, q)
				require.NoError(t, err, q)
			}
			secCheck(t, ctx, eng, "x", "z")
		})
	},
}

// TestSecondaryScenarios runs the scenarios in the order ARC_SECONDARY_ORDER
// names (set by TestRegression_SecondaryOrderIndependent in a fresh
// process), or twice in both orders.
func TestSecondaryScenarios(t *testing.T) {
	orders := []string{"abc", "cba", "abc", "bca", "cab"}
	if o := os.Getenv("ARC_SECONDARY_ORDER"); o != "" {
		orders = []string{o}
	}
	for _, o := range orders {
		for i := range len(o) {
			t.Run(o+"/"+o[i:i+1], secScenarios[o[i]])
		}
	}
}

// TestRegression_SecondaryOrderIndependent (issue 19 item 4): the same
// CreateAll, the same many-to-many load give the same result whatever ran
// before in the process: each order runs twice, each time in a new process
// (this test binary, re-run on TestSecondaryScenarios).
func TestRegression_SecondaryOrderIndependent(t *testing.T) {
	if os.Getenv("ARC_SECONDARY_ORDER") != "" || testing.Short() {
		t.Skip("inside the re-run, or -short")
	}
	for _, o := range []string{"abc", "cba", "abc", "cba", "cab"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSecondaryScenarios$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "ARC_SECONDARY_ORDER="+o)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Fatalf("order %s: %v\n%s", o, err, out)
		}
		require.Contains(t, string(out), "--- PASS: TestSecondaryScenarios/"+o+"/"+o[:1])
		require.False(t, strings.Contains(string(out), "--- FAIL"), "order %s:\n%s", o, out)
	}
}

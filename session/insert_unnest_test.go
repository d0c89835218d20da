package session_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// ArrRow has a column of every kind a multi-row INSERT sends as arrays on
// PostgreSQL (dialect.ArrayRows), NULLs included, and a unique column to
// make a row in the middle of a batch fail.
type ArrRow struct {
	ID    int64
	S     string `arc:"size:40"`
	P     *string
	N     int64
	NP    *int64
	I     int
	F     float64
	B     bool
	Bin   []byte
	When  time.Time
	WhenP *time.Time
	U     string `arc:"size:40;unique"`
}

var arrText = []string{`"`, `\`, ",", "{", "}", "NULL", "null", " ", "'", "a", "é", "🙂", "\n", "$1", "?", `\"`, "x"}

func arrString(t *rapid.T, label string) string {
	return strings.Join(rapid.SliceOfN(rapid.SampledFrom(arrText), 0, 8).Draw(t, label), "")
}

func drawArrRow(t *rapid.T, i int) *ArrRow {
	r := &ArrRow{
		S:    arrString(t, "s"),
		N:    rapid.Int64().Draw(t, "n"),
		I:    rapid.IntRange(math.MinInt32, math.MaxInt32).Draw(t, "i"),
		F:    rapid.Float64Range(-1e12, 1e12).Draw(t, "f"),
		B:    rapid.Bool().Draw(t, "b"),
		When: time.Unix(rapid.Int64Range(-2e9, 4e9).Draw(t, "when"), rapid.Int64Range(0, 999999).Draw(t, "us")*1000).In(time.FixedZone("x", rapid.IntRange(-12, 12).Draw(t, "zone")*3600)),
		U:    "u" + strings.Repeat("x", i),
	}
	if rapid.Bool().Draw(t, "hasP") {
		s := arrString(t, "p")
		r.P = &s
	}
	if rapid.Bool().Draw(t, "hasNP") {
		n := rapid.Int64().Draw(t, "np")
		r.NP = &n
	}
	switch rapid.IntRange(0, 2).Draw(t, "bin") {
	case 1:
		r.Bin = []byte{}
	case 2:
		r.Bin = rapid.SliceOfN(rapid.Byte(), 1, 16).Draw(t, "binv")
	}
	if rapid.Bool().Draw(t, "hasWhenP") {
		w := r.When.Add(time.Hour)
		r.WhenP = &w
	}
	return r
}

// TestUnnestInsertRoundTrip: a batch of new objects flushed at once (on
// PostgreSQL one array per column through unnest) reads back exactly as
// written, every kind and NULL included, with each object's generated key
// its own row's.
func TestUnnestInsertRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, ArrRow{}))
		_, arrays := eng.Dialect().(dialect.ArrayRows)
		rapid.Check(t, func(rt *rapid.T) {
			n := rapid.IntRange(2, 12).Draw(rt, "rows")
			rows := make([]*ArrRow, n)
			for i := range rows {
				rows[i] = drawArrRow(rt, i)
			}
			s := session.New(eng)
			defer s.Close(ctx)
			rec := dbtest.Record(eng)
			for _, r := range rows {
				require.NoError(rt, s.Add(r))
			}
			require.NoError(rt, s.Commit(ctx))
			if arrays {
				ins := filterSQL(rec.SQL(), "INSERT")
				require.Len(rt, ins, 1)
				require.Contains(rt, ins[0], "unnest(")
			}
			s2 := session.New(eng)
			defer s2.Close(ctx)
			A := expr.Cols[ArrRow]()
			for _, want := range rows {
				got, err := session.NewQuery[ArrRow](s2).Where(expr.Eq(&A.ID, want.ID)).One(ctx)
				require.NoError(rt, err)
				assert.Equal(rt, want.S, got.S)
				assert.Equal(rt, want.P, got.P)
				assert.Equal(rt, want.N, got.N)
				assert.Equal(rt, want.NP, got.NP)
				assert.Equal(rt, want.I, got.I)
				assert.InDelta(rt, want.F, got.F, math.Abs(want.F)*1e-15)
				assert.Equal(rt, want.B, got.B)
				assert.Equal(rt, want.Bin == nil, got.Bin == nil, "NULL bytes stay NULL")
				assert.Equal(rt, string(want.Bin), string(got.Bin))
				assert.True(rt, want.When.Equal(got.When), "%v != %v", want.When, got.When)
				require.Equal(rt, want.WhenP == nil, got.WhenP == nil)
				if want.WhenP != nil {
					assert.True(rt, want.WhenP.Equal(*got.WhenP))
				}
			}
			_, err := session.Select[ArrRow]().AllRows().HardDelete(session.With(ctx, s2))
			require.NoError(rt, err)
			require.NoError(rt, s2.Commit(ctx))
		})
	})
}

// TestUnnestInsertFailureRestores: a batch whose row in the middle breaks
// a constraint, or holds a string too long for its column (not cut, as
// an explicit cast to VARCHAR(n) would), or text the database cannot
// store, fails as a whole: no row written, no object given a key, and
// the error names the field where the VALUES form does.
func TestUnnestInsertFailureRestores(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, ArrRow{}))
		for name, spoil := range map[string]func(r *ArrRow){
			"unique":   func(r *ArrRow) { r.U = "u0" },
			"too long": func(r *ArrRow) { r.S = strings.Repeat("y", 41) },
		} {
			if name == "too long" && eng.Dialect().Name() == "sqlite" {
				continue // SQLite does not enforce a VARCHAR's length
			}
			rows := []*ArrRow{{U: "u0"}, {U: "u1"}, {U: "u2"}, {U: "u3"}}
			spoil(rows[2])
			s := session.New(eng)
			for _, r := range rows {
				require.NoError(t, s.Add(r))
			}
			err := s.Commit(ctx)
			require.Error(t, err, name)
			if name == "unique" {
				assert.ErrorIs(t, err, arcerr.ErrIntegrity)
			}
			for _, r := range rows {
				assert.Zero(t, r.ID, "%s: no key given", name)
				assert.Equal(t, session.Pending, s.StateOf(r), name)
			}
			assert.Equal(t, 0, countRows(t, eng, "arr_rows", ""), name)
			require.NoError(t, s.Rollback(ctx))
			require.NoError(t, s.Close(ctx))
		}
		if eng.Dialect().Name() == "postgres" {
			rows := []*ArrRow{{U: "a"}, {U: "b", S: "nul\x00here"}, {U: "c"}}
			s := session.New(eng)
			defer s.Close(ctx)
			for _, r := range rows {
				require.NoError(t, s.Add(r))
			}
			err := s.Commit(ctx)
			require.ErrorIs(t, err, arcerr.ErrInvalidText)
			assert.Contains(t, err.Error(), "model ArrRow, field S")
		}
	})
}

package session_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// ArrBoth has a column of every kind that travels in the arrays of a
// multi-row INSERT on PostgreSQL.
type ArrBoth struct {
	ID     int64
	S      string `arc:"size:40"`
	P      *string
	N      int64
	NP     *int64
	F      float64
	B      bool
	Bin    []byte
	When   time.Time
	WhenP  *time.Time
	State  TyState `arc:"size:20;notnull"`
	StateP *TyState
	Level  ArrLevel
	Mid    int32
	Ratio  float32
	Price  float64        `arc:"precision:12;scale:2"`
	Token  string         `arc:"uuid"`
	Doc    TyPrefs        `arc:"json"`
	Attrs  map[string]any `arc:"jsonb"`
	Note   string         `arc:"size:40;server_default:'noted'"`
}

func drawArrBoth(t *rapid.T) ArrBoth {
	r := ArrBoth{
		S:     arrString(t, "s"),
		N:     rapid.Int64().Draw(t, "n"),
		F:     rapid.Float64Range(-1e15, 1e15).Draw(t, "f"),
		B:     rapid.Bool().Draw(t, "b"),
		When:  time.Unix(rapid.Int64Range(-2e9, 4e9).Draw(t, "when"), rapid.Int64Range(0, 999999999).Draw(t, "ns")).In(time.FixedZone("z", rapid.IntRange(-12, 12).Draw(t, "zone")*3600)),
		State: TyState(rapid.SampledFrom(TyState("").Values()).Draw(t, "state")),
		Level: ArrLevel(rapid.Int16().Draw(t, "level")),
		Mid:   rapid.Int32().Draw(t, "mid"),
		Ratio: rapid.Float32Range(-1e6, 1e6).Draw(t, "ratio"),
		Price: math.Round(rapid.Float64Range(-1e9, 1e9).Draw(t, "price")*1000) / 1000, // rounded to 2 places by the column
		Token: uuid.Must(uuid.FromBytes(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "token"))).String(),
		Doc:   TyPrefs{Theme: arrString(t, "theme"), Langs: rapid.SliceOfN(rapid.Custom(func(t *rapid.T) string { return arrString(t, "lang") }), 0, 3).Draw(t, "langs")},
	}
	if rapid.Bool().Draw(t, "hasP") {
		p := arrString(t, "p")
		r.P = &p
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
		w := r.When.Add(time.Duration(rapid.Int64Range(0, 1e15).Draw(t, "later")))
		r.WhenP = &w
	}
	if rapid.Bool().Draw(t, "hasStateP") {
		st := TyState(rapid.SampledFrom(TyState("").Values()).Draw(t, "stateP"))
		r.StateP = &st
	}
	if rapid.Bool().Draw(t, "hasAttrs") {
		r.Attrs = map[string]any{arrString(t, "key"): arrString(t, "val"), "n": rapid.Float64Range(-1e6, 1e6).Draw(t, "attrN"), "nil": nil}
	}
	if rapid.Bool().Draw(t, "hasNote") {
		r.Note = arrString(t, "note")
	}
	return r
}

// TestUnnestInsertSameAsValues: a batch of random objects written at once
// (on PostgreSQL as arrays) leaves in the database exactly the rows that
// the same objects written one by one (each a single-row VALUES INSERT)
// leave, column by column as the driver reads them, and reads the same
// server defaults back into the objects.
func TestUnnestInsertSameAsValues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, ArrBoth{}))
		q := "SELECT * FROM arr_boths WHERE id = " + string(eng.Dialect().AppendPlaceholder(nil, 1))
		row := func(t require.TestingT, id int64) []any {
			rows, err := eng.DB().QueryContext(ctx, q, id)
			require.NoError(t, err)
			defer rows.Close()
			cols, err := rows.Columns()
			require.NoError(t, err)
			require.True(t, rows.Next())
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			return vals[1:] // without the key
		}
		rapid.Check(t, func(rt *rapid.T) {
			n := rapid.IntRange(2, 8).Draw(rt, "rows")
			batch, alone := make([]*ArrBoth, n), make([]*ArrBoth, n)
			for i := range batch {
				r := drawArrBoth(rt)
				a, b := r, r
				batch[i], alone[i] = &a, &b
			}
			s := session.New(eng)
			defer s.Close(ctx)
			for _, r := range batch {
				require.NoError(rt, s.Add(r))
			}
			require.NoError(rt, s.Commit(ctx))
			for _, r := range alone {
				require.NoError(rt, s.Add(r))
				require.NoError(rt, s.Flush(ctx))
			}
			require.NoError(rt, s.Commit(ctx))
			for i := range batch {
				require.Equal(rt, alone[i].Note, batch[i].Note, "row %d: the server default read back", i)
				require.Equal(rt, row(rt, alone[i].ID), row(rt, batch[i].ID), "row %d", i)
			}
			_, err := session.Select[ArrBoth]().AllRows().HardDelete(session.With(ctx, s))
			require.NoError(rt, err)
			require.NoError(rt, s.Commit(ctx))
		})
	})
}

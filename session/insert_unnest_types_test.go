package session_test

import (
	"context"
	"database/sql"
	"math"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// ArrOddPG has string fields whose declared SQL types cannot travel as
// one element of an array the way the VALUES form sends them: an array
// type (unnest would flatten it, and text does not assign to text[]) and
// box (whose array literal separates elements with ';', not ',').
type ArrOddPG struct {
	ID   int64
	Tags string `arc:"type:text[]"`
	Area string `arc:"type:box"`
	Ints string `arc:"type:integer ARRAY"`
}

// TestRegression_UnnestInsertOfArrayAndBoxTypedStrings: a batch of objects
// whose string fields are declared as an array type or box is written
// (through VALUES) instead of failing in the array literal.
func TestRegression_UnnestInsertOfArrayAndBoxTypedStrings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		if !eng.Dialect().Has(dialect.Arrays) {
			t.Skip("array and box column types are PostgreSQL's")
		}
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, ArrOddPG{}))
		rows := []*ArrOddPG{
			{Tags: `{a,"b c"}`, Area: "(1,1),(0,0)", Ints: "{1,2}"},
			{Tags: `{}`, Area: "(3,3),(2,2)", Ints: "{{1,2},{3,4}}"},
			{Tags: `{x}`, Area: "(5,5),(4,4)", Ints: "{}"},
		}
		s := session.New(eng)
		defer s.Close(ctx)
		for _, r := range rows {
			require.NoError(t, s.Add(r))
		}
		require.NoError(t, s.Commit(ctx))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		for _, want := range rows {
			got, err := session.Get[ArrOddPG](session.With(ctx, s2), s2, want.ID)
			require.NoError(t, err)
			assert.Equal(t, want.Tags, got.Tags)
			assert.Equal(t, want.Area, got.Area)
			assert.Equal(t, want.Ints, got.Ints)
		}
	})
}

// ArrLevel and ArrFlag are named basic types, sent as their basic values.
type (
	ArrLevel int16
	ArrFlag  bool
)

// ArrKinds has the column types a batch sends as arrays on PostgreSQL
// beyond ArrRow's: named string types with a CHECK (enums), small
// integers and floats, a decimal, a UUID in a string, JSON, a client
// default and a server default read back.
type ArrKinds struct {
	ID     int64
	State  TyState  `arc:"size:20;notnull;default:open"`
	StateP *TyState `arc:"size:20"`
	Status string   `arc:"size:20;enum:draft,published;default:draft"`
	Level  ArrLevel
	Small  int16
	Mid    int32
	Ratio  float32
	Price  float64 `arc:"precision:12;scale:2"`
	Token  string  `arc:"uuid"`
	Flag   ArrFlag
	Doc    TyPrefs        `arc:"json"`
	Attrs  map[string]any `arc:"jsonb"`
	Note   string         `arc:"size:20;server_default:'noted'"`
}

// ArrValuers has Valuer columns (uuid.UUID, a decimal type, sql.Null*):
// their conversion belongs to database/sql, so a batch of them is sent
// as VALUES.
type ArrValuers struct {
	ID    int64
	Ref   uuid.UUID
	Total TyMoney        `arc:"precision:12;scale:2"`
	Name  sql.NullString `arc:"size:20"`
	N     sql.NullInt64
}

// TestUnnestInsertColumnKinds: a batch of every kind of column reads back
// exactly as written, whether it went as arrays (named types, small
// numbers, decimals, UUID text, JSON, NULLs, client and server defaults)
// or as VALUES (Valuers); the echo shows which form was sent.
func TestUnnestInsertColumnKinds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, ArrKinds{}, ArrValuers{}))
		_, arrays := eng.Dialect().(dialect.ArrayRows)
		closed := TyState("it's done")
		kinds := []*ArrKinds{
			{Token: uuid.NewString()}, // zero values and defaults
			{State: "closed", StateP: &closed, Status: "published", Level: -3, Small: math.MaxInt16, Mid: math.MinInt32,
				Ratio: 0.1, Price: 1234567.89, Token: uuid.NewString(), Flag: true,
				Doc: TyPrefs{Theme: `"dark" \ {x}`, Langs: []string{"go", "NULL", ""}}, Attrs: map[string]any{"a": 1.5, "b": []any{"x", nil}}},
			{State: "closed", Level: 7, Ratio: -2.5e-3, Price: -0.01, Token: uuid.NewString(), Attrs: map[string]any{}},
		}
		valuers := []*ArrValuers{
			{Ref: uuid.New(), Total: TyMoney{1250}, Name: sql.NullString{String: "n", Valid: true}, N: sql.NullInt64{Int64: 1 << 40, Valid: true}},
			{Ref: uuid.New(), Total: TyMoney{-7}},
			{Ref: uuid.New()},
		}
		rec := dbtest.Record(eng)
		s := session.New(eng)
		defer s.Close(ctx)
		for _, k := range kinds {
			require.NoError(t, s.Add(k))
		}
		for _, v := range valuers {
			require.NoError(t, s.Add(v))
		}
		require.NoError(t, s.Commit(ctx))
		if arrays {
			var ins []string
			for _, q := range filterSQL(rec.SQL(), "INSERT") {
				ins = append(ins, q[:strings.Index(q, " (")])
			}
			kindsIns := filterSQL(rec.SQL(), "INSERT INTO arr_kinds")
			require.Len(t, kindsIns, 1, "%q", ins)
			assert.Contains(t, kindsIns[0], "unnest(")
			valIns := filterSQL(rec.SQL(), "INSERT INTO arr_valuers")
			require.Len(t, valIns, 1, "%q", ins)
			assert.NotContains(t, valIns[0], "unnest(", "Valuers go as VALUES")
		}
		for _, k := range kinds {
			assert.Equal(t, "noted", k.Note, "the server default is read back")
		}
		assert.Equal(t, TyState("open"), kinds[0].State, "the client default is filled in")
		assert.Equal(t, "draft", kinds[0].Status)

		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		ids := map[int64]bool{}
		for _, want := range kinds {
			require.False(t, ids[want.ID], "each object its own key")
			ids[want.ID] = true
			got, err := session.Get[ArrKinds](ctx2, s2, want.ID)
			require.NoError(t, err)
			if want.Attrs != nil && len(want.Attrs) == 0 {
				assert.Empty(t, got.Attrs)
				got.Attrs = want.Attrs
			}
			assert.Equal(t, want, got)
		}
		for _, want := range valuers {
			got, err := session.Get[ArrValuers](ctx2, s2, want.ID)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		}
	})
}

// TestUnnestInsertFailureAfterEarlierFlush: in a transaction that has
// already flushed rows, a batch whose middle row breaks a constraint
// fails alone: the earlier rows stay written and their objects keep their
// keys, the batch's objects stay pending without keys, and once the row
// is fixed the next commit writes the batch with each key its own row's.
func TestUnnestInsertFailureAfterEarlierFlush(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, ArrRow{}))
		s := session.New(eng)
		defer s.Close(ctx)
		ctx = session.With(ctx, s)
		first := []*ArrRow{{U: "a", S: "first a"}, {U: "b", S: "first b"}}
		require.NoError(t, s.AddAll(first[0], first[1]))
		require.NoError(t, s.Flush(ctx))
		firstIDs := []int64{first[0].ID, first[1].ID}

		batch := []*ArrRow{{U: "c", S: "c"}, {U: "d", S: "d"}, {U: "a", S: "dup"}, {U: "e", S: "e"}}
		for _, r := range batch {
			require.NoError(t, s.Add(r))
		}
		err := s.Flush(ctx)
		require.ErrorIs(t, err, arcerr.ErrIntegrity)
		for _, r := range batch {
			assert.Zero(t, r.ID)
			assert.Equal(t, session.Pending, s.StateOf(r))
		}
		for i, r := range first {
			assert.Equal(t, firstIDs[i], r.ID)
			assert.Equal(t, session.Persistent, s.StateOf(r))
		}
		batch[2].U = "f"
		require.NoError(t, s.Commit(ctx))
		assert.Equal(t, 6, countRows(t, eng, "arr_rows", ""))
		for _, r := range append(first, batch...) {
			assert.Equal(t, 1, countRows(t, eng, "arr_rows", "id = ? AND u = ? AND s = ?", r.ID, r.U, r.S), "row of %s", r.U)
		}
	})
}

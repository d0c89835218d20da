package session_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// TyAuthor has a client-generated UUID key (uuid.UUID: the session draws
// a version 7 UUID at INSERT when the field is zero).
type TyAuthor struct {
	ID    uuid.UUID
	Name  string                 `arc:"size:50"`
	Books relations.Many[TyBook] `arc:"back_populates:Author;order_by:title"`
}

// TyBook refers to its author through a UUID foreign key.
type TyBook struct {
	ID       uuid.UUID
	Title    string                  `arc:"size:50"`
	AuthorID uuid.UUID               `arc:"fk:ty_authors.id;notnull"`
	Author   relations.One[TyAuthor] `arc:"back_populates:Books"`
}

func typesSetup(t *testing.T, eng *engine.Engine, models ...any) (context.Context, *session.Session) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, migrate.CreateAll(ctx, eng, models...))
	s := session.New(eng)
	t.Cleanup(func() { _ = s.Close(ctx) })
	return session.With(ctx, s), s
}

func TestTypesUUIDKeyClientGenerated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyAuthor{}, TyBook{})
		a := &TyAuthor{Name: "ursula"}
		b1, b2 := &TyBook{Title: "earthsea"}, &TyBook{Title: "dispossessed"}
		a.Books.Append(b1, b2)
		given := uuid.New()
		b2.ID = given
		require.NoError(t, s.Add(a))
		require.NoError(t, s.Commit(ctx))

		require.NotEqual(t, uuid.Nil, a.ID)
		require.Equal(t, uuid.Version(7), a.ID.Version(), "a zero key gets a version 7 UUID")
		require.NotEqual(t, uuid.Nil, b1.ID)
		require.Equal(t, given, b2.ID, "a key the caller set is kept")
		require.Equal(t, a.ID, b1.AuthorID, "the foreign key follows the UUID key")

		// The identity map answers Get by UUID without a statement.
		got, err := session.Get[TyAuthor](ctx, s, a.ID)
		require.NoError(t, err)
		require.Same(t, a, got)

		// A new session: Get, a lazy load and SelectIn by UUID.
		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		a2, err := session.Get[TyAuthor](ctx2, s2, a.ID)
		require.NoError(t, err)
		require.Equal(t, "ursula", a2.Name)
		again, err := session.Get[TyAuthor](ctx2, s2, a.ID)
		require.NoError(t, err)
		require.Same(t, a2, again, "identity map keyed by the UUID")
		byText, err := session.Get[TyAuthor](ctx2, s2, a.ID.String())
		require.NoError(t, err)
		require.Same(t, a2, byText, "a UUID key may be given as text")
		_, err = session.Get[TyAuthor](ctx2, s2, "not-a-uuid")
		require.ErrorIs(t, err, arcerr.ErrInvalidRequest)
		books, err := a2.Books.Load(ctx2)
		require.NoError(t, err)
		require.Len(t, books, 2)
		require.Equal(t, "dispossessed", books[0].Title)
		require.Equal(t, given, books[0].ID)
		author, err := books[1].Author.Load(ctx2)
		require.NoError(t, err)
		require.Same(t, a2, author)

		s3 := session.New(eng)
		defer s3.Close(ctx)
		ctx3 := session.With(ctx, s3)
		A := expr.Cols[TyAuthor]()
		all, err := session.Select[TyAuthor]().Where(expr.Eq(&A.ID, a.ID)).Options(relations.SelectIn(&A.Books)).All(ctx3)
		require.NoError(t, err)
		require.Len(t, all, 1)
		loaded, ok := all[0].Books.Cached()
		require.True(t, ok)
		require.Len(t, loaded, 2)
		require.Equal(t, b1.ID, loaded[1].ID)

		// Deleting by UUID key.
		require.NoError(t, s3.Delete(loaded[0]))
		require.NoError(t, s3.Commit(ctx3))
		n, err := session.Select[TyBook]().Count(ctx3)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
	})
}

// TyToken keeps its UUID in a string field tagged `uuid` (UUID on
// PostgreSQL, TEXT on SQLite).
type TyToken struct {
	ID    string `arc:"uuid"`
	Label string
}

func TestTypesUUIDStringKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyToken{})
		toks := []*TyToken{{Label: "a"}, {Label: "b"}, {Label: "c"}}
		for _, tk := range toks {
			require.NoError(t, s.Add(tk))
		}
		require.NoError(t, s.Commit(ctx))
		seen := map[string]bool{}
		for _, tk := range toks {
			u, err := uuid.Parse(tk.ID)
			require.NoError(t, err)
			require.Equal(t, uuid.Version(7), u.Version())
			require.False(t, seen[tk.ID])
			seen[tk.ID] = true
		}
		s2 := session.New(eng)
		defer s2.Close(ctx)
		got, err := session.Get[TyToken](session.With(ctx, s2), s2, toks[1].ID)
		require.NoError(t, err)
		require.Equal(t, "b", got.Label)
		require.Equal(t, toks[1].ID, got.ID)
	})
}

// TyDoc's key and CreatedOn come from server defaults (gen_random_uuid()
// and now(): built in on PostgreSQL, registered by Arc on SQLite), Slug
// and Score are generated columns.
type TyDoc struct {
	ID        uuid.UUID `arc:"server_default:gen_random_uuid()"`
	Title     string    `arc:"size:50"`
	Words     int64
	Status    string    `arc:"size:20;server_default:'draft'"`
	CreatedOn time.Time `arc:"server_default:now()"`
	Slug      string    `arc:"size:50;generated:lower(title)"`
	Score     int64     `arc:"generated:words * 2"`
}

func TestTypesServerDefaultsAndGeneratedReadBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyDoc{})
		before := time.Now().Add(-time.Minute)
		docs := []*TyDoc{{Title: "Hello", Words: 3}, {Title: "World", Words: 5, Status: "final"}}
		for _, d := range docs {
			require.NoError(t, s.Add(d))
		}
		require.NoError(t, s.Flush(ctx))
		for _, d := range docs {
			require.NotEqual(t, uuid.Nil, d.ID, "the database's key is read back")
			require.Equal(t, uuid.Version(4), d.ID.Version())
			require.True(t, d.CreatedOn.After(before), "now() is read back: %v", d.CreatedOn)
			require.Equal(t, time.UTC, d.CreatedOn.Location())
			require.False(t, s.IsModified(d))
		}
		require.Equal(t, "draft", docs[0].Status)
		require.Equal(t, "final", docs[1].Status, "a value given is written")
		require.Equal(t, "hello", docs[0].Slug)
		require.Equal(t, int64(6), docs[0].Score)
		require.Equal(t, int64(10), docs[1].Score)

		// UPDATE reads the generated columns back; a change made to a
		// generated field in memory is never written.
		docs[0].Title = "Bonjour"
		docs[0].Words = 4
		docs[1].Score = 99
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "bonjour", docs[0].Slug)
		require.Equal(t, int64(8), docs[0].Score)

		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		for _, d := range docs {
			got, err := session.Get[TyDoc](ctx2, s2, d.ID)
			require.NoError(t, err)
			require.Equal(t, d.Slug, got.Slug)
			require.True(t, d.CreatedOn.Equal(got.CreatedOn))
		}
		got, err := session.Get[TyDoc](ctx2, s2, docs[1].ID)
		require.NoError(t, err)
		require.Equal(t, int64(10), got.Score, "the generated column kept the database's value")
	})
}

// TyEvent holds times as a value, a pointer and sql.Null types.
type TyEvent struct {
	ID    int64
	Name  string `arc:"size:20"`
	At    time.Time
	Done  *time.Time
	Seen  sql.NullTime
	Later sql.Null[time.Time]
	Never sql.NullTime
}

// Times round-trip on both dialects as the same instant, in UTC, cut to
// microseconds; a query compares instants whatever zone its value is in.
func TestTypesTimeRoundTrip(t *testing.T) {
	east := time.FixedZone("east", 5*3600+30*60)
	west := time.FixedZone("west", -7*3600)
	base := time.Date(2024, 3, 10, 1, 59, 58, 0, time.UTC)
	cases := []struct {
		name string
		at   time.Time
	}{
		{"utc", base},
		{"utc-nanos", base.Add(123456789)},
		{"east-nanos", base.Add(999999999).In(east)},
		{"west-micros", base.Add(1500 * time.Microsecond).In(west)},
		{"local", base.Add(time.Second + 42).Local()},
		{"sub-micro-only", base.Add(2*time.Second + 999)},
		{"before-1970", time.Date(1969, 7, 20, 20, 17, 40, 500, east)},
	}
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyEvent{})
		evs := make([]*TyEvent, len(cases))
		for i, c := range cases {
			done := c.at.Add(time.Hour)
			evs[i] = &TyEvent{Name: c.name, At: c.at, Done: &done,
				Seen: sql.NullTime{Time: c.at, Valid: true}, Later: sql.Null[time.Time]{V: c.at, Valid: true}}
			require.NoError(t, s.Add(evs[i]))
		}
		require.NoError(t, s.Commit(ctx))
		E := expr.Cols[TyEvent]()
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s2 := session.New(eng)
				defer s2.Close(ctx)
				ctx2 := session.With(ctx, s2)
				got, err := session.Get[TyEvent](ctx2, s2, evs[i].ID)
				require.NoError(t, err)
				want := c.at.UTC().Truncate(time.Microsecond)
				require.Equal(t, want, got.At, "same instant, UTC, microseconds")
				require.Equal(t, time.UTC, got.At.Location())
				require.Equal(t, want.Add(time.Hour), *got.Done)
				require.Equal(t, sql.NullTime{Time: want, Valid: true}, got.Seen)
				require.Equal(t, sql.Null[time.Time]{V: want, Valid: true}, got.Later)
				require.Equal(t, sql.NullTime{}, got.Never)
				require.False(t, s2.IsModified(got))

				// The value in another zone finds the row (SQLite compares text).
				byTime, err := session.Select[TyEvent]().Where(expr.Eq(&E.At, want.In(west))).All(ctx2)
				require.NoError(t, err)
				require.Len(t, byTime, 1)
				require.Equal(t, c.name, byTime[0].Name)
				n, err := session.Select[TyEvent]().Where(expr.Lt(&E.At, want.In(east))).Count(ctx2)
				require.NoError(t, err)
				var less int64
				for _, o := range cases {
					if o.at.UTC().Truncate(time.Microsecond).Before(want) {
						less++
					}
				}
				require.Equal(t, less, n, "ordering by instant")
			})
		}
	})
}

type TyPrefs struct {
	Theme string   `json:"theme"`
	Langs []string `json:"langs"`
}

// TyProfile has JSON columns of a struct, a map and a slice (JSONB on
// PostgreSQL, TEXT on SQLite).
type TyProfile struct {
	ID     int64
	Prefs  TyPrefs        `arc:"json"`
	Attrs  map[string]any `arc:"jsonb"`
	Scores []int          `arc:"json"`
	Extra  *TyPrefs       `arc:"json"`
}

// Dirty tracking of a JSON column compares the marshalled bytes, so an
// in-place change of a map or slice inside a loaded object is seen.
func TestTypesJSONInPlaceChangeDetected(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyProfile{})
		p := &TyProfile{Prefs: TyPrefs{Theme: "dark", Langs: []string{"go"}},
			Attrs: map[string]any{"b": 1.5, "a": "x", "nested": map[string]any{"k": true}}, Scores: []int{3, 1}}
		require.NoError(t, s.Add(p))
		require.NoError(t, s.Commit(ctx))

		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		got, err := session.Get[TyProfile](ctx2, s2, p.ID)
		require.NoError(t, err)
		require.Equal(t, p.Prefs, got.Prefs)
		require.Equal(t, p.Attrs, got.Attrs)
		require.Equal(t, []int{3, 1}, got.Scores)
		require.Nil(t, got.Extra, "NULL JSON into a pointer")
		require.False(t, s2.IsModified(got), "a reload is not dirty (JSONB reorders keys; the comparison is of Go's encoding)")

		got.Attrs["nested"].(map[string]any)["k"] = false // in place, two levels down
		got.Prefs.Langs[0] = "rust"                       // in place, inside a struct
		got.Scores = append(got.Scores, 7)
		require.True(t, s2.IsModified(got))
		require.NoError(t, s2.Commit(ctx2))

		s3 := session.New(eng)
		defer s3.Close(ctx)
		ctx3 := session.With(ctx, s3)
		again, err := session.Get[TyProfile](ctx3, s3, p.ID)
		require.NoError(t, err)
		require.Equal(t, false, again.Attrs["nested"].(map[string]any)["k"])
		require.Equal(t, []string{"rust"}, again.Prefs.Langs)
		require.Equal(t, []int{3, 1, 7}, again.Scores)

		// The same value rebuilt is no change.
		again.Attrs = map[string]any{"a": "x", "b": 1.5, "nested": map[string]any{"k": false}}
		require.False(t, s3.IsModified(again))
	})
}

type TyLabel string

// TyPost has PostgreSQL array columns.
type TyPost struct {
	ID      int64
	Tags    []string
	Labels  []TyLabel
	Counts  []int64
	Weights []float64
	Flags   []bool
	Ranks   []int32
}

// Slices are native arrays on PostgreSQL; SQLite has none and refuses
// the model at CREATE with ErrInvalidModel.
func TestTypesArrays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		if !eng.Dialect().Has(dialect.Arrays) {
			err := migrate.CreateAll(ctx, eng, TyPost{})
			require.ErrorIs(t, err, arcerr.ErrInvalidModel)
			require.ErrorContains(t, err, "TyPost")
			require.ErrorContains(t, err, "field Tags")
			require.ErrorContains(t, err, "json")
			return
		}
		ctx, s := typesSetup(t, eng, TyPost{})
		p := &TyPost{Tags: []string{"a", "b c", `q"uote`, "", "NULL"}, Labels: []TyLabel{"x"},
			Counts: []int64{1, -2, 1 << 40}, Weights: []float64{0.5, 2}, Flags: []bool{true, false}, Ranks: []int32{}}
		empty := &TyPost{}
		require.NoError(t, s.AddAll(p, empty))
		require.NoError(t, s.Commit(ctx))

		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		got, err := session.Get[TyPost](ctx2, s2, p.ID)
		require.NoError(t, err)
		require.Equal(t, p.Tags, got.Tags)
		require.Equal(t, p.Labels, got.Labels)
		require.Equal(t, p.Counts, got.Counts)
		require.Equal(t, p.Weights, got.Weights)
		require.Equal(t, p.Flags, got.Flags)
		require.NotNil(t, got.Ranks)
		require.Empty(t, got.Ranks, "an empty array is not NULL")
		require.False(t, s2.IsModified(got))
		none, err := session.Get[TyPost](ctx2, s2, empty.ID)
		require.NoError(t, err)
		require.Nil(t, none.Tags, "NULL reads as a nil slice")

		// In a query, bind an array through pq.Array.
		tagged, err := session.Select[TyPost]().Where(expr.Text("ty_posts.tags @> :t", expr.P{"t": pq.Array([]string{"b c"})})).All(ctx2)
		require.NoError(t, err)
		require.Len(t, tagged, 1)
		require.Same(t, got, tagged[0])

		got.Tags[1] = "changed in place"
		require.True(t, s2.IsModified(got))
		require.NoError(t, s2.Commit(ctx2))
		s3 := session.New(eng)
		defer s3.Close(ctx)
		again, err := session.Get[TyPost](session.With(ctx, s3), s3, p.ID)
		require.NoError(t, err)
		require.Equal(t, "changed in place", again.Tags[1])
	})
}

// TyState lists its values, which become a CHECK constraint wherever a
// column has this type.
type TyState string

func (TyState) Values() []string { return []string{"open", "closed", "it's done"} }

type TyTicket struct {
	ID     int64
	Status string  `arc:"size:20;enum:draft,published;default:draft"`
	State  TyState `arc:"size:20;notnull;default:open"`
}

// Enum values become a CHECK constraint on both dialects.
func TestTypesEnumCheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyTicket{})
		ok := []*TyTicket{{}, {Status: "published", State: "it's done"}}
		require.NoError(t, s.AddAll(ok[0], ok[1]))
		require.NoError(t, s.Commit(ctx))
		require.Equal(t, "draft", ok[0].Status)
		for _, bad := range []*TyTicket{{Status: "deleted"}, {State: "gone"}} {
			s2 := session.New(eng)
			require.NoError(t, s2.Add(bad))
			err := s2.Flush(session.With(ctx, s2))
			require.ErrorIs(t, err, arcerr.ErrIntegrity)
			require.NoError(t, s2.Close(ctx))
		}
	})
}

// TyMoney is a decimal held as an integer count of cents, written and
// read through driver.Valuer and sql.Scanner as decimal text.
type TyMoney struct{ Cents int64 }

func (m TyMoney) Value() (driver.Value, error) {
	sign := ""
	c := m.Cents
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100), nil
}

func (m *TyMoney) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case float64: // SQLite's NUMERIC affinity stores 12.50 as the REAL 12.5
		m.Cents = int64(math.Round(v * 100))
		return nil
	case int64:
		m.Cents = v * 100
		return nil
	default:
		return fmt.Errorf("TyMoney: cannot scan %T", src)
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	m.Cents = int64(math.Round(r * 100))
	return nil
}

type TyInvoice struct {
	ID    int64
	Total TyMoney  `arc:"precision:12;scale:2"`
	Tax   *TyMoney `arc:"precision:12;scale:2"`
}

// A Scanner/Valuer decimal type in a NUMERIC(p, s) column (precision: and
// scale:) round-trips on both dialects.
func TestTypesDecimalValuer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyInvoice{})
		invs := []*TyInvoice{{Total: TyMoney{1250}, Tax: &TyMoney{-7}}, {Total: TyMoney{123456789}}}
		require.NoError(t, s.AddAll(invs[0], invs[1]))
		require.NoError(t, s.Commit(ctx))
		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		for _, inv := range invs {
			got, err := session.Get[TyInvoice](ctx2, s2, inv.ID)
			require.NoError(t, err)
			require.Equal(t, inv.Total, got.Total)
			require.Equal(t, inv.Tax, got.Tax)
			require.False(t, s2.IsModified(got))
		}
		I := expr.Cols[TyInvoice]()
		n, err := session.Select[TyInvoice]().Where(expr.Gt(&I.Total, TyMoney{10000})).Count(ctx2)
		require.NoError(t, err)
		require.Equal(t, int64(1), n, "compared as numbers")
	})
}

// TyPage: a client UUID key, a unique slug source and a generated column,
// written through Upsert.
type TyPage struct {
	ID    uuid.UUID
	Path  string `arc:"size:50;notnull;unique"`
	Title string `arc:"size:50"`
	Upper string `arc:"size:50;generated:upper(title)"`
}

// Upsert draws the UUID key, never writes the generated column and
// reads it back, on insert and on update.
func TestTypesUpsertGeneratedAndUUID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyPage{})
		P := expr.Cols[TyPage]()
		byPath := session.OnConflict(&P.Path).DoUpdate()
		p, err := session.Upsert(ctx, s, &TyPage{Path: "/a", Title: "one", Upper: "ignored"}, byPath)
		require.NoError(t, err)
		require.Equal(t, uuid.Version(7), p.ID.Version())
		require.Equal(t, "ONE", p.Upper)
		require.NoError(t, s.Commit(ctx))

		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		q, err := session.Upsert(ctx2, s2, &TyPage{Path: "/a", Title: "two"}, byPath)
		require.NoError(t, err)
		require.Equal(t, p.ID, q.ID, "the existing row's key")
		require.Equal(t, "TWO", q.Upper)
		require.NoError(t, s2.Commit(ctx2))
	})
}

// TyNote has a nullable UUID column (*uuid.UUID) and a string UUID key
// generated by the database.
type TyNote struct {
	ID     string     `arc:"uuid;server_default:gen_random_uuid()"`
	Ref    *uuid.UUID `arc:"index"`
	Parent *uuid.UUID
}

func TestTypesNullableUUID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyNote{})
		ref := uuid.New()
		a, b := &TyNote{Ref: &ref}, &TyNote{}
		require.NoError(t, s.AddAll(a, b))
		require.NoError(t, s.Commit(ctx))
		_, err := uuid.Parse(a.ID)
		require.NoError(t, err, "the database's key, read back into a string")
		s2 := session.New(eng)
		defer s2.Close(ctx)
		ctx2 := session.With(ctx, s2)
		ga, err := session.Get[TyNote](ctx2, s2, a.ID)
		require.NoError(t, err)
		require.Equal(t, ref, *ga.Ref)
		require.Nil(t, ga.Parent)
		gb, err := session.Get[TyNote](ctx2, s2, b.ID)
		require.NoError(t, err)
		require.Nil(t, gb.Ref)
		require.False(t, s2.IsModified(ga))
		N := expr.Cols[TyNote]()
		found, err := session.Select[TyNote]().Where(expr.Eq(&N.Ref, &ref)).All(ctx2)
		require.NoError(t, err)
		require.Len(t, found, 1)
		ga.Parent = &ref
		require.True(t, s2.IsModified(ga))
		require.NoError(t, s2.Commit(ctx2))
	})
}

// A bulk Update changes generated columns in the database only: the
// loaded objects it touches are expired, so their next use reads them.
func TestRegression_BulkUpdateExpiresGeneratedColumns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyDoc{})
		d := &TyDoc{Title: "Old", Words: 1}
		require.NoError(t, s.Add(d))
		require.NoError(t, s.Flush(ctx)) // not Commit: d stays unexpired
		D := expr.Cols[TyDoc]()
		n, err := session.Select[TyDoc]().Where(expr.Eq(&D.ID, d.ID)).Update(ctx, expr.P{"title": "New"})
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		got, err := session.Get[TyDoc](ctx, s, d.ID)
		require.NoError(t, err)
		require.Same(t, d, got)
		require.Equal(t, "New", got.Title)
		require.Equal(t, "new", got.Slug)
	})
}

// Bulk UPDATE and DELETE read back the keys of the rows they touched to
// keep the identity map in step; a UUID key comes back as text and must
// still match the loaded object.
func TestRegression_BulkStatementsWithUUIDKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, s := typesSetup(t, eng, TyAuthor{}, TyBook{})
		a := &TyAuthor{Name: "old"}
		b := &TyAuthor{Name: "gone"}
		require.NoError(t, s.AddAll(a, b))
		require.NoError(t, s.Commit(ctx))
		A := expr.Cols[TyAuthor]()
		n, err := session.Select[TyAuthor]().Where(expr.Eq(&A.ID, a.ID)).Update(ctx, expr.P{"name": "new"})
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		got, err := session.Get[TyAuthor](ctx, s, a.ID)
		require.NoError(t, err)
		require.Same(t, a, got)
		require.Equal(t, "new", a.Name, "the loaded object follows")
		n, err = session.Select[TyAuthor]().Where(expr.Eq(&A.ID, b.ID)).Delete(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		require.Equal(t, session.Deleted, s.StateOf(b))
		require.NoError(t, s.Commit(ctx))
	})
}

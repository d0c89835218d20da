package arc_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
)

// Hostile has a table and columns whose names need quoting on every
// dialect (quotes, spaces, a keyword, mixed case), and text columns for
// strings made of SQL's special characters.
type Hostile struct {
	ID    int64
	Name  string `arc:"column:it's \"odd\" name;size:200;index"`
	Order string `arc:"column:order;size:200"`
	Note  *string
	Score int64 `arc:"column:Score"`
}

func (Hostile) TableName() string { return `select "hostile" table` }

// hostileAlphabet is what SQL text treats specially: quotes of every
// dialect, escapes, placeholders of every driver, comments, LIKE
// wildcards, statement separators, and non-ASCII text.
var hostileAlphabet = []string{
	"'", `"`, "`", `\`, "?", "$1", ":name", "@p1", "%", "_", "--", "/*", "*/", ";", "\n", "\t",
	" ", "a", "Z", "0", "é", "日本", "🙂", "''", `\'`, "$$", "E'", "DROP TABLE users", "%%", "[", "]",
}

func hostileString() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		parts := rapid.SliceOfN(rapid.SampledFrom(hostileAlphabet), 0, 12).Draw(t, "parts")
		return strings.Join(parts, "")
	})
}

// TestHostileStringsRoundTrip: strings built from SQL's special
// characters travel as bind parameters through every path that takes a
// value (Save, Get, Where, StartsWith/HasSubstr, bulk Update, Upsert) and
// come back byte for byte, on a table and columns whose names need
// quoting; the statements never fail on them and match only their row.
func TestHostileStringsRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := arc.WithEngine(context.Background(), eng)
		require.NoError(t, arc.CreateAll(ctx, eng, Hostile{}))
		H := arc.Cols[Hostile]()
		rapid.Check(t, func(rt *rapid.T) {
			name := hostileString().Draw(rt, "name")
			other := hostileString().Draw(rt, "other")
			note := hostileString().Draw(rt, "note")
			require.True(rt, utf8.ValidString(name))

			h := &Hostile{Name: name, Order: other, Note: &note, Score: 1}
			s := arc.NewSession(eng)
			require.NoError(rt, s.Add(h))
			require.NoError(rt, s.Commit(ctx))
			require.NoError(rt, s.Close(ctx))

			s = arc.NewSession(eng)
			defer s.Close(ctx)
			sctx := arc.WithSession(ctx, s)
			got, err := arc.Get[Hostile](sctx, h.ID)
			require.NoError(rt, err)
			require.Equal(rt, name, got.Name)
			require.Equal(rt, other, got.Order)
			require.Equal(rt, note, *got.Note)

			// Where with the value: finds its row (MariaDB's PAD SPACE
			// collations compare 'a' and 'a ' equal, so only "finds it"
			// is asked, within the row's own key).
			n, err := arc.QueryOf[Hostile](s).Where(expr.Eq(&H.Name, name), expr.Eq(&H.ID, h.ID)).Count(ctx)
			require.NoError(rt, err)
			require.Equal(rt, int64(1), n, "Where Name = %q", name)
			if name != "" {
				n, err = arc.QueryOf[Hostile](s).Where(expr.StartsWith(&H.Name, name), expr.Eq(&H.ID, h.ID)).Count(ctx)
				require.NoError(rt, err)
				require.Equal(rt, int64(1), n, "StartsWith %q", name)
				n, err = arc.QueryOf[Hostile](s).Where(expr.HasSubstr(&H.Order, other), expr.Eq(&H.ID, h.ID)).Count(ctx)
				require.NoError(rt, err)
				require.Equal(rt, int64(1), n, "HasSubstr %q", other)
			}

			// A bulk Update with the value, then the unit of work.
			_, err = arc.Where[Hostile](expr.Eq(&H.ID, h.ID)).Update(sctx, arc.P{"Order": name})
			require.NoError(rt, err)
			require.NoError(rt, s.Refresh(ctx, got))
			require.Equal(rt, name, got.Order)
			got.Name = note
			require.NoError(rt, s.Commit(ctx))

			// Upsert on the key, with the values swapped.
			up := &Hostile{ID: h.ID, Name: other, Order: note, Note: &name, Score: 2}
			_, err = arc.Upsert(ctx, up, arc.OnConflict(&H.ID).DoUpdate(&H.Name, &H.Order, &H.Note, &H.Score))
			require.NoError(rt, err)
			var gotName, gotOrder, gotNote string
			d := eng.Dialect()
			q := "SELECT " + dialect.QuoteIdent(d, `it's "odd" name`) + ", " + dialect.QuoteIdent(d, "order") + ", note FROM " +
				dialect.QuoteIdent(d, `select "hostile" table`) + " WHERE id = " + string(d.AppendPlaceholder(nil, 1))
			require.NoError(rt, eng.DB().QueryRowContext(ctx, q, h.ID).Scan(&gotName, &gotOrder, &gotNote))
			require.Equal(rt, []string{other, note, name}, []string{gotName, gotOrder, gotNote})
		})
	})
}

// HostileMore is Hostile with one more column whose name needs quoting.
type HostileMore struct {
	ID    int64
	Name  string `arc:"column:it's \"odd\" name;size:200;index"`
	Order string `arc:"column:order;size:200"`
	Note  *string
	Score int64  `arc:"column:Score"`
	Added string "arc:\"column:a`b;size:20;default:'x'\""
}

func (HostileMore) TableName() string { return `select "hostile" table` }

// TestHostileNamesMigrate: a table and columns whose names need quoting
// go through create_all, the schema check, a generated migration (from
// nothing, and adding a column) applied up and down, and drop_all.
func TestHostileNamesMigrate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, Hostile{}))
		require.NoError(t, migrate.Check(ctx, eng, migrate.DiffOptions{}, Hostile{}), "create_all's table matches its model")

		dir := t.TempDir()
		p, err := migrate.Diff(ctx, eng, migrate.DiffOptions{}, HostileMore{})
		require.NoError(t, err)
		require.False(t, p.Empty(), "the added column")
		_, _, err = migrate.WriteDiff(dir, "add_ab", p, migrate.CreateOptions{})
		require.NoError(t, err)
		m, err := migrate.New(ctx, eng, migrate.Dir(dir))
		require.NoError(t, err)
		defer m.Close()
		require.NoError(t, m.Up(ctx), "up:\n%s", p.UpSQL())
		require.NoError(t, migrate.Check(ctx, eng, migrate.DiffOptions{}, HostileMore{}))
		require.NoError(t, m.Down(ctx), "down:\n%s", p.DownSQL())
		require.NoError(t, migrate.Check(ctx, eng, migrate.DiffOptions{}, Hostile{}))
		require.NoError(t, arc.DropAll(ctx, eng, Hostile{}))
		ok, err := migrate.TableExists(ctx, eng, `select "hostile" table`)
		require.NoError(t, err)
		require.False(t, ok)
	})
}

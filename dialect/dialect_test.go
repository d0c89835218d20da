package dialect_test

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/postgres"
	"github.com/arcorm/arc/dialect/sqlite"
	"github.com/arcorm/arc/meta"
)

var (
	lite = sqlite.New()
	pg   = postgres.New()
)

func TestRegistry(t *testing.T) {
	for name, want := range map[string]string{"sqlite": "sqlite", "sqlite3": "sqlite", "postgres": "postgres", "postgresql": "postgres",
		"mysql": "mysql", "mariadb": "mysql"} {
		d, err := dialect.Lookup(name)
		if err != nil || d.Name() != want {
			t.Errorf("Lookup(%q) = %v, %v", name, d, err)
		}
	}
	_, err := dialect.Lookup("oracle")
	if !errors.Is(err, arcerr.ErrUnknownDialect) || !strings.Contains(err.Error(), `"oracle"`) || !strings.Contains(err.Error(), "sqlite") {
		t.Errorf("unknown dialect: %v", err)
	}
	if got := strings.Join(dialect.Names(), ","); got != "mariadb,mysql,postgres,postgresql,sqlite,sqlite3" {
		t.Errorf("Names = %s", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering sqlite twice did not panic")
		}
	}()
	dialect.Register(sqlite.New())
}

func TestDriverNamesAndCapabilities(t *testing.T) {
	if lite.DriverName() != "arc_sqlite3" || pg.DriverName() != "postgres" {
		t.Error("driver names")
	}
	if lite.MaxParams() != 32766 || pg.MaxParams() != 65535 {
		t.Errorf("MaxParams = %d / %d", lite.MaxParams(), pg.MaxParams())
	}
	both := dialect.Returning | dialect.Savepoints | dialect.TransactionalDDL
	if !lite.Has(both) || !pg.Has(both) {
		t.Error("RETURNING, savepoints and transactional DDL on both")
	}
	for _, f := range []dialect.Feature{dialect.ILike, dialect.Sequences, dialect.MatchTSQuery, dialect.LimitAll, dialect.OffsetWithoutLimit, dialect.AlterColumn, dialect.ForUpdate, dialect.TxAbortOnError, dialect.SerializableSnapshot} {
		if lite.Has(f) || !pg.Has(f) {
			t.Errorf("feature %b: sqlite %v, postgres %v", f, lite.Has(f), pg.Has(f))
		}
	}
	if !lite.Has(dialect.TupleInValues) || pg.Has(dialect.TupleInValues) {
		t.Error("tuple IN VALUES is SQLite's form")
	}
}

func TestQuoting(t *testing.T) {
	for in, want := range map[string]string{
		"users":         `users`,
		"user_id2":      `user_id2`,
		"order":         `"order"`,
		"user":          `"user"`,
		"select":        `"select"`,
		"Name":          `"Name"`,
		"2fast":         `"2fast"`,
		"with space":    `"with space"`,
		`we"ird`:        `"we""ird"`,
		`""`:            `""""""`,
		"":              `""`,
		"naïve":         `"naïve"`,
		"drop;--x":      `"drop;--x"`,
		"email_address": `email_address`,
	} {
		for _, d := range []dialect.Dialect{lite, pg} {
			if got := dialect.QuoteIdent(d, in); got != want {
				t.Errorf("%s: QuoteIdent(%q) = %s, want %s", d.Name(), in, got, want)
			}
		}
	}
	if got := dialect.IdentList(pg, []string{"a", "order", "b c"}); got != `a, "order", "b c"` {
		t.Errorf("IdentList = %s", got)
	}
}

func TestPlaceholders(t *testing.T) {
	var a, b []byte
	for i := 1; i <= 3; i++ {
		a = lite.AppendPlaceholder(append(a, ' '), i)
		b = pg.AppendPlaceholder(append(b, ' '), i)
	}
	if string(a) != " ? ? ?" || string(b) != " $1 $2 $3" {
		t.Errorf("placeholders: %q %q", a, b)
	}
	if got := string(pg.AppendPlaceholder(nil, 65535)); got != "$65535" {
		t.Errorf("%s", got)
	}
}

type Money struct{ Cents int64 }

func (m Money) Value() (driver.Value, error) { return m.Cents, nil }
func (m *Money) Scan(src any) error          { m.Cents, _ = src.(int64); return nil }

type Typed struct {
	ID     int64
	I      int
	I8     int8
	I16    int16
	I32    int32
	U8     uint8
	U16    uint16
	U32    uint32
	U64    uint64
	F32    float32
	F64    float64
	B      bool
	S      string
	S50    string `arc:"size:50"`
	T      string `arc:"text"`
	When   time.Time
	Blob   []byte
	PI     *int64
	PS     *string
	NS     sql.NullString
	NI     sql.NullInt64
	NT     sql.NullTime
	NG     sql.Null[float64]
	Price  Money
	PPrice *Money
	Dec    string         `arc:"precision:10;scale:2"`
	Raw    string         `arc:"type:CHAR(3)"`
	Doc    map[string]any `arc:"json"`
}

// The Go ↔ SQL type table of docs/types.md.
func TestColumnTypes(t *testing.T) {
	tb, err := meta.Of[Typed]()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{ // column: {sqlite, postgres}
		"i":       {"INTEGER", "BIGINT"},
		"i8":      {"INTEGER", "SMALLINT"},
		"i16":     {"INTEGER", "SMALLINT"},
		"i32":     {"INTEGER", "INTEGER"},
		"u8":      {"INTEGER", "SMALLINT"},
		"u16":     {"INTEGER", "INTEGER"},
		"u32":     {"INTEGER", "BIGINT"},
		"u64":     {"INTEGER", "BIGINT"},
		"f32":     {"REAL", "REAL"},
		"f64":     {"REAL", "DOUBLE PRECISION"},
		"b":       {"BOOLEAN", "BOOLEAN"},
		"s":       {"VARCHAR", "VARCHAR"},
		"s50":     {"VARCHAR(50)", "VARCHAR(50)"},
		"t":       {"TEXT", "TEXT"},
		"when":    {"DATETIME", "TIMESTAMP WITH TIME ZONE"},
		"blob":    {"BLOB", "BYTEA"},
		"pi":      {"INTEGER", "BIGINT"},
		"ps":      {"VARCHAR", "VARCHAR"},
		"ns":      {"VARCHAR", "VARCHAR"},
		"ni":      {"INTEGER", "BIGINT"},
		"nt":      {"DATETIME", "TIMESTAMP WITH TIME ZONE"},
		"ng":      {"REAL", "DOUBLE PRECISION"},
		"price":   {"TEXT", "TEXT"},
		"p_price": {"TEXT", "TEXT"},
		"dec":     {"NUMERIC(10, 2)", "NUMERIC(10, 2)"},
		"raw":     {"CHAR(3)", "CHAR(3)"},
		"doc":     {"TEXT", "JSONB"},
	}
	for name, w := range want {
		c := tb.ColumnByName(name)
		if c == nil {
			t.Errorf("no column %s", name)
			continue
		}
		if got := lite.ColumnType(c); got != w[0] {
			t.Errorf("sqlite %s: %s, want %s", name, got, w[0])
		}
		if got := pg.ColumnType(c); got != w[1] {
			t.Errorf("postgres %s: %s, want %s", name, got, w[1])
		}
	}
}

type Order struct {
	ID     int64  `arc:"seq:order_id_seq"`
	Number string `arc:"size:20;notnull;unique"`
	Note   string `arc:"text;server_default:'none'"`
	Qty    int    `arc:"check:qty >= 0;index"`
	UserID *int64 `arc:"fk:user.id;ondelete:set null"`
	A      string `arc:"index:ix_order_pair"`
	B      string `arc:"index:ix_order_pair"`
}

func (Order) TableName() string { return "order" }

type User struct {
	ID   int64
	Name string `arc:"size:50"`
}

func (User) TableName() string { return "user" }

func TestCreateTableDDL(t *testing.T) {
	tb := meta.MustOf[Order]()
	wantLite := []string{
		`CREATE TABLE IF NOT EXISTS "order" (
	id INTEGER NOT NULL,
	number VARCHAR(20) NOT NULL,
	note TEXT DEFAULT 'none',
	qty INTEGER,
	user_id INTEGER,
	a VARCHAR,
	b VARCHAR,
	CONSTRAINT pk_order PRIMARY KEY (id),
	CONSTRAINT uq_order_number UNIQUE (number),
	CONSTRAINT fk_order_user_id_user FOREIGN KEY (user_id) REFERENCES "user" (id) ON DELETE SET NULL,
	CONSTRAINT ck_order_qty CHECK (qty >= 0)
)`,
		`CREATE INDEX IF NOT EXISTS ix_order_qty ON "order" (qty)`,
		`CREATE INDEX IF NOT EXISTS ix_order_pair ON "order" (a, b)`,
	}
	wantPG := []string{
		`CREATE SEQUENCE order_id_seq`,
		`CREATE TABLE "order" (
	id BIGINT NOT NULL DEFAULT nextval('order_id_seq'),
	number VARCHAR(20) NOT NULL,
	note TEXT DEFAULT 'none',
	qty BIGINT,
	user_id BIGINT,
	a VARCHAR,
	b VARCHAR,
	CONSTRAINT pk_order PRIMARY KEY (id),
	CONSTRAINT uq_order_number UNIQUE (number),
	CONSTRAINT fk_order_user_id_user FOREIGN KEY (user_id) REFERENCES "user" (id) ON DELETE SET NULL,
	CONSTRAINT ck_order_qty CHECK (qty >= 0)
)`,
		`CREATE INDEX ix_order_qty ON "order" (qty)`,
		`CREATE INDEX ix_order_pair ON "order" (a, b)`,
	}
	checkStmts(t, "sqlite", dialect.CreateTable(lite, tb, true), wantLite)
	checkStmts(t, "postgres", dialect.CreateTable(pg, tb, false), wantPG)

	u := meta.MustOf[User]()
	checkStmts(t, "sqlite user", dialect.CreateTable(lite, u, false), []string{"CREATE TABLE \"user\" (\n\tid INTEGER NOT NULL,\n\tname VARCHAR(50),\n\tCONSTRAINT pk_user PRIMARY KEY (id)\n)"})
	checkStmts(t, "postgres user", dialect.CreateTable(pg, u, false), []string{"CREATE TABLE \"user\" (\n\tid BIGINT NOT NULL GENERATED BY DEFAULT AS IDENTITY,\n\tname VARCHAR(50),\n\tCONSTRAINT pk_user PRIMARY KEY (id)\n)"})

	checkStmts(t, "sqlite drop", dialect.DropTable(lite, tb, true), []string{`DROP TABLE IF EXISTS "order"`})
	checkStmts(t, "postgres drop", dialect.DropTable(pg, tb, false), []string{`DROP TABLE "order"`, `DROP SEQUENCE order_id_seq`})
	ix := &meta.Index{Name: "uq_x", Columns: tb.Columns[1:2], Unique: true}
	if got := dialect.CreateIndex(pg, "order", ix, true); got != `CREATE UNIQUE INDEX IF NOT EXISTS uq_x ON "order" (number)` {
		t.Errorf("unique index: %s", got)
	}
}

type SeqQuoted struct {
	ID int64 `arc:"seq:Odd'Seq"`
}

func TestSequenceNameQuotedInNextval(t *testing.T) {
	c := meta.MustOf[SeqQuoted]().Columns[0]
	if got := dialect.ColumnDef(pg, c); got != `id BIGINT NOT NULL DEFAULT nextval('"Odd''Seq"')` {
		t.Errorf("ColumnDef = %s", got)
	}
}

func checkStmts(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, ";\n") != strings.Join(want, ";\n") {
		t.Errorf("%s DDL:\n%s\nwant:\n%s", what, strings.Join(got, ";\n"), strings.Join(want, ";\n"))
	}
}

func TestDSN(t *testing.T) {
	tests := []struct {
		d      dialect.Dialect
		url    string
		dsn    string
		single bool
	}{
		{lite, "sqlite:///app.db", "file:app.db?_busy_timeout=5000&_foreign_keys=1&_journal_mode=WAL&_stmt_cache_size=128&_synchronous=NORMAL", false},
		{lite, "sqlite:////tmp/x/app.db", "file:/tmp/x/app.db?_busy_timeout=5000&_foreign_keys=1&_journal_mode=WAL&_stmt_cache_size=128&_synchronous=NORMAL", false},
		{lite, "sqlite::memory:", "file::memory:?_busy_timeout=5000&_foreign_keys=1&_stmt_cache_size=128", true},
		{lite, "sqlite:///:memory:", "file::memory:?_busy_timeout=5000&_foreign_keys=1&_stmt_cache_size=128", true},
		{lite, "sqlite:///app.db?_busy_timeout=100&_journal_mode=DELETE", "file:app.db?_busy_timeout=100&_foreign_keys=1&_journal_mode=DELETE&_stmt_cache_size=128&_synchronous=NORMAL", false},
		{lite, "sqlite:////tmp/a%20b/x%3Fy%23z%25.db", "file:/tmp/a b/x%3fy%23z%25.db?_busy_timeout=5000&_foreign_keys=1&_journal_mode=WAL&_stmt_cache_size=128&_synchronous=NORMAL", false},
		{pg, "postgres://u@127.0.0.1:5432/db", "postgres://u@127.0.0.1:5432/db?sslmode=disable", false},
		{pg, "postgresql://u@localhost/db?sslmode=require", "postgres://u@localhost/db?sslmode=require", false},
		{pg, "postgres://u:p@db.example.com/db", "postgres://u:p@db.example.com/db", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		dsn, opts, err := tt.d.DSN(u)
		if err != nil || dsn != tt.dsn || (opts.MaxOpenConns == 1) != tt.single {
			t.Errorf("DSN(%s) = %q %+v %v, want %q single=%v", tt.url, dsn, opts, err, tt.dsn, tt.single)
		}
	}
}

type seqWidget struct {
	ID    int64
	Code  int64 `arc:"seq:widget_code_seq"`
	Label string
}

// TestSequenceResetter: PostgreSQL renders the sequence reset fixtures
// run after explicit keys, with the names bound; the dialects whose key
// counters follow the largest key by themselves have none.
func TestSequenceResetter(t *testing.T) {
	tb, err := meta.Of[seqWidget]()
	if err != nil {
		t.Fatal(err)
	}
	sr, ok := dialect.Dialect(postgres.New()).(dialect.SequenceResetter)
	if !ok {
		t.Fatal("postgres is no SequenceResetter")
	}
	for _, tc := range []struct {
		col, sql string
		args     []any
	}{
		{"id", "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(id) FROM seq_widgets), 0) + 1, false)", []any{"seq_widgets", "id"}},
		{"code", "SELECT setval($1::regclass, COALESCE((SELECT MAX(code) FROM seq_widgets), 0) + 1, false)", []any{"widget_code_seq"}},
	} {
		q, args := sr.ResetSequence(tb, tb.ColumnByName(tc.col))
		if q != tc.sql || fmt.Sprint(args) != fmt.Sprint(tc.args) {
			t.Errorf("%s: %s %v, want %s %v", tc.col, q, args, tc.sql, tc.args)
		}
	}
	for _, name := range []string{"sqlite", "mysql"} {
		d, err := dialect.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := d.(dialect.SequenceResetter); ok {
			t.Errorf("%s: a SequenceResetter, but its key counter follows the largest key", name)
		}
	}
}

package mysql

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	drv "github.com/go-sql-driver/mysql"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/meta"
)

func TestDSN(t *testing.T) {
	tests := []struct {
		url  string
		want func(t *testing.T, c *drv.Config)
	}{
		{"mysql://root@127.0.0.1:3306/test", func(t *testing.T, c *drv.Config) {
			if c.User != "root" || c.Addr != "127.0.0.1:3306" || c.DBName != "test" || c.Net != "tcp" {
				t.Errorf("config %+v", c)
			}
			if !c.ParseTime || !c.ClientFoundRows || c.Loc != time.UTC || c.MultiStatements {
				t.Errorf("driver options: parseTime %v clientFoundRows %v loc %v multiStatements %v", c.ParseTime, c.ClientFoundRows, c.Loc, c.MultiStatements)
			}
			if c.Collation != "utf8mb4_unicode_ci" {
				t.Errorf("collation %q", c.Collation)
			}
			if c.Params["sql_mode"] != "'"+SQLMode+"'" || c.Params["time_zone"] != "'+00:00'" {
				t.Errorf("params %v", c.Params)
			}
			if strings.Contains(SQLMode, "ANSI_QUOTES") || !strings.Contains(SQLMode, "STRICT_ALL_TABLES") {
				t.Errorf("sql_mode %s", SQLMode)
			}
		}},
		{"mariadb://u:p%40ss@db.example:3307/app?parseTime=false&sql_mode=%27ANSI%27", func(t *testing.T, c *drv.Config) {
			if c.User != "u" || c.Passwd != "p@ss" || c.Addr != "db.example:3307" || c.DBName != "app" {
				t.Errorf("config %+v", c)
			}
			if c.ParseTime || c.Params["sql_mode"] != "'ANSI'" {
				t.Errorf("the URL's options must win: parseTime %v sql_mode %q", c.ParseTime, c.Params["sql_mode"])
			}
		}},
		{"mysql://db.example/app", func(t *testing.T, c *drv.Config) {
			if c.Addr != "db.example:3306" || c.User != "" {
				t.Errorf("default port: %+v", c)
			}
		}},
	}
	d := New()
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			dsn, opts, err := d.DSN(u)
			if err != nil {
				t.Fatal(err)
			}
			if opts.ConnMaxLifetime != ConnMaxLifetime {
				t.Errorf("opts %+v", opts)
			}
			c, err := drv.ParseDSN(dsn)
			if err != nil {
				t.Fatal(err)
			}
			tt.want(t, c)
		})
	}
}

func TestForServer(t *testing.T) {
	tests := []struct {
		version      string
		has, hasNot  dialect.Feature
		wantMariaDB  bool
		major, minor int
	}{
		{"10.11.19-MariaDB-0+deb12u1", dialect.ReturningInsert | dialect.ReturningDelete | dialect.SkipLocked | dialect.Savepoints | dialect.ForUpdate,
			dialect.ReturningUpdate | dialect.LimitInSubquery | dialect.NullsOrder | dialect.Arrays | dialect.TransactionalDDL, true, 10, 11},
		{"5.5.5-10.5.2-MariaDB", dialect.ReturningInsert | dialect.ReturningDelete, dialect.SkipLocked, true, 10, 5},
		{"10.4.1-MariaDB", dialect.ReturningDelete, dialect.ReturningInsert | dialect.SkipLocked, true, 10, 4},
		{"8.0.36", dialect.SkipLocked | dialect.ForUpdate, dialect.ReturningInsert | dialect.ReturningDelete, false, 8, 0},
		{"5.7.44-log", dialect.ForUpdate, dialect.SkipLocked | dialect.ReturningInsert, false, 5, 7},
	}
	for _, tt := range tests {
		d := ForServer(tt.version)
		if !d.Has(tt.has) {
			t.Errorf("%s: lacks %b", tt.version, tt.has)
		}
		for f := dialect.Feature(1); f != 0 && f <= tt.hasNot; f <<= 1 {
			if tt.hasNot&f != 0 && d.Has(f) {
				t.Errorf("%s: has %b", tt.version, f)
			}
		}
		if d.MariaDB != tt.wantMariaDB {
			t.Errorf("%s: MariaDB = %v", tt.version, d.MariaDB)
		}
		if ma, mi := parseVersion(tt.version); ma != tt.major || mi != tt.minor {
			t.Errorf("%s: version %d.%d", tt.version, ma, mi)
		}
	}
	if New().Has(dialect.ReturningInsert) || New().Has(dialect.SkipLocked) {
		t.Error("the registered dialect must keep the flags every server has")
	}
}

func TestQuoting(t *testing.T) {
	d := New()
	for in, want := range map[string]string{"users": "users", "order": "`order`", "Id": "`Id`", "a`b": "`a``b`", `we"ird`: "`we\"ird`", "interval": "`interval`", "": "``"} {
		if got := dialect.QuoteIdent(d, in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
	if got := string(d.AppendPlaceholder(nil, 3)); got != "?" {
		t.Errorf("placeholder %s", got)
	}
}

type tItem struct {
	ID    int64
	Name  string `arc:"unique"`
	Body  string
	Tag   string `arc:"index"`
	Sized string `arc:"size:20"`
	Kind  string `arc:"enum:a,b"`
	OK    bool
	At    time.Time
	Blob  []byte
	Price float64 `arc:"type:DECIMAL(10,2)"`
}

func TestColumnTypes(t *testing.T) {
	tb := meta.MustOf[tItem]()
	d := New()
	want := map[string]string{"id": "BIGINT", "name": "VARCHAR(255)", "body": "TEXT", "tag": "VARCHAR(255)", "sized": "VARCHAR(20)",
		"kind": "VARCHAR(255)", "ok": "TINYINT(1)", "at": "DATETIME(6)", "blob": "LONGBLOB", "price": "DECIMAL(10,2)"}
	for _, c := range tb.Columns {
		if w, ok := want[c.Name]; ok && d.ColumnType(c) != w {
			t.Errorf("%s: %s, want %s", c.Name, d.ColumnType(c), w)
		}
	}
	ddl := strings.Join(dialect.CreateTable(d, tb, false), "\n")
	if !strings.Contains(ddl, "id BIGINT NOT NULL AUTO_INCREMENT") {
		t.Errorf("DDL:\n%s", ddl)
	}
	for in, want := range map[string]string{"now()": "CURRENT_TIMESTAMP(6)", "gen_random_uuid()": "(" + UUIDv4Expr + ")", "uuid()": "(UUID())", "0": "0", "'draft'": "'draft'", "lower('X')": "(lower('X'))"} {
		if got := d.DefaultExpr(in); got != want {
			t.Errorf("DefaultExpr(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestClassifyError(t *testing.T) {
	d := New()
	for num, want := range map[uint16]error{1062: arcerr.ErrIntegrity, 1451: arcerr.ErrIntegrity, 1452: arcerr.ErrIntegrity,
		1048: arcerr.ErrIntegrity, 4025: arcerr.ErrIntegrity, 3819: arcerr.ErrIntegrity, 1213: arcerr.ErrConflict,
		1205: arcerr.ErrDatabaseBusy, 1064: nil, 2013: arcerr.ErrConnectionLost} {
		err := error(&drv.MySQLError{Number: num, Message: "x"})
		if got := d.ClassifyError(err); got != want {
			t.Errorf("%d: %v, want %v", num, got, want)
		}
	}
	if !errors.Is(d.ClassifyError(drv.ErrInvalidConn), arcerr.ErrConnectionLost) {
		t.Error("ErrInvalidConn")
	}
	if !arcerr.IsRetryable(&arcerr.StatementError{Kind: d.ClassifyError(&drv.MySQLError{Number: 1213}), Err: errors.New("deadlock")}) {
		t.Error("a deadlock must be retryable")
	}
}

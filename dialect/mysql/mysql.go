// Package mysql is Arc's MySQL and MariaDB dialect, on
// github.com/go-sql-driver/mysql. Import it for its side effect of
// registering the "mysql" dialect (alias "mariadb"):
//
//	import _ "github.com/arcorm/arc/dialect/mysql"
//
// URLs: mysql://user:pass@host:3306/db?param=value (and mariadb://...).
// The driver options an ORM needs are set unless the URL sets them:
// parseTime=true and loc=UTC (DATETIME(6) columns read back as UTC
// time.Time values with microseconds; the session's time_zone is +00:00
// too), utf8mb4 (charset and collation), clientFoundRows=true (UPDATE
// reports the rows it matched, not the rows it changed, so an UPDATE that
// sets a row to the values it has is not mistaken for a stale row) and a
// strict sql_mode (see SQLMode). Other query parameters are passed to the
// driver (its own options, or session variables it SETs on connect).
//
// Capabilities depend on the server: engine.Open asks it for its version
// (Initialize) and MariaDB 10.5+ gets INSERT ... RETURNING (and DELETE
// ... RETURNING), MariaDB 10.6+ and MySQL 8+ SKIP LOCKED. Neither has
// UPDATE ... RETURNING, FULL OUTER JOIN, NULLS FIRST/LAST, sequences
// (as Arc uses them), arrays or transactional DDL.
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/meta"
)

// MaxParams is the MySQL protocol's limit on the placeholders of one
// prepared statement.
const MaxParams = 65535

// SQLMode is the sql_mode every connection gets unless the URL sets
// sql_mode: strict (a value that does not fit is an error, not a
// truncation, in every table), no dates with a zero month or day,
// division by zero an error,
// || as string concatenation (as in SQL and the other dialects) and
// standard string literals (a backslash is an ordinary character, as the
// LIKE escapes Arc writes assume). ANSI_QUOTES is not set: identifiers
// are quoted with backticks. NO_ZERO_DATE is not set either: the driver
// writes Go's zero time.Time as the zero date '0000-00-00' and reads it
// back as the zero time.Time, which is how a zero time round-trips.
const SQLMode = "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO," +
	"NO_ENGINE_SUBSTITUTION,PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES"

// DefaultKeyLength is the VARCHAR length of a string column without a
// size that is part of a key, an index or a foreign key: MySQL cannot
// index TEXT without a prefix length, and 255 utf8mb4 characters (1,020
// bytes) fit InnoDB's 3,072-byte index key limit.
const DefaultKeyLength = 255

// Pool defaults of engine.Open for MySQL (engine options override):
// below the server's wait_timeout (8 hours by default), so that the pool
// never hands out a connection the server has closed.
const (
	ConnMaxLifetime = 30 * time.Minute
	ConnMaxIdleTime = 5 * time.Minute
)

// baseFeatures are what every supported server has (MySQL 5.7+, MariaDB
// 10.3+). AlterColumn: migrate alters tables in place (its operations
// rendered by the dialect's RenderOperation, alter.go) rather than
// rebuilding them. Not TxAbortOnError (a failed statement undoes itself
// only) nor SerializableSnapshot (InnoDB's SERIALIZABLE takes shared read
// locks).
const baseFeatures = dialect.Savepoints | dialect.ForUpdate | dialect.AlterColumn | dialect.OnDuplicateKey | dialect.ValuesOrder

// Dialect is the MySQL / MariaDB dialect.
type Dialect struct {
	dialect.Base
	// Server is the version string of the server Initialize asked ("" for
	// the registered dialect).
	Server string
	// MariaDB is set when Server is a MariaDB version.
	MariaDB bool
	// ConsecutiveAutoinc is set when the server's innodb_autoinc_lock_mode
	// is 0 or 1, under which the ids a simple multi-row INSERT draws are
	// consecutive.
	ConsecutiveAutoinc bool
}

// New returns the dialect with the capabilities every supported server
// has; engine.Open replaces it by the one Initialize returns.
func New() *Dialect {
	return &Dialect{Base: dialect.Base{Features: baseFeatures, Params: MaxParams, Reserved: reserved}}
}

func init() { dialect.Register(New(), "mariadb") }

// Name is "mysql".
func (*Dialect) Name() string { return "mysql" }

// DriverName is go-sql-driver's "mysql".
func (*Dialect) DriverName() string { return "mysql" }

// AppendPlaceholder writes '?'.
func (*Dialect) AppendPlaceholder(b []byte, n int) []byte { return dialect.AppendQuestion(b, n) }

// AppendIdent quotes ident with backticks when it is not a plain
// lower-case identifier or is a reserved word; embedded backticks are
// doubled.
func (d *Dialect) AppendIdent(buf []byte, ident string) []byte {
	return d.AppendQuotedIdent(buf, ident, '`')
}

// reserved is dialect.ReservedWords plus MySQL's and MariaDB's own.
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for w := range dialect.ReservedWords {
		m[w] = true
	}
	for _, w := range []string{
		"accessible", "asensitive", "bigint", "blob", "call", "change", "char", "character", "condition",
		"continue", "convert", "cursor", "databases", "day_hour", "day_microsecond", "day_minute", "day_second",
		"dec", "decimal", "declare", "delayed", "describe", "deterministic", "distinctrow", "div", "double",
		"dual", "elseif", "enclosed", "escaped", "exit", "float", "float4", "float8", "force", "fulltext",
		"general", "generated", "get", "high_priority", "hour_microsecond", "hour_minute", "hour_second",
		"infile", "inout", "insensitive", "int", "int1", "int2", "int3", "int4", "int8", "integer", "interval",
		"iterate", "keys", "kill", "leave", "linear", "lines", "load", "lock", "long", "longblob", "longtext",
		"loop", "low_priority", "master_bind", "maxvalue", "mediumblob", "mediumint", "mediumtext",
		"middleint", "minute_microsecond", "minute_second", "mod", "modifies", "numeric", "optimize",
		"optimizer_costs", "option", "optionally", "out", "outfile", "precision", "procedure", "purge",
		"read", "read_write", "reads", "real", "rename", "repeat", "require", "resignal", "return", "revoke",
		"rlike", "schema", "schemas", "second_microsecond", "sensitive", "separator", "show", "signal",
		"smallint", "spatial", "specific", "sql", "sql_big_result", "sql_calc_found_rows",
		"sql_small_result", "sqlexception", "sqlstate", "sqlwarning", "ssl", "starting", "stored",
		"straight_join", "terminated", "tinyblob", "tinyint", "tinytext", "undo", "unlock", "unsigned",
		"usage", "utc_date", "utc_time", "utc_timestamp", "varbinary", "varchar", "varcharacter",
		"varying", "while", "write", "xor", "year_month", "zerofill", "status", "rank", "row_number",
		"groups", "system", "cume_dist", "dense_rank", "first_value", "lag", "last_value", "lead",
		"nth_value", "ntile", "percent_rank", "json_table", "empty", "except", "lateral", "of",
	} {
		m[w] = true
	}
	return m
}()

// ColumnType maps a column kind to MySQL types: BOOLEAN is TINYINT(1),
// time DATETIME(6) (microseconds, read and written in UTC), JSON JSON (on
// MariaDB an alias of LONGTEXT with a json_valid check), bytes LONGBLOB,
// a UUID CHAR(36) (its text form, as on SQLite), text LONGTEXT. A string
// with a size is VARCHAR(n); without one it is VARCHAR(255) when it is
// part of a key, an index, a foreign key or an enum (MySQL indexes TEXT
// only by a prefix), and TEXT otherwise.
func (*Dialect) ColumnType(c *meta.Column) string {
	if c.SQLType != "" {
		return c.SQLType
	}
	switch c.Kind {
	case meta.KindBool:
		return "TINYINT(1)"
	case meta.KindSmallInt:
		return "SMALLINT"
	case meta.KindInt:
		return "INT"
	case meta.KindBigInt:
		return "BIGINT"
	case meta.KindFloat:
		return "FLOAT"
	case meta.KindDouble:
		return "DOUBLE"
	case meta.KindDecimal:
		return "DECIMAL(" + strconv.Itoa(c.Precision) + ", " + strconv.Itoa(c.Scale) + ")"
	case meta.KindString:
		if c.Size > 0 {
			return "VARCHAR(" + strconv.Itoa(c.Size) + ")"
		}
		if Keyed(c) || len(c.Enum) > 0 {
			return "VARCHAR(" + strconv.Itoa(DefaultKeyLength) + ")"
		}
		return "TEXT"
	case meta.KindText:
		if Keyed(c) {
			return "VARCHAR(" + strconv.Itoa(DefaultKeyLength) + ")"
		}
		return "LONGTEXT"
	case meta.KindJSON:
		return "JSON"
	case meta.KindTime:
		return "DATETIME(6)"
	case meta.KindBytes:
		if c.Size > 0 {
			return "VARBINARY(" + strconv.Itoa(c.Size) + ")"
		}
		if Keyed(c) {
			return "VARBINARY(" + strconv.Itoa(DefaultKeyLength) + ")"
		}
		return "LONGBLOB"
	case meta.KindUUID:
		return "CHAR(36)"
	}
	return "TEXT"
}

// Keyed reports whether c is part of its table's primary key, of a
// unique constraint, of an index or of a foreign key.
func Keyed(c *meta.Column) bool {
	if c.PrimaryKey || c.Unique || c.FK != nil {
		return true
	}
	t := c.Table
	if t == nil {
		return false
	}
	in := func(cols []*meta.Column) bool {
		for _, x := range cols {
			if x == c || x.Name == c.Name {
				return true
			}
		}
		return false
	}
	if in(t.PrimaryKey) {
		return true
	}
	for _, u := range t.Uniques {
		if in(u.Columns) {
			return true
		}
	}
	for _, ix := range t.Indexes {
		if in(ix.Columns) {
			return true
		}
	}
	for _, fk := range t.ForeignKeys {
		if in(fk.Columns) {
			return true
		}
	}
	return false
}

// AutoIncrement is the AUTO_INCREMENT column attribute.
func (*Dialect) AutoIncrement(*meta.Column) (string, string) { return "", "AUTO_INCREMENT" }

// UUIDv4Expr draws a random (version 4) UUID in its text form: MySQL's
// UUID() is a version 1 UUID (time and host based), and MariaDB has
// UUID_v4() only from 11.7. RANDOM_BYTES needs MariaDB 10.10+ or MySQL
// 5.6.17+; an expression default needs MySQL 8.0.13+.
const UUIDv4Expr = "LOWER(CONCAT(HEX(RANDOM_BYTES(4)), '-', HEX(RANDOM_BYTES(2)), '-4', SUBSTR(HEX(RANDOM_BYTES(2)), 2), '-', " +
	"ELT(1 + FLOOR(RAND() * 4), '8', '9', 'a', 'b'), SUBSTR(HEX(RANDOM_BYTES(2)), 2), '-', HEX(RANDOM_BYTES(6))))"

// DefaultExpr writes a server_default for MySQL: now() and
// CURRENT_TIMESTAMP become CURRENT_TIMESTAMP(6) (a DATETIME(6) column's
// default needs the same precision), gen_random_uuid() a random version 4
// UUID (UUIDv4Expr),
// and any other function call is put in parentheses (MySQL 8.0.13+ takes
// an expression default only so; MariaDB either way). Literals stay as
// they are.
func (*Dialect) DefaultExpr(e string) string {
	s := strings.TrimSpace(e)
	switch strings.ToLower(s) {
	case "now()", "current_timestamp", "current_timestamp()", "localtimestamp", "now(6)", "current_timestamp(6)":
		return "CURRENT_TIMESTAMP(6)"
	case "gen_random_uuid()":
		return "(" + UUIDv4Expr + ")"
	case "uuid()":
		return "(UUID())"
	}
	if strings.Contains(s, "(") && !strings.HasPrefix(s, "(") && !strings.HasPrefix(s, "'") {
		return "(" + s + ")"
	}
	return s
}

// ClassifyError maps the server's error numbers: integrity violations
// (1062 duplicate key, 1451/1452 foreign key, 1048/1364 NULL or missing
// value in a NOT NULL column, 3819/4025 CHECK constraint, ...) to
// arcerr.ErrIntegrity, 1213 (deadlock: the server rolled the whole
// transaction back) to arcerr.ErrConflict, 1205 (lock wait timeout) and
// 3572 (NOWAIT) to arcerr.ErrDatabaseBusy, 1300 and 1366's "Incorrect
// string value" (invalid UTF-8) to arcerr.ErrInvalidText, and the driver's
// invalid-connection error and the server's shutdown and kill errors to
// arcerr.ErrConnectionLost.
func (*Dialect) ClassifyError(err error) error {
	if errors.Is(err, mysql.ErrInvalidConn) {
		return arcerr.ErrConnectionLost
	}
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return nil
	}
	switch me.Number {
	case 1062, 1586, 1557, 1169, // duplicate entry
		1451, 1452, 1216, 1217, // foreign key
		1048, 1364, 1263, // NOT NULL
		3819, 4025: // CHECK (MySQL, MariaDB)
		return arcerr.ErrIntegrity
	case 1213: // ER_LOCK_DEADLOCK
		return arcerr.ErrConflict
	case 1205, 3572: // ER_LOCK_WAIT_TIMEOUT, ER_LOCK_NOWAIT
		return arcerr.ErrDatabaseBusy
	case 1053, 1927, 2006, 2013, 4031: // shutdown, connection killed, gone away, lost, idle timeout
		return arcerr.ErrConnectionLost
	case 1300: // ER_INVALID_CHARACTER_STRING
		return arcerr.ErrInvalidText
	case 1366: // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: only its "Incorrect string value" is about text
		if strings.Contains(me.Message, "string value") {
			return arcerr.ErrInvalidText
		}
	}
	return nil
}

// IsDuplicateKey reports a duplicate-key violation (1062, 1586).
func (*Dialect) IsDuplicateKey(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1062 || me.Number == 1586)
}

// MaxLimit is the LIMIT MySQL needs before an OFFSET alone: the largest
// unsigned 64-bit number (MySQL's documented idiom).
func (*Dialect) MaxLimit() string { return "18446744073709551615" }

// TableExistsSQL asks information_schema for a base table of the current
// database.
func (*Dialect) TableExistsSQL() string {
	return "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ? AND table_type = 'BASE TABLE'"
}

// DSN turns mysql://user:pass@host:port/db?params into the driver's
// user:pass@tcp(host:port)/db?params, with Arc's defaults for the
// parameters the URL leaves out (see the package documentation).
func (*Dialect) DSN(u *url.URL) (string, dialect.ConnOptions, error) {
	opts := dialect.ConnOptions{ConnMaxLifetime: ConnMaxLifetime, ConnMaxIdleTime: ConnMaxIdleTime}
	cfg, err := Config(u)
	if err != nil {
		return "", opts, err
	}
	return cfg.FormatDSN(), opts, nil
}

// Config is the driver configuration of an Arc URL (DSN formats it).
func Config(u *url.URL) (*mysql.Config, error) {
	host := u.Host
	if host == "" {
		host = "127.0.0.1:3306"
	} else if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "3306")
	}
	db := strings.TrimPrefix(u.Path, "/")
	if strings.Contains(db, "/") {
		return nil, fmt.Errorf("mysql URL: the path names one database, got %q", db)
	}
	q := u.Query()
	set := func(k, v string) {
		if _, ok := q[k]; !ok {
			q.Set(k, v)
		}
	}
	set("parseTime", "true")
	set("loc", "UTC")
	set("charset", "utf8mb4")
	set("collation", "utf8mb4_unicode_ci")
	set("clientFoundRows", "true")
	set("sql_mode", "'"+SQLMode+"'")
	set("time_zone", "'+00:00'")
	var b strings.Builder
	if u.User != nil {
		b.WriteString(u.User.Username())
		if p, ok := u.User.Password(); ok {
			b.WriteByte(':')
			b.WriteString(p)
		}
		b.WriteByte('@')
	}
	b.WriteString("tcp(")
	b.WriteString(host)
	b.WriteString(")/")
	b.WriteString(db)
	b.WriteByte('?')
	b.WriteString(q.Encode())
	cfg, err := mysql.ParseDSN(b.String())
	if err != nil {
		return nil, fmt.Errorf("mysql URL: %w", err)
	}
	return cfg, nil
}

// Initialize asks the server for its version and innodb_autoinc_lock_mode
// and returns the dialect with the capabilities of that server.
func (d *Dialect) Initialize(ctx context.Context, db *sql.DB) (dialect.Dialect, error) {
	var version string
	var lockMode sql.NullInt64
	err := db.QueryRowContext(ctx, "SELECT VERSION(), @@innodb_autoinc_lock_mode").Scan(&version, &lockMode)
	if err != nil {
		// A server without InnoDB's variable (unlikely): ask for the
		// version alone and assume no consecutive ids.
		if err2 := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err2 != nil {
			return nil, fmt.Errorf("mysql: server version: %w", err)
		}
		lockMode = sql.NullInt64{}
	}
	nd := ForServer(version)
	nd.ConsecutiveAutoinc = lockMode.Valid && (lockMode.Int64 == 0 || lockMode.Int64 == 1)
	return nd, nil
}

// ForServer returns the dialect for a server of the given version string
// (SELECT VERSION(): "10.11.6-MariaDB-0+deb12u1", "8.0.36").
func ForServer(version string) *Dialect {
	nd := New()
	nd.Server = version
	nd.MariaDB = strings.Contains(strings.ToLower(version), "mariadb")
	major, minor := parseVersion(version)
	at := func(ma, mi int) bool { return major > ma || major == ma && minor >= mi }
	if nd.MariaDB {
		if at(10, 5) {
			nd.Features |= dialect.ReturningInsert | dialect.ReturningDelete
		} else if at(10, 0) {
			nd.Features |= dialect.ReturningDelete
		}
		if at(10, 6) {
			nd.Features |= dialect.SkipLocked
		}
	} else if at(8, 0) {
		nd.Features |= dialect.SkipLocked | dialect.ForShare
	}
	return nd
}

// parseVersion reads "major.minor" from the front of a version string.
func parseVersion(v string) (major, minor int) {
	v = strings.TrimPrefix(v, "5.5.5-") // MariaDB's replication-compatible prefix
	parts := strings.SplitN(v, ".", 3)
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	if len(parts) > 0 {
		major = num(parts[0])
	}
	if len(parts) > 1 {
		minor = num(parts[1])
	}
	return major, minor
}

var (
	_ dialect.Dialect           = (*Dialect)(nil)
	_ dialect.Initializer       = (*Dialect)(nil)
	_ dialect.DefaultWriter     = (*Dialect)(nil)
	_ dialect.DuplicateKeyError = (*Dialect)(nil)
	_ dialect.MaxLimiter        = (*Dialect)(nil)
)

package sqlite

import (
	"crypto/rand"
	"database/sql"
	"strings"
	"time"

	"github.com/arcorm/arc/internal/uuidtext"
	"github.com/mattn/go-sqlite3"
)

// driverName is the database/sql driver the dialect opens: mattn's, with
// SQL functions that PostgreSQL has built in, so that the same
// server_default works on both dialects:
//
//   - gen_random_uuid(): a random (version 4) UUID as 36-character text;
//   - now(): the current time in UTC, microseconds, as the text the driver
//     reads back from a DATETIME column.
const driverName = "arc_sqlite3"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		if err := c.RegisterFunc("gen_random_uuid", genRandomUUID, false); err != nil {
			return err
		}
		return c.RegisterFunc("now", now, false)
	}})
}

func genRandomUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // never fails (crypto/rand, Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return uuidtext.Format(u)
}

func now() string {
	return time.Now().UTC().Truncate(time.Microsecond).Format("2006-01-02 15:04:05.999999-07:00")
}

// DefaultExpr puts a function call in parentheses, as SQLite's DEFAULT
// clause requires: server_default:now() becomes DEFAULT (now()).
func (*Dialect) DefaultExpr(expr string) string {
	e := strings.TrimSpace(expr)
	if strings.HasSuffix(e, ")") && !strings.HasPrefix(e, "(") {
		return "(" + e + ")"
	}
	return expr
}

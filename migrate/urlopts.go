package migrate

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// URLOptions are golang-migrate's "x-" options of a database URL, which
// configure the migrator rather than the connection:
//
//	x-migrations-table          the version table (default schema_migrations); both dialects
//	x-migrations-table-quoted   PostgreSQL: the table name is given quoted, "schema"."table"
//	x-statement-timeout         PostgreSQL: milliseconds per statement (statement_timeout)
//	x-multi-statement           accepted; Arc always splits files into statements itself
//	x-multi-statement-max-size  accepted; no effect for the same reason
//	x-no-tx-wrap                SQLite: accepted; Arc decides per file (see docs/migrations.md)
//
// Any other x- option is an error, so a typo is not silently ignored.
type URLOptions struct {
	MigrationsTable       string
	MigrationsTableQuoted bool
	StatementTimeout      time.Duration
}

// SplitURL removes the x- options from a database URL and returns the
// URL without them (for engine.Open) and the options. An unknown x-
// option, or a value that does not parse, is an error.
func SplitURL(raw string) (string, URLOptions, error) {
	var o URLOptions
	u, err := url.Parse(raw)
	if err != nil {
		return raw, o, fmt.Errorf("arc: bad database URL %q: %w", redact(raw), err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return raw, o, fmt.Errorf("arc: bad database URL %q: query: %w", redact(raw), err)
	}
	found := false
	for k, vs := range q {
		if !strings.HasPrefix(k, "x-") {
			continue
		}
		found = true
		v := ""
		if len(vs) > 0 {
			v = vs[len(vs)-1]
		}
		switch k {
		case "x-migrations-table":
			o.MigrationsTable = v
		case "x-migrations-table-quoted":
			if o.MigrationsTableQuoted, err = strconv.ParseBool(v); err != nil {
				return raw, o, fmt.Errorf("arc: database URL option %s=%q: want true or false", k, v)
			}
		case "x-statement-timeout":
			ms, err := strconv.Atoi(v)
			if err != nil || ms < 0 {
				return raw, o, fmt.Errorf("arc: database URL option %s=%q: want milliseconds", k, v)
			}
			o.StatementTimeout = time.Duration(ms) * time.Millisecond
		case "x-multi-statement", "x-no-tx-wrap":
			if _, err := strconv.ParseBool(v); err != nil {
				return raw, o, fmt.Errorf("arc: database URL option %s=%q: want true or false", k, v)
			}
		case "x-multi-statement-max-size":
			if _, err := strconv.Atoi(v); err != nil {
				return raw, o, fmt.Errorf("arc: database URL option %s=%q: want a number", k, v)
			}
		default:
			return raw, o, fmt.Errorf("arc: database URL option %s is not one of golang-migrate's (x-migrations-table, x-migrations-table-quoted, x-statement-timeout, x-multi-statement, x-multi-statement-max-size, x-no-tx-wrap)", k)
		}
		q.Del(k)
	}
	if !found {
		return raw, o, nil
	}
	if o.MigrationsTableQuoted && !(strings.HasPrefix(o.MigrationsTable, `"`) && strings.HasSuffix(o.MigrationsTable, `"`)) {
		return raw, o, fmt.Errorf("arc: database URL: x-migrations-table must be quoted (\"schema\".\"table\") with x-migrations-table-quoted")
	}
	if o.StatementTimeout > 0 && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q.Set("statement_timeout", strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10))
	}
	u.RawQuery = q.Encode()
	return u.String(), o, nil
}

// table is the version table the options name.
func (o URLOptions) table() string {
	if o.MigrationsTable == "" {
		return MigrationsTable
	}
	return o.MigrationsTable
}

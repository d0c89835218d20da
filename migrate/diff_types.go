package migrate

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/arcorm/arc/dialect/ddl"
)

// widens reports whether changing a column from type a to type b keeps
// every value (VARCHAR(n) to a longer VARCHAR or TEXT, SMALLINT to
// INTEGER to BIGINT, REAL to DOUBLE PRECISION, a NUMERIC with more
// digits on both sides of the point).
func widens(a, b string) bool {
	na, aa := splitType(a)
	nb, ab := splitType(b)
	isChar := func(n string) bool { return n == "VARCHAR" || n == "CHARACTER VARYING" }
	isText := func(n string) bool { return n == "TEXT" || (isChar(n)) }
	switch {
	case intRank[na] > 0 && (nb == "NUMERIC" || nb == "DECIMAL"):
		// NUMERIC(p,s) holds every integer of the type when it has
		// enough digits before the point.
		if len(ab) == 0 {
			return true
		}
		s := 0
		if len(ab) > 1 {
			s = ab[1]
		}
		return ab[0]-s >= map[int]int{1: 5, 2: 10, 3: 19}[intRank[na]]
	case isChar(na) && isText(nb):
		if nb == "TEXT" || len(ab) == 0 {
			return true
		}
		return len(aa) == 1 && ab[0] >= aa[0]
	case na == "TEXT" && isChar(nb) && len(ab) == 0:
		return true
	case na == "SMALLINT" || na == "INT2":
		return nb == "INTEGER" || nb == "INT" || nb == "BIGINT" || nb == "INT4" || nb == "INT8"
	case na == "INTEGER" || na == "INT" || na == "INT4":
		return nb == "BIGINT" || nb == "INT8"
	case na == "REAL" || na == "FLOAT4":
		return nb == "DOUBLE PRECISION" || nb == "FLOAT8"
	case (na == "NUMERIC" || na == "DECIMAL") && (nb == "NUMERIC" || nb == "DECIMAL"):
		if len(ab) == 0 {
			return true
		}
		if len(aa) == 0 {
			return false
		}
		pa, sa := aa[0], 0
		if len(aa) > 1 {
			sa = aa[1]
		}
		pb, sb := ab[0], 0
		if len(ab) > 1 {
			sb = ab[1]
		}
		return sb >= sa && pb-sb >= pa-sa
	}
	return false
}

func splitType(t string) (string, []int) {
	t = strings.ToUpper(strings.TrimSpace(t))
	i := strings.IndexByte(t, '(')
	if i < 0 {
		return t, nil
	}
	name := strings.TrimSpace(t[:i])
	var args []int
	for _, a := range strings.Split(strings.TrimSuffix(t[i+1:], ")"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			args = append(args, n)
		}
	}
	return name, args
}

var (
	intRank = map[string]int{"SMALLINT": 1, "INT2": 1, "INTEGER": 2, "INT": 2, "INT4": 2, "BIGINT": 3, "INT8": 3}
	strType = map[string]bool{"TEXT": true, "VARCHAR": true, "CHARACTER VARYING": true, "CHAR": true, "CHARACTER": true, "BPCHAR": true}
)

// failsCleanly reports whether PostgreSQL, converting a column from type
// a to the narrower type b without a USING cast, refuses the values that
// do not fit instead of changing them: a shorter VARCHAR (an assignment
// cast checks the length, where an explicit ::varchar(n) truncates), a
// smaller integer (overflow is an error), a NUMERIC with fewer integer
// digits but no fewer decimals. Everything else that narrows (fewer
// decimals, DOUBLE PRECISION to REAL, NUMERIC to INTEGER, TIMESTAMP to
// DATE, ...) rounds or drops data silently.
func failsCleanly(a, b string) bool {
	na, aa := splitType(a)
	nb, ab := splitType(b)
	switch {
	case strType[nb]:
		return true
	case intRank[na] > 0 && intRank[nb] > 0:
		return true
	case (na == "NUMERIC" || na == "DECIMAL") && (nb == "NUMERIC" || nb == "DECIMAL"):
		if len(ab) == 0 {
			return true
		}
		sa, sb := 0, 0
		if len(aa) > 1 {
			sa = aa[1]
		}
		if len(ab) > 1 {
			sb = ab[1]
		}
		return len(aa) > 0 && sb >= sa
	case intRank[na] > 0 && (nb == "NUMERIC" || nb == "DECIMAL"):
		return true
	}
	return false
}

// narrowingWarning is the WARNING comment of a statement that changes
// table.col from type a to the narrower type b.
func narrowingWarning(table, col, a, b string) ddl.Operation {
	if failsCleanly(a, b) {
		return ddl.Comment{Text: "WARNING: narrows " + table + "." + col + " from " + a + " to " + b +
			": fails (and changes nothing) if a value does not fit"}
	}
	return ddl.Comment{Text: "WARNING: narrows " + table + "." + col + " from " + a + " to " + b +
		": values that do not fit are rounded or cut (data loss)"}
}

// currentTime matches the spellings of "the current timestamp" a
// database prints for a default: CURRENT_TIMESTAMP, current_timestamp(),
// current_timestamp(6) (MariaDB: the precision follows the column's
// type), now(), with SQLite's parentheses around an expression.
var currentTime = regexp.MustCompile(`(?i)^\(?\s*(current_timestamp|now|localtimestamp)\s*(\(\s*\d*\s*\))?\s*\)?$`)

// sameDefault compares two default expressions: equal text, or two
// spellings of the current timestamp (a hand-written
// DEFAULT CURRENT_TIMESTAMP on a TIMESTAMP column and the models'
// current_timestamp(6) on MariaDB are not a change: rewriting one as the
// other cannot hold on a column of the other precision, and every diff
// would write it again).
func sameDefault(a, b string) bool {
	if a == b {
		return true
	}
	return currentTime.MatchString(strings.TrimSpace(a)) && currentTime.MatchString(strings.TrimSpace(b))
}

package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/golang-migrate/migrate/v4/database"
	"github.com/sirupsen/logrus"
)

// MigrationError is a migration file that failed: which file, which
// statement (1-based index and the line it starts on), and the database's
// error. The file's statements were rolled back (each file runs in one
// transaction), but golang-migrate has marked the database dirty: Recover
// is the version to pass to Force once the cause is fixed.
type MigrationError struct {
	Version   uint
	Direction string // "up" or "down"
	File      string // file name inside the migrations source
	Index     int    // the failed statement's position in the file, 1-based
	Line      int    // the line the statement starts on
	Statement string
	// Recover is the version the database is really at after the
	// rollback (-1 for none): `arctl migrate force <Recover>`.
	Recover int
	// Dirty is the version golang-migrate marked dirty (the target of
	// the failed step).
	Dirty int
	Err   error
	// Applied are the statements of the file that ran before the failed
	// one and were not rolled back: on a database whose DDL is not
	// transactional (MySQL, MariaDB) a file with DDL runs statement by
	// statement, and what ran stays. Empty where the file was rolled back.
	Applied []string
}

func (e *MigrationError) Error() string {
	stmt := e.Statement
	if len(stmt) > 500 {
		stmt = stmt[:500] + " ..."
	}
	msg := fmt.Sprintf("arc: migration %s failed at statement %d (line %d): %v\n  statement: %s",
		e.File, e.Index, e.Line, e.Err, stmt)
	if len(e.Applied) > 0 {
		msg += fmt.Sprintf("\n  already applied, NOT rolled back (DDL is not transactional on this database): statements 1-%d of the file:", len(e.Applied))
		for _, a := range e.Applied {
			a = strings.Join(strings.Fields(stripComments(a)), " ")
			if len(a) > 200 {
				a = a[:200] + " ..."
			}
			msg += "\n    " + a
		}
		msg += fmt.Sprintf("\n  the database is dirty at version %d: undo or finish these statements by hand, then force the version the schema is at", e.Dirty)
	}
	return msg
}

// Unwrap returns the database's error.
func (e *MigrationError) Unwrap() error { return e.Err }

// driver wraps a golang-migrate database driver and replaces its Run: Arc
// splits each file into statements and runs them itself, so that a
// failure names the statement, each file is one transaction on both
// dialects, and files that manage their own transaction (SQLite table
// rebuilds: PRAGMA foreign_keys=OFF; BEGIN; ...; COMMIT) run unwrapped on
// one connection. Versioning, locking and the dirty flag stay
// golang-migrate's.
type driver struct {
	database.Driver
	db *sql.DB

	mu       sync.Mutex
	ctx      context.Context
	cur      int // last clean version seen
	target   int // target of the migration being run
	files    func(version uint, up bool) string
	lastFail *MigrationError
	log      *logrus.Logger // each statement at Debug level, when set
	// noDDLTx: the database's DDL is not transactional (the dialect lacks
	// dialect.TransactionalDDL), so a file with DDL runs statement by
	// statement and a failure reports what stays applied.
	noDDLTx bool
}

func (d *driver) setContext(ctx context.Context) {
	d.mu.Lock()
	d.ctx = ctx
	d.lastFail = nil
	d.mu.Unlock()
}

func (d *driver) context() context.Context {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ctx == nil {
		return context.Background()
	}
	return d.ctx
}

func (d *driver) Version() (int, bool, error) {
	v, dirty, err := d.Driver.Version()
	if err == nil && !dirty {
		d.mu.Lock()
		d.cur = v
		d.mu.Unlock()
	}
	return v, dirty, err
}

func (d *driver) SetVersion(version int, dirty bool) error {
	if err := d.Driver.SetVersion(version, dirty); err != nil {
		return err
	}
	d.mu.Lock()
	if dirty {
		d.target = version
	} else {
		d.cur = version
	}
	d.mu.Unlock()
	return nil
}

// Run executes one migration file.
func (d *driver) Run(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	d.mu.Lock()
	cur, target := d.cur, d.target
	d.mu.Unlock()
	var version uint
	up := target > cur
	if up {
		version = uint(target)
	} else {
		version = uint(max(cur, 0))
	}
	stmts := splitStatements(string(body))
	if d.log != nil && d.log.IsLevelEnabled(logrus.DebugLevel) {
		name := ""
		if d.files != nil {
			name = d.files(version, up)
		}
		for _, s := range stmts {
			d.log.Debugf("%s: %s", name, s.SQL)
		}
	}
	idx, applied, err := runStatements(d.context(), d.db, string(body), stmts, d.noDDLTx)
	if err == nil {
		return nil
	}
	me := &MigrationError{Version: version, Direction: "down", Recover: cur, Dirty: target, Err: err, Index: idx + 1}
	for _, s := range stmts[:applied] {
		me.Applied = append(me.Applied, s.SQL)
	}
	if up {
		me.Direction = "up"
	}
	if d.files != nil {
		me.File = d.files(version, up)
	}
	if me.File == "" {
		me.File = fmt.Sprintf("%d.%s", version, me.Direction)
	}
	if idx >= 0 && idx < len(stmts) {
		me.Statement, me.Line = stmts[idx].SQL, stmts[idx].Line
	}
	d.mu.Lock()
	d.lastFail = me
	d.mu.Unlock()
	return me
}

// selfManaged reports whether a file controls its own transaction: it has
// BEGIN/COMMIT, toggles SQLite's foreign_keys, says
// "-- arc:no-transaction", or builds an index CONCURRENTLY (PostgreSQL
// refuses that inside a transaction).
func selfManaged(body string, stmts []statement) bool {
	if strings.Contains(body, "arc:no-transaction") {
		return true
	}
	for _, s := range stmts {
		w := firstWords(s.SQL, 3)
		if len(w) == 0 {
			continue
		}
		switch w[0] {
		case "BEGIN", "COMMIT", "END", "ROLLBACK", "START":
			return true
		case "PRAGMA":
			if len(w) > 1 && strings.HasPrefix(w[1], "FOREIGN_KEYS") {
				return true
			}
		case "CREATE", "DROP", "REINDEX":
			if strings.Contains(strings.ToUpper(s.SQL), "CONCURRENTLY") {
				return true
			}
		}
	}
	return false
}

// hasDDL reports whether a file has a statement that MySQL commits
// implicitly (CREATE, ALTER, DROP, RENAME, TRUNCATE).
func hasDDL(stmts []statement) bool {
	for _, s := range stmts {
		if w := firstWords(s.SQL, 1); len(w) > 0 {
			switch w[0] {
			case "CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE":
				return true
			}
		}
	}
	return false
}

// runStatements runs a file's statements and returns the index of the
// one that failed (-1 when the failure is not a statement's) and how many
// statements before it stay applied (0 when the file was rolled back).
// Without transactional DDL (noDDLTx) a file with DDL runs statement by
// statement outside a transaction, so that what stays applied is exactly
// the statements before the failed one; a file of DML alone still runs
// in one transaction.
func runStatements(ctx context.Context, db *sql.DB, body string, stmts []statement, noDDLTx bool) (int, int, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return -1, 0, err
	}
	defer conn.Close()
	if noDDLTx && hasDDL(stmts) {
		for i, s := range stmts {
			if err := execOne(ctx, conn, s.SQL); err != nil {
				return i, i, err
			}
		}
		return -1, 0, nil
	}
	idx, err := runInTx(ctx, conn, body, stmts)
	return idx, 0, err
}

func runInTx(ctx context.Context, conn *sql.Conn, body string, stmts []statement) (int, error) {
	if selfManaged(body, stmts) {
		inTx, fkOff := false, false
		for i, s := range stmts {
			w := firstWords(s.SQL, 2)
			if err := execOne(ctx, conn, s.SQL); err != nil {
				if inTx {
					_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
				}
				if fkOff {
					_, _ = conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys=ON")
				}
				return i, err
			}
			if len(w) > 0 {
				switch w[0] {
				case "BEGIN", "START":
					inTx = true
				case "COMMIT", "END", "ROLLBACK":
					inTx = false
				case "PRAGMA":
					p := strings.ToUpper(strings.Join(strings.Fields(s.SQL), ""))
					if strings.HasPrefix(p, "PRAGMAFOREIGN_KEYS=") {
						v := strings.TrimPrefix(p, "PRAGMAFOREIGN_KEYS=")
						fkOff = v == "OFF" || v == "0" || v == "FALSE" || v == "NO"
					}
				}
			}
		}
		return -1, nil
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return -1, err
	}
	for i, s := range stmts {
		if err := execOne(ctx, tx, s.SQL); err != nil {
			_ = tx.Rollback()
			return i, err
		}
	}
	if err := tx.Commit(); err != nil {
		return -1, fmt.Errorf("commit: %w", err)
	}
	return -1, nil
}

type execQuerier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// execOne runs one statement. SQLite's PRAGMA foreign_key_check returns
// the violations as rows rather than failing; Arc turns rows into an error.
func execOne(ctx context.Context, x execQuerier, q string) error {
	w := firstWords(q, 2)
	if len(w) == 2 && w[0] == "PRAGMA" && strings.HasPrefix(w[1], "FOREIGN_KEY_CHECK") {
		rows, err := x.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		var bad []string
		for rows.Next() {
			var table, parent string
			var rowid sql.NullInt64
			var fkid int
			if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
				return err
			}
			bad = append(bad, fmt.Sprintf("%s rowid %d -> %s", table, rowid.Int64, parent))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(bad) > 0 {
			return fmt.Errorf("%w: foreign key violations: %s", errFKCheck, strings.Join(bad, "; "))
		}
		return nil
	}
	_, err := x.ExecContext(ctx, q)
	return err
}

var errFKCheck = errors.New("foreign_key_check failed")

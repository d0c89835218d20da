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
}

func (e *MigrationError) Error() string {
	stmt := e.Statement
	if len(stmt) > 500 {
		stmt = stmt[:500] + " ..."
	}
	return fmt.Sprintf("arc: migration %s failed at statement %d (line %d): %v\n  statement: %s",
		e.File, e.Index, e.Line, e.Err, stmt)
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
	idx, err := runStatements(d.context(), d.db, string(body), stmts)
	if err == nil {
		return nil
	}
	me := &MigrationError{Version: version, Direction: "down", Recover: cur, Dirty: target, Err: err, Index: idx + 1}
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

// runStatements runs a file's statements and returns the index of the
// one that failed (-1 when the failure is not a statement's).
func runStatements(ctx context.Context, db *sql.DB, body string, stmts []statement) (int, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return -1, err
	}
	defer conn.Close()
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

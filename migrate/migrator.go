package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	gm "github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	gmmysql "github.com/golang-migrate/migrate/v4/database/mysql"
	gmpostgres "github.com/golang-migrate/migrate/v4/database/postgres"
	gmsqlite "github.com/golang-migrate/migrate/v4/database/sqlite3"
	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
)

// NilVersion is the version of a database on which no migration has been
// applied; Force(ctx, NilVersion) forgets every applied migration.
const NilVersion = -1

// MigrationsTable is the table golang-migrate keeps the version in.
const MigrationsTable = "schema_migrations"

// Errors of the migrate package, for errors.Is.
var (
	// ErrDirty: a migration failed part-way and the database is marked
	// dirty; fix the cause and Force a version.
	ErrDirty = errors.New("arc: database is dirty")
	// ErrNoFile: the database's version has no migration file.
	ErrNoFile = errors.New("arc: no migration file for the database's version")
	// ErrSchemaDrift is returned by Check when the models and the database differ.
	ErrSchemaDrift = errors.New("arc: models and database schema differ")
	// ErrNotAtLatest: Diff refuses a database that has not applied every migration file.
	ErrNotAtLatest = errors.New("arc: database is not at the latest migration")
	// ErrShortLimit: a step count went past the first or last migration.
	ErrShortLimit = errors.New("arc: not enough migrations")
)

// Option configures a Migrator.
type Option func(*Migrator)

// WithLogger sends golang-migrate's progress lines ("1/u create_users
// (3ms)") to l at Info level. Without it they are dropped.
func WithLogger(l *logrus.Logger) Option { return func(m *Migrator) { m.log = l } }

// WithDatabaseURL gives the URL golang-migrate's own pool is opened from,
// for New with an engine whose URL hides a password.
func WithDatabaseURL(u string) Option { return func(m *Migrator) { m.rawURL = u } }

// Migrator runs versioned SQL migrations with golang-migrate. It has its
// own connection pool (golang-migrate's Close closes the pool it is given,
// so it never gets the engine's). Each file runs in one transaction,
// statement by statement, so a failure names the statement and leaves
// nothing half-applied; files that manage their own transaction (SQLite
// table rebuilds) run as written. Not safe for concurrent use.
type Migrator struct {
	src    Source
	m      *gm.Migrate
	drv    *driver
	db     *sql.DB
	shared bool // db is an in-memory SQLite engine's pool: never closed here
	log    *logrus.Logger
	rawURL string
	xopts  URLOptions
	files  []File
	stop   chan bool
}

// Open returns a Migrator for the database at rawURL (Arc's URL forms:
// sqlite:///file.db, postgres://...) and the migration files in src.
func Open(ctx context.Context, rawURL string, src Source, opts ...Option) (*Migrator, error) {
	m := &Migrator{src: src, rawURL: rawURL}
	for _, o := range opts {
		o(m)
	}
	clean, xopts, err := SplitURL(m.rawURL)
	if err != nil {
		return nil, fmt.Errorf("arc: migrate: %w", err)
	}
	m.xopts = xopts
	u, err := url.Parse(clean)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("arc: migrate: bad database URL %q (want sqlite:///file.db or postgres://...)", redact(m.rawURL))
	}
	d, err := dialect.Lookup(strings.ToLower(u.Scheme))
	if err != nil {
		return nil, fmt.Errorf("arc: migrate: %w", err)
	}
	dsn, copts, err := d.DSN(u)
	if err != nil {
		return nil, fmt.Errorf("arc: migrate: %w", err)
	}
	if copts.MaxOpenConns == 1 {
		return nil, fmt.Errorf("arc: migrate: %s is an in-memory database; use migrate.New with its engine", redact(m.rawURL))
	}
	db, err := sql.Open(d.DriverName(), dsn)
	if err != nil {
		return nil, fmt.Errorf("arc: migrate: %w", err)
	}
	if err := m.init(ctx, d, db); err != nil {
		_ = db.Close()
		return nil, err
	}
	return m, nil
}

// New returns a Migrator for the engine's database. golang-migrate gets a
// pool of its own, opened from the engine's URL (or WithDatabaseURL); an
// in-memory SQLite database, which a second pool cannot see, shares the
// engine's pool instead.
func New(ctx context.Context, eng *engine.Engine, src Source, opts ...Option) (*Migrator, error) {
	m := &Migrator{src: src, rawURL: eng.URL()}
	for _, o := range opts {
		o(m)
	}
	if eng.DB().Stats().MaxOpenConnections == 1 && inMemory(eng) {
		m.shared = true
		if err := m.init(ctx, eng.Dialect(), eng.DB()); err != nil {
			return nil, err
		}
		return m, nil
	}
	if strings.Contains(m.rawURL, ":xxxxx@") {
		return nil, errors.New("arc: migrate: the engine's URL hides its password; pass migrate.WithDatabaseURL")
	}
	return Open(ctx, m.rawURL, src, opts...)
}

// inMemory reports whether the engine's database lives in its pool only
// (SQLite :memory:): its dialect caps a pool of that URL at one
// connection, which a second pool could not see.
func inMemory(eng *engine.Engine) bool {
	clean, _, err := SplitURL(eng.URL())
	if err != nil {
		return false
	}
	u, err := url.Parse(clean)
	if err != nil {
		return false
	}
	_, opts, err := eng.Dialect().DSN(u)
	return err == nil && opts.MaxOpenConns == 1
}

func (m *Migrator) init(ctx context.Context, d dialect.Dialect, db *sql.DB) error {
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("arc: migrate: cannot connect to %s: %w", redact(m.rawURL), err)
	}
	files, ignored, err := m.src.Files()
	if err != nil {
		return err
	}
	m.files = files
	for _, n := range ignored {
		if m.log != nil && IsMigrationFile(strings.TrimSuffix(n, path.Ext(n))) {
			m.log.Warnf("migrate: ignoring %s in %s: not a migration (only NNN_name.up.sql and .down.sql are)", n, m.src)
		}
	}
	srcDrv, err := m.src.driver()
	if err != nil {
		return fmt.Errorf("arc: migrate: source %s: %w", m.src, err)
	}
	dbDrv, err := databaseDriver(d, db, m.xopts)
	if err != nil {
		_ = srcDrv.Close()
		return fmt.Errorf("arc: migrate: %w", err)
	}
	m.db = db
	m.drv = &driver{Driver: dbDrv, db: db, files: m.fileName, log: m.log, noDDLTx: !d.Has(dialect.TransactionalDDL)}
	gmm, err := gm.NewWithInstance("arc", srcDrv, d.Name(), m.drv)
	if err != nil {
		_ = srcDrv.Close()
		return fmt.Errorf("arc: migrate: %w", err)
	}
	if m.log != nil {
		gmm.Log = gmLogger{m.log}
	}
	m.stop = make(chan bool)
	gmm.GracefulStop = m.stop
	m.m = gmm
	return nil
}

// databaseDriver is the golang-migrate database driver for d's
// database, by the name the dialect gives it (dialect.MigrationDriver):
// sqlite3, postgres or mysql. The mysql driver gets no multiStatements:
// Arc splits every file into statements and runs them one by one.
func databaseDriver(d dialect.Dialect, db *sql.DB, o URLOptions) (database.Driver, error) {
	md, ok := d.(dialect.MigrationDriver)
	if !ok {
		return nil, fmt.Errorf("no golang-migrate driver for dialect %s (it does not implement dialect.MigrationDriver)", d.Name())
	}
	switch name := md.MigrationDriver(); name {
	case "sqlite3":
		return gmsqlite.WithInstance(db, &gmsqlite.Config{MigrationsTable: o.table()})
	case "postgres":
		return gmpostgres.WithInstance(db, &gmpostgres.Config{MigrationsTable: o.table(),
			MigrationsTableQuoted: o.MigrationsTableQuoted, StatementTimeout: o.StatementTimeout})
	case "mysql":
		return gmmysql.WithInstance(db, &gmmysql.Config{MigrationsTable: o.table()})
	default:
		return nil, fmt.Errorf("dialect %s names golang-migrate driver %q, which Arc does not link in (sqlite3, postgres, mysql)", d.Name(), name)
	}
}

type gmLogger struct{ l *logrus.Logger }

func (g gmLogger) Printf(format string, v ...any) {
	g.l.Info(strings.TrimRight(fmt.Sprintf(format, v...), "\n"))
}
func (g gmLogger) Verbose() bool { return false }

func (m *Migrator) fileName(version uint, up bool) string {
	for _, f := range m.files {
		if f.Version == version {
			if up {
				return f.Up
			}
			return f.Down
		}
	}
	return ""
}

// Files returns the migration files of the source.
func (m *Migrator) Files() []File { return m.files }

// Source returns the migrator's source.
func (m *Migrator) Source() Source { return m.src }

// Close releases the migrator's pool (never an engine's).
func (m *Migrator) Close() error {
	if m.m == nil {
		return nil
	}
	if m.shared {
		return nil
	}
	srcErr, dbErr := m.m.Close()
	m.m = nil
	return errors.Join(srcErr, dbErr)
}

// run wraps a golang-migrate call: ctx cancellation stops between files,
// ErrNoChange is success, and errors become Arc's.
func (m *Migrator) run(ctx context.Context, fn func() error) error {
	if m.m == nil {
		return errors.New("arc: migrate: migrator is closed")
	}
	if err := m.checkVersionFile(ctx); err != nil {
		return err
	}
	if err := m.verifySum(ctx); err != nil {
		return err
	}
	m.drv.setContext(ctx)
	done := make(chan struct{})
	defer close(done)
	if ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				// Unbuffered: delivered only while golang-migrate polls
				// it, so nothing stale is left for the next call.
				select {
				case m.stop <- true:
				case <-done:
				}
			case <-done:
			}
		}()
	}
	err := fn()
	if err == nil || errors.Is(err, gm.ErrNoChange) {
		return ctx.Err()
	}
	return m.translate(err)
}

func (m *Migrator) translate(err error) error {
	var me *MigrationError
	if errors.As(err, &me) {
		return err
	}
	var de gm.ErrDirty
	if errors.As(err, &de) {
		return fmt.Errorf("%w at version %d: a migration failed part-way; fix the cause, then force the version the schema is really at", ErrDirty, de.Version)
	}
	var se gm.ErrShortLimit
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %d step(s) short", ErrShortLimit, se.Short)
	}
	if errors.Is(err, gm.ErrNilVersion) {
		return fmt.Errorf("%w: no migration has been applied", ErrShortLimit)
	}
	if errors.Is(err, gm.ErrInvalidVersion) {
		return fmt.Errorf("arc: migrate: invalid version: %w", err)
	}
	return fmt.Errorf("arc: migrate: %w", err)
}

// checkVersionFile fails when the database is at a version that has no
// file (deleted, or from another branch): golang-migrate cannot move from it.
func (m *Migrator) checkVersionFile(ctx context.Context) error {
	v, dirty, err := m.Version(ctx)
	if err != nil || v == NilVersion || dirty {
		return err
	}
	for _, f := range m.files {
		if f.Version == uint(v) {
			return nil
		}
	}
	return fmt.Errorf("%w: the database is at version %d, which has no file in %s (restored the file, or switched branches?); `force` a version that exists",
		ErrNoFile, v, m.src)
}

// Up applies every pending migration.
func (m *Migrator) Up(ctx context.Context) error { return m.run(ctx, m.m.Up) }

// Down reverts every applied migration.
func (m *Migrator) Down(ctx context.Context) error { return m.run(ctx, m.m.Down) }

// Steps applies n pending migrations (n > 0) or reverts -n applied ones
// (n < 0). Going past the last or before the first migration is
// ErrShortLimit, and then nothing is run.
func (m *Migrator) Steps(ctx context.Context, n int) error {
	if n == 0 {
		return nil
	}
	v, dirty, err := m.Version(ctx)
	if err != nil {
		return err
	}
	if !dirty {
		applied, pending := 0, 0
		for _, f := range m.files {
			if v != NilVersion && f.Version <= uint(v) {
				applied++
			} else {
				pending++
			}
		}
		if n > pending {
			return fmt.Errorf("%w: asked to apply %d, %d pending", ErrShortLimit, n, pending)
		}
		if -n > applied {
			return fmt.Errorf("%w: asked to revert %d, %d applied (a down past version 0)", ErrShortLimit, -n, applied)
		}
	}
	return m.run(ctx, func() error { return m.m.Steps(n) })
}

// Goto migrates up or down to version v, which must have a file.
func (m *Migrator) Goto(ctx context.Context, v uint) error {
	found := false
	for _, f := range m.files {
		found = found || f.Version == v
	}
	if !found {
		return fmt.Errorf("%w: no migration file has version %d in %s", ErrNoFile, v, m.src)
	}
	return m.run(ctx, func() error { return m.m.Migrate(v) })
}

// Force records version v (NilVersion for none) as applied and clean,
// running nothing: the way out of a dirty database.
func (m *Migrator) Force(ctx context.Context, v int) error {
	if m.m == nil {
		return errors.New("arc: migrate: migrator is closed")
	}
	if v < NilVersion {
		return fmt.Errorf("arc: migrate: force %d: versions are >= 0, or -1 for none", v)
	}
	if err := m.m.Force(v); err != nil {
		return m.translate(err)
	}
	return ctx.Err()
}

// Version returns the applied version (NilVersion when none) and whether
// the database is dirty.
func (m *Migrator) Version(ctx context.Context) (version int, dirty bool, err error) {
	if m.m == nil {
		return 0, false, errors.New("arc: migrate: migrator is closed")
	}
	v, d, err := m.m.Version()
	if errors.Is(err, gm.ErrNilVersion) {
		return NilVersion, false, nil
	}
	if err != nil {
		return 0, false, m.translate(err)
	}
	return int(v), d, ctx.Err()
}

// FileStatus is one migration's state in a database.
type FileStatus struct {
	File
	Applied bool
	// Dirty marks the version the database is dirty at.
	Dirty bool
}

// Status is the state of every migration file plus the database's version.
type Status struct {
	Version int // NilVersion when none
	Dirty   bool
	Files   []FileStatus
	// Missing is set when the database's version has no file.
	Missing bool
	// Ignored lists files whose names do not follow NNN_name.up|down.ext.
	Ignored []string
}

// Status reports, for each migration file, whether it is applied or
// pending, and which version is dirty. golang-migrate keeps only the
// current version, so "applied" means "at or below it".
func (m *Migrator) Status(ctx context.Context) (*Status, error) {
	v, dirty, err := m.Version(ctx)
	if err != nil {
		return nil, err
	}
	_, ignored, err := m.src.Files()
	if err != nil {
		return nil, err
	}
	ignored = slices.DeleteFunc(ignored, func(n string) bool { return n == SumFile })
	st := &Status{Version: v, Dirty: dirty, Ignored: ignored, Missing: v != NilVersion}
	for _, f := range m.files {
		fs := FileStatus{File: f}
		if v != NilVersion && f.Version <= uint(v) {
			fs.Applied = true
		}
		if v != NilVersion && f.Version == uint(v) {
			st.Missing = false
			fs.Dirty = dirty
		}
		st.Files = append(st.Files, fs)
	}
	return st, nil
}

// Latest is the newest version among the files (NilVersion when none).
func (m *Migrator) Latest() int {
	if len(m.files) == 0 {
		return NilVersion
	}
	return int(m.files[len(m.files)-1].Version)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

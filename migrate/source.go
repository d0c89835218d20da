package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	gmsource "github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// Source is where migration files live: a directory on disk (Dir) or a
// directory inside an fs.FS such as an embed.FS (FS). File names follow
// golang-migrate: NNNNNN_name.up.sql and NNNNNN_name.down.sql.
type Source struct {
	dir  string // set for Dir
	fsys fs.FS
	path string
}

// Dir is a migrations directory on disk (golang-migrate's file source).
func Dir(dir string) Source { return Source{dir: dir, fsys: os.DirFS(dir), path: "."} }

// FS is a migrations directory inside fsys, for example an embed.FS
// (golang-migrate's iofs source). path is "." for the root.
func FS(fsys fs.FS, path string) Source { return Source{fsys: fsys, path: path} }

// String names the source for messages.
func (s Source) String() string {
	if s.dir != "" {
		return s.dir
	}
	return "fs:" + s.path
}

// IsDir reports whether the source is a directory on disk, where Create
// and WriteDiff can write.
func (s Source) IsDir() bool { return s.dir != "" }

// DirPath is the directory of a Dir source ("" for FS).
func (s Source) DirPath() string { return s.dir }

func (s Source) driver() (gmsource.Driver, error) {
	if s.fsys == nil {
		return nil, errors.New("arc: migrate: no migrations source (use migrate.Dir or migrate.FS)")
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	// golang-migrate's own sources take any NNN_x.up.* name (a
	// 000006_x.up.sql.bak would run); they read the directory through a
	// filter that shows them only what Files lists.
	return iofs.New(migrationsOnly{s.fsys}, s.path)
}

// migrationFileRe is the exact name of a migration file.
var migrationFileRe = regexp.MustCompile(`^([0-9]+)_(.+)\.(up|down)\.sql$`)

// IsMigrationFile reports whether a file name is a migration:
// NNN_name.up.sql or NNN_name.down.sql exactly. Other names in the
// directory (README, 000006_x.up.sql.bak, .orig) are ignored.
func IsMigrationFile(name string) bool { return migrationFileRe.MatchString(name) }

// migrationsOnly hides the files that are not migrations from ReadDir.
type migrationsOnly struct{ fs.FS }

func (m migrationsOnly) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(m.FS, name)
	return slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return e.IsDir() || !IsMigrationFile(e.Name()) }), err
}

func (s Source) check() error {
	st, err := fs.Stat(s.fsys, s.path)
	if err != nil {
		return fmt.Errorf("arc: migrations directory %s: %w", s, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("arc: migrations source %s is not a directory", s)
	}
	return nil
}

// File is one migration version found in a source.
type File struct {
	Version uint
	Name    string // the part between the version and .up.sql
	Up      string // file name of the up migration, "" when missing
	Down    string // file name of the down migration, "" when missing
}

// Files lists the source's migrations by version. Only exact
// NNN_name.up.sql and NNN_name.down.sql names are migrations; the other
// files are returned in ignored (and never run: the migrator reads the
// directory through the same filter). Two files for the same version and
// direction are an error.
func (s Source) Files() (files []File, ignored []string, err error) {
	if err := s.check(); err != nil {
		return nil, nil, err
	}
	entries, err := fs.ReadDir(s.fsys, s.path)
	if err != nil {
		return nil, nil, fmt.Errorf("arc: read migrations %s: %w", s, err)
	}
	byVersion := map[uint]*File{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m, perr := gmsource.Parse(e.Name())
		if perr != nil || !IsMigrationFile(e.Name()) {
			ignored = append(ignored, e.Name())
			continue
		}
		f := byVersion[m.Version]
		if f == nil {
			f = &File{Version: m.Version, Name: m.Identifier}
			byVersion[m.Version] = f
		}
		slot := &f.Up
		if m.Direction == gmsource.Down {
			slot = &f.Down
		}
		if *slot != "" {
			return nil, nil, fmt.Errorf("arc: migrations %s: two %s files for version %d: %s and %s",
				s, m.Direction, m.Version, *slot, e.Name())
		}
		*slot = e.Name()
	}
	for _, f := range byVersion {
		files = append(files, *f)
	}
	slices.SortFunc(files, func(a, b File) int {
		switch {
		case a.Version < b.Version:
			return -1
		case a.Version > b.Version:
			return 1
		}
		return 0
	})
	return files, ignored, nil
}

// Numbering chooses how Create numbers new files.
type Numbering int

// Numbering schemes.
const (
	// Auto keeps the directory's scheme: timestamps if the newest file's
	// version has 14 digits, else sequence numbers (also for an empty
	// directory).
	Auto Numbering = iota
	// Sequence numbers files 000001, 000002, ... (zero-padded to Digits).
	Sequence
	// Timestamp numbers files with the UTC time, 20060102150405.
	Timestamp
)

// CreateOptions configure Create.
type CreateOptions struct {
	Numbering Numbering
	// Digits pads sequence numbers (default 6).
	Digits int
	// Now is the clock for timestamps (default time.Now).
	Now func() time.Time
	// Up and Down are the files' contents (default: a comment line each;
	// golang-migrate's drivers dislike empty files).
	Up, Down string
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// Create writes the next NNNNNN_name.up.sql / .down.sql pair into dir
// and returns their paths. name may contain letters, digits and
// underscores (spaces and dashes become underscores).
func Create(dir, name string, opts CreateOptions) (up, down string, err error) {
	name = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, strings.TrimSpace(name))
	if name == "" || !nameRe.MatchString(name) {
		return "", "", fmt.Errorf("arc: migration name %q: use letters, digits and underscores", name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("arc: create migration: %w", err)
	}
	if err := checkBeforeCreate(dir); err != nil {
		return "", "", err
	}
	version, err := nextVersion(dir, opts)
	if err != nil {
		return "", "", err
	}
	upBody, downBody := opts.Up, opts.Down
	if upBody == "" {
		upBody = "-- " + name + ": up\n"
	}
	if downBody == "" {
		downBody = "-- " + name + ": down\n"
	}
	up = filepath.Join(dir, version+"_"+name+".up.sql")
	down = filepath.Join(dir, version+"_"+name+".down.sql")
	if err := writeNew(up, upBody); err != nil {
		return "", "", err
	}
	if err := writeNew(down, downBody); err != nil {
		_ = os.Remove(up)
		return "", "", err
	}
	if err := Hash(dir); err != nil {
		return up, down, err
	}
	return up, down, nil
}

func writeNew(p, body string) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("arc: create migration: %w", err)
	}
	if _, err := f.WriteString(body); err != nil {
		f.Close()
		return fmt.Errorf("arc: create migration %s: %w", path.Base(p), err)
	}
	return f.Close()
}

package migrate

import (
	"context"
	"fmt"
	"io/fs"
	"path"
)

// Step is one migration file a move would run.
type Step struct {
	Version   uint
	Direction string // "up" or "down"
	File      string // file name inside the source
	SQL       string // the file's content
}

// verifySum checks the source against its SumFile (see VerifySum).
func (m *Migrator) verifySum(ctx context.Context) error {
	v, dirty, err := m.Version(ctx)
	if err != nil || dirty {
		return err
	}
	return m.src.VerifySum(v)
}

// Plan returns the files that moving to version to (NilVersion: down to
// nothing) would run, in order, without running them: `arctl migrate up
// --dry-run`. It fails as the move would: dirty database, a version
// without a file, a checksum mismatch, a missing down file.
func (m *Migrator) Plan(ctx context.Context, to int) ([]Step, error) {
	if m.m == nil {
		return nil, fmt.Errorf("arc: migrate: migrator is closed")
	}
	if err := m.checkVersionFile(ctx); err != nil {
		return nil, err
	}
	if err := m.verifySum(ctx); err != nil {
		return nil, err
	}
	cur, dirty, err := m.Version(ctx)
	if err != nil {
		return nil, err
	}
	if dirty {
		return nil, fmt.Errorf("%w at version %d: force a version first", ErrDirty, cur)
	}
	var steps []Step
	add := func(f File, up bool) error {
		st := Step{Version: f.Version, Direction: "up", File: f.Up}
		if !up {
			st.Direction, st.File = "down", f.Down
		}
		if st.File == "" {
			return fmt.Errorf("%w: version %d has no %s file in %s", ErrNoFile, f.Version, st.Direction, m.src)
		}
		b, err := fs.ReadFile(m.src.fsys, path.Join(m.src.path, st.File))
		if err != nil {
			return fmt.Errorf("arc: migrate: %w", err)
		}
		st.SQL = string(b)
		steps = append(steps, st)
		return nil
	}
	if to >= cur {
		for _, f := range m.files {
			if (cur == NilVersion || f.Version > uint(cur)) && f.Version <= uint(max(to, 0)) && to != NilVersion {
				if err := add(f, true); err != nil {
					return nil, err
				}
			}
		}
		return steps, nil
	}
	for i := len(m.files) - 1; i >= 0; i-- {
		f := m.files[i]
		if f.Version <= uint(cur) && (to == NilVersion || f.Version > uint(to)) {
			if err := add(f, false); err != nil {
				return nil, err
			}
		}
	}
	return steps, nil
}

// Target returns the version n steps from the database's (n > 0 up,
// n < 0 down; 0: the newest file), for Plan. Going past the first or last
// file is ErrShortLimit.
func (m *Migrator) Target(ctx context.Context, n int) (int, error) {
	cur, _, err := m.Version(ctx)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return max(m.Latest(), cur), nil
	}
	idx := -1 // index of the current version's file
	for i, f := range m.files {
		if cur != NilVersion && f.Version <= uint(cur) {
			idx = i
		}
	}
	j := idx + n
	switch {
	case j >= len(m.files):
		return 0, fmt.Errorf("%w: asked to apply %d, %d pending", ErrShortLimit, n, len(m.files)-1-idx)
	case j < -1:
		return 0, fmt.Errorf("%w: asked to revert %d, %d applied", ErrShortLimit, -n, idx+1)
	case j == -1:
		return NilVersion, nil
	}
	return int(m.files[j].Version), nil
}

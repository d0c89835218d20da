package migrate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// SumFile is the checksum file of a migrations directory, like Atlas'
// atlas.sum. Its first line is "h1:" and the hash of the lines after it;
// each further line is a migration file's name and "h1:" plus the
// SHA-256 of its content (base64). Files are listed in the order they
// were added (Create and WriteDiff append; Hash keeps the order of the
// entries it finds and appends new files by version).
//
// Commit it with the migrations: two branches that each add a migration
// both change it, so git reports a conflict instead of merging the two
// silently.
const SumFile = "arc.sum"

// ErrChecksum: the migrations directory does not match its SumFile (a
// file edited, added or removed since it was written), or a file was
// added with a version below one the database already has.
var ErrChecksum = errors.New("arc: migrations checksum mismatch")

type sumEntry struct{ name, hash string }

// sumOf hashes one file's content.
func sumOf(b []byte) string {
	h := sha256.Sum256(b)
	return "h1:" + base64.StdEncoding.EncodeToString(h[:])
}

func sumTotal(entries []sumEntry) string {
	var b bytes.Buffer
	for _, e := range entries {
		b.WriteString(e.name + " " + e.hash + "\n")
	}
	return sumOf(b.Bytes())
}

// readSum reads the source's SumFile; ok is false when there is none.
func (s Source) readSum() (entries []sumEntry, total string, ok bool, err error) {
	b, err := fs.ReadFile(s.fsys, path.Join(s.path, SumFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("arc: %s: %w", SumFile, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	first := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if first {
			total, first = line, false
			continue
		}
		name, hash, found := strings.Cut(line, " ")
		if !found {
			return nil, "", false, fmt.Errorf("%w: %s in %s: malformed line %q (run `arctl migrate hash`)", ErrChecksum, SumFile, s, line)
		}
		entries = append(entries, sumEntry{name, strings.TrimSpace(hash)})
	}
	return entries, total, true, sc.Err()
}

// migrationNames lists the names of the source's migration files
// (both directions) in version order.
func (s Source) migrationNames() ([]File, []string, error) {
	files, _, err := s.Files()
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for _, f := range files {
		for _, n := range []string{f.Up, f.Down} {
			if n != "" {
				names = append(names, n)
			}
		}
	}
	return files, names, nil
}

// Hash writes dir's SumFile from the migration files in it: entries
// already listed keep their place, new files are appended in version
// order, removed files are dropped. Run it (`arctl migrate hash`) after
// editing a migration on purpose.
func Hash(dir string) error {
	src := Dir(dir)
	_, names, err := src.migrationNames()
	if err != nil {
		return err
	}
	old, _, _, err := src.readSum()
	if err != nil && !errors.Is(err, ErrChecksum) {
		return err
	}
	present := map[string]bool{}
	for _, n := range names {
		present[n] = true
	}
	var order []string
	seen := map[string]bool{}
	for _, e := range old {
		if present[e.name] && !seen[e.name] {
			order = append(order, e.name)
			seen[e.name] = true
		}
	}
	for _, n := range names {
		if !seen[n] {
			order = append(order, n)
		}
	}
	entries := make([]sumEntry, 0, len(order))
	for _, n := range order {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return fmt.Errorf("arc: hash migrations: %w", err)
		}
		entries = append(entries, sumEntry{n, sumOf(b)})
	}
	var b strings.Builder
	b.WriteString(sumTotal(entries) + "\n")
	for _, e := range entries {
		b.WriteString(e.name + " " + e.hash + "\n")
	}
	tmp := filepath.Join(dir, SumFile+".tmp")
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("arc: hash migrations: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, SumFile)); err != nil {
		return fmt.Errorf("arc: hash migrations: %w", err)
	}
	return nil
}

// VerifySum checks the source against its SumFile: every migration file
// listed with the hash of its content, nothing more, nothing less. A
// source without a SumFile passes (nil). version is the database's
// version (NilVersion for none): a file listed after the file of that
// version but numbered below it was added out of order, and golang-migrate
// would never run it, so it is an error too.
func (s Source) VerifySum(version int) error {
	entries, total, ok, err := s.readSum()
	if err != nil || !ok {
		return err
	}
	files, names, err := s.migrationNames()
	if err != nil {
		return err
	}
	listed := map[string]string{}
	for _, e := range entries {
		listed[e.name] = e.hash
	}
	var changed, added, removed []string
	present := map[string]bool{}
	for _, n := range names {
		present[n] = true
		want, in := listed[n]
		if !in {
			added = append(added, n)
			continue
		}
		b, err := fs.ReadFile(s.fsys, path.Join(s.path, n))
		if err != nil {
			return fmt.Errorf("arc: verify %s: %w", SumFile, err)
		}
		if sumOf(b) != want {
			changed = append(changed, n)
		}
	}
	for _, e := range entries {
		if !present[e.name] {
			removed = append(removed, e.name)
		}
	}
	var probs []string
	if len(changed) > 0 {
		probs = append(probs, "changed since "+SumFile+" was written: "+strings.Join(changed, ", "))
	}
	if len(added) > 0 {
		probs = append(probs, "not in "+SumFile+": "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		probs = append(probs, "listed in "+SumFile+" but missing: "+strings.Join(removed, ", "))
	}
	if len(probs) == 0 && sumTotal(entries) != total {
		probs = append(probs, SumFile+"'s own hash does not match its lines (edited by hand or a merge)")
	}
	if len(probs) > 0 {
		return fmt.Errorf("%w in %s: %s; if the change is intended (and no database has applied the old content), run `arctl migrate hash`",
			ErrChecksum, s, strings.Join(probs, "; "))
	}
	if version == NilVersion {
		return nil
	}
	// Out of order: listed after the database's version file, numbered below it.
	versionOf := map[string]uint{}
	for _, f := range files {
		versionOf[f.Up], versionOf[f.Down] = f.Version, f.Version
	}
	at := -1
	for i, e := range entries {
		if versionOf[e.name] == uint(version) {
			at = i
			break
		}
	}
	if at < 0 {
		return nil
	}
	var late []string
	for _, e := range entries[at+1:] {
		if v, ok := versionOf[e.name]; ok && v < uint(version) && strings.Contains(e.name, ".up.") && !slices.Contains(late, e.name) {
			late = append(late, e.name)
		}
	}
	if len(late) > 0 {
		return fmt.Errorf("%w in %s: %s added after version %d was applied but numbered below it: golang-migrate would never run it; renumber it above the newest version (then `arctl migrate hash`)",
			ErrChecksum, s, strings.Join(late, ", "), version)
	}
	return nil
}

// checkBeforeCreate refuses to add a migration to a directory whose
// SumFile no longer matches it: writing the new sum would silently bless
// the other change.
func checkBeforeCreate(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	return Dir(dir).VerifySum(NilVersion)
}

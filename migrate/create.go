package migrate

import (
	"fmt"
	"strings"
	"time"
)

// timestampFloor: a version at or above it is a timestamp (golang-migrate's
// 20060102150405 or Unix seconds), below it a sequence number.
const timestampFloor = 1_000_000_000

// nextVersion picks the version text of the next file in dir: the
// directory's scheme (sequence or timestamp) and, for sequences, its
// zero-padding width. It refuses to mix the two schemes.
func nextVersion(dir string, opts CreateOptions) (string, error) {
	files, _, err := Dir(dir).Files()
	if err != nil {
		return "", err
	}
	var last uint
	width, padded := 0, true
	var seqs, stamps []string
	for _, f := range files {
		fn := f.Up
		if fn == "" {
			fn = f.Down
		}
		if f.Version >= timestampFloor {
			stamps = append(stamps, fn)
		} else {
			seqs = append(seqs, fn)
		}
		last = f.Version
		width = strings.IndexByte(fn, '_')
		padded = strings.HasPrefix(fn, "0")
	}
	if len(seqs) > 0 && len(stamps) > 0 {
		return "", fmt.Errorf("arc: create migration: %s mixes sequence numbers (%s) and timestamps (%s); renumber the files to one scheme first",
			dir, seqs[len(seqs)-1], stamps[len(stamps)-1])
	}
	num := opts.Numbering
	switch {
	case num == Auto && len(stamps) > 0:
		num = Timestamp
	case num == Auto:
		num = Sequence
	case num == Timestamp && len(seqs) > 0:
		return "", fmt.Errorf("arc: create migration: %s numbers its files in sequence (newest %s); a timestamp would mix the two schemes: drop --timestamp, or start a new directory", dir, seqs[len(seqs)-1])
	case num == Sequence && len(stamps) > 0:
		return "", fmt.Errorf("arc: create migration: %s numbers its files by timestamp (newest %s); a sequence number would mix the two schemes: drop --seq, or start a new directory", dir, stamps[len(stamps)-1])
	}
	if num == Timestamp {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		t := now().UTC()
		version := t.Format("20060102150405")
		var v uint
		fmt.Sscan(version, &v)
		if v <= last {
			return "", fmt.Errorf("arc: create migration: timestamp %s is not after the newest version %d in %s", version, last, dir)
		}
		return version, nil
	}
	digits := opts.Digits
	switch {
	case len(seqs) > 0 && digits > 0 && digits != width:
		return "", fmt.Errorf("arc: create migration: %s pads its numbers to %d digits (%s); --digits %d would mix widths", dir, width, seqs[len(seqs)-1], digits)
	case len(seqs) > 0 && !padded:
		return fmt.Sprint(last + 1), nil // unpadded numbers (1_init.up.sql): keep them so
	case len(seqs) > 0:
		digits = width
	case digits <= 0:
		digits = 6
	}
	version := fmt.Sprintf("%0*d", digits, last+1)
	if len(version) > digits {
		return "", fmt.Errorf("arc: create migration: version %s has more than %d digits; renumber the directory with wider numbers", version, digits)
	}
	return version, nil
}

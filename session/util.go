package session

import (
	"cmp"
	"errors"
	"slices"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// sortStates orders states by table name, then key, for deterministic
// flush order.
func sortStates(sts []*state) {
	slices.SortFunc(sts, func(a, b *state) int {
		if c := cmp.Compare(a.cd.t.Name, b.cd.t.Name); c != 0 {
			return c
		}
		if c := cmp.Compare(a.key.num(), b.key.num()); c != 0 {
			return c
		}
		if c := cmp.Compare(a.key.str(), b.key.str()); c != 0 {
			return c
		}
		return 0
	})
}

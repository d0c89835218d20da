package session

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// sortStates orders states by table name, then key, for deterministic
// flush order.
func sortStates(sts []*state) {
	slices.SortFunc(sts, func(a, b *state) int {
		if c := cmp.Compare(a.t.Name, b.t.Name); c != 0 {
			return c
		}
		for i := range a.key.k {
			x, y := a.key.k[i], b.key.k[i]
			if x == y {
				continue
			}
			xi, ok1 := x.(int64)
			yi, ok2 := y.(int64)
			if ok1 && ok2 {
				return cmp.Compare(xi, yi)
			}
			return cmp.Compare(fmt.Sprint(x), fmt.Sprint(y))
		}
		return 0
	})
}

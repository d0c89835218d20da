// Package toposort orders nodes so that every node comes after the nodes it
// depends on, keeping the input order among independent nodes (so that
// results are deterministic). Standard library only.
package toposort

// Sort returns the indices 0..n-1 ordered so that for every edge dep(i)
// containing j (i depends on j, j != i), j comes before i. Self-edges are
// ignored. When there is a cycle, the nodes on it are returned in cycle,
// in input order, and ok is false; the rest of the order is still valid.
func Sort(n int, deps func(i int) []int) (order []int, cycle []int, ok bool) {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, n)
	order = make([]int, 0, n)
	var inCycle map[int]bool
	var visit func(i int, stack []int)
	visit = func(i int, stack []int) {
		color[i] = grey
		stack = append(stack, i)
		for _, j := range deps(i) {
			if j == i || j < 0 || j >= n {
				continue
			}
			switch color[j] {
			case white:
				visit(j, stack)
			case grey:
				if inCycle == nil {
					inCycle = map[int]bool{}
				}
				for k := len(stack) - 1; k >= 0; k-- {
					inCycle[stack[k]] = true
					if stack[k] == j {
						break
					}
				}
			}
		}
		color[i] = black
		order = append(order, i)
	}
	for i := 0; i < n; i++ {
		if color[i] == white {
			visit(i, nil)
		}
	}
	for i := 0; i < n; i++ {
		if inCycle[i] {
			cycle = append(cycle, i)
		}
	}
	return order, cycle, len(cycle) == 0
}

package toposort

import (
	"reflect"
	"testing"
)

func TestSort(t *testing.T) {
	tests := []struct {
		name      string
		deps      [][]int
		order     []int
		cycle     []int
		wantClean bool
	}{
		{"empty", nil, []int{}, nil, true},
		{"independent keeps input order", [][]int{{}, {}, {}}, []int{0, 1, 2}, nil, true},
		{"chain", [][]int{{1}, {2}, {}}, []int{2, 1, 0}, nil, true},
		// tutorial: post_keywords(0) -> posts(1), keywords(2); posts -> users(3); addresses(4) -> users
		{"tutorial", [][]int{{1, 2}, {3}, {}, {}, {3}}, []int{3, 1, 2, 0, 4}, nil, true},
		{"self edge ignored", [][]int{{0}, {0}}, []int{0, 1}, nil, true},
		{"out of range ignored", [][]int{{7, -1}}, []int{0}, nil, true},
		{"cycle", [][]int{{1}, {0}, {}}, []int{1, 0, 2}, []int{0, 1}, false},
		{"cycle with tail", [][]int{{1}, {2}, {1}, {0}}, []int{2, 1, 0, 3}, []int{1, 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order, cycle, ok := Sort(len(tt.deps), func(i int) []int { return tt.deps[i] })
			if !reflect.DeepEqual(order, tt.order) {
				t.Errorf("order = %v, want %v", order, tt.order)
			}
			if !reflect.DeepEqual(cycle, tt.cycle) {
				t.Errorf("cycle = %v, want %v", cycle, tt.cycle)
			}
			if ok != tt.wantClean {
				t.Errorf("ok = %v", ok)
			}
			if ok {
				pos := map[int]int{}
				for p, i := range order {
					pos[i] = p
				}
				for i, ds := range tt.deps {
					for _, j := range ds {
						if j != i && j >= 0 && j < len(tt.deps) && pos[j] > pos[i] {
							t.Errorf("%d comes before its dependency %d", i, j)
						}
					}
				}
			}
		})
	}
}

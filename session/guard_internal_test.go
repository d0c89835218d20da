package session

import "testing"

// BenchmarkGuard measures the in-use check every entry point pays: one
// compare-and-swap and one store when the session is not in use.
func BenchmarkGuard(b *testing.B) {
	var g guard
	for b.Loop() {
		held, err := g.enter("x")
		if err != nil {
			b.Fatal(err)
		}
		g.leave(held)
	}
}

func TestGuard(t *testing.T) {
	var g guard
	held, err := g.enter("a")
	if !held || err != nil {
		t.Fatal("first enter must hold")
	}
	if _, err := g.enter("b"); err == nil {
		t.Fatal("second enter must fail")
	}
	g.callbacks()
	if h, err := g.enter("c"); h || err != nil {
		t.Fatalf("enter from a callback: %v %v", h, err)
	}
	g.callbacksDone()
	g.leave(held)
	if held, err := g.enter("d"); !held || err != nil {
		t.Fatal("enter after leave must hold")
	}
}

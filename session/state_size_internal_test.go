package session

import (
	"testing"
	"unsafe"
)

// TestStateSize pins the per-object bookkeeping: every loaded object has
// a state, so its size is paid per row of every tracked read (see
// docs/performance.md, issue 25 item 3).
func TestStateSize(t *testing.T) {
	if n := unsafe.Sizeof(state{}); n > 80 {
		t.Fatalf("state is %d bytes, want at most 80", n)
	}
}

// TestStateKeyRoundTrip: a state keeps an integer key as itself and a
// string key as its bytes and length; both give back the identity they
// were made from (the empty string is an integer key, as before).
func TestStateKeyRoundTrip(t *testing.T) {
	for _, k := range []ikey{{n: 0}, {n: -7}, {n: 1 << 40}, {s: "x"}, {s: "\x00"}, {s: encodeKey([]any{int64(3), "a"})}} {
		sk := k.sk()
		if got := (ikey{n: sk.num(), s: sk.str()}); got != k {
			t.Fatalf("%+v -> %+v -> %+v", k, sk, got)
		}
	}
}

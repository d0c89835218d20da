package session

import "context"

// SetSelectInChunk lowers the IN-list size of SelectIn loads for a test
// and returns the function that restores it.
func SetSelectInChunk(n int) func() {
	old := selectInChunk.Swap(int32(n))
	return func() { selectInChunk.Store(old) }
}

// AllJoined runs q through the single-query Joined/ContainsEager path.
func AllJoined[T any](ctx context.Context, s *Session, q *Query[T]) ([]*T, bool, error) {
	return q.allJoined(ctx, s, variantAll)
}

// CheckIndexes runs the session's bookkeeping invariant (see checkIndexes).
func CheckIndexes(s *Session) error { return s.checkIndexes() }

// IsExpired reports whether s holds obj expired (its next use reloads it).
func IsExpired(s *Session, obj any) bool {
	p, _, err := objectOf(obj)
	if err != nil {
		return false
	}
	st := s.stateAt(p)
	return st != nil && st.expired
}

package session

import "context"

// WithSelectInChunk lowers the IN-list size of the session's SelectIn
// loads (a test option: a field of the session, so tests using it can run
// in parallel).
func WithSelectInChunk(n int) Option { return func(o *options) { o.selectInChunk = n } }

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

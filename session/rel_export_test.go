package session

// SetSelectInChunk lowers the IN-list size of SelectIn loads for a test
// and returns the function that restores it.
func SetSelectInChunk(n int) func() {
	old := selectInChunk.Swap(int32(n))
	return func() { selectInChunk.Store(old) }
}

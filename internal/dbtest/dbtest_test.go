package dbtest

import (
	"context"
	"testing"
)

// Subtests with the same name get "#01" in their temp dir; the SQLite URL
// must still point inside it, so each gets its own empty database.
func TestSQLiteURLRepeatedSubtestNames(t *testing.T) {
	for i := 0; i < 2; i++ {
		t.Run("same", func(t *testing.T) {
			eng := SQLite(t)
			ctx := context.Background()
			if _, err := eng.DB().ExecContext(ctx, "CREATE TABLE only_once (id INTEGER)"); err != nil {
				t.Fatalf("run %d: a fresh database must not have the table yet: %v", i, err)
			}
		})
	}
}

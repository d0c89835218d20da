package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/arcorm/arc/engine"
)

// With one connection (SQLite :memory:, or a full pool), a statement
// prepared outside a transaction waits for the connection the transaction
// holds. That wait must not block the transaction's own statements, or
// neither side can finish.
func TestPrepareWaitDoesNotBlockTransaction(t *testing.T) {
	eng, err := engine.Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	mustExec(t, eng, "CREATE TABLE t (x INTEGER)")
	tx, err := eng.Begin(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outside := make(chan error, 1)
	go func() {
		// Needs the only connection: waits until the transaction ends.
		_, err := eng.Exec(ctx, "INSERT INTO t (x) VALUES (?)", 1)
		outside <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it start waiting
	inside := make(chan error, 1)
	go func() {
		_, err := tx.Exec(ctx, "INSERT INTO t (x) VALUES (?) ", 2) // another text
		if err == nil {
			err = tx.Commit()
		}
		inside <- err
	}()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	select {
	case err := <-inside:
		if err != nil {
			t.Fatal(err)
		}
	case <-tctx.Done():
		t.Fatal("deadlock: the transaction's statement waits behind a prepare that waits for the transaction's connection")
	}
	if err := <-outside; err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, eng, "SELECT count(*) FROM t"); n != 2 {
		t.Errorf("rows = %d", n)
	}
}

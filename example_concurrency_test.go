package arc_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/arcorm/arc"
)

type BankAccount struct {
	ID      int64
	Owner   string
	Balance int64
}

// A request handler's two kinds of work: a read-only session (no BEGIN,
// a replica when the engine has one) and a transaction that is retried
// when the database reports a conflict.
func ExampleTransaction_retry() {
	dir, err := os.MkdirTemp("", "arc-retry")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	eng, err := arc.Open(ctx, "sqlite:///"+filepath.Join(dir, "bank.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := arc.CreateAll(ctx, eng, BankAccount{}); err != nil {
		log.Fatal(err)
	}
	if err := arc.Transaction(ctx, eng, func(ctx context.Context) error {
		return arc.SessionFrom(ctx).Add(&BankAccount{Owner: "ed", Balance: 100})
	}); err != nil {
		log.Fatal(err)
	}

	// Write: load, change and flush inside fn, which may run again.
	err = arc.Transaction(ctx, eng, func(ctx context.Context) error {
		acct, err := arc.Get[BankAccount](ctx, int64(1))
		if err != nil {
			return err
		}
		acct.Balance -= 30
		return nil
	}, arc.Retry(5, 200*time.Millisecond))
	if err != nil && arc.IsRetryable(err) {
		log.Fatal("still conflicting after 5 attempts: ", err)
	}

	// Read: a read-only session sends no BEGIN and cannot write.
	s := arc.NewSession(eng, arc.ReadOnly())
	defer s.Close(ctx)
	rctx := arc.WithSession(ctx, s)
	acct, err := arc.Get[BankAccount](rctx, int64(1))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(acct.Owner, acct.Balance)
	acct.Balance = 0
	fmt.Println(errors.Is(s.Commit(rctx), arc.ErrInvalidRequest))
	// Output:
	// ed 70
	// true
}

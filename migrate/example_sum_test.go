package migrate_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/arcorm/arc/migrate"
)

// SplitURL takes golang-migrate's x- options out of a database URL: the
// rest is for engine.Open, the options for the migrator.
func ExampleSplitURL() {
	clean, opts, err := migrate.SplitURL("sqlite:///app.db?x-migrations-table=app_versions&_busy_timeout=5000")
	if err != nil {
		panic(err)
	}
	fmt.Println(clean)
	fmt.Println(opts.MigrationsTable)
	_, _, err = migrate.SplitURL("sqlite:///app.db?x-migrations-tabel=oops")
	fmt.Println(err != nil)
	// Output:
	// sqlite:///app.db?_busy_timeout=5000
	// app_versions
	// true
}

// Create writes arc.sum with the new pair; an edit after that is caught
// until Hash records it on purpose.
func ExampleHash() {
	dir, _ := os.MkdirTemp("", "arc-sum-")
	defer os.RemoveAll(dir)
	up, _, err := migrate.Create(dir, "users", migrate.CreateOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(migrate.Dir(dir).VerifySum(migrate.NilVersion))
	_ = os.WriteFile(up, []byte("CREATE TABLE users (id INTEGER PRIMARY KEY);\n"), 0o644)
	err = migrate.Dir(dir).VerifySum(migrate.NilVersion)
	fmt.Println(errors.Is(err, migrate.ErrChecksum))
	if err := migrate.Hash(dir); err != nil {
		panic(err)
	}
	fmt.Println(migrate.Dir(dir).VerifySum(migrate.NilVersion))
	_, err = os.Stat(filepath.Join(dir, migrate.SumFile))
	fmt.Println(err == nil)
	// Output:
	// <nil>
	// true
	// <nil>
	// true
}

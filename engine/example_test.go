package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"

	_ "github.com/arcorm/arc/dialect/sqlite"
)

// msgOnly prints the statement and its arguments, without the timing, so
// that the example's output is stable.
type msgOnly struct{}

func (msgOnly) Format(e *logrus.Entry) ([]byte, error) {
	s := e.Message
	if a, ok := e.Data["args"]; ok {
		s += " " + fmt.Sprint(a)
	}
	return []byte(s + "\n"), nil
}

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "arc-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	log := logrus.New()
	log.SetOutput(os.Stdout)
	log.SetFormatter(msgOnly{})
	eng, err := engine.Open(ctx, "sqlite:///"+filepath.Join(dir, "app.db"), engine.WithEcho(true), engine.WithLogger(log))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()

	_, _ = eng.Exec(ctx, "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50) UNIQUE)")
	_, _ = eng.Exec(ctx, "INSERT INTO users (name) VALUES (?)", "ed")
	eng.SetEcho(false)
	_, err = eng.Exec(ctx, "INSERT INTO users (name) VALUES (?)", "ed")

	var se *arcerr.StatementError
	fmt.Println(errors.Is(err, arcerr.ErrIntegrity), errors.As(err, &se) && strings.HasPrefix(se.SQL, "INSERT"), se.Args)
	// Output:
	// CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50) UNIQUE)
	// INSERT INTO users (name) VALUES (?) ("ed")
	// true true [ed]
}

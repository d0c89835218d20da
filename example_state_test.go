package arc_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc"
)

// An object's state, asked of the object (record.Base remembers it) or of
// a session; WithLogger sends echoed SQL to a logger of your own.
func ExampleStateOf() {
	ctx := context.Background()
	quiet := logrus.New()
	quiet.SetLevel(logrus.WarnLevel)
	eng, err := arc.Open(ctx, "sqlite::memory:", arc.WithLogger(quiet))
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := arc.CreateAll(ctx, eng, ReadmeUser{}); err != nil {
		log.Fatal(err)
	}
	s := arc.NewSession(eng)
	wendy := &ReadmeUser{Name: "wendy"}
	fmt.Println(arc.StateOf(wendy) == arc.Transient)
	if err := s.Add(wendy); err != nil {
		log.Fatal(err)
	}
	fmt.Println(arc.StateOf(wendy) == arc.Pending)
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.StateOf(wendy) == arc.Persistent)
	if err := s.Close(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(arc.StateOf(wendy) == arc.Detached)
	// Output:
	// true
	// true
	// true
	// true
}

package main

import (
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/arcorm/arc/engine"
)

func engineLogger(l *logrus.Logger) engine.Option { return engine.WithLogger(l) }

// echoFormatter prints echoed SQL the way SQLAlchemy's echo does: the
// statement, then its parameters.
type echoFormatter struct{}

func (echoFormatter) Format(e *logrus.Entry) ([]byte, error) {
	s := "  SQL> " + e.Message
	if strings.HasPrefix(e.Message, "create_all:") {
		s = "  -- " + e.Message // a note, not a statement
	}
	if a, ok := e.Data["args"]; ok {
		s += fmt.Sprintf("  %v", a)
	}
	return []byte(s + "\n"), nil
}

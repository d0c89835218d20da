package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/internal/dbtest"
)

// TestTutorialRuns runs the demo on both dialects and checks its story.
func TestTutorialRuns(t *testing.T) {
	for _, name := range dbtest.Dialects {
		t.Run(name, func(t *testing.T) {
			url := dbtest.SQLiteURL(t)
			if name == "postgres" {
				url = dbtest.NewSchemaURL(t)
			}
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), url, &out))
			s := out.String()
			assert.Contains(t, s, "same object as ed: true")
			assert.Contains(t, s, `after rollback ed.Name = "ed"; fakeuser in session: false`)
			assert.Contains(t, s, "count of users named like '%ed': 2")
			assert.Contains(t, s, "SQL> INSERT INTO users")
		})
	}
}

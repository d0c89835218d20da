package record_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/session"
)

// copyOf returns a new value holding a copy of *p, made through reflect
// (go vet reports the same copy written in source, which is the point of
// the noCopy marker).
func copyOf[T any](p *T) *T {
	c := new(T)
	reflect.ValueOf(c).Elem().Set(reflect.ValueOf(p).Elem())
	return c
}

// baseMethods calls every method of b that finds its model.
func baseMethods(ctx context.Context, b *record.Base[Author]) map[string]error {
	return map[string]error{
		"Save":       b.Save(ctx),
		"Delete":     b.Delete(ctx),
		"HardDelete": b.HardDelete(ctx),
		"Restore":    b.Restore(ctx),
		"Reload":     b.Reload(ctx),
	}
}

// TestRegression_CopiedBaseAlone: b := p.Base; b.Save(ctx) killed the
// process with SIGSEGV (the Base found its model at a fixed offset from
// wherever it was). A Base that has been in a session now knows its
// object's address and refuses to run as a copy, detached or tracked.
func TestRegression_CopiedBaseAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := setup(t, eng)
		a := &Author{Name: "ed"}
		require.NoError(t, a.Save(ctx)) // detached afterwards, its address kept
		for name, err := range baseMethods(ctx, copyOf(&a.Base)) {
			assert.ErrorIs(t, err, arcerr.ErrInvalidRequest, "%s of a copied Base (detached)", name)
			assert.Contains(t, err.Error(), "copied", name)
		}

		s := session.New(eng)
		defer func() { _ = s.Close(ctx) }()
		sctx := session.With(ctx, s)
		got, err := session.Get[Author](sctx, s, a.ID)
		require.NoError(t, err)
		for name, err := range baseMethods(sctx, copyOf(&got.Base)) {
			assert.ErrorIs(t, err, arcerr.ErrInvalidRequest, "%s of a copied Base (tracked)", name)
		}
		// The original still works, and nothing was written by the copies.
		got.Nickname = "eddie"
		require.NoError(t, got.Save(sctx))
		require.NoError(t, s.Commit(sctx))
		var n int
		require.NoError(t, eng.DB().QueryRowContext(ctx, "SELECT count(*) FROM authors").Scan(&n))
		assert.Equal(t, 1, n)
	})
}

// TestRegression_CopiedModel: a copy of a whole model that has been in a
// session carries the original's address in its Base; its methods refuse
// (the copy's fields are a T, but the Base cannot tell a whole-model copy
// from a copy of itself alone). Resetting the copy's Base makes it a new
// object; a copy of a model never in a session is a new object already.
func TestRegression_CopiedModel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := setup(t, eng)
		a := &Author{Name: "ed"}
		require.NoError(t, a.Save(ctx))

		q := copyOf(a)
		for name, err := range baseMethods(ctx, &q.Base) {
			assert.ErrorIs(t, err, arcerr.ErrInvalidRequest, "%s of a copied model", name)
		}
		q.Base = record.Base[Author]{}
		q.ID, q.Name = 0, "copy"
		require.NoError(t, q.Save(ctx), "a copy with a reset Base is a new object")
		assert.NotZero(t, q.ID)
		assert.NotEqual(t, a.ID, q.ID)

		fresh := &Author{Name: "never saved"}
		c := copyOf(fresh)
		require.NoError(t, c.Save(ctx), "a copy of a model never in a session is a new object")
		assert.NotZero(t, c.ID)
		assert.Zero(t, fresh.ID)

		// The session API treats a copy as a new, untracked object.
		s := session.New(eng)
		defer func() { _ = s.Close(ctx) }()
		got, err := session.Get[Author](ctx, s, a.ID)
		require.NoError(t, err)
		cp := copyOf(got)
		assert.Equal(t, session.Transient, session.StateOf(cp))
		assert.Equal(t, session.Persistent, session.StateOf(got))
	})
}

// TestRegression_VetReportsBaseCopies: go vet's copylocks check reports a
// copy of a record.Base, alone or in its model, and leaves ordinary code
// (composite literals, pointers, a reset of a copy's Base) alone.
func TestRegression_VetReportsBaseCopies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command(goBin, "vet", "./testdata/vetcopy")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	require.Error(t, err, "go vet must report the copies:\n%s", out.String())
	src, err := readLines("testdata/vetcopy/vetcopy.go")
	require.NoError(t, err)
	reported := map[int]bool{}
	for _, m := range regexp.MustCompile(`vetcopy\.go:(\d+):\d+: .*lock`).FindAllStringSubmatch(out.String(), -1) {
		var n int
		for _, c := range m[1] {
			n = n*10 + int(c-'0')
		}
		reported[n] = true
	}
	for i, line := range src {
		want := strings.Contains(line, "// want")
		assert.Equal(t, want, reported[i+1], "line %d %q (go vet said:\n%s)", i+1, strings.TrimSpace(line), out.String())
	}
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Split(string(b), "\n"), nil
}

package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

var errEOF = io.EOF

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// childEnv marks the arctl that --models started, so that it does not
// start another.
const childEnv = "ARCTL_MODELS_CHILD"

// runWithModels writes a main that imports the --models package and
// calls MainModels(pkg.Models), and runs it with `go run`, forwarding
// the arguments (without --models), stdio and the exit code.
func (e *env) runWithModels(args []string) error {
	pkg := e.modelsPkg
	out, err := exec.CommandContext(e.ctx, "go", "list", "-f", "{{.ImportPath}}", pkg).Output()
	if err != nil {
		msg := err.Error()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return fmt.Errorf("--models %s: not a Go package of this module: %s", pkg, msg)
	}
	importPath := strings.TrimSpace(string(out))
	dir, err := os.MkdirTemp("", "arctl-models-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := "// Code written by arctl --models; temporary.\npackage main\n\nimport (\n\t\"github.com/arcorm/arc/cli\"\n\n\tmodels " +
		strconv.Quote(importPath) + "\n)\n\nfunc main() { cli.MainModels(models.Models) }\n"
	mainFile := filepath.Join(dir, "main.go")
	if err := os.WriteFile(mainFile, []byte(src), 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(e.ctx, "go", append([]string{"run", mainFile}, stripModels(args)...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	cmd.Env = append(os.Environ(), childEnv+"=1")
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return exitCode(ee.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("--models %s: go run: %w", pkg, err)
	}
	return nil
}

// exitCode passes a child's exit status through Run.
type exitCode int

func (c exitCode) Error() string { return "exit status " + strconv.Itoa(int(c)) }

func stripModels(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--models" || a == "-models":
			i++
		case strings.HasPrefix(a, "--models=") || strings.HasPrefix(a, "-models="):
		default:
			out = append(out, a)
		}
	}
	return out
}

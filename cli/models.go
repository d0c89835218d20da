package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

var errEOF = io.EOF

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// childEnv marks the arctl that --models started, so that it does not
// start another.
const childEnv = "ARCTL_MODELS_CHILD"

// runWithModels runs arctl built with the --models package: a main that
// calls MainModels(pkg.Models), compiled once and kept in a cache keyed
// by everything that goes into it (the Go files of the package and of
// everything it and the cli package import from outside the standard
// library, go.mod, go.sum, the Go version and platform), so repeated
// calls start at once. The arguments (without --models), stdio and the
// exit code pass through; a build failure prints the compiler's output.
func (e *env) runWithModels(args []string) error {
	bin, err := e.modelsBinary()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(e.ctx, bin, stripModels(args)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	cmd.Env = append(os.Environ(), childEnv+"=1")
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return exitCode(ee.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("--models %s: run %s: %w", e.modelsPkg, bin, err)
	}
	return nil
}

// CacheDirEnv names the environment variable that moves the cache of
// --models binaries (default: arctl under the user's cache directory).
const CacheDirEnv = "ARCTL_CACHE"

func modelsCacheDir() (string, error) {
	if d := os.Getenv(CacheDirEnv); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "arctl"), nil
}

const cliPkg = "github.com/arcorm/arc/cli"

// modelsBinary returns the path of the cached arctl for the --models
// package, building it when the cache has none for the current sources.
func (e *env) modelsBinary() (string, error) {
	pkg := e.modelsPkg
	goCmd := func(args ...string) ([]byte, error) {
		out, err := exec.CommandContext(e.ctx, "go", args...).Output()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, errors.New(strings.TrimSpace(string(ee.Stderr)))
		}
		return out, err
	}
	// One go list for the package, cli and everything they import.
	const tmpl = `{{if .DepOnly}}D{{else}}M{{end}}|{{.ImportPath}}|{{.Standard}}|{{.Dir}}|{{join .GoFiles ","}},{{join .CgoFiles ","}},{{join .CFiles ","}},{{join .EmbedFiles ","}}|{{with .Module}}{{.Path}}@{{.Version}}{{with .Replace}}=>{{.Path}}@{{.Version}}{{end}}{{end}}`
	out, err := goCmd("list", "-deps", "-f", tmpl, pkg, cliPkg)
	if err != nil {
		return "", fmt.Errorf("--models %s: not a Go package of this module: %v", pkg, err)
	}
	h := sha256.New()
	importPath := ""
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, "|", 6)
		if len(f) != 6 {
			continue
		}
		if f[0] == "M" && f[1] != cliPkg && importPath == "" {
			importPath = f[1]
		}
		if f[2] == "true" {
			continue // the standard library: covered by the Go version
		}
		fmt.Fprintf(h, "pkg %s %s\n", f[1], f[5])
		for _, name := range strings.Split(f[4], ",") {
			if name == "" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(f[3], name))
			if err != nil {
				return "", fmt.Errorf("--models %s: %w", pkg, err)
			}
			fmt.Fprintf(h, "file %s %d\n", name, len(b))
			h.Write(b)
		}
	}
	if importPath == "" {
		importPath = cliPkg // --models names the cli package itself: nothing else to add
	}
	envOut, err := goCmd("env", "GOVERSION", "GOOS", "GOARCH", "CGO_ENABLED", "GOMOD", "GOFLAGS")
	if err != nil {
		return "", fmt.Errorf("--models %s: go env: %v", pkg, err)
	}
	h.Write(envOut)
	if gomod := strings.Split(string(envOut), "\n"); len(gomod) > 4 && strings.TrimSpace(gomod[4]) != "" {
		for _, name := range []string{strings.TrimSpace(gomod[4]), strings.TrimSuffix(strings.TrimSpace(gomod[4]), ".mod") + ".sum"} {
			if b, err := os.ReadFile(name); err == nil {
				fmt.Fprintf(h, "%s %d\n", filepath.Base(name), len(b))
				h.Write(b)
			}
		}
	}
	src := "// Code written by arctl --models.\npackage main\n\nimport (\n\t\"github.com/arcorm/arc/cli\"\n\n\tmodels " +
		strconv.Quote(importPath) + "\n)\n\nfunc main() { cli.MainModels(models.Models) }\n"
	h.Write([]byte(src))
	key := hex.EncodeToString(h.Sum(nil))[:24]

	cache, err := modelsCacheDir()
	if err != nil {
		return "", fmt.Errorf("--models %s: cache directory: %w", pkg, err)
	}
	bin := filepath.Join(cache, "arctl-"+key)
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if st, err := os.Stat(bin); err == nil && st.Mode().IsRegular() {
		e.log.Debugf("--models %s: cached build %s", pkg, bin)
		return bin, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("--models %s: cache directory: %w", pkg, err)
	}
	dir, err := os.MkdirTemp("", "arctl-models-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	mainFile := filepath.Join(dir, "main.go")
	if err := os.WriteFile(mainFile, []byte(src), 0o644); err != nil {
		return "", err
	}
	tmp := bin + ".tmp" + strconv.Itoa(os.Getpid())
	e.log.Infof("--models %s: building arctl with the models (cached in %s)", pkg, cache)
	if _, err := goCmd("build", "-o", tmp, mainFile); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("--models %s: the package does not build with arctl:\n%v", pkg, err)
	}
	if err := os.Rename(tmp, bin); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("--models %s: cache: %w", pkg, err)
	}
	return bin, nil
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

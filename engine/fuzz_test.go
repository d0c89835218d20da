package engine_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
)

// FuzzOpenURL: parsing a database URL (engine.Open without connecting,
// and each dialect's DSN conversion) never panics, and an error never
// repeats the URL's password.
func FuzzOpenURL(f *testing.F) {
	for _, s := range []string{
		"sqlite::memory:", "sqlite:///tmp/x.db", "sqlite://relative.db?_busy_timeout=100", "sqlite:", "sqlite://",
		"postgres://user:secretpw@127.0.0.1:5432/db?sslmode=disable", "postgresql://u@h/db", "postgres://[::1]:5432/x",
		"postgres://user:secretpw@h:notaport/db", "mysql://x", "://", "", "%zz", "sqlite:///a%20b.db?mode=ro&cache=shared",
		"postgres://user:secretpw@host/db?connect_timeout=x&application_name=%00", "SQLITE::memory:",
	} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		u, perr := url.Parse(raw)
		if perr == nil && u.Scheme != "" {
			if d, err := dialect.Lookup(strings.ToLower(u.Scheme)); err == nil {
				_, _, _ = d.DSN(u) // must not panic
			}
			if strings.EqualFold(u.Scheme, "sqlite") {
				return // Open would make the file; the DSN conversion is what is fuzzed
			}
		}
		eng, err := engine.Open(ctx, raw, engine.WithoutPing())
		if err == nil {
			_ = eng.Close()
			return
		}
		if perr == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok && len(pw) >= 4 && strings.Contains(err.Error(), pw) {
				t.Fatalf("error for %q shows the password: %v", raw, err)
			}
		}
	})
}

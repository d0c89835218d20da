package session_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/record"
	"github.com/arcorm/arc/session"
)

type User struct {
	record.Base[User]
	ID       int64
	Name     string `arc:"size:50"`
	Fullname string
	Nickname string `arc:"size:50"`
}

type Address struct {
	ID     int64
	Email  string `arc:"column:email_address;notnull;unique"`
	UserID *int64 `arc:"fk:users.id"`
}

// Gadget exercises the value kinds dirty tracking must compare.
type Gadget struct {
	ID      int64
	Label   string
	Count   int
	Active  bool
	Ratio   float64
	Blob    []byte
	When    time.Time
	Maybe   *int64
	Note    sql.NullString
	Color   Color
	Tags    []string `arc:"json"`
	Version int64    `arc:"version"`
}

// Color is a custom Valuer/Scanner type.
type Color struct{ R, G, B uint8 }

func (c Color) Value() (driver.Value, error) { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B), nil }

func (c *Color) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
		*c = Color{}
		return nil
	default:
		return fmt.Errorf("color from %T", src)
	}
	_, err := fmt.Sscanf(s, "#%02x%02x%02x", &c.R, &c.G, &c.B)
	return err
}

// Membership has a composite primary key.
type Membership struct {
	GroupID int64  `arc:"pk"`
	UserID  int64  `arc:"pk"`
	Role    string `arc:"size:20"`
}

// Hooked records its hooks.
type Hooked struct {
	ID     int64
	Name   string
	Stamp  string
	calls  []string
	failOn string
}

func (h *Hooked) hook(name string) error {
	h.calls = append(h.calls, name)
	if h.failOn == name {
		return errors.New("hook refused")
	}
	return nil
}

func (h *Hooked) BeforeSave(context.Context) error { return h.hook("BeforeSave") }
func (h *Hooked) BeforeCreate(context.Context) error {
	h.Stamp = "created"
	return h.hook("BeforeCreate")
}
func (h *Hooked) BeforeUpdate(context.Context) error { return h.hook("BeforeUpdate") }
func (h *Hooked) BeforeDelete(context.Context) error { return h.hook("BeforeDelete") }
func (h *Hooked) AfterSave(context.Context) error    { return h.hook("AfterSave") }
func (h *Hooked) AfterCreate(context.Context) error  { return h.hook("AfterCreate") }
func (h *Hooked) AfterUpdate(context.Context) error  { return h.hook("AfterUpdate") }
func (h *Hooked) AfterDelete(context.Context) error  { return h.hook("AfterDelete") }
func (h *Hooked) AfterLoad(context.Context) error    { return h.hook("AfterLoad") }

// Timestamps is a mixin.
type Timestamps struct {
	CreatedAt time.Time
	UpdatedAt time.Time
}

type Note struct {
	ID int64
	Timestamps
	Body   string
	Status string `arc:"default:draft"`
	Rank   int    `arc:"server_default:7"`
}

var allModels = []any{User{}, Address{}, Gadget{}, Membership{}, Hooked{}, Note{}}

func createAll(ctx context.Context, eng *engine.Engine) error {
	return migrate.CreateAll(ctx, eng, allModels...)
}

func setup(t *testing.T, eng *engine.Engine) (context.Context, *session.Session) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, migrate.CreateAll(ctx, eng, allModels...))
	s := session.New(eng)
	t.Cleanup(func() { _ = s.Close(ctx) })
	return session.With(ctx, s), s
}

func countRows(t *testing.T, eng *engine.Engine, table, where string, args ...any) int {
	t.Helper()
	q := "SELECT count(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	// The dialect's placeholders, whatever they are (a capability, not a
	// check of the dialect's name). SQLite's are "?" already.
	for i := range args {
		q = strings.Replace(q, "?", string(eng.Dialect().AppendPlaceholder(nil, i+1)), 1)
	}
	var n int
	require.NoError(t, eng.DB().QueryRow(q, args...).Scan(&n))
	return n
}

func filterSQL(stmts []string, prefix string) []string {
	var out []string
	for _, s := range stmts {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

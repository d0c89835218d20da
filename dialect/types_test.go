package dialect_test

import (
	"database/sql/driver"
	"errors"
	"strings"
	"testing"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/meta"
)

type uuidV [16]byte

func (u uuidV) Value() (driver.Value, error) { return u[:], nil }
func (u *uuidV) Scan(any) error              { return nil }

type TypeDoc struct {
	ID      uuidV  `arc:"server_default:gen_random_uuid()"`
	Owner   string `arc:"uuid"`
	Title   string `arc:"size:50;notnull"`
	Slug    string `arc:"generated:lower(title)"`
	State   string `arc:"size:10;enum:draft,published;server_default:'draft'"`
	Tags    []string
	Counts  []int64
	Ranks   []int32
	Weights []float64
	Flags   []bool
	Made    int64 `arc:"server_default:0"`
}

// UUID, array, generated and enum columns; SQLite's function-call
// defaults in parentheses.
func TestTypeDDL(t *testing.T) {
	tb := meta.MustOf[TypeDoc]()
	checkStmts(t, "postgres", dialect.CreateTable(pg, tb, false), []string{`CREATE TABLE type_docs (
	id UUID NOT NULL DEFAULT gen_random_uuid(),
	owner UUID,
	title VARCHAR(50) NOT NULL,
	slug VARCHAR GENERATED ALWAYS AS (lower(title)) STORED,
	state VARCHAR(10) DEFAULT 'draft',
	tags TEXT[],
	counts BIGINT[],
	ranks INTEGER[],
	weights DOUBLE PRECISION[],
	flags BOOLEAN[],
	made BIGINT DEFAULT 0,
	CONSTRAINT pk_type_docs PRIMARY KEY (id),
	CONSTRAINT ck_type_docs_state_enum CHECK ("state" IN ('draft', 'published'))
)`})
	if err := dialect.CheckTable(pg, tb); err != nil {
		t.Errorf("postgres has arrays: %v", err)
	}
	err := dialect.CheckTable(lite, tb)
	var me *arcerr.ModelError
	if !errors.Is(err, arcerr.ErrInvalidModel) || !errors.As(err, &me) || me.Field != "Tags" || !strings.Contains(err.Error(), "sqlite") {
		t.Errorf("sqlite arrays: %v", err)
	}
	type NoArrays struct {
		ID   uuidV
		Slug string `arc:"generated:'x'"`
		At   int64  `arc:"server_default:now()"`
	}
	nt := meta.MustOf[NoArrays]()
	if err := dialect.CheckTable(lite, nt); err != nil {
		t.Error(err)
	}
	checkStmts(t, "sqlite", dialect.CreateTable(lite, nt, false), []string{`CREATE TABLE no_arrays (
	id TEXT NOT NULL,
	slug VARCHAR GENERATED ALWAYS AS ('x') STORED,
	at INTEGER DEFAULT (now()),
	CONSTRAINT pk_no_arrays PRIMARY KEY (id)
)`})
	for in, want := range map[string]string{"now()": "(now())", "'x'": "'x'", "(1 + 2)": "(1 + 2)", "CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP", "datetime('now')": "(datetime('now'))"} {
		if got := lite.DefaultExpr(in); got != want {
			t.Errorf("DefaultExpr(%s) = %s, want %s", in, got, want)
		}
	}
}

package dialect

import (
	"context"
	"database/sql"
	"fmt"
)

// Querier runs SQL: a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// Inspector is the capability of reading a live schema, for migration
// diffs. Both inputs of a diff are read by the same inspector (the live
// database, and the models' DDL run in a scratch space), so the values
// need only be consistent with themselves.
type Inspector interface {
	// InspectTables reads the tables of the current schema (SQLite: the
	// main database), without the dialect's internal tables.
	InspectTables(ctx context.Context, q Querier) ([]*TableSchema, error)
	// Scratch runs fn on an empty, throwaway place of the same database
	// kind (SQLite: a new in-memory database; PostgreSQL: a new schema
	// inside a transaction that is rolled back), where the models' DDL can
	// be run and inspected.
	Scratch(ctx context.Context, db *sql.DB, fn func(ctx context.Context, q Querier) error) error
}

// TableSchema is a table as the database reports it.
type TableSchema struct {
	Name        string
	Columns     []*ColumnSchema
	PrimaryKey  *ConstraintSchema // nil when none
	Uniques     []*ConstraintSchema
	ForeignKeys []*ForeignKeySchema
	Indexes     []*IndexSchema
	Checks      []*ConstraintSchema
	// DDL is the CREATE TABLE statement as SQLite stored it ("" on PostgreSQL).
	DDL string
}

// Column returns the named column, or nil.
func (t *TableSchema) Column(name string) *ColumnSchema {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ColumnSchema is one column. Type is the dialect's canonical spelling
// (PostgreSQL's format_type, SQLite's declared type upper-cased);
// Default is the default expression as the database prints it ("" for none).
type ColumnSchema struct {
	Name     string
	Type     string
	NotNull  bool
	Default  string
	Identity bool // PostgreSQL identity column / SQLite INTEGER PRIMARY KEY rowid alias
}

// ConstraintSchema is a primary key, unique or check constraint. Def is
// the definition the database prints (PostgreSQL's
// pg_get_constraintdef), usable after ADD CONSTRAINT name.
type ConstraintSchema struct {
	Name    string
	Columns []string
	Def     string
}

// ForeignKeySchema is a foreign key. OnDelete/OnUpdate are "" for NO ACTION.
type ForeignKeySchema struct {
	Name       string
	Columns    []string
	RefTable   string
	RefColumns []string
	OnDelete   string
	OnUpdate   string
	Def        string
}

// IndexSchema is an index that does not back a constraint. Expr is true
// for indexes on expressions or with a WHERE clause, which Columns cannot
// describe; Def is the full CREATE INDEX statement.
type IndexSchema struct {
	Name    string
	Columns []string
	Unique  bool
	Expr    bool
	Def     string
}

// Inspect reads the live schema through d's Inspector capability.
func Inspect(ctx context.Context, d Dialect, q Querier) ([]*TableSchema, error) {
	in, ok := d.(Inspector)
	if !ok {
		return nil, fmt.Errorf("arc: dialect %s cannot inspect a schema", d.Name())
	}
	return in.InspectTables(ctx, q)
}

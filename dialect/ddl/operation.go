// Package ddl is the schema changes of a migration as values
// (Operation) and their rendering to SQL: the standard SQL here, a
// dialect's own where it differs (Renderer, implemented by dialect/sqlite,
// dialect/postgres and dialect/mysql). migrate.Diff plans operations;
// this package writes them.
package ddl

import (
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/meta"
)

// Operation is one schema change of a migration, as a value: the
// migration planner (migrate.Diff) compares the models with the live
// schema and produces operations, each with its inverse for the down
// file, and Render turns each into the dialect's statements. A dialect
// writes the operations it spells its own way (Renderer) and leaves the
// rest to the standard SQL (Standard), as bun's migrate leaves the ALTER
// rendering to the dialect.
//
// Names are unquoted: the renderer quotes identifiers. A definition
// taken from the live database (Def, DDL, a sequence name) is written as
// the database printed it.
type Operation interface{ operation() }

// Comment is a line of the file for the reader: "-- Text".
type Comment struct{ Text string }

// Commented is an operation written commented out, each statement as
// "-- Prefix<statement>;": a statement left for the reader to fill in or
// to enable (a placeholder UPDATE, a down step skipped without
// AllowDrop).
type Commented struct {
	Prefix string
	Op     Operation
}

// CreateTable creates a model's table: its sequences (where the dialect
// has them), the table with its constraints, and its indexes.
type CreateTable struct{ Table *meta.Table }

// DropTable drops a table and, where the dialect has sequences, the
// sequences named (a model table's own).
type DropTable struct {
	Name      string
	Sequences []string
}

// RestoreTable creates a live table again from its inspected definition
// (SQLite's CREATE TABLE text; else its columns, sequences and
// constraints), for the down file of a dropped table. Indexes are
// RestoreIndex operations of their own.
type RestoreTable struct{ Table *dialect.TableSchema }

// RenameTable renames a table.
type RenameTable struct{ From, To string }

// RecreateTable rebuilds a table the dialect cannot alter in place
// (SQLite): the new shape is created under the name Temp, the rows are
// copied (From columns of Table into Columns of Temp), Table is dropped
// and Temp renamed to Table. The new shape is Model's (named Temp), or,
// for the way back, the live table Schema's own definition. With
// KeepSequence the table's autoincrement key keeps its high-water mark
// (SQLite's AUTOINCREMENT and sqlite_sequence). Indexes, views and
// triggers are operations of their own around it.
type RecreateTable struct {
	Table, Temp   string
	Model         *meta.Table
	Schema        *dialect.TableSchema
	Columns, From []string
	KeepSequence  bool
}

// AddColumn adds a model's column.
type AddColumn struct {
	Table  string
	Column *meta.Column
}

// RestoreColumn adds a live column again from its inspected definition
// (the down file of a dropped column). After is the column it followed
// ("" when it was the first): a dialect that can place a column (MySQL's
// ADD COLUMN ... AFTER / FIRST) puts it back there; elsewhere it goes at
// the end of the table.
type RestoreColumn struct {
	Table  string
	Column *dialect.ColumnSchema
	After  string
}

// DropColumn drops a column.
type DropColumn struct{ Table, Column string }

// RenameColumn renames a column.
type RenameColumn struct{ Table, From, To string }

// AlterColumnType changes a column's type from From to To (ALTER COLUMN
// ... TYPE; PostgreSQL adds a USING cast where it has no assignment
// cast).
type AlterColumnType struct{ Table, Column, From, To string }

// SetNotNull makes a column NOT NULL.
type SetNotNull struct{ Table, Column string }

// DropNotNull makes a column nullable.
type DropNotNull struct{ Table, Column string }

// SetDefault gives a column the server default Default (SQL text).
type SetDefault struct{ Table, Column, Default string }

// DropDefault removes a column's server default.
type DropDefault struct{ Table, Column string }

// ModifyColumn gives a column the whole definition Column (MySQL's
// MODIFY COLUMN): a dialect that changes type, nullability and default
// together renders it; the standard SQL has no such statement and
// renders nothing, and the planner then writes AlterColumnType,
// SetNotNull and SetDefault one by one.
type ModifyColumn struct {
	Table  string
	Column *dialect.ColumnSchema
}

// Backfill gives the NULLs of a column the value Value (SQL text) before
// it becomes NOT NULL: UPDATE ... SET column = Value WHERE column IS NULL.
type Backfill struct{ Table, Column, Value string }

// AddPrimaryKey adds the primary key constraint Name on Columns.
type AddPrimaryKey struct {
	Table, Name string
	Columns     []string
}

// AddUnique adds a model's unique constraint.
type AddUnique struct {
	Table  string
	Unique *meta.Unique
}

// AddForeignKey adds a model's foreign key.
type AddForeignKey struct {
	Table      string
	ForeignKey *meta.ForeignKey
}

// AddCheck adds the CHECK constraint Name on the models' expression Expr
// (rewritten by the dialect's CheckWriter).
type AddCheck struct{ Table, Name, Expr string }

// AddConstraint adds a constraint from its definition as the database
// prints it (Def follows ADD CONSTRAINT name): a live constraint restored
// by the down file, or a desired one moved under a new name.
type AddConstraint struct{ Table, Name, Def string }

// DropConstraint drops the constraint Name of the kind Kind; with
// IfExists, where the dialect can say so, a missing one is no error.
type DropConstraint struct {
	Table    string
	Kind     dialect.ConstraintKind
	Name     string
	IfExists bool
}

// RenameConstraint renames a constraint. A dialect that cannot rename a
// constraint of that kind renders it as no statement; the planner then
// drops it and adds it again under the new name.
type RenameConstraint struct {
	Table    string
	Kind     dialect.ConstraintKind
	From, To string
}

// CreateIndex creates a model's index on Table.
type CreateIndex struct {
	Table string
	Index *meta.Index
}

// RestoreIndex creates a live index again on Table (which may be a new
// name of its table) from its inspected definition.
type RestoreIndex struct {
	Table string
	Index *dialect.IndexSchema
}

// DropIndex drops the index Name of Table.
type DropIndex struct{ Table, Name string }

// RenameIndex renames an index of Table.
type RenameIndex struct{ Table, From, To string }

// CreateSequence creates the sequence Name, as the database prints it,
// unless it exists (a serial column's, restored by the down file).
type CreateSequence struct{ Name string }

// SequenceOwnedBy makes a sequence belong to a column, so that dropping
// the column drops it (PostgreSQL's serial).
type SequenceOwnedBy struct{ Sequence, Table, Column string }

// DropObject drops a view or a trigger, if it exists (around a table
// rebuild).
type DropObject struct{ Kind, Name string }

// RestoreObject creates a view or a trigger again from the statement the
// database keeps.
type RestoreObject struct{ Object *dialect.ObjectSchema }

func (Comment) operation()          {}
func (Commented) operation()        {}
func (CreateTable) operation()      {}
func (DropTable) operation()        {}
func (RestoreTable) operation()     {}
func (RenameTable) operation()      {}
func (RecreateTable) operation()    {}
func (AddColumn) operation()        {}
func (RestoreColumn) operation()    {}
func (DropColumn) operation()       {}
func (RenameColumn) operation()     {}
func (AlterColumnType) operation()  {}
func (SetNotNull) operation()       {}
func (DropNotNull) operation()      {}
func (SetDefault) operation()       {}
func (DropDefault) operation()      {}
func (ModifyColumn) operation()     {}
func (Backfill) operation()         {}
func (AddPrimaryKey) operation()    {}
func (AddUnique) operation()        {}
func (AddForeignKey) operation()    {}
func (AddCheck) operation()         {}
func (AddConstraint) operation()    {}
func (DropConstraint) operation()   {}
func (RenameConstraint) operation() {}
func (CreateIndex) operation()      {}
func (RestoreIndex) operation()     {}
func (DropIndex) operation()        {}
func (RenameIndex) operation()      {}
func (CreateSequence) operation()   {}
func (SequenceOwnedBy) operation()  {}
func (DropObject) operation()       {}
func (RestoreObject) operation()    {}

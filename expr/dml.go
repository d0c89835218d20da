package expr

import (
	"fmt"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/meta"
)

// Insert is INSERT INTO table (cols) VALUES (...), (...) [RETURNING ...].
type Insert struct {
	Table     *meta.Table
	Columns   []string
	Rows      [][]any
	Returning []string
	// OnConflict, when set, appends ON CONFLICT (cols) DO NOTHING or DO UPDATE.
	OnConflict *OnConflict
	// Select, when set, is the source of the rows instead of Rows:
	// INSERT INTO table (cols) SELECT ...
	Select *Select
}

// OnConflict is an upsert clause (PostgreSQL and SQLite ≥ 3.24). Without
// Columns it is ON CONFLICT DO NOTHING, which any unique violation meets.
type OnConflict struct {
	Columns   []string // the conflict target
	DoNothing bool
	Update    []string // columns to set from EXCLUDED
	// Increment lists columns set to their current value plus one on
	// update (an optimistic-locking version).
	Increment []string
}

func (*Insert) statement() {}

// AppendSQL writes the statement.
func (in *Insert) AppendSQL(c *Compiler) {
	c.Write("INSERT INTO ")
	c.Ident(in.Table.Name)
	if in.Select != nil {
		c.Write(" (")
		for i, col := range in.Columns {
			if i > 0 {
				c.Write(", ")
			}
			c.Ident(col)
		}
		c.Write(") ")
		in.Select.AppendSQL(c)
	} else if len(in.Columns) == 0 {
		if len(in.Rows) > 1 {
			c.Fail(fmt.Errorf("%w: a multi-row INSERT INTO %s needs columns", arcerr.ErrInvalidRequest, in.Table.Name))
		}
		if c.D.Has(dialect.DefaultValues) {
			c.Write(" DEFAULT VALUES")
		} else {
			c.Write(" () VALUES ()")
		}
	} else {
		c.Write(" (")
		for i, col := range in.Columns {
			if i > 0 {
				c.Write(", ")
			}
			c.Ident(col)
		}
		c.Write(") VALUES ")
		for r, row := range in.Rows {
			if len(row) != len(in.Columns) {
				c.Fail(fmt.Errorf("%w: INSERT INTO %s row %d has %d values for %d columns", arcerr.ErrInvalidRequest, in.Table.Name, r, len(row), len(in.Columns)))
				return
			}
			if r > 0 {
				c.Write(", ")
			}
			c.Byte('(')
			for i, v := range row {
				if i > 0 {
					c.Write(", ")
				}
				c.Operand(v)
			}
			c.Byte(')')
		}
	}
	if oc := in.OnConflict; oc != nil && c.D.Has(dialect.OnDuplicateKey) {
		in.appendOnDuplicateKey(c, oc)
	} else if oc != nil {
		c.Write(" ON CONFLICT")
		if len(oc.Columns) == 0 && !(oc.DoNothing || len(oc.Update)+len(oc.Increment) == 0) {
			c.Fail(fmt.Errorf("%w: INSERT INTO %s: ON CONFLICT DO UPDATE needs the conflict columns", arcerr.ErrInvalidRequest, in.Table.Name))
			return
		}
		if len(oc.Columns) > 0 {
			c.Write(" (")
			for i, col := range oc.Columns {
				if i > 0 {
					c.Write(", ")
				}
				c.Ident(col)
			}
			c.Byte(')')
		}
		if oc.DoNothing || len(oc.Update)+len(oc.Increment) == 0 {
			c.Write(" DO NOTHING")
		} else {
			c.Write(" DO UPDATE SET ")
			for i, col := range oc.Update {
				if i > 0 {
					c.Write(", ")
				}
				c.Ident(col)
				c.Write(" = excluded.")
				c.Ident(col)
			}
			for i, col := range oc.Increment {
				if i > 0 || len(oc.Update) > 0 {
					c.Write(", ")
				}
				c.Ident(col)
				c.Write(" = ")
				c.Ident(in.Table.Name)
				c.Byte('.')
				c.Ident(col)
				c.Write(" + 1")
			}
		}
	}
	returning(c, in.Returning, dialect.ReturningInsert, "INSERT INTO", in.Table.Name)
}

// appendOnDuplicateKey writes an OnConflict as MySQL's ON DUPLICATE KEY
// UPDATE, which meets a conflict on any unique key of the row (the
// conflict columns only document the intent there). DO NOTHING sets the
// first column to itself: no change, but the statement succeeds.
func (in *Insert) appendOnDuplicateKey(c *Compiler, oc *OnConflict) {
	if len(in.Columns) == 0 {
		c.Fail(fmt.Errorf("%w: INSERT INTO %s: ON DUPLICATE KEY UPDATE needs columns", arcerr.ErrInvalidRequest, in.Table.Name))
		return
	}
	c.Write(" ON DUPLICATE KEY UPDATE ")
	if oc.DoNothing || len(oc.Update)+len(oc.Increment) == 0 {
		col := in.Columns[0]
		if len(oc.Columns) > 0 {
			col = oc.Columns[0]
		}
		c.Ident(col)
		c.Write(" = ")
		c.Ident(col)
		return
	}
	// MySQL assigns left to right, each seeing the ones before: the
	// increments (of the row's current value) come first.
	n := 0
	for _, col := range oc.Increment {
		if n > 0 {
			c.Write(", ")
		}
		n++
		c.Ident(col)
		c.Write(" = ")
		c.Ident(in.Table.Name)
		c.Byte('.')
		c.Ident(col)
		c.Write(" + 1")
	}
	for _, col := range oc.Update {
		if n > 0 {
			c.Write(", ")
		}
		n++
		c.Ident(col)
		c.Write(" = VALUES(")
		c.Ident(col)
		c.Byte(')')
	}
}

// returning writes RETURNING cols, or fails when the dialect lacks the
// RETURNING of this statement (MySQL has none, MariaDB no UPDATE ...
// RETURNING).
func returning(c *Compiler, cols []string, f dialect.Feature, stmt, table string) {
	if len(cols) == 0 {
		return
	}
	if !c.D.Has(f) {
		c.Fail(fmt.Errorf("%w: %s %s ... RETURNING: this %s server has no RETURNING for the statement", arcerr.ErrInvalidRequest, stmt, table, c.D.Name()))
		return
	}
	c.Write(" RETURNING ")
	for i, col := range cols {
		if i > 0 {
			c.Write(", ")
		}
		c.Ident(col)
	}
}

// Assign is one SET item of an UPDATE.
type Assign struct {
	Col string
	V   any // a value to bind, or an Expr
}

// Update is UPDATE table SET ... WHERE ... [RETURNING ...].
type Update struct {
	Table     *meta.Table
	Set       []Assign
	Where     []Expr
	Returning []string
}

func (*Update) statement() {}

// AppendSQL writes the statement.
func (u *Update) AppendSQL(c *Compiler) {
	if len(u.Set) == 0 {
		c.Fail(fmt.Errorf("%w: UPDATE %s with nothing to set", arcerr.ErrInvalidRequest, u.Table.Name))
		return
	}
	c.push([]FromItem{TableOf(u.Table)})
	defer c.pop()
	c.Write("UPDATE ")
	c.Ident(u.Table.Name)
	c.Write(" SET ")
	for i, a := range u.Set {
		if i > 0 {
			c.Write(", ")
		}
		c.Ident(a.Col)
		c.Write(" = ")
		c.Operand(a.V)
	}
	if len(u.Where) > 0 {
		c.Write(" WHERE ")
		And(u.Where...).AppendSQL(c)
	}
	returning(c, u.Returning, dialect.ReturningUpdate, "UPDATE", u.Table.Name)
}

// Delete is DELETE FROM table WHERE ... [RETURNING ...].
type Delete struct {
	Table     *meta.Table
	Where     []Expr
	Returning []string
}

func (*Delete) statement() {}

// AppendSQL writes the statement.
func (d *Delete) AppendSQL(c *Compiler) {
	c.push([]FromItem{TableOf(d.Table)})
	defer c.pop()
	c.Write("DELETE FROM ")
	c.Ident(d.Table.Name)
	if len(d.Where) > 0 {
		c.Write(" WHERE ")
		And(d.Where...).AppendSQL(c)
	}
	returning(c, d.Returning, dialect.ReturningDelete, "DELETE FROM", d.Table.Name)
}

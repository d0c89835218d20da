package migrate

import (
	"context"
	"fmt"
	"strings"

	"github.com/arcorm/arc/arcerr"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/dialect/ddl"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/meta"
)

// CreateAll creates the tables of the given models (struct values, pointers
// or reflect.Types; related models reached through relationship fields
// come along), with their sequences, constraints and indexes, in
// foreign-key order and in one transaction. Tables that already exist are
// left alone (SQLAlchemy's checkfirst), so a second call creates nothing;
// with echo on, each skipped table is logged.
func CreateAll(ctx context.Context, eng *engine.Engine, models ...any) error {
	md, err := meta.NewMetaData(models...)
	if err != nil {
		return err
	}
	_, err = CreateTables(ctx, eng, md)
	return err
}

// CreateTables is CreateAll for a MetaData; it returns the names of the
// tables it created.
func CreateTables(ctx context.Context, eng *engine.Engine, md *meta.MetaData) (created []string, err error) {
	if eng == nil || md == nil {
		return nil, fmt.Errorf("%w: CreateTables needs an engine and a MetaData", arcerr.ErrInvalidRequest)
	}
	d := eng.Dialect()
	var applied []string
	exec := func(tx *engine.Tx, q string) error {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
		applied = append(applied, q)
		return nil
	}
	err = eng.InTx(ctx, func(tx *engine.Tx) error {
		created, applied = created[:0], applied[:0]
		// Another create_all on the same schema finishes first; then its
		// tables exist here and are skipped.
		if err := lockSchema(ctx, tx, "create_all"); err != nil {
			return err
		}
		inCycle := cycleFKs(md)
		var deferred []string
		for _, t := range md.Sorted() {
			if err := dialect.CheckTable(d, t); err != nil {
				return err
			}
			exists, err := tableExists(ctx, tx, t.Name)
			if err != nil {
				return err
			}
			if exists {
				if eng.Echo() {
					eng.Logger().Infof("create_all: table %s exists, skipped", t.Name)
				}
				continue
			}
			stmts := createStatements(d, t, inCycle, &deferred, true)
			for _, q := range stmts {
				if err := exec(tx, q); err != nil {
					return fmt.Errorf("arc: create table %s: %w", t.Name, err)
				}
			}
			created = append(created, t.Name)
		}
		for _, q := range deferred {
			if err := exec(tx, q); err != nil {
				return fmt.Errorf("arc: create_all: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, partialDDL("create_all", d, applied, err)
	}
	return created, nil
}

// DDLError is a create_all or drop_all that failed part-way on a
// database whose DDL is not transactional (MySQL and MariaDB commit each
// CREATE, ALTER and DROP by itself, inside a transaction or not): the
// statements in Applied ran before the failure and stay. Unwrap gives the
// failure, which names the table and the statement.
type DDLError struct {
	Op      string   // "create_all" or "drop_all"
	Applied []string // the statements that ran and were not rolled back
	Err     error
}

func (e *DDLError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n  already applied, NOT rolled back (DDL is not transactional on this database): %d statement(s) of %s:", e.Err, len(e.Applied), e.Op)
	for _, q := range e.Applied {
		q = strings.Join(strings.Fields(q), " ")
		if len(q) > 200 {
			q = q[:200] + " ..."
		}
		b.WriteString("\n    " + q)
	}
	return b.String()
}

// Unwrap returns the failure.
func (e *DDLError) Unwrap() error { return e.Err }

// partialDDL wraps err in a DDLError when d's DDL is not transactional
// and statements ran before it.
func partialDDL(op string, d dialect.Dialect, applied []string, err error) error {
	if d.Has(dialect.TransactionalDDL) || len(applied) == 0 {
		return err
	}
	return &DDLError{Op: op, Applied: append([]string(nil), applied...), Err: err}
}

// createStatements renders t's DDL. Foreign keys on a dependency cycle are
// split off into ALTER TABLE statements run after every table exists, on
// dialects that can add constraints later; SQLite does not check foreign
// key targets at CREATE time, so there they stay inline.
func createStatements(d dialect.Dialect, t *meta.Table, inCycle map[*meta.ForeignKey]bool, deferred *[]string, ifNotExists bool) []string {
	created, later := splitCycleFKs(d, t, inCycle)
	for _, fk := range later {
		*deferred = append(*deferred, ddl.Render(d, ddl.AddForeignKey{Table: t.Name, ForeignKey: fk})...)
	}
	return dialect.CreateTable(d, created, ifNotExists)
}

// splitCycleFKs is the table to create and the foreign keys to add after
// every table of the cycle exists (where the dialect can add one with
// ALTER TABLE; SQLite creates them all with the table, unchecked until
// used).
func splitCycleFKs(d dialect.Dialect, t *meta.Table, inCycle map[*meta.ForeignKey]bool) (*meta.Table, []*meta.ForeignKey) {
	if !d.Has(dialect.AlterColumn) || len(inCycle) == 0 {
		return t, nil
	}
	cp := *t
	cp.ForeignKeys = nil
	var later []*meta.ForeignKey
	for _, fk := range t.ForeignKeys {
		if inCycle[fk] {
			later = append(later, fk)
			continue
		}
		cp.ForeignKeys = append(cp.ForeignKeys, fk)
	}
	return &cp, later
}

func cycleFKs(md *meta.MetaData) map[*meta.ForeignKey]bool {
	out := map[*meta.ForeignKey]bool{}
	for _, group := range md.Cycles() {
		in := map[*meta.Table]bool{}
		for _, t := range group {
			in[t] = true
		}
		for _, t := range group {
			for _, fk := range t.ForeignKeys {
				if in[fk.Target] && fk.Target != t {
					out[fk] = true
				}
			}
		}
	}
	return out
}

func tableExists(ctx context.Context, x engine.Executor, name string) (bool, error) {
	rows, err := x.Query(ctx, x.Dialect().TableExistsSQL(), name)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := rows.Next()
	return found, rows.Err()
}

// TableExists reports whether a table exists in the engine's database
// (on PostgreSQL, in the current search path).
func TableExists(ctx context.Context, eng *engine.Engine, name string) (bool, error) {
	return tableExists(ctx, eng, name)
}

// DropAll drops the tables of the given models in reverse foreign-key
// order, in one transaction; tables that do not exist are skipped.
func DropAll(ctx context.Context, eng *engine.Engine, models ...any) error {
	md, err := meta.NewMetaData(models...)
	if err != nil {
		return err
	}
	return DropTables(ctx, eng, md)
}

// lockSchema takes the dialect's schema lock (dialect.SchemaLocker) in
// tx, so that create_all and drop_all from several processes at once run
// one after the other instead of failing on each other's tables.
func lockSchema(ctx context.Context, tx *engine.Tx, op string) error {
	if l, ok := tx.Dialect().(dialect.SchemaLocker); ok {
		if _, err := tx.Exec(ctx, l.SchemaLockSQL()); err != nil {
			return fmt.Errorf("arc: %s: schema lock: %w", op, err)
		}
	}
	return nil
}

// DropTables is DropAll for a MetaData.
func DropTables(ctx context.Context, eng *engine.Engine, md *meta.MetaData) error {
	if eng == nil || md == nil {
		return fmt.Errorf("%w: DropTables needs an engine and a MetaData", arcerr.ErrInvalidRequest)
	}
	d := eng.Dialect()
	sorted := md.Sorted()
	cyclic := len(md.Cycles()) > 0
	var applied []string
	err := eng.InTx(ctx, func(tx *engine.Tx) error {
		applied = applied[:0]
		if err := lockSchema(ctx, tx, "drop_all"); err != nil {
			return err
		}
		if cyclic && d.Has(dialect.AlterColumn) {
			for fk := range cycleFKs(md) {
				q := ddl.Render(d, ddl.DropConstraint{Table: fk.Table.Name, Kind: dialect.ForeignKeyConstraint, Name: fk.Name, IfExists: true})[0]
				if ok, err := tableExists(ctx, tx, fk.Table.Name); err != nil {
					return err
				} else if ok {
					if _, err := tx.Exec(ctx, q); err != nil {
						return fmt.Errorf("arc: drop_all: %w", err)
					}
					applied = append(applied, q)
				}
			}
		}
		for i := len(sorted) - 1; i >= 0; i-- {
			for _, q := range dialect.DropTable(d, sorted[i], true) {
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("arc: drop table %s: %w", sorted[i].Name, err)
				}
				applied = append(applied, q)
			}
		}
		return nil
	})
	if err != nil {
		return partialDDL("drop_all", d, applied, err)
	}
	return nil
}

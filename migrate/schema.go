package migrate

import (
	"context"
	"fmt"
	"github.com/arcorm/arc/arcerr"

	"github.com/arcorm/arc/dialect"
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
	err = eng.InTx(ctx, func(tx *engine.Tx) error {
		created = created[:0]
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
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("arc: create table %s: %w", t.Name, err)
				}
			}
			created = append(created, t.Name)
		}
		for _, q := range deferred {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("arc: create_all: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

// createStatements renders t's DDL. Foreign keys on a dependency cycle are
// split off into ALTER TABLE statements run after every table exists, on
// dialects that can add constraints later; SQLite does not check foreign
// key targets at CREATE time, so there they stay inline.
func createStatements(d dialect.Dialect, t *meta.Table, inCycle map[*meta.ForeignKey]bool, deferred *[]string, ifNotExists bool) []string {
	if !d.Has(dialect.AlterColumn) || len(inCycle) == 0 {
		return dialect.CreateTable(d, t, ifNotExists)
	}
	cp := *t
	cp.ForeignKeys = nil
	for _, fk := range t.ForeignKeys {
		if inCycle[fk] {
			*deferred = append(*deferred, "ALTER TABLE "+dialect.QuoteIdent(d, t.Name)+" ADD "+dialect.ForeignKeyDef(d, fk))
			continue
		}
		cp.ForeignKeys = append(cp.ForeignKeys, fk)
	}
	return dialect.CreateTable(d, &cp, ifNotExists)
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

// DropTables is DropAll for a MetaData.
func DropTables(ctx context.Context, eng *engine.Engine, md *meta.MetaData) error {
	if eng == nil || md == nil {
		return fmt.Errorf("%w: DropTables needs an engine and a MetaData", arcerr.ErrInvalidRequest)
	}
	d := eng.Dialect()
	sorted := md.Sorted()
	cyclic := len(md.Cycles()) > 0
	return eng.InTx(ctx, func(tx *engine.Tx) error {
		if cyclic && d.Has(dialect.AlterColumn) {
			for fk := range cycleFKs(md) {
				q := "ALTER TABLE " + dialect.QuoteIdent(d, fk.Table.Name) + " DROP CONSTRAINT IF EXISTS " + dialect.QuoteIdent(d, fk.Name)
				if ok, err := tableExists(ctx, tx, fk.Table.Name); err != nil {
					return err
				} else if ok {
					if _, err := tx.Exec(ctx, q); err != nil {
						return fmt.Errorf("arc: drop_all: %w", err)
					}
				}
			}
		}
		for i := len(sorted) - 1; i >= 0; i-- {
			for _, q := range dialect.DropTable(d, sorted[i], true) {
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("arc: drop table %s: %w", sorted[i].Name, err)
				}
			}
		}
		return nil
	})
}

package session

import (
	"context"
	"fmt"
	"slices"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/relations"
)

// Link writes the link row between the owner of a many-to-many field and
// target now, idempotently: INSERT INTO the association table ... ON
// CONFLICT DO NOTHING, in the session's transaction (after autoflush). It
// reports whether a row was added (false: the link existed). Nothing is
// loaded, and two concurrent Links of the same pair both succeed, which
// makes it the way to write "favorite" and "follow":
//
//	added, err := session.Link(ctx, &article.FavoritedBy, user)
//
// Both objects must be persistent in the session. A loaded collection (and
// its inverse) shows target afterwards as loaded and flushed; an append of
// target queued in memory is dropped, since the row is already written.
func Link(ctx context.Context, field relations.Field, target any) (bool, error) {
	return linkNow(ctx, field, target, true)
}

// Unlink deletes the link row between the owner of a many-to-many field
// and target now, and reports whether there was one: removing an absent
// link is a no-op, not ErrStaleData (as Remove then flush would be). The
// in-memory collection and its inverse follow, as for Link.
func Unlink(ctx context.Context, field relations.Field, target any) (bool, error) {
	return linkNow(ctx, field, target, false)
}

func linkNow(ctx context.Context, field relations.Field, target any, add bool) (bool, error) {
	what := "Unlink"
	if add {
		what = "Link"
	}
	c, err := fieldCore(field)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	r := c.Rel()
	if r == nil || c.Owner() == nil {
		return false, fmt.Errorf("%w: %s: the relationship field is not bound to an object in a session (load or add its owner first)", arcerr.ErrDetached, what)
	}
	if r.Dir != meta.ManyToMany || r.Secondary == nil {
		return false, fmt.Errorf("%w: %s: %s is not a many-to-many relationship (for one-to-many, set the child's parent and flush)", arcerr.ErrInvalidRequest, what, r.Name())
	}
	s := sessionOf(c.Loader())
	if s == nil {
		s = From(ctx)
	}
	if s == nil {
		return false, fmt.Errorf("%w: %s of %s: the owner is not in a session", arcerr.ErrDetached, what, r.Name())
	}
	if err := s.check(); err != nil {
		return false, err
	}
	tp, tt, err := objectOf(target)
	if err != nil {
		return false, fmt.Errorf("%s of %s: %w", what, r.Name(), err)
	}
	if tt != r.Target {
		return false, fmt.Errorf("%w: %s: %s holds %s, not %s", arcerr.ErrInvalidRequest, what, r.Name(), r.Target.GoType.Name(), tt.GoType.Name())
	}
	if err := s.autoflush(ctx); err != nil {
		return false, err
	}
	if _, err := s.executor(ctx); err != nil {
		return false, err
	}
	for _, o := range []struct {
		p unsafe.Pointer
		t *meta.Table
	}{{c.Owner(), r.Owner}, {tp, tt}} {
		st := s.stateAt(o.p)
		if st == nil || st.status != Persistent {
			status := Transient
			if st != nil {
				status = st.status
			}
			return false, fmt.Errorf("%w: %s of %s: the %s is %s; it must be persistent in this session (add it and flush first)", arcerr.ErrInvalidRequest, what, r.Name(), o.t.GoType.Name(), status)
		}
	}
	ocd, tcd := codecOf(r.Owner), codecOf(r.Target)
	var cols []string
	var vals []any
	for i, col := range r.SecOwner {
		cols = append(cols, col.Name)
		vals = append(vals, readCol(ocd, r.OwnerRef[i], c.Owner()))
	}
	for i, col := range r.SecTarget {
		cols = append(cols, col.Name)
		vals = append(vals, readCol(tcd, r.TargetRef[i], tp))
	}
	var st expr.Expr
	d := s.eng.Dialect()
	dk, plainInsert := d.(dialect.DuplicateKeyError)
	plainInsert = plainInsert && d.Has(dialect.OnDuplicateKey)
	if add && plainInsert {
		// MySQL: ON DUPLICATE KEY UPDATE reports a row it found as
		// affected when the connection counts found rows (as Arc's
		// does), so a plain INSERT runs and a duplicate key means the
		// link was there (InnoDB rolls back the statement alone).
		st = &expr.Insert{Table: r.Secondary, Columns: cols, Rows: [][]any{vals}}
	} else if add {
		oc := &expr.OnConflict{DoNothing: true}
		if pk := meta.ColumnNames(r.Secondary.PrimaryKey); len(pk) == len(cols) && !slices.ContainsFunc(pk, func(n string) bool { return !slices.Contains(cols, n) }) {
			oc.Columns = pk
		}
		st = &expr.Insert{Table: r.Secondary, Columns: cols, Rows: [][]any{vals}, OnConflict: oc}
	} else {
		ref := expr.TableOf(r.Secondary)
		del := &expr.Delete{Table: r.Secondary}
		for i, name := range cols {
			del.Where = append(del.Where, expr.Op(&expr.ColRef{From: ref, Col: r.Secondary.ColumnByName(name)}, "=", vals[i]))
		}
		st = del
	}
	q, args, err := compileWith(d, st, nil)
	if err != nil {
		return false, fmt.Errorf("%s of %s: %w", what, r.Name(), err)
	}
	var n int64
	err = s.writeNow(ctx, "arc_link", func(tx *engine.Tx) error {
		res, err := tx.Exec(ctx, q, args...)
		if err != nil && add && plainInsert && dk.IsDuplicateKey(err) {
			n = 0
			return nil
		}
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("arc: %s of %s: %w", what, r.Name(), err)
	}
	if add {
		c.Linked(tp)
	} else {
		c.Unlinked(tp)
	}
	return n > 0, nil
}

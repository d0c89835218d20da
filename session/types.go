package session

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/internal/uuidtext"
	"github.com/arcorm/arc/meta"
)

// normTime is how the session writes a time from an object: in UTC and
// cut to microseconds, PostgreSQL's precision, so that both dialects store
// the same instant and a reload reads back the same value on both.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTime has the layout of sql.NullTime and sql.Null[time.Time].
type nullTime struct {
	Time  time.Time
	Valid bool
}

// The layouts agree (a constant index out of range fails the build).
var (
	_ = [1]struct{}{}[unsafe.Sizeof(nullTime{})-unsafe.Sizeof(sql.NullTime{})]
	_ = [1]struct{}{}[unsafe.Offsetof(nullTime{}.Valid)-unsafe.Offsetof(sql.NullTime{}.Valid)]
	_ = [1]struct{}{}[unsafe.Offsetof(nullTime{}.Valid)-unsafe.Offsetof(sql.Null[time.Time]{}.Valid)]
)

// autoUUID reports whether the session generates c's value at INSERT when
// it is zero: a single-column UUID primary key without server_default.
func autoUUID(c *meta.Column) bool {
	return c.Kind == meta.KindUUID && c.PrimaryKey && c.ServerDefault == "" && len(c.Table.PrimaryKey) == 1 && !c.Ptr && !c.NullType
}

// newUUID stores a new version 7 UUID (RFC 9562: 48 bits of Unix
// milliseconds, then random bits; keys drawn later sort later, which
// keeps a primary key index compact) into the UUID field at p: the 16
// bytes of a [16]byte type such as uuid.UUID, or the 36-character text
// of a string field.
func newUUID(c *meta.Column, p unsafe.Pointer) {
	var u [16]byte
	_, _ = rand.Read(u[6:]) // never fails (crypto/rand, Go 1.24+)
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(time.Now().UnixMilli()))
	copy(u[:6], ms[2:])
	u[6] = u[6]&0x0f | 0x70 // version 7
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	if c.Elem.Kind() == reflect.String {
		layout.Set(p, 0, formatUUID(u))
		return
	}
	layout.Set(p, 0, u)
}

func formatUUID(u [16]byte) string { return uuidtext.Format(u) }

// readGenerated reads the generated columns of st's row, by its key,
// into the object: after an UPDATE on a dialect without UPDATE ...
// RETURNING.
func (s *Session) readGenerated(ctx context.Context, tx *engine.Tx, st *state) error {
	return readBack(ctx, tx, st, st.cd.t.Generated)
}

// readBack reads cols of st's row, by its key, into the object.
func readBack(ctx context.Context, tx *engine.Tx, st *state, cols []*meta.Column) error {
	t := st.cd.t
	d := tx.Dialect()
	b := []byte("SELECT ")
	for i, c := range cols {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = d.AppendIdent(b, c.Name)
	}
	b = append(b, " FROM "...)
	b = d.AppendIdent(b, t.Name)
	b = append(b, " WHERE "...)
	args := make([]any, 0, len(t.PrimaryKey))
	for i, c := range t.PrimaryKey {
		if i > 0 {
			b = append(b, " AND "...)
		}
		b = d.AppendIdent(b, c.Name)
		b = append(b, " = "...)
		b = d.AppendPlaceholder(b, i+1)
		args = append(args, readCol(st.cd, c, st.obj))
	}
	q := string(b)
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return tx.Wrap(err, q, args)
		}
		return fmt.Errorf("%w: the row written is gone when its generated columns are read back", arcerr.ErrStaleData)
	}
	if err := engine.NewScanPlan(cols).Scan(rows, st.obj); err != nil {
		return err
	}
	return tx.Wrap(rows.Err(), q, args)
}

// updateReturning runs an UPDATE ... RETURNING of a table with generated
// columns and reads their new values into the object.
func (s *Session) updateReturning(ctx context.Context, tx *engine.Tx, st *state, q string, args []any) error {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	plan := engine.NewScanPlan(st.cd.t.Generated)
	for rows.Next() {
		if n++; n == 1 {
			if err := plan.Scan(rows, st.obj); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%w: UPDATE matched %d rows, expected 1 (row deleted or version changed by someone else)", arcerr.ErrStaleData, n)
	}
	return nil
}

// uuidFromText parses s into a value of UUID column c's type through its
// sql.Scanner (uuid.UUID.Scan accepts the usual text forms).
func uuidFromText(c *meta.Column, s string) (reflect.Value, error) {
	nv := reflect.New(c.GoType)
	sc, ok := nv.Interface().(sql.Scanner)
	if !ok {
		return reflect.Value{}, fmt.Errorf("%s is not a sql.Scanner", c.GoType)
	}
	if err := sc.Scan(s); err != nil {
		return reflect.Value{}, err
	}
	return nv.Elem(), nil
}

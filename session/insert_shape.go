// What one INSERT writes: the defaults and timestamps a flush fills, and
// the columns an object sets or has the database fill.

package session

import (
	"database/sql"
	"reflect"
	"time"
	"unsafe"

	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// flushNow is the timestamp one flush writes into CreatedAt/UpdatedAt and
// default:now columns: UTC, cut to the dialect's timestamp precision so
// that what is in memory equals what a reload gives.
func (s *Session) flushNow() time.Time {
	return time.Now().UTC().Truncate(s.eng.Dialect().TimePrecision())
}

func setNow(obj unsafe.Pointer, c *meta.Column, now time.Time) {
	v := layout.Value(obj, c.Offset, c.GoType)
	switch {
	case c.Ptr:
		v.Set(reflect.ValueOf(&now))
	case c.NullType:
		v.Set(reflect.ValueOf(sql.NullTime{Time: now, Valid: true}).Convert(c.GoType))
	default:
		v.Set(reflect.ValueOf(now))
	}
}

func setDefault(obj unsafe.Pointer, c *meta.Column, now time.Time) {
	if c.DefaultNow {
		setNow(obj, c, now)
		return
	}
	v := layout.Value(obj, c.Offset, c.GoType)
	dv := reflect.ValueOf(c.Default).Convert(c.Elem)
	switch {
	case c.Ptr:
		p := reflect.New(c.Elem)
		p.Elem().Set(dv)
		v.Set(p)
	case c.NullType:
		// sql.Null*: set the value field and Valid.
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.Name == "Valid" {
				v.Field(i).SetBool(true)
			} else if dv.Type().AssignableTo(f.Type) {
				v.Field(i).Set(dv)
			}
		}
	default:
		v.Set(dv)
	}
}

// insertShape fills client defaults, timestamps and the version into a
// pending object and works out which columns its INSERT writes (mask) and
// reads back (retMask). It records in st.filled the columns it set or that
// RETURNING will set (all zero before), so that a failed flush can clear
// them again. Column lists are built only for tables wider than 64
// columns, where masks do not reach. sc lists the codec's special
// columns (see shapeColsOf): only those are looked at per object.
func insertShape(st *state, now time.Time, sc *shapeCols) (r insertRow) {
	cd := st.cd
	r.st = st
	st.filled = 0
	if len(cd.cols) <= 64 {
		r.mask = sc.plain
		for _, i := range sc.specials {
			switch specialShape(st, i, now) {
			case shapeWrite:
				r.mask |= bit(i)
			case shapeFilled:
				r.mask |= bit(i)
				st.filled |= bit(i)
			case shapeReturned:
				r.retMask |= bit(i)
				st.filled |= bit(i)
			}
		}
		return r
	}
	wide := &insertCols{}
	r.wide = wide
	for i := range cd.cols {
		c := cd.cols[i].c
		sh := shapeWrite
		if cd.cols[i].special {
			sh = specialShape(st, i, now)
		}
		switch sh {
		case shapeReturned:
			r.retMask |= bit(i)
			st.filled |= bit(i)
			wide.ret = append(wide.ret, c)
			continue
		case shapeFilled:
			st.filled |= bit(i)
		}
		r.mask |= bit(i)
		wide.cols = append(wide.cols, c)
	}
	return r
}

// shapeCols is what insertShape needs of a codec: the columns every
// INSERT writes as they are, and the special ones, tested per object.
type shapeCols struct {
	plain    uint64
	specials []int
}

func shapeColsOf(cd *codec) shapeCols {
	var sc shapeCols
	for i := range cd.cols {
		if cd.cols[i].special {
			sc.specials = append(sc.specials, i)
		} else {
			sc.plain |= bit(i)
		}
	}
	return sc
}

// How the INSERT of one object treats a special column.
const (
	shapeWrite    = iota // written as it is
	shapeFilled          // filled in by the flush (default, timestamp, version, UUID), then written
	shapeReturned        // left to the database and read back
)

// specialShape fills in special column i of a pending object when it is
// zero (or generated) and says how the INSERT treats it.
func specialShape(st *state, i int, now time.Time) int {
	cc := &st.cd.cols[i]
	c, t := cc.c, st.cd.t
	if c.Generated == "" && !cc.zero(layout.At(st.obj, c.Offset)) {
		return shapeWrite
	}
	switch {
	case c.AutoIncrement, c.ServerDefault != "" || c.Sequence != "", c.Generated != "":
		return shapeReturned
	case autoUUID(c):
		newUUID(c, layout.At(st.obj, c.Offset))
	case c.HasDefault:
		setDefault(st.obj, c, now)
	case c == t.CreatedAt || c == t.UpdatedAt:
		setNow(st.obj, c, now)
	case c == t.Version:
		layout.Value(st.obj, c.Offset, c.GoType).SetInt(1)
	}
	return shapeFilled
}

// columnsOf lists the columns of t whose bits are set in mask (kept in
// the compiled cache c: a table has few INSERT shapes, but masks could
// make 2^n keys).
func columnsOf(c *stmtCache, t *meta.Table, mask uint64) []*meta.Column {
	k := colsKey{t, mask}
	if v, ok := c.Get(k); ok {
		return v.([]*meta.Column)
	}
	out := make([]*meta.Column, 0, bitsSet(mask))
	for i, col := range t.Columns {
		if i < 64 && mask&(1<<uint(i)) != 0 {
			out = append(out, col)
		}
	}
	return c.Store(k, out).([]*meta.Column)
}

// colsKey keys columnsOf's lists (never modified) in the compiled cache.
type colsKey struct {
	t    *meta.Table
	mask uint64
}

func bitsSet(m uint64) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}

func bit(i int) uint64 {
	if i >= 64 {
		return 0
	}
	return 1 << uint(i)
}

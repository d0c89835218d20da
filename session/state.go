package session

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// Status is an object's state with respect to a session (SQLAlchemy's
// five states).
type Status uint8

// Object states.
const (
	// Transient: not in a session and never saved (or rolled back out of one).
	Transient Status = iota
	// Pending: added to a session, not yet flushed.
	Pending
	// Persistent: in a session with a database row.
	Persistent
	// Deleted: its DELETE was flushed; the transaction is still open.
	Deleted
	// Detached: has a database identity but is in no session.
	Detached
)

func (s Status) String() string {
	return [...]string{"transient", "pending", "persistent", "deleted", "detached"}[s]
}

// ikey is an identity: the table and its primary key, normalised
// (integers as int64, []byte as string) so that Get(1) finds int64 ids. A
// single integer key is kept in n; any other key (a string, a composite
// key) is encoded into s by encodeKey. Small and cheap to hash: the
// identity map is on every hot path.
type ikey struct {
	t *meta.Table
	n int64
	s string
}

// skey is an identity without its table: what a state keeps (its codec
// knows the table).
type skey struct {
	n int64
	s string
}

func (k ikey) sk() skey { return skey{k.n, k.s} }

// ikey returns the state's identity.
func (st *state) ikey() ikey { return ikey{st.cd.t, st.key.n, st.key.s} }

// makeKey builds the identity of table t from normalised key values.
func makeKey(t *meta.Table, vals []any) ikey {
	if len(vals) == 1 {
		switch v := vals[0].(type) {
		case int64:
			return ikey{t: t, n: v}
		case string:
			return ikey{t: t, s: v}
		}
	}
	return ikey{t: t, s: encodeKey(vals)}
}

// encodeKey encodes normalised key values so that equal keys give equal
// strings (integers big-endian with the sign flipped, so composite integer
// keys sort numerically; strings length-prefixed).
func encodeKey(vals []any) string {
	b := make([]byte, 0, 16*len(vals))
	for _, v := range vals {
		switch x := v.(type) {
		case int64:
			b = append(b, 'i')
			b = binary.BigEndian.AppendUint64(b, uint64(x)^(1<<63))
		case string:
			b = append(b, 's')
			b = binary.AppendUvarint(b, uint64(len(x)))
			b = append(b, x...)
		default:
			str := fmt.Sprintf("%T:%v", x, x)
			b = append(b, 'x')
			b = binary.AppendUvarint(b, uint64(len(str)))
			b = append(b, str...)
		}
	}
	return string(b)
}

// state is the session's bookkeeping for one object.
type state struct {
	obj unsafe.Pointer
	cd  *codec // cd.t is the object's table
	key skey   // the identity's key values (see ikey), valid when hasKey

	snap   *snapshot // column values as loaded or last flushed (nil while pending)
	first  snapshot  // storage for the snapshot taken at load, saving an allocation; never rewritten
	txSnap *snapshot // values when the transaction began, kept from the first flush, bulk statement or reload that changed the snapshot

	status       Status
	hasKey       bool
	expired      bool
	newInTx      bool   // INSERT flushed in the current transaction
	deletedInTx  bool   // DELETE flushed in the current transaction
	markedDelete bool   // Delete() called, not flushed
	relBound     bool   // the object's relationship fields are bound to the session (rel_session.go)
	filled       uint64 // columns the running flush's INSERT filled in (see insertShape)
	batch        *loadBatch
}

// ifc returns the object as an interface value (the *T).
func (st *state) ifc() any { return reflect.NewAt(st.cd.t.GoType, st.obj).Interface() }

// holder returns the Holder of a tracked object (record.Base), or nil.
// It is found where the codec says, or asked of the object when the
// model keeps it outside its own struct (see Session.add).
func (st *state) holder() *Holder {
	switch {
	case st.cd.inHolder:
		return layout.Ptr[Holder](st.obj, st.cd.holderAt)
	case st.cd.tracked:
		return st.ifc().(Tracked).ArcHolder()
	}
	return nil
}

// loadBatch groups the objects one multi-row query loaded (N+1 guard).
type loadBatch struct{ n int }

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
// knows the table). An integer key is n with p nil; a string key (ikey.s,
// never empty) is kept as its bytes p and its length in n, so the state
// holds 16 bytes for its key instead of 24 (an integer key's string, and
// a string key's integer, are never used).
type skey struct {
	n int64
	p *byte
}

func (k ikey) sk() skey {
	if k.s == "" {
		return skey{n: k.n}
	}
	return skey{n: int64(len(k.s)), p: unsafe.StringData(k.s)}
}

// str is the key's string (ikey.s), "" for an integer key.
func (k skey) str() string {
	if k.p == nil {
		return ""
	}
	return unsafe.String(k.p, int(k.n))
}

// num is the key's integer (ikey.n), 0 for a string key.
func (k skey) num() int64 {
	if k.p != nil {
		return 0
	}
	return k.n
}

// ikey returns the state's identity.
func (st *state) ikey() ikey { return ikey{st.cd.t, st.key.num(), st.key.str()} }

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

	filled uint64 // columns the running flush's INSERT filled in (see insertShape)

	// The last word: a state is 80 bytes (was 96 with a pointer to its
	// load batch and six bools, 88 with the key's string header); every
	// loaded object has one.
	batch        batchID // the multi-row load that loaded the object (N+1 guard), or 0
	status       Status
	expired      bool
	markedDelete bool      // Delete() called, not flushed
	bits         stateBits // bHasKey, bNewInTx, bDeletedInTx, bRelBound
}

// stateBits are a state's less used flags, packed so that the state's
// last word holds its batch too.
type stateBits uint8

const (
	bHasKey      stateBits = 1 << iota // key is valid
	bNewInTx                           // INSERT flushed in the current transaction
	bDeletedInTx                       // DELETE flushed in the current transaction
	bRelBound                          // the object's relationship fields are bound to the session (rel_session.go)
)

// is reports whether any of b is set.
func (st *state) is(b stateBits) bool { return st.bits&b != 0 }

// set sets or clears b.
func (st *state) set(b stateBits, on bool) {
	if on {
		st.bits |= b
	} else {
		st.bits &^= b
	}
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

// batchID names the objects one multi-row query loaded (N+1 guard): 1 +
// the index of the count of its objects in Session.batches; 0 is none. A
// 32-bit id in the state's last word instead of a pointer to a counter
// allocated per query: 8 bytes less per state, one allocation less per
// query, nothing for the collector to follow. A session keeps 4 bytes per
// multi-row load it ran (the first few inside the Session).
type batchID uint32

// newBatch starts a batch.
func (s *Session) newBatch() batchID {
	if s.batches == nil {
		s.batches = s.batch0[:0]
	}
	s.batches = append(s.batches, 0)
	return batchID(len(s.batches))
}

// addToBatch counts st as one of batch b's objects (none when b is 0).
func (s *Session) addToBatch(st *state, b batchID) {
	if b != 0 {
		st.batch = b
		s.batches[b-1]++
	}
}

// batchLen is how many objects st's batch loaded (0 for none).
func (s *Session) batchLen(st *state) int32 {
	if st.batch == 0 {
		return 0
	}
	return s.batches[st.batch-1]
}

// The per-object session link a model keeps in record.Base (Holder), and
// finding an object's state from it.

package session

import (
	"reflect"
	"unsafe"

	"github.com/arcorm/arc/internal/layout"
)

// Holder is the per-object state an active-record base (record.Base)
// embeds, so that an object knows its session and keeps its snapshot
// after it is detached. Plain structs work without one.
type Holder struct {
	owner unsafe.Pointer
	sess  *Session // nil once the object leaves the session
	// st is the object's state in sess; after the object is detached, the
	// state it left with (status Detached, its identity and snapshot), so
	// that re-adding the object makes it persistent and a later flush
	// updates only changed columns. Three words: every record.Base model
	// carries a Holder, and loads copy and snapshot models by the hundred.
	st *state
}

// detached returns the state a detached object left its session with,
// or nil when the object is not detached with an identity (or h is nil).
func (h *Holder) detached() *state {
	if h != nil && h.sess == nil && h.st != nil && h.st.status == Detached && h.st.snap != nil {
		return h.st
	}
	return nil
}

// Tracked is implemented by models that embed a Holder through
// record.Base; the session finds it by type assertion.
type Tracked interface{ ArcHolder() *Holder }

var trackedType = reflect.TypeFor[Tracked]()

// Copied reports whether h is a copy: the session recorded the address
// of the object h belongs to when it added or loaded it (and keeps it
// after the object leaves), and h is not at offset off of that object.
// A Holder never in a session has nothing to compare and is not reported.
// record.Base checks it before it finds its model from its own address.
func (h *Holder) Copied(off uintptr) bool {
	return h.owner != nil && layout.At(h.owner, off) != unsafe.Pointer(h)
}

// Session returns the open session the object belongs to, or nil.
func (h *Holder) Session() *Session {
	if h.sess != nil && !h.sess.closed {
		return h.sess
	}
	return nil
}

func holderOf(obj any, p unsafe.Pointer) *Holder {
	tr, ok := obj.(Tracked)
	if !ok {
		return nil
	}
	h := tr.ArcHolder()
	if h.owner != nil && h.owner != p {
		// A copy of a tracked object: it is not the tracked one.
		*h = Holder{}
	}
	return h
}

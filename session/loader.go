package session

import (
	"context"
	"reflect"
	"sync/atomic"
	"unsafe"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/identity"
	"github.com/arcorm/arc/internal/layout"
	"github.com/arcorm/arc/meta"
)

// slab hands out zeroed structs of one type from chunks that grow with
// the result (1, 1, 2, 4, … up to maxChunk structs), so loading n rows
// costs O(log n) allocations instead of n. A chunk stays alive while any
// struct in it does: the cap bounds what one retained object can pin.
type slab struct {
	elem  reflect.Type // T
	slice reflect.Type // []T
	size  uintptr
	next  unsafe.Pointer // the next free struct, nil when the chunk is used up
	left  int
	made  int
	first int // the size of the first chunk when known ahead (see newLoader), else 0
}

const maxChunk = 128

func newSlab(t reflect.Type) slab { return slab{elem: t, slice: reflect.SliceOf(t), size: t.Size()} }

func (a *slab) get() unsafe.Pointer {
	if a.left == 0 {
		n := min(max(a.made, 1), maxChunk)
		if a.made == 0 && a.first > 0 {
			n = min(a.first, maxChunk)
		}
		if n == 1 {
			a.next = reflect.New(a.elem).UnsafePointer() // no slice header to allocate
		} else {
			a.next = reflect.MakeSlice(a.slice, n, n).UnsafePointer()
		}
		a.left = n
		a.made += n
	}
	p := a.next
	a.left--
	if a.left > 0 {
		a.next = layout.Index(p, 1, a.size)
	} else {
		a.next = nil // never point past the chunk
	}
	return p
}

// loader maps the rows of one result for one table into the session.
// It amortises what each new persistent object costs: the struct the row
// is scanned into, the session's state and the snapshot copy all come
// from chunks, and the codec and per-table facts are looked up once.
type loader struct {
	s        *Session
	t        *meta.Table
	cd       *codec
	populate bool
	batch    batchID
	objs     slab
	snaps    slab
	made     int            // new objects adopted
	spare    unsafe.Pointer // a scanned struct the identity map did not need, zeroed unless rescans
	// rescans: the loader's plan Rewrites, and it is the only one that
	// scans into structs from fresh, so a recycled struct needs no zeroing.
	rescans bool
	ids     *stateTable    // the identity map's integer keys of t, once needed
	props   []*meta.Column // column properties the plan scans, copied into objects already mapped
	lh      *loadHint      // where done records the count (see makeLoader)
}

func (s *Session) newLoader(t *meta.Table, plan *engine.ScanPlan, populate bool, batch batchID, h *loadHint) *loader {
	l := s.makeLoader(t, plan, populate, batch, h)
	return &l
}

// makeLoader is newLoader for a caller that keeps the loader in a
// variable (on its stack).
//
// h is the hint of the statement being loaded (a query's compiled SQL), or
// nil for the table's (loads without a cached statement).
func (s *Session) makeLoader(t *meta.Table, plan *engine.ScanPlan, populate bool, batch batchID, h *loadHint) loader {
	cd := codecOf(t)
	if h == nil {
		h = &cd.hint
	}
	l := loader{s: s, t: t, cd: cd, populate: populate, batch: batch, objs: cd.slab, snaps: cd.snapSlab, rescans: plan.Rewrites(),
		props: planProps(t, plan), lh: h}
	// When the last two loads made about as many objects, the next one
	// likely will too: size the session's maps for them and take them in
	// one chunk instead of 1, 1, 2, 4 … (the smaller of the two, so one
	// large load does not make the next small one reserve for it).
	if n := h.expect(); n >= minReserve {
		s.reserve(t, n)
		s.reserveStates(n)
		l.objs.first, l.snaps.first = n, n
	} else if n > 1 {
		l.objs.first, l.snaps.first = n, n
	}
	return l
}

// loadHint is how many new objects the last two loads of one statement
// made. A query's compiled SQL keeps its own (compiled.hint), so a
// one-row query never sizes its session for another statement's 60,000
// rows; loads without a cached statement use their table's (codec.hint).
// It is shared by sessions on purpose: a request that loads the same large
// result in every new session does not grow its maps by doubling each time.
type loadHint struct {
	last, prev atomic.Int32
}

// expect is the smaller of the last two counts.
func (h *loadHint) expect() int { return int(min(h.last.Load(), h.prev.Load())) }

// record notes a load that made n objects (written only on change: the
// hint is shared).
func (h *loadHint) record(n int) {
	v := int32(min(n, 1<<16))
	last := h.last.Load()
	if v != last {
		h.last.Store(v)
	}
	if h.prev.Load() != last {
		h.prev.Store(last)
	}
}

// expectSpare sizes the first chunk for one struct more than the hint:
// a load whose rows repeat objects (a joined load's parents) scans the
// repeats into one spare struct, which would otherwise start a new chunk
// as large as the first.
func (l *loader) expectSpare() {
	if l.objs.first > 0 {
		l.objs.first++
	}
}

// hint is how many objects this load likely makes (see newLoader), or 0.
func (l *loader) hint() int { return l.objs.first }

// maxStateChunk is the most states one chunk holds: as many as fill the
// runtime's 12 KB size class (153 states of 80 bytes; 128 would take
// 10 KB and be rounded up to the same 12 KB).
const maxStateChunk = 12 << 10 / int(unsafe.Sizeof(state{}))

// newState returns a zeroed state. States come from chunks that grow
// with the session (up to maxStateChunk), like a loader's structs.
func (s *Session) newState() *state {
	if s.stNext == len(s.stChunk) {
		s.stChunk = make([]state, min(max(2*len(s.stChunk), 4), maxStateChunk))
		s.stNext = 0
	}
	st := &s.stChunk[s.stNext]
	s.stNext++
	return st
}

// reserveStates makes the next state chunk large enough for n states
// (up to maxStateChunk) while the session's chunks are still small, instead
// of growing them 4, 8, 16 … on the way. Only when the current chunk is
// used up: a joined load makes its parents' loader and then its
// children's, and the parents' chunk must not be dropped half used.
func (s *Session) reserveStates(n int) {
	if s.stNext == len(s.stChunk) && len(s.stChunk) < maxStateChunk {
		s.stChunk = make([]state, min(n, maxStateChunk))
		s.stNext = 0
	}
}

// minReserve is the result size from which loaders size the session's
// maps ahead (smaller ones grow them cheaply).
const minReserve = 64

// done records how many new objects the load made: the next load of the
// table sizes the session's maps for as many, so a request that loads
// the same large result in every new session does not grow them by
// doubling each time.
func (l *loader) done() { l.lh.record(l.made) }

// reserve makes room in the session's maps for n more objects of t.
func (s *Session) reserve(t *meta.Table, n int) {
	s.identity.reserve(t, n)
	s.states.Reserve(n)
}

// fresh returns a zeroed struct to scan a row into.
func (l *loader) fresh() unsafe.Pointer {
	if p := l.spare; p != nil {
		l.spare = nil
		return p
	}
	return l.objs.get()
}

// recycle takes back a struct from fresh that was not adopted.
func (l *loader) recycle(p unsafe.Pointer) {
	if !l.rescans {
		reflect.NewAt(l.t.GoType, p).Elem().SetZero()
	}
	l.spare = p
}

// load maps the row scanned into fresh (from l.fresh): the identity
// map's object when there is one (refreshed if expired, overwritten with
// populate), else fresh becomes a new persistent object.
func (l *loader) load(ctx context.Context, fresh unsafe.Pointer) (unsafe.Pointer, error) {
	p, k, found, err := l.mapped(ctx, fresh)
	if found {
		return p, err
	}
	return l.adoptNew(ctx, fresh, k, l.s.newState(), l.snaps.get())
}

// mapped looks the row scanned into fresh up in the identity map. When
// the session holds its object, that object is refreshed as loadExisting
// says, fresh goes back to the allocator, and found is true; otherwise k
// is the key fresh is to be adopted under.
func (l *loader) mapped(ctx context.Context, fresh unsafe.Pointer) (p unsafe.Pointer, k ikey, found bool, err error) {
	s := l.s
	k = identityOf(l.t, fresh)
	var st *state
	if k.s == "" {
		// Integer key: go to the table's set directly (a joined load
		// alternates between two tables on every row).
		if l.ids == nil {
			l.ids = s.identity.intsOf(l.t)
		}
		st = l.ids.Get(identity.Int(k.n))
	} else {
		st = s.identity.get(k)
	}
	if st == nil {
		return nil, k, false, nil
	}
	if l.props != nil {
		copyProps(st.obj, fresh, l.props)
	}
	p, err = s.loadExisting(ctx, st, fresh, l.populate, l.batch)
	l.recycle(fresh)
	return p, k, true, err
}

// adoptNew makes fresh a new persistent object under key k, with st as
// its (empty) state and snap as the memory of its snapshot.
func (l *loader) adoptNew(ctx context.Context, fresh unsafe.Pointer, k ikey, st *state, snap unsafe.Pointer) (unsafe.Pointer, error) {
	l.made++
	l.cd.takeAt(fresh, &st.first, snap)
	return l.s.adopt(ctx, st, l.t, l.cd, fresh, k, l.batch, l.ids)
}

// loadExisting handles a row whose identity is already mapped to st.
func (s *Session) loadExisting(ctx context.Context, st *state, fresh unsafe.Pointer, populate bool, batch batchID) (unsafe.Pointer, error) {
	if st.expired || populate {
		s.mergeRow(st, fresh, populate)
		if err := s.afterLoad(ctx, st); err != nil {
			return nil, err
		}
	}
	if st.batch == 0 {
		s.addToBatch(st, batch)
	}
	return st.obj, nil
}

// adopt makes fresh, whose snapshot is already in st.first, a new
// persistent object of the session under key k. ids is the identity
// map's set of t's integer keys when the caller has it, else nil.
func (s *Session) adopt(ctx context.Context, st *state, t *meta.Table, cd *codec, fresh unsafe.Pointer, k ikey, batch batchID, ids *stateTable) (unsafe.Pointer, error) {
	st.obj, st.cd = fresh, cd
	st.status, st.key = Persistent, k.sk()
	st.set(bHasKey, true)
	st.snap = &st.first
	if len(t.Relations) > 0 {
		// Bind relationship fields (rel_session.go) before the object is
		// mapped, so that a failure leaves nothing half-loaded.
		if err := s.relLoaded(st); err != nil {
			return nil, err
		}
		s.relModels = true
	}
	if h := st.holder(); h != nil { // fresh was never tracked: no copy to tell apart (see holderOf)
		*h = Holder{owner: fresh, sess: s, st: st}
		s.holders = true
	}
	s.addToBatch(st, batch)
	if ids != nil && k.s == "" {
		ids.Put(st)
	} else {
		s.identity.put(st)
	}
	s.states.Put(st)
	if err := s.afterLoad(ctx, st); err != nil {
		return nil, err
	}
	return fresh, nil
}

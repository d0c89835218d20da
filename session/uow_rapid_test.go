package session_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// The randomized, model-based test of the unit of work (issue 19, "the
// test that finds the next ones"). rapid draws sequences of session
// operations over Author/Post/Tag (uow_rapid_models_test.go); a plain
// in-memory reference model says what each one must do. After every step
// the objects' states and fields and the session's own indexes are
// checked; after every commit, the database rows.
//
// go test ./session -run TestRandomizedUnitOfWork runs a bounded number
// of cases per dialect (defaultUOWChecks); make fuzz runs more with
// -rapid.checks=N (or RAPID_CHECKS=N); -rapid.steps (RAPID_STEPS) sets
// the average sequence length. A failure prints the shrunk sequence of
// steps and writes a fail file that -rapid.failfile replays.
//
// Relationship operations (moves through either side, removal from a
// delete-orphan collection, re-parenting, links, Set) run with the rest,
// also when a flush deletes an object that a pending or persistent object
// was related to since the last flush: a reply of a deleted post gets a
// NULL parent, a link to a deleted tag or post is not written, and a
// pending post of a deleted author is expunged (transient, out of the
// relationships that held it) instead of inserted. Expire, ExpireAll
// and Refresh are not drawn while relationship changes are unflushed
// (what expiry does to them is unmodelled; one bug found there is
// TestRegression_ExpireAfterSetKeepsNoStaleLink). UOW_TRACE=1 logs
// every object after every step of a failing case.

// A flush that fails while it expunges a pending post puts the post back
// (TestRegression_FailedFlushRestoresExpunged): no case is gated.

const (
	kAuthor = 'a'
	kPost   = 'p'
	kTag    = 't'
)

// mvals are an object's column values in the model: S is Name, Title or
// Word, N is Rank or Score, A and P a post's author and parent as handles
// (indexes into the harness's objects, -1 for NULL).
type mvals struct {
	S    string
	N    int
	A, P int
}

// mobj is the model of one object the test made.
type mobj struct {
	kind    byte
	ptr     any
	status  session.Status
	id      int64
	mem     mvals  // what its fields must hold
	snap    mvals  // what the session believes its row holds
	snapVer int    // changes whenever the session takes a new snapshot
	txStart *mvals // the snapshot the transaction found (nil: not taken yet)
	expired bool
	marked  bool // Delete called, not flushed
	newIn   bool // inserted in the transaction
	delIn   bool // deleted in the transaction
	addSeq  int
	// relsLoaded: its collections are loaded (a new object's are; expiry
	// unloads them), so deleting it does not SELECT its children.
	relsLoaded bool
	// relationship changes not flushed yet (a pending post's Author,
	// Parent and Tags as set through the relationship fields)
	relA, relP int  // -2: no change
	orphan     bool // removed from its author's Posts (delete-orphan)
}

type linkKey struct{ post, tag int }

// linkOp is an unflushed change of a many-to-many link.
type linkOp uint8

const (
	linkNone linkOp = iota
	linkAdd
	linkRemove
)

type mdb struct {
	rows  map[int]mvals // by handle
	links map[linkKey]bool
}

func (d mdb) clone() mdb {
	return mdb{rows: maps.Clone(d.rows), links: maps.Clone(d.links)}
}

type savepoint struct {
	objs []mobj
	db   mdb
	n    *session.Nested
}

type harness struct {
	t         *rapid.T
	ctx       context.Context
	eng       *engine.Engine
	s         *session.Session
	objs      []*mobj
	db, com   mdb // in the transaction, committed
	sps       []savepoint
	pendLinks map[linkKey]linkOp
	// relTouched: a relationship field changed since the last flush that
	// wrote something (even when the model nets it out to no change)
	relTouched bool
	txFlushed  bool // the session's transaction holds flushed work
	inTx       bool
	ver        int
	seq        int
	words      int
	log        []string
	kinds      map[string]int // steps by their first word, for the summary
}

func TestRandomizedUnitOfWork(t *testing.T) {
	if !flagSet("rapid.checks") && os.Getenv("RAPID_CHECKS") == "" {
		// Bounded for CI; make fuzz passes -rapid.checks.
		f := flag.Lookup("rapid.checks")
		old := f.Value.String()
		require.NoError(t, f.Value.Set(strconv.Itoa(defaultUOWChecks)))
		defer func() { _ = f.Value.Set(old) }()
	}
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, uowModels...))
		cases, steps := 0, 0
		kinds := map[string]int{}
		rapid.Check(t, func(rt *rapid.T) {
			cases++
			h := &harness{t: rt, ctx: ctx, eng: eng, kinds: kinds}
			h.reset()
			defer func() { steps += len(h.log) }()
			defer func() { _ = h.s.Close(ctx) }()
			rt.Repeat(h.actions())
		})
		t.Logf("%s: %d cases, %d steps %v", eng.Dialect().Name(), cases, steps, kinds)
	})
}

// defaultUOWChecks is the number of cases per dialect in a plain go test.
const defaultUOWChecks = 100

func flagSet(name string) bool {
	found := false
	flag.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

func (h *harness) reset() {
	for _, q := range []string{"DELETE FROM m_post_tags", "UPDATE m_posts SET parent_id = NULL", "DELETE FROM m_posts", "DELETE FROM m_authors", "DELETE FROM m_tags"} {
		if _, err := h.eng.DB().Exec(q); err != nil {
			h.t.Fatalf("reset: %v", err)
		}
	}
	h.s = session.New(h.eng)
	h.ctx = session.With(context.Background(), h.s)
	h.db = mdb{rows: map[int]mvals{}, links: map[linkKey]bool{}}
	h.pendLinks = map[linkKey]linkOp{}
	h.com = h.db.clone()
}

func (h *harness) step(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	h.log = append(h.log, msg)
	h.kinds[strings.Fields(format)[0]]++
	h.t.Log(msg)
}

func (h *harness) fail(format string, args ...any) {
	h.t.Fatalf("after %q: %s", h.log[len(h.log)-1], fmt.Sprintf(format, args...))
}

func (h *harness) name(i int) string {
	if i < 0 {
		return "nil"
	}
	o := h.objs[i]
	if o.id != 0 {
		return fmt.Sprintf("%c%d#%d", o.kind, i, o.id)
	}
	return fmt.Sprintf("%c%d", o.kind, i)
}

// inSession reports whether the model has the object in the session.
func (o *mobj) inSession() bool {
	return o.status == session.Pending || o.status == session.Persistent || o.status == session.Deleted
}

// pick draws an object of one of kinds that satisfies ok, or skips.
func (h *harness) pick(label string, ok func(*mobj) bool, kinds ...byte) int {
	var c []int
	for i, o := range h.objs {
		if slices.Contains(kinds, o.kind) && ok(o) {
			c = append(c, i)
		}
	}
	if len(c) == 0 {
		h.t.Skip("no candidate")
	}
	return rapid.SampledFrom(c).Draw(h.t, label)
}

func live(o *mobj) bool {
	return (o.status == session.Pending || o.status == session.Persistent) && !o.marked
}

func persistent(o *mobj) bool { return o.status == session.Persistent && !o.marked }

var (
	titles = []string{"", "t1", "t2"}
	words  = []string{"", "x", "y", "z"}
)

func (h *harness) drawWord(label string) string {
	if rapid.IntRange(0, 2).Draw(h.t, label+"fresh") == 0 {
		h.words++
		return fmt.Sprintf("w%d", h.words)
	}
	return rapid.SampledFrom(words).Draw(h.t, label)
}

// ---- reading objects -------------------------------------------------

func (h *harness) idOf(i int) *int64 {
	if i < 0 {
		return nil
	}
	id := h.objs[i].id
	return &id
}

func (h *harness) actual(o *mobj) (v mvals, id int64, fk [2]*int64) {
	switch x := o.ptr.(type) {
	case *MAuthor:
		return mvals{S: x.Name, N: x.Rank}, x.ID, fk
	case *MPost:
		return mvals{S: x.Title, N: x.Score}, x.ID, [2]*int64{x.AuthorID, x.ParentID}
	case *MTag:
		return mvals{S: x.Word}, x.ID, fk
	}
	panic("unknown object")
}

func ptrEq(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func fmtPtr(p *int64) string {
	if p == nil {
		return "NULL"
	}
	return strconv.FormatInt(*p, 10)
}

// check is the invariant run after every step.
func (h *harness) check() {
	if len(h.log) == 0 {
		return
	}
	if err := session.CheckIndexes(h.s); err != nil {
		h.fail("session indexes: %v", err)
	}
	if os.Getenv("UOW_TRACE") != "" {
		for i, o := range h.objs {
			v, _, _ := h.actual(o)
			h.t.Logf("   %s %s expired=%v/%v mem=%q/%q", h.name(i), o.status, o.expired, session.IsExpired(h.s, o.ptr), v.S, o.mem.S)
		}
	}
	for i, o := range h.objs {
		if got := h.s.StateOf(o.ptr); got != o.status {
			h.fail("%s: state %s, model %s", h.name(i), got, o.status)
		}
		v, id, fk := h.actual(o)
		if v.S != o.mem.S || v.N != o.mem.N {
			h.fail("%s: fields (%q, %d), model (%q, %d)", h.name(i), v.S, v.N, o.mem.S, o.mem.N)
		}
		// The FK fields of a deleted post are not compared: Arc may write
		// a relationship's key into them after the DELETE was flushed (a
		// moved post still in its new author's loaded collection), where
		// SQLAlchemy leaves them; the row is gone, and a rollback restores
		// them.
		if o.kind == kPost && o.status != session.Deleted && o.status != session.Detached && !(o.status == session.Transient && o.delIn) {
			if !ptrEq(fk[0], h.idOf(o.mem.A)) || !ptrEq(fk[1], h.idOf(o.mem.P)) {
				h.fail("%s: AuthorID %s ParentID %s, model %s (%s) %s (%s)", h.name(i), fmtPtr(fk[0]), fmtPtr(fk[1]),
					fmtPtr(h.idOf(o.mem.A)), h.name(o.mem.A), fmtPtr(h.idOf(o.mem.P)), h.name(o.mem.P))
			}
		}
		if o.status == session.Persistent || o.status == session.Deleted {
			if id != o.id {
				h.fail("%s: ID %d, model %d", h.name(i), id, o.id)
			}
		}
	}
}

// checkDB compares the committed rows with the model.
func (h *harness) checkDB() {
	want := map[string]bool{}
	for i, r := range h.com.rows {
		o := h.objs[i]
		switch o.kind {
		case kAuthor:
			want[fmt.Sprintf("a %d %q %d", o.id, r.S, r.N)] = true
		case kPost:
			want[fmt.Sprintf("p %d %s %s %q %d", o.id, fmtPtr(h.idOf(r.A)), fmtPtr(h.idOf(r.P)), r.S, r.N)] = true
		case kTag:
			want[fmt.Sprintf("t %d %q", o.id, r.S)] = true
		}
	}
	for l := range h.com.links {
		want[fmt.Sprintf("l %d %d", h.objs[l.post].id, h.objs[l.tag].id)] = true
	}
	got := map[string]bool{}
	scan := func(q string, row func(scan func(...any) error) string) {
		rows, err := h.eng.DB().Query(q)
		if err != nil {
			h.fail("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			got[row(rows.Scan)] = true
		}
		if err := rows.Err(); err != nil {
			h.fail("%s: %v", q, err)
		}
	}
	scan("SELECT id, name, rank FROM m_authors", func(sc func(...any) error) string {
		var id int64
		var s string
		var n int
		_ = sc(&id, &s, &n)
		return fmt.Sprintf("a %d %q %d", id, s, n)
	})
	scan("SELECT id, author_id, parent_id, title, score FROM m_posts", func(sc func(...any) error) string {
		var id int64
		var a, p *int64
		var s string
		var n int
		_ = sc(&id, &a, &p, &s, &n)
		return fmt.Sprintf("p %d %s %s %q %d", id, fmtPtr(a), fmtPtr(p), s, n)
	})
	scan("SELECT id, word FROM m_tags", func(sc func(...any) error) string {
		var id int64
		var s string
		_ = sc(&id, &s)
		return fmt.Sprintf("t %d %q", id, s)
	})
	scan("SELECT post_id, tag_id FROM m_post_tags", func(sc func(...any) error) string {
		var p, t int64
		_ = sc(&p, &t)
		return fmt.Sprintf("l %d %d", p, t)
	})
	if !maps.Equal(got, want) {
		h.fail("database rows differ from the model:\n  only in the database: %v\n  only in the model:    %v", diffKeys(got, want), diffKeys(want, got))
	}
}

func diffKeys(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// ---- the model's flush ---------------------------------------------

// plan is what a flush will do, computed by the model.
type plan struct {
	inserts []int
	updates []int // persistent objects whose columns change
	deletes []int
	work    map[int]mvals // the columns each inserted or updated object is written with
	linkAdd []linkKey
	linkDel []linkKey
	// reloads: expired children a delete's cascade loads (the deleted
	// object's collection was not loaded), with the values they get.
	reloads map[int]mvals
	// expunges: pending posts of an author the flush deletes; they are
	// not inserted but leave the session (transient), and leave the
	// relationships that held them (their replies' Parent, their tags).
	expunges []int
	fails    string // why a statement fails, "" when none does
}

// snapAfter is the snapshot object i has once the flush's reloads ran.
func (h *harness) snapAfter(p *plan, i int) mvals {
	if _, ok := p.reloads[i]; ok {
		return h.db.rows[i]
	}
	return h.objs[i].snap
}

func (p *plan) empty() bool {
	return len(p.inserts)+len(p.updates)+len(p.deletes)+len(p.linkAdd)+len(p.linkDel) == 0
}

func (h *harness) planFlush() *plan { return h.planFlushWith(nil) }

// planFlushWith plans the flush; reloaded, when not nil, says which of
// the expired children a delete's cascade may load were reloaded (as
// observed), else the model predicts it from whether the collection was
// loaded.
func (h *harness) planFlushWith(reloaded map[int]bool) *plan {
	p := &plan{work: map[int]mvals{}, reloads: map[int]mvals{}}
	for j, on := range reloaded {
		if r, ok := h.db.rows[j]; ok && on {
			p.reloads[j] = softReload(h.objs[j], r)
		}
	}
	live := func(o *mobj) bool { return o.status == session.Pending || o.status == session.Persistent }
	// author and parent as the flush writes them: relationship changes
	// win over the columns
	authorOf := func(j int) int {
		if o := h.objs[j]; o.relA != -2 {
			return o.relA
		}
		return h.objs[j].mem.A
	}
	parentOf := func(j int) int {
		if o := h.objs[j]; o.relP != -2 {
			return o.relP
		}
		return h.objs[j].mem.P
	}
	// Deleting an object whose collection is not loaded loads it: its
	// expired members are reloaded on the way.
	loadChildren := func(parent int) {
		for j, r := range h.db.rows {
			o := h.objs[j]
			if o.kind != kPost {
				continue
			}
			if h.objs[parent].kind == kAuthor && r.A != parent || h.objs[parent].kind == kPost && r.P != parent {
				continue
			}
			if o.status == session.Persistent && o.expired && reloaded == nil && !h.objs[parent].relsLoaded {
				if _, done := p.reloads[j]; !done {
					p.reloads[j] = softReload(o, r)
				}
			}
		}
	}
	// Deletes, with their cascades: an author's posts are deleted, a
	// post removed from its author's collection (an orphan) too, a deleted
	// post's replies lose their parent, links of deleted posts and tags go.
	del, gone := map[int]bool{}, map[int]bool{}
	var queue []int
	for i, o := range h.objs {
		if o.status == session.Persistent && (o.marked || o.orphan) {
			del[i] = true
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		if h.objs[i].kind == kTag {
			continue
		}
		loadChildren(i)
		if h.objs[i].kind != kAuthor {
			continue
		}
		for j, o := range h.objs {
			if o.kind == kPost && o.status == session.Persistent && !del[j] && authorOf(j) == i {
				del[j] = true
				queue = append(queue, j)
			}
			if o.kind == kPost && o.status == session.Pending && authorOf(j) == i {
				gone[j] = true
			}
		}
	}
	for i, o := range h.objs {
		if !live(o) || del[i] || gone[i] {
			continue
		}
		v := o.mem
		if r, ok := p.reloads[i]; ok {
			v = r
		}
		if o.kind == kPost {
			v.A, v.P = authorOf(i), parentOf(i)
			if v.P >= 0 && (del[v.P] || gone[v.P]) {
				v.P = -1
			}
		}
		p.work[i] = v
	}
	for i := range del {
		p.deletes = append(p.deletes, i)
	}
	sort.Ints(p.deletes)
	for i := range gone {
		p.expunges = append(p.expunges, i)
	}
	sort.Ints(p.expunges)
	for l := range h.db.links {
		if del[l.post] || del[l.tag] || h.pendLinks[l] == linkRemove {
			p.linkDel = append(p.linkDel, l)
		}
	}
	for l, op := range h.pendLinks {
		if op == linkAdd && !h.db.links[l] && !del[l.post] && !del[l.tag] && !gone[l.post] {
			p.linkAdd = append(p.linkAdd, l)
		}
	}
	for i, o := range h.objs {
		switch {
		case o.status == session.Pending && !gone[i]:
			p.inserts = append(p.inserts, i)
		case o.status == session.Persistent && !del[i] && p.work[i] != h.snapAfter(p, i):
			p.updates = append(p.updates, i)
		}
	}
	sort.Slice(p.inserts, func(a, b int) bool { return h.objs[p.inserts[a]].addSeq < h.objs[p.inserts[b]].addSeq })
	for i := range p.work {
		if !slices.Contains(p.inserts, i) && !slices.Contains(p.updates, i) {
			delete(p.work, i)
		}
	}
	// Which statement fails: CHECK (rank, score >= 0) on the rows
	// written; UNIQUE (tags.word) statement by statement, UPDATEs in key
	// order, then INSERTs in Add order, DELETEs last.
	for _, i := range append(slices.Clone(p.updates), p.inserts...) {
		if o := h.objs[i]; o.kind != kTag && p.work[i].N < 0 {
			p.fails = fmt.Sprintf("CHECK on %s", h.name(i))
		}
	}
	if p.fails == "" {
		taken := map[string]int{}
		for i, r := range h.db.rows {
			if h.objs[i].kind == kTag {
				taken[r.S] = i
			}
		}
		ups := slices.Clone(p.updates)
		sort.Slice(ups, func(a, b int) bool { return h.objs[ups[a]].id < h.objs[ups[b]].id })
		for _, i := range append(ups, p.inserts...) {
			if h.objs[i].kind != kTag {
				continue
			}
			w := p.work[i].S
			if j, ok := taken[w]; ok && j != i {
				p.fails = fmt.Sprintf("UNIQUE word %q of %s", w, h.name(i))
				break
			}
			if r, ok := h.db.rows[i]; ok && taken[r.S] == i {
				delete(taken, r.S)
			}
			taken[w] = i
		}
	}
	return p
}

// changedCols is the row after an UPDATE of the columns where v differs
// from the snapshot.
func changedCols(row, snap, v mvals) mvals {
	if v.S != snap.S {
		row.S = v.S
	}
	if v.N != snap.N {
		row.N = v.N
	}
	if v.A != snap.A {
		row.A = v.A
	}
	if v.P != snap.P {
		row.P = v.P
	}
	return row
}

// applyReloads reloads the objects the flush's cascades loaded (done
// even when a later statement fails).
func (h *harness) applyReloads(p *plan) {
	for i := range p.reloads {
		h.reload(i, false)
	}
}

// applyFlush moves the model as a successful flush does; ids are read
// from the objects Arc inserted.
func (h *harness) applyFlush(p *plan) {
	for _, i := range p.inserts {
		o := h.objs[i]
		_, id, _ := h.actual(o)
		if id == 0 {
			h.fail("%s: no ID after its INSERT", h.name(i))
		}
		o.id = id
		v := p.work[i]
		h.db.rows[i] = v
		o.mem, o.snap = v, v
		h.ver++
		o.snapVer = h.ver
		o.status = session.Persistent
		o.newIn, o.expired = true, false
		o.txStart = nil
	}
	for _, i := range p.updates {
		o := h.objs[i]
		v := p.work[i]
		h.db.rows[i] = changedCols(h.db.rows[i], h.snapAfter(p, i), v)
		if o.txStart == nil {
			s := o.snap
			o.txStart = &s
		}
		o.mem, o.snap = v, v
		h.ver++
		o.snapVer = h.ver
	}
	for _, i := range p.deletes {
		o := h.objs[i]
		delete(h.db.rows, i)
		o.status = session.Deleted
		o.marked, o.delIn = false, true
	}
	for _, i := range p.expunges {
		o := h.objs[i]
		o.status = session.Transient
	}
	for _, l := range p.linkDel {
		delete(h.db.links, l)
	}
	for _, l := range p.linkAdd {
		h.db.links[l] = true
	}
	for _, o := range h.objs {
		o.relA, o.relP, o.orphan = -2, -2, false
	}
	clear(h.pendLinks)
	h.relTouched = false
	h.txFlushed = true
	h.inTx = true
}

// flush runs fn (which flushes in Arc) against the model's flush: both
// must agree on failure; a failure changes nothing.
func (h *harness) flushVia(what string, fn func() error) bool {
	p := h.planFlush()
	err := fn()
	// A flush may load collections (a delete's cascade, a Set diffing
	// against the members) and so reload expired objects; whether it does
	// depends on what is loaded in memory: observe it, and plan again.
	seen := map[int]bool{}
	for i, o := range h.objs {
		if o.status == session.Persistent && o.expired && !session.IsExpired(h.s, o.ptr) {
			seen[i] = true
		}
	}
	if len(seen) > 0 || len(p.reloads) > 0 {
		fails := p.fails
		p = h.planFlushWith(seen)
		if p.fails != fails {
			h.fail("model: the reloads changed the expected failure")
		}
	}
	h.applyReloads(p)
	switch {
	case p.empty():
		if err != nil {
			h.fail("%s: %v (the model has nothing to flush)", what, err)
		}
		return true
	case p.fails != "":
		if err == nil {
			h.fail("%s succeeded; the model expects a failure: %s", what, p.fails)
		}
		if !errors.Is(err, arcerr.ErrIntegrity) {
			h.fail("%s: %v; the model expects an integrity error: %s", what, err, p.fails)
		}
		if !h.txFlushed && len(h.sps) == 0 {
			// The first write of the transaction failed: Arc rolls the
			// transaction back, which holds nothing.
			h.forgetTx()
		}
		return false
	}
	if err != nil {
		h.fail("%s: %v", what, err)
	}
	h.applyFlush(p)
	return true
}

func (h *harness) forgetTx() {
	for _, o := range h.objs {
		o.txStart = nil
	}
	h.inTx = false
}

// reload is the model of refreshing an expired object from its row.
func (h *harness) reload(i int, hard bool) {
	o := h.objs[i]
	r, ok := h.db.rows[i]
	if !ok {
		h.fail("model: reload of %s without a row", h.name(i))
	}
	if o.txStart == nil {
		s := o.snap
		o.txStart = &s
	}
	if hard {
		o.mem = r
	} else {
		o.mem = softReload(o, r)
	}
	o.snap = r
	h.ver++
	o.snapVer = h.ver
	o.expired = false
	h.inTx = true
}

// softReload is what an expired object's fields become when its row r
// is loaded: a field set since the expiry (differing from the snapshot)
// is kept, the others take the row's values.
func softReload(o *mobj, r mvals) mvals {
	v := o.mem
	if v.S == o.snap.S {
		v.S = r.S
	}
	if v.N == o.snap.N {
		v.N = r.N
	}
	if v.A == o.snap.A {
		v.A = r.A
	}
	if v.P == o.snap.P {
		v.P = r.P
	}
	return v
}

// ---- actions -------------------------------------------------------

func (h *harness) actions() map[string]func(*rapid.T) {
	a := map[string]func(*rapid.T){
		"":             func(*rapid.T) { h.check() },
		"add":          h.add,
		"addPost":      h.addPost,
		"modify":       h.modify,
		"delete":       h.delete,
		"expire":       h.expire,
		"expireAll":    h.expireAll,
		"get":          h.get,
		"refresh":      h.refresh,
		"query":        h.query,
		"bulkUpdate":   h.bulkUpdate,
		"bulkDelete":   h.bulkDelete,
		"flush":        h.flush,
		"commit":       h.commit,
		"rollback":     h.rollback,
		"beginNested":  h.beginNested,
		"commitNested": h.commitNested,
		"rollbackNest": h.rollbackNested,
		"expungeReadd": h.expungeReadd,
		"setAuthor":    h.observing(h.setAuthor),
		"removePost":   h.observing(h.removePost),
		"setParent":    h.observing(h.setParent),
		"toggleTag":    h.observing(h.toggleTag),
		"setTags":      h.observing(h.setTags),
		"loadRels":     h.loadRels,
	}
	return a
}

func (h *harness) newObj(kind byte, ptr any, v mvals) int {
	h.seq++
	o := &mobj{kind: kind, ptr: ptr, status: session.Pending, mem: v, addSeq: h.seq, relA: -2, relP: -2, relsLoaded: true}
	h.objs = append(h.objs, o)
	if err := h.s.Add(ptr); err != nil {
		h.fail("Add: %v", err)
	}
	return len(h.objs) - 1
}

// add adds a new author or tag (posts have their own action).
func (h *harness) add(t *rapid.T) {
	if rapid.Bool().Draw(t, "author") {
		h.addAuthor(t)
	} else {
		h.addTag(t)
	}
}

func (h *harness) addAuthor(t *rapid.T) {
	a := &MAuthor{Name: rapid.SampledFrom(titles).Draw(t, "name"), Rank: rapid.IntRange(-1, 2).Draw(t, "rank")}
	h.step("add author %q rank %d", a.Name, a.Rank)
	h.newObj(kAuthor, a, mvals{S: a.Name, N: a.Rank, A: -1, P: -1})
}

func (h *harness) addTag(t *rapid.T) {
	tg := &MTag{Word: h.drawWord("word")}
	h.step("add tag %q", tg.Word)
	h.newObj(kTag, tg, mvals{S: tg.Word, A: -1, P: -1})
}

// addPost adds a post, with an author, a parent and a tag set through
// the relationship fields when drawn.
func (h *harness) addPost(t *rapid.T) {
	p := &MPost{Title: rapid.SampledFrom(titles).Draw(t, "title"), Score: rapid.IntRange(-1, 2).Draw(t, "score")}
	author, parent, tag := -1, -1, -1
	if rapid.Bool().Draw(t, "withAuthor") {
		author = h.pickOpt("author", live, kAuthor)
	}
	if rapid.Bool().Draw(t, "withParent") {
		parent = h.pickOpt("parent", live, kPost)
	}
	if rapid.Bool().Draw(t, "withTag") {
		tag = h.pickOpt("tag", live, kTag)
	}
	h.step("add post %q score %d author %s parent %s tag %s", p.Title, p.Score, h.name(author), h.name(parent), h.name(tag))
	i := h.newObj(kPost, p, mvals{S: p.Title, N: p.Score, A: -1, P: -1})
	o := h.objs[i]
	if author >= 0 || parent >= 0 || tag >= 0 {
		h.relTouched = true // the backrefs changed the other side
	}
	if author >= 0 {
		p.Author.Set(h.objs[author].ptr.(*MAuthor))
		o.relA = author
	}
	if parent >= 0 {
		p.Parent.Set(h.objs[parent].ptr.(*MPost))
		o.relP = parent
	}
	if tag >= 0 {
		p.Tags.Append(h.objs[tag].ptr.(*MTag))
		h.pendLinks[linkKey{i, tag}] = linkAdd
	}
}

func (h *harness) pickOpt(label string, ok func(*mobj) bool, kind byte) int {
	var c []int
	for i, o := range h.objs {
		if o.kind == kind && ok(o) {
			c = append(c, i)
		}
	}
	if len(c) == 0 {
		return -1
	}
	return rapid.SampledFrom(c).Draw(h.t, label)
}

// modify sets a column (zero values included) of a pending or
// persistent object.
func (h *harness) modify(t *rapid.T) {
	i := h.pick("obj", live, kAuthor, kPost, kTag)
	o := h.objs[i]
	num := o.kind != kTag && rapid.Bool().Draw(t, "numeric")
	switch {
	case num:
		n := rapid.IntRange(-1, 2).Draw(t, "n")
		h.step("set %s.N = %d", h.name(i), n)
		o.mem.N = n
		switch x := o.ptr.(type) {
		case *MAuthor:
			x.Rank = n
		case *MPost:
			x.Score = n
		}
	case o.kind == kTag:
		w := h.drawWord("word")
		h.step("set %s.Word = %q", h.name(i), w)
		o.mem.S = w
		o.ptr.(*MTag).Word = w
	default:
		s := rapid.SampledFrom(titles).Draw(t, "s")
		h.step("set %s.S = %q", h.name(i), s)
		o.mem.S = s
		switch x := o.ptr.(type) {
		case *MAuthor:
			x.Name = s
		case *MPost:
			x.Title = s
		}
	}
}

func (h *harness) delete(t *rapid.T) {
	i := h.pick("obj", persistent, kAuthor, kPost, kTag)
	h.step("delete %s", h.name(i))
	if err := h.s.Delete(h.objs[i].ptr); err != nil {
		h.fail("Delete: %v", err)
	}
	h.objs[i].marked = true
}

func (h *harness) expire(t *rapid.T) {
	i := h.pick("obj", func(o *mobj) bool { return o.status == session.Persistent }, kAuthor, kPost, kTag)
	if h.hasIntents() {
		t.Skip("unflushed relationship changes: the model does not say what expiry does to them")
	}
	h.step("expire %s", h.name(i))
	if err := h.s.Expire(h.objs[i].ptr); err != nil {
		h.fail("Expire: %v", err)
	}
	o := h.objs[i]
	o.mem = o.snap
	o.expired, o.relsLoaded = true, false
}

func (h *harness) expireAll(t *rapid.T) {
	if h.hasIntents() {
		t.Skip("unflushed relationship changes")
	}
	h.step("expire all")
	h.s.ExpireAll()
	for _, o := range h.objs {
		if o.status == session.Persistent {
			o.mem = o.snap
			o.expired, o.relsLoaded = true, false
		}
	}
}

// get is session.Get of a persistent object: no SQL unless it is
// expired, then a reload that keeps fields set since.
func (h *harness) get(t *rapid.T) {
	i := h.pick("obj", func(o *mobj) bool { return o.status == session.Persistent }, kAuthor, kPost, kTag)
	o := h.objs[i]
	h.step("get %s", h.name(i))
	var got any
	var err error
	switch o.kind {
	case kAuthor:
		got, err = session.Get[MAuthor](h.ctx, h.s, o.id)
	case kPost:
		got, err = session.Get[MPost](h.ctx, h.s, o.id)
	case kTag:
		got, err = session.Get[MTag](h.ctx, h.s, o.id)
	}
	if err != nil {
		h.fail("Get: %v", err)
	}
	if got != o.ptr {
		h.fail("Get returned another object than the mapped one")
	}
	if o.expired {
		h.reload(i, false)
	}
}

func (h *harness) refresh(t *rapid.T) {
	i := h.pick("obj", func(o *mobj) bool { return o.status == session.Persistent }, kAuthor, kPost, kTag)
	if h.hasIntents() {
		t.Skip("unflushed relationship changes")
	}
	h.step("refresh %s", h.name(i))
	if err := h.s.Refresh(h.ctx, h.objs[i].ptr); err != nil {
		h.fail("Refresh: %v", err)
	}
	h.reload(i, true)
}

// query loads every row of one table: autoflush, then each row maps to
// its object (reloaded when expired).
func (h *harness) query(t *rapid.T) {
	kind := rapid.SampledFrom([]byte{kAuthor, kPost, kTag}).Draw(t, "kind")
	h.step("query all %c", kind)
	var got []any
	ok := h.flushVia("autoflush of a query", func() error {
		var err error
		switch kind {
		case kAuthor:
			var xs []*MAuthor
			xs, err = session.NewQuery[MAuthor](h.s).All(h.ctx)
			for _, x := range xs {
				got = append(got, x)
			}
		case kPost:
			var xs []*MPost
			xs, err = session.NewQuery[MPost](h.s).All(h.ctx)
			for _, x := range xs {
				got = append(got, x)
			}
		case kTag:
			var xs []*MTag
			xs, err = session.NewQuery[MTag](h.s).All(h.ctx)
			for _, x := range xs {
				got = append(got, x)
			}
		}
		return err
	})
	if !ok {
		return
	}
	h.inTx = true
	var want []int
	for i := range h.db.rows {
		if h.objs[i].kind == kind {
			want = append(want, i)
		}
	}
	if len(got) != len(want) {
		h.fail("query returned %d objects, the model %d", len(got), len(want))
	}
	for _, i := range want {
		if !slices.Contains(got, h.objs[i].ptr) {
			h.fail("query did not return %s (state %s)", h.name(i), h.objs[i].status)
		}
		if h.objs[i].expired {
			h.reload(i, false)
		}
	}
}

// bulkUpdate sets a column of some rows with Query.Update (after an
// explicit flush, so its autoflush has nothing to do).
func (h *harness) bulkUpdate(t *rapid.T) {
	kind := rapid.SampledFrom([]byte{kAuthor, kPost, kTag}).Draw(t, "kind")
	if !h.flushVia("flush before a bulk update", func() error { return h.s.Flush(h.ctx) }) {
		return
	}
	var ids []int64
	var hs []int
	for _, i := range h.rowHandles() {
		if h.objs[i].kind == kind && rapid.Bool().Draw(t, "row") {
			ids = append(ids, h.objs[i].id)
			hs = append(hs, i)
		}
	}
	num := kind != kTag && rapid.Bool().Draw(t, "numeric")
	var val any
	var n int
	var s string
	switch {
	case num:
		n = rapid.IntRange(0, 3).Draw(t, "n")
		val = n
	case kind == kTag:
		h.words++
		s = fmt.Sprintf("w%d", h.words) // a fresh word, for one row: UNIQUE
		if len(hs) > 1 {
			hs, ids = hs[:1], ids[:1]
		}
		val = s
	default:
		s = rapid.SampledFrom(titles).Draw(t, "s")
		val = s
	}
	field := map[byte][2]string{kAuthor: {"Name", "Rank"}, kPost: {"Title", "Score"}, kTag: {"Word", ""}}[kind][map[bool]int{false: 0, true: 1}[num]]
	h.step("bulk update %c %s = %v where id in %v", kind, field, val, ids)
	var err error
	switch kind {
	case kAuthor:
		M := expr.Cols[MAuthor]()
		_, err = session.NewQuery[MAuthor](h.s).Where(expr.In(&M.ID, ids...)).Update(h.ctx, expr.P{field: val})
	case kPost:
		M := expr.Cols[MPost]()
		_, err = session.NewQuery[MPost](h.s).Where(expr.In(&M.ID, ids...)).Update(h.ctx, expr.P{field: val})
	case kTag:
		M := expr.Cols[MTag]()
		_, err = session.NewQuery[MTag](h.s).Where(expr.In(&M.ID, ids...)).Update(h.ctx, expr.P{field: val})
	}
	if err != nil {
		h.fail("bulk update: %v", err)
	}
	h.txFlushed, h.inTx = true, true
	for _, i := range hs {
		r := h.db.rows[i]
		if num {
			r.N = n
		} else {
			r.S = s
		}
		h.db.rows[i] = r
		o := h.objs[i]
		if o.status != session.Persistent || o.expired {
			continue
		}
		if o.txStart == nil {
			s := o.snap
			o.txStart = &s
		}
		if num {
			o.snap.N, o.mem.N = n, n
		} else {
			o.snap.S, o.mem.S = s, s
		}
		h.ver++
		o.snapVer = h.ver
	}
}

// bulkDelete deletes rows nothing refers to with Query.Delete.
func (h *harness) bulkDelete(t *rapid.T) {
	kind := rapid.SampledFrom([]byte{kPost, kTag}).Draw(t, "kind")
	if !h.flushVia("flush before a bulk delete", func() error { return h.s.Flush(h.ctx) }) {
		return
	}
	var ids []int64
	var hs []int
	for _, i := range h.rowHandles() {
		if h.objs[i].kind != kind || h.referenced(i) || !rapid.Bool().Draw(t, "row") {
			continue
		}
		ids = append(ids, h.objs[i].id)
		hs = append(hs, i)
	}
	h.step("bulk delete %c where id in %v", kind, ids)
	var err error
	switch kind {
	case kPost:
		M := expr.Cols[MPost]()
		_, err = session.NewQuery[MPost](h.s).Where(expr.In(&M.ID, ids...)).Delete(h.ctx)
	case kTag:
		M := expr.Cols[MTag]()
		_, err = session.NewQuery[MTag](h.s).Where(expr.In(&M.ID, ids...)).Delete(h.ctx)
	}
	if err != nil {
		h.fail("bulk delete: %v", err)
	}
	h.txFlushed, h.inTx = true, true
	for _, i := range hs {
		delete(h.db.rows, i)
		o := h.objs[i]
		if o.status == session.Persistent {
			o.status = session.Deleted
			o.marked, o.delIn = false, true
		}
	}
}

// referenced reports whether a row is referred to by a reply, a link, or
// an object's unflushed relationship.
func (h *harness) referenced(i int) bool {
	for j, r := range h.db.rows {
		if h.objs[j].kind == kPost && r.P == i {
			return true
		}
	}
	for l := range h.db.links {
		if l.post == i || l.tag == i {
			return true
		}
	}
	for _, o := range h.objs {
		if o.mem.P == i || o.relP == i {
			return true
		}
	}
	for l := range h.pendLinks {
		if l.post == i || l.tag == i {
			return true
		}
	}
	return false
}

func (h *harness) flush(t *rapid.T) {
	h.step("flush")
	h.flushVia("Flush", func() error { return h.s.Flush(h.ctx) })
}

func (h *harness) commit(t *rapid.T) {
	h.step("commit")
	// Flush first, so that the model sees which expired objects the flush
	// reloaded before the commit expires everything again.
	if !h.flushVia("Flush before Commit", func() error { return h.s.Flush(h.ctx) }) {
		return
	}
	if !h.flushVia("Commit", func() error { return h.s.Commit(h.ctx) }) {
		return
	}
	h.com = h.db.clone()
	h.sps = nil
	for _, o := range h.objs {
		switch o.status {
		case session.Deleted:
			o.status = session.Detached
		case session.Persistent:
			o.txStart, o.newIn, o.delIn = nil, false, false
			o.expired, o.relsLoaded = true, false
		}
	}
	h.txFlushed, h.inTx = false, false
	h.checkDB()
}

func (h *harness) rollback(t *rapid.T) {
	h.step("rollback")
	if err := h.s.Rollback(h.ctx); err != nil {
		h.fail("Rollback: %v", err)
	}
	h.db = h.com.clone()
	h.sps = nil
	for _, o := range h.objs {
		switch {
		case !o.inSession():
			continue
		case o.status == session.Pending || o.newIn:
			o.status = session.Transient
			o.newIn = false
			// delIn stays: a post inserted and deleted in the transaction
			// keeps whatever its FK fields got (see check)
			continue
		case o.status == session.Deleted || o.delIn:
			o.status = session.Persistent
			o.delIn = false
		}
		o.marked = false
		if o.txStart != nil {
			o.snap = *o.txStart
			o.txStart = nil
		}
		o.mem = o.snap
		o.expired, o.relsLoaded = true, false
		o.relA, o.relP, o.orphan = -2, -2, false
	}
	clear(h.pendLinks)
	h.relTouched = false
	h.txFlushed, h.inTx = false, false
	h.checkDB()
}

func (h *harness) beginNested(t *rapid.T) {
	h.step("begin nested")
	var n *session.Nested
	if !h.flushVia("BeginNested", func() error {
		var err error
		n, err = h.s.BeginNested(h.ctx)
		return err
	}) {
		return
	}
	h.inTx = true
	sp := savepoint{db: h.db.clone(), n: n}
	for _, o := range h.objs {
		sp.objs = append(sp.objs, *o)
	}
	h.sps = append(h.sps, sp)
}

func (h *harness) commitNested(t *rapid.T) {
	if len(h.sps) == 0 {
		t.Skip("no savepoint")
	}
	h.step("release savepoint %d", len(h.sps))
	sp := h.sps[len(h.sps)-1]
	if !h.flushVia("Nested.Commit", func() error { return sp.n.Commit(h.ctx) }) {
		return
	}
	h.sps = h.sps[:len(h.sps)-1]
}

func (h *harness) rollbackNested(t *rapid.T) {
	if len(h.sps) == 0 {
		t.Skip("no savepoint")
	}
	h.step("roll back savepoint %d", len(h.sps))
	sp := h.sps[len(h.sps)-1]
	h.sps = h.sps[:len(h.sps)-1]
	if err := sp.n.Rollback(h.ctx); err != nil {
		h.fail("Nested.Rollback: %v", err)
	}
	h.db = sp.db
	for i, o := range h.objs {
		if !o.inSession() {
			continue
		}
		if i >= len(sp.objs) || !sp.objs[i].inSession() {
			if o.status == session.Pending || o.newIn {
				o.status = session.Transient
				o.newIn = false
				continue
			}
			if o.status == session.Deleted {
				o.status = session.Persistent
				o.delIn = false
			}
			o.marked = false
			o.expired, o.relsLoaded = true, false
			continue
		}
		sv := sp.objs[i]
		expired := sv.expired || o.snapVer != sv.snapVer
		ptr := o.ptr
		*o = sv
		o.ptr = ptr
		o.expired, o.relsLoaded = expired, false
		o.relA, o.relP, o.orphan = -2, -2, false
	}
	clear(h.pendLinks)
	h.relTouched = false
}

// expungeReadd expunges an object, maybe changes it, and adds it back
// (issue 19 item 23).
func (h *harness) expungeReadd(t *rapid.T) {
	i := h.pick("obj", func(o *mobj) bool { return o.status == session.Persistent && !o.marked }, kAuthor, kTag)
	o := h.objs[i]
	change := rapid.Bool().Draw(t, "change")
	h.step("expunge %s, change %v, add again", h.name(i), change)
	if err := h.s.Expunge(o.ptr); err != nil {
		h.fail("Expunge: %v", err)
	}
	if change {
		switch x := o.ptr.(type) {
		case *MAuthor:
			x.Name += "!"
			o.mem.S = x.Name
		case *MTag:
			h.words++
			x.Word = fmt.Sprintf("w%d", h.words)
			o.mem.S = x.Word
		}
	}
	if err := h.s.Add(o.ptr); err != nil {
		h.fail("Add: %v", err)
	}
}

// hasIntents reports whether a persistent object has an unflushed
// relationship change (pending objects' are theirs: expiry skips them).
func (h *harness) hasIntents() bool {
	if h.relTouched {
		return true
	}
	for _, o := range h.objs {
		if o.status == session.Persistent && (o.relA != -2 || o.relP != -2 || o.orphan) {
			return true
		}
	}
	for l := range h.pendLinks {
		if h.objs[l.post].status == session.Persistent || h.objs[l.tag].status == session.Persistent {
			return true
		}
	}
	return false
}

// ---- relationship operations (issue 19 items 2, 3, 5, 13-15, 17-22) ----

func (h *harness) authorNow(j int) int {
	if o := h.objs[j]; o.relA != -2 {
		return o.relA
	}
	return h.objs[j].mem.A
}

func (h *harness) parentNow(j int) int {
	if o := h.objs[j]; o.relP != -2 {
		return o.relP
	}
	return h.objs[j].mem.P
}

func (h *harness) linkedNow(l linkKey) bool {
	switch h.pendLinks[l] {
	case linkAdd:
		return true
	case linkRemove:
		return false
	}
	return h.db.links[l]
}

func (h *harness) setLink(l linkKey, on bool) {
	switch {
	case on == h.db.links[l]:
		delete(h.pendLinks, l)
	case on:
		h.pendLinks[l] = linkAdd
	default:
		h.pendLinks[l] = linkRemove
	}
}

// notDoomed: live and not deleted by the next flush's cascades.
func (h *harness) notDoomed() func(*mobj) bool {
	dels := h.planFlush().deletes
	return func(o *mobj) bool {
		return live(o) && !slices.ContainsFunc(dels, func(i int) bool { return h.objs[i] == o })
	}
}

// setAuthor moves a post to another author, through either side
// (items 13, 14).
func (h *harness) setAuthor(t *rapid.T) {
	ok := h.notDoomed()
	i := h.pick("post", ok, kPost)
	b := h.pick("author", ok, kAuthor)
	viaCollection := rapid.Bool().Draw(t, "viaCollection")
	h.step("move %s to author %s (via collection %v)", h.name(i), h.name(b), viaCollection)
	p, a := h.objs[i].ptr.(*MPost), h.objs[b].ptr.(*MAuthor)
	if viaCollection {
		a.Posts.Append(p)
	} else {
		p.Author.Set(a)
	}
	o := h.objs[i]
	o.relA, o.orphan = b, false
}

// removePost removes a persistent post from its author's Posts: an
// orphan, deleted at the next flush with its links, its replies losing
// their parent (item 17).
func (h *harness) removePost(t *rapid.T) {
	ok := h.notDoomed()
	i := h.pick("post", func(o *mobj) bool { return o.status == session.Persistent && ok(o) }, kPost)
	a := h.authorNow(i)
	if a < 0 || h.objs[i].relA != -2 {
		// Removing a post from an author it was moved to since the last
		// flush: SQLAlchemy deletes it as an orphan (its has-parent flag
		// is false), Arc keeps it. Left out as a question of semantics
		// (reported with issue 19), not modelled here.
		t.Skip("no flushed author")
	}
	h.step("remove %s from %s.Posts", h.name(i), h.name(a))
	h.objs[a].ptr.(*MAuthor).Posts.Remove(h.objs[i].ptr.(*MPost))
	o := h.objs[i]
	o.relA, o.orphan = -1, true
}

// setParent re-parents a post or clears its parent, through either side
// (items 3, 15, 20, 22).
func (h *harness) setParent(t *rapid.T) {
	ok := h.notDoomed()
	i := h.pick("post", ok, kPost)
	q := -1
	if rapid.IntRange(0, 2).Draw(t, "clear") > 0 {
		q = h.pick("parent", func(o *mobj) bool {
			if !ok(o) {
				return false
			}
			// no cycle: i must not be q or an ancestor of q
			for j, n := slices.Index(h.objs, o), 0; j >= 0 && n <= len(h.objs); j, n = h.parentNow(j), n+1 {
				if j == i {
					return false
				}
			}
			return true
		}, kPost)
	}
	cur := h.parentNow(i)
	p := h.objs[i].ptr.(*MPost)
	switch {
	case q >= 0 && rapid.Bool().Draw(t, "viaCollection"):
		h.step("append %s to %s.Replies", h.name(i), h.name(q))
		h.objs[q].ptr.(*MPost).Replies.Append(p)
	case q < 0 && cur >= 0 && h.objs[cur].inSession() && rapid.Bool().Draw(t, "viaCollection"):
		h.step("remove %s from %s.Replies", h.name(i), h.name(cur))
		h.objs[cur].ptr.(*MPost).Replies.Remove(p)
	default:
		h.step("set %s.Parent = %s", h.name(i), h.name(q))
		if q >= 0 {
			p.Parent.Set(h.objs[q].ptr.(*MPost))
		} else {
			p.Parent.Set(nil)
		}
	}
	h.objs[i].relP = q
}

// toggleTag links or unlinks a post and a tag, through either side
// (items 5, 19).
func (h *harness) toggleTag(t *rapid.T) {
	ok := h.notDoomed()
	i := h.pick("post", ok, kPost)
	g := h.pick("tag", ok, kTag)
	l := linkKey{i, g}
	on := !h.linkedNow(l)
	viaTag := rapid.Bool().Draw(t, "viaTag")
	h.step("link %s and %s: %v (via tag %v)", h.name(i), h.name(g), on, viaTag)
	p, tg := h.objs[i].ptr.(*MPost), h.objs[g].ptr.(*MTag)
	switch {
	case on && viaTag:
		tg.Posts.Append(p)
	case on:
		p.Tags.Append(tg)
	case viaTag:
		tg.Posts.Remove(p)
	default:
		p.Tags.Remove(tg)
	}
	h.setLink(l, on)
}

// setTags replaces a post's tags (item 2: an unloaded collection too).
func (h *harness) setTags(t *rapid.T) {
	ok := h.notDoomed()
	i := h.pick("post", ok, kPost)
	for l := range h.db.links {
		if l.post == i && !ok(h.objs[l.tag]) {
			t.Skip("linked to a tag about to be deleted")
		}
	}
	var set []*MTag
	var names []string
	for g, o := range h.objs {
		if o.kind != kTag || !ok(o) {
			continue
		}
		on := rapid.Bool().Draw(t, "member")
		h.setLink(linkKey{i, g}, on)
		if on {
			set = append(set, o.ptr.(*MTag))
			names = append(names, h.name(g))
		}
	}
	h.step("set %s.Tags = %v", h.name(i), names)
	h.objs[i].ptr.(*MPost).Tags.Set(set...)
}

// loadRels flushes, then loads one object's relationships and compares
// them with the rows.
func (h *harness) loadRels(t *rapid.T) {
	if !h.flushVia("flush before loading relationships", func() error { return h.s.Flush(h.ctx) }) {
		return
	}
	i := h.pick("obj", persistent, kAuthor, kPost, kTag)
	h.step("load the relationships of %s", h.name(i))
	set := func(xs []int) string {
		sort.Ints(xs)
		return fmt.Sprint(xs)
	}
	members := func(what string, got []any, want []int) {
		var gi []int
		for _, g := range got {
			j := slices.IndexFunc(h.objs, func(o *mobj) bool { return o.ptr == g })
			if j < 0 {
				h.fail("%s: an object the test did not make", what)
			}
			if h.objs[j].status == session.Deleted {
				// As in SQLAlchemy, a loaded collection keeps an object
				// deleted in this transaction until it is expired.
				continue
			}
			gi = append(gi, j)
			if o := h.objs[j]; o.expired && !session.IsExpired(h.s, o.ptr) {
				h.reload(j, false) // a collection load refreshes expired members
			}
		}
		if set(gi) != set(want) {
			h.fail("%s: %v, the rows say %v", what, set(gi), set(want))
		}
	}
	rowsWhere := func(f func(j int, r mvals) bool) []int {
		var out []int
		for j, r := range h.db.rows {
			if f(j, r) {
				out = append(out, j)
			}
		}
		return out
	}
	var err error
	switch x := h.objs[i].ptr.(type) {
	case *MAuthor:
		var ps []*MPost
		ps, err = x.Posts.Load(h.ctx)
		members(h.name(i)+".Posts", anys(ps), rowsWhere(func(j int, r mvals) bool { return h.objs[j].kind == kPost && r.A == i }))
	case *MPost:
		var ps []*MPost
		if ps, err = x.Replies.Load(h.ctx); err == nil {
			members(h.name(i)+".Replies", anys(ps), rowsWhere(func(j int, r mvals) bool { return h.objs[j].kind == kPost && r.P == i }))
		}
		var ts []*MTag
		if err == nil {
			if ts, err = x.Tags.Load(h.ctx); err == nil {
				members(h.name(i)+".Tags", anys(ts), rowsWhere(func(j int, r mvals) bool { return h.db.links[linkKey{i, j}] }))
			}
		}
		var a *MAuthor
		if err == nil {
			if a, err = x.Author.Load(h.ctx); err == nil {
				members(h.name(i)+".Author", anys(nonNil(a)), rowsWhere(func(j int, r mvals) bool { return h.db.rows[i].A == j }))
			}
		}
		var par *MPost
		if err == nil {
			if par, err = x.Parent.Load(h.ctx); err == nil {
				members(h.name(i)+".Parent", anys(nonNil(par)), rowsWhere(func(j int, r mvals) bool { return h.db.rows[i].P == j }))
			}
		}
	case *MTag:
		var ps []*MPost
		ps, err = x.Posts.Load(h.ctx)
		members(h.name(i)+".Posts", anys(ps), rowsWhere(func(j int, r mvals) bool { return h.db.links[linkKey{j, i}] }))
	}
	if err != nil {
		h.fail("Load: %v", err)
	}
	h.inTx = true
	h.objs[i].relsLoaded = true
}

func nonNil[T any](p *T) []*T {
	if p == nil {
		return nil
	}
	return []*T{p}
}

func anys[T any](xs []*T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// observing wraps a relationship operation, which may load a collection
// (Set diffs against the current members, a move may load the old
// parent's collection): an expired object that such a load returned is
// reloaded, as any query reloads it, and the model follows.
func (h *harness) observing(op func(*rapid.T)) func(*rapid.T) {
	return func(t *rapid.T) {
		op(t)
		h.relTouched = true
		for i, o := range h.objs {
			if o.status == session.Persistent && o.expired && !session.IsExpired(h.s, o.ptr) {
				if _, ok := h.db.rows[i]; !ok {
					h.fail("%s was reloaded but has no row", h.name(i))
				}
				h.reload(i, false)
			}
		}
	}
}

// rowHandles lists the handles of the rows in order (draws must not
// follow Go's random map order, or a failure could not be replayed).
func (h *harness) rowHandles() []int {
	out := slices.Collect(maps.Keys(h.db.rows))
	sort.Ints(out)
	return out
}

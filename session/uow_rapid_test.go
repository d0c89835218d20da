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
// relGated lists the operations that reach relationship flush bugs of
// issue 19 fixed elsewhere; they are drawn only when the gate is off
// (ARC_UOW_REL=1), until those fixes are merged.

// relGated: relationship operations whose known bugs (issue 19 items 2, 3,
// 5, 13-15, 17-22) are not fixed yet on this branch.
var relGated = os.Getenv("ARC_UOW_REL") != "1"

// gateDeletedTarget avoids a flush that deletes an object a pending
// object was related to through a relationship field since its last flush
// (found by this test, reported with issue 19's relationship items): a
// pending reply of a deleted post is inserted with the deleted parent's
// id, and a pending link to a deleted tag is inserted before the tag's
// DELETE — both a foreign-key error where SQLAlchemy clears the reference
// (and skips the link). The model does not describe that case, so the
// generator does not make it until it is fixed.
var gateDeletedTarget = os.Getenv("ARC_UOW_REL") != "1"

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
	relA, relP int // -2: no change
	relTags    []int
}

type linkKey struct{ post, tag int }

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
	txFlushed bool // the session's transaction holds flushed work
	inTx      bool
	ver       int
	seq       int
	words     int
	log       []string
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
		rapid.Check(t, func(rt *rapid.T) {
			cases++
			h := &harness{t: rt, ctx: ctx, eng: eng}
			h.reset()
			defer func() { steps += len(h.log) }()
			defer func() { _ = h.s.Close(ctx) }()
			rt.Repeat(h.actions())
		})
		t.Logf("%s: %d cases, %d steps", eng.Dialect().Name(), cases, steps)
	})
}

// defaultUOWChecks is the number of cases per dialect in a plain go test.
const defaultUOWChecks = 40

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
	h.com = h.db.clone()
}

func (h *harness) step(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	h.log = append(h.log, msg)
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
	for i, o := range h.objs {
		if got := h.s.StateOf(o.ptr); got != o.status {
			h.fail("%s: state %s, model %s", h.name(i), got, o.status)
		}
		v, id, fk := h.actual(o)
		if v.S != o.mem.S || v.N != o.mem.N {
			h.fail("%s: fields (%q, %d), model (%q, %d)", h.name(i), v.S, v.N, o.mem.S, o.mem.N)
		}
		if o.kind == kPost {
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
	fails   string // why a statement fails, "" when none does
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

func (h *harness) planFlush() *plan {
	p := &plan{work: map[int]mvals{}, reloads: map[int]mvals{}}
	work := func(i int) mvals {
		if v, ok := p.work[i]; ok {
			return v
		}
		if v, ok := p.reloads[i]; ok {
			return v
		}
		return h.objs[i].mem
	}
	// Deleting an object whose collection is not loaded loads it: its
	// expired members are reloaded on the way.
	loadChildren := func(parent int) {
		if h.objs[parent].relsLoaded {
			return
		}
		for j, r := range h.db.rows {
			o := h.objs[j]
			if o.kind != kPost || (r.A != parent && r.P != parent) {
				continue
			}
			if h.objs[parent].kind == kAuthor && r.A != parent || h.objs[parent].kind == kPost && r.P != parent {
				continue
			}
			if o.status == session.Persistent && o.expired {
				if _, done := p.reloads[j]; !done {
					p.reloads[j] = softReload(o, r)
				}
			}
		}
	}
	// Relationship changes of pending objects become foreign keys.
	for i, o := range h.objs {
		if o.status != session.Pending && o.status != session.Persistent {
			continue
		}
		v := work(i)
		if o.relA != -2 {
			v.A = o.relA
		}
		if o.relP != -2 {
			v.P = o.relP
		}
		p.work[i] = v
	}
	// Deletes, with their cascades: an author's posts are deleted, a
	// deleted post's replies lose their parent, links of deleted posts
	// and tags go.
	del := map[int]bool{}
	var queue []int
	for i, o := range h.objs {
		if o.marked && o.status == session.Persistent {
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
			if o.kind == kPost && o.status == session.Persistent && !del[j] && work(j).A == i {
				del[j] = true
				queue = append(queue, j)
			}
		}
	}
	for j, o := range h.objs {
		if o.kind == kPost && o.status == session.Persistent && !del[j] && del[max(work(j).P, 0)] && work(j).P >= 0 {
			v := work(j)
			v.P = -1
			p.work[j] = v
		}
	}
	for i := range del {
		p.deletes = append(p.deletes, i)
	}
	sort.Ints(p.deletes)
	for l := range h.db.links {
		if del[l.post] || del[l.tag] {
			p.linkDel = append(p.linkDel, l)
		}
	}
	for i, o := range h.objs {
		switch {
		case o.status == session.Pending:
			p.inserts = append(p.inserts, i)
		case o.status == session.Persistent && !del[i] && work(i) != h.snapAfter(p, i):
			p.updates = append(p.updates, i)
		}
		for _, tg := range o.relTags {
			if (o.status == session.Pending || o.status == session.Persistent) && !del[i] {
				p.linkAdd = append(p.linkAdd, linkKey{i, tg})
			}
		}
	}
	sort.Slice(p.inserts, func(a, b int) bool { return h.objs[p.inserts[a]].addSeq < h.objs[p.inserts[b]].addSeq })
	for i, v := range p.reloads {
		if _, ok := p.work[i]; !ok {
			p.work[i] = v
		}
	}
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
		h.db.rows[i] = v
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
	for _, l := range p.linkDel {
		delete(h.db.links, l)
	}
	for _, l := range p.linkAdd {
		h.db.links[l] = true
	}
	for _, o := range h.objs {
		if o.status == session.Persistent || o.status == session.Deleted {
			o.relA, o.relP, o.relTags = -2, -2, nil
		}
	}
	h.txFlushed = true
	h.inTx = true
}

// flush runs fn (which flushes in Arc) against the model's flush: both
// must agree on failure; a failure changes nothing.
func (h *harness) flushVia(what string, fn func() error) bool {
	p := h.planFlush()
	err := fn()
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
		"addAuthor":    h.addAuthor,
		"addPost":      h.addPost,
		"addTag":       h.addTag,
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
	if gateDeletedTarget {
		dels := h.planFlush().deletes
		if slices.Contains(dels, author) || slices.Contains(dels, parent) || slices.Contains(dels, tag) {
			t.Skip("gateDeletedTarget")
		}
	}
	h.step("add post %q score %d author %s parent %s tag %s", p.Title, p.Score, h.name(author), h.name(parent), h.name(tag))
	i := h.newObj(kPost, p, mvals{S: p.Title, N: p.Score, A: -1, P: -1})
	o := h.objs[i]
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
		o.relTags = []int{tag}
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
	if relGated && h.deletesParentAndChild(i) {
		t.Skip("item 18: a post and its reply deleted in one flush")
	}
	h.objs[i].marked = true
	hit := h.intentHitsDelete(h.planFlush())
	h.objs[i].marked = false
	if gateDeletedTarget && hit {
		t.Skip("gateDeletedTarget")
	}
	h.step("delete %s", h.name(i))
	if err := h.s.Delete(h.objs[i].ptr); err != nil {
		h.fail("Delete: %v", err)
	}
	h.objs[i].marked = true
}

// intentHitsDelete reports whether an unflushed relationship change of
// a pending object points at an object the flush deletes.
func (h *harness) intentHitsDelete(p *plan) bool {
	for _, o := range h.objs {
		if o.status != session.Pending {
			continue
		}
		if slices.Contains(p.deletes, o.relA) || slices.Contains(p.deletes, o.relP) {
			return true
		}
		for _, tg := range o.relTags {
			if slices.Contains(p.deletes, tg) {
				return true
			}
		}
	}
	return false
}

// deletesParentAndChild reports whether marking i would make one flush
// delete a post and one of its replies (issue 19 item 18).
func (h *harness) deletesParentAndChild(i int) bool {
	h.objs[i].marked = true
	p := h.planFlush()
	h.objs[i].marked = false
	for _, d := range p.deletes {
		if o := h.objs[d]; o.kind == kPost {
			par := o.mem.P
			if o.relP != -2 {
				par = o.relP
			}
			if par >= 0 && slices.Contains(p.deletes, par) {
				return true
			}
		}
	}
	return false
}

func (h *harness) expire(t *rapid.T) {
	i := h.pick("obj", func(o *mobj) bool { return o.status == session.Persistent }, kAuthor, kPost, kTag)
	h.step("expire %s", h.name(i))
	if err := h.s.Expire(h.objs[i].ptr); err != nil {
		h.fail("Expire: %v", err)
	}
	o := h.objs[i]
	o.mem = o.snap
	o.expired, o.relsLoaded = true, false
}

func (h *harness) expireAll(t *rapid.T) {
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
	for i := range h.db.rows {
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
	for i := range h.db.rows {
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
		if o.mem.P == i || o.relP == i || slices.Contains(o.relTags, i) {
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
		o.relA, o.relP, o.relTags = -2, -2, nil
	}
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
	}
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

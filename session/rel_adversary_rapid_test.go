package session_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// A model-based test of one parent/children collection (no delete
// cascade: deleting a parent nulls its children's key). rapid draws
// appends, removes and moves (through the collection or the child's
// to-one), parent deletes, flushes, commits, rollbacks, expiry, loads and
// a flush made to fail (a CHECK violation); a map from child to parent
// says what must hold. After a commit the rows and every collection
// loaded again equal the model; after a rollback the objects hold the
// committed state; after a failed flush every object is as it was.
// Unlike TestRandomizedUnitOfWork, collections are mostly left unloaded,
// so the queued changes of lazy collections are what is exercised.

type QParent struct {
	ID   int64
	Name string               `arc:"size:20"`
	Kids relations.Many[QKid] `arc:"back_populates:Parent;order_by:id"`
}

func (QParent) TableName() string { return "q_parents" }

type QKid struct {
	ID       int64
	Name     string                 `arc:"size:20"`
	Score    int                    `arc:"check:score >= 0"`
	ParentID *int64                 `arc:"fk:q_parents.id"`
	Parent   relations.One[QParent] `arc:"back_populates:Kids"`
}

func (QKid) TableName() string { return "q_kids" }

type qObj struct {
	alive     bool // usable: not deleted, not rolled back out
	txRow     bool // has a row in the transaction (flushed)
	comRow    bool // has a committed row
	deleting  bool // Delete called, not flushed
	mem, com  int  // kids: parent index as intended / committed (-1: none)
	txDeleted bool // parents: delete flushed, not committed
}

type qHarness struct {
	t       *rapid.T
	ctx     context.Context
	eng     *engine.Engine
	s       *session.Session
	ps      []*QParent
	ks      []*QKid
	pm, km  []*qObj
	dirty   bool
	log     []string
	nameSeq int
}

func (h *qHarness) step(f string, a ...any) {
	h.log = append(h.log, fmt.Sprintf(f, a...))
	h.t.Logf(f, a...)
}

func (h *qHarness) pick(objs []*qObj, label string, ok func(i int, o *qObj) bool) int {
	var c []int
	for i, o := range objs {
		if o.alive && (ok == nil || ok(i, o)) {
			c = append(c, i)
		}
	}
	if len(c) == 0 {
		return -1
	}
	return rapid.SampledFrom(c).Draw(h.t, label)
}

func (h *qHarness) parentOf(i int) *QParent {
	if i < 0 {
		return nil
	}
	return h.ps[i]
}

func (h *qHarness) kidsOf(p int) []int {
	var out []int
	for i, o := range h.km {
		if o.alive && o.mem == p {
			out = append(out, i)
		}
	}
	return out
}

func (h *qHarness) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"newParent": func(t *rapid.T) {
			h.nameSeq++
			p := relations.Init(&QParent{Name: fmt.Sprintf("p%d", h.nameSeq)})
			require.NoError(t, h.s.Add(p))
			h.ps, h.pm = append(h.ps, p), append(h.pm, &qObj{alive: true, mem: -1, com: -1})
			h.dirty = true
			h.step("newParent P%d", len(h.ps)-1)
		},
		"newKid": func(t *rapid.T) {
			h.nameSeq++
			k := relations.Init(&QKid{Name: fmt.Sprintf("k%d", h.nameSeq)})
			p := h.pick(h.pm, "parent", func(int, *qObj) bool { return rapid.Bool().Draw(t, "withParent") })
			require.NoError(t, h.s.Add(k)) // else a kid appended and removed before a flush never joins
			if p >= 0 {
				h.ps[p].Kids.Append(k)
			}
			h.ks, h.km = append(h.ks, k), append(h.km, &qObj{alive: true, mem: p, com: -1})
			h.dirty = true
			h.step("newKid K%d under P%d", len(h.ks)-1, p)
		},
		"append": func(t *rapid.T) {
			k, p := h.pick(h.km, "kid", nil), h.pick(h.pm, "parent", nil)
			if k < 0 || p < 0 {
				t.Skip("nothing to move")
			}
			h.ps[p].Kids.Append(h.ks[k])
			h.km[k].mem, h.dirty = p, true
			h.step("P%d.Kids.Append(K%d)", p, k)
		},
		"setParent": func(t *rapid.T) {
			k, p := h.pick(h.km, "kid", nil), h.pick(h.pm, "parent", nil)
			if k < 0 {
				t.Skip("no kid")
			}
			h.ks[k].Parent.Set(h.parentOf(p))
			h.km[k].mem, h.dirty = p, true
			h.step("K%d.Parent.Set(P%d)", k, p)
		},
		"remove": func(t *rapid.T) {
			k := h.pick(h.km, "kid", func(_ int, o *qObj) bool { return o.mem >= 0 })
			if k < 0 {
				t.Skip("no kid with a parent")
			}
			p := h.km[k].mem
			h.ps[p].Kids.Remove(h.ks[k])
			h.km[k].mem, h.dirty = -1, true
			h.step("P%d.Kids.Remove(K%d)", p, k)
		},
		"deleteParent": func(t *rapid.T) {
			p := h.pick(h.pm, "parent", func(_ int, o *qObj) bool { return o.txRow })
			if p < 0 {
				t.Skip("no flushed parent")
			}
			require.NoError(t, h.s.Delete(h.ps[p]))
			h.pm[p].alive, h.pm[p].deleting, h.dirty = false, true, true
			for _, k := range h.kidsOf(p) {
				h.km[k].mem = -1
			}
			h.step("Delete(P%d)", p)
		},
		"flush": func(t *rapid.T) {
			h.step("Flush")
			require.NoError(t, h.s.Flush(h.ctx), "%v", h.log)
			h.flushed()
		},
		"commit": func(t *rapid.T) {
			h.step("Commit")
			require.NoError(t, h.s.Commit(h.ctx), "%v", h.log)
			h.flushed()
			for _, o := range append(slices.Clone(h.pm), h.km...) {
				o.comRow, o.com = o.txRow, o.mem
				o.txDeleted = false
			}
			h.checkRows()
			h.checkLoads()
		},
		"rollback": func(t *rapid.T) {
			h.step("Rollback")
			require.NoError(t, h.s.Rollback(h.ctx))
			for i, o := range h.pm {
				if !o.comRow {
					if o.alive {
						require.Equal(t, session.Transient, h.s.StateOf(h.ps[i]), "P%d", i)
					}
					o.alive = false
				} else if !o.alive && (o.deleting || o.txDeleted) {
					o.alive = true
				}
				o.txRow, o.deleting, o.txDeleted = o.comRow, false, false
			}
			for i, o := range h.km {
				if !o.comRow {
					if o.alive {
						require.Equal(t, session.Transient, h.s.StateOf(h.ks[i]), "K%d", i)
					}
					o.alive = false
				}
				o.txRow, o.mem = o.comRow, o.com
			}
			h.dirty = false
			for i, o := range h.km {
				if o.alive {
					h.checkFK(i)
				}
			}
			h.checkLoads()
		},
		"expire": func(t *rapid.T) {
			if h.dirty {
				t.Skip("unflushed relationship changes: expiry throws them away (unmodelled)")
			}
			if rapid.Bool().Draw(t, "all") {
				h.s.ExpireAll()
				h.step("ExpireAll")
				return
			}
			p := h.pick(h.pm, "parent", func(_ int, o *qObj) bool { return o.txRow })
			if p < 0 {
				t.Skip("no persistent parent")
			}
			require.NoError(t, h.s.Expire(h.ps[p]))
			h.step("Expire(P%d)", p)
		},
		"loadKids": func(t *rapid.T) {
			p := h.pick(h.pm, "parent", nil)
			if p < 0 {
				t.Skip("no parent")
			}
			h.step("P%d.Kids.Load", p)
			h.checkKids(p) // autoflushes when it loads: the model is not told (conservative)
		},
		"loadParent": func(t *rapid.T) {
			k := h.pick(h.km, "kid", func(_ int, o *qObj) bool { return o.txRow && !h.dirty })
			if k < 0 {
				t.Skip("no flushed kid")
			}
			h.step("K%d.Parent.Load", k)
			got, err := h.ks[k].Parent.Load(h.ctx)
			require.NoError(t, err)
			require.Same(t, h.parentOf(h.km[k].mem), got, "K%d's parent: %v", k, h.log)
		},
		"failedFlush": func(t *rapid.T) {
			k := h.pick(h.km, "kid", nil)
			if k < 0 {
				t.Skip("no kid")
			}
			h.step("failed Flush (K%d.Score = -1)", k)
			type was struct {
				fk     *int64
				status session.Status
			}
			before := func() []was {
				var out []was
				for _, kid := range h.ks {
					w := was{status: h.s.StateOf(kid)}
					if kid.ParentID != nil {
						v := *kid.ParentID
						w.fk = &v
					}
					out = append(out, w)
				}
				return out
			}
			// The loaded collections: a failed flush may have loaded more
			// (a deleted parent's children are read to null their key),
			// which is no change.
			colls := func() map[int]string {
				out := map[int]string{}
				for i, p := range h.ps {
					if kids, ok := p.Kids.Cached(); ok {
						out[i] = fmt.Sprintf("%p", kids)
						for _, k := range kids {
							out[i] += fmt.Sprintf(" %p", k)
						}
					}
				}
				return out
			}
			b, bc := before(), colls()
			h.ks[k].Score = -1
			require.Error(t, h.s.Flush(h.ctx))
			require.Equal(t, b, before(), "a failed flush leaves every object as it was: %v", h.log)
			ac := colls()
			for i, c := range bc {
				require.Equal(t, c, ac[i], "P%d.Kids after a failed flush: %v", i, h.log)
			}
			h.ks[k].Score = 0
		},
	}
}

// flushed records a successful flush in the model.
func (h *qHarness) flushed() {
	for _, o := range h.pm {
		if o.deleting {
			o.deleting, o.txDeleted, o.txRow = false, true, false
		} else if o.alive {
			o.txRow = true
		}
	}
	for _, o := range h.km {
		if o.alive {
			o.txRow = true
		}
	}
	h.dirty = false
}

func (h *qHarness) checkFK(k int) {
	want := h.parentOf(h.km[k].mem)
	got := h.ks[k].ParentID
	if want == nil {
		require.Nil(h.t, got, "K%d.ParentID: %v", k, h.log)
		return
	}
	require.NotNil(h.t, got, "K%d.ParentID: %v", k, h.log)
	require.Equal(h.t, want.ID, *got, "K%d.ParentID: %v", k, h.log)
}

func (h *qHarness) checkKids(p int) {
	got, err := h.ps[p].Kids.Load(h.ctx)
	require.NoError(h.t, err)
	var want []*QKid
	for _, k := range h.kidsOf(p) {
		want = append(want, h.ks[k])
	}
	require.ElementsMatch(h.t, want, got, "P%d.Kids: %v", p, h.log)
}

// checkLoads loads every live parent's collection and compares.
func (h *qHarness) checkLoads() {
	for p, o := range h.pm {
		if o.alive {
			h.checkKids(p)
		}
	}
}

// checkRows compares the committed rows with the model.
func (h *qHarness) checkRows() {
	rows := map[int64]sql.NullInt64{}
	r, err := h.eng.DB().Query("SELECT id, parent_id FROM q_kids")
	require.NoError(h.t, err)
	for r.Next() {
		var id int64
		var pid sql.NullInt64
		require.NoError(h.t, r.Scan(&id, &pid))
		rows[id] = pid
	}
	require.NoError(h.t, r.Err())
	r.Close()
	n := 0
	for i, o := range h.km {
		if !o.comRow {
			continue
		}
		n++
		pid, ok := rows[h.ks[i].ID]
		require.True(h.t, ok, "K%d's row: %v", i, h.log)
		want := sql.NullInt64{}
		if o.com >= 0 {
			want = sql.NullInt64{Int64: h.ps[o.com].ID, Valid: true}
		}
		require.Equal(h.t, want, pid, "K%d's parent_id: %v", i, h.log)
		h.checkFK(i)
	}
	require.Len(h.t, rows, n, "q_kids rows: %v", h.log)
	var np int
	require.NoError(h.t, h.eng.DB().QueryRow("SELECT count(*) FROM q_parents").Scan(&np))
	want := 0
	for _, o := range h.pm {
		if o.comRow {
			want++
		}
	}
	require.Equal(h.t, want, np, "q_parents rows: %v", h.log)
}

func TestRelCollectionRapid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, QParent{}, QKid{}))
		rapid.Check(t, func(rt *rapid.T) {
			for _, q := range []string{"DELETE FROM q_kids", "DELETE FROM q_parents"} {
				_, err := eng.DB().Exec(q)
				require.NoError(rt, err)
			}
			s := session.New(eng)
			defer func() { _ = s.Close(ctx) }()
			h := &qHarness{t: rt, ctx: session.With(ctx, s), eng: eng, s: s}
			rt.Repeat(h.actions())
		})
	})
}

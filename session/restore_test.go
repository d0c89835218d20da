package session_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/relations"
	"github.com/arcorm/arc/session"
)

// A failed flush restores the objects it touched in one of two ways
// (session/flush.go): the light restore, for objects of tables that
// nothing but the statement writes to (no hooks, relationships, foreign
// keys or generated columns), clears what the INSERT filled in and takes
// back UpdatedAt and the version; the full restore copies every touched
// object back from a backup taken before the flush. The tests below fail
// a flush part-way on purpose, check with session.Restored that the path
// under test ran, and check that the session and the database are exactly
// as before the flush: each object's fields (keys included), state,
// snapshot and relationship collections, the session's new, dirty and
// deleted lists, its indexes, and every row.

// LightItem qualifies for the light restore and has everything a flush
// fills in: a generated key, timestamps, a version, a default and a
// server default.
type LightItem struct {
	ID int64
	Timestamps
	Code    string `arc:"size:20;notnull;unique"`
	Status  string `arc:"default:draft"`
	Rank    int    `arc:"server_default:7"`
	Version int64  `arc:"version"`
}

var LI = expr.Cols[LightItem]()

// picture is what a test compares before and after a failed flush.
type picture struct {
	Objects             []objPicture
	New, Dirty, Deleted []uintptr // object addresses, in the session's order
	Rows                map[string][]string
}

type objPicture struct {
	Addr     uintptr
	Status   session.Status
	Fields   map[string]any // column fields, keys included
	Rels     map[string]any // relationship fields: what they hold and whether loaded
	Snapshot any            // the session's snapshot of the object (nil when new)
	Modified bool
}

// relPkg is the package of the relationship field types.
var relPkg = reflect.TypeFor[relations.Many[LightItem]]().PkgPath()

func pictureOf(t *testing.T, eng *engine.Engine, s *session.Session, tables []string, objs ...any) picture {
	t.Helper()
	p := picture{Rows: map[string][]string{}}
	for _, o := range objs {
		v := reflect.ValueOf(o).Elem()
		op := objPicture{
			Addr: v.Addr().Pointer(), Status: s.StateOf(o),
			Fields: map[string]any{}, Rels: map[string]any{},
			Snapshot: session.SnapshotOf(s, o), Modified: s.IsModified(o),
		}
		for i := range v.NumField() {
			f, sf := v.Field(i), v.Type().Field(i)
			switch {
			case sf.Anonymous && sf.Name == "Base":
				continue // record.Base: the object's link, not a column
			case f.Type().PkgPath() == relPkg:
				cached := f.Addr().MethodByName("Cached")
				if !cached.IsValid() {
					continue // relations.Dynamic: a query, it holds nothing
				}
				out := cached.Call(nil)
				var held []uintptr
				if out[0].Kind() == reflect.Slice {
					for k := range out[0].Len() {
						held = append(held, out[0].Index(k).Pointer())
					}
				} else if !out[0].IsNil() {
					held = append(held, out[0].Pointer())
				}
				op.Rels[sf.Name] = fmt.Sprint(held, " loaded=", out[1].Bool())
			default:
				op.Fields[sf.Name] = f.Interface()
			}
		}
		p.Objects = append(p.Objects, op)
	}
	addrs := func(objs []any) []uintptr {
		var out []uintptr
		for _, o := range objs {
			out = append(out, reflect.ValueOf(o).Pointer())
		}
		return out
	}
	p.New, p.Dirty, p.Deleted = addrs(s.New()), addrs(s.Dirty()), addrs(s.Deleted())
	for _, table := range tables {
		p.Rows[table] = dumpRows(t, eng, table)
	}
	require.NoError(t, session.CheckIndexes(s))
	return p
}

// dumpRows reads every row of table, in key order, as text.
func dumpRows(t *testing.T, eng *engine.Engine, table string) []string {
	t.Helper()
	rows, err := eng.DB().QueryContext(context.Background(), "SELECT * FROM "+table+" ORDER BY 1")
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		out = append(out, fmt.Sprint(vals...))
	}
	require.NoError(t, rows.Err())
	return out
}

// TestFailedFlushLightRestore fails a flush of light-restore objects at
// an INSERT (a unique violation on the 3rd of 5 new rows), at an UPDATE
// and at a DELETE (rows deleted by another connection meanwhile), both
// as the first flush of a transaction and after earlier flushed work
// (a savepoint), and checks that only the light path ran and that
// nothing changed.
func TestFailedFlushLightRestore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx := context.Background()
		require.NoError(t, migrate.CreateAll(ctx, eng, LightItem{}))
		del := rebind(eng, "DELETE FROM light_items WHERE id = ?")
		for _, failAt := range []string{"insert", "update", "delete"} {
			for _, earlier := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/earlier=%v", failAt, earlier), func(t *testing.T) {
					pre := failAt + fmt.Sprint(earlier)[:1]
					// Committed rows: one to change, one to delete, one whose code a new row repeats.
					seed := session.New(eng)
					require.NoError(t, seed.AddAll(&LightItem{Code: pre + "-k1"}, &LightItem{Code: pre + "-k2"}, &LightItem{Code: pre + "-taken"}))
					require.NoError(t, seed.Commit(ctx))
					require.NoError(t, seed.Close(ctx))

					s := session.New(eng)
					defer s.Close(ctx)
					sctx := session.With(ctx, s)
					loaded, err := session.Select[LightItem]().OrderBy(expr.Asc(&LI.ID)).All(sctx)
					require.NoError(t, err)
					byCode := map[string]*LightItem{}
					for _, it := range loaded {
						byCode[it.Code] = it
					}
					k1, k2 := byCode[pre+"-k1"], byCode[pre+"-k2"]
					// Rows another connection deletes (before the session's
					// transaction begins: SQLite would wait for its lock).
					switch failAt {
					case "update":
						_, err = eng.Exec(ctx, del, k1.ID)
						require.NoError(t, err)
					case "delete":
						_, err = eng.Exec(ctx, del, k2.ID)
						require.NoError(t, err)
					}
					var early *LightItem
					if earlier {
						early = &LightItem{Code: pre + "-early"}
						require.NoError(t, s.Add(early))
						require.NoError(t, s.Flush(sctx))
					}

					k1.Code = pre + "-k1b" // UPDATE: UpdatedAt and the version change in memory
					require.NoError(t, s.Delete(k2))
					fresh := make([]*LightItem, 5)
					for i := range fresh {
						fresh[i] = &LightItem{Code: fmt.Sprintf("%s-n%d", pre, i)}
						if i%2 == 0 {
							fresh[i].Rank = 3 // another INSERT shape than its neighbours'
						}
						require.NoError(t, s.Add(fresh[i]))
					}
					want := arcerr.ErrStaleData
					if failAt == "insert" {
						fresh[2].Code = pre + "-taken"
						want = arcerr.ErrIntegrity
					}
					objs := []any{k1, k2}
					for _, f := range fresh {
						objs = append(objs, f)
					}
					if early != nil {
						objs = append(objs, early)
					}
					before := pictureOf(t, eng, s, []string{"light_items"}, objs...)
					light0, lu0, full0 := session.Restored(s)

					err = s.Flush(sctx)
					require.ErrorIs(t, err, want)

					light, lu, full := session.Restored(s)
					assert.Equal(t, len(fresh), light-light0, "new objects restored the light way")
					assert.Equal(t, 1, lu-lu0, "the changed object restored the light way")
					assert.Zero(t, full-full0, "no full backup taken")
					assert.Equal(t, before, pictureOf(t, eng, s, []string{"light_items"}, objs...))

					// Fix the cause, and the same objects flush.
					switch failAt {
					case "insert":
						fresh[2].Code = pre + "-n2"
					case "update":
						require.NoError(t, s.Expunge(k1))
					case "delete":
						require.NoError(t, s.Expunge(k2))
					}
					if err := s.Commit(sctx); err != nil {
						require.ErrorIs(t, err, arcerr.ErrNeedsRollback)
						require.NoError(t, s.Rollback(sctx))
						require.NoError(t, s.Commit(sctx))
					}
					for _, f := range fresh {
						assert.NotZero(t, f.ID)
						assert.Equal(t, 1, countRows(t, eng, "light_items", "id = ? AND code = ?", f.ID, f.Code))
					}
				})
			}
		}
	})
}

// TestFailedFlushFullRestore does the same for objects with
// relationships, which get a full backup: a new parent with new children,
// a child moved from one parent's loaded collection to the new parent, a
// changed parent, new keywords of which the 3rd of 5 repeats a committed
// one (failing at an INSERT), or a deleted child that another connection
// deleted meanwhile (failing at the last statement).
func TestFailedFlushFullRestore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		ctx, _ := relSetup(t, eng)
		tables := []string{"users", "addresses", "keywords", "posts", "post_keywords"}
		for _, failAt := range []string{"insert", "delete"} {
			for _, earlier := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/earlier=%v", failAt, earlier), func(t *testing.T) {
					pre := failAt + fmt.Sprint(earlier)[:1]
					// Committed: a parent with two children, a keyword a new one repeats.
					seed := session.New(eng)
					owner := &RUser{Name: pre + "-owner"}
					owner.Addresses.Append(&RAddress{Email: pre + "-a1@x"}, &RAddress{Email: pre + "-a2@x"})
					require.NoError(t, seed.AddAll(owner, &RKeyword{Keyword: pre + "-taken"}))
					require.NoError(t, seed.Commit(ctx))
					require.NoError(t, seed.Close(ctx))
					jackID := owner.ID

					s := session.New(eng)
					defer s.Close(ctx)
					sctx := session.With(ctx, s)
					jack, err := session.Get[RUser](sctx, s, jackID)
					require.NoError(t, err)
					addrs, err := jack.Addresses.Load(sctx)
					require.NoError(t, err)
					require.Len(t, addrs, 2)
					// gone is not the last row: SQLite would give its key to a new row.
					gone, moved := addrs[0], addrs[1]
					if failAt == "delete" {
						// Deleted by another connection, before the session's transaction begins.
						_, err = eng.Exec(ctx, rebind(eng, "DELETE FROM addresses WHERE id = ?"), gone.ID)
						require.NoError(t, err)
					}
					var early *RUser
					if earlier {
						early = &RUser{Name: pre + "-early"}
						require.NoError(t, s.Add(early))
						require.NoError(t, s.Flush(sctx))
					}

					jack.Nickname = pre + "-nick"
					nu := &RUser{Name: pre + "-nu"}
					kids := []*RAddress{{Email: pre + "-c1@x"}, {Email: pre + "-c2@x"}}
					nu.Addresses.Append(kids...)
					require.NoError(t, s.Add(nu))
					moved.User.Set(nu)
					kws := make([]*RKeyword, 5)
					for i := range kws {
						kws[i] = &RKeyword{Keyword: fmt.Sprintf("%s-kw%d", pre, i)}
						require.NoError(t, s.Add(kws[i]))
					}
					want := arcerr.ErrIntegrity
					switch failAt {
					case "insert":
						kws[2].Keyword = pre + "-taken"
					case "delete":
						require.NoError(t, s.Delete(gone))
						want = arcerr.ErrStaleData
					}
					objs := []any{jack, nu, moved, gone}
					for _, k := range kids {
						objs = append(objs, k)
					}
					for _, k := range kws {
						objs = append(objs, k)
					}
					if early != nil {
						objs = append(objs, early)
					}
					before := pictureOf(t, eng, s, tables, objs...)
					light0, lu0, full0 := session.Restored(s)

					err = s.Flush(sctx)
					require.ErrorIs(t, err, want)

					light, lu, full := session.Restored(s)
					assert.Zero(t, light-light0, "no object restored the light way")
					assert.Zero(t, lu-lu0, "no object restored the light way")
					// jack, nu, the new children and keywords; moved is backed
					// up when its foreign key is written, after the INSERTs.
					touched := 2 + len(kids) + len(kws)
					assert.GreaterOrEqual(t, full-full0, touched, "every touched object restored from its backup")
					assert.Equal(t, before, pictureOf(t, eng, s, tables, objs...))

					switch failAt {
					case "insert":
						kws[2].Keyword = pre + "-kw2"
					case "delete":
						require.NoError(t, s.Expunge(gone))
					}
					if err := s.Commit(sctx); err != nil {
						require.ErrorIs(t, err, arcerr.ErrNeedsRollback)
						require.NoError(t, s.Rollback(sctx))
						require.NoError(t, s.Commit(sctx))
					}
					require.NotZero(t, nu.ID)
					assert.Equal(t, 3, countRows(t, eng, "addresses", "user_id = ?", nu.ID))
					assert.Equal(t, 1, countRows(t, eng, "users", "id = ? AND nickname = ?", jackID, pre+"-nick"))
					for _, k := range kws {
						assert.Equal(t, 1, countRows(t, eng, "keywords", "id = ? AND keyword = ?", k.ID, k.Keyword))
					}
				})
			}
		}
	})
}

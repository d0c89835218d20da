package arc_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc"
	"github.com/arcorm/arc/internal/dbtest"
	tm "github.com/arcorm/arc/internal/testmodels"
)

// callNoPanic runs fn and turns a panic into a test failure.
func callNoPanic(t *testing.T, name string, fn func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", name, r)
			err = fmt.Errorf("panic")
		}
	}()
	return fn()
}

// TestRegression_NilInputsNeverPanic feeds nil (and other empty input) to
// the public API: every call returns an error (or a harmless answer), none
// panics.
func TestRegression_NilInputsNeverPanic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, tm.All()...))
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		sctx := arc.WithSession(ctx, s)
		U := arc.Cols[tm.User]()
		var nilUser *tm.User
		var nilQuery *arc.Query[tm.User]
		var nilExpr arc.Expr
		cases := []struct {
			name    string
			fn      func() error
			wantErr bool
		}{
			{"Where(nil).All", func() error { _, err := arc.Where[tm.User](nil).All(sctx); return err }, true},
			{"Where(nil expr var).All", func() error { _, err := arc.Where[tm.User](nilExpr).All(sctx); return err }, true},
			{"Query.Where(nil).Count", func() error { _, err := arc.QueryOf[tm.User](s).Where(nil).Count(ctx); return err }, true},
			{"And(nil)", func() error { _, err := arc.QueryOf[tm.User](s).Where(arc.And(nil)).All(ctx); return err }, true},
			{"And(x, nil)", func() error {
				_, err := arc.QueryOf[tm.User](s).Where(arc.And(arc.Eq(&U.Name, "x"), nil)).All(ctx)
				return err
			}, true},
			{"Or(nil, nil)", func() error { _, err := arc.QueryOf[tm.User](s).Where(arc.Or(nil, nil)).All(ctx); return err }, true},
			{"Not(nil)", func() error { _, err := arc.QueryOf[tm.User](s).Where(arc.Not(nil)).All(ctx); return err }, true},
			{"Having(nil)", func() error {
				_, err := arc.QueryOf[tm.User](s).GroupBy(&U.ID).Having(nil).All(ctx)
				return err
			}, true},
			{"Select(nil)", func() error { _, err := arc.QueryOf[tm.User](s).Select(nil).All(ctx); return err }, true},
			{"GroupBy(nil)", func() error { _, err := arc.QueryOf[tm.User](s).GroupBy(nil).All(ctx); return err }, true},
			{"OrderBy(nil, nil)", func() error { _, err := arc.QueryOf[tm.User](s).OrderBy(nil, nil).All(ctx); return err }, true},
			{"Join(nil, nil)", func() error { _, err := arc.QueryOf[tm.User](s).Join(nil, nil).All(ctx); return err }, true},
			{"FilterBy(nil)", func() error { _, err := arc.QueryOf[tm.User](s).FilterBy(nil).All(ctx); return err }, false},
			{"Exists(nil query)", func() error { _, err := arc.QueryOf[tm.User](s).Where(arc.Exists(nilQuery)).All(ctx); return err }, true},
			{"InQuery(nil col, nil query)", func() error {
				_, err := arc.QueryOf[tm.User](s).Where(arc.InQuery[int64](nil, nilQuery)).All(ctx)
				return err
			}, true},
			{"Eq(nil col)", func() error { _, err := arc.QueryOf[tm.User](s).Where(arc.Eq[string](nil, "x")).All(ctx); return err }, true},
			{"Like(nil col)", func() error { _, err := arc.QueryOf[tm.User](s).Where(arc.Like[string](nil, "x")).All(ctx); return err }, true},
			{"Func(lower, nil)", func() error { _, err := arc.QueryOf[tm.User](s).OrderBy(arc.Func("lower", nil)).All(ctx); return err }, false},
			{"Label(nil)", func() error { _, err := arc.QueryOf[tm.User](s).Select(arc.Label(nil, "x")).All(ctx); return err }, true},
			{"Any(nil)", func() error { _, err := arc.QueryOf[tm.User](s).Where(arc.Any(nil)).All(ctx); return err }, true},
			{"Has(nil)", func() error { _, err := arc.QueryOf[tm.User](s).Where(arc.Has(nil)).All(ctx); return err }, true},
			{"Contains(nil, nil)", func() error { _, err := arc.QueryOf[tm.User](s).Where(arc.Contains(nil, nil)).All(ctx); return err }, true},
			{"Is(nil, nil)", func() error { _, err := arc.QueryOf[tm.User](s).Where(arc.Is(nil, nil)).All(ctx); return err }, true},
			{"Any(&Addresses, nil)", func() error {
				_, err := arc.QueryOf[tm.User](s).Where(arc.Any(&U.Addresses, nil)).All(ctx)
				return err
			}, true},
			{"Get(nil key)", func() error { _, err := arc.Get[tm.User](sctx, nil); return err }, true},
			{"Get(no key)", func() error { _, err := arc.Get[tm.User](sctx); return err }, true},
			{"Find(nil map)", func() error { _, err := arc.Find[tm.User](sctx, map[string]any(nil)); return err }, true},
			{"Add(nil)", func() error { return s.Add(nil) }, true},
			{"Add(nil *User)", func() error { return s.Add(nilUser) }, true},
			{"AddAll(nil, nil)", func() error { return s.AddAll(nil, nil) }, true},
			{"Delete(nil)", func() error { return s.Delete(nil) }, true},
			{"Delete(nil *User)", func() error { return s.Delete(nilUser) }, true},
			{"Expunge(nil)", func() error { return s.Expunge(nil) }, true},
			{"Expire(nil)", func() error { return s.Expire(nil) }, true},
			{"Refresh(nil)", func() error { return s.Refresh(ctx, nil) }, true},
			{"Refresh(nil *User)", func() error { return s.Refresh(ctx, nilUser) }, true},
			{"StateOf(nil)", func() error { _ = s.StateOf(nil); _ = arc.StateOf(nil); _ = arc.StateOf(nilUser); return nil }, false},
			{"Contains(nil)", func() error { _ = s.Contains(nil); _ = s.Contains(nilUser); return nil }, false},
			{"IsModified(nil)", func() error { _ = s.IsModified(nil); _ = s.IsModified(nilUser); return nil }, false},
			{"New[T](nil)", func() error { _ = arc.New[tm.User](nil); return nil }, false},
			{"CreateAll(nil model)", func() error { return arc.CreateAll(ctx, eng, nil) }, true},
			{"CreateAll(nil engine)", func() error { return arc.CreateAll(ctx, nil, tm.User{}) }, true},
			{"NewSession(nil).Commit", func() error { return arc.NewSession(nil).Commit(ctx) }, false},
			{"NewSession(nil).Query", func() error {
				_, err := arc.QueryOf[tm.User](arc.NewSession(nil)).All(ctx)
				return err
			}, true},
			{"Text(nil params)", func() error {
				_, err := arc.QueryOf[tm.User](s).Where(arc.Text("name = :n", nil)).All(ctx)
				return err
			}, true},
			{"Update(nil values)", func() error {
				_, err := arc.QueryOf[tm.User](s).Where(arc.Eq(&U.Name, "zz")).Update(ctx, nil)
				return err
			}, true},
			{"Options(nil)", func() error { _, err := arc.QueryOf[tm.User](s).Options(nil).All(ctx); return err }, false},
			{"SelectIn(nil)", func() error { _, err := arc.QueryOf[tm.User](s).Options(arc.SelectIn(nil)).All(ctx); return err }, true},
			{"With(nil)", func() error { _, err := arc.QueryOf[tm.User](s).With(nil).All(ctx); return err }, true},
			{"Union(nil)", func() error { _, err := arc.QueryOf[tm.User](s).Union(nil).All(ctx); return err }, true},
			{"FromStatement(nil)", func() error { _, err := arc.QueryOf[tm.User](s).FromStatement(nil).All(ctx); return err }, true},
			{"SelectAs(nil)", func() error { _, err := arc.SelectAs[tm.User](nil).All(sctx); return err }, true},
			{"TupleIn(nil)", func() error { _, err := arc.QueryOf[tm.User](s).Where(arc.TupleIn(nil)).All(ctx); return err }, false},
			{"NoAutoflush(nil)", func() error { return s.NoAutoflush(nil) }, true},
			{"Transaction(nil fn)", func() error { return arc.Transaction(ctx, eng, nil) }, true},
		}
		for _, tc := range cases {
			err := callNoPanic(t, tc.name, tc.fn)
			if tc.wantErr {
				assert.Error(t, err, tc.name)
			}
		}
		require.NoError(t, s.Rollback(ctx))
	})
}

// TestRegression_FindByMapSingleColumnKey: a single-column key may be
// given as a map, as composite keys may.
func TestRegression_FindByMapSingleColumnKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, eng *arc.Engine) {
		ctx := context.Background()
		require.NoError(t, arc.CreateAll(ctx, eng, tm.All()...))
		s := arc.NewSession(eng)
		defer s.Close(ctx)
		ed := &tm.User{Name: "ed"}
		require.NoError(t, s.Add(ed))
		require.NoError(t, s.Commit(ctx))
		s2 := arc.NewSession(eng)
		defer s2.Close(ctx)
		sctx := arc.WithSession(ctx, s2)
		for _, key := range []map[string]any{{"ID": ed.ID}, {"id": ed.ID}, {"ID": int(ed.ID)}} {
			got, err := arc.Find[tm.User](sctx, key)
			require.NoError(t, err, "%v", key)
			assert.Equal(t, "ed", got.Name)
		}
		_, err := arc.Find[tm.User](sctx, map[string]any{"Name": "ed"})
		assert.ErrorIs(t, err, arc.ErrInvalidRequest)
		_, err = arc.Find[tm.User](sctx, map[string]any{})
		assert.ErrorIs(t, err, arc.ErrInvalidRequest)
	})
}

package dialect_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/lib/pq"
	"github.com/mattn/go-sqlite3"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/expr"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/migrate"
)

// Reserved words and a quote inside names: created, written and read back.
type QUser struct {
	ID     int64
	Select string `arc:"column:select;size:20"`
}

func (QUser) TableName() string { return "user" }

type QOrder struct {
	ID     int64
	UserID int64  `arc:"column:user;fk:user.id"`
	Group  string `arc:"column:group;index"`
	Quoted string `arc:"column:it\"s;unique"`
}

func (QOrder) TableName() string { return "order" }

type QWeird struct {
	ID    int64  `arc:"column:Id"`
	Value string `arc:"column:val\"ue"`
}

func (QWeird) TableName() string { return `we"ird` }

func TestQuotedNamesRoundTrip(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		if err := migrate.CreateAll(ctx, eng, QUser{}, QOrder{}, QWeird{}); err != nil {
			t.Fatal(err)
		}
		u, o, w := meta.MustOf[QUser](), meta.MustOf[QOrder](), meta.MustOf[QWeird]()
		mustExec(t, eng, &expr.Insert{Table: u, Columns: []string{"select"}, Rows: [][]any{{"from"}}})
		mustExec(t, eng, &expr.Insert{Table: o, Columns: []string{"user", "group", `it"s`}, Rows: [][]any{{1, "by", `"quoted'`}}})
		mustExec(t, eng, &expr.Insert{Table: w, Columns: []string{`val"ue`}, Rows: [][]any{{"x"}, {"y"}}})

		O := expr.Cols[QOrder]()
		U := expr.Cols[QUser]()
		sel := expr.NewSelect(&U.Select, &O.Group, &O.Quoted).
			SelectFrom(expr.TableOf(o)).
			JoinOn(expr.TableOf(u), expr.On(&O.UserID, &U.ID)).
			Filter(expr.Eq(&O.Group, "by"))
		q, _, err := expr.Compile(eng.Dialect(), sel)
		if err != nil {
			t.Fatal(err)
		}
		qi := func(s string) string { return dialect.QuoteIdent(eng.Dialect(), s) }
		if !strings.Contains(q, qi("order")+"."+qi(`it"s`)) || !strings.Contains(q, "JOIN "+qi("user")+" ON "+qi("order")+"."+qi("user")+" = "+qi("user")+".id") {
			t.Errorf("SQL: %s", q)
		}
		rows, err := engine.QueryStmt(ctx, eng, sel)
		if err != nil {
			t.Fatal(err)
		}
		var a, b, c string
		for rows.Next() {
			if err := rows.Scan(&a, &b, &c); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		if a != "from" || b != "by" || c != `"quoted'` {
			t.Errorf("read back %q %q %q", a, b, c)
		}

		W := expr.Cols[QWeird]()
		mustExec(t, eng, &expr.Update{Table: w, Set: []expr.Assign{{Col: `val"ue`, V: "z"}}, Where: []expr.Expr{expr.Eq(&W.Value, "y")}})
		mustExec(t, eng, &expr.Delete{Table: w, Where: []expr.Expr{expr.Eq(&W.Value, "x")}})
		var n int
		var v string
		d := eng.Dialect()
		row := eng.DB().QueryRowContext(ctx, "SELECT count(*), max("+dialect.QuoteIdent(d, `val"ue`)+") FROM "+dialect.QuoteIdent(d, `we"ird`))
		if err := row.Scan(&n, &v); err != nil || n != 1 || v != "z" {
			t.Errorf("we\"ird: %d %q %v", n, v, err)
		}
		if err := migrate.DropAll(ctx, eng, QUser{}, QOrder{}, QWeird{}); err != nil {
			t.Fatal(err)
		}
	})
}

func mustExec(t *testing.T, eng *engine.Engine, st expr.Expr) {
	t.Helper()
	if _, err := engine.ExecStmt(context.Background(), eng, st); err != nil {
		t.Fatal(err)
	}
}

type IParent struct {
	ID   int64
	Code *string `arc:"size:10;notnull;unique"`
}

type IChild struct {
	ID       int64
	ParentID int64 `arc:"fk:i_parents.id"`
	Qty      int   `arc:"check:qty >= 0"`
}

// Real constraint violations on both databases come back as ErrIntegrity
// inside a *StatementError, with the driver's error still reachable.
func TestIntegrityErrors(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		if err := migrate.CreateAll(ctx, eng, IParent{}, IChild{}); err != nil {
			t.Fatal(err)
		}
		p, c := meta.MustOf[IParent](), meta.MustOf[IChild]()
		mustExec(t, eng, &expr.Insert{Table: p, Columns: []string{"id", "code"}, Rows: [][]any{{1, "a"}}})
		tests := []struct {
			name    string
			st      expr.Expr
			sqlite  sqlite3.ErrNoExtended
			pgCode  string
			argWant any
			myNums  []uint16 // MySQL, MariaDB
		}{
			{"unique", &expr.Insert{Table: p, Columns: []string{"code"}, Rows: [][]any{{"a"}}}, sqlite3.ErrConstraintUnique, "23505", "a", []uint16{1062}},
			{"not null", &expr.Insert{Table: p, Columns: []string{"code"}, Rows: [][]any{{nil}}}, sqlite3.ErrConstraintNotNull, "23502", nil, []uint16{1048}},
			{"foreign key", &expr.Insert{Table: c, Columns: []string{"parent_id", "qty"}, Rows: [][]any{{999, 1}}}, sqlite3.ErrConstraintForeignKey, "23503", int64(999), []uint16{1452}},
			{"check", &expr.Insert{Table: c, Columns: []string{"parent_id", "qty"}, Rows: [][]any{{1, -5}}}, sqlite3.ErrConstraintCheck, "23514", 1, []uint16{3819, 4025}},
			{"primary key", &expr.Insert{Table: p, Columns: []string{"id", "code"}, Rows: [][]any{{1, "b"}}}, sqlite3.ErrConstraintPrimaryKey, "23505", 1, []uint16{1062}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := engine.ExecStmt(ctx, eng, tt.st)
				if !errors.Is(err, arcerr.ErrIntegrity) {
					t.Fatalf("%v is not ErrIntegrity", err)
				}
				var se *arcerr.StatementError
				if !errors.As(err, &se) || !strings.HasPrefix(se.SQL, "INSERT INTO") || len(se.Args) == 0 {
					t.Fatalf("no StatementError with SQL and args: %#v", err)
				}
				if !strings.Contains(err.Error(), se.SQL) {
					t.Errorf("message lacks the SQL: %v", err)
				}
				switch eng.Dialect().Name() {
				case "sqlite":
					var de sqlite3.Error
					if !errors.As(err, &de) || de.Code != sqlite3.ErrConstraint || de.ExtendedCode != tt.sqlite {
						t.Errorf("driver error: %#v", de)
					}
				case "postgres":
					var de *pq.Error
					if !errors.As(err, &de) || string(de.Code) != tt.pgCode {
						t.Errorf("driver error: %#v", de)
					}
				case "mysql":
					var de *mysqldrv.MySQLError
					if !errors.As(err, &de) || !slices.Contains(tt.myNums, de.Number) {
						t.Errorf("driver error: %#v", de)
					}
				}
				// Classification directly on the driver error too.
				if eng.Dialect().ClassifyError(se.Err) != arcerr.ErrIntegrity {
					t.Error("ClassifyError(driver error) != ErrIntegrity")
				}
			})
		}
		// Other errors are not integrity errors.
		_, err := eng.Exec(ctx, "SELECT * FROM no_such_table WHERE id = "+string(eng.Dialect().AppendPlaceholder(nil, 1)), 1)
		if err == nil || errors.Is(err, arcerr.ErrIntegrity) || eng.Dialect().ClassifyError(errors.New("x")) != nil {
			t.Errorf("syntax/missing table classified as integrity: %v", err)
		}
	})
}

// A statement may carry exactly MaxParams bind parameters, not one more.
func TestBindParameterLimit(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, eng *engine.Engine) {
		d := eng.Dialect()
		run := func(n int) error {
			b := []byte("SELECT count(*) FROM (SELECT 1 AS x) AS t WHERE x IN (")
			args := make([]any, n)
			for i := range n {
				if i > 0 {
					b = append(b, ',')
				}
				b = d.AppendPlaceholder(b, i+1)
				args[i] = int64(i + 1)
			}
			b = append(b, ')')
			rows, err := eng.Query(ctx, string(b), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
			}
			return rows.Err()
		}
		if err := run(d.MaxParams()); err != nil {
			t.Errorf("%d parameters: %v", d.MaxParams(), err)
		}
		if err := run(d.MaxParams() + 1); err == nil {
			t.Errorf("%d parameters accepted; MaxParams is wrong", d.MaxParams()+1)
		}
	})
}

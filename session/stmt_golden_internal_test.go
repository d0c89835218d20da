package session

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arcorm/arc/dialect"
	"github.com/arcorm/arc/expr"
	_ "github.com/arcorm/arc/internal/dbtest" // registers every dialect the harness runs
	"github.com/arcorm/arc/internal/goldenfile"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/relations"
)

// The statements the session writes, rendered from one case table for
// every registered dialect into testdata/statements/<dialect>.sql: a new
// dialect adds a file of snapshots, not a branch per test. After a
// deliberate change, or for a new dialect, regenerate them with
//
//	go test ./session -run TestStatementSnapshots -update
//
// and read the diff.

var updateSnapshots = flag.Bool("update", false, "rewrite the statement snapshots under testdata/statements")

type SnapAuthor struct {
	ID      int64
	Name    string                   `arc:"size:50"`
	Version int64                    `arc:"version"`
	Books   relations.Many[SnapBook] `arc:"back_populates:Author;order_by:-id"`
	// Recent is a column property (registered in stmtCases).
	Recent int64 `arc:"property"`
}

type SnapBook struct {
	ID        int64
	Title     string                    `arc:"notnull"`
	AuthorID  *int64                    `arc:"fk:snap_authors.id"`
	Author    relations.One[SnapAuthor] `arc:"back_populates:Books"`
	Shelves   relations.Many[SnapShelf] `arc:"secondary:snap_book_shelves;back_populates:Books"`
	DeletedAt *time.Time                `arc:"softdelete"`
}

type SnapShelf struct {
	ID    int64
	Label string                   `arc:"column:order"`
	Books relations.Many[SnapBook] `arc:"secondary:snap_book_shelves;back_populates:Shelves"`
}

type SnapBookShelf struct {
	SnapBookID  int64 `arc:"pk;fk:snap_books.id"`
	SnapShelfID int64 `arc:"pk;fk:snap_shelves.id"`
}

type stmtCase struct {
	name   string
	render func(d dialect.Dialect) (string, error)
}

func snapRel(t *testing.T, tb *meta.Table, field string) *meta.Relationship {
	t.Helper()
	for _, rf := range tb.Relations {
		if rf.Field == field {
			r, err := meta.Resolve(rf)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	t.Fatalf("no relationship %s on %s", field, tb.Name)
	return nil
}

var snapProps sync.Once

func stmtCases(t *testing.T) []stmtCase {
	t.Helper()
	meta.MustOf[SnapBookShelf]()
	snapProps.Do(func() {
		A, B := expr.Cols[SnapAuthor](), expr.Cols[SnapBook]()
		if err := ColumnProperty(&A.Recent, relations.CountOf(&A.Books, expr.Gt(&B.ID, int64(100)))); err != nil {
			t.Fatal(err)
		}
	})
	authors, books, shelves := meta.MustOf[SnapAuthor](), meta.MustOf[SnapBook](), meta.MustOf[SnapShelf]()
	sec := meta.MustOf[SnapBookShelf]()
	authorBooks, bookAuthor, bookShelves := snapRel(t, authors, "Books"), snapRel(t, books, "Author"), snapRel(t, books, "Shelves")
	st := func(q stmtText, err error) (string, error) {
		if q.args != nil {
			q.sql += fmt.Sprintf("\n-- fixed arguments: %v", q.args)
		}
		return q.sql, err
	}
	all := func(tb *meta.Table) uint64 { return 1<<len(tb.Columns) - 1 }
	nonPK := func(tb *meta.Table) []*meta.Column {
		return slices.DeleteFunc(slices.Clone(tb.Columns), func(c *meta.Column) bool { return c.PrimaryKey })
	}
	maskOf := func(tb *meta.Table, cols []*meta.Column) uint64 {
		var m uint64
		for i, c := range tb.Columns {
			if slices.Contains(cols, c) {
				m |= 1 << i
			}
		}
		return m
	}
	bookCols := nonPK(books)
	return []stmtCase{
		{"get by key", func(d dialect.Dialect) (string, error) { return st(getSQL(nil, d, authors)) }},
		{"get by key, soft delete", func(d dialect.Dialect) (string, error) { return st(getSQL(nil, d, books)) }},
		{"get by key, alive only", func(d dialect.Dialect) (string, error) { return st(getAliveSQL(nil, d, books)) }},
		{"lazy one-to-many, ordered", func(d dialect.Dialect) (string, error) { return st(cachedRelSQL(nil, d, authorBooks, 0)) }},
		{"selectin one-to-many, 3 owners", func(d dialect.Dialect) (string, error) { return st(cachedRelSQL(nil, d, authorBooks, 3)) }},
		{"lazy many-to-one", func(d dialect.Dialect) (string, error) { return st(cachedRelSQL(nil, d, bookAuthor, 0)) }},
		{"lazy many-to-many, soft-deleted targets", func(d dialect.Dialect) (string, error) {
			return st(cachedRelSQL(nil, d, snapRel(t, shelves, "Books"), 0))
		}},
		{"selectin many-to-many, 2 owners", func(d dialect.Dialect) (string, error) { return st(cachedRelSQL(nil, d, bookShelves, 2)) }},
		{"many-to-one targets by key, 2", func(d dialect.Dialect) (string, error) { return st(byKeysSQL(nil, d, authors, 2)) }},
		{"foreign key after the parent's insert", func(d dialect.Dialect) (string, error) {
			return st(fkUpdateSQL(nil, d, books, []*meta.Column{books.Columns[2]}))
		}},
		{"association rows of an owner", func(d dialect.Dialect) (string, error) {
			return st(assocDeleteSQL(nil, d, sec, sec.Columns[:1]))
		}},
		{"one association row", func(d dialect.Dialect) (string, error) { return st(assocDeleteSQL(nil, d, sec, sec.Columns)) }},
		{"association rows inserted, 2", func(d dialect.Dialect) (string, error) {
			return st(assocInsertSQL(nil, d, sec, []*meta.Column{sec.Columns[1], sec.Columns[0]}, 2))
		}},
		{"insert, 1 row", func(d dialect.Dialect) (string, error) {
			return insertSQL(nil, d, books, bookCols, maskOf(books, bookCols), 1, books.PrimaryKey, 1)
		}},
		{"insert, 2 rows", func(d dialect.Dialect) (string, error) {
			return insertSQL(nil, d, books, bookCols, maskOf(books, bookCols), 2, books.PrimaryKey, 1)
		}},
		{"insert, default values", func(d dialect.Dialect) (string, error) {
			return insertSQL(nil, d, books, nil, 0, 1, books.PrimaryKey, 1)
		}},
		{"insert, 2 rows in key order", func(d dialect.Dialect) (string, error) {
			if !d.Has(dialect.ValuesTable) || !d.Has(dialect.Returning) {
				return "(not used: one row per statement without dialect.ValuesTable and Returning)", nil
			}
			return insertOrderedSQL(nil, d, books, bookCols, maskOf(books, bookCols), 2, books.PrimaryKey, 1)
		}},
		{"insert, rows as arrays in key order", func(d dialect.Dialect) (string, error) {
			ar, ok := d.(dialect.ArrayRows)
			if !ok {
				return "(not used: no dialect.ArrayRows)", nil
			}
			return unnestSQL(nil, d, ar, books, bookCols, maskOf(books, bookCols), books.PrimaryKey, 1, true)
		}},
		{"update, versioned", func(d dialect.Dialect) (string, error) {
			cols := authors.Columns[1:2]
			return updateSQL(nil, d, authors, cols, maskOf(authors, cols))
		}},
		{"delete, versioned", func(d dialect.Dialect) (string, error) { return deleteSQL(nil, d, authors) }},
		{"delete", func(d dialect.Dialect) (string, error) { return deleteSQL(nil, d, shelves) }},
		{"every column", func(d dialect.Dialect) (string, error) {
			return insertSQL(nil, d, authors, authors.Columns, all(authors), 1, nil, 0)
		}},
	}
}

// registeredDialects lists each registered dialect once (names, not aliases).
func registeredDialects(t *testing.T) []dialect.Dialect {
	var out []dialect.Dialect
	for _, n := range dialect.Names() {
		d, err := dialect.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name() == n {
			out = append(out, d)
		}
	}
	return out
}

func TestStatementSnapshots(t *testing.T) {
	cases := stmtCases(t)
	for _, d := range registeredDialects(t) {
		t.Run(d.Name(), func(t *testing.T) {
			var b strings.Builder
			for _, c := range cases {
				q, err := c.render(d)
				if err != nil {
					q = "error: " + err.Error()
				}
				fmt.Fprintf(&b, "-- %s\n%s\n\n", c.name, q)
			}
			got := b.String()
			path := filepath.Join("testdata", "statements", d.Name()+".sql")
			goldenfile.Check(t, path, got, *updateSnapshots, "go test ./session -run TestStatementSnapshots -update")
		})
	}
}

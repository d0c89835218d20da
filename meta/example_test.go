package meta_test

import (
	"fmt"
	"time"

	"github.com/arcorm/arc/meta"
)

type ExampleTimestamps struct {
	CreatedAt time.Time
	UpdatedAt time.Time
}

type Author struct {
	ID    int64
	Name  string `arc:"size:50;notnull;index"`
	Email string `arc:"column:email_address;unique"`
	ExampleTimestamps
}

type Book struct {
	ID       int64
	AuthorID *int64 `arc:"fk:authors.id;ondelete:cascade"`
	Title    string `arc:"size:200;notnull"`
}

func ExampleOf() {
	t, err := meta.Of[Author]()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Name, meta.ColumnNames(t.Columns))
	fmt.Println("primary key:", t.PKName, meta.ColumnNames(t.PrimaryKey), "autoincrement:", t.AutoPK() != nil)
	fmt.Println("unique:", t.Uniques[0].Name, "index:", t.Indexes[0].Name)
	// Output:
	// authors [id name email_address created_at updated_at]
	// primary key: pk_authors [id] autoincrement: true
	// unique: uq_authors_email_address index: ix_authors_name
}

func ExampleNewMetaData() {
	md, err := meta.NewMetaData(Book{}, Author{}) // children may come first
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(md)
	fk := md.Table("books").ForeignKeys[0]
	fmt.Println(fk.Name, "->", fk.Target.Name, fk.OnDelete)
	// Output:
	// MetaData(authors, books)
	// fk_books_author_id_authors -> authors CASCADE
}

func ExampleOf_invalid() {
	type Note struct {
		Text string `arc:"size:20;notnul"`
	}
	_, err := meta.Of[Note]()
	fmt.Println(err)
	// Output:
	// arc: model meta_test.Note, field Text: unknown tag word "notnul" (did you mean "notnull"?)
}

package meta_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/relations"
)

// Models whose tags were read loosely before the strict grammar.
type (
	TagPKFalse struct {
		ID   int64
		Code string `arc:"pk:false"`
	}
	TagNotNullFalse struct {
		ID int64
		N  string `arc:"notnull:false"`
	}
	TagIndexFalse struct {
		ID int64
		N  string `arc:"index:false;unique:true"`
	}
	TagFlagsTrue struct {
		ID int64
		N  string `arc:"notnull:TRUE;text:true;index:true"`
	}
	TagPKNo struct {
		ID int64
		N  string `arc:"pk:no"`
	}
	TagIndexBadName struct {
		ID int64
		N  string `arc:"index:ix bad"`
	}
	TagReferences struct {
		ID     int64
		UserID int64               `arc:"fk:users.id"`
		User   relations.One[User] `arc:"references:id"`
	}
	TagJoin struct {
		ID     int64
		UserID int64               `arc:"fk:users.id"`
		User   relations.One[User] `arc:"join:user_id"`
	}
	TagSecondaryFK struct {
		ID   int64
		Tags relations.Many[User] `arc:"secondary:x;secondary_fk:a"`
	}
	TagSecondaryRef struct {
		ID   int64
		Tags relations.Many[User] `arc:"secondary:x;secondary_ref:a"`
	}
	TagBackPopTypo struct {
		ID     int64
		UserID int64               `arc:"fk:users.id"`
		User   relations.One[User] `arc:"back_populate:Addresses"`
	}
	TagColumnTypo struct {
		ID int64
		N  string `arc:"nullable"`
	}
	TagRelWordOnColumn struct {
		ID int64
		N  string `arc:"lazy:joined"`
	}
	TagSingleParentBad struct {
		ID     int64
		UserID int64               `arc:"fk:users.id"`
		User   relations.One[User] `arc:"single_parent:maybe"`
	}
	TagSecondaryBare struct {
		ID   int64
		Tags relations.Many[User] `arc:"secondary"`
	}
	TagFKBare struct {
		ID     int64
		UserID int64               `arc:"fk:users.id"`
		User   relations.One[User] `arc:"fk"`
	}
	TagOnupdateNoFK struct {
		ID  int64
		UID int64 `arc:"onupdate:cascade"`
	}
	TagEmptyCheck struct {
		ID int64
		N  int `arc:"check: "`
	}
	TagSizeBare struct {
		ID int64
		N  string `arc:"size"`
	}
)

// TestRegression_StrictTagGrammar: boolean words mean false when given
// :false, unknown words and bad values are ErrInvalidModel naming model,
// field and word, with a suggestion for a close misspelling.
func TestRegression_StrictTagGrammar(t *testing.T) {
	tb, err := meta.TableOfValue(TagPKFalse{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.PrimaryKey) != 1 || tb.PrimaryKey[0].Name != "id" {
		t.Errorf("pk:false: primary key %v, want [id]", meta.ColumnNames(tb.PrimaryKey))
	}
	if tb, err = meta.TableOfValue(TagNotNullFalse{}); err != nil {
		t.Fatal(err)
	} else if !tb.ColumnByName("n").Nullable {
		t.Error("notnull:false made the column NOT NULL")
	}
	if tb, err = meta.TableOfValue(TagIndexFalse{}); err != nil {
		t.Fatal(err)
	} else {
		if len(tb.Indexes) != 0 {
			t.Errorf("index:false created index %q", tb.Indexes[0].Name)
		}
		if len(tb.Uniques) != 1 || tb.Uniques[0].Name == "true" || !tb.ColumnByName("n").Unique {
			t.Errorf("unique:true: %+v", tb.Uniques)
		}
	}
	if tb, err = meta.TableOfValue(TagFlagsTrue{}); err != nil {
		t.Fatal(err)
	} else if c := tb.ColumnByName("n"); c.Nullable || c.Kind != meta.KindText || len(tb.Indexes) != 1 || tb.Indexes[0].Name == "true" {
		t.Errorf("flags :true: nullable %v kind %v indexes %v", c.Nullable, c.Kind, tb.Indexes)
	}

	bad := []struct {
		model any
		field string
		want  []string
	}{
		{TagPKNo{}, "N", []string{`pk:no`, "true", "false"}},
		{TagIndexBadName{}, "N", []string{"index:ix bad"}},
		{TagReferences{}, "User", []string{`unknown tag word "references"`}},
		{TagJoin{}, "User", []string{`unknown tag word "join"`}},
		{TagSecondaryFK{}, "Tags", []string{`unknown tag word "secondary_fk"`}},
		{TagSecondaryRef{}, "Tags", []string{`unknown tag word "secondary_ref"`}},
		{TagBackPopTypo{}, "User", []string{`unknown tag word "back_populate"`, `did you mean "back_populates"?`}},
		{TagColumnTypo{}, "N", []string{`unknown tag word "nullable"`, `did you mean "null"?`}},
		{TagRelWordOnColumn{}, "N", []string{`unknown tag word "lazy" for a column`}},
		{TagSingleParentBad{}, "User", []string{"single_parent:maybe"}},
		{TagSecondaryBare{}, "Tags", []string{"secondary: needs"}},
		{TagFKBare{}, "User", []string{"fk: needs a value"}},
		{TagOnupdateNoFK{}, "UID", []string{"onupdate: without fk:"}},
		{TagEmptyCheck{}, "N", []string{"check: needs an expression"}},
		{TagSizeBare{}, "N", []string{"size needs a value"}},
		{TagSoftDeleteMaybe{}, "Gone", []string{"softdelete:maybe"}},
		{TagEnumBare{}, "S", []string{"enum needs a value"}},
		{TagGeneratedBare{}, "S", []string{"generated needs a value"}},
	}
	for _, tt := range bad {
		typ := reflect.TypeOf(tt.model)
		t.Run(typ.Name(), func(t *testing.T) {
			_, err := meta.TableOfValue(tt.model)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, arcerr.ErrInvalidModel) {
				t.Errorf("not ErrInvalidModel: %v", err)
			}
			var me *arcerr.ModelError
			if !errors.As(err, &me) || me.Field != tt.field || !strings.Contains(me.Model, typ.Name()) {
				t.Errorf("error %v does not name model %s and field %s", err, typ.Name(), tt.field)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

type TagSoftDeleteMaybe struct {
	ID   int64
	Gone *time.Time `arc:"softdelete:maybe"`
}

type TagEnumBare struct {
	ID int64
	S  string `arc:"enum"`
}

type TagGeneratedBare struct {
	ID int64
	S  string `arc:"generated"`
}

type TagSoftDeleteFalse struct {
	ID   int64
	Gone *time.Time `arc:"softdelete:false"`
}

// softdelete:false is no soft delete, like every flag word.
func TestTagSoftDeleteFalse(t *testing.T) {
	tb, err := meta.TableOfValue(TagSoftDeleteFalse{})
	if err != nil {
		t.Fatal(err)
	}
	if tb.SoftDelete != nil {
		t.Error("softdelete:false made a soft-delete column")
	}
}

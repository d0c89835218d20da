package meta

import (
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/arcorm/arc/arcerr"
)

// fuzzRel is a relationship field type for FuzzTagModel (package meta
// cannot import relations).
type fuzzRel struct{}

func (fuzzRel) ArcRelation() (RelationKind, reflect.Type) {
	return RelMany, reflect.TypeFor[fuzzTarget]()
}

type fuzzTarget struct {
	ID      int64
	OwnerID int64
}

// FuzzTagModel builds a model whose column (and relationship) field
// carries a fuzzed tag: building never panics, and every error is an
// ErrInvalidModel that names the model. The types are built with
// reflect.StructOf and not through the cache, so a long run does not grow
// the process-wide cache.
func FuzzTagModel(f *testing.F) {
	for _, s := range []string{
		"", "pk", "size:50;notnull;index", "column:email_address;size:100;notnull", "fk:users.id;ondelete:set null",
		"pk:false", "notnull:false", "index:false", "unique:uq_pair", "default:now", "server_default:0",
		"precision:10;scale:2", "json", "version", "autoincrement:false", "references:id", "secondary_fk:x",
		"seq:user_id_seq", "check:n > 0", "type:CITEXT", "text;size:3", "pk:no",
	} {
		f.Add(s, "back_populates:Owner")
	}
	f.Add("size:10", "secondary:post_keywords;order_by:-id;lazy:selectin;cascade:all")
	f.Add("unique", "fk")
	f.Fuzz(func(t *testing.T, colTag, relTag string) {
		typ := reflect.StructOf([]reflect.StructField{
			{Name: "ID", Type: reflect.TypeFor[int64]()},
			{Name: "Name", Type: reflect.TypeFor[string](), Tag: reflect.StructTag(TagKey + ":" + strconv.Quote(colTag))},
			{Name: "Count", Type: reflect.TypeFor[*int32](), Tag: reflect.StructTag(TagKey + ":" + strconv.Quote(colTag))},
			{Name: "Items", Type: reflect.TypeFor[fuzzRel](), Tag: reflect.StructTag(TagKey + ":" + strconv.Quote(relTag))},
		})
		_, err := build(typ, false, "")
		if err == nil {
			return
		}
		if !errors.Is(err, arcerr.ErrInvalidModel) {
			t.Fatalf("tags %q / %q: error is not ErrInvalidModel: %v", colTag, relTag, err)
		}
		var me *arcerr.ModelError
		if !errors.As(err, &me) {
			t.Fatalf("tags %q / %q: not a ModelError: %v", colTag, relTag, err)
		}
	})
}

package meta

import (
	"reflect"

	"github.com/arcorm/arc/arcerr"
)

// OwnedBy is implemented by embeddable bases that belong to one model
// type, like record.Base[T] (through its pointer): their methods find the
// model from the base's own address, so the base must be embedded by value
// directly in that type. Registration checks it.
type OwnedBy interface{ ArcModelType() reflect.Type }

var ownedByType = reflect.TypeFor[OwnedBy]()

// checkOwnedBases rejects a model that embeds an OwnedBy base of another
// type, through a pointer, or anywhere but as a direct field.
func checkOwnedBases(model reflect.Type) error {
	if model.Kind() != reflect.Struct {
		return nil // build reports it
	}
	var walk func(typ reflect.Type, top bool, prefix string) error
	walk = func(typ reflect.Type, top bool, prefix string) error {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			ft := f.Type
			if ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct && ft.Implements(ownedByType) && f.Anonymous {
				return &arcerr.ModelError{Model: model.Name(), Field: prefix + f.Name,
					Msg: ft.Elem().String() + " must be embedded by value, not through a pointer"}
			}
			if ft.Kind() != reflect.Struct {
				continue
			}
			if reflect.PointerTo(ft).Implements(ownedByType) && !promotesOwnedBy(ft) {
				owner := reflect.New(ft).Interface().(OwnedBy).ArcModelType()
				if !f.Anonymous || !top || owner != model {
					return &arcerr.ModelError{Model: model.Name(), Field: prefix + f.Name,
						Msg: ft.String() + " must be embedded by value directly in " + owner.Name() + " (found in " + model.Name() + ")"}
				}
				continue
			}
			if f.Anonymous {
				if err := walk(ft, false, prefix+f.Name+"."); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(model, true, "")
}

// promotesOwnedBy reports whether struct type t has OwnedBy only through an
// embedded field (a mixin carrying a base), not as the base itself.
func promotesOwnedBy(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Anonymous && (f.Type.Implements(ownedByType) || reflect.PointerTo(f.Type).Implements(ownedByType)) {
			return true
		}
	}
	return false
}

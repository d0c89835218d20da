package session_test

import "reflect"

// valueOf returns a copy of the model *p as an interface value, for
// comparing an object's fields before and after a step. It copies through
// reflect: a model embedding record.Base must not be copied in source
// (go vet's copylocks check reports b := *p).
func valueOf(p any) any { return reflect.ValueOf(p).Elem().Interface() }

// clone returns a new object holding a copy of *p, Base included: what a
// user's q := *p gives (tests use it to check that such copies are not
// the tracked object).
func clone[T any](p *T) *T {
	c := new(T)
	reflect.ValueOf(c).Elem().Set(reflect.ValueOf(p).Elem())
	return c
}

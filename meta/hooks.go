package meta

import (
	"context"
	"reflect"
)

// Model hooks: methods a model may define (on the pointer receiver) that
// the session calls around persistence. Each takes a context and may return
// an error, which aborts the flush and leaves everything as it was. They are
// found once, when the type is registered.
type (
	BeforeSaver   interface{ BeforeSave(context.Context) error }   // before INSERT or UPDATE
	BeforeCreator interface{ BeforeCreate(context.Context) error } // before INSERT
	BeforeUpdater interface{ BeforeUpdate(context.Context) error } // before UPDATE
	BeforeDeleter interface{ BeforeDelete(context.Context) error } // before DELETE
	AfterSaver    interface{ AfterSave(context.Context) error }    // after INSERT or UPDATE, inside the flush
	AfterCreator  interface{ AfterCreate(context.Context) error }  // after INSERT, inside the flush
	AfterUpdater  interface{ AfterUpdate(context.Context) error }  // after UPDATE, inside the flush
	AfterDeleter  interface{ AfterDelete(context.Context) error }  // after DELETE, inside the flush
	AfterLoader   interface{ AfterLoad(context.Context) error }    // after a row is loaded into the object
)

// HookSet records which hooks a model's pointer type implements.
type HookSet uint16

// Hook bits.
const (
	HookBeforeSave HookSet = 1 << iota
	HookBeforeCreate
	HookBeforeUpdate
	HookBeforeDelete
	HookAfterSave
	HookAfterCreate
	HookAfterUpdate
	HookAfterDelete
	HookAfterLoad
)

// Has reports whether all bits of h are set.
func (s HookSet) Has(h HookSet) bool { return s&h == h }

func hooksOf(t reflect.Type) HookSet {
	p := reflect.PointerTo(t)
	var s HookSet
	for _, h := range []struct {
		iface reflect.Type
		bit   HookSet
	}{
		{reflect.TypeFor[BeforeSaver](), HookBeforeSave},
		{reflect.TypeFor[BeforeCreator](), HookBeforeCreate},
		{reflect.TypeFor[BeforeUpdater](), HookBeforeUpdate},
		{reflect.TypeFor[BeforeDeleter](), HookBeforeDelete},
		{reflect.TypeFor[AfterSaver](), HookAfterSave},
		{reflect.TypeFor[AfterCreator](), HookAfterCreate},
		{reflect.TypeFor[AfterUpdater](), HookAfterUpdate},
		{reflect.TypeFor[AfterDeleter](), HookAfterDelete},
		{reflect.TypeFor[AfterLoader](), HookAfterLoad},
	} {
		if p.Implements(h.iface) {
			s |= h.bit
		}
	}
	return s
}

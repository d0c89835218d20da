package session

import (
	"context"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/meta"
	"unsafe"
)

// Placeholders until relationships land.

func (s *Session) relCascadeAdd(*state) error    { return nil }
func (s *Session) relCascadeDelete(*state) error { return nil }
func (s *Session) relHasChanges(*state) bool     { return false }
func (s *Session) relExpire(*state)              {}

// relPreFlush syncs foreign keys and collections into the unit of work
// before it computes its statements.
func (s *Session) relPreFlush(context.Context) error { return nil }

func (s *Session) relSyncBeforeInsert([]*state) error                          { return nil }
func (s *Session) relAfterSaves(context.Context, *engine.Tx, *flushPlan) error { return nil }
func (s *Session) relDeletedByCascade(*state) bool                             { return false }
func (s *Session) relCommitPlan(*flushPlan)                                    {}

func (s *Session) relRollback() {}

// LoadOption is a relationship loading option attached to a query.
type LoadOption interface{ loadOption() }

func (s *Session) runLoadOptions(context.Context, *meta.Table, []LoadOption, []unsafe.Pointer) error {
	return nil
}

package session

// Relationship hooks: the unit of work calls these at the points where
// relationships matter. They are filled in by relationships.go.

func (s *Session) cascadeAdd(st *state) error    { return s.relCascadeAdd(st) }
func (s *Session) cascadeDelete(st *state) error { return s.relCascadeDelete(st) }
func (s *Session) relChanged(st *state) bool     { return s.relHasChanges(st) }
func (s *Session) expireRelations(st *state)     { s.relExpire(st) }

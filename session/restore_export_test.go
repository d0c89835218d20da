package session

import "reflect"

// Restored reports how many objects the session's failed flushes have
// restored, by path: light (new objects whose INSERT-filled fields were
// cleared), lightUpdates (changed objects that got back only UpdatedAt
// and the version) and full (objects copied back from a full backup).
func Restored(s *Session) (light, lightUpdates, full int) {
	return s.restored.Light, s.restored.LightUpdates, s.restored.Full
}

// SnapshotOf returns the column values s holds as obj's last loaded or
// flushed state, as a new struct of obj's type (nil when obj has no
// snapshot: it is not in s, or it is new).
func SnapshotOf(s *Session, obj any) any {
	p, _, err := objectOf(obj)
	if err != nil {
		return nil
	}
	st := s.stateAt(p)
	if st == nil || st.snap == nil {
		return nil
	}
	v := reflect.New(reflect.TypeOf(obj).Elem())
	st.cd.restore(v.UnsafePointer(), st.snap)
	return v.Interface()
}

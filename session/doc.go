// Package session is Arc's unit of work: SQLAlchemy's Session for Go
// structs. A Session tracks objects through five states (transient,
// pending, persistent, deleted, detached), keeps one object per
// (table, primary key) in its identity map, notices changes by comparing
// each persistent object with a snapshot of its column values, and writes
// everything at Flush in one transaction, in foreign-key order. It also
// owns Query[T], the typed query whose results go through the identity map.
//
// A Session is a workspace for one request or one goroutine: it is not
// safe for concurrent use. Engines are; open as many sessions as you need.
//
// session imports engine, expr, meta, dialect and arcerr; relations and
// record are built on top of it.
package session

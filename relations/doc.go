// Package relations defines Arc's relationship field types — One[T]
// (many-to-one, one-to-one), Many[T] (one-to-many, many-to-many through a
// `secondary:` table) and Dynamic[T] (a query-backed collection) — and the
// loading options a query takes (SelectIn, Joined, ContainsEager, Raise,
// NoLoad).
//
// A relationship field holds a small private header: its owner, the
// resolved relationship and the session that loads it. The header is set
// when the owner is added to a session, loaded by a query, reached by
// cascade, or initialised with Init. A bound field keeps the other side in
// memory in step (back_populates), without SQL: appending an Address to
// jack.Addresses sets the address's User to jack.
//
// The header's bookkeeping (what the unit of work reads and writes) is not
// part of this package's API: it lives in an internal package that
// relations and session share.
package relations

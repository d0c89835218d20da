package postgres

// TypedValues reports that bind parameters inside a VALUES list that is
// not the direct source of an INSERT need explicit casts: PostgreSQL
// types an untyped parameter there as text. The unit of work asks for it
// when it writes INSERT … SELECT … FROM (VALUES …) ORDER BY, the form that
// fixes the order in which generated keys are assigned.
func (*Dialect) TypedValues() bool { return true }

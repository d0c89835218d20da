package engine

// Autocommit returns a Tx that is no transaction: each statement run on it
// goes through the engine (Engine.Exec, Engine.Query: the pool and the
// engine's statement cache) and commits by itself, and Commit and
// Rollback send nothing. It is for a unit of work of exactly one
// statement, which the database applies atomically on its own: the
// session's Commit uses it to send a one-statement flush in one round
// trip instead of BEGIN, the statement and COMMIT. A savepoint on it is
// an error. Like a Tx, it is not safe for concurrent use.
func (e *Engine) Autocommit() *Tx { return &Tx{e: e, auto: true} }

// Autocommitted reports whether t came from Autocommit.
func (t *Tx) Autocommitted() bool { return t.auto }

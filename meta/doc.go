// Package meta turns Go structs into table metadata by reflection, once per
// type: tables, columns, primary keys, foreign keys, indexes, unique and
// check constraints, sequences, relationship fields and model hooks. It owns
// the `arc` struct tag grammar and the naming convention, and the MetaData
// registry that resolves foreign keys between tables and orders them by
// dependency.
//
// meta knows nothing of SQL text or databases; the dialect package maps its
// column kinds to SQL types. It imports only the standard library, arcerr
// and Arc's internal helpers.
//
// The tag grammar (see docs/models.md): words separated by ';', each a bare
// flag or key:value, lists inside a value separated by ','.
//
//	type User struct {
//		ID       int64
//		Name     string `arc:"size:50;notnull;index"`
//		Nickname string `arc:"size:50"`
//	}
package meta

// Package migrate owns schema management: CreateAll and DropAll from model
// metadata (SQLAlchemy's metadata.create_all), and versioned SQL migrations
// on golang-migrate with migrations generated from the difference between
// the models and the live database.
//
// migrate imports engine, dialect and meta; never session.
package migrate

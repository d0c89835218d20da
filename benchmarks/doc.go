// Package benchmarks compares Arc with hand-written database/sql (plain
// and with prepared statements), sqlx, GORM (with and without
// PrepareStmt) and bun, doing the same work on the same tables, on SQLite
// (file, WAL), PostgreSQL and MariaDB/MySQL, in one run:
//
//	cd benchmarks && ./bench.sh          # or: make bench / make bench-quick
//
// It is a module of its own so that GORM, bun and sqlx never become
// dependencies of Arc. Every library goes through the same *sql.DB per
// dialect (mattn/go-sqlite3, lib/pq and go-sql-driver/mysql), so the
// differences are the libraries' own costs. The results and the command that produced them
// are in docs/performance.md ("Arc against GORM, bun and sqlx").
package benchmarks

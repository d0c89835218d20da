// Package models is the --models test package of arctl's tests.
package models

// Widget is a test model.
type Widget struct {
	ID   int64
	Name string `arc:"size:40;notnull"`
}

// Models is the --models convention: an exported func() []any.
func Models() []any { return []any{Widget{}} }

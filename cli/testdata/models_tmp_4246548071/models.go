package models

type Thing struct {
	ID   int64
	Name string
	Color string
}

func Modelz() []any { return []any{Thing{}} }

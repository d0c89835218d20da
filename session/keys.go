package session

import (
	"slices"

	"github.com/arcorm/arc/expr"
)

func sortedKeys(p expr.P) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

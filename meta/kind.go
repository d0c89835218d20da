package meta

// Kind is the logical SQL type of a column; a dialect maps it to a type name.
type Kind uint8

// The column kinds.
const (
	KindInvalid Kind = iota
	KindBool
	KindSmallInt // int8, int16, uint8
	KindInt      // int32, uint16
	KindBigInt   // int, int64, uint32, uint, uint64
	KindFloat    // float32
	KindDouble   // float64
	KindDecimal  // `type:numeric(p,s)` or `precision:`/`scale:`
	KindString   // string (VARCHAR, with size: VARCHAR(n))
	KindText     // string with the `text` flag
	KindTime     // time.Time
	KindBytes    // []byte
	KindJSON     // any value with the `json` flag, stored as JSON
	KindUUID     // a [16]byte Valuer/Scanner type (uuid.UUID), or a string with the `uuid` flag
	KindArray    // []string, []int64, []int32, []int, []float64, []bool (PostgreSQL arrays)
)

var kindNames = [...]string{"invalid", "bool", "smallint", "int", "bigint", "float", "double",
	"decimal", "string", "text", "time", "bytes", "json", "uuid", "array"}

// String names the kind ("bigint", "string", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind?"
}

// IsInteger reports whether k is one of the integer kinds.
func (k Kind) IsInteger() bool { return k == KindSmallInt || k == KindInt || k == KindBigInt }

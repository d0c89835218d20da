package tag

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want []Word
	}{
		{"", nil},
		{"pk", []Word{{Key: "pk", Flag: true}}},
		{"size:50;notnull;index", []Word{{Key: "size", Value: "50"}, {Key: "notnull", Flag: true}, {Key: "index", Flag: true}}},
		{" PK ; Column: Email_Address ", []Word{{Key: "pk", Flag: true}, {Key: "column", Value: "Email_Address"}}},
		{"fk:users.id;ondelete:set null", []Word{{Key: "fk", Value: "users.id"}, {Key: "ondelete", Value: "set null"}}},
		{"server_default:'a:b'", []Word{{Key: "server_default", Value: "'a:b'"}}},
		{`server_default:'x\;y'`, []Word{{Key: "server_default", Value: "'x;y'"}}},
		{";;pk;;", []Word{{Key: "pk", Flag: true}}},
		{"index:ix_a", []Word{{Key: "index", Value: "ix_a"}}},
		{"unique:", []Word{{Key: "unique", Value: ""}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"pk;PK", "size:1;size:2", ":x", " : "} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q): want an error", in)
		}
	}
}

func TestList(t *testing.T) {
	w := Word{Key: "cascade", Value: " all, delete-orphan ,, "}
	if got := w.List(); !reflect.DeepEqual(got, []string{"all", "delete-orphan"}) {
		t.Errorf("List = %q", got)
	}
	if got := (Word{Key: "x", Flag: true}).List(); got != nil {
		t.Errorf("List of a flag = %q, want nil", got)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"back_populates", "backref", "index", "notnull", "null", "pk", "secondary", "unique"}
	for in, want := range map[string]string{
		"back_populate": "back_populates", "backpopulates": "back_populates", "notnul": "notnull",
		"NOTNULL": "notnull", "nullable": "null", "indexed": "index", "uniqe": "unique", "pkk": "pk",
		"secundary": "secondary", "references": "", "join": "", "x": "", "": "",
	} {
		if got := Suggest(in, known); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBool(t *testing.T) {
	for _, tt := range []struct {
		w    Word
		want bool
		err  bool
	}{
		{Word{Key: "pk", Flag: true}, true, false},
		{Word{Key: "pk", Value: "true"}, true, false},
		{Word{Key: "pk", Value: "FALSE"}, false, false},
		{Word{Key: "pk", Value: "no"}, false, true},
		{Word{Key: "pk", Value: "1"}, false, true},
		{Word{Key: "pk", Value: ""}, false, true},
	} {
		got, err := tt.w.Bool()
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("%+v.Bool() = %v, %v", tt.w, got, err)
		}
	}
}

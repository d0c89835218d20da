package session

import "testing"

func TestCastType(t *testing.T) {
	cases := map[string]string{
		"VARCHAR(50)":                 "VARCHAR",
		"NUMERIC(10, 2)":              "NUMERIC",
		"TIMESTAMP(3) WITH TIME ZONE": "TIMESTAMP WITH TIME ZONE",
		"CHAR(3)":                     "bpchar",
		"character(2)":                "bpchar",
		"BIT(8)":                      "varbit",
		"BIGINT":                      "BIGINT",
		"TEXT[]":                      "TEXT[]",
		"JSONB":                       "JSONB",
		"BIGSERIAL":                   "BIGINT",
	}
	for in, want := range cases {
		if got := castType(in); got != want {
			t.Errorf("castType(%q) = %q, want %q", in, got, want)
		}
	}
}

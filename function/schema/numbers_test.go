package schema

import (
	"strings"
	"testing"
)

// A number whose magnitude float64 cannot hold is invalid with a reason naming it, whatever the schema says of
// it. Before the check, the library panicked on 1e9999999 and 1e-99999999 (big.Rat cannot parse them), and
// spent seconds on a record of a hundred copies of 1e999999, which it then accepted as integers.
func TestNumberOutOfRange(t *testing.T) {
	schemas := []string{
		`{"type":"object","properties":{"n":{"type":"number","maximum":10}}}`,
		`{"type":"object","properties":{"n":{"type":"number","multipleOf":0.01}}}`,
		`{"type":"object","properties":{"n":{"type":"integer"}}}`,
		`{"type":"object","properties":{"n":{"type":"number"}}}`,
		`{"type":"object","properties":{"n":{"type":"string"}}}`,
		`{"type":"object","properties":{"n":{"enum":[1,2]}}}`,
		`true`,
	}
	for _, doc := range schemas {
		s := compile(t, doc)
		for _, n := range []string{"1e400", "-1e400", "1e9999999", "1e99999999", "1e-99999999", "-2.5E-400",
			"0.00000000000000000000000000001e-300", "1" + strings.Repeat("0", 400)} {
			err := s.Validate(value(t, `{"n":`+n+`}`))
			if err == nil || err.Error() != "schema: /n: number out of range" {
				t.Errorf("%s with n=%.20s: got %v, want schema: /n: number out of range", doc, n, err)
			}
		}
	}
}

func TestNumberOutOfRangeLocation(t *testing.T) {
	s := compile(t, `{"type":"object","properties":{"xs":{"type":"array","items":{"type":"integer"}}}}`)
	in := `{"a~/b":{"c":[1, 2e999]},"xs":[` + strings.Repeat("1e999999,", 99) + `1e999999]}`
	err := s.Validate(value(t, in))
	if want := "schema: /a~0~1b/c/1: number out of range"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// Numbers at the edges of float64's range, true zeros with any exponent, and long literals within range are
// numbers like any other.
func TestNumberInRange(t *testing.T) {
	s := compile(t, `{"type":"object","properties":{"n":{"type":"number"}}}`)
	for _, n := range []string{"0", "-0", "0e999999999", "0.000e-99999", "1.7976931348623157e308", "5e-324",
		"-4.9e-324", "1e-320", "12.5", "1" + strings.Repeat("0", 300), "0." + strings.Repeat("0", 300) + "1"} {
		if err := s.Validate(value(t, `{"n":`+n+`}`)); err != nil {
			t.Errorf("n=%.20s: %v", n, err)
		}
	}
}

package jsonvalue

import (
	"errors"
	"math/big"
	"strings"
	"testing"
)

// Count counts what Decoder.MaxValues caps: a record of Count values decodes under a cap of Count, not one less.
func TestCountIsWhatMaxValuesCaps(t *testing.T) {
	for _, doc := range []string{`1`, `"s"`, `[]`, `{}`, `[1,[2,[3]],{}]`, `{"a":{"b":[true,null,"x"]},"c":{}}`,
		`[[[[]]],{"k":{"k":{"k":1}}}]`} {
		v, err := Decode([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		n := Count(v)
		d := Decoder{MaxValues: n}
		if _, err := d.Decode([]byte(doc)); err != nil {
			t.Errorf("%s: Count %d, and a cap of %d rejects it: %v", doc, n, n, err)
		}
		var limit *LimitError
		if n > 0 {
			d.MaxValues = n - 1
			if _, err := d.Decode([]byte(doc)); !errors.As(err, &limit) {
				t.Errorf("%s: Count %d, and a cap of %d accepts it: %v", doc, n, n-1, err)
			}
		}
	}
}

// FuzzExactInt64 holds ExactInt64 to the exact value of the number literal (big.Rat), for literals with an exponent of
// at most three digits, which big.Rat computes in good time.
func FuzzExactInt64(f *testing.F) {
	for _, s := range []string{"0", "-0", "7", "-12", "123456789012345678", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "1.5e3", "1500e-3", "15000E-3", "-0.0e-999", "0.99999999999999999999", "1e19", "5.000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Decode([]byte(s))
		if err != nil || v.Kind() != Number {
			return
		}
		s = v.Text()
		if _, exp, ok := strings.Cut(strings.ToLower(s), "e"); ok && len(strings.TrimLeft(exp, "+-")) > 3 {
			return
		}
		r, _ := new(big.Rat).SetString(s)
		want, wantOK := int64(0), r.IsInt() && r.Num().IsInt64()
		if wantOK {
			want = r.Num().Int64()
		}
		if got, ok := ExactInt64(s); ok != wantOK || ok && got != want {
			t.Fatalf("ExactInt64(%q) = %d, %v; want %d, %v", s, got, ok, want, wantOK)
		}
	})
}

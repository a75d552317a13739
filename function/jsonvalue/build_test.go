package jsonvalue

import (
	"errors"
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

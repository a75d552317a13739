package transform

import (
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

// TestCheckedNestedSameShape: an object nested in an object with the same keys shares its shape (and the shape's
// cached member checks); checking the inner one must not change the checks of the outer one's later members.
func TestCheckedNestedSameShape(t *testing.T) {
	sc, err := schema.Compile([]byte(`{"properties": {"a": {"properties": {"a": {"type": "string"}, "b": true}},
	  "b": {"type": "string"}}}`), "mem://nested.json")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Compile(`.`)
	if err != nil {
		t.Fatal(err)
	}
	var s Scratch
	for i, rec := range []string{`{"a":{"a":"x","b":"y"},"b":"z"}`, `{"a":{"a":"x","b":1},"b":1}`, `{"a":{"a":"x","b":1},"b":1}`} {
		in := decode(t, rec)
		_, text, sure, ok := tr.ApplyNativeChecked(in, &s, sc.Check(), false)
		if !ok {
			t.Fatalf("%s: not native", rec)
		}
		err := sc.Validate(decode(t, string(text)))
		if sure && err != nil {
			t.Errorf("record %d %s: the check was certain, validation says %v", i, rec, err)
		}
	}
}

package shape

import (
	"context"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

// TestShapeQuarantinesNestedSameKeys: a record whose outer object breaks the schema must be quarantined, with the
// same reason, however many records with the same keys came before it (the transform's shape cache) and
// whether or not the Shaper skips the tree.
func TestShapeQuarantinesNestedSameKeys(t *testing.T) {
	tr, err := transform.Compile(`.`)
	if err != nil {
		t.Fatal(err)
	}
	s, err := schema.Compile([]byte(`{"properties": {"a": {"properties": {"a": {"type": "string"}, "b": true}},
	  "b": {"type": "string"}}}`), "mem://nested.json")
	if err != nil {
		t.Fatal(err)
	}
	const bad = `{"a":{"a":"x","b":1},"b":1}`
	for _, skip := range []bool{false, true} {
		sh := &Shaper{Options: Options{Transform: tr, Schema: s}, SkipValue: skip}
		for i := range 3 {
			_, keep, err := sh.Shape(context.Background(), []byte(bad))
			if err == nil || err.Error() != "schema: /b: got number, want string (type)" {
				t.Errorf("SkipValue %v, record %d: keep %v, error %v; want the record quarantined for /b", skip, i, keep, err)
			}
		}
	}
}

package transform

import (
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

// TestFusedPlanKeepsToTheSteps: a plan is made only for an output its checks are sure of within the steps the tree
// walk of the output would have (schema.WithinSteps), whatever the caller that asks for it knows.
func TestFusedPlanKeepsToTheSteps(t *testing.T) {
	// Each member's value meets 1 + 3 × 4 nodes: 13 steps, more than the 4 a value the tree walk gets.
	leaves := strings.Repeat(`{"type": "string"}, `, 2) + `{"type": "string"}`
	doc := `{"type": "object", "additionalProperties": {"allOf": [{"$ref": "#/$defs/d"}, {"$ref": "#/$defs/d"}, {"$ref": "#/$defs/d"}]},
		"$defs": {"d": {"allOf": [` + leaves + `]}}}`
	sc, err := schema.Compile([]byte(doc), "mem://fan-out.json")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Compile(`.z = "x"`)
	if err != nil {
		t.Fatal(err)
	}
	rec := `{"a":"x","b":"x","c":"x","d":"x","e":"x","f":"x","g":"x"}`
	var s Scratch
	for range 3 { // as shape.Shaper does, but learning from every record
		if _, ok := tr.ApplyFused([]byte(rec), &s, sc.Check()); ok {
			t.Fatal("the fused path is sure of an output the tree walk has too few steps for")
		}
		in := decode(t, rec)
		if _, _, sure, ok := tr.ApplyNativeChecked(in, &s, sc.Check(), false); !ok || sure {
			t.Fatalf("native: ok %v, sure %v; want ok and not sure", ok, sure)
		}
		tr.LearnFused(in, &s, sc.Check())
	}
}

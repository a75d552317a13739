package schema

import (
	"math"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// The walks count steps and depth alike (fast.go): on a value the tree walk is sure of, given all the steps it
// wants, the walk of the text and the Check steps take as many steps, and count as many values, as it does; and a
// fast path that is sure of a value within those steps has a tree walk that is sure of it too.

// treeStepsTaken returns whether the tree walk is sure of v without a bound on its steps, and the steps it took.
func treeStepsTaken(s *Schema, v jsonvalue.Value) (bool, int) {
	left := math.MaxInt
	sure := s.root.sure(v, 0, &left)
	return sure, math.MaxInt - left
}

// checkStepsTaken is checkSteps that also adds up the Checks' Steps (counted for any schema).
func checkStepsTaken(c Check, v jsonvalue.Value, depth int, steps *int) bool {
	if !c.Value(v, depth) {
		return false
	}
	*steps += c.Steps()
	var kids []jsonvalue.Value
	var subs []Check
	switch v.Kind() {
	case jsonvalue.Array:
		for i := range v.Len() {
			kids, subs = append(kids, v.Index(i)), append(subs, c.Items())
		}
	case jsonvalue.Object:
		var keys []string
		for i := range v.Len() {
			keys, kids = append(keys, v.Key(i)), append(kids, v.Index(i))
		}
		var ok bool
		if subs, ok = c.Members(keys, nil); !ok {
			return false
		}
	}
	for i := range kids {
		if !checkStepsTaken(subs[i], kids[i], depth+1, steps) {
			return false
		}
	}
	return true
}

func TestWalksTakeTheSameSteps(t *testing.T) {
	docs := []string{
		// A chain of references to definitions, nested: each object's schema is found through one.
		`{"$ref": "#/$defs/o", "$defs": {"o": {"type": "object", "properties": {"a": {"$ref": "#/$defs/o"},
			"b": {"$ref": "#/$defs/r"}, "c": {"items": {"$ref": "#/$defs/r"}}}}, "r": {"$ref": "#/$defs/s"},
			"s": {"allOf": [{"$ref": "#/$defs/t"}, {"$ref": "#/$defs/t"}, {"maxLength": 5}]}, "t": {"type": ["string", "integer"]}}}`,
		// Fan-out on every member.
		`{"additionalProperties": {"allOf": [{"$ref": "#/$defs/d"}, {"$ref": "#/$defs/d"}]},
			"$defs": {"d": {"allOf": [{"type": "string"}, {"minLength": 1}, {"$ref": "#/$defs/e"}]}, "e": {"$ref": "#/$defs/f"}, "f": true}}`,
		// A reference beside other keywords, to a container's schema.
		`{"type": "object", "additionalProperties": {"$ref": "#/$defs/o", "type": "object"},
			"$defs": {"o": {"additionalProperties": {"allOf": [{"type": "string"}, {"type": "string"}]}}}}`,
	}
	records := []string{`{}`, `{"a": {"a": {"b": "x", "c": ["y", 1]}}, "b": "zz"}`, `{"b": "toolong"}`,
		`{"a": {"b": "x"}, "c": [[]]}`, `{"x": "a", "y": "b", "z": {"q": "r"}}`, `{"x": {"y": "z", "w": "v"}}`, `[1]`}
	var schemas []*Schema
	for _, doc := range docs {
		schemas = append(schemas, compile(t, doc))
	}
	for _, s := range randomSchemas(11) {
		schemas = append(schemas, s)
	}
	compared := 0
	for k, s := range schemas {
		for _, r := range append(records, values...) {
			v := value(t, r)
			if shadows(v) {
				continue // the Check steps see an object's last member of a key only, as a writer writes it
			}
			sure, want := treeStepsTaken(s, v)
			steps := 0
			if checkStepsTaken(Check{steps: 1}.of(s.root), v, 0, &steps) && (!sure || steps != want) {
				t.Errorf("schema %d, %s: the Check steps are sure in %d steps; the tree walk: %v in %d", k, r, steps, sure, want)
			}
			w := textWalk{src: compactOf(t, r), steps: math.MaxInt}
			if end, ok := w.value(s.root, 0, 0); ok && end == len(w.src) {
				if got := math.MaxInt - w.steps; !sure || got != want || w.values != jsonvalue.Count(v) {
					t.Errorf("schema %d, %s: the text walk is sure in %d steps of %d values; the tree walk: %v in %d of %d",
						k, r, got, w.values, sure, want, jsonvalue.Count(v))
				}
			}
			if sure && k < len(docs) {
				compared++
			}
		}
	}
	if compared < 10 {
		t.Fatalf("the tree walk was sure of only %d records with the schemas made for this test", compared)
	}
}

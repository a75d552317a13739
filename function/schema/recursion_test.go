package schema

import "testing"

// Only a schema that reaches itself, or applies several subschemas to a value, is bounded by the evaluations; the
// others keep the bound by values.
func TestNonlinear(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"}}}}`:                                false,
		`{"$defs":{"s":{"type":"string"}},"properties":{"a":{"$ref":"#/$defs/s"},"b":{"$ref":"#/$defs/s"}}}`:             false,
		`{"properties":{"c":{"type":"array","items":{"$ref":"#"}}}}`:                                                     true,
		`{"$ref":"#/$defs/n","$defs":{"n":{"anyOf":[{"type":"string"},{"additionalProperties":{"$ref":"#/$defs/n"}}]}}}`: true,
		`{"properties":{"a":{"allOf":[{"type":"object"},{"required":["b"]}]}}}`:                                          true,
		`{"properties":{"a":{"$ref":"#/$defs/s","type":"string"}},"$defs":{"s":{"minLength":1}}}`:                        false,
	} {
		s, err := Compile([]byte(doc), "file:///schema.json")
		if err != nil {
			t.Fatal(err)
		}
		if s.nonlinear != want {
			t.Errorf("%s: nonlinear %v, want %v", doc, s.nonlinear, want)
		}
	}
}

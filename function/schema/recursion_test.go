package schema

import "testing"

// Only a schema that reaches itself is bounded by the library's evaluations; the others keep the bound by values.
func TestRecursive(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"}}}}`:                                false,
		`{"$defs":{"s":{"type":"string"}},"properties":{"a":{"$ref":"#/$defs/s"},"b":{"$ref":"#/$defs/s"}}}`:             false,
		`{"properties":{"c":{"type":"array","items":{"$ref":"#"}}}}`:                                                     true,
		`{"$ref":"#/$defs/n","$defs":{"n":{"anyOf":[{"type":"string"},{"additionalProperties":{"$ref":"#/$defs/n"}}]}}}`: true,
	} {
		s, err := Compile([]byte(doc), "file:///schema.json")
		if err != nil {
			t.Fatal(err)
		}
		if s.recursive != want {
			t.Errorf("%s: recursive %v, want %v", doc, s.recursive, want)
		}
	}
}

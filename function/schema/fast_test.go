package schema

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/jsoncompact"
	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// The fast path is held to the library: whenever it says a record is valid, the library must say so too, and
// Validate must accept exactly what the library alone (after the range check of numbers.go) accepts.

// fragments are schema keywords: every one the fast path knows, and some it does not.
var fragments = []string{
	`"type": "string"`, `"type": "integer"`, `"type": "number"`, `"type": ["string", "null"]`, `"type": "object"`,
	`"type": "array"`, `"type": "boolean"`, `"type": ["integer", "boolean"]`, `"enum": ["a", 1, null, true, 2.0]`,
	`"enum": [false, "ab", -7, {"a": 1}]`, `"const": 1`, `"const": "a"`, `"const": null`, `"format": "date-time"`,
	`"format": "date"`, `"format": "email"`, `"minimum": 1`, `"maximum": 10`, `"exclusiveMinimum": 0.5`,
	`"minimum": 0`, `"exclusiveMinimum": 0`, `"minimum": 1e-400`, `"exclusiveMinimum": -1e-400`, `"minimum": -0.5`,
	`"exclusiveMaximum": 3`, `"minimum": -9223372036854775808`, `"maximum": 12345678901234567890`,
	`"minLength": 2`, `"maxLength": 3`, `"minLength": 36, "maxLength": 36`, `"pattern": "^[a-z]+$"`,
	`"required": ["a"]`, `"required": ["a", "c"]`, `"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}`,
	`"properties": {"a": {"$ref": "#"}}`, `"properties": {"a": false}`, `"additionalProperties": false`,
	`"additionalProperties": {"type": "string"}`, `"items": {"type": "integer"}`, `"items": {"$ref": "#/$defs/n"}`,
	`"minItems": 1`, `"maxItems": 2`, `"allOf": [{"required": ["b"]}]`, `"$ref": "#/$defs/n"`,
	`"anyOf": [{"type": "string"}]`, `"multipleOf": 2`, `"uniqueItems": true`, `"not": {"type": "null"}`,
	`"prefixItems": [{"type": "string"}]`, `"minProperties": 1`,
	// Names of one length, with the same first and last bytes.
	`"properties": {"axxb": {"type": "integer"}, "ayxb": {"type": "string"}}, "required": ["ayxb"]`,
}

// values hit both sides of each fragment.
var values = []string{`null`, `true`, `false`, `0`, `-0`, `1`, `2`, `3`, `1.0`, `2.5`, `1e1`, `-7`, `12345678901234567890`,
	`-9223372036854775808`, `-9223372036854775809`, `9223372036854775807`, `""`, `0.5`, `0.50000000000000001`,
	`0.49999999999999999`, `3.0000000000000001`, `10.000000000000002`, `1e-300`, `1e400`, `-1e-400`, `"a"`, `"ab"`,
	`"abc"`, `"abcd"`, `"A1"`, `"ééé"`, `"é"`, `"2026-11-25T10:00:00Z"`, `"2026-13-25T10:00:00Z"`,
	`"2026-11-25t10:00:00.5+05:30"`, `"2024-02-29T23:59:60Z"`, `"2023-02-29T10:00:00Z"`, `"2026-11-25"`,
	`"ec01a70b-47a9-4c46-a1fd-7b4bde3d6a55"`, `[]`, `[1]`, `[1, 2]`, `[1, "x"]`, `["a", "a"]`, `[1e999]`, `{}`,
	`{"a": 1}`, `{"a": "x"}`, `{"b": "x"}`, `{"a": 1, "b": "y"}`, `{"a": 1, "c": 2}`, `{"c": "z"}`, `{"a": 1, "c": 1e999}`,
	`{"a": "x", "a": 1}`, `{"axxb": 1, "ayxb": "s"}`, `{"axxb": "s", "ayxb": "s"}`, `{"ayxb": 1}`, `{"axxb": 1}`, `{"a": 1, "a": "x"}`, `{"a": {"a": {"a": 1}}}`, `{"a": {"a": "x"}, "c": true}`}

// schemaOf wraps fragments into a document with the definition they refer to.
func schemaOf(parts ...string) string {
	return fmt.Sprintf(`{%s, "$defs": {"n": {"type": ["number", "object"]}}}`, strings.Join(parts, ", "))
}

// slowValidate is Validate without the fast path.
func slowValidate(s *Schema, v jsonvalue.Value) error {
	if at, ok := outOfRange(v); ok {
		return fmt.Errorf("schema: %s: %s", at, errOutOfRange)
	}
	if err := s.compiled.Validate(v.Any()); err != nil {
		return reason(err)
	}
	return nil
}

// checkFast fails t when the fast path is certain of a value the library rejects, or Validate differs from the
// slow path; it reports whether the fast path was certain.
func checkFast(t *testing.T, doc string, s *Schema, vs string, v jsonvalue.Value) bool {
	t.Helper()
	certain := s.root.sure(v, 0, new(s.treeSteps(v)))
	slow := slowValidate(s, v)
	if certain && slow != nil {
		t.Fatalf("schema %s, value %s: the fast path says valid, the library says %v", doc, vs, slow)
	}
	if fast := s.Validate(v); fmt.Sprint(fast) != fmt.Sprint(slow) {
		t.Fatalf("schema %s, value %s: Validate says %v, the library %v", doc, vs, fast, slow)
	}
	return certain
}

// TestSureNeverDisagrees holds both fast paths, on the tree and on the text, to the library for random schemas.
func TestSureNeverDisagrees(t *testing.T) {
	checked, certain, certainText := 0, 0, 0
	for doc, s := range randomSchemas(5) {
		for _, vs := range values {
			if checkFast(t, doc, s, vs, value(t, vs)) {
				certain++
			}
			if checkText(t, doc, s, compactOf(t, vs)) {
				certainText++
			}
			checkText(t, doc, s, []byte(vs))
			checked++
		}
	}
	if certain < checked/10 || certainText < checked/10 {
		t.Fatalf("the fast paths were certain of only %d and %d of %d values: the short cut does not cut", certain, certainText, checked)
	}
	if s := compile(t, orders); !s.SureText(compactOf(t, validOrder), 0) {
		t.Fatal("SureText is not certain of a valid order")
	}
}

// randomSchemas yields 3000 schemas made of one to three fragments, at random from seed, with their documents.
func randomSchemas(seed uint64) func(yield func(string, *Schema) bool) {
	return func(yield func(string, *Schema) bool) {
		rng := rand.New(rand.NewPCG(seed, seed+1))
		for range 3000 {
			var parts []string
			for range 1 + rng.IntN(3) {
				parts = append(parts, fragments[rng.IntN(len(fragments))])
			}
			doc := schemaOf(parts...)
			s, err := Compile([]byte(doc), "mem://schema.json")
			if err != nil {
				continue // duplicate keys and the like
			}
			if !yield(doc, s) {
				return
			}
		}
	}
}

// TestSureTakesTheCommonPath makes sure the example order needs no library call.
func TestSureTakesTheCommonPath(t *testing.T) {
	s := compile(t, orders)
	if v := value(t, validOrder); !s.root.sure(v, 0, new(s.treeSteps(v))) {
		t.Fatal("the fast path is not certain of a valid order")
	}
}

func TestDateTime(t *testing.T) {
	format := compile(t, `{"format": "date-time"}`).compiled.Format
	for _, c := range []struct {
		s    string
		fast bool // what the fast path says; the library agrees when it is true
	}{
		{"2026-11-25T10:00:00Z", true}, {"2026-11-25t10:00:00z", true}, {"2026-11-25T10:00:00.123456789Z", true},
		{"2026-11-25T23:59:59-23:59", true}, {"2024-02-29T00:00:00+00:00", true}, {"0000-02-29T00:00:00Z", true},
		{"2000-02-29T00:00:00Z", true}, {"9999-12-31T23:59:59Z", true},
		{"1900-02-29T00:00:00Z", false}, {"2023-02-29T00:00:00Z", false}, {"2026-04-31T00:00:00Z", false},
		{"2026-00-10T00:00:00Z", false}, {"2026-11-00T00:00:00Z", false}, {"2026-11-25T24:00:00Z", false},
		{"2026-11-25T10:60:00Z", false}, {"2026-11-25T10:00:00.Z", false}, {"2026-11-25T10:00:00+24:00", false},
		{"2026-11-25T10:00:00+05:60", false}, {"2026-11-25T10:00:00+0530", false}, {"2026-11-25 10:00:00Z", false},
		{"2026-11-25T10:00:00", false}, {"2026-11-25T10:00:00ZZ", false}, {"+026-11-25T10:00:00Z", false},
		// Valid for the library, left to it.
		{"2026-11-25T23:59:60Z", false}, {"2026-11-25T+1:00:00Z", false},
	} {
		lib := format.Validate(c.s) == nil
		if got := dateTime(c.s); got != c.fast || (got && !lib) {
			t.Errorf("%q: fast path %v, want %v (library %v)", c.s, got, c.fast, lib)
		}
	}
}

// FuzzSure draws schemas from the fragments and values from the input.
func FuzzSure(f *testing.F) {
	for i, vs := range values {
		f.Add(uint16(i), uint16(i*7), vs)
	}
	f.Add(uint16(3), uint16(200), `{"a": 1, "b": "2026-11-25T10:00:00Z", "c": [1, 2.5, "x"]}`)
	f.Fuzz(func(t *testing.T, a, b uint16, vs string) {
		doc := schemaOf(fragments[int(a)%len(fragments)], fragments[int(b)%len(fragments)])
		s, err := Compile([]byte(doc), "mem://schema.json")
		if err != nil {
			return
		}
		v, err := jsonvalue.Decode([]byte(vs))
		if err != nil {
			return
		}
		checkFast(t, doc, s, vs, v)
	})
}

// FuzzDateTime holds the native date-time check to the library's.
func FuzzDateTime(f *testing.F) {
	for _, s := range []string{"2026-11-25T10:00:00Z", "2024-02-29T23:59:59.5+01:00", "2026-11-25t10:00:00z"} {
		f.Add(s)
	}
	format := compile(f, `{"format": "date-time"}`).compiled.Format
	f.Fuzz(func(t *testing.T, s string) {
		if dateTime(s) && format.Validate(s) != nil {
			t.Fatalf("%q: the fast path says date-time, the library %v", s, format.Validate(s))
		}
	})
}

// checkText fails t when SureText is certain of a record that does not decode (within the cap) to a compact value
// the library accepts; it reports whether SureText was certain without a cap.
func checkText(t *testing.T, doc string, s *Schema, data []byte) bool {
	t.Helper()
	certain := false
	for _, limit := range []int{0, 3} {
		if !s.SureText(data, limit) {
			continue
		}
		certain = certain || limit == 0
		d := jsonvalue.Decoder{MaxValues: limit}
		v, err := d.Decode(data)
		if err != nil || !d.Compact() {
			t.Fatalf("schema %s, record %q (at most %d values): SureText is certain; the decoder says %v, compact %v", doc, data, limit, err, d.Compact())
		}
		if err := slowValidate(s, v); err != nil {
			t.Fatalf("schema %s, record %q: SureText is certain, the library says %v", doc, data, err)
		}
	}
	return certain
}

func compactOf(t testing.TB, doc string) []byte {
	t.Helper()
	b, err := jsoncompact.AppendCompact(nil, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzSureText draws schemas from the fragments and records from the input.
func FuzzSureText(f *testing.F) {
	for i, vs := range values {
		f.Add(uint16(i), uint16(i*7), compactOf(f, vs))
	}
	f.Add(uint16(0), uint16(0), []byte("{\"a\":\"\xff\"}"))
	f.Add(uint16(27), uint16(28), []byte(`{"a":1,"b":"x\u00e9"}`))
	f.Fuzz(func(t *testing.T, a, b uint16, data []byte) {
		doc := schemaOf(fragments[int(a)%len(fragments)], fragments[int(b)%len(fragments)])
		s, err := Compile([]byte(doc), "mem://schema.json")
		if err != nil {
			return
		}
		checkText(t, doc, s, data)
	})
}

// checkSteps walks v with Check as the transform's writer does (an object's members each once, its last one) and
// reports whether every step was certain. It panics where SureKind, the writer's short cut, is certain and Value
// is not.
func checkSteps(c Check, v jsonvalue.Value, depth int) bool {
	sure := c.Value(v, depth)
	if c.SureKind(v.Kind(), depth) && !sure {
		panic(fmt.Sprintf("SureKind is certain of %v at depth %d, Value is not", v.Any(), depth))
	}
	if !sure {
		return false
	}
	switch v.Kind() {
	case jsonvalue.Array:
		for i := range v.Len() {
			if !checkSteps(c.Items(), v.Index(i), depth+1) {
				return false
			}
		}
	case jsonvalue.Object:
		var keys []string
		var vals []jsonvalue.Value
		for i := range v.Len() {
			if !v.Shadowed(i) {
				keys, vals = append(keys, v.Key(i)), append(vals, v.Index(i))
			}
		}
		subs, ok := c.Members(keys, nil)
		if !ok {
			return false
		}
		for i := range vals {
			if !checkSteps(subs[i], vals[i], depth+1) {
				return false
			}
		}
	}
	return true
}

// checkStepsAgree fails t when the Check steps are certain of a value the library rejects; it reports whether they
// were certain.
func checkStepsAgree(t *testing.T, doc string, s *Schema, vs string, v jsonvalue.Value) bool {
	t.Helper()
	if !checkSteps(s.Check(), v, 0) {
		return false
	}
	if err := slowValidate(s, v); err != nil {
		t.Fatalf("schema %s, value %s: the Check steps say valid, the library says %v", doc, vs, err)
	}
	return true
}

// TestCheckNeverDisagrees holds the Check steps to the library for random schemas, and makes sure they are certain
// where the fast path is, on values without repeated keys.
func TestCheckNeverDisagrees(t *testing.T) {
	checked, certain := 0, 0
	for doc, s := range randomSchemas(7) {
		for _, vs := range values {
			v := value(t, vs)
			if checkStepsAgree(t, doc, s, vs, v) {
				certain++
			}
			checked++
		}
	}
	if certain < checked/10 {
		t.Fatalf("the Check steps were certain of only %d of %d values", certain, checked)
	}
	if s := compile(t, orders); !checkSteps(s.Check(), value(t, validOrder), 0) {
		t.Fatal("the Check steps are not certain of a valid order")
	}
	if (Check{}).Value(value(t, `1`), 0) {
		t.Fatal("the zero Check is certain")
	}
}

// FuzzCheck draws schemas from the fragments and values from the input.
func FuzzCheck(f *testing.F) {
	for i, vs := range values {
		f.Add(uint16(i), uint16(i*7), vs)
	}
	f.Add(uint16(33), uint16(36), `{"a": 1, "b": "x", "c": [1, 2.5, "x"], "a": 2}`)
	f.Fuzz(func(t *testing.T, a, b uint16, vs string) {
		doc := schemaOf(fragments[int(a)%len(fragments)], fragments[int(b)%len(fragments)])
		s, err := Compile([]byte(doc), "mem://schema.json")
		if err != nil {
			return
		}
		if v, err := jsonvalue.Decode([]byte(vs)); err == nil {
			checkStepsAgree(t, doc, s, vs, v)
		}
	})
}

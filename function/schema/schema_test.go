package schema

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// orders is the schema of the examples and tests: ten properties, nested objects, arrays, a date-time.
const orders = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["order_id", "created_at", "amount"],
  "properties": {
    "order_id": {"type": "string", "pattern": "^o-[0-9]+$"},
    "created_at": {"type": "string", "format": "date-time"},
    "amount": {"type": "number", "minimum": 0},
    "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
    "status": {"enum": ["placed", "paid", "cancelled"]},
    "gift": {"type": ["boolean", "null"]},
    "customer": {
      "type": "object",
      "required": ["id"],
      "properties": {"id": {"type": "string", "minLength": 3}, "tenant": {"type": "string"}},
      "additionalProperties": false
    },
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
    "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}},
    "note": {"type": "string", "maxLength": 20}
  },
  "$defs": {"line": {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}}}
}`

func compile(t testing.TB, doc string) *Schema {
	t.Helper()
	s, err := Compile([]byte(doc), "mem://schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func value(t testing.TB, doc string) jsonvalue.Value {
	t.Helper()
	v, err := jsonvalue.Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const validOrder = `{"order_id": "o-1", "created_at": "2026-11-25T10:00:00.123456Z", "amount": 12.5, "quantity": 2,
  "status": "paid", "gift": null, "customer": {"id": "c-1", "tenant": "acme"}, "tags": ["a"],
  "lines": [{"sku": "S", "qty": 1, "x": true}], "note": "ok", "undeclared": {"kept": 1}}`

func TestValidate(t *testing.T) {
	s := compile(t, orders)
	if err := s.Validate(value(t, validOrder)); err != nil {
		t.Fatalf("valid order: %v", err)
	}
	cases := []struct{ doc, want string }{
		{`{"order_id": "o-1", "created_at": "2026-11-25T10:00:00Z", "amount": "12"}`, `schema: /amount: got string, want number (type)`},
		{`{"order_id": "o-1", "amount": 1}`, `schema: /: missing property 'created_at' (required)`},
		{`{"order_id": "x", "created_at": "2026-11-25T10:00:00Z", "amount": 1}`, `schema: /order_id: 'x' does not match pattern '^o-[0-9]+$' (pattern)`},
		{`{"order_id": "o-1", "created_at": "yesterday", "amount": 1}`, `schema: /created_at: 'yesterday' is not valid date-time`},
		{`{"order_id": "o-1", "created_at": "2026-11-25T10:00:00Z", "amount": -1}`, `schema: /amount: minimum: got -1, want 0 (minimum)`},
		{`{"order_id": "o-1", "created_at": "2026-11-25T10:00:00Z", "amount": 1, "quantity": 1.5}`, `schema: /quantity: got number, want integer (type)`},
		{`{"order_id": "o-1", "created_at": "2026-11-25T10:00:00Z", "amount": 1, "status": "lost"}`, `schema: /status: value must be one of 'placed', 'paid', 'cancelled' (enum)`},
		{`{"order_id": "o-1", "created_at": "2026-11-25T10:00:00Z", "amount": 1, "customer": {"id": "c-1", "vip": true}}`, `schema: /customer: additional properties 'vip' not allowed (additionalProperties)`},
		{`{"order_id": "o-1", "created_at": "2026-11-25T10:00:00Z", "amount": 1, "lines": [{"qty": "2"}]}`, `schema: /lines/0/qty: got string, want integer (type)`},
		{`{"created_at": 5, "amount": "x"}`, `schema: /: missing property 'order_id' (required); and 2 more`},
		{`[1]`, `schema: /: got array, want object (type)`},
	}
	for _, c := range cases {
		err := s.Validate(value(t, c.doc))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %s", c.doc, err, c.want)
		}
	}
}

func TestReasonIsDeterministic(t *testing.T) {
	s := compile(t, orders)
	doc := `{"order_id": 1, "created_at": 2, "amount": "3", "quantity": "4", "note": 5, "customer": {"a": 1, "b": 2}}`
	first := s.Validate(value(t, doc)).Error()
	for range 50 {
		if got := s.Validate(value(t, doc)).Error(); got != first {
			t.Fatalf("reason changed: %q, then %q", first, got)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for doc, want := range map[string]string{
		`{"type": "object"`:                       "not JSON",
		`{"type": "thing"}`:                       "jsonschema validation failed",
		`{"$ref": "https://example.com/x.json"}`:  "references to other documents are not supported",
		`{"$ref": "file:///etc/passwd"}`:          "references to other documents are not supported",
		`{"properties": {"a": {"minimum": "1"}}}`: "jsonschema validation failed",
	} {
		_, err := Compile([]byte(doc), "mem://schema.json")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", doc, err, want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "orders.json")
	if err := os.WriteFile(path, []byte(orders), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), path, nil); err != nil {
		t.Fatalf("file: %v", err)
	}
	fetch := func(_ context.Context, bucket, key string) ([]byte, error) {
		if bucket == "cfg" && key == "schemas/orders.json" {
			return []byte(orders), nil
		}
		return nil, errors.New("NoSuchKey")
	}
	if _, err := Load(context.Background(), "s3://cfg/schemas/orders.json", fetch); err != nil {
		t.Fatalf("s3: %v", err)
	}
	for source, want := range map[string]string{
		"s3://cfg/missing.json":   "read s3://cfg/missing.json: NoSuchKey",
		"s3://cfg":                "not an S3 URI",
		"s3:///key":               "not an S3 URI",
		filepath.Join(dir, "nix"): "no such file",
	} {
		if _, err := Load(context.Background(), source, fetch); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", source, err, want)
		}
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, []byte(`{"description": "`+strings.Repeat("x", MaxSize)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), big, nil); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("oversized schema: %v", err)
	}
}

// TestSureNeverDisagrees holds the short cut to the library: whenever sure says a value is valid, the library
// must say so too. Schemas combine every keyword sure knows (and some it does not); values are drawn to hit both
// sides of each keyword.
func TestSureNeverDisagrees(t *testing.T) {
	fragments := []string{
		`"type": "string"`, `"type": "integer"`, `"type": "number"`, `"type": ["string", "null"]`, `"type": "object"`,
		`"type": "array"`, `"type": "boolean"`, `"enum": ["a", 1, null, true, 2.0]`, `"const": 1`, `"const": "a"`,
		`"format": "date-time"`, `"minimum": 1`, `"maximum": 10`, `"exclusiveMinimum": 0.5`, `"exclusiveMaximum": 3`,
		`"minLength": 2`, `"maxLength": 3`, `"pattern": "^[a-z]+$"`, `"required": ["a"]`,
		`"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}`, `"additionalProperties": false`,
		`"additionalProperties": {"type": "string"}`, `"items": {"type": "integer"}`, `"minItems": 1`, `"maxItems": 2`,
		`"allOf": [{"required": ["b"]}]`, `"$ref": "#/$defs/n"`, `"anyOf": [{"type": "string"}]`, `"multipleOf": 2`,
		`"uniqueItems": true`, `"not": {"type": "null"}`, `"prefixItems": [{"type": "string"}]`,
	}
	values := []string{`null`, `true`, `0`, `1`, `2`, `3`, `1.0`, `2.5`, `1e1`, `-7`, `12345678901234567890`, `""`,
		`0.5`, `0.50000000000000001`, `0.49999999999999999`, `3.0000000000000001`, `10.000000000000002`, `1e-300`, `1e400`,
		`"a"`, `"ab"`, `"abc"`, `"abcd"`, `"A1"`, `"2026-11-25T10:00:00Z"`, `"2026-13-25T10:00:00Z"`, `[]`, `[1]`,
		`[1, 2]`, `[1, "x"]`, `["a", "a"]`, `{}`, `{"a": 1}`, `{"a": "x"}`, `{"b": "x"}`, `{"a": 1, "b": "y"}`,
		`{"a": 1, "c": 2}`, `{"c": "z"}`, `{"a": "x", "a": 1}`, `{"a": 1, "a": "x"}`}
	rng := rand.New(rand.NewPCG(5, 6))
	checked, certain := 0, 0
	for range 3000 {
		var parts []string
		for range 1 + rng.IntN(3) {
			parts = append(parts, fragments[rng.IntN(len(fragments))])
		}
		doc := fmt.Sprintf(`{%s, "$defs": {"n": {"type": ["number", "object"]}}}`, strings.Join(parts, ", "))
		s, err := Compile([]byte(doc), "mem://schema.json")
		if err != nil {
			continue // duplicate keys and the like
		}
		for _, vs := range values {
			v := value(t, vs)
			lib := s.compiled.Validate(v.Any()) == nil
			if sure(s.compiled, v, 0) {
				certain++
				if !lib {
					t.Fatalf("schema %s, value %s: sure says valid, the library says %v", doc, vs, s.compiled.Validate(v.Any()))
				}
			}
			checked++
		}
	}
	if certain < checked/10 {
		t.Fatalf("sure was certain for only %d of %d values: the short cut does not cut", certain, checked)
	}
}

// TestSureTakesTheCommonPath makes sure the benchmark's records, and the example order, need no library call.
func TestSureTakesTheCommonPath(t *testing.T) {
	s := compile(t, orders)
	if !sure(s.compiled, value(t, validOrder), 0) {
		t.Fatal("sure is not certain of a valid order")
	}
}

func ExampleSchema_Validate() {
	s, err := Compile([]byte(`{"type": "object", "properties": {"amount": {"type": "number"}}}`), "mem://orders.json")
	if err != nil {
		panic(err)
	}
	record, _ := jsonvalue.Decode([]byte(`{"amount": "12.50"}`))
	fmt.Println(s.Validate(record))
	// Output:
	// schema: /amount: got string, want number (type)
}

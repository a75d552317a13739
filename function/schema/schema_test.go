package schema

import (
	"context"
	"errors"
	"fmt"
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

// TestReasonListsAdditionalPropertiesInOrder: the library lists them in the order of a Go map.
func TestReasonListsAdditionalPropertiesInOrder(t *testing.T) {
	s := compile(t, `{"additionalProperties": false}`)
	for range 20 {
		if got, want := s.Validate(value(t, `{"d": 1, "b": 2, "c": 3, "a": 4}`)).Error(),
			`schema: /: additional properties 'a', 'b', 'c', 'd' not allowed (additionalProperties)`; got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
}

// A record the compiled checks cannot vouch for goes to the library only within the cap on its values; a record
// they accept has no such cap.
func TestValidateAtMostCapsOnlyTheLibrary(t *testing.T) {
	s := compile(t, `{"properties": {"xs": {"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]}}}}`)
	failing := value(t, `{"xs": [{}, {}, {}]}`) // 5 values and keys, each {} failing both branches
	if err := s.ValidateAtMost(failing, 5); err == nil || !strings.HasPrefix(err.Error(), "schema: /xs/0: got object") {
		t.Fatalf("at the cap: %v, want the library's reason", err)
	}
	err := s.ValidateAtMost(failing, 4)
	if err == nil || err.Error() != "schema: not checked: more than 4 JSON values and object keys for the JSON "+
		"Schema library, the limit at this memory size (records its compiled checks accept have no such limit)" {
		t.Fatalf("over the cap: %v", err)
	}
	if err := s.Validate(failing); err == nil || !strings.HasPrefix(err.Error(), "schema: /xs/0: got object") {
		t.Fatalf("without a cap: %v, want the library's reason", err)
	}
	plain := compile(t, `{"properties": {"xs": {"type": "array", "items": {"type": "integer"}}}}`)
	if err := plain.ValidateAtMost(value(t, `{"xs": [1, 2, 3, 4, 5, 6, 7, 8]}`), 2); err != nil {
		t.Fatalf("a record the compiled checks accept: %v", err)
	}
}

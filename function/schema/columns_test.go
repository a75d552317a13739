package schema

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func hive(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name + " " + c.HiveType()
	}
	return strings.Join(parts, ", ")
}

func TestColumns(t *testing.T) {
	got := hive(compile(t, orders).Columns([]string{"tenant"}))
	// lines is an array of a $ref: a column as its definition.
	want := "_extra string, amount double, created_at timestamp, customer struct<_extra:string,id:string,tenant:string>, " +
		"gift boolean, lines array<struct<_extra:string,qty:bigint,sku:string>>, note string, order_id string, " +
		"quantity bigint, tags array<string>"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestColumnRules derives the columns of schemas that exercise every rule (column-rules; column-refs for the
// references; column-scopes for embedded resources) and compares them with the lists the Terraform catalog module's
// test expects for the same files (terraform/tests/catalog.tftest.hcl), which refuses column-scopes instead: one
// fixture, two implementations of the rules.
func TestColumnRules(t *testing.T) {
	for _, fixture := range []string{"column-rules", "column-refs", "column-scopes"} {
		doc, err := os.ReadFile("../../terraform/tests/fixtures/" + fixture + ".schema.json")
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile("../../terraform/tests/fixtures/" + fixture + ".columns.txt")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range compile(t, string(doc)).Columns([]string{"year", "month", "day", "hour", "tenant"}) {
			got = append(got, c.Name+" "+c.HiveType())
		}
		if g, w := strings.Join(got, "\n"), strings.TrimSpace(string(want)); g != w {
			t.Errorf("%s: got\n%s\nwant\n%s", fixture, g, w)
		}
	}
}

func TestNoColumnsWithoutAnObjectRoot(t *testing.T) {
	for _, doc := range []string{`{"type": "array"}`, `{"properties": {"a": {"type": "string"}}}`, `true`, `{"type": ["object", "array"]}`} {
		if cols := compile(t, doc).Columns(nil); cols != nil {
			t.Errorf("%s: columns %s", doc, hive(cols))
		}
	}
	if got := hive(compile(t, `{"type": ["object", "null"]}`).Columns(nil)); got != "_extra string" {
		t.Errorf("object or null: %s", got)
	}
}

// TestColumnsAgreeWithTheLibrary holds the columns to the JSON Schema library's reading of the same document,
// references included (an embedded resource's "#/$defs/<name>" names its own definitions): a record with a value of
// each column's type at every column is valid, and one with a value of another type at any leaf column is not.
func TestColumnsAgreeWithTheLibrary(t *testing.T) {
	docs := map[string]string{}
	for _, fixture := range []string{"column-refs", "column-scopes"} { // column-rules has formats that "s" is not {
		doc, err := os.ReadFile("../../terraform/tests/fixtures/" + fixture + ".schema.json")
		if err != nil {
			t.Fatal(err)
		}
		docs[fixture] = string(doc)
	}
	// Before draft 2019-09, "$id": "#name" is an anchor, not a resource, and an "$id" beside a "$ref" is ignored.
	docs["draft-07"] = `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
	  "definitions": {"id": {"type": "integer"}},
	  "properties": {
	    "a": {"$id": "#anchor", "type": "object", "properties": {"id": {"$ref": "#/definitions/id"}}, "definitions": {"id": {"type": "string"}}},
	    "b": {"$id": "b.json", "$ref": "#/definitions/id", "definitions": {"id": {"type": "string"}}},
	    "c": {"$id": "c.json", "type": "object", "properties": {"id": {"$ref": "#/definitions/id"}}, "definitions": {"id": {"type": "boolean"}}}}}`
	// Draft 4 names the id "id"; an embedded resource may be of another draft than the document.
	docs["draft-04"] = `{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
	  "definitions": {"id": {"type": "integer"}},
	  "properties": {
	    "a": {"id": "a.json", "type": "object", "properties": {"id": {"$ref": "#/definitions/id"}}, "definitions": {"id": {"type": "string"}}},
	    "b": {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "b.json", "$ref": "#/$defs/id", "$defs": {"id": {"type": "boolean"}}}}}`
	for name, doc := range docs {
		s := compile(t, doc)
		root := Column{Type: Struct, Fields: s.Columns([]string{"year", "month", "day", "hour", "tenant"})}
		if len(root.Fields) < 2 {
			t.Fatalf("%s: no columns", name)
		}
		for wrong := -1; ; wrong++ {
			n := wrong
			record, err := json.Marshal(sample(root, &n))
			if err != nil {
				t.Fatal(err)
			}
			if n >= 0 { // fewer leaves than wrong+1: done
				break
			}
			err = s.Validate(value(t, string(record)))
			if wrong < 0 && err != nil {
				t.Errorf("%s: %s has a value of each column's type; the library rejects it: %v", name, record, err)
			}
			if wrong >= 0 && err == nil {
				t.Errorf("%s: %s has a value of another type than its column's; the library accepts it", name, record)
			}
		}
	}
}

// sample is a value of column c's type, but at leaf column number *wrong (counted down, in column order) a value of
// another type.
func sample(c Column, wrong *int) any {
	switch c.Type {
	case Struct:
		m := map[string]any{}
		for _, f := range c.Fields {
			if f.Name != ExtraColumn {
				m[f.Name] = sample(f, wrong)
			}
		}
		return m
	case Array:
		return []any{sample(*c.Elem, wrong)}
	}
	*wrong--
	if *wrong == -1 {
		if c.Type == Boolean {
			return "true"
		}
		return true
	}
	return map[Type]any{String: "s", Bigint: 7, Double: 0.5, Boolean: false, Timestamp: "2026-11-30T12:00:00Z"}[c.Type]
}

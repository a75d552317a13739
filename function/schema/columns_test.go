package schema

import (
	"fmt"
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
	want := "_extra string, amount double, created_at timestamp, customer struct<_extra:string,id:string,tenant:string>, " +
		"gift boolean, note string, order_id string, quantity bigint, tags array<string>"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestColumnRules(t *testing.T) {
	cases := []struct {
		props, want string
	}{
		{`"a": {"type": "integer"}, "B": {"type": ["number", "null"]}, "c": {"type": ["string", "integer"]}`, "B double, _extra string, a bigint"},
		{`"ts": {"type": "string", "format": "date-time"}, "d": {"type": "string", "format": "date"}`, "_extra string, d string, ts timestamp"},
		{`"any": {}, "ref": {"$ref": "#/$defs/x"}, "one": {"oneOf": [{"type": "string"}]}, "t": true, "n": {"type": "null"}`, "_extra string"},
		{`"obj": {"type": "object"}, "objx": {"type": "object", "properties": {"bad-name": {"type": "string"}}}`, "_extra string"},
		{`"arr": {"type": "array"}, "arr2": {"type": "array", "items": {}}, "arr3": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}`, "_extra string, arr3 array<array<bigint>>"},
		{`"bad-name": {"type": "string"}, "9lives": {"type": "string"}, "ok_1": {"type": "string"}`, "_extra string, ok_1 string"},
		{`"Id": {"type": "string"}, "id": {"type": "string"}, "_extra": {"type": "string"}, "_EXTRA": {"type": "string"}`, "_extra string"},
		{`"year": {"type": "integer"}, "Hour": {"type": "integer"}, "tenant": {"type": "string"}, "yearly": {"type": "integer"}`, "_extra string, yearly bigint"},
		{`"l": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "number"}}}}`, "_extra string, l array<struct<_extra:string,x:double>>"},
		// Depth: a root column is at 1; only scalars at MaxDepth.
		{`"a": {"type": "object", "properties": {"b": {"type": "object", "properties": {"c": {"type": "object", "properties": {"d": {"type": "object", "properties": {"e": {"type": "string"}}}, "s": {"type": "string"}}}}}}}`,
			"_extra string, a struct<_extra:string,b:struct<_extra:string,c:struct<_extra:string,s:string>>>"},
		{`"a": {"type": "array", "items": {"type": "array", "items": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}}}`, "_extra string"},
		{`"a": {"type": "array", "items": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}}`, "_extra string, a array<array<array<string>>>"},
	}
	for _, c := range cases {
		s := compile(t, fmt.Sprintf(`{"type": "object", "properties": {%s}, "$defs": {"x": {"type": "string"}}}`, c.props))
		if got := hive(s.Columns([]string{"year", "month", "day", "hour", "tenant"})); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.props, got, c.want)
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

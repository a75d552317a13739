package schema

import (
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
// references) and compares them with the lists the Terraform catalog module's test expects for the same files
// (terraform/tests/catalog.tftest.hcl): one fixture, two implementations of the rules.
func TestColumnRules(t *testing.T) {
	for _, fixture := range []string{"column-rules", "column-refs"} {
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

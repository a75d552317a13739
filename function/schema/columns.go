package schema

import (
	"regexp"
	"slices"
	"strings"
)

// The columns of the table that records make (the Parquet file's schema, and the Glue table's columns, which the
// Terraform catalog module derives from the same document by the same rules):
//
//   - Each entry of the root's "properties" is a column, named as the property, if its schema has one "type"
//     (besides an optional "null"):
//     "string" → string ("format": "date-time" → timestamp, UTC, microseconds), "integer" → bigint (INT64),
//     "number" → double, "boolean" → boolean, "object" with "properties" → struct of its columns by the same rules,
//     "array" with "items" of a column type → array.
//   - A schema with a "$ref" to a definition of the document ("#/$defs/<name>" or "#/definitions/<name>", the name
//     escaped as in a JSON pointer: ~0 for ~, ~1 for /) makes the column its definition makes; its other keywords
//     are ignored. A definition that is itself such a reference is followed, up to MaxRefs references in a row. The
//     root may be a reference too. A definition that refers to itself nests as deep as MaxDepth, as any struct.
//   - Anything else is not a column: no type or several, other references ("#", percent-encoded names, a chain of
//     more than MaxRefs) and the combinators, objects without properties of their own, arrays without typed items,
//     nesting deeper than MaxDepth, a name that is not a column name ([A-Za-z_][A-Za-z0-9_]*, at most 255
//     characters), names that differ only in case (Athena ignores case), and at the root the partition columns
//     (year, month, day, hour and the PARTITION_KEYS).
//   - Every struct, the root included, has one more column, _extra: the fields of the record that are not columns,
//     as a JSON object (null when there are none). So nothing a producer sent is lost, whatever the schema declares.
//   - Columns are in the order of their names (bytes), as in the Parquet schema.

// MaxDepth is how deeply columns nest: a root column is at depth 1, the fields of a struct or the element of an
// array one deeper. Deeper values stay in _extra.
const MaxDepth = 4

// MaxRefs is how many references in a row a column's schema may go through to its definition: a chain of
// definitions that are references, or a loop of them, ends there.
const MaxRefs = 4

// ExtraColumn is the column that holds every field that is not a column, as JSON.
const ExtraColumn = "_extra"

// Type is a column type, named as in Glue and Athena (Hive DDL).
type Type string

// The column types.
const (
	String    Type = "string"
	Bigint    Type = "bigint"
	Double    Type = "double"
	Boolean   Type = "boolean"
	Timestamp Type = "timestamp"
	Struct    Type = "struct"
	Array     Type = "array"
)

// Column is one column of the table.
type Column struct {
	Name   string
	Type   Type
	Fields []Column // of a struct, _extra included
	Elem   *Column  // of an array (unnamed)
}

// HiveType is the column's type as Glue and Athena write it: bigint, array<string>, struct<a:bigint,_extra:string>.
func (c Column) HiveType() string {
	switch c.Type {
	case Struct:
		parts := make([]string, len(c.Fields))
		for i, f := range c.Fields {
			parts[i] = f.Name + ":" + f.HiveType()
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	case Array:
		return "array<" + c.Elem.HiveType() + ">"
	}
	return string(c.Type)
}

var columnName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,254}$`)

// Columns returns the root columns for records that are stored under the partition columns partitions (names
// compared without case), _extra included. It is nil when the schema does not describe objects with properties.
func (s *Schema) Columns(partitions []string) []Column {
	defs := definitions(s.doc)
	root := defs.deref(s.doc)
	if root == nil || !isObjectSchema(root) {
		return nil
	}
	reserved := map[string]bool{}
	for _, p := range partitions {
		reserved[strings.ToLower(p)] = true
	}
	return structFields(root, 1, reserved, defs)
}

// defs are a document's definitions, by the reference to each: "#/$defs/<name>", "#/definitions/<name>".
type defs map[string]any

var pointerEscapes = strings.NewReplacer("~", "~0", "/", "~1")

func definitions(doc any) defs {
	d := defs{}
	root, _ := doc.(map[string]any)
	for _, kw := range []string{"definitions", "$defs"} {
		m, _ := root[kw].(map[string]any)
		for name, def := range m {
			d["#/"+kw+"/"+pointerEscapes.Replace(name)] = def
		}
	}
	return d
}

// deref returns the schema that node stands for: node, or the definition its "$ref" names, followed up to MaxRefs
// times. It is nil when that is not an object (a boolean schema), or when the chain is longer.
func (d defs) deref(node any) map[string]any {
	for range MaxRefs + 1 {
		m, _ := node.(map[string]any)
		ref, _ := m["$ref"].(string)
		def, ok := d[ref]
		if !ok {
			return m
		}
		node = def
	}
	return nil
}

func isObjectSchema(node map[string]any) bool {
	t, ok := singleType(node)
	return ok && t == "object"
}

// structFields returns the columns of an object schema's properties at depth, then _extra.
func structFields(node map[string]any, depth int, reserved map[string]bool, defs defs) []Column {
	props, _ := node["properties"].(map[string]any)
	lower := map[string]int{}
	for name := range props {
		lower[strings.ToLower(name)]++
	}
	var cols []Column
	for name, p := range props {
		l := strings.ToLower(name)
		if !columnName.MatchString(name) || lower[l] > 1 || l == ExtraColumn || reserved[l] {
			continue
		}
		if c, ok := column(defs.deref(p), depth, defs); ok {
			c.Name = name
			cols = append(cols, c)
		}
	}
	cols = append(cols, Column{Name: ExtraColumn, Type: String})
	slices.SortFunc(cols, func(a, b Column) int { return strings.Compare(a.Name, b.Name) })
	return cols
}

// column returns the column a property's schema makes at depth, if it makes one.
func column(node map[string]any, depth int, defs defs) (Column, bool) {
	t, ok := singleType(node)
	if !ok {
		return Column{}, false
	}
	switch t {
	case "string":
		if node["format"] == "date-time" {
			return Column{Type: Timestamp}, true
		}
		return Column{Type: String}, true
	case "integer":
		return Column{Type: Bigint}, true
	case "number":
		return Column{Type: Double}, true
	case "boolean":
		return Column{Type: Boolean}, true
	case "object":
		if depth >= MaxDepth {
			return Column{}, false
		}
		fields := structFields(node, depth+1, nil, defs)
		if len(fields) == 1 { // _extra only
			return Column{}, false
		}
		return Column{Type: Struct, Fields: fields}, true
	case "array":
		items := defs.deref(node["items"])
		if depth >= MaxDepth || items == nil {
			return Column{}, false
		}
		elem, ok := column(items, depth+1, defs)
		if !ok {
			return Column{}, false
		}
		return Column{Type: Array, Elem: &elem}, true
	}
	return Column{}, false
}

// singleType returns the one type of a schema node: "type" as a string, or as an array of one type and
// optionally "null".
func singleType(node map[string]any) (string, bool) {
	switch t := node["type"].(type) {
	case string:
		return t, t != "null"
	case []any:
		var types []string
		for _, e := range t {
			if s, ok := e.(string); ok && s != "null" {
				types = append(types, s)
			}
		}
		if len(types) == 1 {
			return types[0], true
		}
	}
	return "", false
}

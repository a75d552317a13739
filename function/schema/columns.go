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
//     "array" with "items" of a column type, and no "prefixItems" (which leaves "items" the elements after them
//     only, so the first may be of other types) → array.
//   - A schema with a "$ref" to a definition of its resource ("#/$defs/<name>" or "#/definitions/<name>", the name
//     escaped as in a JSON pointer: ~0 for ~, ~1 for /) makes the column its definition makes; its other keywords
//     are ignored. The resource is the document, or the innermost subschema around the "$ref" that has an "$id" of
//     its own (an embedded resource, as a bundled schema has), whose own definitions it names (see scope). A definition that is itself such a reference is followed, up to MaxRefs references in a row. The
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
	root, in := documentScope(s.doc).deref(s.doc)
	if root == nil || !isObjectSchema(root) {
		return nil
	}
	reserved := map[string]bool{}
	for _, p := range partitions {
		reserved[strings.ToLower(p)] = true
	}
	return structFields(root, 1, reserved, in)
}

// scope is the schema resource a schema lies in, which its references are resolved against, as the library
// resolves them: the document, or a subschema with an "$id" of its own (an embedded resource, as in a bundled
// schema), whose "#/$defs/<name>" names its own definitions.
type scope struct {
	defs  defs
	draft int // of the resource: 4, 6, 7, 2019 or 2020
}

// defs are a resource's definitions, by the reference to each: "#/$defs/<name>", "#/definitions/<name>".
type defs map[string]any

var pointerEscapes = strings.NewReplacer("~", "~0", "/", "~1")

func definitions(resource map[string]any) defs {
	d := defs{}
	for _, kw := range []string{"definitions", "$defs"} {
		m, _ := resource[kw].(map[string]any)
		for name, def := range m {
			d["#/"+kw+"/"+pointerEscapes.Replace(name)] = def
		}
	}
	return d
}

// documentScope is the scope of the document's root: draft 2020-12 unless its "$schema" names another, as Compile
// has it.
func documentScope(doc any) *scope {
	root, _ := doc.(map[string]any)
	return &scope{defs: definitions(root), draft: draftOf(root, 2020)}
}

// drafts are the versions of the drafts the library knows, by their meta-schema's URL less the scheme.
var drafts = map[string]int{
	"json-schema.org/draft-04/schema": 4, "json-schema.org/draft-06/schema": 6, "json-schema.org/draft-07/schema": 7,
	"json-schema.org/draft/2019-09/schema": 2019, "json-schema.org/draft/2020-12/schema": 2020, "json-schema.org/schema": 2020,
}

// draftOf is the draft node's "$schema" names, else fallback.
func draftOf(node map[string]any, fallback int) int {
	url, _ := node["$schema"].(string)
	if d, ok := drafts[strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(url, "#"), "http://"), "https://")]; ok {
		return d
	}
	return fallback
}

// enter returns the scope of node, a schema in s: a resource of its own if it has an id, as the library reads one —
// "$id" ("id" in draft 4) with more than a fragment ("#name" is an anchor), except beside a "$ref" before draft
// 2019-09, which ignores the keywords beside one — under the draft its own "$schema" names, else s's.
func (s *scope) enter(node map[string]any) *scope {
	for _, draft := range []int{draftOf(node, s.draft), s.draft} {
		key := "$id"
		if draft == 4 {
			key = "id"
		}
		id, _ := node[key].(string)
		_, hasRef := node["$ref"]
		if base, _, _ := strings.Cut(id, "#"); base != "" && (draft >= 2019 || !hasRef) {
			return &scope{defs: definitions(node), draft: draft}
		}
	}
	return s
}

// deref returns the schema that node, a schema in s, stands for and the scope of that schema: node, or the
// definition its "$ref" names, followed up to MaxRefs times. The schema is nil when that is not an object (a boolean
// schema), or when the chain is longer.
func (s *scope) deref(node any) (map[string]any, *scope) {
	for range MaxRefs + 1 {
		m, _ := node.(map[string]any)
		s = s.enter(m)
		ref, _ := m["$ref"].(string)
		def, ok := s.defs[ref]
		if !ok {
			return m, s
		}
		node = def
	}
	return nil, nil
}

func isObjectSchema(node map[string]any) bool {
	t, ok := singleType(node)
	return ok && t == "object"
}

// structFields returns the columns of an object schema's properties at depth, then _extra.
func structFields(node map[string]any, depth int, reserved map[string]bool, in *scope) []Column {
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
		if c, ok := column(p, depth, in); ok {
			c.Name = name
			cols = append(cols, c)
		}
	}
	cols = append(cols, Column{Name: ExtraColumn, Type: String})
	slices.SortFunc(cols, func(a, b Column) int { return strings.Compare(a.Name, b.Name) })
	return cols
}

// column returns the column that schema, a property's or an array's items' in scope in, makes at depth, if it makes
// one.
func column(schema any, depth int, in *scope) (Column, bool) {
	node, in := in.deref(schema)
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
		fields := structFields(node, depth+1, nil, in)
		if len(fields) == 1 { // _extra only
			return Column{}, false
		}
		return Column{Type: Struct, Fields: fields}, true
	case "array":
		if _, tuple := node["prefixItems"]; tuple || depth >= MaxDepth {
			return Column{}, false
		}
		elem, ok := column(node["items"], depth+1, in)
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

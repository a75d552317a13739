package schema

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// tableSchema has a column of each kind the JSON Lines table's rules look at: bigint and timestamp columns at the
// root, in a struct, in arrays (of scalars, of structs); a column whose name is not lowercase; a property that is
// no column (no type) and one that is a column named like Hive's internal names.
const tableSchema = `{"type": "object", "properties": {
	"id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "Amount": {"type": "number"},
	"user": {"type": "object", "properties": {"id": {"type": "integer"}, "since": {"type": "string", "format": "date-time"}}},
	"ids": {"type": "array", "items": {"type": "integer"}},
	"items": {"type": "array", "items": {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}},
	"free": {}, "_col9": {"type": "string"}, "tenant": {"type": "string"}}}`

// tableRecords are records valid for tableSchema, and the reason (its start) the table gives, "" for none.
var tableRecords = []struct{ record, reason string }{
	{`{"id": 1, "at": "2026-11-25T10:59:58Z", "Amount": 1.5, "user": {"id": 2}, "ids": [1, 2], "free": {"x": 1}, "_col9": "s"}`, ""},
	{`{"id": 9223372036854775807, "ids": [-9223372036854775808]}`, ""},
	{`{"id": 1.0, "ids": [1e3, 150e-1, 9007199254740992.0, 1.152921504606846976e18]}`, ""}, // doubles hold them
	{`{"at": "2026-11-25T10:59:58.123456789Z", "user": {"since": "2026-11-25t10:59:58.1+05:30"}}`, ""},
	{`{"at": "2026-11-25T10:59:58.000000000z"}`, ""},
	{`{"other": 1, "ID2": 2, "_col": 3, "_colx": 4, "_COL0": 5, "col0": 6, "free": 1e19}`, ""},
	{`{"tenant": "a", "Tenant": "b"}`, "schema: /Tenant: the records table reads this key as its column tenant"},
	{`{"id": 18446744073709551615}`, "schema: /id: the records table's bigint column"},
	{`{"id": 1e19}`, "schema: /id: the records table's bigint column"},
	{`{"id": -9223372036854775809}`, "schema: /id: the records table's bigint column"},
	{`{"id": 9007199254740993.0}`, "schema: /id: the records table's bigint column"}, // read as …992
	{`{"ids": [1, 2e20]}`, "schema: /ids/1: the records table's bigint column"},
	{`{"user": {"id": 2, "id": 1e19}}`, "schema: /user/id: the records table's bigint column"},
	{`{"user": {"id": 1e19, "id": 2}}`, "schema: /user/id: the records table's bigint column"}, // read, then replaced
	{`{"at": "2016-12-31T23:59:60Z"}`, "schema: /at: the records table's timestamp column"},
	{`{"at": "2026-11-25T10:59:58.1234567891Z"}`, "schema: /at: the records table's timestamp column"},
	{`{"items": [{}, {"at": "2016-12-31T23:59:60Z"}]}`, "schema: /items/1/at: the records table's timestamp column"},
	{`{"user": {"since": "2016-12-31T23:59:60Z"}}`, "schema: /user/since: the records table's timestamp column"},
	{`{"id": 5, "ID": 7000}`, "schema: /ID: the records table reads this key as its column id"},
	{`{"amount": 5}`, "schema: /amount: the records table reads this key as its column Amount"},
	{`{"ıd": 5, "\u212aey": 1, "user": {"\u212a": 1, "Since": "x"}}`, "schema: /user/Since: the records table reads this key as its column since"},
	{`{"users": 1, "USER": {}}`, "schema: /USER: the records table reads this key as its column user"},
	{`{"items": [{"AT": 1}]}`, "schema: /items/0/AT: the records table reads this key as its column at"},
	{`{"_col0": 7000}`, "schema: /_col0: the records table reads a key _col<N>"},
	{`{"user": {"_col12345678901234567890": 1}}`, "schema: /user/_col12345678901234567890: the records table reads a key _col<N>"},
	{`{"id": 1e19, "_col0": 1}`, "schema: /id: the records table's bigint column"}, // the first in document order
}

// TestJSONLinesTable holds ForJSONLines to its rules (tableRecords), and every fast path (on the tree, on the text,
// in steps) to Validate: certain of no record the table cannot read.
func TestJSONLinesTable(t *testing.T) {
	plain := compile(t, tableSchema)
	s := plain.ForJSONLines([]string{"tenant2"})
	for doc, table := range map[string]bool{tableSchema: true, `{"type": "array"}`: false,
		`{"type": "object", "properties": {"x": {}, "year": {"type": "string"}}}`: false} {
		if s := compile(t, doc); (s.ForJSONLines([]string{"year"}) != s) != table {
			t.Errorf("%s: ForJSONLines makes a table: %v, want %v", doc, !table, table)
		}
	}
	for _, r := range tableRecords {
		v := value(t, r.record)
		if err := slowValidate(plain, v); err != nil {
			t.Fatalf("%s: the schema must accept it: %v", r.record, err)
		}
		err := s.Validate(v)
		if got := fmt.Sprint(err); r.reason == "" && err != nil || r.reason != "" && !strings.HasPrefix(got, r.reason) {
			t.Errorf("%s: Validate says %v, want %q", r.record, err, r.reason)
		}
		sure, text, steps := s.root.sure(v, 0, new(s.treeSteps(v))), s.SureText(compactOf(t, r.record), 0),
			checkSteps(s.Check(), v, 0) && !shadows(v)
		if err != nil && (sure || text || steps) {
			t.Errorf("%s: %v, yet the fast paths are certain of it: tree %v, text %v, steps %v", r.record, err, sure, text, steps)
		}
		if err == nil && !strings.Contains(r.record, `"id": 1.0`) && !strings.Contains(r.record, "free") && !(sure && text && steps) {
			t.Errorf("%s: valid for the table, but a fast path is not certain: tree %v, text %v, steps %v", r.record, sure, text, steps)
		}
		if plainErr := plain.Validate(v); plainErr != nil {
			t.Errorf("%s: without the table, Validate says %v", r.record, plainErr)
		}
	}
}

// TestJSONLinesTableRandomSchemas holds the fast paths to Validate (the library's verdict, then the table's rules)
// for random column schemas: a property a of one to three fragments, beside a bigint and a timestamp column.
func TestJSONLinesTableRandomSchemas(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	tables, certain, checked := 0, 0, 0
	for range 300 {
		var parts []string
		for range 1 + rng.IntN(3) {
			parts = append(parts, fragments[rng.IntN(len(fragments))])
		}
		doc := fmt.Sprintf(`{"type": "object", "properties": {"a": {%s}, "b": {"type": "integer"},
			"c": {"type": "string", "format": "date-time"}}, "$defs": {"n": {"type": ["number", "object"]}}}`,
			strings.Join(parts, ", "))
		plain, err := Compile([]byte(doc), "mem://schema.json")
		if err != nil {
			continue
		}
		s := plain.ForJSONLines(nil)
		tables++
		for _, vs := range values {
			for _, record := range []string{`{"a": ` + vs + `}`, `{"A": ` + vs + `}`, `{"a": ` + vs + `, "b": 1e19}`,
				`{"_col1": ` + vs + `, "c": "2026-11-25T10:59:58Z"}`, `{"b": 2, "a": ` + vs + `, "c": "2016-12-31T23:59:60Z"}`} {
				v := value(t, record)
				want := slowValidate(s, v)
				if want == nil {
					want = s.root.misread(v, nil)
				}
				if got := s.Validate(v); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("schema %s, record %s: Validate says %v, want %v", doc, record, got, want)
				}
				sure := s.root.sure(v, 0, new(s.treeSteps(v)))
				if want != nil && (sure || s.SureText(compactOf(t, record), 0) || checkSteps(s.Check(), v, 0)) {
					t.Fatalf("schema %s, record %s: %v, yet a fast path is certain of it", doc, record, want)
				}
				if sure {
					certain++
				}
				checked++
			}
		}
	}
	if tables < 200 || certain < checked/10 {
		t.Fatalf("%d tables, the fast path certain of %d of %d records", tables, certain, checked)
	}
}

// TestBigintReads holds the bigint rule to what the SerDe reads: a literal without fraction or exponent as a long,
// any other through the nearest double.
func TestBigintReads(t *testing.T) {
	for lit, want := range map[string]bool{
		"0": true, "-9223372036854775808": true, "9223372036854775807": true, "9223372036854775808": false,
		"1.0": true, "1e3": true, "-1.5e1": true, "1.5": false, "9007199254740992.0": true,
		"9007199254740993.0": false, "9223372036854775807.0": true, "9.223372036854775807e18": true,
		"9.223372036854775806e18": false, "1e19": false, "-9.223372036854775808e18": true, "0.0e-999": true,
	} {
		if got := bigintReads(lit); got != want {
			t.Errorf("bigintReads(%s) = %v, want %v", lit, got, want)
		}
	}
}

// TestJSONLinesTableThroughReferences: the columns a schema declares through "$ref" to definitions (the record's, a
// struct's, an array's elements, a scalar's) get the table's rules too, and the fast paths stay certain of the
// records the table reads.
func TestJSONLinesTableThroughReferences(t *testing.T) {
	plain := compile(t, `{"$ref": "#/$defs/row", "$defs": {
		"row": {"type": "object", "properties": {"id": {"$ref": "#/$defs/id"}, "at": {"type": "string", "format": "date-time"},
			"ids": {"$ref": "#/$defs/ids"}, "user": {"$ref": "#/$defs/user"}}},
		"id": {"type": "integer"}, "ids": {"type": "array", "items": {"type": "integer"}},
		"user": {"type": "object", "properties": {"id": {"type": "integer"}}}}}`)
	s := plain.ForJSONLines(nil)
	var types []string
	for _, c := range plain.Columns(nil) {
		types = append(types, c.Name+":"+c.HiveType())
	}
	if got := strings.Join(types, " "); got != "_extra:string at:timestamp id:bigint ids:array<bigint> user:struct<_extra:string,id:bigint>" {
		t.Fatalf("columns %s: not the ones the references make", got)
	}
	for record, reason := range map[string]string{
		`{"id": 1, "at": "2026-11-25T10:59:58Z", "ids": [1], "user": {"id": 2}, "x": 1}`: "",
		`{"id": 1e19}`:                   "schema: /id: the records table's bigint column",
		`{"ids": [1, 1e19]}`:             "schema: /ids/1: the records table's bigint column",
		`{"user": {"id": 1e19}}`:         "schema: /user/id: the records table's bigint column",
		`{"at": "2016-12-31T23:59:60Z"}`: "schema: /at: the records table's timestamp column",
		`{"Id": 1}`:                      "schema: /Id: the records table reads this key as its column id",
		`{"user": {"_col0": 1}}`:         "schema: /user/_col0: the records table reads a key _col<N>",
	} {
		v := value(t, record)
		err := s.Validate(v)
		if got := fmt.Sprint(err); reason == "" && err != nil || reason != "" && !strings.HasPrefix(got, reason) {
			t.Errorf("%s: Validate says %v, want %q", record, err, reason)
		}
		sure, text, steps := s.root.sure(v, 0, new(s.treeSteps(v))), s.SureText(compactOf(t, record), 0), checkSteps(s.Check(), v, 0)
		if (err != nil) == (sure || text || steps) || err == nil && !(sure && text && steps) {
			t.Errorf("%s: %v; fast paths certain: tree %v, text %v, steps %v", record, err, sure, text, steps)
		}
	}
}

// FuzzJSONLinesTable holds the fast paths of tableSchema's table to Validate on records from the input.
func FuzzJSONLinesTable(f *testing.F) {
	for _, r := range tableRecords {
		f.Add(r.record)
	}
	s := compile(f, tableSchema).ForJSONLines(nil)
	f.Fuzz(func(t *testing.T, record string) {
		v, err := jsonvalue.Decode([]byte(record))
		if err != nil {
			return
		}
		want := s.Validate(v)
		if want != nil && (s.root.sure(v, 0, new(s.treeSteps(v))) || s.SureText([]byte(record), 0) || checkSteps(s.Check(), v, 0) && !shadows(v)) {
			t.Fatalf("%s: %v, yet a fast path is certain of it", record, want)
		}
	})
}

// shadows reports whether an object of v repeats a key: the Check steps see its last member only, as the
// transform's writer writes it.
func shadows(v jsonvalue.Value) bool {
	for i := range v.Len() {
		if v.Kind() == jsonvalue.Object && v.Shadowed(i) || shadows(v.Index(i)) {
			return true
		}
	}
	return false
}

// TestJSONLinesTableCopiesAreBounded: a schema whose subschemas refer to each other many times over (allOf of
// references, each to more of them) makes a bounded number of copies, and its table still rejects what it cannot
// read.
func TestJSONLinesTableCopiesAreBounded(t *testing.T) {
	refs := func(to string) string {
		return `{"allOf": [` + strings.Repeat(`{"$ref": "#/$defs/`+to+`"}, `, 39) + `{"$ref": "#/$defs/` + to + `"}]}`
	}
	s := compile(t, `{"type": "object", "properties": {"id": {"type": "integer"}}, "allOf": [{"$ref": "#/$defs/a"}],
		"$defs": {"a": `+refs("b")+`, "b": `+refs("c")+`, "c": `+refs("a")+`}}`)
	cp := &tableCopier{left: maxTableCopies}
	table := *s
	table.root = cp.table(s.root, s.Columns(nil))
	if copies := maxTableCopies - cp.left; copies > 2*maxTableCopies {
		t.Fatalf("%d copies, more than %d", copies, 2*maxTableCopies)
	}
	// (The library takes long on this schema: what it would say comes from the fast path and the reason walk.)
	if v := value(t, `{"id": 1e19}`); table.root.sure(v, 0, new(table.treeSteps(v))) || table.root.misread(v, nil) == nil {
		t.Error(`{"id": 1e19}: the table takes it`)
	}
}

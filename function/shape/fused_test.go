package shape

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// The fused path (transform/fused.go) is held to the tree path it short-cuts: a Shaper that needs no tree
// (SkipValue) may take it, one that keeps the tree never does, and both must give the same record, keep flag and
// reason for every input.

// fusedTransforms are transforms of the fused path's class (the first is the benchmarks'), and one outside it.
var fusedTransforms = []string{
	`del(.user.email) | .duration_s = (.duration_ms / 1000)`,
	`del(.user.email, .page.referrer) | .duration_s = (.duration_ms / 1000 | floor)`,
	`.user.id |= . + 1`,
	`.flag = (.user.logged_in and .duration_ms > 100) | del(.device)`,
	`.label = (.event_type + "-" + .page.category) | .page.url = null`,
	`.x = (.missing // .page.referrer // "none") | .duration_s = .duration_ms`,
	`.user.note = (if .user.logged_in then "in" elif .user.id > 100 then 1.5 else null end)`,
	`.duration_ms |= tostring | .s = (.duration_ms * 1.5)`,
	`.t = (.user.id.x) | del(.nope.deeper)`,
	`.duration_s = (.duration_ms / 0)`,
	`.a = 1 | .a = (.a + 0.5) | .b = "tab\there é" | del(.a)`,
	`.session_id.x = 1`,
	`del(.user) | .user2 = .user.id`,
	`del(.user, .user.id) | del(.page.url, .page)`, // every path found in the input before any is deleted
	`.page.x = (.duration_ms % 7 == 0) | ."odd\u0001key" = 3`,
	`select(.duration_ms > 5) | del(.user)`,
}

// fusedSchemas are schemas to check the output with: the benchmarks', none, stricter and looser ones.
var fusedSchemas = []string{
	benchdata.Schema,
	``,
	`{}`,
	`{"type": "object", "required": ["duration_s"], "properties": {"duration_s": {"type": "integer"},
	  "user": {"type": "object", "additionalProperties": false, "properties": {"id": {"type": "integer", "maximum": 40000},
	  "name": {"type": "string", "maxLength": 12}, "logged_in": {"type": "boolean"}}}}}`,
	`{"type": "object", "properties": {"page": {"$ref": "#/$defs/page"}, "flag": {"const": true},
	  "event_type": {"enum": ["click", "page_view"]}, "label": {"pattern": "^click"}},
	  "$defs": {"page": {"type": "object", "properties": {"referrer": {"type": "string"}}}}}`,
}

// fusedCaps are MaxValues to shape with: none, and caps around a bench record's count of values.
var fusedCaps = []int{0, 30, 36, 38, 40}

// fusedOptions compiles a transform and a schema ("": none).
func fusedOptions(t testing.TB, expr, schemaDoc string) Options {
	tr, err := transform.Compile(expr)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Transform: tr}
	if schemaDoc != "" {
		if o.Schema, err = schema.Compile([]byte(schemaDoc), "fused.schema.json"); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

// fusedShapers returns a Shaper that may take the fused path, and one that keeps the tree and so does not.
func fusedShapers(o Options, maxValues int) (fused, tree *Shaper) {
	return &Shaper{Options: o, MaxValues: maxValues, SkipValue: true}, &Shaper{Options: o, MaxValues: maxValues}
}

// shapeBoth shapes data with both Shapers, fails the test where they differ, and reports whether the fused one took
// the fused path.
func shapeBoth(t testing.TB, fused, tree *Shaper, data []byte) bool {
	t.Helper()
	before := fused.scratch.Fused
	got, gotKeep, gotErr := fused.Shape(context.Background(), data)
	taken := fused.scratch.Fused > before
	want, wantKeep, wantErr := tree.Shape(context.Background(), data)
	if string(got.JSON) != string(want.JSON) || got.Compact != want.Compact || gotKeep != wantKeep ||
		fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%s\nfused path taken: %v\ngot  %s compact %v keep %v err %v\nwant %s compact %v keep %v err %v", data, taken,
			got.JSON, got.Compact, gotKeep, gotErr, want.JSON, want.Compact, wantKeep, wantErr)
	}
	return taken
}

// TestFusedIsTaken makes sure that the benchmarks measure the fused path: it takes all but the first records of
// the bench batch (two of each key sequence, from which it makes its plans), with the output of the tree path.
func TestFusedIsTaken(t *testing.T) {
	w, err := benchdata.Clickstream()
	if err != nil {
		t.Fatal(err)
	}
	fused, tree := fusedShapers(fusedOptions(t, fusedTransforms[0], benchdata.Schema), 300_000)
	taken := 0
	for _, data := range w.Data {
		if shapeBoth(t, fused, tree, data) {
			taken++
		}
	}
	if taken < len(w.Data)-2 {
		t.Fatalf("the fused path took %d of %d records", taken, len(w.Data))
	}
	// Records that end in a line break or other white space, as many producers send them, are taken too.
	fused, tree = fusedShapers(fusedOptions(t, fusedTransforms[0], benchdata.Schema), 300_000)
	taken = 0
	ends := []string{"\n", "\r\n", " \n\t"}
	for i, data := range w.Data[:300] {
		if shapeBoth(t, fused, tree, append(slices.Clip(data), ends[i%len(ends)]...)) {
			taken++
		}
	}
	if taken < 300-2 {
		t.Fatalf("the fused path took %d of 300 records that end in white space", taken)
	}
}

// fusedMutations are changes to a bench record (as the generator writes it), each one something the fused path
// must either not take or take as the tree path does. Those marked taken it takes, with the first transform and
// schema, once it has a plan of their key sequence.
var fusedMutations = []struct {
	old, new string
	taken    bool
}{
	{``, ``, true},
	{`"name":"`, `"name":"名前 `, true},
	{`"duration_ms":`, `"duration_ms":-0,"a":`, true},
	{`"user":{"id":`, `"user":{"user":{"id":1},"id":`, true},
	{`"duration_ms":`, `"duration_ms":1,"duration_ms":`, true},
	{`"duration_ms":`, `"duration_s":-1,"duration_ms":`, true},
	{`"page":{`, `"page":{"page":{"page":{}},`, true},
	{`"referrer":`, `"referrer":"http://x","r":`, true},
	{`"event_type":`, `"event_typo":`, false},
	{`"user":{`, `"user":{"dup":1,"dup":{"x":2},`, false},
	{`"device":{`, `"device":{"tags":["a",1],`, false},
	{`"name":"`, `"name":"\u00e9\"`, false},
	{`"name":"`, `"name":"` + "\x7f", false},
	{`"name":"`, `"name":"` + "\xff", false},
	{`"id":`, `"id\u0000":0,"id":`, false},
	{`"id":`, `"id":1.0,"x":`, false},
	{`"id":`, `"id":"x","y":`, false},
	{`"id":`, `"id":null,"y":`, false},
	{`{"event_id"`, `{ "event_id"`, false},
	{`"duration_ms":`, `"duration_ms":1e2,"a":`, false},
	{`"duration_ms":`, `"duration_ms":-5,"a":`, false},
	{`"duration_ms":`, `"duration_ms":12345678901234567890123,"a":`, false},
	{`"duration_ms":`, `"duration_ms":1e400,"a":`, false},
	{`"duration_ms":`, `"duration_ms":0.5,"a":`, false},
	{`"duration_ms":`, `"duration_ms":"7","a":`, false},
	{`"duration_ms":`, `"duration_ms":true,"a":`, false},
	{`"user":{`, `"user":null,"u":{`, false},
	{`"user":{`, `"user":"x","u":{`, false},
	{`"page":{`, `"page":[],"p":{`, false},
	{`"event_time":"`, `"event_time":"x`, false},
	{`"event_type":"`, `"event_type":"z`, false},
	{`"event_id":"`, `"event_id":"toolong`, false},
	{`"logged_in":`, `"logged_in":false,"l":`, false},
	{`}}`, `}},"x":{}}`, false},
	{`}`, `}}`, false},
	{`"device"`, `"dev\"ice"`, false},
}

// TestFusedAsTheTreePath shapes mutations of bench records with transforms and schemas of the fused path's class,
// each mutation after records that taught the Shaper their key sequence, and compares the two paths.
func TestFusedAsTheTreePath(t *testing.T) {
	w, err := benchdata.Clickstream()
	if err != nil {
		t.Fatal(err)
	}
	records, caps := w.Data[:4], fusedCaps
	if testing.Short() {
		records, caps = w.Data[:1], []int{0, 36}
	}
	for ti, expr := range fusedTransforms {
		for si, doc := range fusedSchemas {
			o := fusedOptions(t, expr, doc)
			for _, maxValues := range caps {
				fused, tree := fusedShapers(o, maxValues)
				for _, base := range records {
					for _, m := range fusedMutations {
						data := []byte(strings.Replace(string(base), m.old, m.new, 1))
						taken := false
						for range 3 { // the third time, a plan of its own key sequence
							taken = shapeBoth(t, fused, tree, data)
						}
						if m.taken && !taken && ti == 0 && si <= 1 && maxValues == 0 {
							t.Errorf("the fused path did not take %s", data)
						}
						shapeBoth(t, fused, tree, base)
					}
				}
				if fused.scratch.Fused == 0 && ti == 0 && si == 0 && maxValues == 0 {
					t.Errorf("transform %d, schema %d, cap %d: the fused path took no record", ti, si, maxValues)
				}
			}
		}
	}
}

// FuzzFused shapes a record three times (the third time with a plan of its key sequence, if it has one), after a
// bench record, with a transform and a schema of the tests', and compares the two paths.
func FuzzFused(f *testing.F) {
	w, err := benchdata.Clickstream()
	if err != nil {
		f.Fatal(err)
	}
	for i, m := range fusedMutations {
		base := string(w.Data[i%3])
		f.Add(strings.Replace(base, m.old, m.new, 1), uint8(i))
	}
	for i, m := range tableMutations {
		f.Add(regexp.MustCompile(m.old).ReplaceAllLiteralString(string(w.Data[i%3]), m.new), uint8(i))
	}
	var options []Options // each transform with each schema, compiled once: compiling a schema takes long
	for _, doc := range fusedSchemas {
		for _, expr := range fusedTransforms {
			options = append(options, fusedOptions(f, expr, doc))
		}
	}
	for _, expr := range fusedTransforms { // and with the JSON Lines table's rules (schema.ForJSONLines)
		o := fusedOptions(f, expr, benchdata.Schema)
		o.Schema = o.Schema.ForJSONLines(nil)
		options = append(options, o)
	}
	f.Fuzz(func(t *testing.T, record string, which uint8) {
		fused, tree := fusedShapers(options[int(which)%len(options)], fusedCaps[int(which)%len(fusedCaps)])
		shapeBoth(t, fused, tree, w.Data[0])
		for range 3 {
			shapeBoth(t, fused, tree, []byte(record))
		}
		shapeBoth(t, fused, tree, w.Data[1])
	})
}

// TestFusedRests checks that records that follow no plan, one after another (objects used as maps), make the
// Shaper stop trying its plans for a while, and then try them again.
func TestFusedRests(t *testing.T) {
	w, err := benchdata.Clickstream()
	if err != nil {
		t.Fatal(err)
	}
	fused, tree := fusedShapers(fusedOptions(t, fusedTransforms[0], ""), 0)
	shapeMaps := func(n int) {
		for i := range n {
			shapeBoth(t, fused, tree, fmt.Appendf(nil, `{"k%d":%d}`, i, i))
		}
	}
	if shapeBoth(t, fused, tree, w.Data[0]) || shapeBoth(t, fused, tree, w.Data[1]) || !shapeBoth(t, fused, tree, w.Data[2]) {
		t.Fatal("the fused path took a record before its plan, or not after")
	}
	shapeMaps(64)
	if shapeBoth(t, fused, tree, w.Data[3]) {
		t.Fatal("the fused path took a record after 64 in a row without a plan")
	}
	shapeMaps(1024)
	if !shapeBoth(t, fused, tree, w.Data[4]) {
		t.Fatal("the fused path did not take a record after resting")
	}
}

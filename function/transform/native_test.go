package transform

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/itchyny/gojq"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kinesis2s3/kinesis2s3/function/jsoncompact"
	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// nativeExprs are expressions of the native subset, with what they meet in nativeRecords: odd numbers, escapes,
// repeated keys, nulls, missing members, wrong types.
var nativeExprs = []string{
	`.`,
	`del(.user.email) | .duration_s = (.duration_ms / 1000)`,
	`.a`, `.a.b`, `."a"`, `.["a"]`, `.a["b"]`, `."k y"`, `.["é"]`, `(.a).b`,
	`null`, `true`, `false`, `1`, `-1`, `1.50`, `1e2`, `-0`, `0.1`, `1e-7`, `"x\u00e9\n\u0000"`, `+2`,
	`.a | .b`, `.a // "none"`, `.n // .a`, `false // 1`,
	`.n + 1`, `.n - 0.5`, `.n * 3`, `.n / 1000`, `.n / 3`, `.n % 7`, `.n / 0`, `.n % 0`, `.f * 1e10`, `.f % 2`,
	`.n / 10`, `.n / 100`, `.n / 1e3`, `.n / 1000.0`, `.n / 100 / 10`, `.n / 1000000`, `.n / 10000000`, `.n / -10`,
	`.duration_ms / 100`, `-7 / 1000`, `.f / 10`,
	`.n + .f`, `.s + "!"`, `.s + .s`, `null + .n`, `.n + null`, `.a + .user`, `.user + {x: 1}`, `.s - 1`, `.s * 2`,
	`.big + 1`, `.n * .n * .n * .n`, `.n - .n`, `0 - .f`, `.f - .f`, `(-.5) * 0`,
	`.f | floor`, `.f | ceil`, `.f | round`, `.n | floor`, `.s | floor`, `-0.5 | ceil`, `.n | tostring`,
	`. | tostring`, `.user | tostring`, `.s | tostring`, `.a | tostring`,
	`del(.a)`, `del(.user.email, .s)`, `del(.user, .user.email)`, `del(.nope.deeper)`, `del(.s.x)`, `del(.a.b)`,
	`.x = 1`, `.a.b.c = .n`, `.user.email = null`, `.s.x = 1`, `.n = (.n / 1000)`, `.user = .`,
	`.n |= . + 1`, `.x |= .`, `.a.b |= 1`, `.s |= . + "?"`, `.user.name |= tostring`,
	`{a: .n, "b c": .s, user, "f"}`, `{a: 1, a: 2}`, `{}`, `{e: .user.email} | .e`, `{x: .s.y}`,
	`.user.name = "é\u0007\u007f\u2028"`,
	`(-1.) * 0`, `0 / -1`, `.n / -1`, `(.f | floor) * -1`, `(.n | ceil) * 0`, `1.0 + 1`, `.f * 4 | . * -0`,
	`1e300 * 1e300`, `.n * 1e20`, `(.n | floor) + 9007199254740992`,
	`.n == 42`, `.n != .f`, `.n < .f`, `.n <= 8`, `.f > 2`, `.f >= 2.5`, `.s == "str"`, `.s < "t"`, `.a == null`,
	`null < false`, `false < true`, `true < 0`, `0 < ""`, `.user == .user`, `.n == 42.0`, `.f == (5 / 2)`,
	`.n and .s`, `.a or false`, `null or null`, `.n and (.s + 1)`, `false and (.s + 1)`, `.n or (.s * .s)`,
	`not`, `.a | not`, `.n | not`, `if .n > 10 then "big" elif .n then "small" else "none" end`, `if .a then .a end`,
	`select(.n > 10)`, `select(.a) | .a`, `.x = 1 | select(.n != 42) | del(.user)`, `select(true)`, `select(null)`,
	`select(.user.email != null) | .user.email`,
	// Members of every kind in objects written with their shape (met before): an integral float computed, booleans,
	// null, strings that need escaping.
	`.g = (.n * 1.0) | .h = true | .i = (.f > 1) | .j = null | .k = .s`, `.user.x = (.f * 2) | .user.y = .a`,
}

var nativeRecords = []string{
	`{"user":{"email":"a@b.c","name":"Zoë"},"duration_ms":1234,"n":42,"f":2.5,"s":"str\"\\\u0001\u007f<>&","a":{"b":{}}}`,
	`{"n":1.0,"f":-0.0,"s":"","user":null,"duration_ms":1e3,"z":1E+2,"x":[1,2.50,{"b":1,"a":2}]}`,
	`{"n":9007199254740993,"f":1e400,"big":123456789012345678901234567890,"user":{"email":null}}`,
	`{"n":-7,"f":1e-7,"n":8,"user":{"email":"x","email":"y"},"duration_ms":-1}`,
	`{"a":{"a":"x","b":1},"b":1}`, // an object inside one with the same keys: each has its own member checks
	`{"n":9007199254740992,"f":0.1,"duration_ms":0.5,"s":"\ud83d\ude00 é \u2028"}`,
	`{"n":"42","f":true,"s":5,"user":"x","a":[1]}`,
	`{"duration_ms":3000000000000000000,"n":-9007199254740992,"f":123456789.123456789}`,
	`{}`, `null`, `[1,2]`, `"s"`, `12.0`, `{"a":null,"user":{}}`,
	`{"b":1,"a":2,"c":{"z":1,"y":[{"q":1,"p":2}]},"A":3,"é":4,"k y":5}`,
	// Key sequences that share a fingerprint (shapes.go), and one with a repeated key: met in turn, each is written
	// with its own key order.
	"{\"s\":\"a\x7fb\",\"t\x7f\":\"0123456789\x7fabcdef\",\"u\":\"plain, of some length\"}", // DEL, as it is: gojq escapes it
	`{"axb":1,"c":{"b":1,"a":2}}`,
	`{"b":{"y":1,"x":2},"` + strings.Repeat("k", 1100) + `":1}`, // keys too long for a shape to keep: sorted each time
	`{"ayb":2,"c":{"a":1,"b":2}}`, `{"axb":1,"axb":{"b":1,"a":2}}`,
	`{"t":1,"s":2,"r":3,"q":4,"p":5,"o":6,"n":7,"m":8,"l":9,"k":10,"j":11,"i":12,"h":13,"g":14,"f":15,"e":16,"d":17,"s":18,"user":{"b":1,"a":2},"n":-3}`,
}

// viaGojq is the record's output the gojq way: Apply on Value.Any, gojq.Marshal, and decoding the text.
func viaGojq(t *Transform, in jsonvalue.Value, maxValues int) (out jsonvalue.Value, text []byte, keep bool, err error) {
	o, keep, err := t.Apply(context.Background(), in.Any())
	if err != nil || !keep {
		return out, nil, keep, err
	}
	if text, err = gojq.Marshal(o); err != nil {
		return out, nil, false, err
	}
	dec := jsonvalue.Decoder{MaxValues: maxValues}
	out, err = dec.Decode(text)
	return out, text, true, err
}

// sameAsGojq checks what the native evaluator does with expr on record against the gojq way, and reports whether
// it ran the record.
func sameAsGojq(t *testing.T, expr, record string, maxValues int) bool {
	t.Helper()
	tr, err := Compile(expr)
	if err != nil {
		return false
	}
	return sameWithGojq(t, tr, expr, record, &Scratch{MaxValues: maxValues})
}

// sameWithGojq is sameAsGojq with a compiled expression and a Scratch, which may have run other records before (and
// so have the shapes of their objects).
func sameWithGojq(t *testing.T, tr *Transform, expr, record string, s *Scratch) bool {
	t.Helper()
	in, err := jsonvalue.Decode([]byte(record))
	if err != nil {
		return false
	}
	maxValues := s.MaxValues
	got, text, ok := tr.ApplyNative(in, s)
	if !ok {
		return false
	}
	want, wantText, keep, err := viaGojq(tr, in, maxValues)
	if err != nil || keep != (text != nil) {
		t.Errorf("%s on %s: native gave %s, gojq keep %v, error %v", expr, record, text, keep, err)
		return true
	}
	if !bytes.Equal(text, wantText) {
		t.Errorf("%s on %s:\n native %s\n gojq   %s", expr, record, text, wantText)
	}
	// The JSON Lines writer takes the output as it is (shape.Record.Compact): it must be its own compact form.
	if compact, err := jsoncompact.AppendCompact(nil, text); text != nil && (err != nil || !bytes.Equal(compact, text)) {
		t.Errorf("%s on %s: the output %s is not compact JSON (%s, %v)", expr, record, text, compact, err)
	}
	if !jsonvalue.Equal(got, want) {
		t.Errorf("%s on %s: the tree is not the one decoding %s gives", expr, record, wantText)
	}
	if text != nil {
		checkedLikeLibrary(t, tr, expr, record, in, s, text, want)
	}
	return true
}

func TestNativeMatchesGojq(t *testing.T) {
	runs := 0
	for _, expr := range nativeExprs {
		if tr, err := Compile(expr); err != nil || tr.native == nil {
			t.Errorf("%s: not compiled natively (%v)", expr, err)
		}
		for _, record := range nativeRecords {
			if sameAsGojq(t, expr, record, 0) {
				runs++
			}
		}
	}
	t.Logf("%d of %d pairs ran natively", runs, len(nativeExprs)*len(nativeRecords))
	// And with one Scratch for all the records, twice over: the shapes of objects met before are taken from it.
	for _, expr := range nativeExprs {
		tr, err := Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		var s Scratch
		for range 3 {
			for _, record := range nativeRecords {
				sameWithGojq(t, tr, expr, record, &s)
			}
		}
	}
	// Most pairs are native; the rest (wrong types, big numbers, …) went to gojq.
	if total := len(nativeExprs) * len(nativeRecords); runs < total/2 {
		t.Errorf("only %d of %d pairs ran natively", runs, total)
	}
}

func TestNativeRunsTheBenchTransform(t *testing.T) {
	tr, err := Compile(`del(.user.email) | .duration_s = (.duration_ms / 1000)`)
	if err != nil {
		t.Fatal(err)
	}
	in := decode(t, `{"user":{"name":"x","email":"a@b"},"duration_ms":1234,"page":"/"}`)
	out, text, ok := tr.ApplyNative(in, new(Scratch))
	if !ok {
		t.Fatal("not native")
	}
	if want := `{"duration_ms":1234,"duration_s":1.234,"page":"/","user":{"name":"x"}}`; string(text) != want {
		t.Errorf("got %s, want %s", text, want)
	}
	if v, _ := out.Get("duration_s"); v.Text() != "1.234" {
		t.Errorf("tree: duration_s %q", v.Text())
	}
}

// TestNativeOnTheBenchRecords holds the native evaluator to the gojq way on the 4,800 records of the benchmarks.
func TestNativeOnTheBenchRecords(t *testing.T) {
	w, err := benchdata.Clickstream()
	if err != nil {
		t.Fatal(err)
	}
	for _, expr := range []string{
		`del(.user.email) | .duration_s = (.duration_ms / 1000)`,
		`select(.user.logged_in) | {id: .event_id, type: .event_type, ms: (.duration_ms // 0), country: .device.country}`,
	} {
		tr, err := Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		var s Scratch // shared, as in Shape
		var texts, copies [][]byte
		for _, d := range w.Data {
			if !sameWithGojq(t, tr, expr, string(d), &s) {
				t.Fatalf("%s on %s: not native", expr, d)
			}
			in, _ := jsonvalue.Decode(d)
			_, text, _ := tr.ApplyNative(in, &s)
			texts, copies = append(texts, text), append(copies, bytes.Clone(text))
		}
		// The texts are the caller's: the records after did not change them.
		for i := range texts {
			if !bytes.Equal(texts[i], copies[i]) {
				t.Fatalf("%s: the text of record %d changed to %s", expr, i, texts[i])
			}
		}
	}
}

func TestNativeLeavesOtherExpressionsToGojq(t *testing.T) {
	for _, expr := range []string{
		`.[0]`, `.a[]`, `.a?`, `empty`, `.a, .b`, `if . then 1, 2 else 3 end`, `"\(.a)"`, `@base64`,
		`def f: .; f`, `.a += 1`, `{(.a): 1}`, `. as $x | {$x}`, `. as [$a] | .`, `. as [$a] | select(.a)`, `.a as {$b} | .b`, `del(.[0])`, `.[] = 1`, `. = 1`, `del(.)`,
		`-.a`, `length`, `(.a | select(.b))`, `{a: select(.b)}`, `[select(.a)]`, `select(.a, .b)`, `.a == [1]`, `1e1000`, `100000000000000000000`, `9007199254740993`, `try .a`, `reduce . as $x (0; 1)`,
		`.a.b[1:]`, `ltrimstr("x")`, `.a as $x | $x`,
	} {
		tr, err := Compile(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if tr.native != nil {
			t.Errorf("%s: compiled natively", expr)
		}
	}
}

func TestNativeLeavesLargeOutputsToGojq(t *testing.T) {
	// Keys a and x, their arrays and the arrays' 3 elements each: 10 values and keys, as the decoder counts them.
	const expr, record = `.x = .a`, `{"a":[1,2,3]}`
	tr, err := Compile(expr)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := tr.ApplyNative(decode(t, record), &Scratch{MaxValues: 9}); ok {
		t.Error("an output over MaxValues ran natively")
	}
	if !sameAsGojq(t, expr, record, 10) {
		t.Error("an output at MaxValues did not run natively")
	}
}

func TestNativeLeavesTooDeepOutputsToGojq(t *testing.T) {
	// The record nests jsonvalue.MaxDepth - 1 deep; .b = . makes it MaxDepth deep, .b.c = . one more.
	deep := `{"a":` + strings.Repeat("[", jsonvalue.MaxDepth-2) + strings.Repeat("]", jsonvalue.MaxDepth-2) + `}`
	if !sameAsGojq(t, `.b = .`, deep, 0) {
		t.Error("an output MaxDepth deep did not run natively")
	}
	tr, err := Compile(`.b.c = .`)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := tr.ApplyNative(decode(t, deep), new(Scratch)); ok {
		t.Error("an output deeper than MaxDepth ran natively")
	}
	if _, _, _, err := viaGojq(tr, decode(t, deep), 0); err == nil {
		t.Error("gojq's output deeper than MaxDepth decoded")
	}
}

// FuzzNative holds the native evaluator to the gojq way on any expression and record; its seeds are the table.
func FuzzNative(f *testing.F) {
	for _, expr := range nativeExprs {
		for _, record := range nativeRecords {
			f.Add(expr, record)
		}
	}
	var shared Scratch // the shapes of the records before
	f.Fuzz(func(t *testing.T, expr, record string) {
		if !sameAsGojq(t, expr, record, 0) {
			return
		}
		tr, _ := Compile(expr)
		for range 2 { // the second time, the record's shapes are known
			sameWithGojq(t, tr, expr, record, &shared)
		}
	})
}

// TestDecimalQuotient holds the decimal quotients to the float64 division and its formatting (num.value), which
// gojq does.
func TestDecimalQuotient(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	as := []int64{1, -1, 7, -7, 999999999999999, -999999999999999, 1000000000000001, 123456789012345, 62036, 10, 100001}
	for range 20000 {
		as = append(as, rng.Int64N(1e15), -rng.Int64N(1e6), rng.Int64N(1e4))
	}
	for _, b := range []int64{0, 1, -10, 3, 10, 20, 100, 1000, 10000, 100000, 1000000, 10000000} {
		for _, a := range as {
			got, ok := appendDecimalQuotient(nil, a, b)
			if !ok {
				continue
			}
			want, _ := num{f: float64(a) / float64(b)}.value()
			if string(got) != want.Text() {
				t.Fatalf("%d / %d: %s, want %s", a, b, got, want.Text())
			}
		}
	}
	// From 10^15 on, the quotient's nearest float64 may be written otherwise: 9007199254440993 / 10 is
	// 900719925444099.2 in gojq.
	for _, c := range [][2]int64{{1, 0}, {5, 3}, {10, 10}, {7, 1e7}, {1e15, 10}, {1, -10}, {9007199254440993, 10}} {
		if _, ok := appendDecimalQuotient(nil, c[0], c[1]); ok {
			t.Errorf("%d / %d: written as a decimal quotient", c[0], c[1])
		}
	}
}

// TestShapesAreBounded feeds a Scratch objects with ever new keys, met twice (when a shape is made) or once, and a
// record of many objects: what it keeps stays within the cache's bounds, and keys too long are not kept at all.
func TestShapesAreBounded(t *testing.T) {
	tr, err := Compile(`.`)
	if err != nil {
		t.Fatal(err)
	}
	var s Scratch
	for i := range 2000 {
		long := strings.Repeat("k", maxShapeBytes/2)
		record := fmt.Sprintf(`{"a%d":1,"b":{"%s%d":1,"%s":2}}`, i, long, i, long)
		for range 2 {
			in, err := jsonvalue.Decode([]byte(record))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, ok := tr.ApplyNative(in, &s); !ok {
				t.Fatalf("%s: not native", record)
			}
		}
	}
	// Key sequences met once each, only noted; and a record of more objects than a Scratch keeps the places of.
	records := []string{"[" + strings.Repeat(`{"x":1},`, 2*maxShapes) + "{}]"}
	for i := range 4 * maxShapes {
		records = append(records, fmt.Sprintf(`{"%s":1}`, strings.Repeat("o", i+1))) // of distinct fingerprints
	}
	for _, record := range records {
		in, err := jsonvalue.Decode([]byte(record))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := tr.ApplyNative(in, &s); !ok {
			t.Fatalf("%s: not native", record)
		}
	}
	if len(s.shapes.byKeys) > maxShapes || len(s.shapes.byPlace) > maxShapes {
		t.Errorf("%d shapes by keys, %d by place; at most %d", len(s.shapes.byKeys), len(s.shapes.byPlace), maxShapes)
	}
	kept := 0
	for _, sh := range append(slices.Collect(maps.Values(s.shapes.byKeys)), s.shapes.byPlace...) {
		if sh == nil {
			continue
		}
		kept++
		if size := len(strings.Join(sh.keys, "")); size > maxShapeBytes {
			t.Errorf("a shape keeps %d bytes of keys; at most %d", size, maxShapeBytes)
		}
	}
	if kept == 0 {
		t.Error("no shape kept: the outer objects' keys are short")
	}
}

// checkSchemas are the schemas the output is checked against as it is written (ApplyNativeChecked).
var checkSchemas = []string{
	benchdata.Schema,
	`{"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 0},
	  "f": {"type": "number", "exclusiveMaximum": 3}, "s": {"type": "string", "maxLength": 4},
	  "user": {"type": ["object", "null"], "additionalProperties": false, "required": ["name"],
	    "properties": {"name": {"type": "string", "minLength": 1}, "email": {"type": "string"}}},
	  "x": {"type": "array", "maxItems": 3, "items": {"$ref": "#/$defs/n"}}},
	  "additionalProperties": {"type": ["string", "number", "object"]}, "$defs": {"n": {"type": ["number", "object"]}}}`,
	`{"type": ["number", "string"], "maximum": 100, "enum": [1, 42, "str", "big"]}`,
	`{"properties": {"a": {"$ref": "#"}, "c": {"required": ["z"], "properties": {"z": {"const": 1}}}}}`,
	`{"properties": {"a": {"properties": {"a": {"type": "string"}, "b": true}}, "b": {"type": "string"}}}`,
	`true`, `false`,
}

// compiledCheckSchemas are checkSchemas compiled, by the schema package and by the library alone.
var compiledCheckSchemas = sync.OnceValues(func() ([]*schema.Schema, []*jsonschema.Schema) {
	var ours []*schema.Schema
	var lib []*jsonschema.Schema
	for i, doc := range checkSchemas {
		loc := fmt.Sprintf("mem://%d.json", i)
		sc, err := schema.Compile([]byte(doc), loc)
		if err != nil {
			panic(err)
		}
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			panic(err)
		}
		c := jsonschema.NewCompiler() // as the schema package configures it
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		if err := c.AddResource(loc, v); err != nil {
			panic(err)
		}
		ls, err := c.Compile(loc)
		if err != nil {
			panic(err)
		}
		ours, lib = append(ours, sc), append(lib, ls)
	}
	return ours, lib
})

// checkedLikeLibrary holds ApplyNativeChecked to ApplyNative and the library: the same text (and tree, when it
// is asked for one, or when the check is not certain); certain only of what the library accepts.
func checkedLikeLibrary(t *testing.T, tr *Transform, expr, record string, in jsonvalue.Value, s *Scratch, text []byte,
	want jsonvalue.Value) {
	t.Helper()
	ours, lib := compiledCheckSchemas()
	for i, sc := range ours {
		for _, tree := range []bool{false, true} {
			got, gotText, sure, ok := tr.ApplyNativeChecked(in, s, sc.Check(), tree)
			if !ok || !bytes.Equal(gotText, text) {
				t.Fatalf("%s on %s, schema %d, tree %v: checked gave %s (%v), unchecked %s", expr, record, i, tree, gotText, ok, text)
			}
			if (tree || !sure) && !jsonvalue.Equal(got, want) || !tree && sure && got.Kind() != jsonvalue.Null {
				t.Errorf("%s on %s, schema %d, tree %v (sure %v): not the tree expected", expr, record, i, tree, sure)
			}
			// Only when certain: the library panics on a number float64 cannot hold (schema.Validate looks first).
			if sure {
				if err := lib[i].Validate(want.Any()); err != nil {
					t.Errorf("%s on %s, schema %d: the check was certain of %s, the library says %v", expr, record, i, text, err)
				}
			}
		}
	}
}

// TestCheckedTakesTheCommonPath makes sure the check as the output is written is certain of the bench records, and
// not of a record the schema rejects.
func TestCheckedTakesTheCommonPath(t *testing.T) {
	w, err := benchdata.Clickstream()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Compile(`del(.user.email) | .duration_s = (.duration_ms / 1000)`)
	if err != nil {
		t.Fatal(err)
	}
	ours, _ := compiledCheckSchemas()
	var s Scratch
	for _, d := range w.Data[:200] {
		if _, _, sure, ok := tr.ApplyNativeChecked(decode(t, string(d)), &s, ours[0].Check(), false); !ok || !sure {
			t.Fatalf("not certain of %s", d)
		}
	}
	bad := `{"event_id":"fa17fa3e-808d-4b04-8b8d-75a4b5884fc2","event_type":"click","event_time":"2026-11-25T10:00:00Z","duration_ms":-5}`
	if out, _, sure, ok := tr.ApplyNativeChecked(decode(t, bad), &s, ours[0].Check(), false); !ok || sure || out.Kind() != jsonvalue.Object {
		t.Fatalf("a negative duration_s: ok %v, sure %v, tree %v", ok, sure, out.Kind())
	}
}

// TestComputedNumbersLast: the texts of computed numbers share blocks (Scratch.numberText); a text stays as it was
// while the records after it fill its block and the next ones (the tree around it is valid until the next record).
func TestComputedNumbersLast(t *testing.T) {
	tr, err := Compile(`.q = (.n / 1000) | .f = (.n * 1.5) | .r = (.n + 1)`)
	if err != nil {
		t.Fatal(err)
	}
	var s Scratch
	var nums [][3]jsonvalue.Value
	const records = 3 * numberBlock / 8 // over the room of a few blocks
	for n := range records {
		out, _, ok := tr.ApplyNative(decode(t, fmt.Sprintf(`{"n":%d}`, 1000*n+7)), &s)
		if !ok {
			t.Fatalf("record %d: not native", n)
		}
		q, _ := out.Get("q")
		f, _ := out.Get("f")
		r, _ := out.Get("r")
		nums = append(nums, [3]jsonvalue.Value{q, f, r})
	}
	for n, v := range nums {
		want := fmt.Sprintf("%d.007 %s %d", n, strconv.FormatFloat(float64(1000*n+7)*1.5, 'f', -1, 64), 1000*n+8)
		if got := v[0].Text() + " " + v[1].Text() + " " + v[2].Text(); got != want {
			t.Fatalf("record %d: %s, want %s", n, got, want)
		}
	}
}

package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/jsoncompact"
	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

var samples = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `-12.34E-5`, `true`, `false`, `null`,
	` {"a" : [1, 2, {"b": null}], "c": "x\"y\\z\/\b\f\n\r\t\u00e9\uD83D\uDE80"} `,
	"\n\t[ 1 ,\r\n 2 ]\n",
	`{"big": 123456789012345678901234567890, "z": 1, "a": 2}`,
	`"Zoë 東京 🚀"`, `{"k\u00e9y": "v", "key": "v\u0000"}`, `{"a": 1, "a": 2}`, `[[[]], [{}], [""]]`,
	"\"a\x7fb\"", "{\"ab\x7fcdefghijklm\":\"0123456789abcdef\x7f\"}", `{"a plain key of some length":"a plain value, longer than eight"}`,
	`"\ud800"`, `"\udc00\ud800"`, `{"\ud800":"x\udc00","\ud800":["\udfff\ud800"]}`, `"\ud800\u0041"`, `"\uD83D\uDE80x"`, "\"\xff\xfe\"", "\"a\xc3\"", `"\u0000"`,
	// invalid ones
	``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `01`, `1.`, `.5`, `1e`, `+1`, `-`, `--1`,
	`tru`, `trUe`, `nul`, `"abc`, `"\x"`, `"\u12G4"`, `"\u12"`, "\"tab\there\"", `1 2`, `{} {}`, `[1 2]`,
	`"\`, `[`, `{"a":`, `{"a"`, `[1,`, `NaN`, `Infinity`, "\xef\xbb\xbf{}", `"\ud800\u12"`, `{"a":1 "b":2}`,
}

func TestMatchesEncodingJSON(t *testing.T) {
	for _, s := range samples {
		check(t, []byte(s))
	}
}

func TestStringsAreSlicesOfOneCopy(t *testing.T) {
	src := []byte(`{"name": "plain", "esc": "a\nb"}`)
	v, err := Decode(src)
	if err != nil {
		t.Fatal(err)
	}
	src[10] = 'X' // the decoded values must not alias the caller's buffer
	name, _ := v.Get("name")
	esc, _ := v.Get("esc")
	if name.Text() != "plain" || esc.Text() != "a\nb" {
		t.Fatalf("%#v", v)
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	if _, err := Decode([]byte(deep)); err == nil || !strings.Contains(err.Error(), "max depth") {
		t.Fatalf("error %v", err)
	}
	ok := strings.Repeat(`{"a":[`, maxDepth/2) + strings.Repeat("]}", maxDepth/2)
	if _, err := Decode([]byte(ok)); err != nil {
		t.Fatal(err)
	}
}

func TestErrorOffset(t *testing.T) {
	_, err := Decode([]byte(`{"a": tru}`))
	se, ok := err.(*SyntaxError)
	if !ok || se.Offset != 9 {
		t.Fatalf("error %#v", err)
	}
}

// TestRandomDocuments decodes generated documents of every shape and compares with encoding/json.
func TestRandomDocuments(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		check(t, []byte(randomJSON(rng, 0)))
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { check(t, in) })
}

// check holds Decode, copying the input or sharing it, to encoding/json (UseNumber) for the same input: the same
// verdict and, when valid, the same value.
func check(t *testing.T, in []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	var want any
	wantErr := dec.Decode(&want)
	if wantErr == nil && !json.Valid(in) { // Decode reads one value; trailing data is an error for us
		wantErr = fmt.Errorf("trailing data")
	}
	checkReference(t, in)
	got, err := Decode(in)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("Decode(%q) error %v; encoding/json error %v", in, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got.Any(), want) {
		t.Fatalf("Decode(%q) = %#v; encoding/json %#v", in, got.Any(), want)
	}
	sharing := Decoder{ShareInput: true}
	shared, serr := sharing.Decode(in)
	if fmt.Sprint(serr) != fmt.Sprint(err) || err == nil && !reflect.DeepEqual(shared.Any(), want) {
		t.Fatalf("Decode(%q) sharing the input = %#v, %v; copying %#v, %v", in, shared.Any(), serr, want, err)
	}
	if compact, cerr := jsoncompact.AppendCompact(nil, in); err == nil && (cerr != nil || sharing.Compact() != bytes.Equal(compact, in)) {
		t.Fatalf("Decode(%q): Compact() %v; AppendCompact %q, %v", in, sharing.Compact(), compact, cerr)
	}
	if err == nil {
		checkPlain(t, in, got)
		checkPlain(t, in, shared)
		out := got.AppendJSON(nil)
		again := json.NewDecoder(bytes.NewReader(out))
		again.UseNumber()
		var back any
		if err := again.Decode(&back); err != nil || !reflect.DeepEqual(back, want) || !json.Valid(out) {
			t.Fatalf("AppendJSON(%q) = %s: %#v, %v", in, out, back, err)
		}
		// What it writes reads back to the same literals: unpaired surrogate escapes are kept.
		if again, err := Decode(out); err != nil || string(again.AppendJSON(nil)) != string(out) {
			t.Fatalf("AppendJSON(%q) = %s, which decodes to %s, %v", in, out, again.AppendJSON(nil), err)
		}
	}
}

func randomJSON(rng *rand.Rand, depth int) string {
	k := rng.IntN(9)
	if depth > 4 {
		k = rng.IntN(5)
	}
	ws := func() string { return []string{"", " ", "\n\t", ""}[rng.IntN(4)] }
	switch k {
	case 0:
		return "null"
	case 1:
		return []string{"true", "false"}[rng.IntN(2)]
	case 2:
		return []string{"0", "-1", "3.25", "1e9", "-0.5E-3", "12345678901234567890"}[rng.IntN(6)]
	case 3, 4:
		return []string{`""`, `"plain"`, `"tab\t"`, `"\u00e9t\u00e9"`, `"é€🚀"`, `"\"quoted\""`, `"\ud83d\ude80"`, `"a\/b"`}[rng.IntN(8)]
	case 5, 6:
		var parts []string
		for range rng.IntN(5) {
			parts = append(parts, ws()+randomJSON(rng, depth+1)+ws())
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		var parts []string
		for i := range rng.IntN(6) {
			parts = append(parts, fmt.Sprintf(`%s"k%d"%s:%s`, ws(), i%4, ws(), randomJSON(rng, depth+1)))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
}

// benchRecords are 10,000 clickstream-like records of about 600 bytes, as in the handler's benchmarks.
func benchRecords() ([][]byte, int64) {
	rng := rand.New(rand.NewPCG(1, 2))
	var rs [][]byte
	var size int64
	for range 10000 {
		r := fmt.Appendf(nil, `{"event_id":"%016x","type":"page_view","user":{"id":"user-%d","country":"DE","agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"},"page":"/products/%d","duration_ms":%d,"ts":"2026-11-25T10:%02d:00Z","tags":["a","b"],"text":"grüße \"x\"","padding":"%s"}`,
			rng.Uint64(), rng.IntN(5000), rng.IntN(100), rng.IntN(60000), rng.IntN(60), strings.Repeat("x", 100+rng.IntN(200)))
		rs = append(rs, r)
		size += int64(len(r))
	}
	return rs, size
}

func BenchmarkDecode(b *testing.B) {
	rs, size := benchRecords()
	b.Run("jsonvalue", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range rs {
				if _, err := Decode(r); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range rs {
				d := json.NewDecoder(bytes.NewReader(r))
				d.UseNumber()
				var v any
				if err := d.Decode(&v); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func TestAccessors(t *testing.T) {
	v, err := Decode([]byte(`{"a": 1, "b": [true, false, null, "x", 2.5e3], "a": {"c": "d"}}`))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := v.Get("a")
	if !ok || a.Kind() != Object || !v.Shadowed(0) || v.Shadowed(2) || v.Key(1) != "b" || v.Len() != 3 {
		t.Fatalf("repeated key: %#v", v)
	}
	if _, ok := v.Get("z"); ok {
		t.Fatal("missing key found")
	}
	b, _ := v.Get("b")
	if !b.Index(0).True() || b.Index(1).True() || b.Index(2).Kind() != Null || b.Index(3).Text() != "x" ||
		b.Index(4).Text() != "2.5e3" || b.Index(4).Kind() != Number {
		t.Fatalf("elements: %#v", b)
	}
	if (Value{}).Kind() != Null || (Value{}).Any() != nil {
		t.Fatal("the zero Value is not null")
	}
}

func TestAppendJSON(t *testing.T) {
	in := "{ \"a\" : [1, 2.50, -0E+3, \"x\\u00e9\\n\"],\n \"k\\\"\\u0001\": {\"z\": null, \"b\": true, \"z\": false}, \"a\": \"last\" }"
	v, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got := string(v.AppendJSON(nil))
	if want := `{"k\"\u0001":{"b":true,"z":false},"a":"last"}`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	a, _ := Decode([]byte(`[1, 2.50, -0E+3, "x\u00e9\n", {}, []]`))
	if got := string(a.AppendJSON(nil)); got != `[1,2.50,-0E+3,"xé\n",{},[]]` {
		t.Fatalf("numbers as written, strings with the same text: %s", got)
	}
}

func TestDecoderReusesItsMemory(t *testing.T) {
	var d Decoder
	first, err := d.Decode([]byte(`{"a": [1, {"b": "x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	kept := first.Index(0).Index(1).Index(0).Text() // a string taken from a record stays valid
	for _, in := range []string{`{"c": [2, 3, 4]}`, `[{"d": {"e": "f"}}]`, strings.Repeat(`[`, 50) + strings.Repeat(`]`, 50)} {
		v, err := d.Decode([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(v.AppendJSON(nil)); got != strings.Join(strings.Fields(in), "") {
			t.Fatalf("%s: %s", in, got)
		}
	}
	if kept != "x" {
		t.Fatalf("string from an earlier record changed: %q", kept)
	}
	in := []byte(`{"a": [1, 2], "b": {"c": true}}`)
	if allocs := testing.AllocsPerRun(100, func() { _, _ = d.Decode(in) }); allocs > 1 {
		t.Fatalf("%.0f allocations per record; want 1 (the copy of the input)", allocs)
	}
	d.ShareInput = true
	if allocs := testing.AllocsPerRun(100, func() { _, _ = d.Decode(in) }); allocs > 0 {
		t.Fatalf("%.0f allocations per record sharing the input; want none", allocs)
	}
}

func TestMaxValues(t *testing.T) {
	d := Decoder{MaxValues: 5}
	// The values and keys a record stacks: a top-level scalar none, {"a":[1,2]} four, {"a":[1,2,3]} five.
	for in, ok := range map[string]bool{`1`: true, `{"a":[1,2]}`: true, `{"a":[1,2,3]}`: true, `{"a":[1,2,3,4]}`: false,
		`[[[[[[]]]]]]`: true, `[1,[2,[3]]]`: true, `{"a":1,"b":2,"c":3}`: false} {
		_, err := d.Decode([]byte(in))
		var limit *LimitError
		if ok != (err == nil) || !ok && (!errors.As(err, &limit) || err.Error() != "more than 5 JSON values and object keys") {
			t.Errorf("%s: %v", in, err)
		}
	}
	// A long string in a small container: the arena is sized by the cap, not by the input.
	in := []byte(`{"s":"` + strings.Repeat("x", 1<<20) + `"}`)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := (&Decoder{MaxValues: 5}).Decode(in); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20+16<<10 {
		t.Fatalf("%d bytes allocated for a 1 MiB string; want its copy and a handful of values", alloc)
	}
}

// checkPlain checks that the strings of v (and keys) that are marked plain are: printable ASCII without quotes or
// backslashes.
func checkPlain(t *testing.T, in []byte, v Value) {
	t.Helper()
	if v.Plain() {
		for i := 0; i < len(v.Text()); i++ {
			if c := v.Text()[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				t.Fatalf("Decode(%q): %q is marked plain", in, v.Text())
			}
		}
	}
	for _, k := range v.elems() {
		checkPlain(t, in, k)
	}
}

func TestPlain(t *testing.T) {
	for in, want := range map[string]bool{
		`"abc"`: true, `""`: true, `"a longer plain string, of several words"`: true, `"a\"b"`: false,
		`"a\\b"`: false, `"é"`: false, "\"a\x7f\"": false, "\"0123456789\x7f0123\"": false, `"a\u0041"`: false,
	} {
		v, err := Decode([]byte(in))
		if err != nil || v.Plain() != want {
			t.Errorf("Decode(%s): Plain() %v, want %v (%v)", in, v.Plain(), want, err)
		}
	}
}

// TestParseInt holds ParseInt to strconv.ParseInt wherever it answers.
func TestParseInt(t *testing.T) {
	for _, s := range []string{"0", "-0", "7", "-7", "42", "007", "123456789012345678", "-123456789012345678",
		"1234567890123456789", "9223372036854775807", "-9223372036854775808", "", "-", "1.0", "1e3", "+1", "- 1", "1a"} {
		got, ok := ParseInt(s)
		want, err := strconv.ParseInt(s, 10, 64)
		if ok && (err != nil || got != want) {
			t.Errorf("ParseInt(%q) = %d; strconv.ParseInt %d, %v", s, got, want, err)
		}
		if !ok && err == nil && s[0] != '+' { // JSON has no +1
			t.Errorf("ParseInt(%q) did not read it", s)
		}
	}
}

// BenchmarkDecodeClickstream decodes the analytics benchmarks' records (internal/benchdata) as the shaper does:
// one Decoder, sharing the input, with a cap on values.
func BenchmarkDecodeClickstream(b *testing.B) {
	w, err := benchdata.Clickstream()
	if err != nil {
		b.Fatal(err)
	}
	d := Decoder{ShareInput: true, MaxValues: 1 << 20}
	b.SetBytes(w.Bytes)
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range w.Data {
			if _, err := d.Decode(r); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestUnpairedSurrogates: a string literal with an unpaired UTF-16 surrogate escape (valid JSON, RFC 8259 §8.2) has
// U+FFFD in its text, as encoding/json decodes it, and keeps the escape for AppendJSON (its key too); a decoder that
// forgets them makes it U+FFFD only. Pairs, and other strings, are as before.
func TestUnpairedSurrogates(t *testing.T) {
	cases := []struct{ in, text, unpaired, out string }{
		{`"\ud800"`, "\uFFFD", `\ud800`, `"\ud800"`},
		{`"\uDC00\uD800"`, "\uFFFD\uFFFD", `\udc00`, `"\udc00\ud800"`},
		{`"\ud800\u0041"`, "\uFFFDA", `\ud800`, `"\ud800A"`},
		{`"a\u00e9\ud800\ud83d\ude80\udc00\ud800x\n\ufffd"`, "aé\uFFFD🚀\uFFFD\uFFFDx\n\uFFFD", `\ud800`,
			`"aé\ud800🚀\udc00\ud800x\n` + "\uFFFD\""},
		{`"\udbff\udfff"`, "\U0010FFFF", ``, "\"\U0010FFFF\""}, // a pair
		{`"\ufffd"`, "\uFFFD", ``, "\"\uFFFD\""},
		{"\"\xff\\ud800\"", "\uFFFD\uFFFD", `\ud800`, "\"\uFFFD\\ud800\""}, // invalid UTF-8 is U+FFFD either way
	}
	for _, c := range cases {
		for _, forget := range []bool{false, true} {
			d := Decoder{ForgetUnpaired: forget}
			v, err := d.Decode([]byte(c.in))
			if err != nil {
				t.Fatalf("%s: %v", c.in, err)
			}
			unpaired, out := c.unpaired, c.out
			if forget {
				unpaired, out = "", string(AppendQuote(nil, c.text))
			}
			if v.Text() != c.text || v.Unpaired() != unpaired || string(v.AppendJSON(nil)) != out {
				t.Errorf("%s (forget %v): text %q, Unpaired %q, AppendJSON %s; want %q, %q, %s", c.in, forget,
					v.Text(), v.Unpaired(), v.AppendJSON(nil), c.text, unpaired, out)
			}
		}
	}
	// In a key, and among other values; and a plain string stacked where one was (the stack is reused) is not marked.
	v, err := Decode([]byte(`{"k\udfff":["\ud800",{"a":"\udc01"}],"b":"plain","c":["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(v.AppendJSON(nil)), `{"k\udfff":["\ud800",{"a":"\udc01"}],"b":"plain","c":["x"]}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if c, _ := v.Get("c"); c.Index(0).Unpaired() != "" || !c.Index(0).Plain() {
		t.Errorf("a plain string is marked: %#v", c.Index(0))
	}
	if MakeString("\uFFFD").Unpaired() != "" {
		t.Error("a made string has an escape")
	}
}

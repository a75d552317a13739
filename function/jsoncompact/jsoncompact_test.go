package jsoncompact

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

var samples = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `-12.34E-5`, `true`, `false`, `null`,
	` {"a" : [1, 2, {"b": null}], "c": "x\"y\\z\/\b\f\n\r\t\u00e9\uD83D\uDE80"} `,
	"\n\t[ 1 ,\r\n 2 ]\n",
	`{"big": 123456789012345678901234567890, "z": 1, "a": 2}`,
	`"Zoë 東京 🚀"`,
	// invalid ones
	``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `01`, `1.`, `.5`, `1e`, `+1`, `-`, `--1`,
	`tru`, `trUe`, `nul`, `"abc`, `"\x"`, `"\u12G4"`, `"\u12"`, "\"tab\there\"", `1 2`, `{} {}`, `[1 2]`,
	`"\`, `[`, `{"a":`, `{"a"`, `[1,`, `NaN`, `Infinity`, "\xef\xbb\xbf{}",
}

func TestMatchesEncodingJSON(t *testing.T) {
	for _, s := range samples {
		check(t, []byte(s))
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	if err := Validate([]byte(deep)); err == nil || !strings.Contains(err.Error(), "max depth") {
		t.Fatalf("error %v", err)
	}
	ok := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	if err := Validate([]byte(ok)); err != nil {
		t.Fatal(err)
	}
}

func TestErrorOffset(t *testing.T) {
	err := Validate([]byte(`{"a": tru}`))
	se, ok := err.(*SyntaxError)
	if !ok || se.Offset != 9 {
		t.Fatalf("error %#v", err)
	}
}

func TestAppendCompactKeepsDstOnError(t *testing.T) {
	dst := []byte("keep")
	out, err := AppendCompact(dst, []byte(`[1, 2`))
	if err == nil || string(out) != "keep" {
		t.Fatalf("out %q err %v", out, err)
	}
}

// check holds Validate and AppendCompact to encoding/json's answers for the same input.
func check(t *testing.T, in []byte) {
	t.Helper()
	wantValid := json.Valid(in)
	if err := Validate(in); (err == nil) != wantValid {
		t.Fatalf("Validate(%q) = %v, encoding/json says valid=%v", in, err, wantValid)
	}
	var want bytes.Buffer
	wantErr := json.Compact(&want, in)
	got, err := AppendCompact([]byte("prefix:"), in)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("AppendCompact(%q) err %v, encoding/json err %v", in, err, wantErr)
	}
	if err == nil && string(got) != "prefix:"+want.String() {
		t.Fatalf("AppendCompact(%q) = %q, want %q", in, got, "prefix:"+want.String())
	}
}

func FuzzMatchesEncodingJSON(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Fuzz(check)
}

// checkAsIs holds the check for compact JSON to the scanner: what it takes as it is, the scanner finds valid, and
// compacts to the same bytes.
func checkAsIs(t *testing.T, in []byte) {
	t.Helper()
	if !compact(in) {
		return
	}
	if out, err := appendScanned(nil, in); err != nil || !bytes.Equal(out, in) {
		t.Fatalf("compact(%q) is true, but the scanner compacts it to %q (error %v)", in, out, err)
	}
}

// asIsSamples are compact JSON, and what is almost compact JSON: the check for compact JSON must take the first
// and leave the others to the scanner.
var asIsSamples = []string{
	`{"a":[1,-2.5e+3,{"b":null,"c":[]},{}],"d":"x\"y\\z\/\b\f\n\r\t\u00e9\uD83D\uDE80","e":true,"f":false}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	`"Zoë 東京 🚀 \u0000"`, `0`, `-0`, `1E5`, `0.5e-0`, `[0,1]`, `{"":""}`,
	// not compact, or not JSON
	`{"a":1 }`, `{"a": 1}`, `[1,2] `, ` 0`, "[1,\n2]", `01`, `-`, `1.`, `1e`, `1e+`, `.1`, `[1,]`, `{"a":1,}`, `{,}`,
	`{"a"}`, `{"a":}`, `{1:2}`, `[}`, `{]`, `[1}`, `{"a":1]`, `]`, `}`, `[`, `{`, `"a`, `"\"`, `"\x"`, `"\u12"`,
	`"\u12g4"`, "\"a\tb\"", `tru`, `truex`, `nul`, `falsey`, `[true false]`, `[1]x`, `{}{}`, `{"a":1}}`, `[[]]]`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
}

func TestCompactAsIs(t *testing.T) {
	for i, s := range asIsSamples {
		checkAsIs(t, []byte(s))
		if want := i < 9; compact([]byte(s)) != want {
			t.Errorf("compact(%q) = %v, want %v", s, !want, want)
		}
	}
	for _, s := range samples {
		checkAsIs(t, []byte(s))
		if c, err := appendScanned(nil, []byte(s)); err == nil && !compact(c) {
			t.Errorf("compact(%q) is false", c)
		}
	}
}

// FuzzCompactAsIs holds what AppendCompact copies as it is to the scanner.
func FuzzCompactAsIs(f *testing.F) {
	for _, s := range append(asIsSamples, samples...) {
		f.Add([]byte(s))
	}
	f.Fuzz(checkAsIs)
}

func BenchmarkValidate(b *testing.B) {
	doc := []byte(strings.Repeat(`{"event_id": "abc123", "n": 12345.678, "ok": true, "tags": ["a", "b"], "s": "some text here"},`, 10000))
	doc = append(append([]byte{'['}, doc[:len(doc)-1]...), ']')
	b.Run("jsoncompact", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for i := 0; i < b.N; i++ {
			Validate(doc)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for i := 0; i < b.N; i++ {
			json.Valid(doc)
		}
	})
	b.Run("compact", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		buf := make([]byte, 0, len(doc))
		for i := 0; i < b.N; i++ {
			buf, _ = AppendCompact(buf[:0], doc)
		}
	})
}

func TestScanValue(t *testing.T) {
	src := []byte(`{"a": [1, {"b": "x\"y"}], "c": true} rest`)
	end, err := ScanValue(src, 0, 0)
	if err != nil || string(src[end:]) != " rest" {
		t.Fatalf("end %d (%q), err %v", end, src[end:], err)
	}
	if end, err := ScanValue(src, 5, 1); err != nil || string(src[5:end]) != ` [1, {"b": "x\"y"}]` {
		t.Fatalf("inner value %q, err %v", src[5:end], err)
	}
	if _, err := ScanValue([]byte(`[1,]`), 0, 0); err == nil {
		t.Fatal("no error for [1,]")
	}
	// The depth a value starts at counts towards the limit.
	nested := []byte(strings.Repeat("[", 10) + strings.Repeat("]", 10))
	if _, err := ScanValue(nested, 0, maxDepth-10); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	if _, err := ScanValue(nested, 0, maxDepth-9); err == nil || !strings.Contains(err.Error(), "max depth") {
		t.Fatalf("over the limit: %v", err)
	}
}

func TestScanString(t *testing.T) {
	for _, c := range []struct {
		src     string
		end     int
		escaped bool
		bad     bool
	}{
		{`"plain" x`, 7, false, false},
		{`"a\nb"`, 6, true, false},
		{`"\u00e9"`, 8, true, false},
		{`"Zoë"`, 6, false, false},
		{`"open`, 0, false, true},
		{"\"tab\there\"", 0, false, true},
		{`"\x"`, 0, false, true},
	} {
		end, escaped, err := ScanString([]byte(c.src), 0)
		if (err != nil) != c.bad || (!c.bad && (end != c.end || escaped != c.escaped)) {
			t.Errorf("ScanString(%q) = %d, %v, %v", c.src, end, escaped, err)
		}
	}
	// A plain string after an escaped one is plain.
	src := []byte(`"\n" "x"`)
	if _, escaped, _ := ScanString(src, 5); escaped {
		t.Error("escaped carried over")
	}
}

// BenchmarkClickstream compacts the benchmark workload's records (internal/benchdata), one at a time as batch mode
// does.
func BenchmarkClickstream(b *testing.B) {
	w, err := benchdata.Clickstream()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(w.Bytes)
	buf := make([]byte, 0, w.Bytes+int64(len(w.Data)))
	for b.Loop() {
		buf = buf[:0]
		for _, v := range w.Data {
			if buf, err = AppendCompact(buf, v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// FuzzASCIIString holds ASCIIString to ScanString: where it answers, the string ends at the same offset, has no
// escape, and is ASCII.
func FuzzASCIIString(f *testing.F) {
	for _, s := range append([]string{`"plain"`, `"shardId-000000000000:4959033827149025660855969253836157109592157"x`,
		`"a\"b"`, `"Zoë"`, "\"tab\there\"", `"open`, `"`, `""`, `"12345678"`, `"1234567\u0041"`}, samples...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		end, ok := ASCIIString(src, 0)
		if !ok {
			return
		}
		want, escaped, err := ScanString(src, 0)
		if err != nil || escaped || want != end {
			t.Fatalf("ASCIIString(%q) = %d; ScanString: %d, escaped %v, %v", src, end, want, escaped, err)
		}
		for _, c := range src[1 : end-1] {
			if c >= 0x80 {
				t.Fatalf("ASCIIString(%q) is true for a string that is not ASCII", src)
			}
		}
	})
}

// TestSpecialsFindsTheFirst holds specials to a byte-by-byte search: the lowest byte it flags is the first quote,
// backslash or control character (stringEnd relies on that), whatever the two bytes at any position hold.
func TestSpecialsFindsTheFirst(t *testing.T) {
	for k := range 7 {
		for pair := range 1 << 16 {
			var word [8]byte
			copy(word[:], "abcdefgh")
			word[k], word[k+1] = byte(pair), byte(pair>>8)
			want := 8
			for i, c := range word {
				if c == '"' || c == '\\' || c < 0x20 {
					want = i
					break
				}
			}
			if got := bits.TrailingZeros64(specials(binary.LittleEndian.Uint64(word[:]))) / 8; got != want {
				t.Fatalf("specials(%q) finds byte %d, want %d", word, got, want)
			}
		}
	}
}

// TestCompactStringsAtEveryOffset puts an escape, a control character or a closing quote at each offset of a key
// and of a value, across the eight-byte steps of the string scan: the check for compact JSON must answer exactly
// what the scanner does (true for these valid compact values, false for the invalid ones).
func TestCompactStringsAtEveryOffset(t *testing.T) {
	for k := range 20 {
		pad := strings.Repeat("a", k)
		for _, special := range []string{`\"`, `\\`, `\/`, `\u00e9`, `\uZZZZ`, `\x`, "\t", "\x00", `"`, `é`, "\x7f", ""} {
			for _, src := range []string{
				`{"` + pad + special + `b":"` + pad + special + `c"}`,
				`["` + pad + special + `"]`,
				`"` + pad + special + `"`,
				`"` + pad + special,
			} {
				out, err := appendScanned(nil, []byte(src))
				if want := err == nil && string(out) == src; compact([]byte(src)) != want {
					t.Errorf("compact(%q) = %v, want %v (scanner: %v)", src, !want, want, err)
				}
			}
		}
	}
}

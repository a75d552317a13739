package layout

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

func TestKeys(t *testing.T) {
	seq := "49590338271490256608559692538361571095921575989136588898"
	arrival := time.Date(2026, 3, 7, 23, 59, 59, 0, time.FixedZone("CET", 3600))
	cases := []struct{ got, want string }{
		{RecordKey("kinesis/", seq, -1), "kinesis/" + seq + ".json"},
		{RecordKey("kinesis/", seq, 3), "kinesis/" + seq + "-3.json"},
		{RecordKey("", "1", -1), "1.json"},
		// The hour partition is UTC: 23:59 CET is 22:59 UTC.
		{ObjectKey("kinesis/", Partition{Hour: arrival}, "shardId-000000000001", seq, ".jsonl"+Extension("gzip")),
			"kinesis/year=2026/month=03/day=07/hour=22/shardId-000000000001-" + seq + ".jsonl.gz"},
		{ObjectKey("p/", Partition{Hour: arrival}, "shardId-000000000001", "7", ".jsonl"+Extension("zstd")), "p/year=2026/month=03/day=07/hour=22/shardId-000000000001-7.jsonl.zst"},
		{ObjectKey("p/", Partition{Hour: arrival}, "shardId-000000000001", "7", ".jsonl"+Extension("none")), "p/year=2026/month=03/day=07/hour=22/shardId-000000000001-7.jsonl"},
		{QuarantineKey("errors/", arrival, "shardId-000000000002", "9"), "errors/year=2026/month=03/day=07/hour=22/shardId-000000000002-9.json"},
		{ProgressKey("errors/", "shardId-000000000002", "9"), "errors/_progress/shardId-000000000002-9.json"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	values := [][]byte{
		[]byte(`{"a": 1, "b": [1, 2, 3]}`),
		[]byte(`{"compact":true}`),
		[]byte("\n  \"spaced string value\"  \n"),
		[]byte(`{"big":123456789012345678901234567890,"z":0,"a":1}`),
		[]byte(`{"text":"tab\tnewline\n and space inside a string stay"}`),
	}
	want := []string{
		`{"a":1,"b":[1,2,3]}`,
		`{"compact":true}`,
		`"spaced string value"`,
		`{"big":123456789012345678901234567890,"z":0,"a":1}`, // key order and big numbers survive
		`{"text":"tab\tnewline\n and space inside a string stay"}`,
	}
	for _, c := range []string{"gzip", "zstd", "none"} {
		e, err := NewEncoder(c)
		if err != nil {
			t.Fatal(err)
		}
		// Twice with the same encoder: reuse must not leak state between objects.
		for round := 0; round < 2; round++ {
			var buf bytes.Buffer
			if rejected, err := e.Encode(&buf, values); err != nil || len(rejected) > 0 {
				t.Fatalf("%s: %v %v", c, rejected, err)
			}
			if c == "none" && !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
				t.Fatalf("none: output not newline-terminated")
			}
			lines, err := Decode(buf.Bytes(), c)
			if err != nil {
				t.Fatalf("%s: %v", c, err)
			}
			if len(lines) != len(want) {
				t.Fatalf("%s: %d lines", c, len(lines))
			}
			for i := range want {
				if string(lines[i]) != want[i] {
					t.Errorf("%s line %d: %s, want %s", c, i, lines[i], want[i])
				}
			}
		}
	}
}

func TestEncodeLeavesOutInvalidJSON(t *testing.T) {
	for _, c := range []string{"gzip", "zstd", "none"} {
		e, _ := NewEncoder(c)
		var buf bytes.Buffer
		rejected, err := e.Encode(&buf, [][]byte{[]byte(`{"a": 1}`), []byte(`{"a": }`), []byte(`[1 2]`), []byte(` 2 `)})
		if err != nil {
			t.Fatal(err)
		}
		if len(rejected) != 2 || rejected[0].Index != 1 || rejected[1].Index != 2 || rejected[0].Err == nil {
			t.Fatalf("%s: rejected %+v", c, rejected)
		}
		lines, err := Decode(buf.Bytes(), c)
		if err != nil || len(lines) != 2 || string(lines[0]) != `{"a":1}` || string(lines[1]) != "2" {
			t.Fatalf("%s: lines %q err %v", c, lines, err)
		}
	}
}

// TestEncodeCompacted: values said to be compact are taken as they are (the caller knows); the others are still
// checked and compacted.
func TestEncodeCompacted(t *testing.T) {
	e, _ := NewEncoder("none")
	var buf bytes.Buffer
	values := [][]byte{[]byte(`{"a": 1}`), []byte(`{"b": 2}`), []byte(`[1 2]`), []byte(`{"c":[3]}`)}
	rejected, err := e.EncodeCompacted(&buf, values, []bool{true, false, false})
	if err != nil || len(rejected) != 1 || rejected[0].Index != 2 {
		t.Fatalf("rejected %+v, err %v", rejected, err)
	}
	if got, want := buf.String(), "{\"a\": 1}\n{\"b\":2}\n{\"c\":[3]}\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestUnknownCompression(t *testing.T) {
	if _, err := NewEncoder("lz4"); err == nil {
		t.Fatal("no error")
	}
}

func TestCompressionShrinks(t *testing.T) {
	var values [][]byte
	for i := 0; i < 1000; i++ {
		values = append(values, []byte(fmt.Sprintf(`{"event":"page_view","user":"user-%d","path":"/products/%d"}`, i%50, i%20)))
	}
	var plain bytes.Buffer
	none, _ := NewEncoder("none")
	if _, err := none.Encode(&plain, values); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"gzip", "zstd"} {
		e, _ := NewEncoder(c)
		var buf bytes.Buffer
		if _, err := e.Encode(&buf, values); err != nil {
			t.Fatal(err)
		}
		if buf.Len()*4 > plain.Len() {
			t.Errorf("%s: %d bytes from %d: not compressing", c, buf.Len(), plain.Len())
		}
	}
}

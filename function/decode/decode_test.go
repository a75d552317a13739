package decode

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"google.golang.org/protobuf/encoding/protowire"
)

type sub struct {
	key  string
	data string
}

// aggregate builds a KPL aggregated record by hand, so the test does not trust the code it checks.
func aggregate(keys []string, subs []sub) []byte {
	var msg []byte
	index := map[string]uint64{}
	for i, k := range keys {
		msg = protowire.AppendTag(msg, 1, protowire.BytesType)
		msg = protowire.AppendString(msg, k)
		index[k] = uint64(i)
	}
	for _, s := range subs {
		var r []byte
		r = protowire.AppendTag(r, 1, protowire.VarintType)
		r = protowire.AppendVarint(r, index[s.key])
		r = protowire.AppendTag(r, 3, protowire.BytesType)
		r = protowire.AppendBytes(r, []byte(s.data))
		msg = protowire.AppendTag(msg, 3, protowire.BytesType)
		msg = protowire.AppendBytes(msg, r)
	}
	sum := md5.Sum(msg)
	out := append([]byte{0xF3, 0x89, 0x9A, 0xC2}, msg...)
	return append(out, sum[:]...)
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestPlainRecords(t *testing.T) {
	cases := []struct {
		data    string
		wantErr string
	}{
		{`{"a":1,"b":[1,2,3]}`, ""},
		{`  {"big": 123456789012345678901234567890, "z": 1, "a": 2}` + "\n", ""},
		{`"just a string"`, ""},
		{`42`, ""},
		{`{"name":"Zoë 東京 🚀"}`, ""},
		{``, "empty record"},
		{"  \n", "empty record"},
		{`{"a":1} {"b":2}`, "invalid JSON"},
		{`{"a":1`, "invalid JSON"},
		{`not json`, "invalid JSON"},
		{"{\"a\":\"caf\xe9\"}", "invalid UTF-8 at byte 9"}, // Latin-1 é
		{"\xef\xbb\xbf{}", "invalid JSON"},                 // a byte-order mark is not JSON white space
	}
	for _, c := range cases {
		items := Record([]byte(c.data), "pk")
		if len(items) != 1 {
			t.Fatalf("%q: %d items", c.data, len(items))
		}
		it := items[0]
		if it.SubIndex != -1 || it.PartitionKey != "pk" {
			t.Errorf("%q: got SubIndex %d key %q", c.data, it.SubIndex, it.PartitionKey)
		}
		if c.wantErr == "" {
			if it.Err != nil {
				t.Errorf("%q: unexpected error %v", c.data, it.Err)
			}
			if string(it.Data) != c.data {
				t.Errorf("%q: data re-encoded to %q", c.data, it.Data)
			}
			continue
		}
		if it.Err == nil || !strings.Contains(it.Err.Error(), c.wantErr) {
			t.Errorf("%q: error %v, want %q", c.data, it.Err, c.wantErr)
		}
		if string(it.Data) != c.data {
			t.Errorf("%q: quarantine data %q is not the raw record", c.data, it.Data)
		}
	}
}

func TestGzipRecords(t *testing.T) {
	json := `{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","message":"hello"}]}`
	items := Record(gz(json), "pk")
	if items[0].Err != nil || string(items[0].Data) != json {
		t.Fatalf("got %q, %v", items[0].Data, items[0].Err)
	}

	raw := gz("not json")
	items = Record(raw, "pk")
	if items[0].Err == nil || !strings.Contains(items[0].Err.Error(), "gzip-decompressed data: invalid JSON") {
		t.Fatalf("error %v", items[0].Err)
	}
	if !bytes.Equal(items[0].Data, raw) {
		t.Error("quarantine data should be the raw gzip bytes as received")
	}

	truncated := gz(json)[:12]
	if err := Record(truncated, "pk")[0].Err; err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Fatalf("truncated gzip: error %v", err)
	}
}

func TestGzipBombIsBounded(t *testing.T) {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write([]byte(`"`))
	zeros := make([]byte, 1<<20)
	for i := 0; i < MaxDecompressed>>20+1; i++ {
		w.Write(zeros)
	}
	w.Close()
	err := Record(b.Bytes(), "pk")[0].Err
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("error %v", err)
	}
}

func TestKPL(t *testing.T) {
	data := aggregate([]string{"k0", "k1"}, []sub{
		{"k1", `{"n":0}`},
		{"k0", "not json"},
		{"k1", string(gz(`{"n":2}`))},
	})
	items := Record(data, "outer")
	if len(items) != 3 {
		t.Fatalf("%d items", len(items))
	}
	if it := items[0]; it.Err != nil || string(it.Data) != `{"n":0}` || it.PartitionKey != "k1" || it.SubIndex != 0 {
		t.Errorf("item 0: %+v", it)
	}
	if it := items[1]; it.Err == nil || string(it.Data) != "not json" || it.PartitionKey != "k0" || it.SubIndex != 1 {
		t.Errorf("item 1: %+v", it)
	}
	if it := items[2]; it.Err != nil || string(it.Data) != `{"n":2}` || it.SubIndex != 2 {
		t.Errorf("item 2: %+v", it)
	}
}

func TestKPLBroken(t *testing.T) {
	good := aggregate([]string{"k"}, []sub{{"k", `{}`}})
	badMD5 := bytes.Clone(good)
	badMD5[len(badMD5)-1] ^= 0xff
	// Valid MD5 over a malformed protobuf: a bytes field claiming more bytes than there are.
	msg := []byte{0x1a, 0x7f, 0x00}
	sum := md5.Sum(msg)
	badProto := append(append([]byte{0xF3, 0x89, 0x9A, 0xC2}, msg...), sum[:]...)
	empty := aggregate(nil, nil)

	cases := map[string]struct {
		data []byte
		want string
	}{
		"bad md5":   {badMD5, "MD5"},
		"truncated": {good[:10], "truncated"},
		"protobuf":  {badProto, "malformed protobuf"},
		"empty":     {empty, "contains no records"},
	}
	for name, c := range cases {
		items := Record(c.data, "outer")
		if len(items) != 1 || items[0].Err == nil || !strings.Contains(items[0].Err.Error(), c.want) {
			t.Errorf("%s: %+v", name, items)
			continue
		}
		if !bytes.Equal(items[0].Data, c.data) || items[0].SubIndex != -1 || items[0].PartitionKey != "outer" {
			t.Errorf("%s: quarantine must keep the whole raw record", name)
		}
	}
}

func TestKPLKeyIndexOutOfRange(t *testing.T) {
	var r []byte
	r = protowire.AppendTag(r, 1, protowire.VarintType)
	r = protowire.AppendVarint(r, 5)
	r = protowire.AppendTag(r, 3, protowire.BytesType)
	r = protowire.AppendBytes(r, []byte(`{}`))
	var msg []byte
	msg = protowire.AppendTag(msg, 1, protowire.BytesType)
	msg = protowire.AppendString(msg, "only")
	msg = protowire.AppendTag(msg, 3, protowire.BytesType)
	msg = protowire.AppendBytes(msg, r)
	sum := md5.Sum(msg)
	data := append(append([]byte{0xF3, 0x89, 0x9A, 0xC2}, msg...), sum[:]...)
	err := Record(data, "outer")[0].Err
	if err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("error %v", err)
	}
}

func FuzzRecord(f *testing.F) {
	f.Add([]byte(`{"a":1}`))
	f.Add(aggregate([]string{"k"}, []sub{{"k", `{}`}}))
	f.Add(gz(`[1]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		items := Record(data, "pk") // must never panic
		if len(items) == 0 {
			t.Fatal("no items")
		}
		for _, it := range items {
			if it.Err == nil && Validate(it.Data) != nil {
				t.Fatal("valid item with invalid data")
			}
		}
	})
}

// skipJSON decodes one record as batch mode does: the JSON grammar is left to the caller.
func skipJSON(data []byte) []Item {
	d := Decoder{Budget: 1 << 30, RecordLimit: MaxDecompressed, SkipJSON: true}
	items, _ := d.Record(data, "pk")
	return items
}

func TestSkipJSONLeavesTheGrammarToTheCaller(t *testing.T) {
	items := skipJSON([]byte(`{"a": }`))
	if items[0].Err != nil {
		t.Fatalf("SkipJSON checked the JSON grammar: %v", items[0].Err)
	}
	items[0].RejectJSON(errors.New("syntax"))
	if items[0].Err == nil || items[0].Err.Error() != "invalid JSON: syntax" || string(items[0].Data) != `{"a": }` {
		t.Fatalf("%+v", items[0])
	}
	// Text problems are still found: only the grammar is left out.
	if skipJSON([]byte("caf\xe9"))[0].Err == nil || skipJSON(nil)[0].Err == nil {
		t.Fatal("SkipJSON accepted invalid UTF-8 or an empty record")
	}
	raw := gz(`{"a": }`)
	items = skipJSON(raw)
	items[0].RejectJSON(errors.New("syntax"))
	if !strings.HasPrefix(items[0].Err.Error(), "gzip-decompressed data: invalid JSON") || !bytes.Equal(items[0].Data, raw) {
		t.Fatalf("gzip: %v %q", items[0].Err, items[0].Data)
	}
}

// FuzzCheckText holds checkText, which looks at the first byte before trimming, to the check it makes: empty once
// white space is trimmed, else valid UTF-8.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"", " ", "\t\n\v\f\r ", "\u00a0", "\u0085", " \u2028{}", "{}", " {}", "\x7f", "\xff",
		"1", "{\"a\":\"\xff\"}", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want string
		switch {
		case len(bytes.TrimSpace(b)) == 0:
			want = "empty record: no JSON value"
		case !utf8.Valid(b):
			want = fmt.Sprintf("invalid UTF-8 at byte %d", invalidUTF8Offset(b))
		}
		got := ""
		if err := checkText(b); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Fatalf("checkText(%q) = %q; want %q", b, got, want)
		}
	})
}

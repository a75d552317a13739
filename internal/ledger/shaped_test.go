package ledger

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

const shapedSchema = `{
  "type": "object", "required": ["id"],
  "properties": {
    "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "country": {"type": "string"},
    "n": {"type": "number"}, "tags": {"type": "array", "items": {"type": "string"}}
  }
}`

// A transform of two steps, a time field and a partition key that is also a property (so in Parquet it is in
// _extra: partition columns are not data columns).
func shapedLayout(t *testing.T, format string) Layout {
	path := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(path, []byte(shapedSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	return Layout{OutputMode: "batch", Compression: "none", KeyPrefix: "kinesis/", ErrorPrefix: "errors/", Format: format,
		SchemaFile: path, Transform: `select(.keep != false) | del(.keep) | .n = (.n // 0) + 1`, TimeField: ".at",
		PartitionKeys: "country=.country"}
}

var (
	aggregate = []byte("\xf3\x89\x9a\xc2 the aggregate")
	shapedIn  = []Expect{
		{ShardID: shard0, SequenceNumber: seq1, SubIndex: -1, Data: []byte(`{"id": 1, "at": "2026-01-01T10:30:00.1234560+01:00", "country": "DE", "n": 1.50, "extra": {"x": [1, null]}, "keep": true}`)},
		{ShardID: shard0, SequenceNumber: seq2, SubIndex: -1, Data: []byte(`{"id": 2, "at": "2026-01-01T09:59:59Z", "country": "DE", "tags": ["t"]}`)},
		{ShardID: shard0, SequenceNumber: seq3, SubIndex: -1, Data: []byte(`{"id": 3, "keep": false}`)},
		{ShardID: shard0, SequenceNumber: seq9, SubIndex: -1, Data: []byte(`{"id": "four", "country": "FR"}`)},
		{ShardID: shard1, SequenceNumber: seq9, SubIndex: 0, Data: []byte(`{"id": 9, "country": "a/b"}`), Record: aggregate},
		{ShardID: shard1, SequenceNumber: seq9, SubIndex: 1, Data: []byte(`{"id": "x"}`), Record: aggregate},
	}
	// What the function writes of them: the transform's output (jq sorts the keys).
	shapedOut = map[string][]string{
		"kinesis/country=DE/year=2026/month=01/day=01/hour=09/" + shard0 + "-" + seq1: {
			`{"at":"2026-01-01T10:30:00.1234560+01:00","country":"DE","extra":{"x":[1,null]},"id":1,"n":2.5}`,
			`{"at":"2026-01-01T09:59:59Z","country":"DE","id":2,"n":1,"tags":["t"]}`},
		"kinesis/country=a!2Fb/" + part + shard1 + "-" + seq9: {`{"country":"a/b","id":9,"n":1}`},
	}
	schemaReason = "schema: /id: got string, want integer (type)"
)

func shapedQuarantine(seq string, data []byte, reason string, invalid map[int]string) []byte {
	q := map[string]any{"reason": reason, "shardId": shard0, "sequenceNumber": seq, "partitionKey": "k",
		"data": base64.StdEncoding.EncodeToString(data)}
	if invalid != nil {
		q["shardId"] = shard1
		var list []map[string]any
		for _, i := range []int{0, 1} {
			if r, ok := invalid[i]; ok {
				list = append(list, map[string]any{"subIndex": i, "reason": r})
			}
		}
		q["invalid"] = list
	}
	b, _ := json.Marshal(q)
	return b
}

// shapedBucket is what the function writes for shapedIn, as JSON Lines or Parquet (rows made by the function's
// encoder from the lines).
func shapedBucket(t *testing.T, format string, out map[string][]string) bucket {
	t.Helper()
	b := bucket{
		"errors/" + part + shard0 + "-" + seq9 + ".json": shapedQuarantine(seq9, shapedIn[3].Data, schemaReason, nil),
		"errors/" + part + shard1 + "-" + seq9 + ".json": shapedQuarantine(seq9, aggregate,
			"1 of the 2 user records of this KPL aggregate are invalid; the first, 1: "+schemaReason, map[int]string{1: schemaReason}),
	}
	for key, lines := range out {
		if format != "parquet" {
			b[key+".jsonl"] = []byte(strings.Join(lines, "\n") + "\n")
			continue
		}
		s, err := schema.Compile([]byte(shapedSchema), "mem://s.json")
		if err != nil {
			t.Fatal(err)
		}
		p, err := layout.NewParquet(s.Columns([]string{"country"}), "snappy")
		if err != nil {
			t.Fatal(err)
		}
		var rows []parquet.Row
		for _, line := range lines {
			v, err := jsonvalue.Decode([]byte(line))
			if err != nil {
				t.Fatal(err)
			}
			row, err := p.Row(v)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, row)
		}
		var buf bytes.Buffer
		if err := p.Encode(&buf, rows); err != nil {
			t.Fatal(err)
		}
		b[key+".parquet"] = buf.Bytes()
	}
	return b
}

func TestShapedBatch(t *testing.T) {
	moved := func(from, to string) map[string][]string {
		out := maps.Clone(shapedOut)
		out[to] = out[from]
		delete(out, from)
		return out
	}
	edited := func(key string, i int, line string) map[string][]string {
		out := maps.Clone(shapedOut)
		out[key] = append([]string(nil), out[key]...)
		out[key][i] = line
		return out
	}
	de := "kinesis/country=DE/year=2026/month=01/day=01/hour=09/" + shard0 + "-" + seq1
	ab := "kinesis/country=a!2Fb/" + part + shard1 + "-" + seq9
	for _, format := range []string{"jsonl", "parquet"} {
		for name, tc := range map[string]struct {
			out  map[string][]string
			edit func(bucket)
			want string // "" for a clean report
		}{
			"as written": {out: shapedOut},
			"other partition value": {out: moved(ab, "kinesis/country=a-b/"+part+shard1+"-"+seq9),
				want: `belongs under "country=a!2Fb/"`},
			"not the event's hour": {out: moved(de, "kinesis/country=DE/year=2026/month=01/day=01/hour=10/"+shard0+"-"+seq1),
				want: "has its event time in hour 2026-01-01T09:00:00Z"},
			"arrival hour in the past": {out: moved(ab, "kinesis/country=a!2Fb/year=2025/month=11/day=25/hour=17/"+shard1+"-"+seq9),
				want: "hour partition outside"},
			"no partition level": {out: moved(ab, "kinesis/"+part+shard1+"-"+seq9), want: "not a batch-mode key"},
			"not transformed":    {out: edited(ab, 0, `{"country":"a/b","id":9}`), want: "is no record put"},
			"an undeclared field lost": {out: edited(de, 0, `{"at":"2026-01-01T10:30:00.1234560+01:00","country":"DE","id":1,"n":2.5}`),
				want: "is no record put"},
			"another instant": {out: edited(de, 0, `{"at":"2026-01-01T10:30:00.1235+01:00","country":"DE","extra":{"x":[1,null]},"id":1,"n":2.5}`),
				want: "is no record put"},
			"dropped record written": {out: edited(ab, 0, `{"id":3}`), want: "is no record put"},
			"violation not quarantined": {edit: func(b bucket) { delete(b, "errors/"+part+shard0+"-"+seq9+".json") },
				want: "1 missing: " + shard0 + "/" + seq9},
			"violation with another reason": {edit: func(b bucket) {
				b["errors/"+part+shard0+"-"+seq9+".json"] = shapedQuarantine(seq9, shapedIn[3].Data, "invalid JSON", nil)
			}, want: `does not say "schema: /"`},
			"user record quarantined with the wrong data": {edit: func(b bucket) {
				b["errors/"+part+shard1+"-"+seq9+".json"] = shapedQuarantine(seq9, shapedIn[5].Data, "1 of 2", map[int]string{1: schemaReason})
			}, want: "is not the record's"},
			"valid user record quarantined": {edit: func(b bucket) {
				b["errors/"+part+shard1+"-"+seq9+".json"] = shapedQuarantine(seq9, aggregate, "2 of 2", map[int]string{0: "partition: no", 1: schemaReason})
			}, want: "valid record " + shard1 + "/" + seq9 + "#0 was quarantined"},
		} {
			t.Run(format+"/"+name, func(t *testing.T) {
				out := tc.out
				if out == nil {
					out = shapedOut
				}
				b := shapedBucket(t, format, out)
				if tc.edit != nil {
					tc.edit(b)
				}
				rep := check(t, b, shapedLayout(t, format), shapedIn)
				err := rep.Err()
				if tc.want == "" {
					if err != nil || rep.Written != 3 || rep.Quarantined != 2 || rep.Dropped != 1 {
						t.Fatalf("report %+v, err %v", rep, err)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Err() = %v, want it to mention %q", err, tc.want)
				}
			})
		}
	}
}

// A valid record beyond MAX_PARTITIONS is quarantined, not written; the checker cannot know which, and accepts it.
func TestShapedMaxPartitions(t *testing.T) {
	out := maps.Clone(shapedOut)
	delete(out, "kinesis/country=a!2Fb/"+part+shard1+"-"+seq9)
	b := shapedBucket(t, "jsonl", out)
	reason := "partition: country=a!2Fb/" + part + " would be one more than the 1 distinct partitions an invocation may write (MAX_PARTITIONS)"
	b["errors/"+part+shard1+"-"+seq9+".json"] = shapedQuarantine(seq9, aggregate, "2 of 2", map[int]string{0: reason, 1: schemaReason})
	rep := check(t, b, shapedLayout(t, "jsonl"), shapedIn)
	if err := rep.Err(); err != nil || rep.Written != 2 || rep.Quarantined != 3 {
		t.Fatalf("report %+v, err %v", rep, err)
	}
}

func TestShapedRecordMode(t *testing.T) {
	l := shapedLayout(t, "")
	l.OutputMode, l.TimeField, l.PartitionKeys = "record", "", ""
	good := func() bucket {
		b := shapedBucket(t, "jsonl", nil)
		b["kinesis/"+seq1+".json"] = []byte(`{"at":"2026-01-01T10:30:00.1234560+01:00","country":"DE","extra":{"x":[1,null]},"id":1,"n":2.5}`)
		b["kinesis/"+seq2+".json"] = []byte(`{"at":"2026-01-01T09:59:59Z","country":"DE","id":2,"n":1,"tags":["t"]}`)
		b["kinesis/"+seq9+"-0.json"] = []byte(`{"country":"a/b","id":9,"n":1}`)
		return b
	}
	if rep := check(t, good(), l, shapedIn); rep.Err() != nil || rep.Written != 3 || rep.Quarantined != 2 || rep.Dropped != 1 {
		t.Fatalf("report %+v, err %v", rep, rep.Err())
	}
	b := good()
	b["kinesis/"+seq1+".json"] = shapedIn[0].Data
	b["kinesis/"+seq3+".json"] = shapedIn[2].Data
	err := check(t, b, l, shapedIn).Err()
	if err == nil || !strings.Contains(err.Error(), "is not the transform's output") || !strings.Contains(err.Error(), "should have been dropped") {
		t.Fatalf("Err() = %v", err)
	}
}

func TestShapedRules(t *testing.T) {
	for in, want := range map[string]string{
		`"2026-03-01T23:59:59.999-01:00"`: "2026-03-02T00:59:59.999Z",
		`1767225600`:                      "2026-01-01T00:00:00Z",
		`1767225600123`:                   "2026-01-01T00:00:00.123Z",
		`1767225600.5`:                    "2026-01-01T00:00:00.5Z",
		`"1999-12-31T23:59:59Z"`:          "",
		`946684800`:                       "2000-01-01T00:00:00Z",
		`"yesterday"`:                     "",
		`true`:                            "",
	} {
		v, _ := decodeNumbers([]byte(in))
		got, ok := eventTime(v)
		if s := got.Format("2006-01-02T15:04:05.999999999Z07:00"); ok != (want != "") || ok && s != want {
			t.Errorf("eventTime(%s) = %s, %v; want %q", in, s, ok, want)
		}
	}
	for in, want := range map[string]string{`"DE"`: "DE", `"a b/ü"`: "a!20b!2F!C3!BC", `1.50`: "1.5", `false`: "false", `""`: "__null__",
		`null`: "__null__", `{}`: "__null__", `"__null__"`: "!5F_null__"} {
		v, _ := decodeNumbers([]byte(in))
		if got := partitionValue(v, true); got != want {
			t.Errorf("partitionValue(%s) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{`.a`: `["a"]`, `.a.b[2]`: `["a","b",2]`, `."x y"["z"]`: `["x y","z"]`, `.[0]`: `[0]`} {
		p, err := parseFieldPath(in)
		got, _ := json.Marshal(p)
		if err != nil || string(got) != want {
			t.Errorf("parseFieldPath(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"a", ".", ".a.", ".a[x]"} {
		if _, err := parseFieldPath(bad); err == nil {
			t.Errorf("parseFieldPath(%q) accepted", bad)
		}
	}
}

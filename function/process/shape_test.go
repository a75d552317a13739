package process

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/parquet-go/parquet-go"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
)

const ordersSchema = `{"type": "object", "required": ["id", "amount_cents"], "properties": {
  "id": {"type": "string"}, "amount_cents": {"type": "integer", "minimum": 0},
  "at": {"type": "string", "format": "date-time"}, "tenant": {"type": "string"}}}`

// analytics is a batch configuration with every analytics setting: a schema, a transform that drops test orders
// and the card and adds amount_cents, the event time at .at and a tenant partition.
func analytics(t *testing.T, format, compression string) config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orders.json")
	if err := os.WriteFile(path, []byte(ordersSchema), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Format, c.Compression, c.Schema, c.TimeField, c.PartitionKeys, c.MaxPartitions = format, compression, path, ".at", "tenant=.tenant", 100
	c.Transform = `select(.test | not) | del(.card) | .amount_cents = (.amount * 100 | round)`
	return c
}

// orders are a shard's records: valid ones in two tenants and hours (one of them late), one dropped by the
// transform, one without a time, one violating the schema and one that is not JSON.
func orders() []events.KinesisEventRecord {
	const shard = "shardId-000000000000"
	return []events.KinesisEventRecord{
		rec(shard, 1, t0, `{"id": "a", "amount": 1.25, "card": "4111", "at": "2026-11-25T10:30:00Z", "tenant": "acme"}`),
		rec(shard, 2, t0, `{"id": "b", "amount": 2, "at": "2026-11-25T08:15:00+00:00", "tenant": "acme"}`), // late
		rec(shard, 3, t0, `{"id": "c", "amount": 3, "test": true, "tenant": "acme"}`),                      // dropped
		rec(shard, 4, t0, `{"id": "d", "amount": 4, "tenant": "Globex Inc"}`),                              // no time: arrival
		rec(shard, 5, t0, `{"id": "e", "amount": -1, "at": "2026-11-25T10:31:00Z", "tenant": "acme"}`),     // violates
		rec(shard, 6, t0, `{"id": "f", "amount": `),                                                        // not JSON
		rec(shard, 7, t0, `{"id": "g", "amount": 7, "at": "2026-11-25T10:45:00Z", "tenant": "acme", "extra": [1]}`),
	}
}

func TestBatchWithAnalyticsSettings(t *testing.T) {
	w := newMem()
	p := newProc(t, analytics(t, config.FormatJSONL, config.CompressionZstd), w)
	resp, m, err := p.Process(context.Background(), orders())
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%v %v", err, resp)
	}
	lines := func(key string) []string {
		got, err := layout.Decode(w.objects[key], config.CompressionZstd)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		var out []string
		for _, l := range got {
			out = append(out, string(l))
		}
		return out
	}
	want := map[string][]string{
		"kinesis/tenant=acme/year=2026/month=11/day=25/hour=10/shardId-000000000000-" + seqOf(1) + ".jsonl.zst": {
			`{"amount":1.25,"amount_cents":125,"at":"2026-11-25T10:30:00Z","id":"a","tenant":"acme"}`,
			`{"amount":7,"amount_cents":700,"at":"2026-11-25T10:45:00Z","extra":[1],"id":"g","tenant":"acme"}`,
		},
		"kinesis/tenant=acme/year=2026/month=11/day=25/hour=08/shardId-000000000000-" + seqOf(2) + ".jsonl.zst": {
			`{"amount":2,"amount_cents":200,"at":"2026-11-25T08:15:00+00:00","id":"b","tenant":"acme"}`,
		},
		"kinesis/tenant=Globex!20Inc/year=2026/month=11/day=25/hour=10/shardId-000000000000-" + seqOf(4) + ".jsonl.zst": {
			`{"amount":4,"amount_cents":400,"id":"d","tenant":"Globex Inc"}`,
		},
	}
	if got := slices.Sorted(slices.Values(w.keys("kinesis/"))); !slices.Equal(got, slices.Sorted(maps(want))) {
		t.Fatalf("keys %q\nwant %q", got, slices.Sorted(maps(want)))
	}
	for key, ls := range want {
		if got := lines(key); !slices.Equal(got, ls) {
			t.Errorf("%s:\n%q\nwant\n%q", key, got, ls)
		}
	}
	reasons := quarantineReasons(t, w)
	if len(reasons) != 2 || !strings.HasPrefix(reasons[seqOf(5)], "schema: /amount_cents: minimum: got -100, want 0 (minimum)") ||
		!strings.HasPrefix(reasons[seqOf(6)], "invalid JSON: unexpected end of JSON input") {
		t.Errorf("quarantine reasons %q", reasons)
	}
	if m.RecordsWritten != 4 || m.RecordsQuarantined != 2 || m.RecordsSkipped != 1 || m.RecordsDropped != 1 || m.EventTimesMissing != 1 {
		t.Errorf("metrics %+v", m)
	}
}

func maps(m map[string][]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// quarantineReasons maps the sequence number of each quarantine object to its reason.
func quarantineReasons(t *testing.T, w *memWriter) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, key := range w.keys("errors/") {
		var q quarantineRecord
		if err := json.Unmarshal(w.objects[key], &q); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		out[q.SequenceNumber] = q.Reason
	}
	return out
}

func TestBatchParquet(t *testing.T) {
	w := newMem()
	p := newProc(t, analytics(t, config.FormatParquet, config.CompressionSnappy), w)
	if _, m, err := p.Process(context.Background(), orders()); err != nil || m.RecordsWritten != 4 || m.RecordsQuarantined != 2 {
		t.Fatalf("%v %+v", err, m)
	}
	key := "kinesis/tenant=acme/year=2026/month=11/day=25/hour=10/shardId-000000000000-" + seqOf(1) + ".parquet"
	body, ok := w.objects[key]
	if !ok || w.types[key] != "application/vnd.apache.parquet" {
		t.Fatalf("no %s among %q", key, w.keys("kinesis/"))
	}
	f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	r := parquet.NewReader(f)
	var rows []string
	for {
		row := map[string]any{}
		if err := r.Read(&row); err != nil {
			break
		}
		b, _ := json.Marshal(row)
		rows = append(rows, string(b))
	}
	// tenant is a partition column, so its value stays in _extra with the fields the schema does not declare.
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC).UnixMicro()
	want := []string{
		`{"_extra":"{\"amount\":1.25,\"tenant\":\"acme\"}","amount_cents":125,"at":` + itoa(at) + `,"id":"a"}`,
		`{"_extra":"{\"amount\":7,\"extra\":[1],\"tenant\":\"acme\"}","amount_cents":700,"at":` + itoa(at+15*60e6) + `,"id":"g"}`,
	}
	if !slices.Equal(rows, want) {
		t.Fatalf("rows\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// Partitions are admitted in record order: tenant=acme hour 10, then hour 08; Globex would be a third. The
// invocation ends before Globex's record instead of quarantining it, so that whether a record is written never
// depends on where a batch began: the next invocation, starting there, writes it.
func TestMaxPartitions(t *testing.T) {
	c := analytics(t, config.FormatJSONL, config.CompressionNone)
	c.MaxPartitions = 2
	w := newMem()
	p := newProc(t, c, w)
	resp, m, err := p.Process(context.Background(), orders())
	if err != nil || !slices.Equal(failures(resp), []string{seqOf(4)}) || m.RecordsWritten != 2 || m.RecordsQuarantined != 0 ||
		m.RecordsDropped != 1 || m.UserRecords != 3 {
		t.Fatalf("%v %v %+v", err, failures(resp), m)
	}
	resp, m, err = p.Process(context.Background(), orders()[3:])
	if err != nil || len(resp.BatchItemFailures) != 0 || m.RecordsWritten != 2 || m.RecordsQuarantined != 2 {
		t.Fatalf("the next invocation: %v %v %+v", err, failures(resp), m)
	}
	for seq, r := range quarantineReasons(t, w) {
		if strings.HasPrefix(r, "partition:") {
			t.Errorf("record %s quarantined for its partition: %s", seq, r)
		}
	}
}

// A KPL aggregate that alone holds more partitions than MAX_PARTITIONS has its user records past the limit
// quarantined: it is the first record of every invocation that handles it, so the outcome is the same each time.
func TestMaxPartitionsInOneAggregate(t *testing.T) {
	c := analytics(t, config.FormatJSONL, config.CompressionNone)
	c.MaxPartitions = 2
	sub := func(tenant string) string {
		return `{"id": "x", "amount": 1, "at": "2026-11-25T10:30:00Z", "tenant": "` + tenant + `"}`
	}
	rs := orders()[:1]
	rs[0].Kinesis.Data = kpl([]string{"a"}, sub("t1"), sub("t2"), sub("t3"), sub("t1"))
	for range 2 {
		w := newMem()
		resp, m, err := newProc(t, c, w).Process(context.Background(), rs)
		if err != nil || len(resp.BatchItemFailures) != 0 || m.RecordsWritten != 3 || m.RecordsQuarantined != 1 {
			t.Fatalf("%v %v %+v", err, failures(resp), m)
		}
		if r := quarantineReasons(t, w)[seqOf(1)]; !strings.Contains(r, "2: partition: tenant=t3/year=2026/month=11/day=25/hour=10/ "+
			"would be one more than the 2 distinct partitions an invocation may write (MAX_PARTITIONS), and this one Kinesis record holds more than that") {
			t.Fatalf("reason %q", r)
		}
		if q := quarantined(t, w); q[0].Rule != "partition" || q[0].Invalid[0].Rule != "partition" {
			t.Fatalf("rule %q, %+v; want partition", q[0].Rule, q[0].Invalid)
		}
	}
}

func TestRecordModeShapesBodies(t *testing.T) {
	c := analytics(t, config.FormatJSONL, config.CompressionGzip)
	c.OutputMode, c.TimeField, c.PartitionKeys = config.ModeRecord, "", ""
	w := newMem()
	p := newProc(t, c, w)
	if _, m, err := p.Process(context.Background(), orders()); err != nil || m.RecordsWritten != 4 || m.RecordsSkipped != 1 {
		t.Fatalf("%v %+v", err, m)
	}
	if got := string(w.objects["kinesis/"+seqOf(1)+".json"]); got != `{"amount":1.25,"amount_cents":125,"at":"2026-11-25T10:30:00Z","id":"a","tenant":"acme"}` {
		t.Fatalf("body %s", got)
	}
	if _, ok := w.objects["kinesis/"+seqOf(3)+".json"]; ok {
		t.Fatal("the dropped record was written")
	}
}

func TestFailPolicyStopsAtASchemaViolation(t *testing.T) {
	c := analytics(t, config.FormatJSONL, config.CompressionGzip)
	c.OnInvalidRecord = config.InvalidFail
	w := newMem()
	p := newProc(t, c, w)
	resp, m, err := p.Process(context.Background(), orders())
	if err != nil || !slices.Equal(failures(resp), []string{seqOf(5)}) || m.RecordsWritten != 3 {
		t.Fatalf("%v %v %+v", err, failures(resp), m)
	}
}

// TestCheckpointAcrossPartitions fails the upload of one partition's object (record 2's, hour 08). Its record lies
// inside another object (records 1 and 7, hour 10), so the response points at that object's first record: the
// retry rewrites both objects under the same keys rather than writing record 7 a second time under a new one.
func TestCheckpointAcrossPartitions(t *testing.T) {
	w := newMem()
	w.fail = func(key string) bool { return strings.Contains(key, "hour=08") }
	p := newProc(t, analytics(t, config.FormatJSONL, config.CompressionGzip), w)
	resp, _, err := p.Process(context.Background(), orders())
	if err != nil || !slices.Equal(failures(resp), []string{seqOf(1)}) {
		t.Fatalf("%v %v", err, failures(resp))
	}
}

func TestNewRejectsAParquetSchemaWithoutColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.json")
	if err := os.WriteFile(path, []byte(`{"type": "array"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Format, c.Schema = config.FormatParquet, path
	if _, err := New(c, newMem(), nil); err == nil || !strings.Contains(err.Error(), `SCHEMA must describe objects`) {
		t.Fatalf("error %v", err)
	}
	c.Schema = filepath.Join(t.TempDir(), "missing.json")
	if _, err := New(c, newMem(), nil); err == nil || !strings.Contains(err.Error(), "SCHEMA="+c.Schema) {
		t.Fatalf("error %v", err)
	}
}

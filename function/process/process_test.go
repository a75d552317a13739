package process

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/klauspost/compress/gzip"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
)

// memWriter is an in-memory bucket. fail decides, per key, whether a Put fails.
type memWriter struct {
	mu       sync.Mutex
	objects  map[string][]byte
	types    map[string]string
	puts     int
	putsOf   map[string]int // puts per key, failed ones included
	inFlight int
	maxIn    int
	fail     func(key string) bool
	block    bool      // block every Put until its context is done
	deadline time.Time // of the last Put's context
}

func newMem() *memWriter {
	return &memWriter{objects: map[string][]byte{}, types: map[string]string{}, putsOf: map[string]int{}}
}

// Get makes the memWriter a Reader, so that record mode can resume from the progress markers it keeps.
func (w *memWriter) Get(_ context.Context, key string) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	body, ok := w.objects[key]
	if !ok {
		return nil, errors.New("no such key")
	}
	return bytes.Clone(body), nil
}

func (w *memWriter) Put(ctx context.Context, key string, body []byte, contentType string) error {
	w.mu.Lock()
	w.puts++
	w.putsOf[key]++
	w.inFlight++
	w.maxIn = max(w.maxIn, w.inFlight)
	fail := w.fail != nil && w.fail(key)
	w.deadline, _ = ctx.Deadline()
	w.mu.Unlock()
	defer func() { w.mu.Lock(); w.inFlight--; w.mu.Unlock() }()
	if w.block {
		<-ctx.Done()
		return ctx.Err()
	}
	time.Sleep(time.Millisecond) // let writes overlap, so the concurrency bound is exercised
	if fail {
		return errors.New("injected S3 failure")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.objects[key] = bytes.Clone(body)
	w.types[key] = contentType
	return nil
}

func (w *memWriter) keys(prefix string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for k := range w.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

var t0 = time.Date(2026, 11, 25, 10, 59, 58, 0, time.UTC)

// rec builds an event record as Lambda delivers it; seq n becomes a realistic 56-digit sequence number.
func rec(shard string, n int, arrival time.Time, data string) events.KinesisEventRecord {
	seq := seqOf(n)
	return events.KinesisEventRecord{
		EventID:        shard + ":" + seq,
		EventSource:    "aws:kinesis",
		EventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/s",
		Kinesis: events.KinesisRecord{
			SequenceNumber:              seq,
			PartitionKey:                fmt.Sprintf("pk-%d", n),
			Data:                        []byte(data),
			ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: arrival},
		},
	}
}

func seqOf(n int) string {
	return fmt.Sprintf("4959033827149025660855969253836157109592157598913%07d", n)
}

func batch(n int) []events.KinesisEventRecord {
	var rs []events.KinesisEventRecord
	for i := 0; i < n; i++ {
		rs = append(rs, rec("shardId-000000000000", i, t0, fmt.Sprintf(`{"n": %d, "name": "Zoë"}`, i)))
	}
	return rs
}

func cfg(mode string) config.Config {
	return config.Config{Bucket: "b", OutputMode: mode, KeyPrefix: "kinesis/", Compression: "gzip",
		ErrorPrefix: "errors/", OnInvalidRecord: "quarantine", UploadConcurrency: 8}
}

func newProc(t *testing.T, c config.Config, w Writer) *Processor {
	t.Helper()
	p, err := New(c, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.now = func() time.Time { return t0.Add(90 * time.Second) }
	return p
}

func failures(resp events.KinesisEventResponse) []string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func TestEmptyBatch(t *testing.T) {
	w := newMem()
	resp, m, err := newProc(t, cfg("record"), w).Process(context.Background(), nil)
	if err != nil || len(resp.BatchItemFailures) != 0 || w.puts != 0 || m != (Metrics{}) {
		t.Fatalf("resp %+v metrics %+v err %v puts %d", resp, m, err, w.puts)
	}
	out, _ := json.Marshal(resp)
	if string(out) != `{"batchItemFailures":[]}` {
		t.Fatalf("response JSON %s", out)
	}
}

func TestRecordMode(t *testing.T) {
	w := newMem()
	rs := batch(50)
	rs[3].Kinesis.Data = []byte("{\n  \"pretty\": [1, 2],\n  \"big\": 123456789012345678901234567890\n}\n")
	resp, m, err := newProc(t, cfg("record"), w).Process(context.Background(), rs)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	for _, r := range rs {
		key := "kinesis/" + r.Kinesis.SequenceNumber + ".json"
		if !bytes.Equal(w.objects[key], r.Kinesis.Data) {
			t.Fatalf("%s: got %q want %q", key, w.objects[key], r.Kinesis.Data)
		}
		if w.types[key] != "application/json" {
			t.Fatalf("%s: content type %q", key, w.types[key])
		}
	}
	if len(w.objects) != 50 || m.RecordsWritten != 50 || m.ObjectsWritten != 50 || m.Records != 50 || m.RecordsFailed != 0 {
		t.Fatalf("objects %d metrics %+v", len(w.objects), m)
	}
	if m.MaxArrivalAge != 90*time.Second {
		t.Fatalf("max arrival age %v", m.MaxArrivalAge)
	}
	if w.maxIn > 8 {
		t.Fatalf("%d concurrent writes, bound is 8", w.maxIn)
	}
	if w.maxIn < 2 {
		t.Fatalf("writes did not run concurrently (max in flight %d)", w.maxIn)
	}
}

func TestBatchModeGroupsByShardAndHour(t *testing.T) {
	for _, compression := range []string{"gzip", "zstd", "none"} {
		t.Run(compression, func(t *testing.T) {
			c := cfg("batch")
			c.Compression = compression
			w := newMem()
			rs := batch(6) // records 0..5 at 10:59:58; 4 and 5 move to the next hour
			rs[4].Kinesis.ApproximateArrivalTimestamp.Time = t0.Add(3 * time.Second)
			rs[5].Kinesis.ApproximateArrivalTimestamp.Time = t0.Add(4 * time.Second)
			resp, m, err := newProc(t, c, w).Process(context.Background(), rs)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("resp %+v err %v", resp, err)
			}
			ext := layout.Extension(compression)
			want := map[string][]int{
				"kinesis/year=2026/month=11/day=25/hour=10/shardId-000000000000-" + seqOf(0) + ".jsonl" + ext: {0, 1, 2, 3},
				"kinesis/year=2026/month=11/day=25/hour=11/shardId-000000000000-" + seqOf(4) + ".jsonl" + ext: {4, 5},
			}
			if len(w.objects) != len(want) {
				t.Fatalf("objects %v", w.keys(""))
			}
			for key, ns := range want {
				lines, err := layout.Decode(w.objects[key], compression)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				if len(lines) != len(ns) {
					t.Fatalf("%s: %d lines", key, len(lines))
				}
				for i, n := range ns {
					if want := fmt.Sprintf(`{"n":%d,"name":"Zoë"}`, n); string(lines[i]) != want {
						t.Errorf("%s line %d: %s want %s", key, i, lines[i], want)
					}
				}
				if w.types[key] != layout.ContentType(compression) {
					t.Errorf("%s: content type %s", key, w.types[key])
				}
			}
			if m.RecordsWritten != 6 || m.ObjectsWritten != 2 {
				t.Fatalf("metrics %+v", m)
			}
		})
	}
}

func TestBatchModeSeparatesShards(t *testing.T) {
	w := newMem()
	rs := []events.KinesisEventRecord{
		rec("shardId-000000000001", 1, t0, `1`),
		rec("shardId-000000000002", 2, t0, `2`),
		rec("shardId-000000000001", 3, t0, `3`),
	}
	if _, _, err := newProc(t, cfg("batch"), w).Process(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	k1 := "kinesis/year=2026/month=11/day=25/hour=10/shardId-000000000001-" + seqOf(1) + ".jsonl.gz"
	lines, _ := layout.Decode(w.objects[k1], "gzip")
	if len(w.objects) != 2 || len(lines) != 2 || string(lines[1]) != "3" {
		t.Fatalf("objects %v, %s", w.keys(""), lines)
	}
}

func quarantined(t *testing.T, w *memWriter) []quarantineRecord {
	t.Helper()
	var out []quarantineRecord
	for _, k := range w.keys("errors/") {
		var q quarantineRecord
		if err := json.Unmarshal(w.objects[k], &q); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out = append(out, q)
	}
	return out
}

func TestInvalidRecordPolicies(t *testing.T) {
	bad := "caf\xe9 is not UTF-8"
	mk := func() []events.KinesisEventRecord {
		rs := batch(5)
		rs[2].Kinesis.Data = []byte(bad)
		return rs
	}
	for _, mode := range []string{"record", "batch"} {
		t.Run(mode+"/quarantine", func(t *testing.T) {
			w := newMem()
			resp, m, err := newProc(t, cfg(mode), w).Process(context.Background(), mk())
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("resp %+v err %v", resp, err)
			}
			q := quarantined(t, w)
			if len(q) != 1 {
				t.Fatalf("quarantined %v", w.keys("errors/"))
			}
			raw, _ := base64.StdEncoding.DecodeString(q[0].Data)
			if string(raw) != bad || q[0].SequenceNumber != seqOf(2) || q[0].ShardID != "shardId-000000000000" ||
				q[0].PartitionKey != "pk-2" || !q[0].ApproximateArrivalTimestamp.Equal(t0) ||
				!strings.Contains(q[0].Reason, "invalid UTF-8") || q[0].EventSourceARN == "" {
				t.Fatalf("quarantine record %+v", q[0])
			}
			wantKey := "errors/year=2026/month=11/day=25/hour=10/shardId-000000000000-" + seqOf(2) + ".json"
			if _, ok := w.objects[wantKey]; !ok {
				t.Fatalf("quarantine key %v, want %s", w.keys("errors/"), wantKey)
			}
			if m.RecordsQuarantined != 1 || m.RecordsWritten != 4 {
				t.Fatalf("metrics %+v", m)
			}
		})
		t.Run(mode+"/fail", func(t *testing.T) {
			c := cfg(mode)
			c.OnInvalidRecord = "fail"
			w := newMem()
			resp, m, err := newProc(t, c, w).Process(context.Background(), mk())
			if err != nil {
				t.Fatal(err)
			}
			if got := failures(resp); len(got) != 1 || got[0] != seqOf(2) {
				t.Fatalf("failures %v, want the invalid record %s", got, seqOf(2))
			}
			// Records before it are written; nothing from it on, since Lambda delivers those again.
			if mode == "record" && len(w.objects) != 2 {
				t.Fatalf("objects %v", w.keys(""))
			}
			if mode == "batch" {
				lines, _ := layout.Decode(w.objects[w.keys("kinesis/")[0]], "gzip")
				if len(w.objects) != 1 || len(lines) != 2 {
					t.Fatalf("objects %v lines %d", w.keys(""), len(lines))
				}
			}
			if len(w.keys("errors/")) != 0 || m.RecordsFailed != 3 {
				t.Fatalf("quarantined %v metrics %+v", w.keys("errors/"), m)
			}
		})
		t.Run(mode+"/skip", func(t *testing.T) {
			c := cfg(mode)
			c.OnInvalidRecord = "skip"
			w := newMem()
			resp, m, err := newProc(t, c, w).Process(context.Background(), mk())
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("resp %+v err %v", resp, err)
			}
			if len(w.keys("errors/")) != 0 || m.RecordsSkipped != 1 || m.RecordsWritten != 4 {
				t.Fatalf("quarantined %v metrics %+v", w.keys("errors/"), m)
			}
		})
	}
}

func kpl(keys []string, data ...string) []byte {
	var msg []byte
	for _, k := range keys {
		msg = protowire.AppendTag(msg, 1, protowire.BytesType)
		msg = protowire.AppendString(msg, k)
	}
	for i, d := range data {
		var r []byte
		r = protowire.AppendTag(r, 1, protowire.VarintType)
		r = protowire.AppendVarint(r, uint64(i%len(keys)))
		r = protowire.AppendTag(r, 3, protowire.BytesType)
		r = protowire.AppendBytes(r, []byte(d))
		msg = protowire.AppendTag(msg, 3, protowire.BytesType)
		msg = protowire.AppendBytes(msg, r)
	}
	sum := md5.Sum(msg)
	return append(append([]byte{0xF3, 0x89, 0x9A, 0xC2}, msg...), sum[:]...)
}

func TestKPLAndGzipRecords(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"logEvents":[]}`))
	zw.Close()
	badMD5 := kpl([]string{"a"}, `{}`)
	badMD5[len(badMD5)-1] ^= 1

	rs := batch(3)
	rs[0].Kinesis.Data = kpl([]string{"a", "b"}, `{"sub":0}`, `{"sub":1}`, `oops`)
	rs[1].Kinesis.Data = gz.Bytes()
	rs[2].Kinesis.Data = badMD5
	w := newMem()
	resp, m, err := newProc(t, cfg("record"), w).Process(context.Background(), rs)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	want := map[string]string{
		"kinesis/" + seqOf(0) + "-0.json": `{"sub":0}`,
		"kinesis/" + seqOf(0) + "-1.json": `{"sub":1}`,
		"kinesis/" + seqOf(1) + ".json":   `{"logEvents":[]}`,
	}
	for k, v := range want {
		if string(w.objects[k]) != v {
			t.Errorf("%s = %q, want %q", k, w.objects[k], v)
		}
	}
	q := quarantined(t, w)
	if len(q) != 2 || m.UserRecords != 5 || m.RecordsWritten != 3 || m.RecordsQuarantined != 2 {
		t.Fatalf("quarantined %v metrics %+v", w.keys("errors/"), m)
	}
	for _, r := range q {
		raw, _ := base64.StdEncoding.DecodeString(r.Data)
		if !bytes.Equal(raw, rs[map[string]int{seqOf(0): 0, seqOf(2): 2}[r.SequenceNumber]].Kinesis.Data) {
			t.Errorf("%s: data is not the Kinesis record as received", r.SequenceNumber)
		}
		switch r.SequenceNumber {
		case seqOf(0): // the aggregate, once, with its bad user record listed
			if len(r.Invalid) != 1 || r.Invalid[0].SubIndex != 2 || !strings.Contains(r.Invalid[0].Reason, "invalid JSON") ||
				r.PartitionKey != "pk-0" || !strings.HasPrefix(r.Reason, "1 of the 3 user records of this KPL aggregate are invalid; the first, 2: invalid JSON") {
				t.Errorf("aggregate quarantine %+v", r)
			}
		case seqOf(2): // the whole aggregated record
			if r.Invalid != nil || !strings.Contains(r.Reason, "MD5") {
				t.Errorf("bad MD5 quarantine %+v", r)
			}
		}
	}
	wantKey := "errors/year=2026/month=11/day=25/hour=10/shardId-000000000000-" + seqOf(0) + ".json"
	if _, ok := w.objects[wantKey]; !ok {
		t.Errorf("aggregate quarantine keys %v, want %s", w.keys("errors/"), wantKey)
	}
}

func TestCheckpointIsLowestUnwrittenRecord(t *testing.T) {
	w := newMem()
	w.fail = func(key string) bool {
		return strings.Contains(key, seqOf(7)) || strings.Contains(key, seqOf(3))
	}
	resp, m, err := newProc(t, cfg("record"), w).Process(context.Background(), batch(10))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(resp); len(got) != 1 || got[0] != seqOf(3) {
		t.Fatalf("failures %v, want [%s]", got, seqOf(3))
	}
	for i := 0; i < 3; i++ {
		if _, ok := w.objects["kinesis/"+seqOf(i)+".json"]; !ok {
			t.Fatalf("record %d before the checkpoint is not written", i)
		}
	}
	if m.RecordsFailed != 7 {
		t.Fatalf("metrics %+v", m)
	}
}

func TestCheckpointWhenEverythingFails(t *testing.T) {
	for _, mode := range []string{"record", "batch"} {
		w := newMem()
		w.fail = func(string) bool { return true }
		resp, m, err := newProc(t, cfg(mode), w).Process(context.Background(), batch(20))
		if err != nil {
			t.Fatal(err)
		}
		if got := failures(resp); len(got) != 1 || got[0] != seqOf(0) {
			t.Fatalf("%s: failures %v", mode, got)
		}
		if m.RecordsFailed != 20 || m.ObjectsWritten != 0 {
			t.Fatalf("%s: metrics %+v", mode, m)
		}
	}
}

func TestBatchCheckpointMovesToObjectStart(t *testing.T) {
	// Records 0..5 form one object; the quarantine of record 3 fails. Reporting record 3 would make the retry
	// write records 4 and 5 again under a new key, so the first record of their object is reported instead.
	rs := batch(6)
	rs[3].Kinesis.Data = []byte("not json")
	w := newMem()
	w.fail = func(key string) bool { return strings.HasPrefix(key, "errors/") }
	resp, _, err := newProc(t, cfg("batch"), w).Process(context.Background(), rs)
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(resp); len(got) != 1 || got[0] != seqOf(0) {
		t.Fatalf("failures %v, want [%s]", got, seqOf(0))
	}

	// A failure in the second of two objects reports the second object's first record.
	rs = batch(6)
	for i := 3; i < 6; i++ {
		rs[i].Kinesis.ApproximateArrivalTimestamp.Time = t0.Add(time.Hour)
	}
	w = newMem()
	w.fail = func(key string) bool { return strings.Contains(key, "hour=11") }
	resp, _, _ = newProc(t, cfg("batch"), w).Process(context.Background(), rs)
	if got := failures(resp); len(got) != 1 || got[0] != seqOf(3) {
		t.Fatalf("failures %v, want [%s]", got, seqOf(3))
	}
}

// A failed write stops only the writes of later records. The quarantine object of record 0 is handed over after
// the batch object of records 1..5; that object fails first, and the quarantine object is still written, so the
// retry starts at record 1. With one writer the order is fixed; with several it is whatever the scheduler makes it,
// which is how a write before the failure used to be skipped now and then.
func TestFailureStopsOnlyLaterWrites(t *testing.T) {
	for _, writers := range []int{1, 8} {
		rs := batch(6)
		rs[0].Kinesis.Data = []byte("not json")
		w := newMem()
		w.fail = func(key string) bool { return strings.HasPrefix(key, "kinesis/") }
		c := cfg("batch")
		c.UploadConcurrency = writers
		resp, m, err := newProc(t, c, w).Process(context.Background(), rs)
		if err != nil {
			t.Fatal(err)
		}
		if got := failures(resp); len(got) != 1 || got[0] != seqOf(1) {
			t.Fatalf("%d writers: failures %v, want [%s]", writers, got, seqOf(1))
		}
		if len(w.keys("errors/")) != 1 || m.RecordsQuarantined != 1 || m.RecordsFailed != 5 {
			t.Fatalf("%d writers: quarantine objects %q, metrics %+v", writers, w.keys("errors/"), m)
		}
	}
}

func TestLowerToObjectStartFollowsInterleavedObjects(t *testing.T) {
	// Arrival times that cross an hour boundary out of order interleave two objects: {0,1,3} and {2,4}.
	spans := [][2]int{{0, 3}, {2, 4}}
	if got := lowerToObjectStart(4, spans); got != 0 {
		t.Fatalf("got %d, want 0", got)
	}
	if got := lowerToObjectStart(5, spans); got != 5 {
		t.Fatalf("got %d, want 5", got)
	}
}

// Writes still under way when the invocation's time runs out are given up before its deadline, by the reserve the
// handler needs to answer (a tenth of the time, at least 200 ms), and reported as unwritten. The test checks the
// deadline the writes had, not when Process returned: that depends on how soon a loaded machine runs it again
// (under qemu with the CPU busy it returned 34 ms after the invocation's deadline, 234 ms after the writes').
func TestDeadlineReportsUnwrittenRecords(t *testing.T) {
	w := newMem()
	w.block = true
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, _, err := newProc(t, cfg("record"), w).Process(ctx, batch(5))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(resp); len(got) != 1 || got[0] != seqOf(0) {
		t.Fatalf("failures %v", got)
	}
	deadline, _ := ctx.Deadline()
	if w.deadline.IsZero() || deadline.Sub(w.deadline) < 200*time.Millisecond {
		t.Fatalf("the writes were given up at %v, %v before the invocation's deadline; want at least 200ms", w.deadline,
			deadline.Sub(w.deadline))
	}
}

func TestMalformedEvent(t *testing.T) {
	rs := batch(2)
	rs[1].Kinesis.SequenceNumber = ""
	_, _, err := newProc(t, cfg("record"), newMem()).Process(context.Background(), rs)
	if err == nil || !strings.Contains(err.Error(), "sequenceNumber") {
		t.Fatalf("error %v", err)
	}
}

func TestEMF(t *testing.T) {
	m := Metrics{Records: 3, RecordsWritten: 2, RecordsQuarantined: 1, BytesIn: 99, MaxArrivalAge: 1500 * time.Millisecond}
	var doc map[string]any
	if err := json.Unmarshal(m.EMF("fn", "INFO", t0), &doc); err != nil {
		t.Fatal(err)
	}
	aws := doc["_aws"].(map[string]any)
	cw := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if cw["Namespace"] != Namespace || doc["FunctionName"] != "fn" || aws["Timestamp"] != float64(t0.UnixMilli()) {
		t.Fatalf("EMF %v", doc)
	}
	// The level and time of a log line, for Lambda's log-level filter.
	if at, err := time.Parse(time.RFC3339, fmt.Sprint(doc[config.LogTimestampKey])); err != nil || !at.Equal(t0) || doc["level"] != "INFO" {
		t.Errorf("EMF line's level %v and %s %v: want INFO and %s", doc["level"], config.LogTimestampKey, doc[config.LogTimestampKey], t0)
	}
	for _, def := range cw["Metrics"].([]any) {
		name := def.(map[string]any)["Name"].(string)
		if _, ok := doc[name]; !ok {
			t.Errorf("metric %s declared without a value", name)
		}
	}
	if doc["RecordsIn"] != 3.0 || doc["RecordsWritten"] != 2.0 || doc["MaxArrivalAge"] != 1500.0 || doc["BytesIn"] != 99.0 {
		t.Fatalf("values %v", doc)
	}
}

func TestBatchModeFindsInvalidJSONWhileEncoding(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"not": json}`))
	zw.Close()
	rs := batch(5)
	rs[0].Kinesis.Data = []byte(`{"a": 1,}`) // first of its object: the key must name the first record written
	rs[2].Kinesis.Data = gz.Bytes()
	w := newMem()
	resp, m, err := newProc(t, cfg("batch"), w).Process(context.Background(), rs)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	key := "kinesis/year=2026/month=11/day=25/hour=10/shardId-000000000000-" + seqOf(1) + ".jsonl.gz"
	lines, err := layout.Decode(w.objects[key], "gzip")
	if err != nil || len(lines) != 3 || string(lines[0]) != `{"n":1,"name":"Zoë"}` {
		t.Fatalf("objects %v, lines %q, err %v", w.keys("kinesis/"), lines, err)
	}
	q := map[string]quarantineRecord{}
	for _, r := range quarantined(t, w) {
		q[r.SequenceNumber] = r
	}
	if !strings.HasPrefix(q[seqOf(0)].Reason, "invalid JSON") {
		t.Errorf("reason %q", q[seqOf(0)].Reason)
	}
	raw, _ := base64.StdEncoding.DecodeString(q[seqOf(2)].Data)
	if !strings.HasPrefix(q[seqOf(2)].Reason, "gzip-decompressed data: invalid JSON") || !bytes.Equal(raw, gz.Bytes()) {
		t.Errorf("gzip record: reason %q, raw %q", q[seqOf(2)].Reason, raw)
	}
	if m.RecordsWritten != 3 || m.RecordsQuarantined != 2 || m.ObjectsWritten != 3 {
		t.Fatalf("metrics %+v", m)
	}
}

func TestBatchModeAllInvalidWritesNoDataObject(t *testing.T) {
	for _, policy := range []string{"quarantine", "skip"} {
		c := cfg("batch")
		c.OnInvalidRecord = policy
		rs := batch(2)
		rs[0].Kinesis.Data = []byte(`nope`)
		rs[1].Kinesis.Data = []byte(`[1 2]`)
		w := newMem()
		resp, m, err := newProc(t, c, w).Process(context.Background(), rs)
		if err != nil || len(resp.BatchItemFailures) != 0 || len(w.keys("kinesis/")) != 0 {
			t.Fatalf("%s: resp %+v err %v objects %v", policy, resp, err, w.keys(""))
		}
		if policy == "skip" && (m.RecordsSkipped != 2 || len(w.objects) != 0) {
			t.Fatalf("skip: metrics %+v objects %v", m, w.keys(""))
		}
		if policy == "quarantine" && m.RecordsQuarantined != 2 {
			t.Fatalf("quarantine: metrics %+v", m)
		}
	}
}

// Allocations grow with the records only where they must: in record mode the key of each object, in batch mode
// nothing per record (the figures per record are in BenchmarkProcess and make bench).
func TestAllocationsPerRecord(t *testing.T) {
	rs := batch(2000)
	for _, c := range []struct {
		mode      string
		perRecord float64
	}{{config.ModeRecord, 1.1}, {config.ModeBatch, 0.1}} {
		p := newProc(t, cfg(c.mode), discard{})
		allocs := testing.AllocsPerRun(5, func() {
			if _, m, err := p.Process(context.Background(), rs); err != nil || m.RecordsWritten != len(rs) {
				t.Fatalf("metrics %+v, error %v", m, err)
			}
		})
		if got := allocs / float64(len(rs)); got > c.perRecord {
			t.Errorf("%s mode: %.2f allocations per record, want at most %.1f", c.mode, got, c.perRecord)
		}
	}
}

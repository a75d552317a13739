package redrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
)

// memWriter is an in-memory bucket; keys in fail are refused.
type memWriter struct {
	mu      sync.Mutex
	objects map[string]string
	fail    map[string]bool
}

func (w *memWriter) Put(_ context.Context, key string, body []byte, _ string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail[key] {
		return errors.New("put s3://bucket/" + key + ": SlowDown")
	}
	if w.objects == nil {
		w.objects = map[string]string{}
	}
	w.objects[key] = string(body)
	return nil
}

func testConfig(mode, onInvalid string) config.Config {
	return config.Config{Bucket: "bucket", OutputMode: mode, KeyPrefix: "kinesis/", Compression: config.CompressionNone,
		ErrorPrefix: "errors/", OnInvalidRecord: onInvalid, UploadConcurrency: 4}
}

func TestDirectWritesWhereTheHandlerWould(t *testing.T) {
	w := &memWriter{}
	d, err := NewDirect(testConfig(config.ModeRecord, config.InvalidQuarantine), w, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs := testRecords(3, 0)
	recs[1].Data = []byte("not json")
	res, err := d.Reprocess(context.Background(), testSource, recs)
	if err != nil || res.Handled != 3 || !res.Detailed || res.Written != 2 || res.Quarantined != 1 {
		t.Fatalf("Reprocess = %+v, %v", res, err)
	}
	for _, i := range []int{0, 2} {
		key := layout.RecordKey("kinesis/", recs[i].SequenceNumber, -1)
		if w.objects[key] != string(recs[i].Data) {
			t.Errorf("object %s = %q, want %q", key, w.objects[key], recs[i].Data)
		}
	}
	// The quarantined record carries the event fields Lambda would have sent: stream, shard, key, arrival.
	qkey := layout.QuarantineKey("errors/", recs[1].Arrival, shard0, recs[1].SequenceNumber)
	var q map[string]any
	if err := json.Unmarshal([]byte(w.objects[qkey]), &q); err != nil {
		t.Fatalf("quarantine object %s: %v (objects %v)", qkey, err, keys(w.objects))
	}
	// Like the function, the core sees the arrival time as aws-lambda-go decodes it from the event's float
	// seconds: a few nanoseconds early.
	arrival, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(q["approximateArrivalTimestamp"]))
	if d := recs[1].Arrival.Sub(arrival); d < 0 || d >= time.Microsecond ||
		q["eventSourceARN"] != testStreamARN || q["shardId"] != shard0 || q["partitionKey"] != recs[1].PartitionKey {
		t.Errorf("quarantine record %v", q)
	}
	if len(w.objects) != 3 {
		t.Errorf("objects %v", keys(w.objects))
	}
}

func TestDirectBatchModeKeysRepeat(t *testing.T) {
	w := &memWriter{}
	d, err := NewDirect(testConfig(config.ModeBatch, config.InvalidQuarantine), w, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs := testRecords(4, 0)
	for range 2 { // redriving twice writes the same object again
		if res, err := d.Reprocess(context.Background(), testSource, recs); err != nil || res.Handled != 4 {
			t.Fatalf("Reprocess = %+v, %v", res, err)
		}
	}
	key := layout.ObjectKey("kinesis/", layout.Partition{Hour: recs[0].Arrival}, shard0, recs[0].SequenceNumber, ".jsonl"+layout.Extension(config.CompressionNone))
	if len(w.objects) != 1 || strings.Count(w.objects[key], "\n") != 4 {
		t.Errorf("objects %v, want one with 4 lines under %s", keys(w.objects), key)
	}
}

func TestDirectReportsWriteFailures(t *testing.T) {
	recs := testRecords(4, 0)
	w := &memWriter{fail: map[string]bool{layout.RecordKey("kinesis/", recs[2].SequenceNumber, -1): true}}
	d, err := NewDirect(testConfig(config.ModeRecord, config.InvalidQuarantine), w, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Reprocess(context.Background(), testSource, recs)
	if res.Handled != 2 || err == nil || !strings.Contains(err.Error(), "SlowDown") ||
		!strings.Contains(err.Error(), recs[2].SequenceNumber+".json") {
		t.Fatalf("Reprocess = %+v, %v", res, err)
	}
}

func TestDirectFailPolicyStopsAtInvalidRecord(t *testing.T) {
	d, err := NewDirect(testConfig(config.ModeRecord, config.InvalidFail), &memWriter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs := testRecords(3, 0)
	recs[1].Data = []byte("{")
	res, err := d.Reprocess(context.Background(), testSource, recs)
	if res.Handled != 1 || err == nil || !strings.Contains(err.Error(), "ON_INVALID_RECORD=fail") {
		t.Fatalf("Reprocess = %+v, %v", res, err)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

package redrive

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kpl"
)

// readableBucket is an in-memory bucket that, like s3writer.Writer, can also read back what it holds (process.Reader),
// and counts the writes of each key.
type readableBucket struct {
	memWriter
	puts map[string]int
	gets []string
}

func (b *readableBucket) Put(ctx context.Context, key string, body []byte, contentType string) error {
	b.mu.Lock()
	if b.puts == nil {
		b.puts = map[string]int{}
	}
	b.puts[key]++
	b.mu.Unlock()
	return b.memWriter.Put(ctx, key, body, contentType)
}

func (b *readableBucket) Get(_ context.Context, key string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gets = append(b.gets, key)
	body, ok := b.objects[key]
	if !ok {
		return nil, errors.New("get s3://bucket/" + key + ": NoSuchKey")
	}
	return []byte(body), nil
}

// The runbook, redrive -h, and the redrive-operator policy (s3:GetObject on <error_prefix>_progress/*) all promise
// that direct mode "resumes a large KPL aggregate where an earlier attempt stopped, as the function does". The core
// resumes only when its Writer also reads (process.Reader), and NewDirect wraps the s3writer.Writer it is given in
// errorRecorder, which has Put only: the progress marker the function saved is never read, and the replay writes
// the whole aggregate again.
func TestRev15DirectResumesALargeAggregateFromTheFunctionsMarker(t *testing.T) {
	const n, handled = 1500, 700
	subs := make([]kpl.Record, n)
	for i := range subs {
		subs[i] = kpl.Record{PartitionKey: "k", Data: fmt.Appendf(nil, `{"i":%d}`, i)}
	}
	recs := testRecords(1, 0)
	recs[0].Data = kpl.Marshal(subs)

	b := &readableBucket{}
	marker := layout.ProgressKey("errors/", shard0, recs[0].SequenceNumber)
	// What the function saved when an invocation stopped inside the aggregate (function/process/resume.go).
	b.memWriter.Put(context.Background(), marker, fmt.Appendf(nil, `{"keyPrefix":"kinesis/","handled":%d}`, handled), "application/json")

	d, err := NewDirect(testConfig(config.ModeRecord, config.InvalidQuarantine), b, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Reprocess(context.Background(), testSource, recs)
	if err != nil || res.Handled != 1 {
		t.Fatalf("Reprocess = %+v, %v", res, err)
	}
	if len(b.gets) == 0 {
		t.Errorf("direct mode never read the progress marker %s", marker)
	}
	rewritten := 0
	for i := range handled {
		rewritten += b.puts[layout.RecordKey("kinesis/", recs[0].SequenceNumber, i)]
	}
	if rewritten != 0 || res.Written != n-handled {
		t.Errorf("the replay wrote %d of the %d user records the marker says are durable (Written %d, want %d)",
			rewritten, handled, res.Written, n-handled)
	}
}

package process

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/kinesis2s3/kinesis2s3/function/budget"
	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/decode"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
)

// gzBomb is gzip of a JSON number followed by spaces: valid JSON of n bytes from about n/1000.
func gzBomb(n int) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write([]byte("1"))
	w.Write(bytes.Repeat([]byte(" "), n-1))
	w.Close()
	return b.Bytes()
}

// small is the configuration of a 128 MB function: a 12 MiB invocation budget, records of at most 6 MiB.
func small(mode string) (config.Config, budget.Budget) {
	c := cfg(mode)
	c.MemoryMB = 128
	return c, budget.For(128)
}

func TestInvocationBudgetLeavesTheRestToTheNextInvocation(t *testing.T) {
	for _, mode := range []string{"record", "batch"} {
		c, b := small(mode)
		per := int(b.Invocation / 3) // two fit, not three: the bookkeeping of each takes a little more
		rs := batch(6)
		for i := range rs {
			rs[i].Kinesis.Data = gzBomb(per)
		}
		w := newMem()
		p := newProc(t, c, w)
		resp, m, err := p.Process(context.Background(), rs)
		if err != nil {
			t.Fatal(err)
		}
		if got := failures(resp); len(got) != 1 || got[0] != seqOf(2) || m.RecordsFailed != 4 || m.RecordsWritten != 2 {
			t.Fatalf("%s: failures %v, metrics %+v; want records 0 and 1 written, the rest left from record 2", mode, got, m)
		}
		// The next invocation, from the reported record with a fresh budget, carries on.
		resp, m, _ = p.Process(context.Background(), rs[2:])
		if got := failures(resp); len(got) != 1 || got[0] != seqOf(4) || m.RecordsWritten != 2 {
			t.Fatalf("%s: second invocation: failures %v, metrics %+v", mode, got, m)
		}
	}
}

func TestRecordOverItsLimitIsQuarantined(t *testing.T) {
	c, b := small("record")
	rs := batch(3)
	rs[1].Kinesis.Data = gzBomb(int(b.Record) + 1)
	w := newMem()
	resp, m, err := newProc(t, c, w).Process(context.Background(), rs)
	if err != nil || len(resp.BatchItemFailures) != 0 || m.RecordsWritten != 2 || m.RecordsQuarantined != 1 {
		t.Fatalf("resp %+v metrics %+v err %v", resp, m, err)
	}
	q := quarantined(t, w)
	if raw, _ := base64.StdEncoding.DecodeString(q[0].Data); !bytes.Equal(raw, rs[1].Kinesis.Data) ||
		!strings.Contains(q[0].Reason, "the limit for one Kinesis record") {
		t.Fatalf("quarantine %+v", q[0])
	}
}

func TestAggregateWithManyInvalidUserRecordsIsOneQuarantineObject(t *testing.T) {
	key := strings.Repeat("\x01", decode.MaxPartitionKey) // control bytes: six bytes each, escaped in JSON
	data := make([]string, 2000)                          // empty: every one invalid
	rs := batch(1)
	rs[0].Kinesis.Data = kpl([]string{key}, data...)
	w := newMem()
	resp, m, err := newProc(t, cfg("record"), w).Process(context.Background(), rs)
	if err != nil || len(resp.BatchItemFailures) != 0 || m.RecordsQuarantined != 2000 || m.ObjectsWritten != 1 {
		t.Fatalf("resp %+v metrics %+v err %v", resp, m, err)
	}
	body := w.objects[w.keys("errors/")[0]]
	// The aggregate once (base64) and a short entry per user record: no copy of the key or of shared fields.
	if limit := len(rs[0].Kinesis.Data)*4/3 + 2000*80 + 1024; len(body) > limit {
		t.Fatalf("quarantine body of %d bytes, over %d", len(body), limit)
	}
	q := quarantined(t, w)[0]
	if len(q.Invalid) != 2000 || q.Invalid[1999].SubIndex != 1999 || !strings.Contains(q.Invalid[0].Reason, "empty record") {
		t.Fatalf("invalid list: %d entries, last %+v", len(q.Invalid), q.Invalid[len(q.Invalid)-1])
	}

	// A key longer than Kinesis allows makes the aggregate invalid as a whole: still one object.
	rs[0].Kinesis.Data = kpl([]string{strings.Repeat("\x01", 64<<10)}, data...)
	w = newMem()
	if _, m, _ := newProc(t, cfg("record"), w).Process(context.Background(), rs); m.ObjectsWritten != 1 || m.RecordsQuarantined != 1 {
		t.Fatalf("long key: metrics %+v", m)
	}
	if q := quarantined(t, w)[0]; !strings.Contains(q.Reason, "partition key 0 is 65536 bytes") || q.Invalid != nil {
		t.Fatalf("long key: %+v", q.Reason)
	}
}

func TestPartitionKeyThatIsNotUTF8IsKeptInBase64(t *testing.T) {
	rs := batch(1)
	rs[0].Kinesis.PartitionKey = "caf\xe9"
	rs[0].Kinesis.Data = []byte("not json")
	w := newMem()
	if _, _, err := newProc(t, cfg("record"), w).Process(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	q := quarantined(t, w)[0]
	if key, _ := base64.StdEncoding.DecodeString(q.PartitionKeyBase64); string(key) != "caf\xe9" || q.PartitionKey != "" {
		t.Fatalf("partitionKey %q, partitionKeyBase64 %q", q.PartitionKey, q.PartitionKeyBase64)
	}
}

func TestRecordModeResumesALargeAggregate(t *testing.T) {
	const n = 1500
	data := make([]string, n)
	for i := range data {
		data[i] = fmt.Sprintf(`{"i":%d}`, i)
	}
	data[10] = "not json" // an invalid user record before the stop: quarantined, counted as handled
	rs := batch(2)
	rs[0].Kinesis.Data = kpl([]string{"k"}, data...)
	w := newMem()
	stopAt := layout.RecordKey("kinesis/", seqOf(0), 700)
	w.fail = func(key string) bool { return key == stopAt }
	p := newProc(t, cfg("record"), w)
	resp, _, _ := p.Process(context.Background(), rs)
	if got := failures(resp); len(got) != 1 || got[0] != seqOf(0) {
		t.Fatalf("first attempt: failures %v", got)
	}
	var pr progress
	if err := json.Unmarshal(w.objects[layout.ProgressKey("errors/", "shardId-000000000000", seqOf(0))], &pr); err != nil || pr.Handled != 700 {
		t.Fatalf("progress marker %+v (%v); want 700 handled: every user record before the failed one", pr, err)
	}

	w.fail = nil
	before := map[string]int{}
	for k, v := range w.putsOf {
		before[k] = v
	}
	resp, m, _ := p.Process(context.Background(), rs)
	if len(resp.BatchItemFailures) != 0 || m.RecordsWritten != n-700+1 {
		t.Fatalf("retry: resp %+v metrics %+v", resp, m)
	}
	for i := range n {
		key := layout.RecordKey("kinesis/", seqOf(0), i)
		rewritten := w.putsOf[key] - before[key]
		if i != 10 && (i < 700 && rewritten != 0 || i >= 700 && rewritten != 1) {
			t.Fatalf("user record %d written %d times by the retry", i, rewritten)
		}
	}
	if len(w.keys("kinesis/")) != n-1+1 {
		t.Fatalf("%d data objects, want every valid user record and the plain record", len(w.keys("kinesis/")))
	}
}

func TestDecodingStopsHalfwayToTheDeadline(t *testing.T) {
	// Gzip bombs with a broken checksum: each is decompressed to the end, costs CPU, and is invalid, so it spends
	// no budget. Decoding them all would leave no time to write the quarantines.
	c, b := small("record")
	bad := gzBomb(int(b.Record))
	bad[len(bad)-5] ^= 0xff
	rs := batch(300)
	for i := range rs {
		rs[i].Kinesis.Data = bad
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	resp, m, err := newProc(t, c, newMem()).Process(ctx, rs)
	got := failures(resp)
	if err != nil || len(got) != 1 || got[0] == seqOf(0) || m.RecordsQuarantined == 0 {
		t.Fatalf("failures %v, metrics %+v, err %v; want the records decoded in the first half quarantined", got, m, err)
	}
	if ctx.Err() != nil {
		t.Fatal("returned after the deadline")
	}
	t.Logf("%d of %d records decoded and quarantined before the halfway point", m.RecordsQuarantined, len(rs))
}

package process

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
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
	// Decoding overruns the halfway point by up to one record, and the quarantines are written after it: the timeout
	// is a multiple of what a bomb takes to decode here, 1.2 s at least. Under qemu on a loaded machine one took half
	// a second now and then, and with a fixed 1.2 s the decoding ran past the writes' deadline (2 in 30 runs). Between
	// halfway and the writes' deadline (a tenth of the timeout before it, 200 ms at least) lie 0.4 timeouts: a timeout
	// of 40 bombs leaves 16 bombs for the overrun. (With 20, under qemu, where a bomb takes 60-70 ms, the timeout
	// stayed at 1.2 s and left 0.4 s, less than that half-second bomb.) The
	// batch is long enough that decoding it all would take three times the timeout at the fastest bombs decoded
	// here (the least of three batches of 20): 300 bombs once all decoded before halfway, at 1.3 ms each.
	one := time.Duration(math.MaxInt64)
	for range 3 {
		r := batch(20)
		for i := range r {
			r[i].Kinesis.Data = bad
		}
		_, m, _ := newProc(t, c, discard{}).Process(context.Background(), r)
		one = min(one, max(m.Took.Decode/20, time.Microsecond))
	}
	timeout := max(1200*time.Millisecond, 40*one)
	rs := batch(int(min(max(3*timeout/one, 300), 10_000)))
	for i := range rs {
		rs[i].Kinesis.Data = bad
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, m, err := newProc(t, c, newMem()).Process(ctx, rs)
	got := failures(resp)
	if err != nil || len(got) != 1 || got[0] == seqOf(0) || m.RecordsQuarantined == 0 {
		t.Fatalf("failures %v, metrics %+v, err %v; want the records decoded in the first half quarantined", got, m, err)
	}
	if ctx.Err() != nil {
		t.Fatal("returned after the deadline")
	}
	t.Logf("%d of %d records decoded and quarantined before halfway to the deadline (timeout %v)", m.RecordsQuarantined, len(rs), timeout)
}

// numbers is a JSON object of one array of n ones, and the schema that makes it a column.
func numbers(n int) string { return `{"xs":[` + strings.Repeat("1,", n-1) + `1]}` }

const numbersSchema = `{"type":"object","properties":{"xs":{"type":"array","items":{"type":"integer"}}}}`

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// withNumbersSchema is a batch configuration of a 512 MB function with SCHEMA set, in the given format.
func withNumbersSchema(t *testing.T, format string) config.Config {
	path := filepath.Join(t.TempDir(), "numbers.json")
	if err := os.WriteFile(path, []byte(numbersSchema), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Schema, c.Format, c.Compression, c.MemoryMB = path, format, config.CompressionZstd, 512
	return c
}

// peakLiveHeap runs f and returns the largest live heap that a garbage collection found meanwhile. Collections
// come at every 10% of growth, so that the peak is not missed by much.
func peakLiveHeap(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	// Twice: what earlier tests' Processors left in their sync.Pools survives one collection (the pools' victim
	// caches), and would count as this invocation's.
	runtime.GC()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var peak uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	done <- struct{}{}
	<-done
	metrics.Read(sample)
	return max(peak, sample[0].Value.Uint64())
}

// liveHeapBound is what an invocation may hold live: its decoded data about twice (the data, then what is built from
// it), and the tree of the record being shaped (half the budget, budget.Budget.Values) — and of the record before
// it, as the GC counts what dies while it marks as live until its next cycle: on a loaded machine, where a cycle
// takes longer, the Parquet budget test read 148 MiB against 117 alone.
func liveHeapBound(b budget.Budget) int64 { return 2*b.Invocation + b.Invocation }

// A gzip record of 14 KB decompresses to 7 million JSON values: decoded into a tree for the schema, it took a GiB
// (48 bytes a value then, 32 now, in the tree and as many on the stack). Over the cap of values, it is quarantined,
// and the live heap stays within what the budget allows for.
func TestRecordWithTooManyValuesIsQuarantined(t *testing.T) {
	b := budget.For(512)
	deep := gzipped(numbers(int(b.Record/4) - 10)) // under the record limit
	for _, format := range []string{config.FormatJSONL, config.FormatParquet} {
		w := newMem()
		p := newProc(t, withNumbersSchema(t, format), w)
		rs := batch(2)
		rs[0].Kinesis.Data = deep
		var resp events.KinesisEventResponse
		var m Metrics
		var err error
		peak := peakLiveHeap(func() { resp, m, err = p.Process(context.Background(), rs) })
		if err != nil || len(resp.BatchItemFailures) != 0 || m.RecordsQuarantined != 1 || m.RecordsWritten != 1 {
			t.Fatalf("%s: resp %+v metrics %+v err %v", format, resp, m, err)
		}
		want := fmt.Sprintf("shape: more than %d JSON values and object keys in one record", b.Values)
		if q := quarantined(t, w); !strings.Contains(q[0].Reason, want) {
			t.Fatalf("%s: reason %q, want %q", format, q[0].Reason, want)
		}
		if limit := liveHeapBound(b); int64(peak) > limit {
			t.Fatalf("%s: live heap peaked at %d MiB, over %d MiB", format, peak>>20, limit>>20)
		}
		t.Logf("%s: live heap peaked at %d MiB", format, peak>>20)
	}
}

// Parquet rows take 24 bytes a value for the whole batch, and the writer's column buffers about as much: they are
// charged to the invocation's budget, and the batch ends before the first record they do not fit, as it does for
// decoded data.
func TestParquetRowsAreChargedToTheBudget(t *testing.T) {
	b := budget.For(512)
	n := b.Values - 10 // values per record, just under the cap
	data := numbers(n)
	// Each record holds its bookkeeping, the copy of its text that its row's strings point into (the text itself is
	// the event's), and its row, a value per element and a null for _extra, twice (the row and the writer's buffers).
	cost := int64(len(data)) + decode.ItemCost + 2*24*int64(n+1)
	fit := int(b.Invocation / cost)
	rs, shared := batch(60), []byte(data)
	for i := range rs {
		rs[i].Kinesis.Data = shared
	}
	w := newMem()
	p := newProc(t, withNumbersSchema(t, config.FormatParquet), w)
	var resp events.KinesisEventResponse
	var m Metrics
	peak := peakLiveHeap(func() { resp, m, _ = p.Process(context.Background(), rs) })
	if got := failures(resp); len(got) != 1 || got[0] != seqOf(fit) || m.RecordsWritten != fit {
		t.Fatalf("failures %v, metrics %+v; want %d records written and the rest left from record %d", got, m, fit, fit)
	}
	if limit := liveHeapBound(b); int64(peak) > limit {
		t.Fatalf("live heap peaked at %d MiB, over %d MiB", peak>>20, limit>>20)
	}
	t.Logf("%d records of %d, live heap peaked at %d MiB", fit, len(rs), peak>>20)
	// The next invocation carries on from the reported record.
	if resp, m, _ = p.Process(context.Background(), rs[fit:]); failures(resp)[0] != seqOf(2*fit) || m.RecordsWritten != fit {
		t.Fatalf("next invocation: failures %v, metrics %+v", failures(resp), m)
	}

	// An aggregate whose rows alone are over a fresh budget: the user records that fit are written, the others
	// quarantined with the reason, and the shard goes on. Its gzip user records cost their decompressed bytes too.
	const subs = 6
	agg := batch(1)
	agg[0].Kinesis.Data = kpl([]string{"k"}, slices.Repeat([]string{string(gzipped(data))}, subs)...)
	room := b.Invocation - subs*(int64(len(data))+decode.ItemCost)
	fit = int(room / (cost - decode.ItemCost))
	w = newMem()
	resp, m, err := newProc(t, withNumbersSchema(t, config.FormatParquet), w).Process(context.Background(), agg)
	if err != nil || len(resp.BatchItemFailures) != 0 || m.RecordsWritten != fit || m.RecordsQuarantined != subs-fit || fit >= subs {
		t.Fatalf("aggregate: failures %v, metrics %+v, err %v", failures(resp), m, err)
	}
	if q := quarantined(t, w)[0]; !strings.Contains(q.Invalid[0].Reason, "shape: shaped, it would hold") {
		t.Fatalf("aggregate: quarantine %+v", q.Invalid[0])
	}
}

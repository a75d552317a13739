package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
)

// flaky is a bucket whose first write of a key that fail picks goes wrong once `after` other writes have succeeded:
// writes of records after the failed one are then durable too, as they may be whenever writes overlap. With stall
// the write waits for the invocation's time to run out instead of failing.
type flaky struct {
	*memWriter
	fail  func(key string) bool
	after int
	stall bool

	mu     sync.Mutex
	failed bool
	done   int
	ready  chan struct{} // closed once `after` writes have succeeded
}

func newFlaky(fail func(string) bool, after int, stall bool) *flaky {
	f := &flaky{memWriter: newMem(), fail: fail, after: after, stall: stall, ready: make(chan struct{})}
	if after == 0 {
		close(f.ready)
	}
	return f
}

func (f *flaky) Put(ctx context.Context, key string, body []byte, contentType string) error {
	f.mu.Lock()
	fail := !f.failed && f.fail(key)
	f.failed = f.failed || fail
	f.mu.Unlock()
	if !fail {
		err := f.memWriter.Put(ctx, key, body, contentType)
		f.mu.Lock()
		if f.done++; err == nil && f.done == f.after {
			close(f.ready)
		}
		f.mu.Unlock()
		return err
	}
	if f.stall {
		<-ctx.Done()
		return ctx.Err()
	}
	select {
	case <-f.ready:
	case <-ctx.Done():
	case <-time.After(10 * time.Second): // not the order the case wants: fail anyway rather than hang
	}
	return errors.New("injected S3 failure")
}

// deliver invokes p as Lambda does: with rs, then again from each reported record until none is, each invocation
// given timeout (none when 0). It returns the sum of the invocations' metrics, and how many there were.
func deliver(t *testing.T, p *Processor, rs []events.KinesisEventRecord, timeout time.Duration) (sum Metrics, invocations int) {
	t.Helper()
	for ; len(rs) > 0; invocations++ {
		if invocations == 10 {
			t.Fatalf("still %d records to deliver after %d invocations", len(rs), invocations)
		}
		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, timeout)
		}
		resp, m, err := p.Process(ctx, rs)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		sum.RecordsWritten += m.RecordsWritten
		sum.RecordsQuarantined += m.RecordsQuarantined
		sum.RecordsSkipped += m.RecordsSkipped
		sum.RecordsDropped += m.RecordsDropped
		sum.EventTimesMissing += m.EventTimesMissing
		sum.ObjectsWritten += m.ObjectsWritten
		sum.BytesWritten += m.BytesWritten
		if len(resp.BatchItemFailures) == 0 {
			return sum, invocations + 1
		}
		from := resp.BatchItemFailures[0].ItemIdentifier
		for len(rs) > 0 && rs[0].Kinesis.SequenceNumber != from {
			rs = rs[1:]
		}
	}
	return sum, invocations
}

// outcomes are the metrics that count what became of user records and the objects written: each counts once.
func outcomes(m Metrics) Metrics {
	return Metrics{RecordsWritten: m.RecordsWritten, RecordsQuarantined: m.RecordsQuarantined,
		RecordsSkipped: m.RecordsSkipped, RecordsDropped: m.RecordsDropped, EventTimesMissing: m.EventTimesMissing,
		ObjectsWritten: m.ObjectsWritten, BytesWritten: m.BytesWritten}
}

// inBucket counts what the bucket holds once every record is delivered: the objects (progress markers aside) and
// their bytes, the user records in data objects, and the user records the quarantine objects hold.
func inBucket(t *testing.T, w *memWriter, c config.Config) (m Metrics) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for key, body := range w.objects {
		switch {
		case strings.HasPrefix(key, c.ErrorPrefix+"_progress/"):
			continue
		case strings.HasPrefix(key, c.ErrorPrefix):
			var q quarantineRecord
			if err := json.Unmarshal(body, &q); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			m.RecordsQuarantined += max(1, len(q.Invalid))
		case c.OutputMode == config.ModeRecord:
			m.RecordsWritten++
		default:
			lines, err := layout.Decode(body, c.Compression)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			m.RecordsWritten += len(lines)
		}
		m.ObjectsWritten++
		m.BytesWritten += int64(len(body))
	}
	return m
}

// A user record counts once, when its outcome is durable and reported as such; an object counts once, with its
// records. A partial-batch response makes Lambda deliver the reported record and all after it again, so whatever
// this invocation did for them — objects written after a failed one, invalid records quarantined or skipped, records
// dropped by the transform or without an event time — is done and counted again by the retry. Counted here too, the
// dashboards and the quarantine alarm would count it twice. So, summed over the invocations that deliver a batch
// whose first attempt ends early, each outcome metric must be what one clean pass counts, record by record, and
// what the bucket holds.
func TestOutcomesCountOnceAcrossRetries(t *testing.T) {
	twoShards := batch(6) // shard A holds records 0, 2, 4, shard B 1, 3, 5: two objects, interleaved
	for i := 1; i < len(twoShards); i += 2 {
		twoShards[i] = rec("shardId-000000000001", i, t0, fmt.Sprintf(`{"n": %d}`, i))
	}
	mixed := batch(6) // record 4 is quarantined or skipped, record 5 dropped by the transform
	mixed[4].Kinesis.Data = []byte("not json")
	const n = 1200
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf(`{"i":%d}`, i)
	}
	users[5], users[900] = "not json", "not json either"
	aggregate := batch(2)
	aggregate[0].Kinesis.Data = kpl([]string{"k"}, users...)
	recordMode := func(policy string) config.Config {
		c := cfg("record")
		c.OnInvalidRecord, c.Transform = policy, `if .n == 5 then empty else . end`
		return c
	}
	key := func(seq, sub int) func(string) bool {
		want := layout.RecordKey("kinesis/", seqOf(seq), sub)
		return func(key string) bool { return key == want }
	}
	tight, b := small("batch")
	bombs := batch(4)
	for i := range bombs {
		bombs[i].Kinesis.Data = gzBomb(int(b.Invocation / 3)) // two fit an invocation, not three
	}

	for _, c := range []struct {
		name    string
		cfg     config.Config
		records []events.KinesisEventRecord
		w       *flaky
		timeout time.Duration
	}{
		{"batch: of two objects, the earlier one in record order fails once the later one is written",
			analytics(t, config.FormatJSONL, config.CompressionZstd), orders(),
			newFlaky(func(key string) bool { return strings.Contains(key, "/hour=08/") }, 4, false), 0},
		{"batch: two shards, the object that holds the second record fails",
			cfg("batch"), twoShards,
			newFlaky(func(key string) bool { return strings.Contains(key, "shardId-000000000001") }, 1, false), 0},
		{"record: a middle record fails once the later ones are written (quarantine)",
			recordMode(config.InvalidQuarantine), mixed, newFlaky(key(2, -1), 4, false), 0},
		{"record: a middle record fails once the later ones are written (skip)",
			recordMode(config.InvalidSkip), mixed, newFlaky(key(2, -1), 3, false), 0},
		{"record: the deadline cuts a middle record's write short",
			cfg("record"), batch(5), newFlaky(key(1, -1), 0, true), time.Second},
		{"record: a large aggregate resumed after a failed write",
			cfg("record"), aggregate, newFlaky(key(0, 700), 740, false), 0},
		{"batch: the memory budget cuts the batch",
			tight, bombs, newFlaky(func(string) bool { return false }, 0, false), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, invocations := deliver(t, newProc(t, c.cfg, c.w), c.records, c.timeout)
			if invocations < 2 {
				t.Fatal("the first invocation handled every record: the case does not test what it says")
			}
			var want Metrics // each record on its own, in a clean invocation: objects aside, what the records come to
			for _, r := range c.records {
				_, m, err := newProc(t, c.cfg, newMem()).Process(context.Background(), []events.KinesisEventRecord{r})
				if err != nil {
					t.Fatal(err)
				}
				want.RecordsSkipped += m.RecordsSkipped
				want.RecordsDropped += m.RecordsDropped
				want.EventTimesMissing += m.EventTimesMissing
			}
			bucket := inBucket(t, c.w.memWriter, c.cfg)
			want.RecordsWritten, want.RecordsQuarantined = bucket.RecordsWritten, bucket.RecordsQuarantined
			want.ObjectsWritten, want.BytesWritten = bucket.ObjectsWritten, bucket.BytesWritten
			if outcomes(got) != want {
				t.Errorf("summed over the invocations:\n got %+v\nwant %+v", outcomes(got), want)
			}
		})
	}
}

// Under ON_INVALID_RECORD=fail a record with an invalid user record stops the invocation before it, and nothing of
// it is written: its user record without an event time is not counted, though it was shaped before the verdict.
func TestFailPolicyCountsNothingOfTheRecordItStopsAt(t *testing.T) {
	c := analytics(t, config.FormatJSONL, config.CompressionZstd)
	c.OnInvalidRecord = config.InvalidFail
	rs := []events.KinesisEventRecord{rec(sh, 1, t0, "")}
	rs[0].Kinesis.Data = kpl([]string{"k"}, `{"id": "d", "amount": 4, "tenant": "acme"}`, `{"id": "e", "amount": -1}`)
	w := newMem()
	resp, m, err := newProc(t, c, w).Process(context.Background(), rs)
	if err != nil || len(failures(resp)) != 1 || len(w.keys("")) != 0 {
		t.Fatalf("failures %v, objects %q, error %v; want record 1 reported and nothing written", failures(resp), w.keys(""), err)
	}
	if outcomes(m) != (Metrics{}) {
		t.Fatalf("metrics %+v; want no outcome counted", outcomes(m))
	}
}

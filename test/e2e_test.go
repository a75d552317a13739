package test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/logger"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
)

// TestE2E runs every end-to-end scenario against each target: the local stack always (unless -short), a real
// AWS account only with E2E_AWS=1. See README.md in this directory.
func TestE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts the emulators and the function")
	}
	t.Run("local", func(t *testing.T) { runScenarios(t, newLocalTarget(t)) })
	t.Run("aws", func(t *testing.T) { runScenarios(t, newAWSTarget(t)) })
}

// outputs are the output modes and compressions every delivery scenario runs with.
var outputs = []struct{ name, mode, compression string }{
	{"record", "record", ""},
	{"batch-gzip", "batch", "gzip"},
	{"batch-zstd", "batch", "zstd"},
}

// runScenarios runs the scenarios as parallel sub-tests (go test -parallel bounds how many run at once; the
// default, GOMAXPROCS, suits the local target, whose processes share the machine's cores).
func runScenarios(t *testing.T, target Target) {
	for _, o := range outputs {
		t.Run("delivery/"+o.name, func(t *testing.T) {
			t.Parallel()
			testDelivery(t, target, o.mode, o.compression)
		})
	}
	for _, o := range outputs[:2] {
		t.Run("s3-outage/"+o.name, func(t *testing.T) {
			t.Parallel()
			testS3Outage(t, target, o.mode, o.compression)
		})
	}
	t.Run("dlq", func(t *testing.T) {
		t.Parallel()
		testOnFailureDLQ(t, target)
	})
}

// testDelivery puts valid records, a KPL aggregate and poison records (not JSON, not UTF-8, a KPL aggregate with
// a bad MD5) across two shards, each poison record followed in its shard by valid ones, and checks that every
// user record arrives exactly once with the right key and content, and the poison records are quarantined with
// their reason without holding up their shards.
func testDelivery(t *testing.T, target Target, mode, compression string) {
	d := target.Deploy(t, PipelineSettings{OutputMode: mode, Compression: compression, Shards: 2, BatchSize: 40, BatchingWindow: time.Second})
	since := time.Now()

	var first []e2eEntry
	for i := range 250 {
		first = append(first, validEntry(d.Name, i, fmt.Sprintf("pk-%d", i)))
	}
	poisonKeys := []string{"poison-a", "poison-b", "poison-c"}
	first = append(first, notJSONEntry(poisonKeys[0]), badUTF8Entry(poisonKeys[1]), badKPLEntry(d.Name, 1000, poisonKeys[2]),
		kplEntry(d.Name, 2000, 3, "kpl"))
	sent := putRecords(t, d, first)
	// A second call, so that these come after the poison records in their shards.
	var after []e2eEntry
	for i := range 30 {
		after = append(after, validEntry(d.Name, 3000+i, poisonKeys[i%len(poisonKeys)]))
	}
	sent = append(sent, putRecords(t, d, after)...)

	rep := waitForBucket(t, d, since, expectsOf(sent))
	if rep.Written != 250+3+30 || rep.Quarantined != 3 {
		t.Errorf("written %d, quarantined %d; want 283 and 3", rep.Written, rep.Quarantined)
	}
	// The shard kept flowing past each poison record: later records of its shard were written.
	for _, p := range sent {
		if !p.quarantine {
			continue
		}
		later := 0
		for _, o := range sent {
			if !o.quarantine && o.shardID == p.shardID && seqnum.Compare(o.seq, p.seq) > 0 {
				later++
			}
		}
		if later == 0 {
			t.Errorf("poison record %s/%s: no valid record after it in its shard; the test data is wrong", p.shardID, p.seq)
		}
	}
	if mode == "batch" {
		// Batch size 40 and about 140 records a shard: several objects per shard, each of several records.
		objects, most := 0, 0
		for _, o := range rep.Objects {
			if !o.Quarantine {
				objects++
				most = max(most, o.Lines)
			}
		}
		if objects <= 2 || most < 2 {
			t.Errorf("%d batch objects, at most %d lines each: batching across invocations is not exercised", objects, most)
		}
	}
	dlqEmpty(t, d)
	logSummary(t, d, rep)
}

// testS3Outage lets S3 fail every upload for a while in the middle of a run, then recover. The function's
// partial-batch responses make the event source mapping retry from the first record not written, so every record
// must be present afterwards, exactly once: retried objects have the same deterministic keys and overwrite
// what an earlier attempt wrote (in batch mode a retry starts at the first record of the failed object).
func testS3Outage(t *testing.T, target Target, mode, compression string) {
	if !target.InjectsS3Faults() {
		t.Skipf("target %s cannot make S3 fail: nothing sits between its function and S3", target.Name())
	}
	d := target.Deploy(t, PipelineSettings{OutputMode: mode, Compression: compression, Shards: 2, BatchSize: 100, BatchingWindow: time.Second})
	since := time.Now()
	wave := func(from, n int) []e2eEntry {
		var es []e2eEntry
		for i := from; i < from+n; i++ {
			es = append(es, validEntry(d.Name, i, fmt.Sprintf("pk-%d", i)))
		}
		return es
	}

	sent := putRecords(t, d, wave(0, 80))
	waitForBucket(t, d, since, expectsOf(sent))

	d.Faults.FailPuts(1)
	sent = append(sent, putRecords(t, d, append(wave(100, 80), notJSONEntry("outage")))...)
	// Let the outage last a few failed invocations.
	deadline := time.Now().Add(d.Patience)
	for d.Faults.Injected() == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	injected := d.Faults.Injected()
	d.Faults.Restore()
	sent = append(sent, putRecords(t, d, wave(200, 80))...)

	rep := waitForBucket(t, d, since, expectsOf(sent))
	if injected == 0 {
		t.Fatal("the outage failed no upload: the scenario did not test anything")
	}
	if d.MappingStats != nil {
		st := d.MappingStats()
		if st.PartialFailures == 0 {
			t.Errorf("no partial-batch response during the outage: %+v", st)
		}
		if st.RecordsDiscarded != 0 {
			t.Errorf("%d records discarded: the outage outlasted the retries", st.RecordsDiscarded)
		}
		logger.Default.Logf(t, "outage: %d uploads failed; mapping: %d invocations, %d partial failures, %d function errors",
			injected, st.Invocations, st.PartialFailures, st.FunctionErrors)
	}
	dlqEmpty(t, d)
	logSummary(t, d, rep)
}

// testOnFailureDLQ makes the function keep failing one record (ON_INVALID_RECORD=fail) until the event source
// mapping gives up, and checks the on-failure record in the DLQ: its sequence range covers exactly the records
// that were skipped — by the sequence numbers PutRecords returned, every record in the range is absent from
// the bucket and every other one is there — and the shard keeps flowing afterwards.
func testOnFailureDLQ(t *testing.T, target Target) {
	d := target.Deploy(t, PipelineSettings{OutputMode: "record", OnInvalidRecord: "fail", Shards: 1, BatchSize: 100,
		BatchingWindow: time.Second, MaximumRetryAttempts: 1})
	since := time.Now()
	var entries []e2eEntry
	for i := range 20 {
		entries = append(entries, validEntry(d.Name, i, "k"))
	}
	entries = append(entries, notJSONEntry("k"))
	for i := 20; i < 40; i++ {
		entries = append(entries, validEntry(d.Name, i, "k"))
	}
	sent := putRecords(t, d, entries)
	poison := sent[20]

	recs := receiveOnFailure(t, d)
	if len(recs) != 1 {
		t.Fatalf("%d on-failure records, want 1: %+v", len(recs), recs)
	}
	r := recs[0]
	b := r.KinesisBatchInfo
	if r.RequestContext.Condition != onfailure.RetryAttemptsExhausted || b.StreamARN != d.StreamARN || b.ShardID != poison.shardID {
		t.Fatalf("on-failure record %+v %+v: want RetryAttemptsExhausted on %s %s", r.RequestContext, b, d.StreamARN, poison.shardID)
	}
	in := func(p putEntry) bool {
		return p.shardID == b.ShardID && seqnum.Compare(p.seq, b.StartSequenceNumber) >= 0 && seqnum.Compare(p.seq, b.EndSequenceNumber) <= 0
	}
	var covered, delivered []putEntry
	for _, p := range sent {
		if in(p) {
			covered = append(covered, p)
		} else {
			delivered = append(delivered, p)
		}
	}
	// The records before the poison record were written and checkpointed: the range starts at it.
	if b.StartSequenceNumber != poison.seq || !slices.ContainsFunc(covered, func(p putEntry) bool { return p.quarantine }) {
		t.Errorf("range %s–%s does not start at the poison record %s", b.StartSequenceNumber, b.EndSequenceNumber, poison.seq)
	}
	if b.BatchSize != len(covered) {
		t.Errorf("on-failure batchSize %d, but %d of the records put lie in %s–%s", b.BatchSize, len(covered), b.StartSequenceNumber, b.EndSequenceNumber)
	}

	// The shard flows on after the discarded range.
	var later []e2eEntry
	for i := 100; i < 120; i++ {
		later = append(later, validEntry(d.Name, i, "k"))
	}
	delivered = append(delivered, putRecords(t, d, later)...)
	// Exactly the records outside the range are in the bucket: a covered record that had been written would be
	// an object of no expected record, which fails the check.
	rep := waitForBucket(t, d, since, expectsOf(delivered))
	if rep.Written != len(delivered) {
		t.Errorf("written %d, want %d", rep.Written, len(delivered))
	}
	dlqEmpty(t, d)
	logger.Default.Logf(t, "on-failure record: %s %s–%s, %d records (condition %s, %d invocations)", b.ShardID, b.StartSequenceNumber,
		b.EndSequenceNumber, b.BatchSize, r.RequestContext.Condition, r.RequestContext.ApproximateInvokeCount)
	logSummary(t, d, rep)
}

func logSummary(t *testing.T, d *Deployment, rep ledger.Report) {
	objects := 0
	for _, o := range rep.Objects {
		if !o.Quarantine {
			objects++
		}
	}
	logger.Default.Logf(t, "%s: %d user records written in %d objects, %d quarantined", d.Name, rep.Written, objects, rep.Quarantined)
}

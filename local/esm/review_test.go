package esm

import (
	"fmt"
	"testing"
	"time"
)

// Review (rev10): a shard read from LATEST whose iterator expires before the mapping has read a record (Kinesis
// expires iterators after 5 minutes unused: GetRecords throttled or failing for that long on a quiet shard)
// is reopened at LATEST again (readShard → shardIterator(sh.position, "")), that is at the tip as it is now.
// Records that arrived after the first iterator — records the mapping was already positioned to read, and would
// have read had the iterator not expired — are skipped and never invoked, never discarded, never in the
// on-failure destination: lost without a trace. The reopened iterator must start no later than the first one
// did (for instance AT_TIMESTAMP at the time the first iterator was taken).
func TestLatestIteratorExpiryBeforeAnyRecordLosesNothing(t *testing.T) {
	k := newStream(1)
	k.putN(shard0, 2) // before the start: LATEST skips them, rightly
	cfg := testConfig()
	cfg.StartingPosition = Latest
	cfg.PollInterval = 100 * time.Millisecond
	h := run(t, cfg, k, nil, nil)
	waitFor(t, "the first GetRecords at LATEST", func() bool { return k.GetRecordsCalls() > 0 })

	// After the mapping is positioned at the tip: it must deliver this record.
	seq := k.put(shard0, "pk", "after-start", time.Now())
	// The iterator expires before the next GetRecords reads the record (as after 5 minutes of throttling).
	k.ExpireIterators()

	calls := k.GetRecordsCalls()
	waitFor(t, "more GetRecords after the expiry", func() bool { return k.GetRecordsCalls() >= calls+5 })
	if cp := h.m.Checkpoints()[shard0].SequenceNumber; cp != seq {
		t.Errorf("checkpoint %q, want %s: the record put after the mapping started at LATEST was never delivered "+
			"(invocations %v, stats %+v)", cp, seq, h.inv.batches(), h.m.Stats())
	}
}

// Review (rev10): readShard stops reading once a shard has limit records not yet checkpointed, and limit is
// min(maxGetRecords, 2 × BatchSize × ParallelizationFactor): the cap of GetRecords' Limit (10,000) doubles as the
// read-ahead bound. When BatchSize × ParallelizationFactor exceeds 10,000 (batch_size 2,000 with
// parallelization_factor 10; 6,000 with 2, as here) the read-ahead is spread over the lanes with fewer than
// BatchSize records in each, so no lane has a full batch; every lane waits out its batching window while the
// reader waits for them, and the stream's waiting records are not read. With a 300 s window each shard then moves
// 10,000 records per 5 minutes, where Lambda invokes full batches as fast as the function takes them ("until it
// has gathered a full batch, the batching window expires, or ..."). The GetRecords Limit must stay capped; the
// read-ahead bound must not.
func TestFullBatchesWhenBatchSizeTimesParallelizationExceedsTenThousand(t *testing.T) {
	k := newStream(1)
	k.putN(shard0, 24000) // keys pk-0…: spread evenly over 2 lanes, 12,000 each
	cfg := testConfig()
	cfg.BatchSize, cfg.ParallelizationFactor = 6000, 2
	cfg.MaximumBatchingWindow = 300 * time.Second
	h := run(t, cfg, k, nil, nil)
	waitFor(t, "a full batch of 6,000 records in each lane (the shard holds 24,000): no lane is invoked before its "+
		"300 s window, as the reader stopped at 10,000 records, 5,000 a lane", func() bool { return h.inv.count() >= 2 })
	for i, b := range h.inv.batches()[:2] {
		if len(b) != cfg.BatchSize {
			t.Errorf("invocation %d carried %d records, want a full batch of %d", i, len(b), cfg.BatchSize)
		}
	}
}

// Review (rev10): the package documents that a lane waiting on a record holds the checkpoint "without holding the
// other lanes", and Lambda keeps partition keys apart only for order. But the reader's back-pressure counts every
// record after the checkpoint, done or not: a lane that merely waits out its batching window with one record of a
// rare key at the front of the read-ahead stops the reader once 2 × BatchSize × factor records are past it, so
// the busy lane, its records already processed, gets nothing more to read until the rare key's window ends. A
// hot key then moves at most 2 × BatchSize × factor records per window (400 records/s per shard with the module's
// defaults and parallelization_factor 2, below one shard's 1,000 records/s of writes).
func TestAWaitingLaneDoesNotThrottleTheOthers(t *testing.T) {
	keys := keysByLane(2, 1)
	rare, hot := keys[1][0], keys[0][0]
	k := newStream(1)
	k.put(shard0, rare, "rare", time.Now()) // its lane waits out the window: nothing else comes for it
	for i := range 200 {
		k.put(shard0, hot, fmt.Sprint(i), time.Now())
	}
	cfg := testConfig()
	cfg.ParallelizationFactor, cfg.BatchSize = 2, 10
	cfg.MaximumBatchingWindow = 300 * time.Second // the rare key's lane is not invoked while the test runs
	h := run(t, cfg, k, nil, nil)
	// The hot key's 20 full batches take milliseconds; stopped 40 records behind the rare key's waiting record,
	// the reader would deliver no more of them before the window ends.
	waitFor(t, "the hot key's 200 records in full batches while the rare key's lane waits out its window", func() bool {
		hotDelivered := 0
		for _, b := range h.inv.batches() {
			if len(b) == cfg.BatchSize {
				hotDelivered += len(b)
			}
		}
		return hotDelivered == 200
	})
}

// The read-ahead counts only records not yet done, but the done records held behind a waiting one are bounded
// too (maxDoneAhead), so memory stays bounded however long that record waits.
func TestDoneRecordsBehindTheCheckpointAreBounded(t *testing.T) {
	sh := newShard(shard0, 2)
	recs := make([]*record, maxDoneAhead+1)
	for i := range recs {
		recs[i] = &record{seq: fmt.Sprintf("%056d", i), event: []byte("{}")}
	}
	sh.add(recs)
	readAhead := 2 * len(recs)
	if sh.full(readAhead) {
		t.Fatalf("full with %d records not yet done, read-ahead %d", len(recs), readAhead)
	}
	if cp := sh.complete(recs[1 : len(recs)-1]); cp != "" {
		t.Fatalf("checkpoint moved to %s past the first record, not done", cp)
	}
	if sh.full(readAhead) {
		t.Errorf("full with %d done records behind the checkpoint, want room for %d", len(recs)-2, maxDoneAhead)
	}
	sh.complete(recs[len(recs)-1:])
	if !sh.full(readAhead) {
		t.Errorf("not full with %d done records behind the checkpoint (bound %d)", len(recs)-1, maxDoneAhead)
	}
	if recs[1].event != nil {
		t.Error("a done record keeps its event")
	}
	if cp := sh.complete(recs[:1]); cp != recs[len(recs)-1].seq || sh.full(readAhead) {
		t.Errorf("after the first record is done: checkpoint %s, full %v; want %s and room", cp, sh.full(readAhead), recs[len(recs)-1].seq)
	}
}

package redrive

import (
	"slices"
	"strings"
	"testing"
)

// With parallelization_factor > 1 (a module input, 1-10) one shard feeds several concurrent batches, split by
// partition key, and a failed batch's on-failure record gives a sequence-number range that also spans records of
// the other batches: batchSize 3, but 6 records between startSequenceNumber and endSequenceNumber. Those other
// records were written by their own batches (batch mode: in objects keyed by their batch's first record), or are
// in on-failure records of their own with overlapping ranges. The redrive hands all 6 to the reprocessor, which in
// batch mode writes them again in an object keyed by this range's first record, so Athena counts them twice; and it
// deletes the message as "deleted", the only trace being a "note:" line on stderr. The operator's summary reads
// "1 received, 1 redriven, 1 deleted, 0 kept", exit status 0. A range the redrive cannot tell apart from other
// batches' records must not be redriven silently: keep the message, saying why (or let the operator decide).
func TestRev15RedriveDoesNotSilentlyRewriteOtherBatchesRecords(t *testing.T) {
	h := newHarness()
	all := seqs(1, 6)
	h.k.put(shard0, all...)
	id := h.q.Send(onFailureBody(shard0, all[0], all[5], 3)) // the failed batch held 3 of the 6
	sum := h.run(t, Options{})
	o := onlyOutcome(t, sum)
	if !o.Verdict.Kept() || !strings.Contains(o.Reason, "batchSize") {
		t.Errorf("verdict %q (reason %q) after handing %d records of a 3-record batch to the reprocessor; want the message "+
			"kept, saying that the range holds other batches' records", o.Verdict, o.Reason, len(h.rp.handled()))
	}
	if ids, _ := queued(h.q); !slices.Contains(ids, id) {
		t.Errorf("message %s deleted", id)
	}
}

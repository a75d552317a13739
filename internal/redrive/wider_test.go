package redrive

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

// A range that holds more records than its batch is kept before anything of it is reprocessed, even when its
// first pages fit the batch; it is reported as such, in the summary too, and in a dry run as well.
func TestRedriveKeepsARangeWiderThanItsBatchWithoutReprocessing(t *testing.T) {
	for _, dry := range []bool{false, true} {
		h := newHarness()
		all := seqs(1, 12)
		h.k.put(shard0, all...)
		h.k.MaxPageRecords = 2
		id := h.q.Send(onFailureBody(shard0, all[0], all[11], 5))
		sum := h.run(t, Options{BatchSize: 2, DryRun: dry})
		o := onlyOutcome(t, sum)
		if o.Verdict != VerdictWiderRange || !strings.Contains(o.Reason, "batchSize 5") ||
			!strings.Contains(o.Reason, "-allow-wider-range") || !strings.Contains(o.Reason, "S3 on-failure destination") {
			t.Errorf("dry run %v: verdict %q, reason %q", dry, o.Verdict, o.Reason)
		}
		if got := h.rp.handled(); len(got) != 0 {
			t.Errorf("dry run %v: reprocessed %v", dry, got)
		}
		// Reading stops at the page that goes past the batch: 3 pages of 2.
		if h.k.GetRecordsCalls() != 3 || sum.KeptBy[VerdictWiderRange] != 1 {
			t.Errorf("dry run %v: %d GetRecords calls, want 3; summary %+v", dry, h.k.GetRecordsCalls(), sum)
		}
		assertKeptVisible(t, h, id)
		var w strings.Builder
		sum.Write(&w)
		if !strings.Contains(w.String(), "range wider than the batch:") {
			t.Errorf("summary:\n%s", w.String())
		}
	}
}

// With AllowWiderRange the whole range is reprocessed, and the message deleted, with a note.
func TestRedriveAllowWiderRangeReprocessesTheWholeRange(t *testing.T) {
	h := newHarness()
	all := seqs(1, 6)
	h.k.put(shard0, all...)
	h.q.Send(onFailureBody(shard0, all[0], all[5], 3))
	o := onlyOutcome(t, h.run(t, Options{AllowWiderRange: true}))
	if o.Verdict != VerdictDeleted || !slices.Equal(h.rp.handled(), all) || len(o.Warnings) == 0 {
		t.Errorf("outcome %+v, reprocessed %v", o, h.rp.handled())
	}
}

// A range whose records outgrow what one batch can carry is wider than its batch too, whatever their number, and
// is not held in memory.
func TestRedriveKeepsARangeLargerThanABatchCanBe(t *testing.T) {
	h := newHarness()
	big := make([]byte, 1<<20)
	n := maxObjectSize>>20 + 20 // pages of 10 MiB: the 7th goes past maxObjectSize
	all := seqs(1, n)
	for i, s := range all {
		h.k.Put(shard0, awsfake.Record{SequenceNumber: s, PartitionKey: "k", Data: big,
			Arrival: time.Now().Add(time.Duration(i-n) * time.Millisecond)})
	}
	id := h.q.Send(onFailureBody(shard0, all[0], all[n-1], n+10))
	o := onlyOutcome(t, h.run(t, Options{}))
	if o.Verdict != VerdictWiderRange || o.Records >= n || len(h.rp.handled()) != 0 {
		t.Errorf("verdict %q after %d of %d records, %d reprocessed: %s", o.Verdict, o.Records, n, len(h.rp.handled()), o.Reason)
	}
	assertKeptVisible(t, h, id)
}

// S3 on-failure objects carry the batch's exact records: AllowWiderRange is for the queue only.
func TestNewS3RejectsAllowWiderRange(t *testing.T) {
	if _, err := NewS3(newS3Harness().b, &fakeReprocessor{}, Options{Bucket: "b", AllowWiderRange: true}); err == nil {
		t.Error("NewS3 accepted AllowWiderRange")
	}
}

// A kept wider range reprocessed nothing, so its note must not say that all its records were taken (the note is
// for -allow-wider-range, which does take them all). A range read in one page is the case that found its end.
func TestRedriveWiderRangeNoteDoesNotClaimTheRecordsWereTaken(t *testing.T) {
	h := newHarness()
	all := seqs(1, 3)
	h.k.put(shard0, all...)
	h.q.Send(onFailureBody(shard0, all[0], all[2], 2))
	o := onlyOutcome(t, h.run(t, Options{BatchSize: 2}))
	if o.Verdict != VerdictWiderRange {
		t.Fatalf("verdict %q: %s", o.Verdict, o.Reason)
	}
	for _, w := range o.Warnings {
		if strings.Contains(w, "were taken") {
			t.Errorf("note %q beside %q", w, o.Reason)
		}
	}
}

package redrive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

type harness struct {
	q   *awsfake.Queue
	k   stream
	rp  *fakeReprocessor
	log bytes.Buffer
	ops *awsfake.Log // the stream's calls and the reprocessor's, in order
}

func newHarness() *harness {
	ops := &awsfake.Log{}
	k := newStream()
	k.Log = ops
	return &harness{q: awsfake.NewQueue(testQueueURL), k: k, rp: &fakeReprocessor{log: ops}, ops: ops}
}

func (h *harness) run(t *testing.T, opts Options) Summary {
	t.Helper()
	opts.QueueURL = testQueueURL
	if opts.Backoff == 0 {
		opts.Backoff = time.Millisecond
	}
	opts.Log = &h.log
	var rp Reprocessor = h.rp
	if opts.DryRun {
		rp = nil
	}
	r, err := New(h.q, h.k, rp, opts)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, h.log.String())
	}
	return sum
}

func onlyOutcome(t *testing.T, s Summary) Outcome {
	t.Helper()
	if len(s.Outcomes) != 1 {
		t.Fatalf("%d outcomes, want 1: %+v", len(s.Outcomes), s.Outcomes)
	}
	return s.Outcomes[0]
}

func TestParseMessage(t *testing.T) {
	s := seqs(1, 2)
	valid := onFailureBody(shard0, s[0], s[1], 2)
	snsWrapped := fmt.Sprintf(`{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:eu-west-1:1:t","Message":%q}`, valid)
	for _, tc := range []struct {
		name, body string
		wantErr    string // "" for a valid record
	}{
		{"valid", valid, ""},
		{"SNS notification", snsWrapped, ""},
		{"malformed JSON", `{"requestContext":`, "on-failure record"},
		{"not JSON", `hello`, "on-failure record"},
		{"SQS on-failure record", `{"requestContext":{},"SQSBatchInfo":{}}`, "not a Kinesis on-failure record"},
		{"DynamoDB on-failure record", `{"DDBStreamBatchInfo":{"shardId":"x"}}`, "not a Kinesis on-failure record"},
		{"SNS notification of something else", `{"Type":"Notification","Message":"{\"hello\":1}"}`, "not a Kinesis on-failure record"},
		{"no stream", strings.Replace(valid, testStreamARN, "", 1), "streamArn is empty"},
		{"bad stream ARN", strings.Replace(valid, testStreamARN, "arn:aws:sqs:eu-west-1:1:q", 1), "not a Kinesis stream ARN"},
		{"bad sequence number", strings.Replace(valid, s[0], "49x", 1), "startSequenceNumber \"49x\" is not a sequence number"},
		{"reversed range", onFailureBody(shard0, s[1], s[0], 2), "startSequenceNumber is after endSequenceNumber"},
	} {
		b, err := parseMessage(tc.body)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr == "" && (b.ShardID != shard0 || b.StartSequenceNumber != s[0] || b.EndSequenceNumber != s[1] || b.StreamARN != testStreamARN):
			t.Errorf("%s: parsed %+v", tc.name, b)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		case tc.wantErr != "" && !strings.Contains(err.Error(), "left on the queue"):
			t.Errorf("%s: error %q does not say the message stays", tc.name, err)
		}
	}
}

// The range is read across GetRecords pages, with the shard's records before and after it ignored.
func TestRedriveReadsExactlyTheRangeAcrossPages(t *testing.T) {
	h := newHarness()
	all := seqs(100, 30)
	h.k.put(shard0, all...)
	h.k.MaxPageRecords = 4
	want := all[5:18]
	id := h.q.Send(onFailureBody(shard0, want[0], want[len(want)-1], len(want)))

	sum := h.run(t, Options{BatchSize: 5})
	o := onlyOutcome(t, sum)
	if o.Verdict != VerdictDeleted || o.Records != len(want) || o.Reprocessed != len(want) {
		t.Fatalf("outcome %+v\nlog:\n%s", o, h.log.String())
	}
	if got := h.rp.handled(); !slices.Equal(got, want) {
		t.Errorf("reprocessed %v\nwant %v", got, want)
	}
	// Batches of BatchSize, cut the same way on every run.
	if got := len(h.rp.calls); got != 3 || len(h.rp.calls[0]) != 5 || len(h.rp.calls[2]) != 3 {
		t.Errorf("batches %v, want 5+5+3 records", h.rp.calls)
	}
	if ids, _ := queued(h.q); len(ids) != 0 {
		t.Errorf("queue still holds %v", ids)
	}
	if dels := h.q.Log.Prefixed("delete"); !slices.Equal(dels, []string{"delete " + id}) {
		t.Errorf("deletes %v", dels)
	}
	src := h.rp.srcs[0]
	if src.StreamARN != testStreamARN || src.Region != "eu-west-1" {
		t.Errorf("source %+v", src)
	}
	// Reading stops at the page holding endSequenceNumber: pages of 4 from index 5 reach index 17 on the 4th.
	if h.k.GetRecordsCalls() != 4 {
		t.Errorf("%d GetRecords calls, want 4", h.k.GetRecordsCalls())
	}
	if sum.Deleted != 1 || sum.Kept != 0 || sum.RecordsReprocessed != len(want) || sum.RecordsFailed != 0 {
		t.Errorf("summary %+v", sum)
	}
}

// Sequence numbers of different lengths order numerically: "10" comes after "9".
func TestRedriveComparesSequenceNumbersNumerically(t *testing.T) {
	h := newHarness()
	h.k.put(shard0, "8", "9", "10", "11", "100")
	h.q.Send(onFailureBody(shard0, "9", "11", 3))
	o := onlyOutcome(t, h.run(t, Options{}))
	if o.Verdict != VerdictDeleted {
		t.Fatalf("outcome %+v", o)
	}
	if got := h.rp.handled(); !slices.Equal(got, []string{"9", "10", "11"}) {
		t.Errorf("reprocessed %v", got)
	}
}

func TestRedriveFollowsEmptyPages(t *testing.T) {
	h := newHarness()
	all := seqs(1, 12)
	h.k.put(shard0, all...)
	h.k.MaxPageRecords = 3
	h.k.EmptyPages = true
	h.q.Send(onFailureBody(shard0, all[2], all[10], 9))
	o := onlyOutcome(t, h.run(t, Options{}))
	if o.Verdict != VerdictDeleted || !slices.Equal(h.rp.handled(), all[2:11]) {
		t.Fatalf("outcome %+v, reprocessed %v", o, h.rp.handled())
	}
	empties := 0
	for _, c := range h.ops.Calls() {
		if c == "getrecords empty" {
			empties++
		}
	}
	if empties < 3 {
		t.Errorf("only %d empty pages were served: the test did not exercise them", empties)
	}
}

func TestRedriveReadsClosedShardToItsEnd(t *testing.T) {
	h := newHarness()
	all := seqs(1, 6)
	h.k.put(shard0, all...)
	h.k.Split(shard0) // closes shard0
	h.k.MaxPageRecords = 2
	h.q.Send(onFailureBody(shard0, all[3], all[5], 3))
	if o := onlyOutcome(t, h.run(t, Options{})); o.Verdict != VerdictDeleted || !slices.Equal(h.rp.handled(), all[3:]) {
		t.Fatalf("outcome %+v, reprocessed %v", o, h.rp.handled())
	}
}

// A closed shard that ends before endSequenceNumber cannot hold the whole range: the message is kept, and
// what was there is reprocessed.
func TestRedriveKeepsRangeCutShortByClosedShard(t *testing.T) {
	h := newHarness()
	all := seqs(1, 6)
	h.k.put(shard0, all[:4]...)
	h.k.Split(shard0) // closes shard0
	id := h.q.Send(onFailureBody(shard0, all[2], all[5], 4))
	sum := h.run(t, Options{})
	o := onlyOutcome(t, sum)
	if o.Verdict != VerdictDataGone || !strings.Contains(o.Reason, "last records are not in the stream") {
		t.Fatalf("outcome %+v", o)
	}
	if !slices.Equal(h.rp.handled(), all[2:4]) || o.Reprocessed != 2 {
		t.Errorf("reprocessed %v", h.rp.handled())
	}
	assertKeptVisible(t, h, id)
	if !strings.Contains(strings.Join(o.Warnings, "\n"), "shard is closed") {
		t.Errorf("warnings %v", o.Warnings)
	}
}

// A read that fails part-way keeps the message, and every record read before the failure is reprocessed,
// the last incomplete batch included, as the verdict's reason says.
func TestRedriveReadErrorReprocessesWhatWasRead(t *testing.T) {
	h := newHarness()
	all := seqs(100, 30)
	h.k.put(shard0, all...)
	h.k.MaxPageRecords = 4
	h.k.FailNext("GetRecords", nil, nil, throttled) // two pages of 4 are read, then GetRecords fails
	want := all[5:18]
	id := h.q.Send(onFailureBody(shard0, want[0], want[len(want)-1], len(want)))

	sum := h.run(t, Options{BatchSize: 5})
	o := onlyOutcome(t, sum)
	if o.Verdict != VerdictReadError || !strings.Contains(o.Reason, "Rate exceeded") {
		t.Fatalf("outcome %+v\nlog:\n%s", o, h.log.String())
	}
	if got := h.rp.handled(); !slices.Equal(got, want[:8]) {
		t.Errorf("reprocessed %v\nwant %v", got, want[:8])
	}
	if len(h.rp.calls) != 2 || len(h.rp.calls[1]) != 3 {
		t.Errorf("batches %v, want 5+3 records", h.rp.calls)
	}
	if o.Records != 8 || o.Reprocessed != 8 || !strings.Contains(o.Reason, "the 8 records still in the stream were reprocessed (8 durably)") {
		t.Errorf("outcome %+v", o)
	}
	assertKeptVisible(t, h, id)
	if sum.Kept != 1 || sum.KeptBy[VerdictReadError] != 1 || sum.RecordsReprocessed != 8 {
		t.Errorf("summary %+v", sum)
	}
}

// assertKeptVisible checks that the message is still on the queue, visible again, and was never deleted.
func assertKeptVisible(t *testing.T, h *harness, id string) {
	t.Helper()
	ids, visible := queued(h.q)
	if !slices.Contains(ids, id) {
		t.Errorf("message %s was deleted; queue holds %v", id, ids)
	}
	if visible != len(ids) {
		t.Errorf("%d of %d messages visible after the run, want all", visible, len(ids))
	}
	if dels := h.q.Log.Prefixed("delete"); len(dels) != 0 {
		t.Errorf("deletes %v", dels)
	}
}

// Retention trimmed the range's first records: Kinesis starts the iterator at the trim horizon, so the first
// record read is after startSequenceNumber. The rest is reprocessed, the message kept.
func TestRedriveDetectsTrimmedStart(t *testing.T) {
	for _, kinesisMockStyle := range []bool{false, true} {
		t.Run(fmt.Sprintf("error=%v", kinesisMockStyle), func(t *testing.T) {
			h := newHarness()
			all := seqs(1, 10)
			h.k.put(shard0, all...)
			h.k.Trim(shard0, 4)
			h.k.TrimmedSequenceNumberError = kinesisMockStyle
			body := onFailureBody(shard0, all[1], all[6], 6)
			// The fake's arrivals are an hour ago, a millisecond apart; the record says the same.
			id := h.q.Send(body)
			sum := h.run(t, Options{})
			o := onlyOutcome(t, sum)
			if o.Verdict != VerdictDataGone || !strings.Contains(o.Reason, "first records are no longer in the stream") ||
				!strings.Contains(o.Reason, all[4]) {
				t.Fatalf("outcome %+v\nlog:\n%s", o, h.log.String())
			}
			if !slices.Equal(h.rp.handled(), all[4:7]) {
				t.Errorf("reprocessed %v, want the untrimmed part %v", h.rp.handled(), all[4:7])
			}
			assertKeptVisible(t, h, id)
			if !strings.Contains(h.log.String(), "KEPT: data gone: message "+id) || !strings.Contains(h.log.String(), all[1]+".."+all[6]) {
				t.Errorf("log does not name the message and range:\n%s", h.log.String())
			}
			if sum.Kept != 1 || sum.KeptBy[VerdictDataGone] != 1 {
				t.Errorf("summary %+v", sum)
			}
		})
	}
}

func TestRedriveKeepsWhenStreamOrShardIsGone(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(h *harness)
		shard string
	}{
		{"stream deleted", func(h *harness) { h.k.Delete() }, shard0},
		{"shard unknown", func(h *harness) {}, "shardId-000000000009"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness()
			all := seqs(1, 5)
			h.k.put(shard0, all...)
			tc.setup(h)
			id := h.q.Send(onFailureBody(tc.shard, all[0], all[4], 5))
			sum := h.run(t, Options{})
			o := onlyOutcome(t, sum)
			if o.Verdict != VerdictDataGone || !strings.Contains(o.Reason, "not found") {
				t.Fatalf("outcome %+v", o)
			}
			if len(h.rp.calls) != 0 {
				t.Errorf("reprocessed %v", h.rp.calls)
			}
			assertKeptVisible(t, h, id)
		})
	}
}

// A range whose records were never in the shard (a hand-made or stale record): nothing to reprocess.
func TestRedriveKeepsRangeNotInShard(t *testing.T) {
	h := newHarness()
	h.k.put(shard0, seqs(1, 5)...)
	later := seqs(50, 3)
	id := h.q.Send(onFailureBody(shard0, later[0], later[2], 3))
	o := onlyOutcome(t, h.run(t, Options{}))
	if o.Verdict != VerdictDataGone || o.Records != 0 || len(h.rp.calls) != 0 {
		t.Fatalf("outcome %+v, calls %v", o, h.rp.calls)
	}
	assertKeptVisible(t, h, id)
}

// expiringStream is the stream, except that each iterator it hands out with a page expires at once, as when a
// slow reprocessing of the records read so far outlasts the iterator's 5 minutes.
type expiringStream struct{ stream }

func (k expiringStream) GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, o ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	out, err := k.stream.GetRecords(ctx, in, o...)
	k.ExpireIterators()
	return out, err
}

func TestRedriveRenewsExpiredIterator(t *testing.T) {
	h := newHarness()
	all := seqs(1, 10)
	h.k.put(shard0, all...)
	h.k.MaxPageRecords = 3
	h.q.Send(onFailureBody(shard0, all[0], all[9], 10))
	r, err := New(h.q, expiringStream{h.k}, h.rp, Options{QueueURL: testQueueURL, BatchSize: 3, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	if err != nil || onlyOutcome(t, sum).Verdict != VerdictDeleted {
		t.Fatalf("%v %+v\n%s", err, sum, h.log.String())
	}
	if !slices.Equal(h.rp.handled(), all) {
		t.Errorf("reprocessed %v", h.rp.handled())
	}
	if n := strings.Count(strings.Join(h.ops.Calls(), ","), "iterator AFTER_SEQUENCE_NUMBER"); n == 0 {
		t.Errorf("no iterator was renewed: %v", h.ops.Calls())
	}
}

// reprocessorFunc adapts a function to Reprocessor, for tests.
type reprocessorFunc func(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error)

func (f reprocessorFunc) Reprocess(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error) {
	return f(ctx, src, recs)
}

// The message is deleted only after the reprocessor handled every record, never before.
func TestRedriveDeletesOnlyAfterEveryRecordIsDurable(t *testing.T) {
	h := newHarness()
	all := seqs(1, 7)
	h.k.put(shard0, all...)
	h.q.Send(onFailureBody(shard0, all[0], all[6], 7))
	// The second call fails from its second record on; the retry goes on from there.
	h.rp.fail = func(call int, recs []kinesisevent.Record) (int, error) {
		if call == 1 {
			return 1, errors.New("write failed")
		}
		return len(recs), nil
	}
	q := &orderedQueue{Queue: h.q, log: h.ops}
	r, err := New(q, h.k, h.rp, Options{QueueURL: testQueueURL, BatchSize: 3, Retries: 1, Backoff: time.Millisecond, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	if err != nil || onlyOutcome(t, sum).Verdict != VerdictDeleted {
		t.Fatalf("%v %+v", err, sum)
	}
	want := [][]string{all[0:3], all[3:6], all[4:6], all[6:7]}
	if !slices.EqualFunc(h.rp.calls, want, slices.Equal) {
		t.Errorf("calls %v\nwant %v", h.rp.calls, want)
	}
	var order []string
	for _, c := range h.ops.Calls() {
		if strings.HasPrefix(c, "reprocess") || strings.HasPrefix(c, "delete") {
			order = append(order, c)
		}
	}
	if len(order) == 0 || order[len(order)-1] != "delete" || slices.Index(order, "delete") != len(order)-1 {
		t.Errorf("operations %v: the delete must come last, after every batch was handled", order)
	}
	if o := sum.Outcomes[0]; o.Reprocessed != 7 || o.Failed != 0 {
		t.Errorf("outcome %+v", o)
	}
}

// orderedQueue logs deletes into the shared call log.
type orderedQueue struct {
	*awsfake.Queue
	log *awsfake.Log
}

func (q *orderedQueue) DeleteMessage(ctx context.Context, in *sqsDeleteInput, opts ...sqsOption) (*sqsDeleteOutput, error) {
	out, err := q.Queue.DeleteMessage(ctx, in, opts...)
	if err == nil {
		q.log.Add("delete")
	}
	return out, err
}

// A batch that keeps failing is given up on after the retries; the message stays, with exact counts.
func TestRedriveKeepsMessageOnPartialFailure(t *testing.T) {
	h := newHarness()
	all := seqs(1, 8)
	h.k.put(shard0, all...)
	id := h.q.Send(onFailureBody(shard0, all[0], all[7], 8))
	h.rp.fail = func(call int, recs []kinesisevent.Record) (int, error) {
		if recs[0].SequenceNumber == all[0] {
			return 2, errors.New("function reported record " + all[2] + " as failed")
		}
		return 0, errors.New("function reported record " + recs[0].SequenceNumber + " as failed")
	}
	sum := h.run(t, Options{BatchSize: 5, Retries: 2})
	o := onlyOutcome(t, sum)
	if o.Verdict != VerdictFailed || o.Reprocessed != 2 || o.Failed != 3 {
		t.Fatalf("outcome %+v", o)
	}
	if !strings.Contains(o.Reason, "3 records from "+all[2]+" not durably handled after 3 attempts") {
		t.Errorf("reason %q", o.Reason)
	}
	// The first attempt makes progress, so the next goes on from the failed record at once; then two retries
	// from there, and the second batch is never tried.
	want := [][]string{all[0:5], all[2:5], all[2:5], all[2:5]}
	if !slices.EqualFunc(h.rp.calls, want, slices.Equal) {
		t.Errorf("calls %v\nwant %v", h.rp.calls, want)
	}
	assertKeptVisible(t, h, id)
	if sum.Kept != 1 || sum.Deleted != 0 || sum.RecordsReprocessed != 2 || sum.RecordsFailed != 3 || sum.KeptBy[VerdictFailed] != 1 {
		t.Errorf("summary %+v", sum)
	}
	if got := strings.Count(h.log.String(), "retry "); got != 2 {
		t.Errorf("%d retry lines, want 2:\n%s", got, h.log.String())
	}
}

// A handler that stops at its per-invocation budget hands back part of each batch without an error: every attempt
// that makes progress goes on without using a retry, so a range larger than any one budget still finishes.
func TestRedriveFinishesARangeLargerThanOneBudget(t *testing.T) {
	h := newHarness()
	all := seqs(1, 8)
	h.k.put(shard0, all...)
	id := h.q.Send(onFailureBody(shard0, all[0], all[7], 8))
	h.rp.fail = func(int, []kinesisevent.Record) (int, error) {
		return 1, nil // one record a call, and no reason: the budget's stop
	}
	sum := h.run(t, Options{BatchSize: 8, Retries: 1})
	o := onlyOutcome(t, sum)
	if o.Verdict != VerdictDeleted || o.Reprocessed != 8 || len(h.rp.calls) != 8 {
		t.Fatalf("outcome %+v after %d calls, want all 8 records redriven in 8 calls", o, len(h.rp.calls))
	}
	if ids, _ := queued(h.q); slices.Contains(ids, id) {
		t.Errorf("message %s kept, want deleted", id)
	}
}

func TestRedriveLeavesOtherMessagesAlone(t *testing.T) {
	h := newHarness()
	all := seqs(1, 3)
	h.k.put(shard0, all...)
	good := h.q.Send(onFailureBody(shard0, all[0], all[2], 3))
	junk := h.q.Send(`{"hello":"world"}`)
	broken := h.q.Send(`{"KinesisBatchInfo":`)
	sum := h.run(t, Options{})
	if sum.Messages != 3 || sum.Deleted != 1 || sum.Kept != 2 || sum.KeptBy[VerdictUnreadable] != 2 {
		t.Fatalf("summary %+v", sum)
	}
	ids, visible := queued(h.q)
	if !slices.Equal(ids, []string{junk, broken}) || visible != 2 {
		t.Errorf("queue %v (%d visible), want the two unreadable messages, visible", ids, visible)
	}
	for _, id := range []string{junk, broken} {
		if !strings.Contains(h.log.String(), "KEPT: not a Kinesis on-failure record: message "+id) {
			t.Errorf("log does not report %s:\n%s", id, h.log.String())
		}
	}
	if !strings.Contains(h.log.String(), "deleted: message "+good) {
		t.Errorf("log:\n%s", h.log.String())
	}
}

// A dry run reads everything and changes nothing: no reprocessing, no deletes, every message visible again.
func TestDryRunChangesNothing(t *testing.T) {
	h := newHarness()
	all := seqs(1, 20)
	h.k.put(shard0, all...)
	h.k.Trim(shard0, 3)
	ok := h.q.Send(onFailureBody(shard0, all[5], all[9], 5))
	trimmed := h.q.Send(onFailureBody(shard0, all[0], all[4], 5))
	junk := h.q.Send(`{}`)
	sum := h.run(t, Options{DryRun: true})
	if len(h.rp.calls) != 0 {
		t.Errorf("reprocessed %v in a dry run", h.rp.calls)
	}
	ids, visible := queued(h.q)
	if !slices.Equal(ids, []string{ok, trimmed, junk}) || visible != 3 {
		t.Errorf("queue %v (%d visible) after a dry run", ids, visible)
	}
	if dels := h.q.Log.Prefixed("delete"); len(dels) != 0 {
		t.Errorf("deletes %v", dels)
	}
	if sum.Messages != 3 || sum.Redriven != 1 || sum.Kept != 2 || sum.RecordsRead != 5+2 || sum.RecordsReprocessed != 0 {
		t.Errorf("summary %+v", sum)
	}
	byID := map[string]Outcome{}
	for _, o := range sum.Outcomes {
		byID[o.MessageID] = o
	}
	if o := byID[ok]; o.Verdict != VerdictWouldRedrive || o.Records != 5 || o.Retention != 24*time.Hour || o.Oldest.IsZero() {
		t.Errorf("outcome %+v", o)
	}
	if o := byID[trimmed]; o.Verdict != VerdictDataGone || !strings.Contains(o.Reason, "would be reprocessed") {
		t.Errorf("outcome %+v", o)
	}
	if !strings.Contains(h.log.String(), "retention 24h: ") {
		t.Errorf("log shows no retention:\n%s", h.log.String())
	}
}

func TestRedriveStopsAtMaxMessages(t *testing.T) {
	h := newHarness()
	all := seqs(1, 30)
	h.k.put(shard0, all...)
	for i := range 10 {
		h.q.Send(onFailureBody(shard0, all[3*i], all[3*i+2], 3))
	}
	sum := h.run(t, Options{MaxMessages: 4, Concurrency: 3})
	if sum.Messages != 4 || sum.Deleted != 4 {
		t.Fatalf("summary %+v", sum)
	}
	if ids, visible := queued(h.q); len(ids) != 6 || visible != 6 {
		t.Errorf("queue %v (%d visible)", ids, visible)
	}
}

func TestRedriveDrainsManyMessagesConcurrently(t *testing.T) {
	h := newHarness()
	all := seqs(1, 250)
	h.k.put(shard0, all...)
	for i := range 25 {
		h.q.Send(onFailureBody(shard0, all[10*i], all[10*i+9], 10))
	}
	sum := h.run(t, Options{Concurrency: 8})
	if sum.Messages != 25 || sum.Deleted != 25 || sum.RecordsReprocessed != 250 {
		t.Fatalf("summary %+v", sum)
	}
	got := h.rp.handled()
	slices.SortFunc(got, func(a, b string) int { return strings.Compare(a, b) })
	if !slices.Equal(got, all) {
		t.Errorf("reprocessed %d records, want each of the 250 once", len(got))
	}
}

// countingQueue counts the messages received and not yet deleted, and remembers the most there were.
type countingQueue struct {
	*awsfake.Queue
	mu                sync.Mutex
	inHand, maxInHand int
	asked             []int32 // MaxNumberOfMessages of each receive
}

func (q *countingQueue) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	out, err := q.Queue.ReceiveMessage(ctx, in, opts...)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.asked = append(q.asked, in.MaxNumberOfMessages)
	if err == nil {
		q.inHand += len(out.Messages)
		q.maxInHand = max(q.maxInHand, q.inHand)
	}
	return out, err
}

func (q *countingQueue) DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	out, err := q.Queue.DeleteMessage(ctx, in, opts...)
	if err == nil {
		q.mu.Lock()
		q.inHand--
		q.mu.Unlock()
	}
	return out, err
}

// At most Concurrency messages are redriven at once, and a receive asks only for as many messages as there
// are free places, so that none waits hidden on the queue's clock for one.
func TestRedriveReceivesOnlyForFreePlaces(t *testing.T) {
	h := newHarness()
	all := seqs(1, 24)
	h.k.put(shard0, all...)
	for i := range 12 {
		h.q.Send(onFailureBody(shard0, all[2*i], all[2*i+1], 2))
	}
	var running, most atomic.Int32
	full := make(chan struct{}) // closed once three redrives run at once
	var once sync.Once
	rp := reprocessorFunc(func(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if n == 3 {
			once.Do(func() { close(full) })
		}
		select { // hold the first ones until the others run beside them
		case <-full:
		case <-time.After(5 * time.Second):
			once.Do(func() { close(full) })
		}
		return h.rp.Reprocess(ctx, src, recs)
	})
	q := &countingQueue{Queue: h.q}
	r, err := New(q, h.k, rp, Options{QueueURL: testQueueURL, Concurrency: 3, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	if err != nil || sum.Deleted != 12 {
		t.Fatalf("%v %+v", err, sum)
	}
	if most.Load() != 3 {
		t.Errorf("at most %d redrives at once, want 3", most.Load())
	}
	if q.maxInHand > 3 || q.asked[0] != 3 {
		t.Errorf("up to %d messages in hand at once, receives asked for %v: want at most 3", q.maxInHand, q.asked)
	}
}

func TestRedriveReportsFailedDelete(t *testing.T) {
	h := newHarness()
	all := seqs(1, 3)
	h.k.put(shard0, all...)
	id := h.q.Send(onFailureBody(shard0, all[0], all[2], 3))
	h.q.FailAlways("DeleteMessage", errors.New("AccessDenied"))
	sum := h.run(t, Options{})
	o := onlyOutcome(t, sum)
	if o.Verdict != VerdictNotDeleted || !strings.Contains(o.Reason, "AccessDenied") || sum.Kept != 1 || sum.Redriven != 1 {
		t.Fatalf("outcome %+v summary %+v", o, sum)
	}
	if ids, visible := queued(h.q); !slices.Equal(ids, []string{id}) || visible != 1 {
		t.Errorf("queue %v (%d visible)", ids, visible)
	}
}

func TestRedriveExtendsVisibilityWhileWorking(t *testing.T) {
	h := newHarness()
	all := seqs(1, 2)
	h.k.put(shard0, all...)
	id := h.q.Send(onFailureBody(shard0, all[0], all[1], 2))
	h.rp.fail = func(int, []kinesisevent.Record) (int, error) {
		time.Sleep(2500 * time.Millisecond) // longer than a third of the 3 s visibility timeout
		return 2, nil
	}
	sum := h.run(t, Options{VisibilityTimeout: 3 * time.Second})
	if onlyOutcome(t, sum).Verdict != VerdictDeleted {
		t.Fatalf("summary %+v", sum)
	}
	if ext := h.q.Log.Prefixed("visibility " + id + " 3"); len(ext) == 0 {
		t.Errorf("visibility never extended: %v", h.q.Log.Calls())
	}
}

func TestRedriveInterruptedKeepsMessages(t *testing.T) {
	h := newHarness()
	all := seqs(1, 4)
	h.k.put(shard0, all...)
	id := h.q.Send(onFailureBody(shard0, all[0], all[3], 4))
	ctx, cancel := context.WithCancel(context.Background())
	r, err := New(h.q, h.k, reprocessorFunc(func(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error) {
		cancel() // Ctrl-C while the function runs
		return Result{}, ctx.Err()
	}), Options{QueueURL: testQueueURL, Retries: 3, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o := onlyOutcome(t, sum)
	if !sum.Interrupted || o.Verdict != VerdictFailed || !strings.HasPrefix(o.Reason, "interrupted") {
		t.Fatalf("summary %+v", sum)
	}
	assertKeptVisible(t, h, id)
}

func TestRedriveFailsWhenQueueCannotBeRead(t *testing.T) {
	h := newHarness()
	h.q.FailAlways("ReceiveMessage", errors.New("AccessDenied"))
	r, err := New(h.q, h.k, h.rp, Options{QueueURL: testQueueURL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("Run error %v", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	q, k, rp := awsfake.NewQueue(testQueueURL), newStream(), &fakeReprocessor{}
	for _, tc := range []struct {
		name string
		rp   Reprocessor
		opts Options
	}{
		{"no queue", rp, Options{}},
		{"no reprocessor", nil, Options{QueueURL: testQueueURL}},
		{"batch too large", rp, Options{QueueURL: testQueueURL, BatchSize: 10001}},
		{"negative retries", rp, Options{QueueURL: testQueueURL, Retries: -1}},
		{"visibility too short", rp, Options{QueueURL: testQueueURL, VisibilityTimeout: time.Second}},
	} {
		if _, err := New(q, k, tc.rp, tc.opts); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if _, err := New(q, k, nil, Options{QueueURL: testQueueURL, DryRun: true}); err != nil {
		t.Errorf("dry run without a reprocessor: %v", err)
	}
}

func TestSummaryWrite(t *testing.T) {
	var s Summary
	s.add(Outcome{MessageID: "a", Verdict: VerdictDeleted, Records: 5, Reprocessed: 5, Detailed: true, Written: 4, Quarantined: 1})
	s.add(Outcome{MessageID: "b", Verdict: VerdictDataGone, Reason: "trimmed", StreamARN: testStreamARN, ShardID: shard0,
		Start: "1", End: "9", Records: 2, Reprocessed: 2, Detailed: true, Written: 2})
	s.add(Outcome{MessageID: "c", Verdict: VerdictUnreadable, Reason: "not JSON"})
	var b bytes.Buffer
	s.Write(&b)
	for _, want := range []string{
		"messages: 3 received, 1 redriven, 1 deleted, 2 kept",
		"data gone:", "not a Kinesis on-failure record:",
		"records: 7 found in the stream, 7 reprocessed, 0 failed",
		"user records: 6 written, 1 quarantined, 0 skipped",
		"KEPT: data gone: message b (orders shardId-000000000000, range 1..9): trimmed",
		"KEPT: not a Kinesis on-failure record: message c: not JSON",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

// regions notes the region each Kinesis call goes to, from a client set to another one.
type regions struct {
	Kinesis
	got []string
}

func (r *regions) note(optFns []func(*kinesis.Options)) {
	o := kinesis.Options{Region: "us-west-2"}
	for _, f := range optFns {
		f(&o)
	}
	r.got = append(r.got, o.Region)
}

func (r *regions) DescribeStreamSummary(ctx context.Context, in *kinesis.DescribeStreamSummaryInput, optFns ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error) {
	r.note(optFns)
	return r.Kinesis.DescribeStreamSummary(ctx, in, optFns...)
}

func (r *regions) GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	r.note(optFns)
	return r.Kinesis.GetShardIterator(ctx, in, optFns...)
}

func (r *regions) GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	r.note(optFns)
	return r.Kinesis.GetRecords(ctx, in, optFns...)
}

// The stream is asked in its own region, whatever the CLI's is: asked elsewhere, Kinesis would not know it, and the
// range would read as gone (from a review).
func TestStreamCallsGoToTheStreamsRegion(t *testing.T) {
	h := newHarness()
	k := &regions{Kinesis: h.k}
	all := seqs(1, 4)
	h.k.put(shard0, all...)
	h.q.Send(onFailureBody(shard0, all[0], all[2], 3))
	r, err := New(h.q, k, h.rp, Options{QueueURL: testQueueURL, Backoff: time.Millisecond, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(k.got) == 0 {
		t.Fatal("no Kinesis calls")
	}
	for _, region := range k.got {
		if region != "eu-west-1" { // testStreamARN's
			t.Errorf("Kinesis calls went to %v, want eu-west-1 for each", k.got)
			break
		}
	}
}

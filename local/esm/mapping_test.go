package esm

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

const shard0 = "shardId-000000000000"

func flatten(batches [][]string) []string {
	var out []string
	for _, b := range batches {
		out = append(out, b...)
	}
	return out
}

func assertBatches(t *testing.T, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d invocations, want %d:\n got %v\nwant %v", len(got), len(want), sizes(got), sizes(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("invocation %d carried %v, want %v", i, got[i], want[i])
		}
	}
}

func sizes(batches [][]string) []int {
	var out []int
	for _, b := range batches {
		out = append(out, len(b))
	}
	return out
}

func TestDeliversShardInOrderInBatchesOfBatchSize(t *testing.T) {
	k := newStream(1)
	seqs := k.putN(shard0, 250)
	h := run(t, testConfig(), k, nil, nil)
	h.waitCheckpoint(t, shard0, seqs[249])
	h.stop(t)

	assertBatches(t, h.inv.batches(), [][]string{seqs[:100], seqs[100:200], seqs[200:]})
	r := h.inv.calls[2].event.Records[49]
	if r.EventID != shard0+":"+seqs[249] || r.EventSourceArn != testStreamARN || r.AwsRegion != "eu-west-1" ||
		r.InvokeIdentityArn != "arn:aws:iam::123456789012:role/kinesis2s3-role" || string(r.Kinesis.Data) != "rec-249" ||
		r.Kinesis.PartitionKey != "pk-249" {
		t.Errorf("last record = %+v", r)
	}
	if s := h.m.Stats(); s.RecordsRead != 250 || s.RecordsSucceeded != 250 || s.Invocations != 3 || s.ShardsStarted != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestStartingPositionLatestSkipsEarlierRecords(t *testing.T) {
	k := newStream(1)
	k.putN(shard0, 3)
	cfg := testConfig()
	cfg.StartingPosition = Latest
	h := run(t, cfg, k, nil, nil)
	waitFor(t, "the first GetRecords", func() bool { return k.GetRecordsCalls() > 0 })
	later := []string{k.put(shard0, "a", "x", time.Now()), k.put(shard0, "b", "y", time.Now())}
	h.waitCheckpoint(t, shard0, later[1])
	assertBatches(t, h.inv.batches(), [][]string{later})
}

func TestStartingPositionAtTimestamp(t *testing.T) {
	k := newStream(1)
	t0 := time.Now().Add(-3 * time.Hour)
	var seqs []string
	for i := range 4 {
		seqs = append(seqs, k.put(shard0, "pk", fmt.Sprint(i), t0.Add(time.Duration(i)*time.Hour)))
	}
	cfg := testConfig()
	cfg.StartingPosition, cfg.StartingPositionTimestamp = AtTimestamp, t0.Add(90*time.Minute)
	h := run(t, cfg, k, nil, nil)
	h.waitCheckpoint(t, shard0, seqs[3])
	assertBatches(t, h.inv.batches(), [][]string{seqs[2:]})
}

func TestBatchIsCutToFitThePayloadLimit(t *testing.T) {
	k := newStream(1)
	mib := strings.Repeat("x", 1<<20) // 1 MiB of data is about 1.4 MB of base64 in the event
	var seqs []string
	for i := range 5 {
		seqs = append(seqs, k.put(shard0, fmt.Sprint(i), mib, time.Now()))
	}
	h := run(t, testConfig(), k, nil, nil)
	h.waitCheckpoint(t, shard0, seqs[4])
	assertBatches(t, h.inv.batches(), [][]string{seqs[:4], seqs[4:]})
	for i, c := range h.inv.calls {
		if c.size > PayloadLimit {
			t.Errorf("invocation %d payload is %d bytes, over %d", i, c.size, PayloadLimit)
		}
	}
	// The cut was needed: the fifth record (its event less the envelope) and a comma would not have fitted.
	if fifth := h.inv.calls[1].size - kinesisevent.PayloadSize(0, 0); h.inv.calls[0].size+1+fifth <= PayloadLimit {
		t.Errorf("first batch (%d bytes) was cut with room for a %d-byte record", h.inv.calls[0].size, fifth)
	}
}

func TestBatchingWindowGathersRecords(t *testing.T) {
	k := newStream(1)
	cfg := testConfig()
	cfg.MaximumBatchingWindow = time.Second
	cfg.BatchSize = 10
	h := run(t, cfg, k, nil, nil)
	first := k.putN(shard0, 3)
	time.Sleep(200 * time.Millisecond) // well inside the window
	second := k.putN(shard0, 2)
	h.waitCheckpoint(t, shard0, second[1])
	assertBatches(t, h.inv.batches(), [][]string{append(first, second...)})
}

func TestFullBatchDoesNotWaitForTheWindow(t *testing.T) {
	k := newStream(1)
	cfg := testConfig()
	cfg.MaximumBatchingWindow = 300 * time.Second
	cfg.BatchSize = 5
	seqs := k.putN(shard0, 7)
	h := run(t, cfg, k, nil, nil)
	h.waitCheckpoint(t, shard0, seqs[4]) // would take five minutes if the window were waited out
	h.stop(t)
	assertBatches(t, h.inv.batches(), [][]string{seqs[:5]}) // the other two wait for their window
}

func onFailureConfig() Config {
	cfg := testConfig()
	cfg.OnFailureQueueURL = testQueueURL
	return cfg
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkOnFailure asserts the AWS fields of an on-failure record for the records seqs[first..last] of shard0.
func checkOnFailure(t *testing.T, k stream, r onfailure.Record, condition string, invokes int, functionError, start, end string, size int) {
	t.Helper()
	rc, b := r.RequestContext, r.KinesisBatchInfo
	if rc.Condition != condition || rc.ApproximateInvokeCount != invokes || rc.FunctionARN != testFunctionARN ||
		!uuidPattern.MatchString(rc.RequestID) {
		t.Errorf("requestContext = %+v, want condition %s, %d invokes", rc, condition, invokes)
	}
	wantStatus, wantVersion := 200, "$LATEST"
	if invokes == 0 {
		wantStatus, wantVersion = 0, ""
	}
	if r.ResponseContext.StatusCode != wantStatus || r.ResponseContext.ExecutedVersion != wantVersion ||
		r.ResponseContext.FunctionError != functionError {
		t.Errorf("responseContext = %+v, want functionError %q", r.ResponseContext, functionError)
	}
	if r.Version != "1.0" || time.Since(r.Timestamp) > time.Minute || r.Timestamp.Location() != time.UTC {
		t.Errorf("version %q timestamp %v", r.Version, r.Timestamp)
	}
	if b.ShardID != shard0 || b.StartSequenceNumber != start || b.EndSequenceNumber != end || b.BatchSize != size ||
		b.StreamARN != testStreamARN {
		t.Errorf("KinesisBatchInfo = %+v, want %s–%s (%d records)", b, start, end, size)
	}
	arrival := map[string]time.Time{}
	for _, rec := range k.Records(shard0) {
		arrival[*rec.SequenceNumber] = *rec.ApproximateArrivalTimestamp
	}
	if !b.ApproximateArrivalOfFirstRecord.Equal(arrival[start]) || !b.ApproximateArrivalOfLastRecord.Equal(arrival[end]) {
		t.Errorf("arrivals %v, %v; want %v, %v", b.ApproximateArrivalOfFirstRecord, b.ApproximateArrivalOfLastRecord,
			arrival[start], arrival[end])
	}
}

func TestFunctionErrorRetriesThenSendsOnFailureRecord(t *testing.T) {
	k := newStream(1)
	seqs := k.putN(shard0, 3)
	cfg := onFailureConfig()
	cfg.MaximumRetryAttempts = 2
	q := awsfake.NewQueue(testQueueURL)
	h := run(t, cfg, k, q, func(n int, _ invocation) (InvokeResult, error) {
		if n < 3 {
			return fail, nil
		}
		return InvokeResult{}, nil
	})
	h.waitCheckpoint(t, shard0, seqs[2])
	more := k.putN(shard0, 2)
	h.waitCheckpoint(t, shard0, more[1])
	h.stop(t)

	assertBatches(t, h.inv.batches(), [][]string{seqs, seqs, seqs, more})
	recs := onFailureRecords(t, q)
	if len(recs) != 1 {
		t.Fatalf("%d on-failure records, want 1", len(recs))
	}
	checkOnFailure(t, k, recs[0], onfailure.RetryAttemptsExhausted, 3, "Unhandled", seqs[0], seqs[2], 3)
	if s := h.m.Stats(); s.FunctionErrors != 3 || s.RecordsDiscarded != 3 || s.OnFailureSent != 1 || s.RecordsSucceeded != 2 {
		t.Errorf("stats = %+v", s)
	}
}

func TestZeroRetriesInvokesOnce(t *testing.T) {
	k := newStream(1)
	seqs := k.putN(shard0, 2)
	cfg := onFailureConfig()
	cfg.MaximumRetryAttempts = 0
	q := awsfake.NewQueue(testQueueURL)
	h := run(t, cfg, k, q, func(int, invocation) (InvokeResult, error) { return fail, nil })
	h.waitCheckpoint(t, shard0, seqs[1])
	assertBatches(t, h.inv.batches(), [][]string{seqs})
	checkOnFailure(t, k, onFailureRecords(t, q)[0], onfailure.RetryAttemptsExhausted, 1, "Unhandled", seqs[0], seqs[1], 2)
}

// A timeout reaches the mapping as a function error (the invoker says which) and is retried like one.
func TestTimeoutCountsAsFunctionError(t *testing.T) {
	k := newStream(1)
	seqs := k.putN(shard0, 1)
	cfg := onFailureConfig()
	cfg.MaximumRetryAttempts = 1
	q := awsfake.NewQueue(testQueueURL)
	timeout := InvokeResult{FunctionError: "Unhandled", Payload: []byte(`{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 3.00 seconds"}`)}
	h := run(t, cfg, k, q, func(int, invocation) (InvokeResult, error) { return timeout, nil })
	h.waitCheckpoint(t, shard0, seqs[0])
	assertBatches(t, h.inv.batches(), [][]string{seqs, seqs})
	checkOnFailure(t, k, onFailureRecords(t, q)[0], onfailure.RetryAttemptsExhausted, 2, "Unhandled", seqs[0], seqs[0], 1)
}

// failing answers result to batches holding any of seqs and succeeds otherwise.
func failing(result InvokeResult, seqs ...string) func(int, invocation) (InvokeResult, error) {
	return func(_ int, inv invocation) (InvokeResult, error) {
		if containsAny(inv.seqs, seqs...) {
			return result, nil
		}
		return InvokeResult{}, nil
	}
}

func containsAny(batch []string, seqs ...string) bool {
	for _, s := range seqs {
		if slices.Contains(batch, s) {
			return true
		}
	}
	return false
}

func TestBisectIsolatesAPoisonRecord(t *testing.T) {
	k := newStream(1)
	s := k.putN(shard0, 8)
	cfg := onFailureConfig()
	cfg.BatchSize = 8
	cfg.BisectBatchOnFunctionError = true
	cfg.MaximumRetryAttempts = 1
	q := awsfake.NewQueue(testQueueURL)
	h := run(t, cfg, k, q, failing(fail, s[5]))
	h.waitCheckpoint(t, shard0, s[7])
	// Splits do not consume retries: only the single poison record is retried, once, before it is discarded.
	assertBatches(t, h.inv.batches(), [][]string{s, s[:4], s[4:], s[4:6], s[4:5], s[5:6], s[5:6], s[6:]})
	recs := onFailureRecords(t, q)
	if len(recs) != 1 {
		t.Fatalf("%d on-failure records, want 1", len(recs))
	}
	// It rode in five invocations: the full batch, two halves, itself and its retry.
	checkOnFailure(t, k, recs[0], onfailure.RetryAttemptsExhausted, 5, "Unhandled", s[5], s[5], 1)
	if st := h.m.Stats(); st.Bisects != 3 || st.RecordsSucceeded != 7 || st.RecordsDiscarded != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestBisectWithZeroRetriesStillSplits(t *testing.T) {
	k := newStream(1)
	s := k.putN(shard0, 3)
	cfg := onFailureConfig()
	cfg.BisectBatchOnFunctionError = true
	cfg.MaximumRetryAttempts = 0
	q := awsfake.NewQueue(testQueueURL)
	h := run(t, cfg, k, q, failing(fail, s[0]))
	h.waitCheckpoint(t, shard0, s[2])
	assertBatches(t, h.inv.batches(), [][]string{s, s[:2], s[:1], s[1:2], s[2:]})
	checkOnFailure(t, k, onFailureRecords(t, q)[0], onfailure.RetryAttemptsExhausted, 3, "Unhandled", s[0], s[0], 1)
}

// The bug several emulators shipped: a record the function keeps reporting in batchItemFailures was retried
// forever. Partial failures must consume retries exactly like function errors.
func TestPartialFailureCountsAgainstMaximumRetryAttempts(t *testing.T) {
	for _, bisect := range []bool{false, true} {
		t.Run(fmt.Sprintf("bisect=%v", bisect), func(t *testing.T) {
			k := newStream(1)
			s := k.putN(shard0, 10)
			cfg := onFailureConfig()
			cfg.ReportBatchItemFailures = true
			cfg.BisectBatchOnFunctionError = bisect
			cfg.MaximumRetryAttempts = 2
			q := awsfake.NewQueue(testQueueURL)
			h := run(t, cfg, k, q, failing(partial(s[4]), s[4]))
			h.waitCheckpoint(t, shard0, s[9])
			after := k.putN(shard0, 1)
			h.waitCheckpoint(t, shard0, after[0])
			h.stop(t)

			// Records 0–3 are checkpointed after the first call; 4–9 are retried as they are (a partial
			// response is no function error, so no halving), twice, then discarded.
			assertBatches(t, h.inv.batches(), [][]string{s, s[4:], s[4:], after})
			recs := onFailureRecords(t, q)
			if len(recs) != 1 {
				t.Fatalf("%d on-failure records, want 1", len(recs))
			}
			checkOnFailure(t, k, recs[0], onfailure.RetryAttemptsExhausted, 3, "", s[4], s[9], 6)
			if st := h.m.Stats(); st.PartialFailures != 3 || st.FunctionErrors != 0 || st.RecordsDiscarded != 6 {
				t.Errorf("stats = %+v", st)
			}
			// The checkpoint stopped before the reported record until the records were discarded.
			var cps []string
			for _, e := range h.rec.of(Checkpointed) {
				cps = append(cps, e.LastSequenceNumber)
			}
			if !slices.Equal(cps, []string{s[3], s[9], after[0]}) {
				t.Errorf("checkpoints %v, want %v", cps, []string{s[3], s[9], after[0]})
			}
		})
	}
}

func TestPartialFailureRetriesFromLowestReportedRecord(t *testing.T) {
	k := newStream(1)
	s := k.putN(shard0, 10)
	cfg := testConfig()
	cfg.ReportBatchItemFailures = true
	h := run(t, cfg, k, nil, func(n int, _ invocation) (InvokeResult, error) {
		if n == 0 {
			return partial(s[7], s[3], s[5]), nil
		}
		return InvokeResult{}, nil
	})
	h.waitCheckpoint(t, shard0, s[9])
	assertBatches(t, h.inv.batches(), [][]string{s, s[3:]})
}

func TestPartialFailureThenFunctionErrorBisectsTheRemainder(t *testing.T) {
	k := newStream(1)
	s := k.putN(shard0, 10)
	cfg := testConfig()
	cfg.ReportBatchItemFailures = true
	cfg.BisectBatchOnFunctionError = true
	h := run(t, cfg, k, nil, func(n int, _ invocation) (InvokeResult, error) {
		switch n {
		case 0:
			return partial(s[4]), nil
		case 1:
			return fail, nil
		}
		return InvokeResult{}, nil
	})
	h.waitCheckpoint(t, shard0, s[9])
	assertBatches(t, h.inv.batches(), [][]string{s, s[4:], s[4:7], s[7:]})
}

// Responses that AWS documents as a complete failure retry the whole batch.
func TestResponsesThatFailTheWholeBatch(t *testing.T) {
	for name, body := range map[string]string{
		"empty identifier":   `{"batchItemFailures":[{"itemIdentifier":""}]}`,
		"null identifier":    `{"batchItemFailures":[{"itemIdentifier":null}]}`,
		"bad key name":       `{"batchItemFailures":[{"ItemIdentifier":"1"}]}`,
		"unparseable":        `{"batchItemFailures":`,
		"unknown identifier": `{"batchItemFailures":[{"itemIdentifier":"123"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			k := newStream(1)
			s := k.putN(shard0, 3)
			cfg := testConfig()
			cfg.ReportBatchItemFailures = true
			h := run(t, cfg, k, nil, func(n int, _ invocation) (InvokeResult, error) {
				if n == 0 {
					return InvokeResult{Payload: []byte(body)}, nil
				}
				return InvokeResult{}, nil
			})
			h.waitCheckpoint(t, shard0, s[2])
			assertBatches(t, h.inv.batches(), [][]string{s, s})
			if st := h.m.Stats(); st.FunctionErrors != 1 || st.PartialFailures != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestBatchItemFailuresIgnoredWhenNotEnabled(t *testing.T) {
	k := newStream(1)
	s := k.putN(shard0, 3)
	h := run(t, testConfig(), k, nil, func(int, invocation) (InvokeResult, error) { return partial(s[1]), nil })
	h.waitCheckpoint(t, shard0, s[2])
	assertBatches(t, h.inv.batches(), [][]string{s})
}

func TestInvokeErrorsDoNotConsumeRetries(t *testing.T) {
	k := newStream(1)
	s := k.putN(shard0, 2)
	cfg := onFailureConfig()
	cfg.MaximumRetryAttempts = 0
	q := awsfake.NewQueue(testQueueURL)
	h := run(t, cfg, k, q, func(n int, _ invocation) (InvokeResult, error) {
		if n < 5 {
			return InvokeResult{}, errors.New("TooManyRequestsException: rate exceeded")
		}
		return InvokeResult{}, nil
	})
	h.waitCheckpoint(t, shard0, s[1])
	assertBatches(t, h.inv.batches(), [][]string{s, s, s, s, s, s})
	if st := h.m.Stats(); st.InvokeErrors != 5 || st.Invocations != 1 || len(q.Messages()) != 0 {
		t.Errorf("stats = %+v, %d on-failure records", st, len(q.Messages()))
	}
}

func TestInvokeErrorsRetryUntilRecordAge(t *testing.T) {
	k := newStream(1)
	arrival := time.Now().Add(-59800 * time.Millisecond) // both expire together
	old := []string{k.put(shard0, "a", "1", arrival), k.put(shard0, "b", "2", arrival)}
	cfg := onFailureConfig()
	cfg.MaximumRecordAge = time.Minute
	q := awsfake.NewQueue(testQueueURL)
	h := run(t, cfg, k, q, func(_ int, inv invocation) (InvokeResult, error) {
		if containsAny(inv.seqs, old...) {
			return InvokeResult{}, errors.New("connection refused")
		}
		return InvokeResult{}, nil
	})
	h.waitCheckpoint(t, shard0, old[1])
	fresh := k.putN(shard0, 1)
	h.waitCheckpoint(t, shard0, fresh[0])
	recs := onFailureRecords(t, q)
	if len(recs) != 1 {
		t.Fatalf("%d on-failure records, want 1", len(recs))
	}
	checkOnFailure(t, k, recs[0], onfailure.RecordAgeExceeded, 0, "", old[0], old[1], 2)
	if got := h.inv.batches(); !slices.Equal(got[len(got)-1], fresh) {
		t.Errorf("last invocation %v, want %v", got[len(got)-1], fresh)
	}
}

func TestRecordsOlderThanMaximumAgeAreNeverSent(t *testing.T) {
	k := newStream(1)
	old := []string{k.put(shard0, "a", "1", time.Now().Add(-2*time.Hour)), k.put(shard0, "b", "2", time.Now().Add(-90*time.Minute))}
	fresh := k.putN(shard0, 2)
	cfg := onFailureConfig()
	cfg.MaximumRecordAge = time.Hour
	q := awsfake.NewQueue(testQueueURL)
	h := run(t, cfg, k, q, nil)
	h.waitCheckpoint(t, shard0, fresh[1])
	assertBatches(t, h.inv.batches(), [][]string{fresh})
	checkOnFailure(t, k, onFailureRecords(t, q)[0], onfailure.RecordAgeExceeded, 0, "", old[0], old[1], 2)
}

// Function errors are retried while the record is young enough and stop once it is older than MaximumRecordAge:
// the mapping's clock moves past the record's age during the third invocation, so that the record expires after
// it whatever the scheduling (with wall-clock time, a record 100 ms from its age could expire before the first
// invocation on a loaded machine, and go to the queue after none).
func TestFunctionErrorRetriesStopAtRecordAge(t *testing.T) {
	k := newStream(1)
	arrival := time.Now()
	s := []string{k.put(shard0, "a", "1", arrival)}
	cfg := onFailureConfig()
	cfg.MaximumRecordAge = time.Minute
	q := awsfake.NewQueue(testQueueURL)
	var aged atomic.Bool
	clock := WithClock(func() time.Time {
		if aged.Load() {
			return arrival.Add(cfg.MaximumRecordAge + time.Second)
		}
		return arrival
	})
	h := newHarness(t, cfg, k, q, func(n int, _ invocation) (InvokeResult, error) {
		if n == 2 {
			aged.Store(true)
		}
		return fail, nil
	}, nil, clock)
	h.start(t)
	h.waitCheckpoint(t, shard0, s[0])
	r := onFailureRecords(t, q)[0]
	if r.RequestContext.Condition != onfailure.RecordAgeExceeded || r.RequestContext.ApproximateInvokeCount != 3 ||
		h.inv.count() != 3 || r.ResponseContext.FunctionError != "Unhandled" {
		t.Errorf("on-failure record %+v after %d invocations, want 3", r, h.inv.count())
	}
}

func TestOnFailureSendIsRetriedBeforeCheckpointing(t *testing.T) {
	k := newStream(1)
	s := k.putN(shard0, 2)
	cfg := onFailureConfig()
	cfg.MaximumRetryAttempts = 0
	var h *harness
	var early atomic.Bool
	q := awsfake.NewQueue(testQueueURL)
	q.FailNext("SendMessage", unavailable, unavailable, unavailable)
	watched := watchedSQS{Queue: q, before: func() {
		if h.m.Checkpoints()[shard0].SequenceNumber != "" {
			early.Store(true)
		}
	}}
	h = newHarness(t, cfg, k, watched, func(int, invocation) (InvokeResult, error) { return fail, nil }, nil)
	h.start(t)
	h.waitCheckpoint(t, shard0, s[1])
	if early.Load() {
		t.Error("checkpoint moved before the on-failure record was sent")
	}
	if st := h.m.Stats(); st.OnFailureErrors != 3 || st.OnFailureSent != 1 || len(q.Messages()) != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestOnFailureSendNeverAcceptedBlocksTheShard(t *testing.T) {
	k := newStream(1)
	cfg := onFailureConfig()
	cfg.MaximumRetryAttempts = 0
	cfg.BatchSize = 2
	s := k.putN(shard0, 4)
	q := awsfake.NewQueue(testQueueURL)
	q.FailAlways("SendMessage", unavailable)
	h := run(t, cfg, k, q, failing(fail, s[0]))
	waitFor(t, "on-failure send attempts", func() bool { return h.m.Stats().OnFailureErrors >= 5 })
	h.stop(t)
	if cp, ok := h.m.Checkpoints()[shard0]; ok {
		t.Errorf("checkpoint %+v although the on-failure record was never sent", cp)
	}
	assertBatches(t, h.inv.batches(), [][]string{s[:2]}) // the next batch waits behind it
}

func TestWithoutOnFailureQueueRecordsAreDiscardedVisibly(t *testing.T) {
	k := newStream(1)
	s := k.putN(shard0, 2)
	cfg := testConfig()
	cfg.MaximumRetryAttempts = 0
	h := run(t, cfg, k, nil, func(int, invocation) (InvokeResult, error) { return fail, nil })
	h.waitCheckpoint(t, shard0, s[1])
	d := h.rec.of(Discarded)
	if len(d) != 1 || d[0].Records != 2 || d[0].Condition != onfailure.RetryAttemptsExhausted || len(h.rec.of(OnFailureSent)) != 0 {
		t.Errorf("discard events %+v", d)
	}
}

// keysByLane returns, for each lane, partition keys that hash to it.
func keysByLane(lanes, perLane int) [][]string {
	out := make([][]string, lanes)
	for i := 0; ; i++ {
		pk := fmt.Sprintf("key-%d", i)
		l := laneOf(pk, lanes)
		if len(out[l]) < perLane {
			out[l] = append(out[l], pk)
		}
		done := true
		for _, ks := range out {
			done = done && len(ks) == perLane
		}
		if done {
			return out
		}
	}
}

func TestParallelizationKeepsEachPartitionKeyInOrder(t *testing.T) {
	const factor = 3
	k := newStream(1)
	var keys []string
	for _, ks := range keysByLane(factor, 2) {
		keys = append(keys, ks...)
	}
	var seqs []string
	for i := range 60 {
		seqs = append(seqs, k.put(shard0, keys[i%len(keys)], fmt.Sprint(i), time.Now()))
	}
	cfg := testConfig()
	cfg.ParallelizationFactor = factor
	cfg.BatchSize = 4

	var inFlight, maxInFlight atomic.Int32
	second := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var order []invocation
	h := run(t, cfg, k, nil, func(n int, inv invocation) (InvokeResult, error) {
		mu.Lock()
		order = append(order, inv)
		mu.Unlock()
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		if cur > maxInFlight.Load() {
			maxInFlight.Store(cur)
		}
		if cur >= 2 {
			once.Do(func() { close(second) })
		}
		if n == 0 { // hold the first batch until another lane's batch runs beside it
			select {
			case <-second:
			case <-time.After(5 * time.Second):
			}
		}
		return InvokeResult{}, nil
	})
	h.waitCheckpoint(t, shard0, seqs[59])
	h.stop(t)

	if maxInFlight.Load() < 2 {
		t.Errorf("at most %d batches ran at once, want concurrency", maxInFlight.Load())
	}
	if got := flatten(h.inv.batches()); len(got) != 60 {
		t.Errorf("%d records delivered, want 60", len(got))
	}
	last := map[string]string{}
	for _, inv := range order {
		lane := laneOf(inv.event.Records[0].Kinesis.PartitionKey, factor)
		for _, r := range inv.event.Records {
			pk, seq := r.Kinesis.PartitionKey, r.Kinesis.SequenceNumber
			if laneOf(pk, factor) != lane {
				t.Errorf("batch mixes lanes: %s", pk)
			}
			if prev := last[pk]; prev != "" && seqnum.Compare(prev, seq) >= 0 {
				t.Errorf("key %s: %s delivered after %s", pk, seq, prev)
			}
			last[pk] = seq
		}
	}
}

func TestParallelLaneFailureBlocksOnlyItsLaneAndTheCheckpoint(t *testing.T) {
	k := newStream(1)
	keys := keysByLane(2, 1)
	a, b := keys[0][0], keys[1][0]
	var as, bs []string
	for i := range 4 {
		as = append(as, k.put(shard0, a, fmt.Sprint(i), time.Now()))
		bs = append(bs, k.put(shard0, b, fmt.Sprint(i), time.Now()))
	}
	cfg := testConfig()
	cfg.ParallelizationFactor = 2
	release := make(chan struct{})
	h := run(t, cfg, k, nil, func(_ int, inv invocation) (InvokeResult, error) {
		if containsAny(inv.seqs, as[0]) {
			select {
			case <-release:
				return InvokeResult{}, nil
			default:
				return fail, nil
			}
		}
		return InvokeResult{}, nil
	})
	waitFor(t, "lane b to finish", func() bool {
		return slices.ContainsFunc(h.rec.of(Succeeded), func(e Event) bool { return e.LastSequenceNumber == bs[3] })
	})
	if cp, ok := h.m.Checkpoints()[shard0]; ok {
		t.Errorf("checkpoint %+v passed the failing first record", cp)
	}
	close(release)
	h.waitCheckpoint(t, shard0, bs[3])
}

func TestChildShardsWaitForTheirParents(t *testing.T) {
	k := newStream(1)
	parent := k.putN(shard0, 4)
	c1, c2 := k.Split(shard0)
	child := []string{k.put(c1, "x", "c1", time.Now()), k.put(c2, "y", "c2", time.Now())}

	cfg := testConfig()
	cfg.BatchSize = 2
	var h *harness
	var early atomic.Bool
	h = newHarness(t, cfg, k, nil, func(n int, inv invocation) (InvokeResult, error) {
		if containsAny(inv.seqs, child...) && !h.m.Checkpoints()[shard0].ShardEnd {
			early.Store(true)
		}
		if containsAny(inv.seqs, parent[2]) && n < 5 {
			return fail, nil // keep the parent busy while the children are known
		}
		return InvokeResult{}, nil
	}, nil)
	h.start(t)
	h.waitCheckpoint(t, c1, child[0])
	h.waitCheckpoint(t, c2, child[1])
	if early.Load() {
		t.Error("a child shard was invoked before its parent reached SHARD_END")
	}
	if cp := h.m.Checkpoints()[shard0]; !cp.ShardEnd || cp.SequenceNumber != parent[3] {
		t.Errorf("parent checkpoint %+v", cp)
	}
}

func TestReshardingWhileRunning(t *testing.T) {
	k := newStream(1)
	var h *harness
	var early atomic.Bool
	var mu sync.Mutex
	parentsOf := map[string][]string{}
	h = newHarness(t, testConfig(), k, nil, func(_ int, inv invocation) (InvokeResult, error) {
		shard, _, _ := strings.Cut(inv.event.Records[0].EventID, ":")
		mu.Lock()
		parents := parentsOf[shard]
		mu.Unlock()
		for _, p := range parents {
			if !h.m.Checkpoints()[p].ShardEnd {
				early.Store(true)
			}
		}
		return InvokeResult{}, nil
	}, nil)
	h.start(t)
	first := k.putN(shard0, 3)
	h.waitCheckpoint(t, shard0, first[2])

	c1, c2 := k.Split(shard0)
	mu.Lock()
	parentsOf[c1], parentsOf[c2] = []string{shard0}, []string{shard0}
	mu.Unlock()
	s1, s2 := k.putN(c1, 2), k.putN(c2, 2)
	h.waitCheckpoint(t, c1, s1[1])
	h.waitCheckpoint(t, c2, s2[1])

	merged := k.Merge(c1, c2)
	mu.Lock()
	parentsOf[merged] = []string{c1, c2}
	mu.Unlock()
	m := k.putN(merged, 2)
	h.waitCheckpoint(t, merged, m[1])
	h.stop(t)

	if early.Load() {
		t.Error("a child shard was invoked before a parent reached SHARD_END")
	}
	cps := h.m.Checkpoints()
	for _, id := range []string{shard0, c1, c2} {
		if !cps[id].ShardEnd {
			t.Errorf("%s checkpoint %+v, want SHARD_END", id, cps[id])
		}
	}
	if got := len(flatten(h.inv.batches())); got != 9 {
		t.Errorf("%d records delivered, want 9", got)
	}
	// Children found after the start are read from TRIM_HORIZON, whatever the starting position.
	for _, e := range h.rec.of(ShardStarted) {
		if e.ShardID != shard0 && e.Position != TrimHorizon {
			t.Errorf("%s started at %s", e.ShardID, e.Position)
		}
	}
}

func TestLatestIgnoresShardsClosedBeforeTheStart(t *testing.T) {
	k := newStream(1)
	k.putN(shard0, 3)
	c1, c2 := k.Split(shard0)
	k.putN(c1, 1)
	cfg := testConfig()
	cfg.StartingPosition = Latest
	h := run(t, cfg, k, nil, nil)
	waitFor(t, "both children polled", func() bool { return len(h.rec.of(ShardStarted)) == 2 })
	waitFor(t, "a GetRecords on each child", func() bool { return k.GetRecordsCalls() >= 2 })
	later := []string{k.put(c1, "a", "x", time.Now()), k.put(c2, "b", "y", time.Now())}
	h.waitCheckpoint(t, c1, later[0])
	h.waitCheckpoint(t, c2, later[1])
	if got := flatten(h.inv.batches()); !slices.Equal(slices.Sorted(slices.Values(got)), later) {
		t.Errorf("delivered %v, want only %v", got, later)
	}
}

func TestStopAbandonsInFlightBatchWithoutCheckpoint(t *testing.T) {
	k := newStream(1)
	k.putN(shard0, 3)
	started := make(chan struct{})
	fn := InvokerFunc(func(ctx context.Context, _ []byte) (InvokeResult, error) {
		close(started)
		<-ctx.Done()
		return InvokeResult{}, ctx.Err()
	})
	h := newHarness(t, testConfig(), k, nil, nil, fn)
	h.start(t)
	<-started
	h.stop(t)
	if cps := h.m.Checkpoints(); len(cps) != 0 {
		t.Errorf("checkpoints %v after an abandoned batch", cps)
	}
	if st := h.m.Stats(); st.RecordsSucceeded != 0 || st.RecordsDiscarded != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestStopLetsAFinishedInvocationCheckpoint(t *testing.T) {
	k := newStream(1)
	s := k.putN(shard0, 4)
	cfg := testConfig()
	cfg.BatchSize = 2
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	fn := InvokerFunc(func(context.Context, []byte) (InvokeResult, error) {
		calls.Add(1)
		close(started)
		<-release // finishes although the mapping is stopping
		return InvokeResult{}, nil
	})
	h := newHarness(t, cfg, k, nil, nil, fn)
	h.start(t)
	<-started
	h.cancel()
	close(release)
	h.stop(t)
	if cp := h.m.Checkpoints()[shard0]; cp.SequenceNumber != s[1] {
		t.Errorf("checkpoint %+v, want %s", cp, s[1])
	}
	if calls.Load() != 1 {
		t.Errorf("%d invocations after stop, want 1", calls.Load())
	}
}

func TestReadErrorsAreRetriedWithoutLossOrDuplicates(t *testing.T) {
	k := newStream(1)
	s := k.putN(shard0, 5)
	h := run(t, testConfig(), k, nil, nil)
	h.waitCheckpoint(t, shard0, s[4])
	k.FailNext("GetRecords",
		&types.ExpiredIteratorException{Message: aws.String("Iterator expired")},
		&types.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded")},
		errors.New("connection reset"),
	)
	waitFor(t, "the injected errors", func() bool { return k.PendingFaults("GetRecords") == 0 })
	more := k.putN(shard0, 5)
	h.waitCheckpoint(t, shard0, more[4])
	if got, want := flatten(h.inv.batches()), append(s, more...); !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	if st := h.m.Stats(); st.ReadErrors != 3 {
		t.Errorf("stats = %+v", st)
	}
}

func TestListShardsIsPaged(t *testing.T) {
	k := newStream(3)
	k.ShardsPerPage = 1
	var last []string
	for _, id := range []string{"shardId-000000000000", "shardId-000000000001", "shardId-000000000002"} {
		last = append(last, k.putN(id, 2)[1])
	}
	h := run(t, testConfig(), k, nil, nil)
	for i, id := range []string{"shardId-000000000000", "shardId-000000000001", "shardId-000000000002"} {
		h.waitCheckpoint(t, id, last[i])
	}
}

func TestRunFailsWhenTheStreamDoesNotExist(t *testing.T) {
	cfg := testConfig()
	cfg.StreamName = "missing"
	m, err := New(cfg, newStream(1), nil, &scriptInvoker{t: t})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var notFound *types.ResourceNotFoundException
	if err := m.Run(ctx); !errors.As(err, &notFound) {
		t.Errorf("Run = %v, want ResourceNotFoundException", err)
	}
	if err := m.Run(ctx); err == nil {
		t.Error("second Run succeeded")
	}
}

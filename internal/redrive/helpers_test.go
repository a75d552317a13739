package redrive

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

const (
	testStreamARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"
	testQueueURL  = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq"
	shard0        = "shardId-000000000000"
)

// stream is the shared in-memory Kinesis stream with this suite's way of filling it.
type stream struct{ *awsfake.Stream }

// newStream returns the stream of testStreamARN, with one open shard, shard0.
func newStream() stream { return stream{awsfake.NewStream(testStreamARN, 1)} }

// put appends records with the given sequence numbers to a shard, arriving an hour ago, a millisecond apart.
func (k stream) put(shard string, seqs ...string) {
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	n := len(k.Records(shard))
	for i, s := range seqs {
		k.Put(shard, awsfake.Record{SequenceNumber: s, PartitionKey: "pk-" + s, Data: []byte(`{"seq":"` + s + `"}`),
			Arrival: base.Add(time.Duration(n+i) * time.Millisecond)})
	}
}

// throttled is Kinesis's answer to a read over the shard's limits.
var throttled = &types.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded for shard")}

// queued lists the messages still on the queue, and visible reports how many of them are visible now.
func queued(q *awsfake.Queue) (ids []string, visible int) {
	for _, m := range q.Messages() {
		ids = append(ids, m.ID)
		if m.Visible {
			visible++
		}
	}
	return ids, visible
}

// seqs returns n sequence numbers of Kinesis's usual 56 digits, from start on.
func seqs(start, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("4959%052d", start+i)
	}
	return out
}

// fakeReprocessor records what it was given. fail decides each call's outcome from the call's records.
type fakeReprocessor struct {
	mu    sync.Mutex
	calls [][]string // sequence numbers of each call
	srcs  []kinesisevent.Source
	fail  func(call int, recs []kinesisevent.Record) (handled int, err error)
	log   *awsfake.Log
}

func (f *fakeReprocessor) Reprocess(_ context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s []string
	for _, r := range recs {
		s = append(s, r.SequenceNumber)
	}
	f.calls = append(f.calls, s)
	f.srcs = append(f.srcs, src)
	handled, err := len(recs), error(nil)
	if f.fail != nil {
		handled, err = f.fail(len(f.calls)-1, recs)
	}
	f.log.Add(fmt.Sprintf("reprocess %d handled %d", len(recs), handled))
	return Result{Handled: handled}, err
}

func (f *fakeReprocessor) handled() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c...)
	}
	return out
}

// onFailureBody is an on-failure record for a range of shard0, as the event source mapping writes it.
func onFailureBody(shard, start, end string, batchSize int) string {
	rec := onfailure.Record{
		RequestContext: onfailure.RequestContext{RequestID: "r", FunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:f",
			Condition: onfailure.RetryAttemptsExhausted, ApproximateInvokeCount: 2},
		ResponseContext: onfailure.ResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: "Unhandled"},
		Version:         "1.0",
		Timestamp:       time.Now().UTC(),
		KinesisBatchInfo: &onfailure.KinesisBatchInfo{
			ShardID: shard, StartSequenceNumber: start, EndSequenceNumber: end,
			ApproximateArrivalOfFirstRecord: time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond),
			ApproximateArrivalOfLastRecord:  time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond),
			BatchSize:                       batchSize, StreamARN: testStreamARN,
		},
	}
	b, err := json.Marshal(rec)
	if err != nil {
		panic(err)
	}
	return string(b)
}

type (
	sqsDeleteInput  = sqs.DeleteMessageInput
	sqsDeleteOutput = sqs.DeleteMessageOutput
	sqsOption       = func(*sqs.Options)
)

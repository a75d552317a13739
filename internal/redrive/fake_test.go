package redrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	qtypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
)

const (
	testStreamARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"
	testQueueURL  = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq"
	shard0        = "shardId-000000000000"
)

// fakeQueue is an in-memory SQS queue with visibility timeouts and receipt handles.
type fakeQueue struct {
	mu       sync.Mutex
	msgs     []*fakeMessage
	next     int
	calls    []string // operation log: "receive", "delete <id>", "visibility <id> <seconds>"
	failDel  bool
	failRecv error
}

type fakeMessage struct {
	id, body, receipt string
	visibleAt         time.Time
	receives          int
}

func (q *fakeQueue) send(body string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.next++
	id := fmt.Sprintf("msg-%03d", q.next)
	q.msgs = append(q.msgs, &fakeMessage{id: id, body: body})
	return id
}

func (q *fakeQueue) log(s string) { q.calls = append(q.calls, s) }

// ids lists the messages still on the queue, and visible reports how many of them are visible now.
func (q *fakeQueue) ids() (ids []string, visible int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	for _, m := range q.msgs {
		ids = append(ids, m.id)
		if !m.visibleAt.After(now) {
			visible++
		}
	}
	return ids, visible
}

func (q *fakeQueue) operations(prefix string) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, c := range q.calls {
		if len(c) >= len(prefix) && c[:len(prefix)] == prefix {
			out = append(out, c)
		}
	}
	return out
}

func (q *fakeQueue) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	ids, visible := q.ids()
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(len(ids) - visible),
	}}, nil
}

func (q *fakeQueue) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.log("receive")
	if q.failRecv != nil {
		return nil, q.failRecv
	}
	if in.MaxNumberOfMessages < 1 || in.MaxNumberOfMessages > 10 {
		return nil, fmt.Errorf("MaxNumberOfMessages %d outside 1-10", in.MaxNumberOfMessages)
	}
	now := time.Now()
	out := &sqs.ReceiveMessageOutput{}
	for _, m := range q.msgs {
		if len(out.Messages) == int(in.MaxNumberOfMessages) {
			break
		}
		if m.visibleAt.After(now) {
			continue
		}
		m.receives++
		m.receipt = fmt.Sprintf("%s-r%d", m.id, m.receives)
		m.visibleAt = now.Add(time.Duration(in.VisibilityTimeout) * time.Second)
		out.Messages = append(out.Messages, qtypes.Message{MessageId: aws.String(m.id), Body: aws.String(m.body), ReceiptHandle: aws.String(m.receipt)})
	}
	return out, nil
}

func (q *fakeQueue) find(receipt string) (*fakeMessage, int) {
	for i, m := range q.msgs {
		if m.receipt == receipt {
			return m, i
		}
	}
	return nil, -1
}

func (q *fakeQueue) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, _ := q.find(aws.ToString(in.ReceiptHandle))
	if m == nil {
		return nil, errors.New("ReceiptHandleIsInvalid")
	}
	q.log(fmt.Sprintf("visibility %s %d", m.id, in.VisibilityTimeout))
	m.visibleAt = time.Now().Add(time.Duration(in.VisibilityTimeout) * time.Second)
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

func (q *fakeQueue) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, i := q.find(aws.ToString(in.ReceiptHandle))
	if m == nil {
		return nil, errors.New("ReceiptHandleIsInvalid")
	}
	if q.failDel {
		return nil, errors.New("AccessDenied")
	}
	q.log("delete " + m.id)
	q.msgs = slices.Delete(q.msgs, i, i+1)
	return &sqs.DeleteMessageOutput{}, nil
}

// fakeStream is an in-memory Kinesis stream. Iterators are "shard/index" strings; GetRecords returns at most
// pageSize records and, when emptyEvery is set, an empty page (with a next iterator) before every page.
type fakeStream struct {
	mu          sync.Mutex
	shards      map[string]*fakeShard
	retention   int32
	pageSize    int
	emptyEvery  bool
	gone        bool // the stream was deleted
	expireOnce  bool // the next GetRecords fails with ExpiredIteratorException
	trimErr     bool // AT_SEQUENCE_NUMBER on a trimmed number fails as kinesis-mock does, instead of starting at the horizon
	failGetAt   int  // the GetRecords call of this number (from 1) fails with a throttling error
	getRecords  int
	emptyServed map[string]bool
	log         *callLog
}

type fakeShard struct {
	recs    []ktypes.Record
	trimmed int // records before this index are gone
	closed  bool
}

func newFakeStream() *fakeStream {
	return &fakeStream{shards: map[string]*fakeShard{}, retention: 24, pageSize: 10000, emptyServed: map[string]bool{}}
}

// put appends records with the given sequence numbers to a shard, arriving a millisecond apart.
func (k *fakeStream) put(shard string, seqs ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	sh := k.shards[shard]
	if sh == nil {
		sh = &fakeShard{}
		k.shards[shard] = sh
	}
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for _, s := range seqs {
		n := len(sh.recs)
		sh.recs = append(sh.recs, ktypes.Record{
			SequenceNumber:              aws.String(s),
			PartitionKey:                aws.String("pk-" + s),
			Data:                        []byte(`{"seq":"` + s + `"}`),
			ApproximateArrivalTimestamp: aws.Time(base.Add(time.Duration(n) * time.Millisecond)),
		})
	}
}

// seqs returns n sequence numbers of Kinesis's usual 56 digits, from start on.
func seqs(start, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("4959%052d", start+i)
	}
	return out
}

func (k *fakeStream) DescribeStreamSummary(_ context.Context, in *kinesis.DescribeStreamSummaryInput, _ ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gone {
		return nil, &ktypes.ResourceNotFoundException{Message: aws.String("Stream not found")}
	}
	return &kinesis.DescribeStreamSummaryOutput{StreamDescriptionSummary: &ktypes.StreamDescriptionSummary{
		StreamARN: in.StreamARN, RetentionPeriodHours: aws.Int32(k.retention),
	}}, nil
}

func (k *fakeStream) GetShardIterator(_ context.Context, in *kinesis.GetShardIteratorInput, _ ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.log.add("iterator " + string(in.ShardIteratorType))
	sh := k.shards[aws.ToString(in.ShardId)]
	if k.gone || sh == nil {
		return nil, &ktypes.ResourceNotFoundException{Message: aws.String("not found")}
	}
	pos := sh.trimmed
	switch in.ShardIteratorType {
	case ktypes.ShardIteratorTypeAtSequenceNumber, ktypes.ShardIteratorTypeAfterSequenceNumber:
		want := aws.ToString(in.StartingSequenceNumber)
		i := slices.IndexFunc(sh.recs, func(r ktypes.Record) bool { return seqnum.Compare(*r.SequenceNumber, want) >= 0 })
		if i < 0 {
			i = len(sh.recs)
		}
		if i < sh.trimmed && k.trimErr {
			return nil, &ktypes.ResourceNotFoundException{Message: aws.String("Unable to find record with provided SequenceNumber")}
		}
		if i < len(sh.recs) && in.ShardIteratorType == ktypes.ShardIteratorTypeAfterSequenceNumber && *sh.recs[i].SequenceNumber == want {
			i++
		}
		pos = max(i, sh.trimmed) // AWS starts at the trim horizon for a trimmed number
	case ktypes.ShardIteratorTypeAtTimestamp:
		i := slices.IndexFunc(sh.recs, func(r ktypes.Record) bool { return !r.ApproximateArrivalTimestamp.Before(*in.Timestamp) })
		if i < 0 {
			i = len(sh.recs)
		}
		pos = max(i, sh.trimmed)
	case ktypes.ShardIteratorTypeTrimHorizon:
	default:
		return nil, fmt.Errorf("unexpected iterator type %s", in.ShardIteratorType)
	}
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String(fmt.Sprintf("%s/%d", aws.ToString(in.ShardId), pos))}, nil
}

func (k *fakeStream) GetRecords(_ context.Context, in *kinesis.GetRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.getRecords++
	if k.getRecords == k.failGetAt {
		return nil, &ktypes.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded for shard")}
	}
	it := aws.ToString(in.ShardIterator)
	shard, p, ok := strings.Cut(it, "/")
	pos, err := strconv.Atoi(p)
	if !ok || err != nil {
		return nil, fmt.Errorf("bad iterator %q", it)
	}
	sh := k.shards[shard]
	if k.gone || sh == nil {
		return nil, &ktypes.ResourceNotFoundException{Message: aws.String("not found")}
	}
	if k.expireOnce {
		k.expireOnce = false
		return nil, &ktypes.ExpiredIteratorException{Message: aws.String("expired")}
	}
	if k.emptyEvery && !k.emptyServed[it] && pos < len(sh.recs) {
		k.emptyServed[it] = true
		k.log.add("getrecords empty")
		return &kinesis.GetRecordsOutput{NextShardIterator: aws.String(it), MillisBehindLatest: aws.Int64(1000)}, nil
	}
	n := min(len(sh.recs)-pos, k.pageSize, int(aws.ToInt32(in.Limit)))
	out := &kinesis.GetRecordsOutput{Records: slices.Clone(sh.recs[pos : pos+n]), MillisBehindLatest: aws.Int64(0)}
	if pos+n < len(sh.recs) {
		out.MillisBehindLatest = aws.Int64(1000)
	}
	k.log.add(fmt.Sprintf("getrecords %d", n))
	if !sh.closed || pos+n < len(sh.recs) {
		out.NextShardIterator = aws.String(fmt.Sprintf("%s/%d", shard, pos+n))
	}
	return out, nil
}

// callLog orders the calls of several fakes, to check that deletes come after the writes.
type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *callLog) add(s string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, s)
}

// fakeReprocessor records what it was given. fail decides each call's outcome from the call's records.
type fakeReprocessor struct {
	mu    sync.Mutex
	calls [][]string // sequence numbers of each call
	srcs  []kinesisevent.Source
	fail  func(call int, recs []kinesisevent.Record) (handled int, err error)
	log   *callLog
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
	f.log.add(fmt.Sprintf("reprocess %d handled %d", len(recs), handled))
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

package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
)

const (
	testStreamARN   = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"
	testFunctionARN = "arn:aws:lambda:eu-west-1:123456789012:function:kinesis2s3"
	testQueueURL    = "http://127.0.0.1:1/123456789012/dlq"
)

// fakeKinesis is an in-memory Kinesis stream: shards with sequence numbers, paged ListShards, iterators,
// GetRecords paging, SHARD_END and resharding. It is a dependency of the code under test, not its subject.
type fakeKinesis struct {
	mu        sync.Mutex
	name      string
	shards    []*fakeShard
	seq       int
	iterators map[string]fakeIterator
	nextIter  int
	listPage  int     // ListShards page size; 0 returns all shards at once
	recErrs   []error // returned by the next GetRecords calls, in order
	getCalls  int
}

type fakeShard struct {
	id, parent, adjacent string
	recs                 []types.Record
	closed               bool
}

type fakeIterator struct {
	shard *fakeShard
	pos   int
}

func newFakeKinesis(shards int) *fakeKinesis {
	k := &fakeKinesis{name: "orders", iterators: make(map[string]fakeIterator)}
	for range shards {
		k.addShard("", "")
	}
	return k
}

func (k *fakeKinesis) addShard(parent, adjacent string) *fakeShard {
	s := &fakeShard{id: fmt.Sprintf("shardId-%012d", len(k.shards)), parent: parent, adjacent: adjacent}
	k.shards = append(k.shards, s)
	return s
}

func (k *fakeKinesis) shard(id string) *fakeShard {
	for _, s := range k.shards {
		if s.id == id {
			return s
		}
	}
	return nil
}

// put appends a record to a shard and returns its sequence number (56 digits, increasing across the stream).
func (k *fakeKinesis) put(shardID, partitionKey, data string, arrival time.Time) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.shard(shardID)
	if s == nil || s.closed {
		panic("fake: put to a missing or closed shard " + shardID)
	}
	k.seq++
	seq := "4959" + fmt.Sprintf("%052d", k.seq)
	s.recs = append(s.recs, types.Record{
		SequenceNumber:              aws.String(seq),
		PartitionKey:                aws.String(partitionKey),
		Data:                        []byte(data),
		ApproximateArrivalTimestamp: aws.Time(arrival.Truncate(time.Millisecond)),
	})
	return seq
}

// putN puts n records with partition keys pk-0… and data rec-<i>, arriving now, and returns their sequence
// numbers.
func (k *fakeKinesis) putN(shardID string, n int) []string {
	var seqs []string
	for i := range n {
		seqs = append(seqs, k.put(shardID, "pk-"+strconv.Itoa(i), "rec-"+strconv.Itoa(i), time.Now()))
	}
	return seqs
}

// split closes a shard and opens two children.
func (k *fakeKinesis) split(id string) (string, string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.shard(id).closed = true
	return k.addShard(id, "").id, k.addShard(id, "").id
}

// merge closes two shards and opens their child.
func (k *fakeKinesis) merge(a, b string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.shard(a).closed, k.shard(b).closed = true, true
	return k.addShard(a, b).id
}

func (k *fakeKinesis) ListShards(_ context.Context, in *kinesis.ListShardsInput, _ ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	start := 0
	switch {
	case in.NextToken != nil && in.StreamName != nil:
		return nil, &types.InvalidArgumentException{Message: aws.String("NextToken and StreamName cannot both be set")}
	case in.NextToken != nil:
		start, _ = strconv.Atoi(*in.NextToken)
	case aws.ToString(in.StreamName) != k.name:
		return nil, &types.ResourceNotFoundException{Message: aws.String("stream not found")}
	}
	end := len(k.shards)
	if k.listPage > 0 {
		end = min(end, start+k.listPage)
	}
	out := &kinesis.ListShardsOutput{}
	for _, s := range k.shards[start:end] {
		sh := types.Shard{ShardId: aws.String(s.id), SequenceNumberRange: &types.SequenceNumberRange{StartingSequenceNumber: aws.String("0")}}
		if s.parent != "" {
			sh.ParentShardId = aws.String(s.parent)
		}
		if s.adjacent != "" {
			sh.AdjacentParentShardId = aws.String(s.adjacent)
		}
		if s.closed {
			sh.SequenceNumberRange.EndingSequenceNumber = aws.String("9" + fmt.Sprintf("%055d", 0))
		}
		out.Shards = append(out.Shards, sh)
	}
	if end < len(k.shards) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (k *fakeKinesis) GetShardIterator(_ context.Context, in *kinesis.GetShardIteratorInput, _ ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if aws.ToString(in.StreamName) != k.name {
		return nil, &types.ResourceNotFoundException{Message: aws.String("stream not found")}
	}
	s := k.shard(aws.ToString(in.ShardId))
	if s == nil {
		return nil, &types.ResourceNotFoundException{Message: aws.String("shard not found")}
	}
	pos := 0
	switch in.ShardIteratorType {
	case types.ShardIteratorTypeTrimHorizon:
	case types.ShardIteratorTypeLatest:
		pos = len(s.recs)
	case types.ShardIteratorTypeAtTimestamp:
		for pos < len(s.recs) && s.recs[pos].ApproximateArrivalTimestamp.Before(*in.Timestamp) {
			pos++
		}
	case types.ShardIteratorTypeAfterSequenceNumber:
		pos = slices.IndexFunc(s.recs, func(r types.Record) bool { return *r.SequenceNumber == *in.StartingSequenceNumber }) + 1
		if pos == 0 {
			return nil, &types.InvalidArgumentException{Message: aws.String("unknown sequence number")}
		}
	default:
		return nil, &types.InvalidArgumentException{Message: aws.String("unsupported iterator type " + string(in.ShardIteratorType))}
	}
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String(k.iterator(s, pos))}, nil
}

func (k *fakeKinesis) iterator(s *fakeShard, pos int) string {
	k.nextIter++
	id := "it-" + strconv.Itoa(k.nextIter)
	k.iterators[id] = fakeIterator{shard: s, pos: pos}
	return id
}

func (k *fakeKinesis) GetRecords(_ context.Context, in *kinesis.GetRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.getCalls++
	if len(k.recErrs) > 0 {
		err := k.recErrs[0]
		k.recErrs = k.recErrs[1:]
		return nil, err
	}
	it, ok := k.iterators[aws.ToString(in.ShardIterator)]
	if !ok {
		return nil, &types.InvalidArgumentException{Message: aws.String("bad iterator")}
	}
	limit := int(aws.ToInt32(in.Limit))
	if limit < 1 || limit > 10000 {
		return nil, &types.InvalidArgumentException{Message: aws.String("bad limit")}
	}
	end := min(len(it.shard.recs), it.pos+limit)
	out := &kinesis.GetRecordsOutput{Records: slices.Clone(it.shard.recs[it.pos:end]), MillisBehindLatest: aws.Int64(0)}
	if !(it.shard.closed && end == len(it.shard.recs)) {
		out.NextShardIterator = aws.String(k.iterator(it.shard, end))
	}
	return out, nil
}

// fakeSQS records sent messages; the first failures sends fail.
type fakeSQS struct {
	mu       sync.Mutex
	failures int
	bodies   []string
	onSend   func() // called before each send, outside the lock
}

func (q *fakeSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	if q.onSend != nil {
		q.onSend()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if aws.ToString(in.QueueUrl) != testQueueURL {
		return nil, errors.New("fake sqs: unknown queue " + aws.ToString(in.QueueUrl))
	}
	if q.failures > 0 {
		q.failures--
		return nil, errors.New("fake sqs: unavailable")
	}
	q.bodies = append(q.bodies, aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{MessageId: aws.String(strconv.Itoa(len(q.bodies)))}, nil
}

func (q *fakeSQS) records(t *testing.T) []onfailure.Record {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []onfailure.Record
	for _, b := range q.bodies {
		r, err := onfailure.Parse([]byte(b))
		if err != nil {
			t.Fatalf("on-failure message %s: %v", b, err)
		}
		out = append(out, r)
	}
	return out
}

func (q *fakeSQS) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.bodies)
}

// invocation is one call the scripted invoker received, decoded with aws-lambda-go's event type (the one the
// handler uses).
type invocation struct {
	event events.KinesisEvent
	seqs  []string
	size  int // payload bytes
}

// scriptInvoker answers each invocation with script and records what it was sent.
type scriptInvoker struct {
	t      *testing.T
	mu     sync.Mutex
	calls  []invocation
	script func(n int, inv invocation) (InvokeResult, error) // n counts calls from 0
}

func (s *scriptInvoker) Invoke(_ context.Context, payload []byte) (InvokeResult, error) {
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		s.t.Errorf("payload is not a Kinesis event: %v", err)
	}
	inv := invocation{event: ev, size: len(payload)}
	for _, r := range ev.Records {
		inv.seqs = append(inv.seqs, r.Kinesis.SequenceNumber)
	}
	s.mu.Lock()
	n := len(s.calls)
	s.calls = append(s.calls, inv)
	s.mu.Unlock()
	if s.script == nil {
		return InvokeResult{}, nil
	}
	return s.script(n, inv)
}

// batches returns the sequence numbers of each invocation, in call order.
func (s *scriptInvoker) batches() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]string
	for _, c := range s.calls {
		out = append(out, c.seqs)
	}
	return out
}

func (s *scriptInvoker) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// recorder keeps the mapping's events.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) of(t EventType) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// testConfig is a fast-polling configuration with every failure feature off.
func testConfig() Config {
	c := DefaultConfig(testStreamARN, testFunctionARN)
	c.BatchSize = 100
	c.MaximumBatchingWindow = 0
	c.PollInterval = 5 * time.Millisecond
	c.DiscoveryInterval = 20 * time.Millisecond
	c.BisectBatchOnFunctionError = false
	c.ReportBatchItemFailures = false
	c.MaximumRetryAttempts = NoLimit
	c.MaximumRecordAge = NoLimit
	return c
}

// harness runs a mapping in the background for one test.
type harness struct {
	m       *Mapping
	k       *fakeKinesis
	q       *fakeSQS
	inv     *scriptInvoker
	rec     *recorder
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

func run(t *testing.T, cfg Config, k *fakeKinesis, q *fakeSQS, script func(int, invocation) (InvokeResult, error)) *harness {
	t.Helper()
	h := newHarness(t, cfg, k, q, script, nil)
	h.start(t)
	return h
}

// newHarness builds a mapping without starting it, so that a script can refer to the harness. fn replaces
// the scripted invoker when it is not nil.
func newHarness(t *testing.T, cfg Config, k *fakeKinesis, q *fakeSQS, script func(int, invocation) (InvokeResult, error), fn Invoker) *harness {
	t.Helper()
	h := &harness{k: k, q: q, inv: &scriptInvoker{t: t, script: script}, rec: &recorder{}, done: make(chan error, 1)}
	var sq SQS
	if q != nil {
		sq = q
	}
	if fn == nil {
		fn = h.inv
	}
	m, err := New(cfg, k, sq, fn, WithEventHandler(h.rec.add), WithRetryBackoff(time.Millisecond, 4*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	h.m = m
	return h
}

func (h *harness) start(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.m.Run(ctx) }()
	t.Cleanup(func() { h.stop(t) })
}

func (h *harness) stop(t *testing.T) {
	t.Helper()
	if h.stopped {
		return
	}
	h.stopped = true
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// waitFor polls cond until it holds; the bound only keeps a broken test from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *harness) waitCheckpoint(t *testing.T, shardID, seq string) {
	t.Helper()
	waitFor(t, shardID+" checkpoint at "+seq, func() bool { return h.m.Checkpoints()[shardID].SequenceNumber == seq })
}

// fail is a function error result.
var fail = InvokeResult{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"boom","errorType":"error"}`)}

// partial is a partial batch response naming the given sequence numbers.
func partial(seqs ...string) InvokeResult {
	var items []map[string]string
	for _, s := range seqs {
		items = append(items, map[string]string{"itemIdentifier": s})
	}
	b, _ := json.Marshal(map[string]any{"batchItemFailures": items})
	return InvokeResult{Payload: b}
}

package esm

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

const (
	testStreamARN   = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"
	testFunctionARN = "arn:aws:lambda:eu-west-1:123456789012:function:kinesis2s3"
	testQueueURL    = "http://127.0.0.1:1/123456789012/dlq"
)

// stream is the shared in-memory Kinesis stream with this suite's ways of filling it.
type stream struct{ *awsfake.Stream }

// newStream returns the stream of testStreamARN with the given number of open shards.
func newStream(shards int) stream { return stream{awsfake.NewStream(testStreamARN, shards)} }

// put appends a record to a shard and returns its sequence number (56 digits, increasing across the stream).
func (k stream) put(shardID, partitionKey, data string, arrival time.Time) string {
	return k.Put(shardID, awsfake.Record{PartitionKey: partitionKey, Data: []byte(data), Arrival: arrival})[0]
}

// putN puts n records with partition keys pk-0… and data rec-<i>, arriving now, and returns their sequence
// numbers.
func (k stream) putN(shardID string, n int) []string {
	var seqs []string
	for i := range n {
		seqs = append(seqs, k.put(shardID, "pk-"+strconv.Itoa(i), "rec-"+strconv.Itoa(i), time.Now()))
	}
	return seqs
}

// onFailureRecords parses the on-failure records sent to the queue.
func onFailureRecords(t *testing.T, q *awsfake.Queue) []onfailure.Record {
	t.Helper()
	var out []onfailure.Record
	for _, m := range q.Messages() {
		r, err := onfailure.Parse([]byte(m.Body))
		if err != nil {
			t.Fatalf("on-failure message %s: %v", m.Body, err)
		}
		out = append(out, r)
	}
	return out
}

// unavailable is the error of a failing SendMessage.
var unavailable = errors.New("fake sqs: unavailable")

// watchedSQS calls before ahead of each send, to look at the mapping at that moment.
type watchedSQS struct {
	*awsfake.Queue
	before func()
}

func (w watchedSQS) SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	w.before()
	return w.Queue.SendMessage(ctx, in, opts...)
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
	k       stream
	inv     *scriptInvoker
	rec     *recorder
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

func run(t *testing.T, cfg Config, k stream, q SQS, script func(int, invocation) (InvokeResult, error)) *harness {
	t.Helper()
	h := newHarness(t, cfg, k, q, script, nil)
	h.start(t)
	return h
}

// newHarness builds a mapping without starting it, so that a script can refer to the harness. q may be nil
// (no on-failure queue); fn replaces the scripted invoker when it is not nil; extra options follow the
// harness's own.
func newHarness(t *testing.T, cfg Config, k stream, q SQS, script func(int, invocation) (InvokeResult, error), fn Invoker, extra ...Option) *harness {
	t.Helper()
	h := &harness{k: k, inv: &scriptInvoker{t: t, script: script}, rec: &recorder{}, done: make(chan error, 1)}
	if fn == nil {
		fn = h.inv
	}
	opts := append([]Option{WithEventHandler(h.rec.add), WithRetryBackoff(time.Millisecond, 4*time.Millisecond)}, extra...)
	m, err := New(cfg, k, q, fn, opts...)
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

package esm

import (
	"context"
	"encoding/json"
	"math/big"
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
	"github.com/kinesis2s3/kinesis2s3/local/emulators"
)

// startStack starts the emulators for a test. The Kinesis emulators take 500ms by default to create or reshard a
// stream; 100ms keeps the resharding tests short.
func startStack(t *testing.T, opts emulators.Options) *emulators.Stack {
	t.Helper()
	opts.StreamDelay = 100 * time.Millisecond
	return emulators.StartT(t, opts)
}

// waitStreamActive waits until the stream is ACTIVE, polling often: the emulator's durations are 100ms here and
// the waiter's defaults (10s to 2 min) are for AWS.
func waitStreamActive(ctx context.Context, t *testing.T, kc *kinesis.Client, name string) *types.StreamDescription {
	t.Helper()
	out, err := kinesis.NewStreamExistsWaiter(kc, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second
	}).WaitForOutput(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, time.Minute)
	if err != nil {
		t.Fatalf("stream %s not active: %v", name, err)
	}
	return out.StreamDescription
}

// TestOnTheEmulators runs the mapping on a real (emulated) stream and queue: delivery across shards, bisecting a
// poison record into an on-failure record that leads back to it, and resharding while running — a split, then a
// merge, so that a child has one parent and then two.
func TestOnTheEmulators(t *testing.T) {
	if testing.Short() {
		t.Skip("starts emulators")
	}
	stack := startStack(t, emulators.Options{})
	kc, qc := stack.Kinesis(), stack.SQS()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	const stream = "esm-it"
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(stream), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	summary := waitStreamActive(ctx, t, kc, stream)
	q, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("esm-it-dlq")})
	if err != nil {
		t.Fatal(err)
	}

	put := func(pk, data string) string {
		t.Helper()
		out, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String(pk), Data: []byte(data)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ShardId) + ":" + aws.ToString(out.SequenceNumber)
	}
	want := map[string]bool{} // eventIDs that must be delivered
	var poison string
	for i := range 30 {
		data := "good-" + strconv.Itoa(i)
		if i == 17 {
			data = "poison"
		}
		id := put("key-"+strconv.Itoa(i), data)
		if data == "poison" {
			poison = id
		} else {
			want[id] = true
		}
	}

	var mu sync.Mutex
	delivered := map[string]int{}
	fn := InvokerFunc(func(_ context.Context, payload []byte) (InvokeResult, error) {
		var ev events.KinesisEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return InvokeResult{}, err
		}
		for _, r := range ev.Records {
			if string(r.Kinesis.Data) == "poison" {
				return InvokeResult{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"poison"}`)}, nil
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range ev.Records {
			delivered[r.EventID]++
		}
		return InvokeResult{}, nil
	})
	allDelivered := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for id := range want {
			if delivered[id] == 0 {
				return false
			}
		}
		return true
	}

	cfg := DefaultConfig(aws.ToString(summary.StreamARN), "arn:aws:lambda:us-east-1:000000000000:function:esm-it")
	cfg.MaximumBatchingWindow = 0
	cfg.MaximumRetryAttempts = 1
	cfg.OnFailureQueueURL = aws.ToString(q.QueueUrl)
	cfg.PollInterval = 50 * time.Millisecond
	cfg.DiscoveryInterval = 200 * time.Millisecond
	rec := &recorder{}
	m, err := New(cfg, kc, qc, fn, WithEventHandler(rec.add), WithRetryBackoff(10*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	waitFor(t, "every good record", allDelivered)

	// The poison record alone reaches the queue, and its on-failure record leads back to it in the stream.
	msg := receiveOne(ctx, t, qc, aws.ToString(q.QueueUrl))
	r, err := onfailure.Parse([]byte(msg))
	if err != nil {
		t.Fatalf("on-failure message %s: %v", msg, err)
	}
	b := r.KinesisBatchInfo
	if r.RequestContext.Condition != onfailure.RetryAttemptsExhausted || b.BatchSize != 1 ||
		b.ShardID+":"+b.StartSequenceNumber != poison || b.StartSequenceNumber != b.EndSequenceNumber || b.StreamARN != cfg.StreamARN {
		t.Fatalf("on-failure record %s, want the poison record %s", msg, poison)
	}
	it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: aws.String(b.ShardID),
		ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(b.StartSequenceNumber)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(1)})
	if err != nil || len(got.Records) != 1 || string(got.Records[0].Data) != "poison" {
		t.Fatalf("reading the on-failure range back: %v %+v", err, got)
	}

	// Reshard while running: split shard 0, then merge shard 1 with the split's upper child, which is adjacent to it
	// (shard 0 covers the lower half of the hash keys, shard 1 the upper half). The children are found, read after
	// their parents, and nothing is lost.
	if _, err := kc.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String(new(big.Int).Lsh(big.NewInt(1), 126).String())}); err != nil {
		t.Fatal(err)
	}
	waitStreamActive(ctx, t, kc, stream)
	for i := range 10 {
		want[put("split-"+strconv.Itoa(i), "good-split-"+strconv.Itoa(i))] = true
	}
	upper := childOf(ctx, t, kc, stream, "shardId-000000000000", true)
	if _, err := kc.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(stream), ShardToMerge: aws.String(upper),
		AdjacentShardToMerge: aws.String("shardId-000000000001")}); err != nil {
		t.Fatal(err)
	}
	waitStreamActive(ctx, t, kc, stream)
	for i := range 20 {
		want[put("after-"+strconv.Itoa(i), "good-after-"+strconv.Itoa(i))] = true
	}
	waitFor(t, "every record put after resharding", allDelivered)

	shards, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	var closed []string
	merged := false
	for _, s := range shards.Shards {
		if s.SequenceNumberRange.EndingSequenceNumber != nil {
			closed = append(closed, aws.ToString(s.ShardId))
		}
		merged = merged || aws.ToString(s.AdjacentParentShardId) != ""
	}
	if len(closed) != 3 || !merged {
		t.Fatalf("after a split and a merge: closed shards %v, a shard with two parents %v; want 3 closed and one", closed, merged)
	}
	waitFor(t, "closed shards to reach SHARD_END", func() bool {
		cps := m.Checkpoints()
		for _, id := range closed {
			if !cps[id].ShardEnd {
				return false
			}
		}
		return true
	})
	checkParentsEndedFirst(t, rec.all(), shards.Shards)
	mu.Lock()
	for id, n := range delivered {
		if n > 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	mu.Unlock()
	t.Logf("stats: %+v", m.Stats())
}

// checkParentsEndedFirst asserts that no shard started before its parents ended.
func checkParentsEndedFirst(t *testing.T, evs []Event, shards []types.Shard) {
	t.Helper()
	at := func(typ EventType, shard string) int {
		return slices.IndexFunc(evs, func(e Event) bool { return e.Type == typ && e.ShardID == shard })
	}
	for _, s := range shards {
		for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
			if p == nil {
				continue
			}
			started, ended := at(ShardStarted, aws.ToString(s.ShardId)), at(ShardEnded, *p)
			if started >= 0 && (ended < 0 || ended > started) {
				t.Errorf("%s started (event %d) before its parent %s ended (event %d)", aws.ToString(s.ShardId), started, *p, ended)
			}
		}
	}
}

func receiveOne(ctx context.Context, t *testing.T, qc *sqs.Client, url string) string {
	t.Helper()
	for ctx.Err() == nil {
		out, err := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		switch len(out.Messages) {
		case 0:
			continue
		case 1:
			return aws.ToString(out.Messages[0].Body)
		default:
			t.Fatalf("%d on-failure messages, want 1", len(out.Messages))
		}
	}
	t.Fatal("no on-failure message")
	return ""
}

// childOf returns the child of a split shard that holds the lower or the upper half of its hash keys.
func childOf(ctx context.Context, t *testing.T, kc *kinesis.Client, stream, parent string, upper bool) string {
	t.Helper()
	list, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	var children []types.Shard
	for _, s := range list.Shards {
		if aws.ToString(s.ParentShardId) == parent && aws.ToString(s.AdjacentParentShardId) == "" {
			children = append(children, s)
		}
	}
	if len(children) != 2 {
		t.Fatalf("%s has %d children, want 2", parent, len(children))
	}
	start := func(s types.Shard) *big.Int {
		n, _ := new(big.Int).SetString(aws.ToString(s.HashKeyRange.StartingHashKey), 10)
		return n
	}
	lo, hi := children[0], children[1]
	if start(lo).Cmp(start(hi)) > 0 {
		lo, hi = hi, lo
	}
	if upper {
		return aws.ToString(hi.ShardId)
	}
	return aws.ToString(lo.ShardId)
}

package esm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// Kinesis is the part of *kinesis.Client that the mapping reads the stream with.
type Kinesis interface {
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// SQS is the part of *sqs.Client that sends on-failure records.
type SQS interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// S3 is the part of *s3.Client that writes on-failure records to an S3 destination.
type S3 interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Invoker invokes the function synchronously with an event. It returns an error only when the function could
// not be invoked at all (throttled, unreachable); a function that ran and failed, or timed out, is a result
// with FunctionError set.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (InvokeResult, error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, payload []byte) (InvokeResult, error)

// Invoke calls f.
func (f InvokerFunc) Invoke(ctx context.Context, payload []byte) (InvokeResult, error) {
	return f(ctx, payload)
}

// InvokeResult is what an invocation returned.
type InvokeResult struct {
	// Payload is the function's response (its error object when FunctionError is set).
	Payload []byte
	// FunctionError is empty on success, otherwise the X-Amz-Function-Error value such as "Unhandled".
	FunctionError string
}

// Checkpoint is how far a shard has been processed: every record up to and including SequenceNumber is done
// (invoked successfully or discarded). ShardEnd means the shard is closed and all its records are done.
type Checkpoint struct {
	SequenceNumber string
	ShardEnd       bool
}

// Option changes a Mapping's optional behaviour.
type Option func(*Mapping)

// WithLogger logs every Event to l (routine events at Debug, failures at Warn).
func WithLogger(l *slog.Logger) Option { return func(m *Mapping) { m.log = l } }

// WithEventHandler calls h for every Event. h is called from several goroutines and must not block for long.
func WithEventHandler(h func(Event)) Option { return func(m *Mapping) { m.onEvent = h } }

// WithRetryBackoff sets the wait before retrying a failed invocation, an invoke error, an on-failure send or a
// Kinesis call: first min, doubling up to max. The default is 100ms to 10s.
func WithRetryBackoff(min, max time.Duration) Option {
	return func(m *Mapping) { m.backoffMin, m.backoffMax = min, max }
}

// WithClock sets the clock that record ages are measured by, for MaximumRecordAge (default time.Now): a test can
// then let a record expire after a given invocation rather than after some wall-clock time. The batching window
// and the retry backoff keep real time.
func WithClock(now func() time.Time) Option { return func(m *Mapping) { m.now = now } }

// WithS3 gives the mapping the S3 client that writes on-failure objects; it is required with
// Config.OnFailureBucketARN. (The SQS client is New's argument, as an SQS destination came first.)
func WithS3(api S3) Option { return func(m *Mapping) { m.s3 = api } }

// Mapping is a local event source mapping from a Kinesis stream to a function.
type Mapping struct {
	cfg        Config
	streamName string
	src        kinesisevent.Source
	kinesis    Kinesis
	sqs        SQS
	s3         S3
	bucket     string // of Config.OnFailureBucketARN
	fn         Invoker

	log                    *slog.Logger
	onEvent                func(Event)
	backoffMin, backoffMax time.Duration
	now                    func() time.Time // the clock of record ages (WithClock)

	stats      counters
	rediscover chan struct{}

	mu      sync.Mutex
	running bool
	shards  map[string]*shard
}

// New checks cfg and returns a mapping that Run starts. q may be nil when cfg has no OnFailureQueueURL; an
// OnFailureBucketARN needs WithS3.
func New(cfg Config, k Kinesis, q SQS, fn Invoker, opts ...Option) (*Mapping, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case k == nil:
		return nil, errors.New("esm: nil Kinesis client")
	case fn == nil:
		return nil, errors.New("esm: nil Invoker")
	case q == nil && cfg.OnFailureQueueURL != "":
		return nil, errors.New("esm: OnFailureQueueURL is set but the SQS client is nil")
	}
	stream, _ := parseStreamARN(cfg.StreamARN)
	function, _ := parseFunctionARN(cfg.FunctionARN)
	m := &Mapping{
		cfg:        cfg,
		streamName: cfg.StreamName,
		src: kinesisevent.Source{
			StreamARN:         cfg.StreamARN,
			Region:            cfg.Region,
			InvokeIdentityARN: cfg.InvokeIdentityARN,
		},
		kinesis:    k,
		sqs:        q,
		fn:         fn,
		log:        slog.New(slog.DiscardHandler),
		backoffMin: 100 * time.Millisecond,
		backoffMax: 10 * time.Second,
		now:        time.Now,
		rediscover: make(chan struct{}, 1),
		shards:     make(map[string]*shard),
	}
	if m.streamName == "" {
		m.streamName = stream.resource
	}
	if m.src.Region == "" {
		m.src.Region = stream.region
	}
	if m.src.InvokeIdentityARN == "" {
		m.src.InvokeIdentityARN = "arn:aws:iam::" + function.account + ":role/" + function.resource + "-role"
	}
	if m.cfg.UUID == "" {
		m.cfg.UUID = newUUID()
	}
	m.bucket, _ = parseBucketARN(cfg.OnFailureBucketARN)
	for _, o := range opts {
		o(m)
	}
	if m.bucket != "" && m.s3 == nil {
		return nil, errors.New("esm: OnFailureBucketARN is set but no S3 client was given (WithS3)")
	}
	if m.backoffMin <= 0 || m.backoffMax < m.backoffMin {
		return nil, fmt.Errorf("esm: retry backoff %v–%v is not a positive range", m.backoffMin, m.backoffMax)
	}
	return m, nil
}

// Run discovers the stream's shards and processes them until ctx is done, then waits for in-flight work to
// stop and returns nil. In-flight invocations see ctx cancelled; batches they carried are not checkpointed
// unless they had already succeeded. Run returns an error early only when the stream does not exist. A
// Mapping runs once.
func (m *Mapping) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.running {
		m.mu.Unlock()
		return errors.New("esm: Run called twice")
	}
	m.running = true
	m.mu.Unlock()

	var wg sync.WaitGroup
	defer wg.Wait()
	initial := true
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-m.rediscover:
		}
		list, err := m.listShards(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			var notFound *types.ResourceNotFoundException
			if initial && errors.As(err, &notFound) {
				return fmt.Errorf("esm: stream %s: %w", m.cfg.StreamARN, err)
			}
			m.stats.readErrors.Add(1)
			m.emit(Event{Type: ReadError, Err: err})
			timer.Reset(m.cfg.PollInterval)
			continue
		}
		m.addShards(ctx, &wg, list, initial)
		initial = false
		timer.Reset(m.cfg.DiscoveryInterval)
	}
}

func (m *Mapping) listShards(ctx context.Context) ([]types.Shard, error) {
	var all []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(m.streamName)}
	for {
		out, err := m.kinesis.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list shards: %w", err)
		}
		all = append(all, out.Shards...)
		if out.NextToken == nil || *out.NextToken == "" {
			return all, nil
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken} // NextToken excludes StreamName
	}
}

// addShards starts a poller for each shard not seen before. Shards found by the first listing start at the
// configured position; shards found later were created by resharding and are read from TRIM_HORIZON once
// their parents are done.
func (m *Mapping) addShards(ctx context.Context, wg *sync.WaitGroup, list []types.Shard, initial bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var added []*shard
	for _, s := range list {
		id := aws.ToString(s.ShardId)
		if _, ok := m.shards[id]; ok || id == "" {
			continue
		}
		sh := newShard(id, m.cfg.ParallelizationFactor)
		for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
			if aws.ToString(p) != "" {
				sh.parents = append(sh.parents, *p)
			}
		}
		closed := s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil
		sh.position = TrimHorizon
		if initial {
			sh.position = m.cfg.StartingPosition
			// LATEST means "from now": a shard already closed has nothing after now.
			sh.skip = m.cfg.StartingPosition == Latest && closed
		}
		m.shards[id] = sh
		added = append(added, sh)
	}
	for _, sh := range added {
		for _, p := range sh.parents {
			if ps, ok := m.shards[p]; ok {
				sh.waitFor = append(sh.waitFor, ps.ended)
			} // a parent that is not listed has been trimmed: nothing to wait for
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.runShard(ctx, sh)
		}()
	}
}

// UUID returns the mapping's UUID (Config.UUID, or the one New chose): S3 on-failure objects are under
// onfailure.KeyPrefix(UUID()).
func (m *Mapping) UUID() string { return m.cfg.UUID }

// Checkpoints returns each started shard's checkpoint, by shard ID. Shards with nothing processed yet are
// absent.
func (m *Mapping) Checkpoints() map[string]Checkpoint {
	m.mu.Lock()
	shards := make([]*shard, 0, len(m.shards))
	for _, sh := range m.shards {
		shards = append(shards, sh)
	}
	m.mu.Unlock()
	out := make(map[string]Checkpoint)
	for _, sh := range shards {
		if cp := sh.checkpointNow(); cp.SequenceNumber != "" || cp.ShardEnd {
			out[sh.id] = cp
		}
	}
	return out
}

// Stats are counters of what the mapping did since it started.
type Stats struct {
	RecordsRead      int64 // records fetched with GetRecords
	Invocations      int64 // invocations that reached the function
	FunctionErrors   int64 // invocations that failed the whole batch: function error, timeout or bad response
	PartialFailures  int64 // invocations with a valid batchItemFailures list
	InvokeErrors     int64 // invocations that could not reach the function (not counted as retries)
	Bisects          int64 // batches split in two
	RecordsSucceeded int64 // records checkpointed after a successful invocation
	RecordsDiscarded int64 // records given up on (retries exhausted or too old)
	OnFailureSent    int64 // on-failure records delivered to the queue or bucket
	OnFailureErrors  int64 // failed attempts to send an on-failure record (retried)
	ReadErrors       int64 // failed Kinesis calls (retried)
	ShardsStarted    int64
	ShardsEnded      int64 // shards processed to SHARD_END
}

type counters struct {
	recordsRead, invocations, functionErrors, partialFailures, invokeErrors, bisects atomic.Int64
	recordsSucceeded, recordsDiscarded, onFailureSent, onFailureErrors, readErrors   atomic.Int64
	shardsStarted, shardsEnded                                                       atomic.Int64
}

// Stats returns the current counters.
func (m *Mapping) Stats() Stats {
	c := &m.stats
	return Stats{
		RecordsRead: c.recordsRead.Load(), Invocations: c.invocations.Load(), FunctionErrors: c.functionErrors.Load(),
		PartialFailures: c.partialFailures.Load(), InvokeErrors: c.invokeErrors.Load(), Bisects: c.bisects.Load(),
		RecordsSucceeded: c.recordsSucceeded.Load(), RecordsDiscarded: c.recordsDiscarded.Load(),
		OnFailureSent: c.onFailureSent.Load(), OnFailureErrors: c.onFailureErrors.Load(), ReadErrors: c.readErrors.Load(),
		ShardsStarted: c.shardsStarted.Load(), ShardsEnded: c.shardsEnded.Load(),
	}
}

// EventType says what happened.
type EventType string

// Event types, in the order a batch usually meets them.
const (
	ShardStarted   EventType = "shard-started"    // a shard's poller started (Position says where)
	Invoked        EventType = "invoked"          // a batch is being sent to the function
	Succeeded      EventType = "succeeded"        // the function processed the records
	FunctionFailed EventType = "function-error"   // the whole batch failed (Err says why)
	PartialFailure EventType = "partial-failure"  // records from FirstSequenceNumber on failed
	InvokeFailed   EventType = "invoke-error"     // the function could not be invoked (Err)
	Bisected       EventType = "bisected"         // the batch was split in two
	Retrying       EventType = "retrying"         // the batch will be retried (Retries consumed so far)
	OnFailureSent  EventType = "on-failure-sent"  // an on-failure record was delivered (Destination says where)
	OnFailureError EventType = "on-failure-error" // delivering the on-failure record failed; it is retried
	Discarded      EventType = "discarded"        // records were given up on (Condition says why)
	Checkpointed   EventType = "checkpoint"       // the shard's checkpoint moved to LastSequenceNumber
	ShardEnded     EventType = "shard-ended"      // the shard is closed and fully processed
	ReadError      EventType = "read-error"       // a Kinesis call failed; it is retried
)

// Event describes one step of the mapping, for logs, demos and tests.
type Event struct {
	Type                EventType
	ShardID             string
	Lane                int
	FirstSequenceNumber string
	LastSequenceNumber  string
	Records             int
	Retries             int
	Condition           string // onfailure.RetryAttemptsExhausted or onfailure.RecordAgeExceeded
	Position            string // starting iterator type, for ShardStarted
	Destination         string // where an on-failure record went: the queue URL, or s3://BUCKET/KEY
	Err                 error
}

func (m *Mapping) emit(e Event) {
	if m.onEvent != nil {
		m.onEvent(e)
	}
	level := slog.LevelDebug
	switch e.Type {
	case FunctionFailed, InvokeFailed, OnFailureError, ReadError:
		level = slog.LevelWarn
	case PartialFailure, Bisected, Discarded, OnFailureSent, ShardStarted, ShardEnded:
		level = slog.LevelInfo
	}
	if !m.log.Enabled(context.Background(), level) {
		return
	}
	attrs := []slog.Attr{slog.String("shard", e.ShardID)}
	if e.Records > 0 {
		attrs = append(attrs, slog.Int("lane", e.Lane), slog.Int("records", e.Records),
			slog.String("first", e.FirstSequenceNumber), slog.String("last", e.LastSequenceNumber))
	} else if e.LastSequenceNumber != "" {
		attrs = append(attrs, slog.String("sequence", e.LastSequenceNumber))
	}
	if e.Retries > 0 {
		attrs = append(attrs, slog.Int("retries", e.Retries))
	}
	if e.Condition != "" {
		attrs = append(attrs, slog.String("condition", e.Condition))
	}
	if e.Position != "" {
		attrs = append(attrs, slog.String("position", e.Position))
	}
	if e.Destination != "" {
		attrs = append(attrs, slog.String("destination", e.Destination))
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	m.log.LogAttrs(context.Background(), level, "esm "+string(e.Type), attrs...)
}

// sleep waits d or until ctx is done, and reports whether it waited the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Package generate puts synthetic records into a Kinesis data stream for testing a pipeline: JSON rendered from
// text/template templates with fake data, optionally mixed with deliberately invalid records and KPL aggregates,
// at a steady rate, batched into PutRecords calls whose partial failures are retried entry by entry.
//
// Every record is accounted for: at the end Generated == Sent + Failed + Unsent, and a record counts as sent only
// when Kinesis returned a sequence number for it.
package generate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

// Putter is the part of the Kinesis client that Run uses; *kinesis.Client implements it.
type Putter interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// PutRecords limits.
const (
	MaxBatchRecords = 500
	MaxBatchBytes   = 5 << 20 // data plus partition keys
)

// Config says where and how fast to send.
type Config struct {
	// Stream is the stream's name, or its ARN (anything starting with "arn:").
	Stream string
	// Count stops after this many Kinesis records and Duration after this long; zero means no limit. Without
	// either, Run sends until ctx is done.
	Count    int64
	Duration time.Duration
	// Rate is the target in Kinesis records per second; 0 means as fast as the calls go.
	Rate float64
	// Concurrency is the number of PutRecords calls in flight (default 1).
	Concurrency int
	// BatchSize is the most records per call (default and maximum 500). A batch is also cut at MaxBatchBytes and
	// sent when its first record has waited Linger (default 100ms).
	BatchSize int
	Linger    time.Duration
	// MaxAttempts is how many times a record is put before it counts as failed (default 8).
	MaxAttempts int
	// Backoff is the wait before retry number attempt (1, 2, ...); nil means exponential from 100ms to 5s with
	// jitter.
	Backoff func(attempt int) time.Duration
	// Output, if set, receives an AuditRecord line per record Kinesis accepted.
	Output io.Writer
	// Progress, if set, is called with a snapshot every ProgressEvery (default 1s) while Run runs.
	Progress      func(Stats)
	ProgressEvery time.Duration
	// DrainTimeout bounds how long calls in flight may finish after ctx is done (default 10s), so their
	// records are reported as sent or failed rather than unknown.
	DrainTimeout time.Duration
	// Now is the clock of the rate limiter and of Stats.Elapsed; nil means time.Now.
	Now func() time.Time
}

// Stats counts a run's records. Invalid and KPL count accepted records of those kinds, and Late accepted records
// with a late event time (Options.LateFraction): what a consumer will read.
type Stats struct {
	Generated int64 // records made by the generator
	Sent      int64 // accepted by Kinesis: each has a sequence number
	Failed    int64 // rejected on the last attempt, or in a call that failed
	Unsent    int64 // generated but never put, because the run stopped
	// ThrottledRetries counts records put again after ProvisionedThroughputExceeded or KMS throttling;
	// ErrorRetries after any other retryable error.
	ThrottledRetries, ErrorRetries int64
	Invalid, KPL, Late             int64
	UserRecords                    int64 // user records in the sent records: n per kpl aggregate, else one
	Calls                          int64 // PutRecords calls made
	// FailedByCode counts failed records by the last error code Kinesis gave for them.
	FailedByCode map[string]int64
	Elapsed      time.Duration
	// Target and Duration echo Config.Count and Config.Duration for progress and ETA.
	Target   int64
	Duration time.Duration
}

// Summary is the one-line final report.
func (s Stats) Summary() string {
	line := fmt.Sprintf("generated %d sent %d failed %d throttled-retries %d invalid %d kpl %d late %d unsent %d error-retries %d user-records %d calls %d elapsed %s rate %.1f/s",
		s.Generated, s.Sent, s.Failed, s.ThrottledRetries, s.Invalid, s.KPL, s.Late, s.Unsent, s.ErrorRetries, s.UserRecords,
		s.Calls, s.Elapsed.Round(time.Millisecond), s.rate())
	if len(s.FailedByCode) > 0 {
		var parts []string
		for _, code := range slices.Sorted(maps.Keys(s.FailedByCode)) {
			parts = append(parts, fmt.Sprintf("%s %d", code, s.FailedByCode[code]))
		}
		line += " (failed: " + strings.Join(parts, ", ") + ")"
	}
	return line
}

// ProgressLine is a short live status: records sent, rate, throttling, failures and the time left.
func (s Stats) ProgressLine() string {
	done := s.Sent
	if s.Target > 0 {
		line := fmt.Sprintf("sent %d/%d (%.0f%%)", done, s.Target, 100*float64(done)/float64(s.Target))
		return line + s.progressTail()
	}
	return fmt.Sprintf("sent %d", done) + s.progressTail()
}

func (s Stats) progressTail() string {
	line := fmt.Sprintf("  %.0f rec/s  throttled %d  failed %d", s.rate(), s.ThrottledRetries, s.Failed)
	if eta, ok := s.eta(); ok {
		line += "  ETA " + eta.Round(time.Second).String()
	}
	return line
}

func (s Stats) rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Sent) / s.Elapsed.Seconds()
}

// eta is the time left: the sooner of the count at the current rate and the end of the duration.
func (s Stats) eta() (time.Duration, bool) {
	var eta time.Duration
	ok := false
	if s.Target > 0 && s.rate() > 0 {
		left := s.Target - s.Sent - s.Failed
		eta, ok = time.Duration(float64(max(left, 0))/s.rate()*float64(time.Second)), true
	}
	if s.Duration > 0 {
		if d := max(s.Duration-s.Elapsed, 0); !ok || d < eta {
			eta, ok = d, true
		}
	}
	return eta, ok
}

// counters are the live, concurrently updated form of Stats.
type counters struct {
	generated, sent, failed, unsent        atomic.Int64
	throttledRetries, errorRetries         atomic.Int64
	invalid, kpl, late, userRecords, calls atomic.Int64
	mu                                     sync.Mutex
	failedByCode                           map[string]int64
}

func (c *counters) fail(code string, n int) {
	c.failed.Add(int64(n))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failedByCode == nil {
		c.failedByCode = make(map[string]int64)
	}
	c.failedByCode[code] += int64(n)
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	codes := maps.Clone(c.failedByCode)
	c.mu.Unlock()
	return Stats{
		Generated: c.generated.Load(), Sent: c.sent.Load(), Failed: c.failed.Load(), Unsent: c.unsent.Load(),
		ThrottledRetries: c.throttledRetries.Load(), ErrorRetries: c.errorRetries.Load(),
		Invalid: c.invalid.Load(), KPL: c.kpl.Load(), Late: c.late.Load(), UserRecords: c.userRecords.Load(), Calls: c.calls.Load(),
		FailedByCode: codes,
	}
}

func (cfg *Config) setDefaults() error {
	switch {
	case cfg.Stream == "":
		return errors.New("no stream given")
	case cfg.Count < 0 || cfg.Duration < 0 || cfg.Rate < 0:
		return errors.New("count, duration and rate must not be negative")
	case cfg.Concurrency < 0 || cfg.BatchSize < 0 || cfg.BatchSize > MaxBatchRecords || cfg.MaxAttempts < 0:
		return fmt.Errorf("concurrency and max attempts must be positive and batch size 1-%d", MaxBatchRecords)
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 1
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = MaxBatchRecords
	}
	if cfg.Linger <= 0 {
		cfg.Linger = 100 * time.Millisecond
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = time.Second
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return nil
}

// DefaultBackoff doubles from 100ms up to 5s, each wait drawn from its upper half so that workers throttled
// together do not retry together.
func DefaultBackoff(attempt int) time.Duration {
	d := min(100*time.Millisecond<<min(attempt-1, 10), 5*time.Second)
	return d/2 + rand.N(d/2+1)
}

// Run generates records with gen and puts them into the stream until the count or duration is reached or ctx is
// done, and returns the final counts. It returns an error when the run could not finish as asked: the template
// failed, the stream rejected whole calls (for example it does not exist), the output could not be written, or
// ctx was done. Records that fail after all attempts are counted, not returned as an error.
func Run(ctx context.Context, client Putter, gen *Generator, cfg Config) (Stats, error) {
	if err := cfg.setDefaults(); err != nil {
		return Stats{}, err
	}
	start := cfg.Now()
	r := &run{cfg: cfg, client: client, gen: gen}
	if cfg.Output != nil {
		r.audit = newAuditWriter(cfg.Output)
	}
	// Calls in flight run on drainCtx, which outlives ctx by DrainTimeout so that their outcome is known.
	drainCtx, cancelDrain := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDrain()
	stopDrain := context.AfterFunc(ctx, func() { time.AfterFunc(cfg.DrainTimeout, cancelDrain) })
	defer stopDrain()
	r.drainCtx = drainCtx

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.cancel = cancel

	records := make(chan Record, cfg.BatchSize)
	batches := make(chan []Record)
	var wg sync.WaitGroup
	wg.Go(func() { r.produce(ctx, records) })
	wg.Go(func() { r.batch(ctx, records, batches) })
	for range cfg.Concurrency {
		wg.Go(func() { r.work(ctx, batches) })
	}

	snapshot := func() Stats {
		s := r.n.snapshot()
		s.Elapsed, s.Target, s.Duration = cfg.Now().Sub(start), cfg.Count, cfg.Duration
		return s
	}
	done := make(chan struct{})
	var progress sync.WaitGroup
	if cfg.Progress != nil {
		progress.Go(func() {
			t := time.NewTicker(cfg.ProgressEvery)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					cfg.Progress(snapshot())
				case <-done:
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	progress.Wait() // no progress line may follow the caller's summary

	var err error
	if r.audit != nil {
		err = r.audit.flush()
	}
	if cause := context.Cause(ctx); cause != nil {
		err = errors.Join(cause, err)
	}
	return snapshot(), err
}

// run is the state shared by the producer, the batcher and the workers of one Run.
type run struct {
	cfg      Config
	client   Putter
	gen      *Generator
	audit    *auditWriter
	n        counters
	drainCtx context.Context
	cancel   context.CancelCauseFunc // stops the run with a fatal error
}

// produce generates records at the configured rate until the count or duration is reached.
func (r *run) produce(runCtx context.Context, out chan<- Record) {
	defer close(out)
	// ctx ends generation; a record already generated is still handed on unless the run itself stops.
	ctx := runCtx
	if r.cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(runCtx, r.cfg.Duration)
		defer cancel()
	}
	var pace *pacer
	if r.cfg.Rate > 0 {
		pace = newPacer(r.cfg.Rate, r.cfg.Now)
	}
	for i := int64(0); r.cfg.Count == 0 || i < r.cfg.Count; i++ {
		if pace != nil {
			if pace.wait(ctx) != nil {
				return
			}
		} else if ctx.Err() != nil {
			return
		}
		rec, err := r.gen.Next()
		if err != nil {
			r.cancel(fmt.Errorf("generating: %w", err))
			return
		}
		r.n.generated.Add(1)
		select {
		case out <- rec:
		case <-runCtx.Done():
			r.n.unsent.Add(1)
			return
		}
	}
}

// batch groups records into PutRecords batches within the call limits, sending a partial batch when its first
// record has waited Linger.
func (r *run) batch(ctx context.Context, in <-chan Record, out chan<- []Record) {
	defer close(out)
	var cur []Record
	size := 0
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	defer linger.Stop()
	abandon := func() {
		r.n.unsent.Add(int64(len(cur)))
		for range in { // the producer stops too and closes in
			r.n.unsent.Add(1)
		}
	}
	flush := func() bool {
		linger.Stop()
		select {
		case out <- cur:
			cur, size = nil, 0
			return true
		case <-ctx.Done():
			abandon()
			return false
		}
	}
	for {
		select {
		case rec, ok := <-in:
			if !ok {
				if len(cur) > 0 {
					flush()
				}
				return
			}
			if len(cur) > 0 && size+rec.size() > MaxBatchBytes {
				if !flush() {
					r.n.unsent.Add(1) // rec itself
					return
				}
			}
			if len(cur) == 0 {
				linger.Reset(r.cfg.Linger)
			}
			cur = append(cur, rec)
			size += rec.size()
			if len(cur) == r.cfg.BatchSize && !flush() {
				return
			}
		case <-linger.C:
			if len(cur) > 0 && !flush() {
				return
			}
		case <-ctx.Done():
			abandon()
			return
		}
	}
}

// work puts batches until there are no more.
func (r *run) work(ctx context.Context, in <-chan []Record) {
	for b := range in {
		if ctx.Err() != nil {
			r.n.unsent.Add(int64(len(b)))
			continue
		}
		r.put(ctx, b)
	}
}

// Error codes of PutRecords entries and calls. Throttling is expected under load; the KMS configuration errors
// will not go away by retrying.
var (
	throttleCodes = []string{"ProvisionedThroughputExceededException", "KMSThrottlingException", "ThrottlingException", "LimitExceededException"}
	finalCodes    = []string{"KMSAccessDeniedException", "KMSDisabledException", "KMSInvalidStateException", "KMSNotFoundException", "KMSOptInRequired", "AccessDeniedException"}
)

// put sends one batch, resending only the entries Kinesis rejected, in their original order, until all are in or
// they have had MaxAttempts attempts.
func (r *run) put(ctx context.Context, pending []Record) {
	for attempt := 1; ; attempt++ {
		retry, throttled := r.putOnce(pending, attempt)
		if len(retry) == 0 {
			return
		}
		if attempt == r.cfg.MaxAttempts || ctx.Err() != nil {
			r.giveUp(retry)
			return
		}
		if sleep(ctx, r.cfg.Backoff(attempt)) != nil {
			r.giveUp(retry)
			return
		}
		// Counted only now: records given up during the backoff are failed, not retried.
		r.n.throttledRetries.Add(int64(throttled))
		r.n.errorRetries.Add(int64(len(retry) - throttled))
		pending = recordsOf(retry)
	}
}

// attempted is a record with the error code of its last attempt.
type attempted struct {
	rec  Record
	code string
}

func recordsOf(a []attempted) []Record {
	out := make([]Record, len(a))
	for i := range a {
		out[i] = a[i].rec
	}
	return out
}

func (r *run) giveUp(recs []attempted) {
	for _, a := range recs {
		r.n.fail(a.code, 1)
	}
}

// putOnce makes one PutRecords call. It records what succeeded or failed for good and returns the records to
// try again, in order, and how many of those were throttled.
func (r *run) putOnce(pending []Record, attempt int) (retry []attempted, throttled int) {
	in := &kinesis.PutRecordsInput{Records: make([]types.PutRecordsRequestEntry, len(pending))}
	if strings.HasPrefix(r.cfg.Stream, "arn:") {
		in.StreamARN = aws.String(r.cfg.Stream)
	} else {
		in.StreamName = aws.String(r.cfg.Stream)
	}
	for i := range pending {
		in.Records[i] = types.PutRecordsRequestEntry{Data: pending[i].Data, PartitionKey: aws.String(pending[i].PartitionKey)}
	}
	r.n.calls.Add(1)
	out, err := r.client.PutRecords(r.drainCtx, in)
	if err == nil && len(out.Records) != len(pending) {
		err = fmt.Errorf("PutRecords answered %d results for %d records", len(out.Records), len(pending))
	}
	if err != nil {
		code, isThrottle, fatal := classify(err)
		if fatal || attempt == r.cfg.MaxAttempts {
			// Nothing is known to be in; the whole call failing for good means the stream cannot be used.
			r.n.fail(code, len(pending))
			r.cancel(fmt.Errorf("PutRecords to %s: %w", r.cfg.Stream, err))
			return nil, 0
		}
		retry = make([]attempted, len(pending))
		for i := range pending {
			retry[i] = attempted{pending[i], code}
		}
		if isThrottle {
			throttled = len(pending)
		}
		return retry, throttled
	}
	for i, res := range out.Records {
		rec := &pending[i]
		code := aws.ToString(res.ErrorCode)
		if code == "" && aws.ToString(res.SequenceNumber) == "" {
			code = "NoSequenceNumber" // success without a sequence number cannot be confirmed
		}
		switch {
		case code == "":
			r.accept(rec, aws.ToString(res.SequenceNumber), aws.ToString(res.ShardId))
		case slices.Contains(finalCodes, code):
			r.n.fail(code, 1)
		default:
			retry = append(retry, attempted{*rec, code})
			if slices.Contains(throttleCodes, code) {
				throttled++
			}
		}
	}
	return retry, throttled
}

func (r *run) accept(rec *Record, seq, shard string) {
	r.n.sent.Add(1)
	if rec.Late {
		r.n.late.Add(1)
	}
	switch {
	case rec.Kind == KindKPL:
		r.n.kpl.Add(1)
	case rec.Kind.Invalid():
		r.n.invalid.Add(1)
	}
	if rec.Kind == KindKPL {
		r.n.userRecords.Add(int64(len(rec.SubRecords)))
	} else {
		r.n.userRecords.Add(1)
	}
	if r.audit != nil {
		if err := r.audit.write(rec, seq, shard); err != nil {
			r.cancel(err)
		}
	}
}

// classify names a failed call's error and says whether it is throttling and whether retrying is pointless:
// client faults such as a missing stream, a bad request or denied access. Transport errors and server faults
// are retried.
func classify(err error) (code string, throttle, fatal bool) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "Canceled", false, true
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return "CallFailed", false, false
	}
	code = ae.ErrorCode()
	switch {
	case slices.Contains(throttleCodes, code):
		return code, true, false
	case ae.ErrorFault() == smithy.FaultClient:
		return code, false, true
	}
	return code, false, false
}

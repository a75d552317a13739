package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
	"github.com/kinesis2s3/kinesis2s3/internal/generate"
	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
	"github.com/kinesis2s3/kinesis2s3/local/emulators"
	"github.com/kinesis2s3/kinesis2s3/local/esm"
	"github.com/kinesis2s3/kinesis2s3/local/faultproxy"
	"github.com/kinesis2s3/kinesis2s3/local/pipeline"
)

// Result is what one mode did and what the ledger found.
type Result struct {
	Mode string
	// Fed is the generator's count of Kinesis records put (Invalid and KPL among them); UserRecords what they
	// hold, each of which must be written or quarantined.
	Fed         generate.Stats
	UserRecords int
	// The ledger's verdict: found where they belong, missing, found more than once (and why, by cause), and
	// anything else wrong with the bucket.
	Written, Quarantined, Lost, Duplicated int
	// Dropped are the user records the transform dropped (jq's empty): rightly nowhere.
	Dropped         int
	DuplicateCauses map[string]int
	Problems        []string
	// What was injected, and what the mapping made of it.
	FaultShare     float64
	Faults         Faults
	Mapping        esm.Stats
	FunctionErrors map[string]int // whole-batch function errors by cause
	Retries        int            // batch retries
	Redrive        RedriveTotals
	// OnFailureDestination is where the mapping sent what it gave up on (sqs or s3); OnFailureLeft how many
	// on-failure records were still there at the end.
	OnFailureDestination string
	OnFailureLeft        int
	Wall                 time.Duration
	Failures             []string // why the mode failed, if it did
	missingExamples      []ledger.Expect
}

// Err is nil when the mode proved what it set out to: nothing lost, nothing wrong, no duplicate in record mode and
// none unexplained in batch mode, every fault injected, the on-failure destination drained.
func (r Result) Err() error {
	if len(r.Failures) == 0 {
		return nil
	}
	return errors.New(fmt.Sprint(r.Failures))
}

func (r *Result) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// runMode runs one mode from start to verdict.
func runMode(ctx context.Context, cfg Config, m Mode, stack *emulators.Stack, logDir string, out *printer) (r Result) {
	began := time.Now()
	r.Mode, r.FaultShare = m.Name, cfg.FaultShare
	defer func() { r.Wall = time.Since(began) }()
	ctx, cancel := context.WithTimeout(ctx, cfg.ModeTimeout)
	defer cancel()
	say := func(format string, args ...any) {
		out.printf("[%s %s] "+format, append([]any{m.Name, clock(time.Since(began))}, args...)...)
	}
	say("starting\n")

	dir := filepath.Join(logDir, m.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		r.fail("log directory: %v", err)
		return r
	}
	ev := newEvents()
	p, s, esmLog, err := startMode(ctx, cfg, m, stack, dir, ev)
	if err != nil {
		r.fail("%v", err)
		return r
	}
	defer esmLog.Close()
	defer p.Close()
	r.OnFailureDestination = s.OnFailureDestination
	say("%s: %d shards, batch size %d, window %s, %d retries, bisect %v, timeout %s, on-failure destination %s\n", describe(s),
		s.Shards, s.ESM.BatchSize, s.ESM.MaximumBatchingWindow, s.ESM.MaximumRetryAttempts, s.ESM.BisectBatchOnFunctionError,
		s.Timeout, p.OnFailureSource)

	in := &injector{p: p, ev: ev, share: cfg.FaultShare, total: cfg.Records, effect: cfg.FunctionTimeout + 15*time.Second,
		out: func(format string, args ...any) { say(format, args...) }}
	in.startBrownOut(cfg.BrownOut)
	injected := make(chan error, 1)
	go func() { injected <- in.run(ctx) }()
	stopProgress := reportProgress(ctx, p, ev, in, cfg.Records, say)

	sample, err := feed(ctx, p, cfg)
	r.Fed = sample.Stats
	if err != nil {
		stopProgress()
		r.fail("feeding: %v", err)
		return r
	}
	r.UserRecords = len(sample.Want)
	say("fed %d records (%d invalid, %d KPL aggregates: %d user records) in %s\n", r.Fed.Sent, r.Fed.Invalid, r.Fed.KPL,
		r.UserRecords, r.Fed.Elapsed.Round(100*time.Millisecond))

	drained := waitDrained(ctx, p, sample.Want)
	stopProgress()
	injectErr := <-injected // the faults are done once the stream is (or ctx ended)
	if injectErr != nil {
		r.fail("fault not injected: %v", injectErr)
	}
	if drained != nil {
		r.fail("the mapping did not work through the stream: %v", drained)
	}
	say("the mapping is through the stream\n")

	// The runbook: fix the cause, then redrive. Redriving while S3 still fails a fifth of the requests keeps
	// record-mode ranges (each attempt gets only as far as the first upload that failed for good).
	in.stopFaults()
	r.Faults = in.faults()
	say("S3 is healthy again: redriving what the mapping gave up on\n")
	r.Redrive = redrive(ctx, cfg, p, dir, say)
	if r.OnFailureLeft, err = p.OnFailureCount(ctx); err != nil {
		r.fail("on-failure records left: %v", err)
	} else if r.OnFailureLeft > 0 {
		r.fail("%d on-failure records left in %s after the redrive", r.OnFailureLeft, p.OnFailureSource)
	}
	r.Mapping = p.Mapping.Stats()
	r.Retries, r.FunctionErrors, _, _ = ev.snapshot()
	// Nothing may write to the bucket while the ledger reads it: stop the mapping and the function first.
	if err := p.Close(); err != nil {
		r.fail("the mapping stopped early: %v", err)
	}

	say("checking the bucket against the %d user records fed\n", r.UserRecords)
	if err := r.check(ctx, p, s.Layout(), began, sample.Want, ev); err != nil {
		r.fail("ledger: %v", err)
		return r
	}
	say("done: %d written, %d quarantined, %d dropped by the transform, %d lost, %d duplicated\n", r.Written, r.Quarantined, r.Dropped, r.Lost, r.Duplicated)
	return r
}

// startMode starts the mode's pipeline: the defaults a deployment has, the run's shards and timeout, the mode's
// settings, and a mapping that reports its events to ev and logs to dir/esm.log (which the caller closes).
func startMode(ctx context.Context, cfg Config, m Mode, stack *emulators.Stack, dir string, ev *events) (*pipeline.Pipeline, pipeline.Settings, io.Closer, error) {
	s := pipeline.DefaultSettings()
	s.Name = "chaos-" + m.Name
	s.Shards = cfg.Shards
	s.Timeout = cfg.FunctionTimeout
	s.LogLevel = "WARN" // the function logs a line per batch at INFO
	s.ESM.PollInterval = 250 * time.Millisecond
	m.Settings(&s, cfg)
	esmLog, err := emulators.CreateLog(filepath.Join(dir, "esm.log"))
	if err != nil {
		return nil, s, nil, fmt.Errorf("mapping log: %w", err)
	}
	p, err := pipeline.Start(ctx, pipeline.Options{
		Settings: s, Stack: stack, S3Faults: true, LogDir: dir,
		ESMOptions: []esm.Option{
			esm.WithEventHandler(ev.add),
			esm.WithLogger(slog.New(slog.NewJSONHandler(esmLog, &slog.HandlerOptions{Level: slog.LevelInfo}))),
			// AWS does not say how it spaces retries; the e2e suite's spacing keeps a range's 10 retries to ~15s.
			esm.WithRetryBackoff(50*time.Millisecond, 2*time.Second),
		},
	})
	if err != nil {
		esmLog.Close()
		return nil, s, nil, fmt.Errorf("start the pipeline: %w", err)
	}
	return p, s, esmLog, nil
}

// check reads the bucket (objects written since began) and accounts for each user record in want.
func (r *Result) check(ctx context.Context, p *pipeline.Pipeline, l ledger.Layout, began time.Time, want []ledger.Expect, ev *events) error {
	c, err := ledger.NewChecker(p.S3, p.Bucket, l)
	if err != nil {
		return err
	}
	defer c.Close()
	c.Since = began
	rep, err := c.Check(ctx, want)
	if err != nil {
		return err
	}
	r.account(rep, ev, p.Settings.OutputMode)
	return nil
}

// describe names the output settings.
func describe(s pipeline.Settings) string {
	if s.OutputMode == "batch" && s.Format == "parquet" {
		return fmt.Sprintf("batch mode, Parquet (%s pages), schema %s, partitions %s + %s", s.Compression, filepath.Base(s.SchemaFile), s.PartitionKeys, s.TimeField)
	}
	if s.OutputMode == "batch" {
		return "batch mode, " + s.Compression
	}
	return s.OutputMode + " mode"
}

// feed puts cfg.Records records of the orders template into the stream, as fast as the stream takes them.
func feed(ctx context.Context, p *pipeline.Pipeline, cfg Config) (pipeline.Sample, error) {
	b, _ := generate.LookupBuiltin("orders")
	gen, err := generate.NewGenerator(generate.Options{
		TemplateName: b.Name, Template: b.Text, PartitionKey: b.PartitionKey, Seed: cfg.Seed,
		InvalidFraction: cfg.InvalidFraction, KPLFraction: cfg.KPLFraction,
	})
	if err != nil {
		return pipeline.Sample{}, err
	}
	return p.Feed(ctx, gen, generate.Config{Count: cfg.Records, Concurrency: 4})
}

// waitDrained waits until every shard's checkpoint has reached the last record fed to it.
func waitDrained(ctx context.Context, p *pipeline.Pipeline, want []ledger.Expect) error {
	last := map[string]string{}
	for _, e := range want {
		if l, ok := last[e.ShardID]; !ok || seqnum.Compare(e.SequenceNumber, l) > 0 {
			last[e.ShardID] = e.SequenceNumber
		}
	}
	for {
		cps := p.Mapping.Checkpoints()
		behind := 0
		for shard, seq := range last {
			if cp, ok := cps[shard]; !ok || cp.SequenceNumber == "" || seqnum.Compare(cp.SequenceNumber, seq) < 0 {
				behind++
			}
		}
		if behind == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d shards not checkpointed to their last record: %w", behind, len(last), ctx.Err())
		case <-p.Done():
			return fmt.Errorf("the mapping stopped: %w", p.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// reportProgress prints a line every 5 seconds until the returned function is called.
func reportProgress(ctx context.Context, p *pipeline.Pipeline, ev *events, in *injector, total int64, say func(string, ...any)) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for pause(ctx, 5*time.Second) == nil {
			st := p.Mapping.Stats()
			retries, errs, _, _ := ev.snapshot()
			say("processed %d of %d records (%.0f%%) · %d invocations · %d function errors · %d partial · %d retries · %d bisections · %d given up on · %d S3 requests failed\n",
				st.RecordsSucceeded+st.RecordsDiscarded, total, 100*in.progress(), st.Invocations,
				errs[causeTimeout]+errs[causeKilled]+errs[causeOther], st.PartialFailures, retries, st.Bisects, st.OnFailureSent,
				p.Faults.Count(func(e faultproxy.Entry) bool { return e.Injected }))
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// clock formats a duration as m:ss.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

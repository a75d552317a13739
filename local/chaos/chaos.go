// Package chaos runs the local pipeline at volume while things go wrong, and then accounts for every record.
//
// For each output mode in turn (record, then batch with zstd), Run feeds a stream (100,000 Kinesis records over 4
// shards by default; 1 % invalid records of every kind the generator makes, 5 % KPL aggregates) into a pipeline
// of the real function under the Lambda RIE and the local event source mapping, and meanwhile:
//
//   - the fault proxy between the function and S3 fails 20 % of the requests, with HTTP 500, 503 SlowDown or a
//     reset connection, for the first two minutes (a brown-out: see Config.FaultShare);
//   - one runtime is killed in the middle of an invocation, and another is frozen until its invocation runs into
//     the function's timeout;
//   - S3 then fails every upload until the mapping has given up on some ranges (retries exhausted) and sent
//     their on-failure records to the mode's destination: the SQS queue (the DLQ) in record mode, S3 objects in
//     batch mode;
//   - once the mapping has worked through the stream and S3 is healthy again (the runbook's "fix the cause"),
//     `pipelinectl redrive` runs as a real process, the way an operator runs it, until the queue, or the on-failure
//     prefix, is empty.
//
// Then the pipeline stops and the ledger (internal/ledger) reads the bucket: every user record must be written or
// quarantined, none lost. Duplicates are counted: record mode must have none; batch mode may, in the one case the
// README describes, and each is explained from the mapping's events. Run prints a summary table and returns an
// error if anything was lost, the bucket holds anything wrong, or a fault it was meant to inject did not happen.
package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kinesis2s3/kinesis2s3/local/emulators"
	"github.com/kinesis2s3/kinesis2s3/local/pipeline"
)

// Config says how much to feed and how hard to hit. Start from DefaultConfig.
type Config struct {
	// Records is the number of Kinesis records fed in each mode; Shards the stream's shard count.
	Records int64
	Shards  int
	// Modes are run one after the other, each in a pipeline of its own.
	Modes []Mode
	// InvalidFraction of the records are invalid (every kind, in equal shares); KPLFraction are KPL aggregates of
	// 10 user records.
	InvalidFraction, KPLFraction float64
	// FaultShare of the function's S3 requests fail during the first BrownOut of each mode (0: until the mapping
	// is through the stream). Record mode drains about 15 times slower while a fifth of the uploads fail (each
	// retry starts at the lowest record whose upload failed for good), which a 100,000-record run cannot afford
	// for its whole length on a 2-core machine; batch mode is through the stream before the brown-out ends.
	FaultShare float64
	BrownOut   time.Duration
	// FunctionTimeout is the function's timeout: how long a frozen invocation holds its shard.
	FunctionTimeout time.Duration
	// ModeTimeout bounds each mode, from the first record fed to the ledger's verdict.
	ModeTimeout time.Duration
	// Seed makes the records reproducible (the faults' timing is not).
	Seed uint64
	// Schema is the orders JSON Schema of the batch-parquet mode: terraform/examples/batch-athena/orders.schema.json,
	// whose stack the mode runs (relative paths are taken from the working directory).
	Schema string
	// Pipelinectl is the pipelinectl binary that redrives what the mapping gave up on. Required.
	Pipelinectl string
	// LogDir keeps the emulators', function's, mapping's and redrive's logs; empty means a temporary directory,
	// removed when the run succeeds.
	LogDir string
	// Out receives the progress and the summary; nil means os.Stdout.
	Out io.Writer
}

// Mode is one configuration of the function that the run exercises.
type Mode struct {
	Name string
	// Settings adjusts the pipeline's settings (defaults: the Terraform module's) to the mode, with the run's cfg.
	Settings func(s *pipeline.Settings, cfg Config)
}

// Modes are the output modes a run exercises by default. Each uses one of the two on-failure destinations, so that
// a run replays both: record mode and batch-parquet the SQS queue (pipelinectl redrive -queue-url, re-reading the
// stream), batch mode S3 objects (pipelinectl redrive -source s3://…). batch-parquet is the analytics stack of
// terraform/examples/batch-athena: Parquet (zstd pages) with the orders schema, the example's transform, the order's
// own time, and a partition key; its redrive is given the same settings, so that a replay writes the same keys.
var Modes = []Mode{
	{Name: "record", Settings: func(s *pipeline.Settings, _ Config) {
		s.OutputMode, s.OnFailureDestination = "record", pipeline.OnFailureSQS
	}},
	{Name: "batch-zstd", Settings: func(s *pipeline.Settings, _ Config) {
		s.OutputMode, s.Compression, s.OnFailureDestination = "batch", "zstd", pipeline.OnFailureS3
	}},
	{Name: "batch-parquet", Settings: func(s *pipeline.Settings, cfg Config) {
		s.OutputMode, s.Compression, s.OnFailureDestination = "batch", "zstd", pipeline.OnFailureSQS
		s.Format, s.SchemaFile, s.Transform, s.TimeField = "parquet", cfg.Schema, ordersTransform, ".created_at"
		// The currency, not the example's country: a few values, so that no invocation reaches MAX_PARTITIONS and
		// the mode measures the faults, not batches cut short at the limit.
		s.PartitionKeys = "currency=.currency"
	}},
}

// ordersTransform is the transform of terraform/examples/batch-athena: the customer's e-mail out, the order's total in.
const ordersTransform = `del(.customer.email) | .total_cents = ([.items[] | .quantity * .unit_price] | add * 100 | round)`

// DefaultConfig is `make chaos`: 100,000 records over 4 shards in each of Modes.
func DefaultConfig() Config {
	return Config{
		Records:         100_000,
		Shards:          4,
		Modes:           Modes,
		InvalidFraction: 0.01,
		KPLFraction:     0.05,
		FaultShare:      0.2,
		BrownOut:        2 * time.Minute,
		FunctionTimeout: 15 * time.Second,
		ModeTimeout:     12 * time.Minute,
		Seed:            1,
		Schema:          "terraform/examples/batch-athena/orders.schema.json",
	}
}

func (c *Config) validate() error {
	switch {
	case c.Records < 100:
		return fmt.Errorf("records %d: at least 100, so that every fault meets records still to process", c.Records)
	case c.Shards < 1 || c.Shards > 50:
		return fmt.Errorf("shards %d: 1–50", c.Shards)
	case len(c.Modes) == 0:
		return errors.New("no modes")
	case c.FaultShare < 0 || c.FaultShare >= 1:
		return fmt.Errorf("fault share %g: at least 0 and below 1", c.FaultShare)
	case c.BrownOut < 0:
		return fmt.Errorf("brown-out %v: must not be negative", c.BrownOut)
	case c.FunctionTimeout < time.Second || c.FunctionTimeout%time.Second != 0:
		return fmt.Errorf("function timeout %v: whole seconds, at least 1", c.FunctionTimeout)
	case c.ModeTimeout <= 0:
		return fmt.Errorf("mode timeout %v: must be positive", c.ModeTimeout)
	case c.Pipelinectl == "":
		return errors.New("no pipelinectl binary to redrive with")
	}
	if _, err := os.Stat(c.Pipelinectl); err != nil {
		return fmt.Errorf("pipelinectl: %w", err)
	}
	// The function and pipelinectl run elsewhere than here: they get the schema's absolute path.
	if c.Schema != "" {
		abs, err := filepath.Abs(c.Schema)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		c.Schema = abs
	}
	return nil
}

// Run runs every mode, prints each one's report and the summary table to cfg.Out, and returns the results. The
// error says which modes failed and why; a run cut short by ctx returns what it has.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	logDir, keep := cfg.LogDir, cfg.LogDir != ""
	if !keep {
		var err error
		if logDir, err = os.MkdirTemp("", "kinesis2s3-chaos-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(logDir, 0o700); err != nil {
		return nil, err
	}
	out := &printer{w: cfg.Out}
	out.printf("chaos: %d Kinesis records over %d shards per mode (%g%% invalid, %g%% KPL aggregates), %g%% of S3 requests failing, seed %d\n",
		cfg.Records, cfg.Shards, 100*cfg.InvalidFraction, 100*cfg.KPLFraction, 100*cfg.FaultShare, cfg.Seed)
	out.printf("logs: %s\n", logDir)

	// One set of emulators for every mode; each mode has its own stream, bucket, queue, function and mapping.
	stack, err := emulators.Start(ctx, emulators.Options{LogDir: logDir, StreamDelay: 50 * time.Millisecond})
	if err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	defer stack.Close()
	out.printf("emulators: %s and fauxqs, on loopback\n", stack.KinesisEngine)

	var results []Result
	var errs []error
	for _, m := range cfg.Modes {
		if ctx.Err() != nil {
			break
		}
		r := runMode(ctx, cfg, m, stack, logDir, out)
		results = append(results, r)
		if err := r.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
		}
	}
	writeTable(cfg.Out, results)
	err = errors.Join(errs...)
	if ctx.Err() != nil {
		err = errors.Join(err, fmt.Errorf("interrupted: %w", ctx.Err()))
	}
	switch {
	case err != nil:
		out.printf("\nFAILED; logs kept in %s\n", logDir)
	case !keep:
		stack.Close()
		os.RemoveAll(logDir)
	}
	return results, err
}

// printer writes to the output from several goroutines.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

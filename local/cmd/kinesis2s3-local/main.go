// Command kinesis2s3-local runs the whole pipeline on this machine, without Docker or an AWS account: the
// emulators, the real function under the Lambda RIE and the local event source mapping (see local/). It is what
// `make run` starts; it is never deployed.
//
//	kinesis2s3-local [--demo] [flags]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/internal/generate"
	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
	"github.com/kinesis2s3/kinesis2s3/local/emulators"
	"github.com/kinesis2s3/kinesis2s3/local/esm"
	"github.com/kinesis2s3/kinesis2s3/local/pipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "kinesis2s3-local: %v\n", err)
		os.Exit(1)
	}
}

// localFlags are the parsed flags of local.
type localFlags struct {
	demo                         bool
	tfvars                       string
	mode, compression            string
	shards, batchSize            int
	onFailure                    string
	format, schemaFile           string
	transform, timeField         string
	partitionKeys                string
	maxPartitions                int
	window                       time.Duration
	records                      int64
	rate                         float64
	template                     string
	invalidFraction, kplFraction float64
	logs                         string
}

// defaultTFVars is read when it exists and --tfvars is not given; make run runs from the repository root.
const defaultTFVars = "terraform/terraform.tfvars"

func localFlagSet(stderr io.Writer, f *localFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&f.demo, "demo", false, "feed the sample, check that every record arrived exactly once, then stop (exit status 0 only if so)")
	fs.StringVar(&f.tfvars, "tfvars", "", "read settings from this Terraform .tfvars `FILE` (default: "+defaultTFVars+" if it exists)")
	fs.StringVar(&f.mode, "mode", "", "output mode: record or batch (default: output_mode from tfvars, else record)")
	// The values are the function's (COMPRESSION), as the flag is handed to it.
	fs.StringVar(&f.compression, "compression", "", "batch-mode compression: "+strings.Join(config.Lookup(config.EnvCompression).Allowed, ", ")+
		"; snappy with --format parquet only (default: compression from tfvars, else gzip)")
	fs.IntVar(&f.shards, "shards", 0, "shards in the stream (default: shard_count from tfvars, else 2)")
	fs.IntVar(&f.batchSize, "batch-size", 0, "event source mapping batch size (default: batch_size from tfvars, else 500)")
	fs.DurationVar(&f.window, "window", 0, "batching window, whole seconds (default: maximum_batching_window_in_seconds from tfvars, else 5s)")
	fs.StringVar(&f.onFailure, "on-failure-destination", "", "where the mapping sends the records it gives up on: sqs (the on-failure queue) or s3 (the bucket, under aws/lambda/<mapping UUID>/) (default: on_failure_destination from tfvars, else sqs)")
	fs.StringVar(&f.format, "format", "", "batch objects: jsonl or parquet (needs --schema-file) (default: format from tfvars, else jsonl)")
	fs.StringVar(&f.schemaFile, "schema-file", "", "JSON Schema every record must conform to, and the Parquet columns (`FILE`; default: schema_file from tfvars)")
	fs.StringVar(&f.transform, "transform", "", "jq expression applied to each record before validation (default: transform from tfvars)")
	fs.StringVar(&f.timeField, "time-field", "", "path of the event time that chooses the hour partition, e.g. .created_at (default: time_field from tfvars, else the arrival time)")
	fs.StringVar(&f.partitionKeys, "partition-keys", "", "name=path pairs: key levels before the time levels, e.g. country=.customer.address.country (default: partition_keys from tfvars)")
	fs.IntVar(&f.maxPartitions, "max-partitions", 0, "distinct partitions per invocation (default: max_partitions from tfvars, else 100)")
	fs.Int64Var(&f.records, "records", 1000, "sample Kinesis records to feed (0: none)")
	fs.Float64Var(&f.rate, "rate", 250, "sample records per second")
	fs.StringVar(&f.template, "template", "orders", "built-in record template for the sample (clickstream, iot, orders)")
	fs.Float64Var(&f.invalidFraction, "invalid-fraction", 0.02, "share of sample records made invalid (not JSON, bad UTF-8, empty, bad KPL MD5): they are quarantined")
	fs.Float64Var(&f.kplFraction, "kpl-fraction", 0.05, "share of sample records sent as KPL aggregates of 10 user records")
	fs.StringVar(&f.logs, "logs", "", "keep the emulator, function and mapping logs in `DIR` (default: a temporary directory, removed on a clean exit)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: kinesis2s3-local [--demo] [flags]   (make run; DEMO=1 make run)

Runs the whole pipeline on this machine, without Docker or an AWS account: kinesalite (Kinesis) and fauxqs
(S3, SQS) on free loopback ports, the real function (build/local/bootstrap) under the AWS Lambda Runtime
Interface Emulator, and a local event source mapping with Lambda's Kinesis semantics. It feeds sample records,
shows what was written, prints the endpoints to poke the stack with, and runs until Ctrl-C. With --demo it
checks that every record fed was written or quarantined exactly once and exits.

Settings default to the Terraform variables' defaults, then terraform/terraform.tfvars (or --tfvars), then flags.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs
}

// run parses the flags, starts the pipeline, feeds the sample and shows the outcome; without --demo it then keeps
// the pipeline running until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f localFlags
	fs := localFlagSet(stderr, &f)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags go before it; see -h)", fs.Arg(0))
	}
	settings, source, err := localSettings(&f, fs)
	if err != nil {
		return err
	}
	if settings.OnInvalidRecord != "quarantine" && f.invalidFraction > 0 {
		// Only quarantined records can be accounted for in the bucket.
		f.invalidFraction = 0
		source += fmt.Sprintf("; no invalid sample records, since on_invalid_record is %s", settings.OnInvalidRecord)
	}
	gen, err := sampleGenerator(&f)
	if err != nil {
		return err
	}
	logDir, keepLogs := f.logs, f.logs != ""
	if logDir == "" {
		if logDir, err = os.MkdirTemp("", "kinesis2s3-local-"); err != nil {
			return err
		}
	}
	ui := &console{w: stdout, tty: isTerminal(stdout)}
	ui.printf("kinesis2s3 on this machine: Kinesis → Lambda → S3, no Docker, no AWS account\n\n")
	ui.printf("settings   %s\n", settingsLine(settings))
	ui.printf("           (%s)\n", source)
	ui.printf("logs       %s\n\n", logDir)
	err = session(ctx, ui, settings, gen, &f, logDir)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "logs kept in %s\n", logDir)
	case !keepLogs:
		os.RemoveAll(logDir)
	}
	return err
}

// session starts the emulators and the pipeline, feeds and checks the sample, and then either ends (--demo) or
// watches the bucket until ctx is done. Everything it started is stopped when it returns.
func session(ctx context.Context, ui *console, settings pipeline.Settings, gen *generate.Generator, f *localFlags, logDir string) error {
	began := time.Now()
	ui.step("starting the emulators (the first run installs them: npm ci)")
	stack, err := emulators.Start(ctx, emulators.Options{LogDir: logDir})
	if err != nil {
		return fmt.Errorf("emulators: %w", err)
	}
	defer stack.Close()
	ui.done("emulators up: %s (Kinesis) %s, fauxqs (S3, SQS) %s", stack.KinesisEngine, roundDur(stack.StartupTimes[stack.KinesisEngine]),
		roundDur(stack.StartupTimes["fauxqs"]))

	ui.step("creating the stream, bucket and on-failure queue; starting the function and the event source mapping")
	esmLog, err := emulators.CreateLog(filepath.Join(logDir, "esm.log"))
	if err != nil {
		return err
	}
	defer esmLog.Close()
	p, err := pipeline.Start(ctx, pipeline.Options{
		Settings:   settings,
		Stack:      stack,
		LogDir:     logDir,
		ESMOptions: []esm.Option{esm.WithLogger(slog.New(slog.NewJSONHandler(esmLog, &slog.HandlerOptions{Level: slog.LevelDebug})))},
	})
	if err != nil {
		return err
	}
	defer p.Close()
	ui.done("stream %s (%d shards), bucket %s, on-failure records to %s", p.StreamName, settings.Shards, p.Bucket, p.OnFailureSource)
	ui.done("function: %d execution environments of the bootstrap under the Lambda RIE; mapping polling from %s",
		len(p.Function.LogFiles()), settings.ESM.StartingPosition)
	ui.printf("  ready in %s\n\n", roundDur(time.Since(began)))

	if f.records > 0 {
		if err := feedAndCheck(ctx, ui, p, gen, f); err != nil {
			return err
		}
	}
	if f.demo {
		ui.printf("\nDemo over. `make run` keeps the pipeline running and prints the endpoints to poke it with.\n")
		return nil
	}
	showEndpoints(ui, p)
	ui.printf("\nRunning. New objects are reported below; Ctrl-C stops everything.\n")
	err = p.Watch(ctx, 2*time.Second, func(n, delta int, st esm.Stats, err error) {
		if err != nil {
			ui.printf("  %s  listing the bucket failed: %v\n", time.Now().Format("15:04:05"), err)
			return
		}
		ui.printf("  %s  %+d objects (%d in the bucket); mapping: %d records read, %d invocations, %d discarded\n",
			time.Now().Format("15:04:05"), delta, n, st.RecordsRead, st.Invocations, st.RecordsDiscarded)
	})
	ui.printf("\nstopping ...")
	p.Close()
	stack.Close()
	ui.printf(" stopped, nothing left running.\n")
	return err
}

// feedAndCheck puts the sample, waits until every record is accounted for, and shows the result.
func feedAndCheck(ctx context.Context, ui *console, p *pipeline.Pipeline, gen *generate.Generator, f *localFlags) error {
	ui.step(fmt.Sprintf("feeding %d records of the %s template at %g/s (%g%% invalid, %g%% KPL aggregates) with PutRecords",
		f.records, f.template, f.rate, 100*f.invalidFraction, 100*f.kplFraction))
	since := time.Now()
	sample, err := p.Feed(ctx, gen, generate.Config{Count: f.records, Rate: f.rate, Concurrency: 2,
		ProgressEvery: 500 * time.Millisecond, Progress: func(s generate.Stats) { ui.live(s.ProgressLine()) }})
	ui.live("")
	if err != nil {
		return err
	}
	ui.done("sent %d records in %s: %d user records (%d invalid, %d KPL aggregates)",
		sample.Stats.Sent, roundDur(sample.Stats.Elapsed), len(sample.Want), sample.Stats.Invalid, sample.Stats.KPL)

	ui.step("waiting for the pipeline to write every record")
	waited := time.Now()
	rep, err := p.WaitAccounted(ctx, since, sample.Want, func(rep ledger.Report) {
		ui.live(fmt.Sprintf("%d/%d user records accounted for (written %d, quarantined %d, dropped by the transform %d)",
			rep.Written+rep.Quarantined+rep.Dropped, rep.Expected, rep.Written, rep.Quarantined, rep.Dropped))
	})
	ui.live("")
	if err != nil {
		return err
	}
	if rep.Complete() {
		ui.done("all %d user records accounted for %s after the last put", rep.Expected, roundDur(time.Since(waited)))
	}
	if err := showResult(ctx, ui, p, rep, sample.Kinds); err != nil {
		return err
	}
	if err := rep.Err(); err != nil || !rep.Complete() {
		return fmt.Errorf("not every record was accounted for: %w", err)
	}
	return nil
}

// localSettings layers the Terraform defaults, the tfvars file and the flags.
func localSettings(f *localFlags, fs *flag.FlagSet) (pipeline.Settings, string, error) {
	s := pipeline.DefaultSettings()
	source := "Terraform variable defaults"
	path := f.tfvars
	if path == "" {
		if _, err := os.Stat(defaultTFVars); err == nil {
			path = defaultTFVars
		}
	}
	if path != "" {
		if err := s.LoadTFVars(path); err != nil {
			return s, "", err
		}
		source += ", overridden by " + path
	} else {
		source += "; no " + defaultTFVars
	}
	var set []string
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "mode":
			s.OutputMode = f.mode
		case "compression":
			s.Compression = f.compression
		case "shards":
			s.Shards = f.shards
		case "batch-size":
			s.ESM.BatchSize = f.batchSize
		case "window":
			s.ESM.MaximumBatchingWindow = f.window
		case "on-failure-destination":
			s.OnFailureDestination = f.onFailure
		case "format":
			s.Format = f.format
		case "schema-file":
			s.SchemaFile = f.schemaFile
		case "transform":
			s.Transform = f.transform
		case "time-field":
			s.TimeField = f.timeField
		case "partition-keys":
			s.PartitionKeys = f.partitionKeys
		case "max-partitions":
			s.MaxPartitions = f.maxPartitions
		default:
			return
		}
		set = append(set, "--"+fl.Name)
	})
	if len(set) > 0 {
		source += ", then " + strings.Join(set, " ")
	}
	// The function runs under the RIE in the log directory, so a relative path would name nothing there.
	if s.SchemaFile != "" {
		abs, err := filepath.Abs(s.SchemaFile)
		if err != nil {
			return s, "", fmt.Errorf("schema_file %q: %w", s.SchemaFile, err)
		}
		s.SchemaFile = abs
	}
	if err := s.Validate(); err != nil {
		return s, "", err
	}
	return s, source, nil
}

func settingsLine(s pipeline.Settings) string {
	mode := "output_mode=" + s.OutputMode
	if s.OutputMode == "batch" {
		mode += " format=" + s.Format + " compression=" + s.Compression
	}
	for _, a := range []struct{ name, value string }{{"schema_file", s.SchemaFile}, {"transform", s.Transform},
		{"time_field", s.TimeField}, {"partition_keys", s.PartitionKeys}} {
		if a.value != "" {
			mode += fmt.Sprintf(" %s=%q", a.name, a.value)
		}
	}
	return fmt.Sprintf("%s shards=%d batch_size=%d window=%s parallelization=%d retries=%d bisect=%v on_invalid_record=%s on_failure_destination=%s",
		mode, s.Shards, s.ESM.BatchSize, s.ESM.MaximumBatchingWindow, s.ESM.ParallelizationFactor,
		s.ESM.MaximumRetryAttempts, s.ESM.BisectBatchOnFunctionError, s.OnInvalidRecord, s.OnFailureDestination)
}

func sampleGenerator(f *localFlags) (*generate.Generator, error) {
	b, ok := generate.LookupBuiltin(f.template)
	if !ok {
		return nil, fmt.Errorf("no built-in template %q", f.template)
	}
	return generate.NewGenerator(generate.Options{
		TemplateName: b.Name, Template: b.Text, PartitionKey: b.PartitionKey,
		InvalidFraction: f.invalidFraction, KPLFraction: f.kplFraction,
	})
}

// showResult prints what the pipeline did with the sample.
func showResult(ctx context.Context, ui *console, p *pipeline.Pipeline, rep ledger.Report, kinds map[string]generate.Kind) error {
	var data, quarantine []ledger.Object
	var dataBytes, quarantineBytes int64
	for _, o := range rep.Objects {
		if o.Quarantine {
			quarantine = append(quarantine, o)
			quarantineBytes += o.Size
		} else {
			data = append(data, o)
			dataBytes += o.Size
		}
	}
	ui.printf("\nResult\n")
	what := "one per user record"
	if p.Settings.OutputMode == "batch" {
		what = "JSON Lines, one per shard and hour per invocation"
	}
	ui.printf("  data objects   %d (%s), %s in s3://%s/%s\n", len(data), what, size(dataBytes), p.Bucket, p.Settings.KeyPrefix)
	width := 0
	for _, o := range data[:min(len(data), 5)] {
		width = max(width, len(o.Key))
	}
	for i, o := range data {
		if i == 5 {
			ui.printf("    ... and %d more\n", len(data)-i)
			break
		}
		extra := ""
		if o.Lines > 0 {
			extra = fmt.Sprintf("  %d lines", o.Lines)
		}
		ui.printf("    %-*s %9s%s\n", width, o.Key, size(o.Size), extra)
	}
	if len(data) > 0 {
		ui.printf("  sample line    %s\n", clipLine(data[0].FirstLine, 160))
	}
	byKind := map[generate.Kind]int{}
	for _, o := range quarantine {
		for _, r := range o.Records {
			byKind[kinds[r.ShardID+"/"+r.SequenceNumber]]++
		}
	}
	ui.printf("  quarantined    %d records%s, %s in s3://%s/%s\n", rep.Quarantined, countsByKind(byKind), size(quarantineBytes),
		p.Bucket, p.Settings.ErrorPrefix)
	if len(quarantine) > 0 {
		ui.printf("    %s\n      reason: %s\n", quarantine[0].Key, quarantine[0].Reason)
	}
	depth, err := p.OnFailureCount(ctx)
	if err != nil {
		return err
	}
	ui.printf("  on-failure     %d records in %s\n", depth, p.OnFailureSource)
	st := p.Mapping.Stats()
	ui.printf("  mapping        %d invocations, %d function errors, %d partial failures, %d bisects, %d records discarded\n",
		st.Invocations, st.FunctionErrors, st.PartialFailures, st.Bisects, st.RecordsDiscarded)
	if err := rep.Err(); err != nil || !rep.Complete() {
		ui.printf("  ✗ NOT every record accounted for:\n    %s\n", strings.ReplaceAll(fmt.Sprint(err), "\n", "\n    "))
		return nil
	}
	dropped := ""
	if rep.Dropped > 0 {
		dropped = fmt.Sprintf(" + %d dropped by the transform", rep.Dropped)
	}
	ui.printf("  ✓ every record accounted for: %d written + %d quarantined%s = %d user records, none twice, nothing else in the bucket\n",
		rep.Written, rep.Quarantined, dropped, rep.Expected)
	return nil
}

// countsByKind is " (kind n, ...)" for the quarantined records by the kind the sample made them, or nothing when
// there are none (not "()").
func countsByKind(byKind map[generate.Kind]int) string {
	if len(byKind) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, byKind[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// showEndpoints prints what a user needs to talk to the running stack from another shell.
func showEndpoints(ui *console, p *pipeline.Pipeline) {
	env := p.Stack.Env()
	ui.printf("\nPoke it from another shell:\n")
	// The SDKs read AWS_REGION; AWS CLI v1 reads only AWS_DEFAULT_REGION.
	ui.printf("  export AWS_REGION=%s AWS_DEFAULT_REGION=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n",
		env["AWS_REGION"], env["AWS_DEFAULT_REGION"], env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
	ui.printf("  export AWS_ENDPOINT_URL_KINESIS=%s AWS_ENDPOINT_URL_S3=%s AWS_ENDPOINT_URL_SQS=%s\n",
		env["AWS_ENDPOINT_URL_KINESIS"], env["AWS_ENDPOINT_URL_S3"], env["AWS_ENDPOINT_URL_SQS"])
	ui.printf("  go run ./cmd/pipelinectl generate --stream %s --count 1000 --rate 100\n", p.StreamName)
	// fileb:// is the record's raw bytes to AWS CLI v1 and v2 alike: v1 has no --cli-binary-format, and v2 takes a
	// bare --data as base64.
	ui.printf("  aws kinesis put-record --stream-name %s --partition-key k --data fileb://<(printf '{\"hello\":\"world\"}')\n", p.StreamName)
	ui.printf("  aws s3 ls s3://%s/ --recursive | tail\n", p.Bucket)
	if strings.HasPrefix(p.OnFailureSource, "s3://") {
		ui.printf("  aws s3 ls %s --recursive\n", p.OnFailureSource)
		ui.printf("  go run ./cmd/pipelinectl redrive -source %s -dry-run\n", p.OnFailureSource)
	} else {
		// AWS CLI v1 ignores AWS_ENDPOINT_URL_SQS (it puts SQS's own endpoint in its place): the flag works in both.
		ui.printf("  aws sqs get-queue-attributes --endpoint-url %s --queue-url %s --attribute-names ApproximateNumberOfMessages\n",
			env["AWS_ENDPOINT_URL_SQS"], p.QueueURL)
		ui.printf("  go run ./cmd/pipelinectl redrive -queue-url %s -dry-run\n", p.QueueURL)
	}
}

// console prints progress: steps, their outcome, and a live line that is rewritten in place on a terminal and
// printed at most every few seconds elsewhere (so that CI logs stay short).
type console struct {
	w        io.Writer
	tty      bool
	lastLive time.Time
}

func (c *console) printf(format string, args ...any) { fmt.Fprintf(c.w, format, args...) }

func (c *console) step(s string) {
	c.printf("→ %s\n", s)
	c.lastLive = time.Now() // the first progress line after a step comes when there is progress to show
}

func (c *console) done(format string, args ...any) { c.printf("  ✓ "+format+"\n", args...) }

// live shows s as the current progress; "" clears it.
func (c *console) live(s string) {
	if c.tty {
		fmt.Fprintf(c.w, "\r\033[K")
		if s != "" {
			fmt.Fprintf(c.w, "    %s", s)
		}
		return
	}
	if s != "" && time.Since(c.lastLive) >= 3*time.Second {
		c.printf("    %s\n", s)
		c.lastLive = time.Now()
	}
}

// isTerminal reports whether w is a terminal, which gets live progress lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func roundDur(d time.Duration) time.Duration {
	if d > 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func clipLine(b []byte, n int) string {
	s := strings.ToValidUTF8(string(b), "�")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

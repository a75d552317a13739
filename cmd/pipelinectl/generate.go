package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis2s3/kinesis2s3/internal/generate"
)

func init() {
	commands["generate"] = command{
		summary: "put synthetic JSON records (optionally invalid or KPL-aggregated) into a stream",
		run:     runGenerate,
	}
}

// generateFlags are the parsed flags of generate.
type generateFlags struct {
	stream                 string
	template, templateFile string
	partitionKey           string
	seed                   uint64
	startTime              string
	count                  int64
	duration               time.Duration
	rate                   float64
	concurrency, batchSize int
	linger                 time.Duration
	maxAttempts            int
	invalidFraction        float64
	invalidKinds           string
	kplFraction            float64
	kplRecords             int
	lateFraction           float64
	lateBy, outOfOrder     time.Duration
	output                 string
	dryRun, listTemplates  bool
}

func generateFlagSet(stderr io.Writer, f *generateFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.stream, "stream", "", "stream `NAME` or ARN (required unless -dry-run)")
	fs.StringVar(&f.template, "template", "clickstream", "built-in record template `NAME` (see -list-templates)")
	fs.StringVar(&f.templateFile, "template-file", "", "read the record template from `FILE` (Go text/template rendering one JSON value)")
	fs.StringVar(&f.partitionKey, "partition-key", "", "partition-key `TEMPLATE`; dot is the rendered record, e.g. '{{.user.id}}' (default: the built-in's field, else '{{uuid}}')")
	fs.Uint64Var(&f.seed, "seed", 0, "seed for reproducible data; 0 picks one and prints it")
	fs.StringVar(&f.startTime, "start-time", "", "event clock start (RFC 3339); record i gets start + i/rate (1ms steps when -rate 0). Default: the wall clock")
	fs.Int64Var(&f.count, "count", 0, "stop after `N` Kinesis records (0: no limit)")
	fs.DurationVar(&f.duration, "duration", 0, "stop after this long, e.g. 5m (0: no limit; with neither limit, run until Ctrl-C)")
	fs.Float64Var(&f.rate, "rate", 100, "Kinesis records per second, steady (token bucket); 0: as fast as the calls go")
	fs.IntVar(&f.concurrency, "concurrency", 4, "PutRecords calls in flight")
	fs.IntVar(&f.batchSize, "batch-size", generate.MaxBatchRecords, "most records per PutRecords call (1-500; calls are also cut at 5 MiB)")
	fs.DurationVar(&f.linger, "linger", 100*time.Millisecond, "longest a record waits for its batch to fill")
	fs.IntVar(&f.maxAttempts, "max-attempts", 8, "attempts per record before it counts as failed (failed entries are resent with backoff)")
	fs.Float64Var(&f.invalidFraction, "invalid-fraction", 0, "fraction of records made deliberately invalid, 0-1")
	fs.StringVar(&f.invalidKinds, "invalid-kinds", generate.KindList(generate.DefaultInvalidKinds), "comma-separated invalid kinds to draw from: "+generate.KindList(generate.InvalidKinds))
	fs.Float64Var(&f.kplFraction, "kpl-fraction", 0, "fraction of records sent as KPL aggregates, 0-1")
	fs.IntVar(&f.kplRecords, "kpl-records", generate.DefaultKPLRecords, "user records per KPL aggregate")
	fs.Float64Var(&f.lateFraction, "late-fraction", 0, "fraction of records whose event time is late: behind the clock by up to -late-by, 0-1")
	fs.DurationVar(&f.lateBy, "late-by", time.Hour, "how far behind the clock a late record's event time is, at most (uniformly up to it)")
	fs.DurationVar(&f.outOfOrder, "out-of-order", 0, "move every record's event time back by a random amount up to this, e.g. 30s: records arrive out of order")
	fs.StringVar(&f.output, "output", "", "also write each accepted record to `FILE` as JSON Lines (sequence number, shard, key, data, kind)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print -count records (default 10) to stdout as JSON Lines instead of sending them")
	fs.BoolVar(&f.listTemplates, "list-templates", false, "list the built-in templates and template helpers, then exit")
	fs.Usage = func() { generateUsage(fs) }
	return fs
}

func generateUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: pipelinectl generate --stream NAME [--count N | --duration D] [flags]

Puts synthetic records into a Kinesis data stream with PutRecords (up to 500 records / 5 MiB a call), resending
only the entries Kinesis rejected. Endpoint, region and credentials come from the AWS SDK's default chain
(AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_KINESIS, ...). The final line on stdout is
"generated N sent N failed N throttled-retries N invalid N kpl N ..."; the exit status is 1 if any record was
not accepted.

Event times (the template's now, timestamp, unixMillis): -out-of-order moves each record's back by a random amount
up to the given duration; -late-fraction makes that share of the records late by up to -late-by, so that they
belong to earlier hours than the records sent with them. The summary counts them (late N).

Invalid kinds (-invalid-fraction): not-json (the record cut in half), bad-utf8 (0xFF inserted after the first
'"'), empty (zero bytes), bad-kpl (a KPL aggregate with a corrupted MD5), oversized (valid JSON padded to exactly
1 MiB with its key; not drawn unless listed in -invalid-kinds).

Examples:
  pipelinectl generate --stream events --count 10000 --rate 500
  pipelinectl generate --stream events --template iot --duration 10m --invalid-fraction 0.01 --kpl-fraction 0.1
  pipelinectl generate --template-file order.tmpl --partition-key '{{.customer.id}}' --dry-run --count 3
  pipelinectl generate --stream events --count 1000 --rate 0 --seed 7 --output sent.jsonl
  pipelinectl generate --stream events --template orders --count 5000 --late-fraction 0.05 --late-by 6h --out-of-order 30s

Flags:
`)
	fs.PrintDefaults()
}

func listTemplates(w io.Writer) {
	fmt.Fprintln(w, "Built-in templates (-template NAME; partition key in brackets):")
	for _, b := range generate.Builtins() {
		fmt.Fprintf(w, "  %-12s %s [%s]\n", b.Name, b.Description, b.PartitionKey)
	}
	fmt.Fprintln(w, "\nTemplate helpers (quote every string value: \"name\": {{quote name}}):")
	for _, h := range generate.Helpers {
		fmt.Fprintf(w, "  %s\n", h)
	}
}

func runGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f generateFlags
	fs := generateFlagSet(stderr, &f)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if f.listTemplates {
		listTemplates(stdout)
		return nil
	}
	gen, err := newGenerator(&f, fs)
	if err != nil {
		return err
	}
	if f.dryRun {
		fmt.Fprintf(stderr, "generate: dry run, template %s, seed %d\n", templateName(&f), gen.Seed())
		n := f.count
		if n == 0 {
			n = 10
		}
		return generate.DryRun(gen, n, stdout)
	}
	if err := checkSendFlags(&f); err != nil {
		return err
	}

	awsCfg, err := loadAWSConfig(ctx)
	if err != nil {
		return err
	}
	cfg := generate.Config{
		Stream: f.stream, Count: f.count, Duration: f.duration, Rate: f.rate, Concurrency: f.concurrency,
		BatchSize: f.batchSize, Linger: f.linger, MaxAttempts: f.maxAttempts,
	}
	if f.output != "" {
		file, err := os.Create(f.output)
		if err != nil {
			return fmt.Errorf("output file: %w", err)
		}
		defer file.Close() // the explicit Close below reports errors; this one covers early returns
		cfg.Output = file
	}
	live := isTerminal(stderr)
	if live {
		cfg.ProgressEvery = 500 * time.Millisecond
		cfg.Progress = func(s generate.Stats) { fmt.Fprintf(stderr, "\r\033[K%s", s.ProgressLine()) }
	}

	limit := "until interrupted"
	switch {
	case f.count > 0 && f.duration > 0:
		limit = fmt.Sprintf("%d records or %s", f.count, f.duration)
	case f.count > 0:
		limit = fmt.Sprintf("%d records", f.count)
	case f.duration > 0:
		limit = f.duration.String()
	}
	fmt.Fprintf(stderr, "generate: stream %s, template %s, seed %d, rate %s, %s\n", f.stream, templateName(&f), gen.Seed(), rateText(f.rate), limit)

	stats, runErr := generate.Run(ctx, kinesis.NewFromConfig(awsCfg), gen, cfg)
	if live {
		fmt.Fprint(stderr, "\r\033[K")
	}
	fmt.Fprintln(stdout, stats.Summary())
	if file, ok := cfg.Output.(*os.File); ok {
		if err := file.Close(); err != nil {
			runErr = errors.Join(runErr, fmt.Errorf("output file: %w", err))
		}
	}
	switch {
	case runErr != nil && ctx.Err() != nil && errors.Is(runErr, context.Canceled):
		return errors.New("interrupted; the summary above counts every record")
	case runErr != nil:
		return runErr
	case stats.Failed > 0:
		return fmt.Errorf("%d of %d records were not accepted by Kinesis", stats.Failed, stats.Generated)
	}
	return nil
}

func newGenerator(f *generateFlags, fs *flag.FlagSet) (*generate.Generator, error) {
	opts := generate.Options{
		PartitionKey:    f.partitionKey,
		Seed:            f.seed,
		InvalidFraction: f.invalidFraction,
		KPLFraction:     f.kplFraction,
		KPLRecords:      f.kplRecords,
		LateFraction:    f.lateFraction,
		LateBy:          f.lateBy,
		Disorder:        f.outOfOrder,
	}
	if f.templateFile != "" {
		if flagSet(fs, "template") {
			return nil, errors.New("-template and -template-file exclude each other")
		}
		b, err := os.ReadFile(f.templateFile)
		if err != nil {
			return nil, fmt.Errorf("template file: %w", err)
		}
		opts.TemplateName, opts.Template = f.templateFile, string(b)
	} else {
		b, ok := generate.LookupBuiltin(f.template)
		if !ok {
			var names []string
			for _, b := range generate.Builtins() {
				names = append(names, b.Name)
			}
			return nil, fmt.Errorf("no built-in template %q (have %s; or use -template-file)", f.template, strings.Join(names, ", "))
		}
		opts.TemplateName, opts.Template = b.Name, b.Text
		if opts.PartitionKey == "" {
			opts.PartitionKey = b.PartitionKey
		}
	}
	if f.kplRecords < 1 {
		return nil, fmt.Errorf("-kpl-records %d: want at least 1", f.kplRecords)
	}
	kinds, err := generate.ParseKinds(f.invalidKinds)
	if err != nil {
		return nil, fmt.Errorf("-invalid-kinds: %w", err)
	}
	opts.InvalidKinds = kinds
	if f.startTime != "" {
		start, err := time.Parse(time.RFC3339Nano, f.startTime)
		if err != nil {
			return nil, fmt.Errorf("-start-time: want RFC 3339 such as 2026-01-02T15:04:05Z: %w", err)
		}
		step := time.Millisecond
		if f.rate > 0 {
			step = time.Duration(float64(time.Second) / f.rate)
		}
		var i int64
		opts.Now = func() time.Time {
			t := start.Add(time.Duration(i) * step)
			i++
			return t
		}
	}
	gen, err := generate.NewGenerator(opts)
	if err != nil {
		return nil, err
	}
	return gen, nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func templateName(f *generateFlags) string {
	if f.templateFile != "" {
		return f.templateFile
	}
	return f.template
}

func rateText(r float64) string {
	if r == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%g/s", r)
}

// checkSendFlags rejects bad sending flags by name before any AWS set-up.
func checkSendFlags(f *generateFlags) error {
	switch {
	case f.stream == "":
		return errors.New("-stream is required (or use -dry-run)")
	case f.batchSize < 1 || f.batchSize > generate.MaxBatchRecords:
		return fmt.Errorf("-batch-size %d: want 1-%d", f.batchSize, generate.MaxBatchRecords)
	case f.concurrency < 1:
		return fmt.Errorf("-concurrency %d: want at least 1", f.concurrency)
	case f.maxAttempts < 1:
		return fmt.Errorf("-max-attempts %d: want at least 1", f.maxAttempts)
	case f.rate < 0:
		return fmt.Errorf("-rate %g: must not be negative (0 means unlimited)", f.rate)
	case f.count < 0:
		return fmt.Errorf("-count %d: must not be negative", f.count)
	case f.duration < 0:
		return fmt.Errorf("-duration %s: must not be negative", f.duration)
	}
	return nil
}

package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/internal/cost"
	"github.com/kinesis2s3/kinesis2s3/internal/tfvars"
	"github.com/kinesis2s3/kinesis2s3/terraform"
)

func init() {
	commands["cost"] = command{
		summary: "estimate the monthly AWS bill of a workload, in both output modes' terms, beside Amazon Data Firehose",
		run:     runCost,
	}
}

type costFlags struct {
	w          cost.Workload
	p          cost.Prices
	bench      string
	window     int
	bufferSecs int
	pricesAsOf string
	given      []string // the price flags given
}

func costFlagSet(stderr io.Writer, f *costFlags) (*flag.FlagSet, error) {
	fn, stream := terraform.MustModuleDefaults("function"), terraform.MustModuleDefaults("stream")
	f.w = cost.Workload{RecordsPerSecond: 1000, RecordBytes: 1024, Format: "jsonl", Concurrency: config.DefaultUploadConcurrency,
		PutLatency: 25 * time.Millisecond, FirehoseBufferMB: 5, FirehoseBufferInterval: 300 * time.Second}
	// The deployment's defaults, written once in the Terraform modules.
	err := tfvars.Apply(fn, map[string]tfvars.Setter{"output_mode": tfvars.Into(&f.w.Mode), "compression": tfvars.Into(&f.w.Compression),
		"memory_size": tfvars.Into(&f.w.MemoryMB), "batch_size": tfvars.Into(&f.w.BatchSize),
		"maximum_batching_window_in_seconds": tfvars.Into(&f.window)})
	if err == nil {
		err = tfvars.Apply(stream, map[string]tfvars.Setter{"retention_period_hours": tfvars.Into(&f.w.RetentionHours)})
	}
	if err != nil {
		return nil, err
	}
	f.p = cost.DefaultPrices

	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Float64Var(&f.w.RecordsPerSecond, "records-per-second", f.w.RecordsPerSecond, "records `N` put into the stream a second, on average")
	fs.Float64Var(&f.w.RecordBytes, "record-size", f.w.RecordBytes, "average size of a record's data, in `BYTES`")
	fs.StringVar(&f.w.Mode, "mode", f.w.Mode, "OUTPUT_MODE: record (one S3 object per record) or batch")
	fs.StringVar(&f.w.Format, "format", f.w.Format, "batch objects: jsonl or parquet (give -compression-ratio and -speed for parquet)")
	// The values are the function's (COMPRESSION), which cost.Workload.Check accepts too.
	fs.StringVar(&f.w.Compression, "compression", f.w.Compression, "batch mode: "+strings.Join(config.Lookup(config.EnvCompression).Allowed, ", ")+
		"; snappy with -format parquet only")
	fs.Float64Var(&f.w.CompressionRatio, "compression-ratio", 0, "of batch objects (default: the ratio measured for -compression)")
	fs.Float64Var(&f.w.Speed, "speed", 0, "one core's invocation speed in `MB/s` of record data (default: measured by make bench)")
	fs.StringVar(&f.bench, "bench", "", "read the measured speeds from make bench's output `FILE` (build/bench.txt) instead of the built-in ones")
	fs.IntVar(&f.w.Shards, "shards", 0, "shards of the stream (default: the fewest that carry the traffic, 1,000 records/s or 1 MiB/s each)")
	fs.IntVar(&f.w.MemoryMB, "memory", f.w.MemoryMB, "the function's memory size in `MB` (1,769 for a full vCPU)")
	fs.IntVar(&f.w.BatchSize, "batch-size", f.w.BatchSize, "the event source mapping's batch size")
	fs.IntVar(&f.window, "batching-window", f.window, "the event source mapping's batching window in `SECONDS`")
	fs.IntVar(&f.w.RetentionHours, "retention-hours", f.w.RetentionHours, "the stream's retention")
	fs.IntVar(&f.w.Concurrency, "upload-concurrency", f.w.Concurrency, "UPLOAD_CONCURRENCY")
	fs.DurationVar(&f.w.PutLatency, "s3-put-latency", f.w.PutLatency, "how long an S3 PUT takes from Lambda (not measured here: take it from your traces)")
	fs.Float64Var(&f.w.FirehoseBufferMB, "firehose-buffer-mb", f.w.FirehoseBufferMB, "Firehose comparison: S3 buffer size")
	fs.IntVar(&f.bufferSecs, "firehose-buffer-seconds", int(f.w.FirehoseBufferInterval.Seconds()), "Firehose comparison: S3 buffer interval")
	prices := []struct {
		name string
		p    *float64
		doc  string
	}{
		{"price-lambda-requests", &f.p.LambdaPerMillionRequests, "Lambda, per million requests"},
		{"price-lambda-gb-second", &f.p.LambdaPerGBSecond, "Lambda arm64, per GB-second"},
		{"price-s3-put", &f.p.S3PerThousandPuts, "S3 Standard, per 1,000 PUT requests"},
		{"price-s3-gb-month", &f.p.S3PerGBMonth, "S3 Standard, per GB-month"},
		{"price-kinesis-stream-hour", &f.p.KinesisStreamHour, "Kinesis on-demand, per stream-hour"},
		{"price-kinesis-gb-in", &f.p.KinesisODPerGBIn, "Kinesis on-demand, per GB in"},
		{"price-kinesis-gb-out", &f.p.KinesisODPerGBOut, "Kinesis on-demand, per GB out"},
		{"price-kinesis-retention-gb-month", &f.p.KinesisODRetentionGBMonth, "Kinesis on-demand, retention beyond 24 h, per GB-month"},
		{"price-kinesis-shard-hour", &f.p.KinesisShardHour, "Kinesis provisioned, per shard-hour"},
		{"price-kinesis-put-units", &f.p.KinesisPerMillionPUTUnits, "Kinesis provisioned, per million 25 KB PUT payload units"},
		{"price-kinesis-retention-shard-hour", &f.p.KinesisRetentionShardHour, "Kinesis provisioned, retention beyond 24 h, per shard-hour"},
		{"price-firehose-gb", &f.p.FirehosePerGB, "Firehose Direct PUT, per GB ingested (5 KB steps)"},
	}
	for _, pr := range prices {
		fs.Float64Var(pr.p, pr.name, *pr.p, pr.doc+" (USD)")
	}
	fs.StringVar(&f.pricesAsOf, "prices-as-of", cost.PricesAsOf, "where and when the prices given as flags were read, printed with the estimate")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: pipelinectl cost [flags]

Estimates what a workload costs a month on AWS, and per million records: Lambda (requests, and GB-s from the
function's measured speed on its share of a vCPU), S3 (PUT requests, storage), Kinesis Data Streams on demand and
provisioned, and, side by side, Amazon Data Firehose delivering the same records to S3. Defaults are the Terraform
modules' (output_mode, compression, memory_size, batch_size, batching window, retention) and %s;
every price is a flag.

Record mode writes one S3 object per record: at 1,000 records/s that is 2.6 billion PUTs, about $13,000 a month in
PUT requests alone. Batch mode writes one object per invocation: a few tens of dollars ($26 at 500 records a batch).

Examples:
  pipelinectl cost --records-per-second 1000 --record-size 1024 --mode record
  pipelinectl cost --records-per-second 1000 --record-size 1024 --mode batch --compression zstd --memory 1769
  pipelinectl cost --mode batch --bench build/bench.txt --price-lambda-gb-second 0.0000166667   # x86, fresh figures

Flags:
`, cost.PricesAsOf)
		fs.PrintDefaults()
	}
	return fs, nil
}

func runCost(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var f costFlags
	fs, err := costFlagSet(stderr, &f)
	if err != nil {
		return err
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	fs.Visit(func(fl *flag.Flag) {
		if strings.HasPrefix(fl.Name, "price-") {
			f.given = append(f.given, fl.Name)
		}
	})
	f.w.BatchingWindow = time.Duration(f.window) * time.Second
	f.w.FirehoseBufferInterval = time.Duration(f.bufferSecs) * time.Second
	if f.w.Shards == 0 && f.w.RecordsPerSecond > 0 {
		f.w.Shards = cost.ShardsNeeded(f.w.RecordsPerSecond, f.w.RecordBytes)
	}
	speeds := cost.Measured
	if f.bench != "" {
		file, err := os.Open(f.bench)
		if err != nil {
			return err
		}
		defer file.Close()
		if speeds, err = cost.FromBenchmarks(file, cost.Measured); err != nil {
			return fmt.Errorf("%s: %w", f.bench, err)
		}
		speeds.Source = f.bench
	}
	e, err := cost.Price(f.w, f.p, speeds)
	if err != nil {
		return err
	}
	prices := f.pricesAsOf
	if len(f.given) > 0 && prices == cost.PricesAsOf {
		prices = "--" + strings.Join(f.given, ", --") + " as given, the others " + cost.PricesAsOf
	}
	printEstimate(stdout, f.w, e, speeds, prices)
	return nil
}

// printEstimate writes the estimate as a table: per month and per million records.
func printEstimate(w io.Writer, wl cost.Workload, e cost.Estimate, s cost.Speeds, prices string) {
	var out bytes.Buffer
	writeEstimate(&out, wl, e, s, prices)
	for _, line := range strings.SplitAfter(out.String(), "\n") { // tabwriter pads the last column too
		fmt.Fprint(w, strings.TrimRight(line, " \n")+strings.Repeat("\n", strings.Count(line, "\n")))
	}
}

func writeEstimate(out io.Writer, w cost.Workload, e cost.Estimate, s cost.Speeds, prices string) {
	objects := "one S3 object per record"
	if w.Mode == "batch" {
		objects = fmt.Sprintf("%s, %s (ratio %.2f)", w.Format, w.Compression, e.Ratio)
	}
	fmt.Fprintf(out, "%s records/s of %s bytes (%s records, %s GiB a month): %s mode, %s\n",
		cost.Count(w.RecordsPerSecond), cost.Count(w.RecordBytes), cost.Count(e.RecordsPerMonth), cost.Count(e.GBPerMonth), w.Mode, objects)
	fmt.Fprintf(out, "stream shards: %d; mapping: up to %d records or %s a batch; function: %d MB, arm64; S3 PUT: %s\n",
		w.Shards, w.BatchSize, w.BatchingWindow, w.MemoryMB, w.PutLatency)
	fmt.Fprintf(out, "speeds: %s\n\n", s.Source)
	fmt.Fprintf(out, "S3 PUT requests alone: %s a month in record mode (one per record), %s in batch mode (one per invocation).\n\n",
		money(e.PUTs["record"]), money(e.PUTs["batch"]))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(service, item, quantity string, monthly float64) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%10s\t%10s\n", service, item, quantity, money(monthly), money(e.PerMillion(monthly)))
	}
	fmt.Fprintf(tw, "\t\t\t%10s\t%10s\n", "$/month", "$/million")
	section := func(name string, lines []cost.Line) {
		for i, l := range lines {
			if i > 0 {
				name = ""
			}
			row(name, l.Item, l.Quantity, l.Monthly)
		}
	}
	total := func(name string, lines ...[]cost.Line) { row(name, "", "", cost.Total(lines...)) }
	section("Lambda", e.Lambda)
	section("S3", e.S3)
	section("Kinesis on-demand", e.OnDemand)
	section("Kinesis provisioned", e.Provisioned)
	total("total with an on-demand stream", e.Lambda, e.S3, e.OnDemand)
	total("total with a provisioned stream", e.Lambda, e.S3, e.Provisioned)
	fmt.Fprintln(tw, "\t\t\t\t")
	section("Firehose (Direct PUT)", e.Firehose)
	total("total through Firehose", e.Firehose)
	tw.Flush()
	fmt.Fprintf(out, "\nStorage is one month's output kept for a month: it adds up until a lifecycle rule moves or expires it.\n")
	fmt.Fprintf(out, "Prices: %s; each is a flag (pipelinectl cost -h).\n", prices)
	for _, warn := range e.Warnings {
		fmt.Fprintf(out, "note: %s\n", warn)
	}
}

func money(x float64) string {
	switch {
	case x >= 100:
		return "$" + cost.Count(math.Round(x))
	case x >= 0.01:
		return fmt.Sprintf("$%.2f", x)
	case x == 0:
		return "$0"
	}
	return fmt.Sprintf("$%.4f", x)
}

// Package cost estimates what the pipeline costs a month on AWS for a workload, next to what Amazon Data Firehose
// would cost for the same records: the model behind `pipelinectl cost` and the README's Costs section.
//
// Prices are inputs (DefaultPrices: us-east-1, with their sources and the date they were read). The function's
// speed is not assumed: Measured is what make bench measured, and FromBenchmarks reads a fresh run's output.
package cost

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// HoursPerMonth is the month AWS prices hourly resources by.
const HoursPerMonth = 730

const (
	secondsPerMonth = HoursPerMonth * 3600
	gib             = 1 << 30
	// oneVCPUMB is the memory size at which Lambda gives a function one full vCPU; below it, a share of one.
	oneVCPUMB = 1769
	// payloadLimit is Lambda's invocation payload limit, which caps the records of one event.
	payloadLimit = 6 << 20
	// eventBytesPerRecord is what a record adds to the event besides its base64 data: its other fields (measured
	// on the benchmark event: about 560 bytes).
	eventBytesPerRecord = 560
	// pollInterval is how often the event source mapping reads a shard when no batching window holds it back.
	pollInterval = time.Second
)

// Workload is the traffic and the settings to price.
type Workload struct {
	RecordsPerSecond float64
	RecordBytes      float64 // average size of a record's data
	Mode             string  // "record" or "batch" (OUTPUT_MODE)
	Format           string  // "jsonl" or "parquet" (batch mode)
	Compression      string  // "gzip", "zstd" or "none" (batch mode)
	// CompressionRatio of batch objects; 0 takes the ratio measured for Compression on the benchmark records.
	CompressionRatio float64
	// Speed is one core's speed of a whole invocation in MB of record data a second; 0 takes the measured one.
	Speed          float64
	Shards         int           // shards the stream needs: the provisioned stream's, and how records spread
	MemoryMB       int           // the function's memory size
	BatchSize      int           // the event source mapping's batch size
	BatchingWindow time.Duration // and its batching window
	RetentionHours int           // the stream's retention
	Concurrency    int           // UPLOAD_CONCURRENCY
	// PutLatency is how long an S3 PUT takes as seen from Lambda. It is not measured here (no AWS account is):
	// set it from your own traces.
	PutLatency time.Duration
	// The Firehose comparison's S3 buffering hints: an object every BufferMB of input or BufferInterval.
	FirehoseBufferMB       float64
	FirehoseBufferInterval time.Duration
}

// Line is one priced item.
type Line struct {
	Item     string  // what is billed
	Quantity string  // how much of it a month
	Monthly  float64 // US dollars a month
}

// Estimate is the priced workload.
type Estimate struct {
	RecordsPerMonth float64
	GBPerMonth      float64 // of record data, in GiB as AWS bills it
	// The Lambda side: records per invocation, invocations a month and the duration of one.
	PerInvocation float64
	Invocations   float64
	Duration      time.Duration
	Ratio         float64 // of batch objects
	// PUTs is what S3 PUT requests cost a month in each output mode, whichever is priced: the choice to make.
	PUTs map[string]float64

	Lambda, S3, OnDemand, Provisioned, Firehose []Line
	Warnings                                    []string
}

// Total adds lines up.
func Total(lines ...[]Line) float64 {
	var t float64
	for _, ls := range lines {
		for _, l := range ls {
			t += l.Monthly
		}
	}
	return t
}

// PerMillion turns a monthly amount into one per million records.
func (e Estimate) PerMillion(monthly float64) float64 { return monthly / (e.RecordsPerMonth / 1e6) }

// Check reports what makes a workload impossible to price, each problem by the flag of pipelinectl cost that sets
// it.
func (w Workload) Check() error {
	var errs []error
	bad := func(cond bool, format string, args ...any) {
		if cond {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	bad(w.RecordsPerSecond <= 0, "-records-per-second %g: want more than 0", w.RecordsPerSecond)
	bad(w.RecordBytes <= 0, "-record-size %g: want more than 0", w.RecordBytes)
	bad(w.Mode != "record" && w.Mode != "batch", "-mode %q: use record or batch", w.Mode)
	bad(w.Format != "jsonl" && w.Format != "parquet", "-format %q: use jsonl or parquet", w.Format)
	bad(w.Mode == "batch" && !slices.Contains([]string{"gzip", "zstd", "none"}, w.Compression) &&
		!(w.Format == "parquet" && w.Compression == "snappy"),
		"-compression %q: use gzip, zstd or none (or snappy for parquet)", w.Compression)
	bad(w.Format == "parquet" && w.Mode == "batch" && w.CompressionRatio <= 0,
		"parquet: give -compression-ratio, your data's (nothing is measured for it)")
	// The shards default to what the traffic needs: without traffic, that is no fault of -shards.
	bad(w.Shards < 1 && w.RecordsPerSecond > 0 && w.RecordBytes > 0, "-shards %d: want at least 1", w.Shards)
	bad(w.MemoryMB < 128, "-memory %d: want at least 128 (MB)", w.MemoryMB)
	bad(w.BatchSize < 1, "-batch-size %d: want at least 1", w.BatchSize)
	bad(w.Concurrency < 1, "-upload-concurrency %d: want at least 1", w.Concurrency)
	bad(w.RetentionHours < 24, "-retention-hours %d: want at least 24", w.RetentionHours)
	return errors.Join(errs...)
}

// Price estimates the workload's monthly cost with the prices p and the measured speeds s.
func Price(w Workload, p Prices, s Speeds) (Estimate, error) {
	if err := w.Check(); err != nil {
		return Estimate{}, err
	}
	e := Estimate{RecordsPerMonth: w.RecordsPerSecond * secondsPerMonth}
	e.GBPerMonth = e.RecordsPerMonth * w.RecordBytes / gib
	mbps := w.Speed
	if mbps <= 0 {
		var err error
		if mbps, err = s.speed(w); err != nil {
			return Estimate{}, err
		}
	}
	e.Ratio = w.CompressionRatio
	if e.Ratio <= 0 {
		e.Ratio = s.Ratio[w.Compression]
	}
	if w.Mode == "record" {
		e.Ratio = 1 // the record exactly as received
	}
	e.lambda(w, p, s, mbps)
	e.s3(w, p)
	e.kinesis(w, p)
	e.firehose(w, p, s)
	return e, nil
}

// lambda prices the invocations: how many records each gets (the batch fills, or the window ends first; within the
// payload limit), and how long each takes at the measured speed on the function's share of a vCPU, plus the time
// waiting for S3.
func (e *Estimate) lambda(w Workload, p Prices, s Speeds, mbps float64) {
	perShard := w.RecordsPerSecond / float64(w.Shards)
	// Without a window the mapping still reads a shard about once a second, and gets what arrived meanwhile.
	window := max(w.BatchingWindow, pollInterval)
	full := max(1, min(float64(w.BatchSize), math.Floor(payloadLimit/(w.RecordBytes*4/3+eventBytesPerRecord))))
	k := min(full, max(1, perShard*window.Seconds()))
	e.PerInvocation = max(1, math.Floor(k))
	e.Invocations = e.RecordsPerMonth / e.PerInvocation

	cpu := e.PerInvocation * w.RecordBytes / (mbps * 1e6) // seconds on one full core
	waits := 1.0                                          // batch mode: one object per invocation
	if w.Mode == "record" {
		cpu += e.PerInvocation * s.PutCPU.Seconds()
		waits = math.Ceil(e.PerInvocation / float64(w.Concurrency))
	}
	share := min(1, float64(w.MemoryMB)/oneVCPUMB)
	seconds := cpu/share + waits*w.PutLatency.Seconds()
	e.Duration = time.Duration(math.Ceil(seconds*1000)) * time.Millisecond // Lambda bills whole milliseconds
	gbs := e.Invocations * e.Duration.Seconds() * float64(w.MemoryMB) / 1024
	e.Lambda = []Line{
		{"requests", Count(e.Invocations) + " invocations of " + Count(e.PerInvocation) + " records", e.Invocations / 1e6 * p.LambdaPerMillionRequests},
		{"duration (arm64)", Count(gbs) + " GB-s, " + e.Duration.String() + " per invocation", gbs * p.LambdaPerGBSecond},
	}
	// One invocation at a time per shard (parallelization factor 1): when full batches take longer than a shard
	// takes to fill one, the backlog grows.
	if fill := time.Duration(e.PerInvocation / perShard * float64(time.Second)); e.PerInvocation == full && e.Duration > fill {
		e.Warnings = append(e.Warnings, fmt.Sprintf("an invocation takes %v, but a shard fills a batch every %v: the function falls behind unless parallelization_factor, memory_size or the shards grow",
			e.Duration, fill.Round(time.Millisecond)))
	}
	if share < 1 {
		e.Warnings = append(e.Warnings, fmt.Sprintf("at %d MB the function has %.0f%% of a vCPU: each invocation takes %.1f× as long as on a full one, and costs the same GB-s (1,769 MB or more for a full vCPU)",
			w.MemoryMB, 100*share, 1/share))
	}
}

// s3 prices the PUTs (one per record, or one per batch object) and the storage of one month's output.
func (e *Estimate) s3(w Workload, p Prices) {
	puts := e.RecordsPerMonth
	what := "one per record"
	if w.Mode == "batch" {
		puts, what = e.Invocations, "one object per invocation"
	}
	stored := e.GBPerMonth / e.Ratio
	e.PUTs = map[string]float64{"record": e.RecordsPerMonth / 1000 * p.S3PerThousandPuts,
		"batch": e.Invocations / 1000 * p.S3PerThousandPuts}
	e.S3 = []Line{
		{"PUT requests", Count(puts) + " (" + what + ")", puts / 1000 * p.S3PerThousandPuts},
		{"storage, per month kept", fmt.Sprintf("%s GB added a month", Count(stored)), stored * p.S3PerGBMonth},
	}
}

// kinesis prices the stream both ways: on demand (per stream-hour and per GB in, rounded up to 1 KB a record, and
// out) and provisioned (per shard-hour and per 25 KB PUT payload unit), each with retention beyond 24 hours.
func (e *Estimate) kinesis(w Workload, p Prices) {
	in := e.RecordsPerMonth * roundUp(w.RecordBytes, 1024) / gib
	extra := float64(w.RetentionHours-24) / HoursPerMonth // of a month's data, what is held beyond the first day
	e.OnDemand = []Line{
		{"stream-hours", fmt.Sprintf("%d", HoursPerMonth), HoursPerMonth * p.KinesisStreamHour},
		{"data in (1 KB steps)", Count(in) + " GB", in * p.KinesisODPerGBIn},
		{"data out (Lambda)", Count(e.GBPerMonth) + " GB", e.GBPerMonth * p.KinesisODPerGBOut},
	}
	units := e.RecordsPerMonth * math.Ceil(w.RecordBytes/(25*1024))
	shardHours := float64(w.Shards * HoursPerMonth)
	e.Provisioned = []Line{
		{"shard-hours", Count(shardHours), shardHours * p.KinesisShardHour},
		{"PUT payload units (25 KB)", Count(units), units / 1e6 * p.KinesisPerMillionPUTUnits},
	}
	if extra > 0 {
		e.OnDemand = append(e.OnDemand, Line{fmt.Sprintf("retention to %d h", w.RetentionHours),
			Count(e.GBPerMonth*extra) + " GB-month", e.GBPerMonth * extra * p.KinesisODRetentionGBMonth})
		e.Provisioned = append(e.Provisioned, Line{fmt.Sprintf("retention to %d h", w.RetentionHours),
			Count(shardHours) + " shard-hours", shardHours * p.KinesisRetentionShardHour})
	}
	need := ShardsNeeded(w.RecordsPerSecond, w.RecordBytes)
	if w.Shards < need {
		e.Warnings = append(e.Warnings, fmt.Sprintf("%d shards cannot take %.0f records/s of %.0f bytes: a provisioned stream needs at least %d (1,000 records/s or 1 MiB/s each)",
			w.Shards, w.RecordsPerSecond, w.RecordBytes, need))
	}
}

// firehose prices the same records through Amazon Data Firehose (Direct PUT) into S3, gzip-compressed: ingestion
// rounded up to 5 KB a record, one object per buffer, and the same storage.
func (e *Estimate) firehose(w Workload, p Prices, s Speeds) {
	in := e.RecordsPerMonth * roundUp(w.RecordBytes, 5*1024) / gib
	objects := max(e.GBPerMonth*1024/w.FirehoseBufferMB, secondsPerMonth/w.FirehoseBufferInterval.Seconds())
	stored := e.GBPerMonth / s.Ratio["gzip"]
	e.Firehose = []Line{
		{"ingestion (5 KB steps)", Count(in) + " GB", in * p.FirehosePerGB},
		{"S3 PUT requests", Count(objects) + " objects", objects / 1000 * p.S3PerThousandPuts},
		{"S3 storage, per month kept", Count(stored) + " GB (gzip)", stored * p.S3PerGBMonth},
	}
}

func roundUp(x, step float64) float64 { return math.Ceil(x/step) * step }

// Count writes a quantity with thousands separators (two significant digits below 10).
func Count(x float64) string {
	if x < 10 {
		return fmt.Sprintf("%.2g", x)
	}
	s := fmt.Sprintf("%.0f", x)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ShardsNeeded is the fewest provisioned shards that take the traffic: each takes 1,000 records or 1 MiB a second.
func ShardsNeeded(recordsPerSecond, recordBytes float64) int {
	return int(math.Ceil(max(recordsPerSecond/1000, recordsPerSecond*recordBytes/(1<<20))))
}

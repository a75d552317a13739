package cost

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func workload(mode string) Workload {
	return Workload{RecordsPerSecond: 1000, RecordBytes: 1024, Mode: mode, Format: "jsonl", Compression: "zstd",
		Shards: 1, MemoryMB: 512, BatchSize: 500, BatchingWindow: 5 * time.Second, RetentionHours: 168,
		Concurrency: 64, PutLatency: 25 * time.Millisecond, FirehoseBufferMB: 5, FirehoseBufferInterval: 300 * time.Second}
}

func near(got, want float64) bool { return math.Abs(got-want) <= 0.005*math.Abs(want) }

// The figures: at 1,000 records/s, record mode's PUTs alone cost about $13,000 a month; batch mode's, with
// 500 records an invocation, a few tens of dollars.
func TestPUTsOfEachMode(t *testing.T) {
	e, err := Price(workload("record"), DefaultPrices, Measured)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1000.0 * 730 * 3600 / 1000 * 0.005; !near(e.S3[0].Monthly, want) || !near(e.PUTs["record"], want) {
		t.Errorf("record mode PUTs $%.2f, want $%.2f", e.S3[0].Monthly, want)
	}
	if want := 1000.0 * 730 * 3600 / 500 / 1000 * 0.005; !near(e.PUTs["batch"], want) {
		t.Errorf("batch mode PUTs $%.2f, want $%.2f", e.PUTs["batch"], want)
	}
}

// Lambda's duration follows the measured speed on the function's share of a vCPU, plus the S3 waits; requests
// and GB-s follow from it.
func TestLambdaFromTheMeasuredSpeed(t *testing.T) {
	w := workload("batch")
	w.MemoryMB = oneVCPUMB
	s := Speeds{MBps: map[string]float64{"batch+zstd": 100}, Ratio: map[string]float64{"zstd": 4, "gzip": 4}}
	e, err := Price(w, DefaultPrices, s)
	if err != nil {
		t.Fatal(err)
	}
	// 500 records of 1,024 bytes at 100 MB/s on a full core: 5.12 ms, 6 ms billed with the 25 ms PUT... 31 ms.
	if e.PerInvocation != 500 || e.Duration != 31*time.Millisecond {
		t.Fatalf("%v records an invocation, %v each", e.PerInvocation, e.Duration)
	}
	gbs := e.Invocations * 0.031 * oneVCPUMB / 1024
	if !near(e.Lambda[1].Monthly, gbs*DefaultPrices.LambdaPerGBSecond) {
		t.Errorf("duration $%.2f, want $%.2f", e.Lambda[1].Monthly, gbs*DefaultPrices.LambdaPerGBSecond)
	}
	// A quarter of the memory: a quarter of a vCPU, four times the CPU time, the same GB-s for it.
	w.MemoryMB = oneVCPUMB / 4
	share := float64(oneVCPUMB/4) / oneVCPUMB
	if e, _ = Price(w, DefaultPrices, s); e.Duration != time.Duration(math.Ceil(5.12/share+25))*time.Millisecond {
		t.Errorf("at a quarter of a vCPU: %v", e.Duration)
	}
}

func TestBatchesFollowTheMapping(t *testing.T) {
	w := workload("batch")
	w.RecordsPerSecond, w.BatchSize = 10, 10000 // a 5 s window at 10 records/s: 50 records an invocation
	e, _ := Price(w, DefaultPrices, Measured)
	if e.PerInvocation != 50 {
		t.Errorf("%v records an invocation, want 50", e.PerInvocation)
	}
	w.RecordsPerSecond, w.RecordBytes, w.Shards = 100000, 4096, 400 // 250 a shard-second: full batches would be 10,000
	e, _ = Price(w, DefaultPrices, Measured)
	if want := math.Floor(payloadLimit / (4096*4.0/3 + eventBytesPerRecord)); e.PerInvocation != min(1250, want) {
		t.Errorf("%v records an invocation, want %v (the payload limit)", e.PerInvocation, min(1250, want))
	}
}

func TestRoundingOfEachService(t *testing.T) {
	w := workload("batch")
	w.RecordBytes = 100 // rounded up to 1 KB by Kinesis on demand, to 5 KB by Firehose, one 25 KB unit provisioned
	e, _ := Price(w, DefaultPrices, Measured)
	records := 1000.0 * 730 * 3600
	if want := records * 1024 / gib * DefaultPrices.KinesisODPerGBIn; !near(e.OnDemand[1].Monthly, want) {
		t.Errorf("on-demand data in $%.2f, want $%.2f", e.OnDemand[1].Monthly, want)
	}
	if want := records * 5120 / gib * DefaultPrices.FirehosePerGB; !near(e.Firehose[0].Monthly, want) {
		t.Errorf("Firehose ingestion $%.2f, want $%.2f", e.Firehose[0].Monthly, want)
	}
	if want := records / 1e6 * DefaultPrices.KinesisPerMillionPUTUnits; !near(e.Provisioned[1].Monthly, want) {
		t.Errorf("PUT payload units $%.2f, want $%.2f", e.Provisioned[1].Monthly, want)
	}
}

func TestWarnsOfTooFewShards(t *testing.T) {
	w := workload("batch")
	w.RecordsPerSecond = 5000
	e, _ := Price(w, DefaultPrices, Measured)
	if len(e.Warnings) == 0 || !strings.Contains(strings.Join(e.Warnings, "\n"), "needs at least 5") {
		t.Errorf("warnings %q", e.Warnings)
	}
}

func TestRejectsWhatCannotBePriced(t *testing.T) {
	for _, change := range []func(*Workload){
		func(w *Workload) { w.Mode = "batches" },
		func(w *Workload) { w.RecordBytes = 0 },
		func(w *Workload) { w.Mode, w.Format = "batch", "parquet" }, // no ratio and no speed for it
		func(w *Workload) { w.Shards = 0 },
	} {
		w := workload("batch")
		change(&w)
		if _, err := Price(w, DefaultPrices, Measured); err == nil {
			t.Errorf("%+v priced", w)
		}
	}
}

// Measured is what the committed benchmark output says: the constant is checked, not hand-kept.
func TestMeasuredIsTheBenchmarkOutput(t *testing.T) {
	f, err := os.Open("testdata/bench.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := FromBenchmarks(f, Speeds{MBps: map[string]float64{"record": 0, "batch+gzip": 0, "batch+zstd": 0, "batch+none": 0}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range s.MBps {
		if math.Abs(v-Measured.MBps[k]) > 0.05 {
			t.Errorf("%s: the benchmark output says %.1f MB/s, Measured %.1f", k, v, Measured.MBps[k])
		}
	}
	for k, v := range s.Ratio {
		if math.Abs(v-Measured.Ratio[k]) > 0.005 {
			t.Errorf("%s: the benchmark output says ratio %.3f, Measured %.3f", k, v, Measured.Ratio[k])
		}
	}
	if d := s.PutCPU - Measured.PutCPU; d > time.Microsecond || d < -time.Microsecond {
		t.Errorf("PUT CPU: the benchmark output says %v, Measured %v", s.PutCPU, Measured.PutCPU)
	}
}

func TestFromBenchmarksTakesMedians(t *testing.T) {
	out := `goos: linux
BenchmarkInvocation/batch+zstd   	 5	 65191393 ns/op	 20.00 MB/s	 40.00 cpu-MB/s	 4.30 compression-ratio
BenchmarkInvocation/batch+zstd-2 	 5	 65191393 ns/op	 20.00 MB/s	 50.00 cpu-MB/s	 4.40 compression-ratio
BenchmarkInvocation/batch+zstd   	 5	 65191393 ns/op	 20.00 MB/s	 45.00 cpu-MB/s	 4.35 compression-ratio
BenchmarkS3Put 	 2000	 2311603 ns/op	 400.0 cpu-µs/put
PASS`
	s, err := FromBenchmarks(strings.NewReader(out), Measured)
	if err != nil {
		t.Fatal(err)
	}
	if s.MBps["batch+zstd"] != 45 || s.Ratio["zstd"] != 4.35 || s.PutCPU != 400*time.Microsecond || s.MBps["record"] != Measured.MBps["record"] {
		t.Errorf("speeds %+v", s)
	}
	if _, err := FromBenchmarks(strings.NewReader("PASS\n"), Measured); err == nil {
		t.Error("no error for output without figures")
	}
}

// Without a batching window the mapping still reads each shard about once a second: a batch is a second's records,
// not one record.
func TestNoWindowMeansASecondOfRecords(t *testing.T) {
	w := workload("batch")
	w.BatchingWindow = 0
	w.RecordsPerSecond = 200
	e, err := Price(w, DefaultPrices, Measured)
	if err != nil {
		t.Fatal(err)
	}
	if e.PerInvocation != 200 {
		t.Errorf("%v records an invocation, want 200", e.PerInvocation)
	}
}

// Full batches that take longer than a shard takes to fill one mean a growing backlog, which the estimate says.
func TestWarnsWhenTheFunctionFallsBehind(t *testing.T) {
	w := workload("record") // 500 PUTs an invocation, 64 at a time, 25 ms each: 200 ms of waiting alone
	s := Measured
	s.PutCPU = 2 * time.Millisecond // 1 s of CPU for a batch that a shard fills in 0.5 s
	e, err := Price(w, DefaultPrices, s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(e.Warnings, "\n"), "falls behind") {
		t.Errorf("no warning of a backlog at %v an invocation: %q", e.Duration, e.Warnings)
	}
	w.Mode = "batch"
	if e, _ = Price(w, DefaultPrices, s); strings.Contains(strings.Join(e.Warnings, "\n"), "falls behind") {
		t.Errorf("batch mode at %v an invocation warned: %q", e.Duration, e.Warnings)
	}
}

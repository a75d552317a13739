package test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
	"github.com/kinesis2s3/kinesis2s3/local/emulators"
)

// envMeasure opts into the measurements, which print figures rather than assert them.
const envMeasure = "E2E_MEASURE"

// TestE2EMeasure measures the pipeline end to end on each target (local; AWS with E2E_AWS=1) and prints:
//
//   - latency-batch/window=Ns: batch mode (gzip) fed at E2E_MEASURE_RATE records/s (default 1,000) for
//     E2E_MEASURE_DURATION (default 60s), once for each batching window in E2E_MEASURE_WINDOWS (whole seconds,
//     default "1,5"); for each record, the time from its PutRecords call returning to the first listing of the
//     bucket that shows an object holding it (the bucket is listed every 100 ms), as p50/p95/p99/max, against the
//     goal p99 ≤ window + 2 s;
//   - drain/MODE for record, batch-gzip and batch-zstd: E2E_MEASURE_RECORDS records (default 20,000 in record mode,
//     60,000 in batch mode) loaded into the stream while the event source mapping is paused, then the mapping
//     enabled; records/s from enabling it to the last record written: the most the pipeline drains. On the local
//     target it also prints the CPU each component used meanwhile, which tells what limits the rate.
//
// The event source mapping settings are the Terraform defaults (batch size 500, parallelization 1) unless
// E2E_MEASURE_BATCH_SIZE says otherwise; E2E_MEASURE_SHARDS shards (default 4); the drains use the default
// window, 5 s, which a backlog never waits for. Every record must arrive exactly once; nothing else is asserted:
// the figures depend on the machine.
//
//	E2E_MEASURE=1 go test -count=1 -v -timeout 30m -run E2EMeasure/local ./test/
//	E2E_MEASURE=1 E2E_MEASURE_WINDOWS=1 go test -count=1 -v -timeout 30m -run E2EMeasure/local/latency ./test/
func TestE2EMeasure(t *testing.T) {
	if os.Getenv(envMeasure) != "1" {
		t.Skipf("measurements not selected: set %s=1 (they take a few minutes and print figures)", envMeasure)
	}
	t.Run("local", func(t *testing.T) { measure(t, newLocalTarget(t)) })
	t.Run("aws", func(t *testing.T) { measure(t, newAWSTarget(t)) })
}

// measure runs the measurements one after the other, so that they do not compete for the machine.
func measure(t *testing.T, target Target) {
	logLoad(t)
	settings := PipelineSettings{Shards: envInt(t, "E2E_MEASURE_SHARDS", 4), BatchSize: envInt(t, "E2E_MEASURE_BATCH_SIZE", 500),
		WithoutFaults: true}
	for _, w := range envInts(t, "E2E_MEASURE_WINDOWS", "1,5") {
		t.Run(fmt.Sprintf("latency-batch/window=%ds", w), func(t *testing.T) {
			s := settings
			s.OutputMode, s.Compression, s.BatchingWindow = "batch", "gzip", time.Duration(w)*time.Second
			measureLatency(t, target.Deploy(t, s), s, envInt(t, "E2E_MEASURE_RATE", 1000),
				time.Duration(envInt(t, "E2E_MEASURE_DURATION", 60))*time.Second)
		})
	}
	for _, m := range []struct{ name, output, compression string }{
		{"record", "record", "gzip"}, {"batch-gzip", "batch", "gzip"}, {"batch-zstd", "batch", "zstd"},
	} {
		t.Run("drain/"+m.name, func(t *testing.T) {
			s := settings
			s.OutputMode, s.Compression, s.Paused, s.BatchingWindow = m.output, m.compression, true, 5*time.Second
			records := 20000
			if m.output == "batch" {
				records = 60000
			}
			measureDrain(t, target.Deploy(t, s), s, envInt(t, "E2E_MEASURE_RECORDS", records))
		})
	}
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

func envInts(t *testing.T, name, def string) []int {
	v := os.Getenv(name)
	if v == "" {
		v = def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			t.Fatalf("%s=%q: want comma-separated whole numbers", name, v)
		}
		out = append(out, n)
	}
	return out
}

// logLoad prints the machine's load, which the figures depend on: other work on the machine competes with the
// pipeline for its cores.
func logLoad(t *testing.T) {
	load, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		load = []byte("unknown")
	}
	t.Logf("machine: %d CPUs, load average %s", runtime.NumCPU(), strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
}

// measureRecord is the JSON of a measured record: its number, and padding to a typical event size.
type measureRecord struct {
	N   int    `json:"n"`
	Pad string `json:"pad"`
}

const measurePad = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"

func measureEntries(from, n int) []kinesistypes.PutRecordsRequestEntry {
	out := make([]kinesistypes.PutRecordsRequestEntry, n)
	for i := range n {
		data, _ := json.Marshal(measureRecord{N: from + i, Pad: measurePad})
		out[i] = kinesistypes.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String("k" + strconv.Itoa(from+i))}
	}
	return out
}

// putAll puts the entries, resending rejected ones, and returns, once Kinesis has accepted all of them, where each
// must end up.
func putAll(t *testing.T, d *Deployment, entries []kinesistypes.PutRecordsRequestEntry) []ledger.Expect {
	var want []ledger.Expect
	for attempt := 0; len(entries) > 0; attempt++ {
		if attempt == 20 {
			t.Errorf("PutRecords: %d records rejected 20 times", len(entries))
			return want
		}
		out, err := d.Kinesis.PutRecords(t.Context(), &kinesis.PutRecordsInput{StreamName: aws.String(d.StreamName), Records: entries})
		if err != nil {
			t.Errorf("PutRecords: %v", err)
			return want
		}
		var rejected []kinesistypes.PutRecordsRequestEntry
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				rejected = append(rejected, entries[i])
				continue
			}
			want = append(want, ledger.Expect{ShardID: aws.ToString(r.ShardId), SequenceNumber: aws.ToString(r.SequenceNumber),
				SubIndex: -1, Data: entries[i].Data})
		}
		entries = rejected
		if len(entries) > 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	return want
}

func measureLatency(t *testing.T, d *Deployment, s PipelineSettings, rate int, duration time.Duration) {
	var mu sync.Mutex
	acked := map[int]time.Time{} // record -> its PutRecords call returned
	seen := map[int]time.Time{}  // record -> first listing that showed an object holding it
	duplicates := 0
	total := rate * int(duration/time.Second)

	stopObserver := make(chan struct{})
	observerDone := make(chan struct{})
	go func() {
		defer close(observerDone)
		keys := map[string]bool{}
		for {
			page := s3.NewListObjectsV2Paginator(d.S3, &s3.ListObjectsV2Input{Bucket: aws.String(d.Bucket), Prefix: aws.String(d.Layout.KeyPrefix)})
			var fresh []string
			for page.HasMorePages() {
				out, err := page.NextPage(t.Context())
				if err != nil {
					t.Errorf("list: %v", err)
					return
				}
				for _, o := range out.Contents {
					if k := aws.ToString(o.Key); !keys[k] {
						keys[k] = true
						fresh = append(fresh, k)
					}
				}
			}
			at := time.Now()
			for _, k := range fresh {
				ns, err := objectRecords(t, d, k)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, n := range ns {
					if _, dup := seen[n]; dup {
						duplicates++
					} else {
						seen[n] = at
					}
				}
				mu.Unlock()
			}
			mu.Lock()
			done := len(seen) >= total
			mu.Unlock()
			select {
			case <-stopObserver:
				return
			default:
			}
			if done {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	// The producer: a PutRecords call of rate/10 records every 100 ms, each call in its own goroutine so that a
	// slow call does not lower the rate.
	perCall := max(rate/10, 1)
	var calls sync.WaitGroup
	inFlight := make(chan struct{}, 8) // a stream that cannot keep up slows the producer down, which shows below
	tick := time.NewTicker(100 * time.Millisecond)
	began := time.Now()
	for sent := 0; sent < total; sent += perCall {
		<-tick.C
		entries := measureEntries(sent, min(perCall, total-sent))
		inFlight <- struct{}{}
		calls.Go(func() {
			defer func() { <-inFlight }()
			putAll(t, d, entries)
			at := time.Now()
			mu.Lock()
			defer mu.Unlock()
			for i := range entries {
				var r measureRecord
				_ = json.Unmarshal(entries[i].Data, &r)
				acked[r.N] = at
			}
		})
	}
	tick.Stop()
	calls.Wait()
	feedTime := time.Since(began)

	select {
	case <-observerDone:
	case <-time.After(d.Patience):
		close(stopObserver)
		<-observerDone
	}
	mu.Lock()
	defer mu.Unlock()
	var lat []time.Duration
	for n, a := range acked {
		if s, ok := seen[n]; ok {
			lat = append(lat, max(s.Sub(a), 0))
		}
	}
	if len(lat) != total {
		t.Errorf("%d of %d records arrived", len(lat), total)
	}
	if duplicates > 0 {
		t.Errorf("%d records arrived twice", duplicates)
	}
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	goal := s.BatchingWindow + 2*time.Second
	verdict := "met"
	if pct(0.99) > goal {
		verdict = "MISSED"
	}
	t.Logf("LATENCY batch mode (gzip), %d records offered at %d/s for %s, fed at %.0f/s (in %s), %d shards, batch size %d, window %s: "+
		"p50 %s  p95 %s  p99 %s  max %s  (PutRecords returned → object listed; listing every 100 ms%s); goal p99 ≤ %s: %s",
		total, rate, duration, float64(total)/feedTime.Seconds(), feedTime.Round(time.Millisecond), s.Shards, s.BatchSize, s.BatchingWindow,
		pct(0.50).Round(time.Millisecond), pct(0.95).Round(time.Millisecond), pct(0.99).Round(time.Millisecond),
		lat[len(lat)-1].Round(time.Millisecond), mappingSummary(d), goal, verdict)
}

// objectRecords reads a gzip JSON Lines object and returns the record numbers in it.
func objectRecords(t *testing.T, d *Deployment, key string) ([]int, error) {
	out, err := d.S3.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(d.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	zr, err := gzip.NewReader(out.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	var ns []int
	for line := range bytes.Lines(body) {
		var r measureRecord
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("%s: line %q: %w", key, line, err)
		}
		ns = append(ns, r.N)
	}
	return ns, nil
}

// measureDrain loads a backlog with the mapping paused, enables the mapping and measures how fast the pipeline
// works through it.
func measureDrain(t *testing.T, d *Deployment, s PipelineSettings, total int) {
	// Written records: the mapping's checkpointed count where the target exposes it (it moves only after the
	// function's uploads succeeded), else the ledger's.
	c, err := ledger.NewChecker(d.S3, d.Bucket, d.Layout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var want []ledger.Expect
	var wantMu sync.Mutex
	written := func() int {
		if d.MappingStats != nil {
			return int(d.MappingStats().RecordsSucceeded)
		}
		rep, err := c.Check(t.Context(), want)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Written
	}
	// The backlog goes in while the mapping is paused, so that the figure is the pipeline's (reading the
	// stream, invoking, writing) and not the producer's.
	began := time.Now()
	var puts sync.WaitGroup
	const workers = 4
	for w := range workers {
		puts.Go(func() {
			for from := w * 500; from < total; from += workers * 500 {
				got := putAll(t, d, measureEntries(from, min(500, total-from)))
				wantMu.Lock()
				want = append(want, got...)
				wantMu.Unlock()
			}
		})
	}
	puts.Wait()
	putTime := time.Since(began)

	cpuBefore := cpuByComponent(t, d)
	began = time.Now()
	if err := d.Resume(t.Context()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(d.Patience + time.Duration(total/50)*time.Second)
	poll := 50 * time.Millisecond
	if d.MappingStats == nil {
		poll = 5 * time.Second
	}
	for written() < total && time.Now().Before(deadline) {
		time.Sleep(poll)
	}
	elapsed := time.Since(began)
	cpuAfter := cpuByComponent(t, d)
	if n := written(); n < total {
		t.Errorf("%d of %d records written", n, total)
	}
	// Every record exactly once, whatever the target: the figure is about records in S3.
	rep, err := c.Check(t.Context(), want)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Error(err)
	}
	pageTime, pageSize := getRecordsLatency(t, d, want)
	readCeiling := float64(s.Shards*pageSize) / pageTime.Seconds()
	t.Logf("DRAIN %s, %d records, %d shards, batch size %d: %.0f records/s end to end "+
		"(%s from enabling the mapping on the backlog to the last record written%s; loading the backlog with PutRecords took %s, %.0f records/s)"+
		"; GetRecords answers %d records in %s with every shard read at once, one call at a time, as the mapping reads: at most %.0f records/s%s",
		describeOutput(s), total, s.Shards, s.BatchSize, float64(total)/elapsed.Seconds(), elapsed.Round(time.Millisecond), mappingSummary(d),
		putTime.Round(time.Millisecond), float64(total)/putTime.Seconds(), pageSize, pageTime.Round(time.Millisecond), readCeiling,
		cpuReport(cpuBefore, cpuAfter, elapsed, total, readCeiling))
}

// getRecordsLatency reads the first pages of every shard of the records, all shards at once, as the mapping reads a
// backlog (a Limit of twice the batch size, 1,000 by default, one call at a time per shard), and returns the mean
// time per call and records per page.
func getRecordsLatency(t *testing.T, d *Deployment, want []ledger.Expect) (time.Duration, int) {
	shards := map[string]bool{}
	for _, e := range want {
		shards[e.ShardID] = true
	}
	var mu sync.Mutex
	var took time.Duration
	records, calls := 0, 0
	var wg sync.WaitGroup
	for shard := range shards {
		wg.Go(func() {
			it, err := d.Kinesis.GetShardIterator(t.Context(), &kinesis.GetShardIteratorInput{StreamName: aws.String(d.StreamName),
				ShardId: aws.String(shard), ShardIteratorType: kinesistypes.ShardIteratorTypeTrimHorizon})
			if err != nil {
				t.Error(err)
				return
			}
			iter := it.ShardIterator
			for range 3 {
				began := time.Now()
				out, err := d.Kinesis.GetRecords(t.Context(), &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				took += time.Since(began)
				records += len(out.Records)
				calls++
				mu.Unlock()
				if iter = out.NextShardIterator; iter == nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if calls == 0 {
		return time.Hour, 1
	}
	return took / time.Duration(calls), records / calls
}

func describeOutput(s PipelineSettings) string {
	if s.OutputMode == "batch" {
		return "batch mode (" + s.Compression + ")"
	}
	return s.OutputMode + " mode"
}

// cpuByComponent is the CPU time each component of a local deployment has used so far, and the machine's busy and
// total CPU time (Linux); nil elsewhere.
func cpuByComponent(t *testing.T, d *Deployment) *cpuSample {
	if d.Processes == nil {
		return nil
	}
	procs, err := d.Processes()
	if err != nil {
		t.Fatal(err)
	}
	s := &cpuSample{components: map[string]time.Duration{}}
	for name, pids := range procs {
		if s.components[name], err = emulators.CPUTime(pids...); err != nil {
			t.Fatal(err)
		}
	}
	s.busy, s.total = machineCPU()
	return s
}

type cpuSample struct {
	components  map[string]time.Duration
	busy, total time.Duration // the whole machine, all cores; zero where /proc/stat is missing
}

// machineCPU reads the machine's busy and total CPU time from /proc/stat (every core: user, nice, system, idle,
// iowait, irq, softirq, steal, in ticks of 10ms); idle and iowait are the time not busy.
func machineCPU() (busy, total time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	var ticks [8]int64
	for i := range ticks {
		ticks[i], _ = strconv.ParseInt(f[i+1], 10, 64)
	}
	var sum int64
	for _, v := range ticks {
		sum += v
	}
	tick := 10 * time.Millisecond
	return time.Duration(sum-ticks[3]-ticks[4]) * tick, time.Duration(sum) * tick
}

// cpuReport says what each component used during the drain of n records: its share of one core, busiest first, and
// its CPU time per record; how busy the machine was; and, from the CPU per record, which ceiling binds on this
// machine with nothing else running: a single-threaded component (the Node emulators run their JavaScript on one
// thread) at one core, or all components together at all cores. CPU per record hardly changes with other work on
// the machine, where the rate does: the ceilings hold on a shared machine too. Whichever is lower, that or the
// rate at which the shards can be read (readCeiling), is what limits the drain.
func cpuReport(before, after *cpuSample, elapsed time.Duration, n int, readCeiling float64) string {
	if after == nil {
		return ""
	}
	type use struct {
		name      string
		cpu       time.Duration
		singleton bool // one thread does its work
	}
	var uses []use
	var ours time.Duration
	for _, name := range slices.Sorted(maps.Keys(after.components)) {
		u := use{name, after.components[name] - before.components[name],
			name == emulators.Kinesalite || name == emulators.KinesisMock || name == "fauxqs"}
		uses = append(uses, u)
		ours += u.cpu
	}
	slices.SortFunc(uses, func(a, b use) int { return int(b.cpu - a.cpu) })
	cores := runtime.NumCPU()
	var parts []string
	for _, u := range uses {
		parts = append(parts, fmt.Sprintf("%s %.0f%% (%dµs/record)", u.name, 100*float64(u.cpu)/float64(elapsed), u.cpu.Microseconds()/int64(n)))
	}
	report := fmt.Sprintf("; CPU during the drain, as a share of one core: %s", strings.Join(parts, ", "))
	if total := after.total - before.total; total > 0 {
		busy := float64(after.busy-before.busy) / float64(total)
		report += fmt.Sprintf("; the machine's %d cores were %.0f%% busy, %.0f%% with other work", cores, 100*busy,
			max(0, 100*(busy-float64(ours)/float64(elapsed)/float64(cores))))
	}
	// Ceilings on an idle machine: a single-threaded component cannot use more than one core, and all together
	// not more than all of them.
	limit, ceiling := fmt.Sprintf("all %d cores", cores), float64(n)*float64(cores)*float64(time.Second)/float64(ours)
	for _, u := range uses {
		if c := float64(n) * float64(time.Second) / float64(u.cpu); u.singleton && c < ceiling {
			limit, ceiling = u.name+"'s one thread", c
		}
	}
	report += fmt.Sprintf("; CPU ceiling on an idle machine: %.0f records/s, set by %s", ceiling, limit)
	if readCeiling < ceiling {
		return report + "; so reading the stream limits the rate, not the CPU"
	}
	return report + "; so the CPU limits the rate"
}

// mappingSummary is "; mapping: N invocations, M records per invocation" where the target shows the mapping.
func mappingSummary(d *Deployment) string {
	if d.MappingStats == nil {
		return ""
	}
	st := d.MappingStats()
	return fmt.Sprintf("; mapping: %d invocations, %.0f records per invocation", st.Invocations, float64(st.RecordsSucceeded)/float64(max(st.Invocations, 1)))
}

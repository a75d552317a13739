package test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// envMeasure opts into the measurements, which print figures rather than assert them.
const envMeasure = "E2E_MEASURE"

// TestE2EMeasure measures the pipeline end to end on each target (local; AWS with E2E_AWS=1) and prints:
//
//   - latency: batch mode (gzip) fed at E2E_MEASURE_RATE records/s (default 1,000) for E2E_MEASURE_DURATION
//     (default 60s); for each record, the time from its PutRecords call returning to the first listing of the
//     bucket that shows an object holding it (the bucket is listed every 100 ms), as p50/p95/p99/max;
//   - throughput: record mode, E2E_MEASURE_RECORDS records (default 10,000) loaded into the stream while the
//     event source mapping is paused, then the mapping enabled; records/s from enabling it to the last record
//     written.
//
// The event source mapping settings are the Terraform defaults (batch size 500, window 5 s, parallelization 1)
// unless E2E_MEASURE_BATCH_SIZE or E2E_MEASURE_WINDOW (whole seconds) say otherwise; E2E_MEASURE_SHARDS shards
// (default 2). Nothing is asserted beyond every record arriving: the figures depend on the machine.
//
//	E2E_MEASURE=1 go test -count=1 -v -timeout 30m -run E2EMeasure ./test/
//	E2E_MEASURE=1 E2E_MEASURE_WINDOW=1 go test -count=1 -v -timeout 30m -run E2EMeasure/local/latency ./test/
func TestE2EMeasure(t *testing.T) {
	if os.Getenv(envMeasure) != "1" {
		t.Skipf("measurements not selected: set %s=1 (they take a few minutes and print figures)", envMeasure)
	}
	t.Run("local", func(t *testing.T) { measure(t, newLocalTarget(t)) })
	t.Run("aws", func(t *testing.T) { measure(t, newAWSTarget(t)) })
}

// measure runs the measurements one after the other, so that they do not compete for the machine.
func measure(t *testing.T, target Target) {
	settings := PipelineSettings{Shards: envInt(t, "E2E_MEASURE_SHARDS", 2), BatchSize: envInt(t, "E2E_MEASURE_BATCH_SIZE", 500),
		BatchingWindow: time.Duration(envInt(t, "E2E_MEASURE_WINDOW", 5)) * time.Second}
	t.Run("latency-batch", func(t *testing.T) {
		s := settings
		s.OutputMode, s.Compression = "batch", "gzip"
		measureLatency(t, target.Deploy(t, s), s, envInt(t, "E2E_MEASURE_RATE", 1000),
			time.Duration(envInt(t, "E2E_MEASURE_DURATION", 60))*time.Second)
	})
	t.Run("throughput-record", func(t *testing.T) {
		s := settings
		s.OutputMode, s.Paused = "record", true
		measureThroughput(t, target.Deploy(t, s), s, envInt(t, "E2E_MEASURE_RECORDS", 10000))
	})
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

// putAll puts the entries, resending rejected ones, and returns when Kinesis has accepted all of them.
func putAll(t *testing.T, d *Deployment, entries []kinesistypes.PutRecordsRequestEntry) {
	for attempt := 0; len(entries) > 0; attempt++ {
		if attempt == 20 {
			t.Errorf("PutRecords: %d records rejected 20 times", len(entries))
			return
		}
		out, err := d.Kinesis.PutRecords(t.Context(), &kinesis.PutRecordsInput{StreamName: aws.String(d.StreamName), Records: entries})
		if err != nil {
			t.Errorf("PutRecords: %v", err)
			return
		}
		var rejected []kinesistypes.PutRecordsRequestEntry
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				rejected = append(rejected, entries[i])
			}
		}
		entries = rejected
		if len(entries) > 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func measureLatency(t *testing.T, d *Deployment, s PipelineSettings, rate int, duration time.Duration) {
	var mu sync.Mutex
	acked := map[int]time.Time{} // record -> its PutRecords call returned
	seen := map[int]time.Time{}  // record -> first listing that showed an object holding it
	duplicates := 0
	total := rate * int(duration/time.Second)

	// The producer: a PutRecords call of rate/10 records every 100 ms, each call in its own goroutine so that a
	// slow call does not lower the rate.
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
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	stats := mappingSummary(d)
	t.Logf("LATENCY batch mode (gzip), %d records offered at %d/s for %s, fed at %.0f/s (in %s), %d shards, batch size %d, window %s: "+
		"p50 %s  p95 %s  p99 %s  max %s  (PutRecords returned → object listed; listing every 100 ms; %d duplicates%s)",
		total, rate, duration, float64(total)/feedTime.Seconds(), feedTime.Round(time.Millisecond), s.Shards, s.BatchSize, s.BatchingWindow,
		pct(0.50).Round(time.Millisecond), pct(0.95).Round(time.Millisecond), pct(0.99).Round(time.Millisecond),
		lat[len(lat)-1].Round(time.Millisecond), duplicates, stats)
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

func measureThroughput(t *testing.T, d *Deployment, s PipelineSettings, total int) {
	// Written records: the mapping's checkpointed count where the target exposes it (it moves only after the
	// function's uploads succeeded), else a listing of the bucket.
	written := func() int {
		if d.MappingStats != nil {
			return int(d.MappingStats().RecordsSucceeded)
		}
		return countObjects(t, d)
	}
	// The backlog goes in while the mapping is paused, so that the figure is the pipeline's (reading the
	// stream, invoking, writing) and not the producer's.
	began := time.Now()
	var puts sync.WaitGroup
	const workers = 4
	for w := range workers {
		puts.Go(func() {
			for from := w * 500; from < total; from += workers * 500 {
				putAll(t, d, measureEntries(from, min(500, total-from)))
			}
		})
	}
	puts.Wait()
	putTime := time.Since(began)

	began = time.Now()
	if err := d.Resume(t.Context()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(d.Patience)
	poll := 50 * time.Millisecond
	if d.MappingStats == nil {
		poll = time.Second
	}
	for written() < total && time.Now().Before(deadline) {
		time.Sleep(poll)
	}
	elapsed := time.Since(began)
	if n := written(); n < total {
		t.Errorf("%d of %d records written", n, total)
	}
	// Count the objects at the end, whatever the target, so that the figure is about objects in S3.
	if objects := countObjects(t, d); objects != total {
		t.Errorf("%d objects in the bucket, want %d", objects, total)
	}
	stats := mappingSummary(d)
	t.Logf("THROUGHPUT record mode, %d records, %d shards, batch size %d, window %s: %.0f records/s end to end "+
		"(%s from enabling the mapping on the backlog to the last record written%s; loading the backlog with PutRecords took %s, %.0f records/s)",
		total, s.Shards, s.BatchSize, s.BatchingWindow, float64(total)/elapsed.Seconds(), elapsed.Round(time.Millisecond), stats,
		putTime.Round(time.Millisecond), float64(total)/putTime.Seconds())
}

// mappingSummary is "; mapping: N invocations, M records per invocation" where the target shows the mapping.
func mappingSummary(d *Deployment) string {
	if d.MappingStats == nil {
		return ""
	}
	st := d.MappingStats()
	return fmt.Sprintf("; mapping: %d invocations, %.0f records per invocation", st.Invocations, float64(st.RecordsSucceeded)/float64(max(st.Invocations, 1)))
}

func countObjects(t *testing.T, d *Deployment) int {
	return len(listObjects(t, d.S3, d.Bucket, d.Layout.KeyPrefix))
}

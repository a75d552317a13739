package process

import (
	"bytes"
	"context"
	"fmt"
	stdmaps "maps"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// multiShardHours is an event of three shards' records over three hours, interleaved, with an invalid record now
// and then: nine objects of 600 kB of lines each, large enough for layout.Encoder to pipeline.
func multiShardHours() []events.KinesisEventRecord {
	var rs []events.KinesisEventRecord
	for i := range 6000 {
		shard := fmt.Sprintf("shardId-00000000000%d", i%3)
		arrival := t0.Add(time.Duration(i/2000) * time.Hour)
		data := fmt.Sprintf(`{ "n" : %d, "shard": %d, "text": %q, "tags": [ %d, "x" ] }`, i, i%3, strings.Repeat("word ", 150+i%60), i*7)
		if i%97 == 13 {
			data = data[:len(data)/2] // not JSON: quarantined
		}
		rs = append(rs, rec(shard, i, arrival, data))
	}
	return rs
}

// processWith processes records on procs cores (GOMAXPROCS) with a fresh Processor and bucket.
func processWith(t *testing.T, procs int, compression string, records []events.KinesisEventRecord, fail func(string) bool) (*memWriter, events.KinesisEventResponse, Metrics) {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	w := newMem()
	w.fail = fail
	c := cfg("batch")
	c.Compression = compression
	resp, m, err := newProc(t, c, w).Process(context.Background(), records)
	if err != nil {
		t.Fatal(err)
	}
	return w, resp, m
}

// TestSameOnOneAndTwoCores holds the invocation on two cores, where encoding is pipelined and uploads overlap the
// next object's encoding, to the invocation on one: the same objects byte for byte under the same keys, the same
// quarantine, the same response and metrics; and, when a write fails, the same checkpoint.
func TestSameOnOneAndTwoCores(t *testing.T) {
	records := multiShardHours()
	for _, compression := range []string{"zstd", "gzip", "none"} {
		one, respOne, mOne := processWith(t, 1, compression, records, nil)
		two, respTwo, mTwo := processWith(t, 2, compression, records, nil)
		if len(one.keys("kinesis/")) != 9 || len(one.keys("errors/")) == 0 {
			t.Fatalf("%s: %d data objects and %d quarantined, want 9 and some: the test does not test what it says",
				compression, len(one.keys("kinesis/")), len(one.keys("errors/")))
		}
		for _, k := range one.keys("kinesis/") {
			if compression == "none" && len(one.objects[k]) < 512<<10 {
				t.Fatalf("%s has %d bytes of lines, fewer than layout.Encoder pipelines", k, len(one.objects[k]))
			}
		}
		if !stdmaps.EqualFunc(one.objects, two.objects, bytes.Equal) || !stdmaps.Equal(one.types, two.types) {
			t.Errorf("%s: objects differ: %v and %v", compression, slices.Sorted(stdmaps.Keys(one.objects)), slices.Sorted(stdmaps.Keys(two.objects)))
		}
		mOne.Took, mTwo.Took = Timings{}, Timings{} // times differ from run to run
		if fmt.Sprint(respOne) != fmt.Sprint(respTwo) || mOne != mTwo {
			t.Errorf("%s: response %v, metrics %+v on one core; %v, %+v on two", compression, respOne, mOne, respTwo, mTwo)
		}

		// The fifth data object fails: the checkpoint is its first record, whatever was written after it.
		fifth := slices.Sorted(stdmaps.Keys(one.objects))[4]
		fail := func(key string) bool { return key == fifth }
		_, respOne, _ = processWith(t, 1, compression, records, fail)
		_, respTwo, _ = processWith(t, 2, compression, records, fail)
		if len(respOne.BatchItemFailures) != 1 || fmt.Sprint(respOne) != fmt.Sprint(respTwo) {
			t.Errorf("%s, %s failing: response %v on one core, %v on two", compression, fifth, respOne, respTwo)
		}
	}
}

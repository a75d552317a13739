package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/event"
	"github.com/kinesis2s3/kinesis2s3/function/process"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// bucket keeps objects in memory; fail makes the Put of a key fail.
type bucket struct {
	mu      sync.Mutex
	objects map[string][]byte
	fail    func(key string) bool
}

func (b *bucket) Put(_ context.Context, key string, body []byte, _ string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil && b.fail(key) {
		return errors.New("injected failure")
	}
	b.objects[key] = bytes.Clone(body)
	return nil
}

func newHandler(t *testing.T, mode string, b *bucket, metrics *bytes.Buffer) *Handler {
	t.Helper()
	cfg := config.Config{Bucket: "b", OutputMode: mode, KeyPrefix: "kinesis/", Compression: config.CompressionNone,
		ErrorPrefix: "errors/", OnInvalidRecord: config.InvalidQuarantine, UploadConcurrency: 4}
	proc, err := process.New(cfg, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := New(proc, nil, "fn", metrics)
	h.MetricsLevel = config.MetricsLevel(os.LookupEnv) // as the bootstrap sets it
	return h
}

var source = kinesisevent.Source{StreamARN: "arn:aws:kinesis:us-east-1:1:stream/s", Region: "us-east-1", InvokeIdentityARN: "role"}

func testEvent(t *testing.T, data ...string) ([]byte, []string) {
	t.Helper()
	var recs []kinesisevent.Record
	var seqs []string
	for i, d := range data {
		seq := fmt.Sprintf("4959033827149025660855969253836157109592157598913658889%d", i)
		seqs = append(seqs, seq)
		recs = append(recs, kinesisevent.Record{ShardID: "shardId-000000000001", SequenceNumber: seq, PartitionKey: "k",
			Data: []byte(d), Arrival: time.Date(2026, 3, 5, 7, 0, i, 0, time.UTC)})
	}
	ev, err := kinesisevent.Encode(source, recs)
	if err != nil {
		t.Fatal(err)
	}
	return ev, seqs
}

// From the raw payload to the objects and the partial-batch response, as the Lambda runtime calls it.
func TestInvoke(t *testing.T) {
	b := &bucket{objects: map[string][]byte{}}
	var metrics bytes.Buffer
	h := newHandler(t, config.ModeRecord, b, &metrics)
	ev, seqs := testEvent(t, `{"a":1}`, `not json`, `[2]`)
	resp, err := h.Invoke(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if string(resp) != `{"batchItemFailures":[]}` {
		t.Errorf("response %s", resp)
	}
	if got := string(b.objects["kinesis/"+seqs[0]+".json"]); got != `{"a":1}` {
		t.Errorf("first record's object: %q (objects %d)", got, len(b.objects))
	}
	if len(b.objects) != 3 { // two data objects and one quarantine object
		t.Errorf("%d objects", len(b.objects))
	}
	var emf map[string]any
	if err := json.Unmarshal(metrics.Bytes(), &emf); err != nil || emf["RecordsWritten"] != 2.0 || emf["RecordsQuarantined"] != 1.0 {
		t.Errorf("metrics line %s: %v", metrics.Bytes(), err)
	}
}

func TestInvokeReportsTheFirstRecordNotWritten(t *testing.T) {
	ev, seqs := testEvent(t, `{"n":0}`, `{"n":1}`, `{"n":2}`)
	b := &bucket{objects: map[string][]byte{}, fail: func(key string) bool { return strings.Contains(key, seqs[1]) }}
	resp, err := newHandler(t, config.ModeRecord, b, new(bytes.Buffer)).Invoke(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"batchItemFailures":[{"itemIdentifier":"` + seqs[1] + `"}]}`; string(resp) != want {
		t.Errorf("response %s, want %s", resp, want)
	}
}

// A payload that is not a Kinesis event fails the invocation with the decoder's error, and writes nothing.
func TestInvokeRejectsAMalformedEvent(t *testing.T) {
	b := &bucket{objects: map[string][]byte{}}
	var metrics bytes.Buffer
	h := newHandler(t, config.ModeBatch, b, &metrics)
	for _, payload := range []string{`{"Records":[{"kinesis":{"data":"not base64"}}]}`, `{"Records":`, `[]`} {
		_, err := h.Invoke(context.Background(), []byte(payload))
		var e *event.Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %v", payload, err)
		}
	}
	if len(b.objects) != 0 || metrics.Len() != 0 {
		t.Errorf("objects %d, metrics %q", len(b.objects), metrics.Bytes())
	}
}

// The handler reads each event's records into the table of the one before (see event.Decoder.Release): an invocation
// with a smaller event after a larger one writes exactly what a new handler writes for it, and answers the same.
func TestInvokeAfterALargerEvent(t *testing.T) {
	var large []string
	for i := range 60 {
		large = append(large, fmt.Sprintf(`{"large":%d,"pad":%q}`, i, strings.Repeat("L", i)))
	}
	largeEvent, _ := testEvent(t, large...)
	smallEvent, _ := testEvent(t, `{"small":0}`, `not json`, `{"small":2}`)
	// Without arrival times, which a record left over in the table would still have.
	smallEvent = regexp.MustCompile(`,?"approximateArrivalTimestamp":[0-9.]+`).ReplaceAll(smallEvent, nil)
	if bytes.Contains(smallEvent, []byte("approximateArrivalTimestamp")) {
		t.Fatalf("arrival times left in %s", smallEvent)
	}
	for _, mode := range []string{config.ModeBatch, config.ModeRecord} {
		t.Run(mode, func(t *testing.T) {
			used := &bucket{objects: map[string][]byte{}}
			h := newHandler(t, mode, used, new(bytes.Buffer))
			if _, err := h.Invoke(context.Background(), largeEvent); err != nil {
				t.Fatal(err)
			}
			for i, ev := range [][]byte{smallEvent, largeEvent, smallEvent} {
				used.objects = map[string][]byte{}
				resp, err := h.Invoke(context.Background(), ev)
				fresh := &bucket{objects: map[string][]byte{}}
				want, wantErr := newHandler(t, mode, fresh, new(bytes.Buffer)).Invoke(context.Background(), ev)
				if err != nil || wantErr != nil || !bytes.Equal(resp, want) {
					t.Fatalf("invocation %d: response %s, %v; a new handler's %s, %v", i, resp, err, want, wantErr)
				}
				if !reflect.DeepEqual(used.objects, fresh.objects) {
					t.Fatalf("invocation %d wrote %d objects, a new handler %d:\n%q\n%q", i, len(used.objects),
						len(fresh.objects), used.objects, fresh.objects)
				}
			}
			var all []byte
			for _, body := range used.objects {
				all = append(all, body...)
			}
			for _, want := range []string{`{"small":0}`, `{"small":2}`} {
				if bytes.Count(all, []byte(want)) != 1 {
					t.Errorf("%s written %d times", want, bytes.Count(all, []byte(want)))
				}
			}
			if bytes.Contains(all, []byte("large")) {
				t.Errorf("a record of the larger event written with the smaller one's: %q", all)
			}
		})
	}
}

// Concurrent invocations of one handler each have a decoder and a record table of their own: each answers for its
// own event (and the race detector checks that nothing is shared).
func TestConcurrentInvocations(t *testing.T) {
	seq := func(g, i int) string {
		return fmt.Sprintf("4959033827149025660855969253836157109592157598913658%02d%02d", g, i)
	}
	// Goroutine g's record g is not written: the response names it.
	b := &bucket{objects: map[string][]byte{}, fail: func(key string) bool {
		for g := range 4 {
			if strings.Contains(key, seq(g, g)) {
				return true
			}
		}
		return false
	}}
	cfg := config.Config{Bucket: "b", OutputMode: config.ModeRecord, KeyPrefix: "kinesis/", Compression: config.CompressionNone,
		ErrorPrefix: "errors/", OnInvalidRecord: config.InvalidQuarantine, UploadConcurrency: 4}
	proc, err := process.New(cfg, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := New(proc, nil, "fn", io.Discard)
	var wg sync.WaitGroup
	for g := range 4 {
		recs := make([]kinesisevent.Record, 4+3*g)
		for i := range recs {
			recs[i] = kinesisevent.Record{ShardID: "shardId-000000000001", SequenceNumber: seq(g, i), PartitionKey: "k",
				Data: []byte(fmt.Sprintf(`{"g":%d,"i":%d}`, g, i)), Arrival: time.Date(2026, 3, 5, 7, 0, i, 0, time.UTC)}
		}
		ev, err := kinesisevent.Encode(source, recs)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"batchItemFailures":[{"itemIdentifier":"` + seq(g, g) + `"}]}`
		wg.Go(func() {
			for range 20 {
				if resp, err := h.Invoke(context.Background(), ev); err != nil || string(resp) != want {
					t.Errorf("goroutine %d: response %s, %v; want %s", g, resp, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// The handler is what lambda.Start takes: raw payload in, response bytes out.
var _ interface {
	Invoke(context.Context, []byte) ([]byte, error)
} = (*Handler)(nil)

// An invocation that allocates more than CollectAfter collects its garbage before it returns; a smaller one, or a
// handler without CollectAfter, does not.
func TestInvokeCollectsAfterALargeInvocation(t *testing.T) {
	ev, _ := testEvent(t, `{"s":"`+strings.Repeat("x", 1<<20)+`"}`, `{"n":1}`)
	for _, c := range []struct {
		collectAfter int64
		want         bool
	}{{0, false}, {1 << 30, false}, {1 << 20, true}} {
		h := newHandler(t, config.ModeBatch, &bucket{objects: map[string][]byte{}}, new(bytes.Buffer))
		h.CollectAfter = c.collectAfter
		before := forcedCollections()
		if _, err := h.Invoke(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		if got := forcedCollections() > before; got != c.want {
			t.Errorf("CollectAfter %d: collected %t, want %t", c.collectAfter, got, c.want)
		}
	}
}

func forcedCollections() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

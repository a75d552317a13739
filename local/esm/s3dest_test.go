package esm

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

const testBucket = "failed"

func s3Config() Config {
	cfg := testConfig()
	cfg.OnFailureBucketARN = "arn:aws:s3:::" + testBucket
	cfg.UUID = "f89f8514-cdd9-4602-9e1f-01a5b77d449b"
	return cfg
}

// runS3 runs a mapping with an S3 on-failure destination.
func runS3(t *testing.T, cfg Config, k stream, b S3, script func(int, invocation) (InvokeResult, error)) *harness {
	t.Helper()
	h := newHarness(t, cfg, k, nil, script, nil, WithS3(b))
	h.start(t)
	return h
}

// The object is AWS's record — the SQS record's fields plus the event as a JSON string in payload — under AWS's
// key aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>, dated by the record's
// timestamp; the payload is, byte for byte, the event the records were last invoked with.
func TestS3OnFailureObjectHoldsTheRecordAndTheEvent(t *testing.T) {
	k := newStream(1)
	seqs := k.putN(shard0, 3)
	cfg := s3Config()
	cfg.MaximumRetryAttempts = 1
	b := awsfake.NewBucket(testBucket)
	var lastPayload atomic.Value
	h := newHarness(t, cfg, k, nil, nil, InvokerFunc(func(ctx context.Context, payload []byte) (InvokeResult, error) {
		lastPayload.Store(bytes.Clone(payload))
		return fail, nil
	}), WithS3(b))
	h.start(t)
	h.waitCheckpoint(t, shard0, seqs[2])
	h.stop(t)

	objs := b.Objects()
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1: %+v", len(objs), objs)
	}
	o := objs[0]
	rec, err := onfailure.Parse(o.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkOnFailure(t, k, rec, onfailure.RetryAttemptsExhausted, 2, "Unhandled", seqs[0], seqs[2], 3)
	keyRE := regexp.MustCompile(`^aws/lambda/` + cfg.UUID + `/` + shard0 + `/(\d{4})/(\d\d)/(\d\d)/(\d{4})-(\d\d)-(\d\d)T\d\d\.\d\d\.\d\d-([0-9a-f-]{36})$`)
	m := keyRE.FindStringSubmatch(o.Key)
	if m == nil || !uuidPattern.MatchString(m[7]) {
		t.Fatalf("key %s does not follow aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>", o.Key)
	}
	if want := onfailure.ObjectKey(cfg.UUID, shard0, rec.Timestamp, m[7]); o.Key != want {
		t.Errorf("key %s, want %s: dated by the record's timestamp", o.Key, want)
	}
	if o.ContentType != "application/json" {
		t.Errorf("content type %q", o.ContentType)
	}
	if len(rec.Payload) == 0 || rec.Payload[0] != '"' {
		t.Errorf("payload %.40s…: want AWS's form, a string holding the event", rec.Payload)
	}
	event, err := rec.Event()
	if err != nil {
		t.Fatal(err)
	}
	if want := lastPayload.Load().([]byte); !bytes.Equal(event, want) {
		t.Errorf("payload event\n%s\nwant the invocation's\n%s", event, want)
	}
	src, recs, err := kinesisevent.Decode(event)
	if err != nil || src.StreamARN != testStreamARN || len(recs) != 3 || recs[0].SequenceNumber != seqs[0] || string(recs[2].Data) != "rec-2" {
		t.Errorf("decoded payload %+v %+v, %v", src, recs, err)
	}
	sent := h.rec.of(OnFailureSent)
	if len(sent) != 1 || sent[0].Destination != "s3://"+testBucket+"/"+o.Key {
		t.Errorf("on-failure events %+v", sent)
	}
}

// Records too old to be invoked are written too; their event is the one they would have been sent in.
func TestS3OnFailureObjectOfRecordsNeverInvoked(t *testing.T) {
	k := newStream(1)
	old := k.put(shard0, "pk", "old", time.Now().Add(-2*time.Hour))
	fresh := k.put(shard0, "pk", "fresh", time.Now())
	cfg := s3Config()
	cfg.MaximumRecordAge = time.Hour
	b := awsfake.NewBucket(testBucket)
	h := runS3(t, cfg, k, b, nil)
	h.waitCheckpoint(t, shard0, fresh)
	h.stop(t)
	objs := b.Objects()
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1", len(objs))
	}
	rec, err := onfailure.Parse(objs[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	checkOnFailure(t, k, rec, onfailure.RecordAgeExceeded, 0, "", old, old, 1)
	event, err := rec.Event()
	if err != nil {
		t.Fatal(err)
	}
	if _, recs, err := kinesisevent.Decode(event); err != nil || len(recs) != 1 || string(recs[0].Data) != "old" {
		t.Errorf("payload records %+v, %v", recs, err)
	}
}

// watchedBucket calls before ahead of each PutObject.
type watchedBucket struct {
	*awsfake.Bucket
	before func()
}

func (w watchedBucket) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	w.before()
	return w.Bucket.PutObject(ctx, in, opts...)
}

// As with SQS, the checkpoint moves past the records only once S3 has the whole object; a failed write is
// retried under the same key, so a write that failed late cannot leave a second object behind.
func TestS3OnFailureWriteIsRetriedBeforeCheckpointing(t *testing.T) {
	k := newStream(1)
	s := k.putN(shard0, 2)
	cfg := s3Config()
	cfg.MaximumRetryAttempts = 0
	b := awsfake.NewBucket(testBucket)
	b.FailNext("PutObject", unavailable, unavailable, unavailable)
	var h *harness
	var early atomic.Bool
	watched := watchedBucket{Bucket: b, before: func() {
		if h.m.Checkpoints()[shard0].SequenceNumber != "" {
			early.Store(true)
		}
	}}
	h = newHarness(t, cfg, k, nil, func(int, invocation) (InvokeResult, error) { return fail, nil }, nil, WithS3(watched))
	h.start(t)
	h.waitCheckpoint(t, shard0, s[1])
	h.stop(t)
	if early.Load() {
		t.Error("checkpoint moved before the on-failure object was written")
	}
	if st := h.m.Stats(); st.OnFailureErrors != 3 || st.OnFailureSent != 1 || len(b.Keys()) != 1 {
		t.Errorf("stats = %+v, keys %v", st, b.Keys())
	}
	errs := h.rec.of(OnFailureError)
	if len(errs) != 3 || !errors.Is(errs[0].Err, unavailable) {
		t.Fatalf("on-failure errors %+v", errs)
	}
	for _, e := range errs {
		if want := "write on-failure object " + b.Keys()[0]; !bytes.Contains([]byte(e.Err.Error()), []byte(want)) {
			t.Errorf("error %q: want every attempt at the key written in the end, %s", e.Err, b.Keys()[0])
		}
	}
}

func TestS3DestinationNeedsAnS3Client(t *testing.T) {
	if _, err := New(s3Config(), newStream(1), nil, &scriptInvoker{t: t}); err == nil {
		t.Error("New accepted an S3 destination without an S3 client")
	}
	m, err := New(func() Config { c := s3Config(); c.UUID = ""; return c }(), newStream(1), nil, &scriptInvoker{t: t},
		WithS3(awsfake.NewBucket(testBucket)))
	if err != nil || !uuidPattern.MatchString(m.UUID()) {
		t.Errorf("UUID %q, %v: want a random one when the config has none", m.UUID(), err)
	}
}

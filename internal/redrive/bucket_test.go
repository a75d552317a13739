package redrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

const (
	testBucket  = "orders-data"
	mappingUUID = "f89f8514-cdd9-4602-9e1f-01a5b77d449b"
)

// payloadSource is the source of the events in on-failure payloads.
var payloadSource = kinesisevent.Source{StreamARN: testStreamARN, Region: "eu-west-1", InvokeIdentityARN: "arn:aws:iam::123456789012:role/f-role"}

// payloadRecords are records of a shard with the given sequence numbers, as an on-failure payload holds them.
func payloadRecords(shard string, seqs ...string) []kinesisevent.Record {
	base := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Millisecond) // long past any stream's retention
	recs := make([]kinesisevent.Record, len(seqs))
	for i, s := range seqs {
		recs[i] = kinesisevent.Record{ShardID: shard, SequenceNumber: s, PartitionKey: "pk-" + s,
			Data: []byte(`{"seq":"` + s + `"}`), Arrival: base.Add(time.Duration(i) * time.Millisecond)}
	}
	return recs
}

// onFailureObject is an S3 on-failure object for recs, as the event source mapping writes it; edit may change
// the record before it is encoded. It returns the key and the body.
func onFailureObject(t *testing.T, recs []kinesisevent.Record, edit func(*onfailure.Record)) (string, []byte) {
	t.Helper()
	event, err := kinesisevent.Encode(payloadSource, recs)
	if err != nil {
		t.Fatal(err)
	}
	first, last := recs[0], recs[len(recs)-1]
	rec, err := onfailure.Parse([]byte(onFailureBody(first.ShardID, first.SequenceNumber, last.SequenceNumber, len(recs))))
	if err != nil {
		t.Fatal(err)
	}
	rec.Payload = onfailure.StringPayload(event)
	if edit != nil {
		edit(&rec)
	}
	body, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return onfailure.ObjectKey(mappingUUID, first.ShardID, rec.Timestamp, fmt.Sprintf("%08d-0000-4000-8000-%012d", len(recs), time.Now().UnixNano()%1e12)), body
}

type s3Harness struct {
	b   *awsfake.Bucket
	rp  *fakeReprocessor
	log bytes.Buffer
	ops *awsfake.Log // the bucket's calls and the reprocessor's, in order
}

func newS3Harness() *s3Harness {
	ops := &awsfake.Log{}
	b := awsfake.NewBucket(testBucket)
	b.Log = ops
	return &s3Harness{b: b, rp: &fakeReprocessor{log: ops}, ops: ops}
}

// put stores an on-failure object for recs and returns its key.
func (h *s3Harness) put(t *testing.T, recs []kinesisevent.Record, edit func(*onfailure.Record)) string {
	t.Helper()
	key, body := onFailureObject(t, recs, edit)
	h.b.Put(key, body)
	return key
}

func (h *s3Harness) run(t *testing.T, opts Options) Summary {
	t.Helper()
	opts.Bucket = testBucket
	if opts.Backoff == 0 {
		opts.Backoff = time.Millisecond
	}
	opts.Log = &h.log
	var rp Reprocessor = h.rp
	if opts.DryRun {
		rp = nil
	}
	r, err := NewS3(h.b, rp, opts)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, h.log.String())
	}
	return sum
}

func summaryText(s Summary) string {
	var b bytes.Buffer
	s.Write(&b)
	return b.String()
}

// The records come from the payloads — no stream is involved, and these arrived a month ago — in batches of
// BatchSize, each with the stream it came from; each object is deleted once all of its records are durable,
// and only then; objects outside the prefix are not touched.
func TestS3RedriveReplaysThePayloadsAndDeletes(t *testing.T) {
	h := newS3Harness()
	h.b.PageSize = 2 // three objects: two listing pages
	a := payloadRecords(shard0, seqs(1, 10)...)
	b := payloadRecords("shardId-000000000001", seqs(20, 3)...)
	c := payloadRecords(shard0, seqs(40, 1)...)
	keys := []string{h.put(t, a, nil), h.put(t, b, nil), h.put(t, c, nil)}
	h.b.Put("kinesis/4959.json", []byte(`{"data":"not an on-failure object"}`))

	sum := h.run(t, Options{BatchSize: 4})
	if sum.Messages != 3 || sum.Deleted != 3 || sum.Kept != 0 || sum.RecordsRead != 14 || sum.RecordsReprocessed != 14 {
		t.Fatalf("summary %+v\nlog:\n%s", sum, h.log.String())
	}
	var want []string
	for _, recs := range [][]kinesisevent.Record{a, b, c} {
		for _, r := range recs {
			want = append(want, r.SequenceNumber)
		}
	}
	got := h.rp.handled()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("reprocessed %v\nwant %v", got, want)
	}
	for _, c := range h.rp.calls {
		if len(c) > 4 {
			t.Errorf("a batch of %d records, more than BatchSize 4", len(c))
		}
	}
	if src := h.rp.srcs[0]; src.StreamARN != testStreamARN || src.Region != "eu-west-1" {
		t.Errorf("source %+v", src)
	}
	if left := h.b.Keys(); !slices.Equal(left, []string{"kinesis/4959.json"}) {
		t.Errorf("bucket holds %v, want only the object outside aws/lambda/", left)
	}
	// Each object's delete comes after every batch of its records (they run one object at a time here).
	calls := h.ops.Calls()
	for _, key := range keys {
		del := slices.Index(calls, "delete "+key)
		get := slices.Index(calls, "get "+key)
		if del < 0 || get < 0 || del < get {
			t.Fatalf("calls %v: no get then delete of %s", calls, key)
		}
	}
	text := summaryText(sum)
	for _, s := range []string{"objects: 3 read, 3 redriven, 3 deleted, 0 kept", "records: 14 found in the objects, 14 reprocessed, 0 failed"} {
		if !strings.Contains(text, s) {
			t.Errorf("summary lacks %q:\n%s", s, text)
		}
	}
	if !strings.Contains(h.log.String(), "deleted: object "+keys[0]) || !strings.Contains(h.log.String(), "kept in the object") {
		t.Errorf("log:\n%s", h.log.String())
	}
}

// The reprocessor sees exactly the records of the payload: data, keys, arrival times.
func TestS3RedriveHandsOverThePayloadRecordsExactly(t *testing.T) {
	h := newS3Harness()
	recs := payloadRecords(shard0, seqs(1, 3)...)
	recs[1].Data = []byte{0xff, 0, '<'} // not JSON: the function's business, not the redrive's
	recs[2].EncryptionType = "KMS"
	h.put(t, recs, nil)
	var got []kinesisevent.Record
	r, err := NewS3(h.b, reprocessorFunc(func(_ context.Context, _ kinesisevent.Source, rs []kinesisevent.Record) (Result, error) {
		got = append(got, rs...)
		return Result{Handled: len(rs)}, nil
	}), Options{Bucket: testBucket})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		g, w := got[i], recs[i]
		if g.ShardID != w.ShardID || g.SequenceNumber != w.SequenceNumber || g.PartitionKey != w.PartitionKey ||
			!bytes.Equal(g.Data, w.Data) || !g.Arrival.Equal(w.Arrival) || g.EncryptionType != w.EncryptionType {
			t.Errorf("record %d: got %+v\nwant %+v", i, g, w)
		}
	}
}

// LocalStack writes the payload as the event object rather than a string holding it: both are replayed.
func TestS3RedriveReadsThePayloadAsAnObjectToo(t *testing.T) {
	h := newS3Harness()
	recs := payloadRecords(shard0, seqs(1, 2)...)
	h.put(t, recs, func(r *onfailure.Record) {
		event, _ := r.Event()
		r.Payload = event
	})
	if sum := h.run(t, Options{}); sum.Deleted != 1 || len(h.rp.handled()) != 2 {
		t.Fatalf("summary %+v\n%s", sum, h.log.String())
	}
}

// Objects that cannot be redriven stay as they are, each with its reason; the others are still redriven.
func TestS3RedriveKeepsWhatItCannotRedrive(t *testing.T) {
	h := newS3Harness()
	good := h.put(t, payloadRecords(shard0, seqs(1, 2)...), nil)
	failing := h.put(t, payloadRecords(shard0, seqs(10, 3)...), nil)
	unreadable := map[string]string{
		h.put(t, payloadRecords(shard0, seqs(20, 1)...), func(r *onfailure.Record) { r.Payload = nil }):                                            "has no payload",
		h.put(t, payloadRecords(shard0, seqs(30, 2)...), func(r *onfailure.Record) { r.KinesisBatchInfo.EndSequenceNumber = seqs(31, 5)[4] }):      "not the on-failure record's range",
		h.put(t, payloadRecords(shard0, seqs(40, 1)...), func(r *onfailure.Record) { r.KinesisBatchInfo.ShardID = "shardId-000000000007" }):        "the on-failure record's shard is",
		h.put(t, payloadRecords(shard0, seqs(50, 1)...), func(r *onfailure.Record) { r.Payload = onfailure.StringPayload([]byte(`{"Records":`)) }): "payload: kinesis event",
		h.put(t, payloadRecords(shard0, seqs(60, 1)...), func(r *onfailure.Record) {
			r.KinesisBatchInfo.StreamARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/other"
		}): "the payload's records are from",
	}
	junkKey := onfailure.KeyPrefix(mappingUUID) + "junk"
	h.b.Put(junkKey, []byte(`{"hello":"world"}`))
	unreadable[junkKey] = "not a Kinesis on-failure record"
	h.rp.fail = func(_ int, recs []kinesisevent.Record) (int, error) {
		if i := slices.IndexFunc(recs, func(r kinesisevent.Record) bool { return r.SequenceNumber == seqs(10, 3)[1] }); i >= 0 {
			return i, errors.New("SlowDown: write failed")
		}
		return len(recs), nil
	}

	sum := h.run(t, Options{Retries: 1})
	if sum.Messages != 8 || sum.Deleted != 1 || sum.Kept != 7 || sum.KeptBy[VerdictFailed] != 1 || sum.KeptBy[VerdictUnreadable] != 6 {
		t.Fatalf("summary %+v\nlog:\n%s", sum, h.log.String())
	}
	text := summaryText(sum)
	for key, reason := range unreadable {
		if !slices.ContainsFunc(strings.Split(text, "\n"), func(l string) bool {
			return strings.Contains(l, "KEPT: not a Kinesis on-failure record: object "+key) && strings.Contains(l, reason) &&
				strings.Contains(l, "left in the bucket")
		}) {
			t.Errorf("summary does not keep %s for %q:\n%s", key, reason, text)
		}
	}
	if !strings.Contains(text, "KEPT: reprocessing failed: object "+failing) || !strings.Contains(text, "SlowDown") {
		t.Errorf("summary:\n%s", text)
	}
	left := h.b.Keys()
	if slices.Contains(left, good) || !slices.Contains(left, failing) || len(left) != 7 {
		t.Errorf("bucket holds %v", left)
	}
	if dels := h.b.Log.Prefixed("delete"); !slices.Equal(dels, []string{"delete " + good}) {
		t.Errorf("deletes %v", dels)
	}
}

func TestS3RedriveKeepsObjectsItCannotReadOrDelete(t *testing.T) {
	h := newS3Harness()
	a := h.put(t, payloadRecords(shard0, seqs(1, 2)...), nil)
	b := h.put(t, payloadRecords("shardId-000000000001", seqs(10, 2)...), nil)
	h.b.FailNext("GetObject", &types.NoSuchKey{Message: aws.String("gone")}) // the first object read
	h.b.FailNext("DeleteObject", errors.New("AccessDenied"))                 // the second's delete
	sum := h.run(t, Options{Concurrency: 1})
	if sum.Kept != 2 || sum.KeptBy[VerdictObjectReadError] != 1 || sum.KeptBy[VerdictNotDeleted] != 1 || sum.Redriven != 1 {
		t.Fatalf("summary %+v\n%s", sum, h.log.String())
	}
	if got := h.rp.handled(); len(got) != 2 {
		t.Errorf("reprocessed %v: only the readable object's records", got)
	}
	if left := h.b.Keys(); len(left) != 2 || !slices.Contains(left, a) || !slices.Contains(left, b) {
		t.Errorf("bucket holds %v", left)
	}
	text := summaryText(sum)
	if !strings.Contains(text, "KEPT: object read error: object ") || !strings.Contains(text, "NoSuchKey") ||
		!strings.Contains(text, "deleting the object failed: AccessDenied") {
		t.Errorf("summary:\n%s", text)
	}
}

// A dry run reads every object and changes nothing.
func TestS3DryRunChangesNothing(t *testing.T) {
	h := newS3Harness()
	h.put(t, payloadRecords(shard0, seqs(1, 4)...), nil)
	h.put(t, payloadRecords(shard0, seqs(10, 1)...), func(r *onfailure.Record) { r.Payload = nil })
	before := h.b.Objects()
	sum := h.run(t, Options{DryRun: true})
	if sum.Messages != 2 || sum.Redriven != 1 || sum.Kept != 1 || sum.RecordsRead != 4 || len(h.rp.calls) != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if after := h.b.Objects(); len(after) != len(before) || len(h.b.Log.Prefixed("delete")) != 0 || len(h.b.Log.Prefixed("tag ")) != 0 {
		t.Errorf("a dry run changed the bucket: %v", h.b.Log.Calls())
	}
	if text := summaryText(sum); !strings.Contains(text, "objects: 2 read, 1 would be redriven, 1 would be kept") ||
		!strings.Contains(text, "records: 4 found in the objects") {
		t.Errorf("summary:\n%s", text)
	}
}

// With Tag, a redriven object stays, tagged (its other tags kept); the next run skips it without reading it.
func TestS3RedriveTagsAndSkipsTaggedObjects(t *testing.T) {
	h := newS3Harness()
	a := h.put(t, payloadRecords(shard0, seqs(1, 3)...), nil)
	b := h.put(t, payloadRecords(shard0, seqs(10, 2)...), nil)
	if _, err := h.b.PutObjectTagging(context.Background(), &s3.PutObjectTaggingInput{Bucket: aws.String(testBucket), Key: aws.String(a),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}}}}); err != nil {
		t.Fatal(err)
	}
	began := time.Now().UTC().Truncate(time.Second)
	sum := h.run(t, Options{Tag: true})
	if sum.Messages != 2 || sum.Tagged != 2 || sum.Deleted != 0 || sum.Kept != 0 || len(h.rp.handled()) != 5 {
		t.Fatalf("summary %+v\n%s", sum, h.log.String())
	}
	objs := h.b.Objects()
	if len(objs) != 2 || objs[0].Tags["team"] != "data" && objs[1].Tags["team"] != "data" {
		t.Fatalf("objects %+v", objs)
	}
	for _, o := range objs {
		at, err := time.Parse(time.RFC3339, o.Tags[RedrivenTag])
		if err != nil || at.Before(began) {
			t.Errorf("%s: tag %s=%q, want the time of the redrive", o.Key, RedrivenTag, o.Tags[RedrivenTag])
		}
	}
	if !strings.Contains(summaryText(sum), "objects: 2 read, 2 redriven, 2 tagged, 0 kept, 0 skipped (redriven before)") {
		t.Errorf("summary:\n%s", summaryText(sum))
	}

	h.rp.calls = nil
	h.b.Log = &awsfake.Log{}
	again := h.run(t, Options{Tag: true})
	if again.Messages != 2 || again.AlreadyRedriven != 2 || again.Redriven != 0 || again.Kept != 0 || len(h.rp.calls) != 0 {
		t.Fatalf("second run %+v", again)
	}
	if gets := h.b.Log.Prefixed("get "); len(gets) != 0 {
		t.Errorf("the second run read %v", gets)
	}
	if !strings.Contains(summaryText(again), "2 skipped (redriven before)") || !strings.Contains(h.log.String(), "skipped: redriven before: object "+b) {
		t.Errorf("summary:\n%s\nlog:\n%s", summaryText(again), h.log.String())
	}
}

func TestS3RedriveKeepsObjectWhoseTagFails(t *testing.T) {
	h := newS3Harness()
	key := h.put(t, payloadRecords(shard0, seqs(1, 2)...), nil)
	h.b.FailAlways("PutObjectTagging", errors.New("AccessDenied"))
	sum := h.run(t, Options{Tag: true})
	if sum.Kept != 1 || sum.KeptBy[VerdictNotTagged] != 1 || sum.Redriven != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if !strings.Contains(summaryText(sum), "KEPT: tag failed: object "+key) {
		t.Errorf("summary:\n%s", summaryText(sum))
	}
}

func TestS3RedriveStopsAtMaxMessages(t *testing.T) {
	h := newS3Harness()
	for i := range 6 {
		h.put(t, payloadRecords(shard0, seqs(10*i, 2)...), nil)
	}
	if sum := h.run(t, Options{MaxMessages: 4, Concurrency: 3}); sum.Messages != 4 || sum.Deleted != 4 || len(h.b.Keys()) != 2 {
		t.Fatalf("summary %+v, bucket %v", sum, h.b.Keys())
	}
}

func TestS3RedriveInterruptedLeavesObjects(t *testing.T) {
	h := newS3Harness()
	key := h.put(t, payloadRecords(shard0, seqs(1, 4)...), nil)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := NewS3(h.b, reprocessorFunc(func(ctx context.Context, _ kinesisevent.Source, _ []kinesisevent.Record) (Result, error) {
		cancel()
		return Result{}, ctx.Err()
	}), Options{Bucket: testBucket, Retries: 3, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o := onlyOutcome(t, sum); !sum.Interrupted || o.Verdict != VerdictFailed || !strings.HasPrefix(o.Reason, "interrupted") {
		t.Fatalf("summary %+v", sum)
	}
	if !slices.Equal(h.b.Keys(), []string{key}) {
		t.Errorf("bucket holds %v", h.b.Keys())
	}
}

func TestS3RedriveFailsWhenTheBucketCannotBeListed(t *testing.T) {
	h := newS3Harness()
	h.b.FailAlways("ListObjectsV2", errors.New("AccessDenied"))
	r, err := NewS3(h.b, h.rp, Options{Bucket: testBucket, Prefix: "aws/lambda/x/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "list s3://"+testBucket+"/aws/lambda/x/: AccessDenied") {
		t.Errorf("Run error %v", err)
	}
}

func TestNewS3RejectsBadOptions(t *testing.T) {
	b, rp := awsfake.NewBucket(testBucket), &fakeReprocessor{}
	for name, opts := range map[string]Options{
		"no bucket":      {},
		"a queue too":    {Bucket: testBucket, QueueURL: testQueueURL},
		"negative retry": {Bucket: testBucket, Retries: -1},
	} {
		if _, err := NewS3(b, rp, opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := New(awsfake.NewQueue(testQueueURL), newStream(), rp, Options{QueueURL: testQueueURL, Tag: true}); err == nil {
		t.Error("New accepted Tag, which is for objects")
	}
}

// "Start with --max-messages 5 if unsure" (README runbook), then run again for the next five: with
// -redriven-objects tag, the objects tagged by the first run stay first in the listing, and each later run counts
// them against MaxMessages as it skips them, so it never gets past them to an object still to redrive.
func TestS3TagModeMaxMessagesGoesPastTaggedObjects(t *testing.T) {
	h := newS3Harness()
	for i := range 4 {
		h.put(t, payloadRecords(shard0, seqs(10*i, 2)...), nil)
	}
	if first := h.run(t, Options{Tag: true, MaxMessages: 2, Concurrency: 1}); first.Tagged != 2 {
		t.Fatalf("first run: summary %+v", first)
	}
	second := h.run(t, Options{Tag: true, MaxMessages: 2, Concurrency: 1})
	if second.Tagged != 2 {
		t.Errorf("second run with MaxMessages 2: %d objects tagged, %d skipped as redriven before; want the 2 not redriven yet tagged\n%s",
			second.Tagged, second.AlreadyRedriven, summaryText(second))
	}
}

package ledger

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/klauspost/compress/zstd"
)

// bucket is an in-memory S3 bucket: the dependency the checker reads.
type bucket map[string][]byte

func (b bucket) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out := &s3.ListObjectsV2Output{}
	for k, v := range b {
		if strings.HasPrefix(k, aws.ToString(in.Prefix)) {
			out.Contents = append(out.Contents, types.Object{Key: aws.String(k), Size: aws.Int64(int64(len(v))), ETag: aws.String(etag(v))})
		}
	}
	return out, nil
}

func (b bucket) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	v := b[aws.ToString(in.Key)]
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(v)), ETag: aws.String(etag(v))}, nil
}

func etag(v []byte) string { s := md5.Sum(v); return `"` + hex.EncodeToString(s[:]) + `"` }

const (
	shard0 = "shardId-000000000000"
	shard1 = "shardId-000000000001"
	seq1   = "49650000000000000000000000000000000000000000000000000001"
	seq2   = "49650000000000000000000000000000000000000000000000000002"
	seq3   = "49650000000000000000000000000000000000000000000000000003"
	seq9   = "49650000000000000000000000000000000000000000000000000009"
)

var (
	hour  = time.Date(2025, 11, 25, 18, 0, 0, 0, time.UTC)
	part  = "year=2025/month=11/day=25/hour=18/"
	valid = []Expect{
		{ShardID: shard0, SequenceNumber: seq1, SubIndex: -1, Data: []byte(`{ "id": 1 }`)},
		{ShardID: shard0, SequenceNumber: seq2, SubIndex: -1, Data: []byte(`{"id": 2}`)},
		{ShardID: shard1, SequenceNumber: seq9, SubIndex: 0, Data: []byte(`[1, 2]`)},
	}
	poison = Expect{ShardID: shard0, SequenceNumber: seq3, SubIndex: -1, Data: []byte("not json"), Quarantine: true, Reason: "invalid JSON"}
)

func quarantineObject(e Expect, reason string) []byte {
	b, _ := json.Marshal(map[string]any{"reason": reason, "shardId": e.ShardID, "sequenceNumber": e.SequenceNumber,
		"partitionKey": "k", "data": base64.StdEncoding.EncodeToString(e.Data)})
	return b
}

func gz(s string) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write([]byte(s))
	w.Close()
	return buf.Bytes()
}

func zst(s string) []byte {
	enc, _ := zstd.NewWriter(nil)
	defer enc.Close()
	return enc.EncodeAll([]byte(s), nil)
}

func check(t *testing.T, b bucket, layout Layout, want []Expect) Report {
	t.Helper()
	c, err := NewChecker(b, "bucket", layout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Since = hour.Add(10 * time.Minute)
	rep, err := c.Check(context.Background(), want)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

var (
	recordLayout = Layout{OutputMode: "record", KeyPrefix: "kinesis/", ErrorPrefix: "errors/"}
	gzipLayout   = Layout{OutputMode: "batch", Compression: "gzip", KeyPrefix: "kinesis/", ErrorPrefix: "errors/"}
	zstdLayout   = Layout{OutputMode: "batch", Compression: "zstd", KeyPrefix: "kinesis/", ErrorPrefix: "errors/"}
)

func goodRecordBucket() bucket {
	return bucket{
		"kinesis/" + seq1 + ".json":                      []byte(`{ "id": 1 }`),
		"kinesis/" + seq2 + ".json":                      []byte(`{"id": 2}`),
		"kinesis/" + seq9 + "-0.json":                    []byte(`[1, 2]`),
		"errors/" + part + shard0 + "-" + seq3 + ".json": quarantineObject(poison, "invalid JSON: x at byte 0"),
	}
}

func TestRecordModeComplete(t *testing.T) {
	rep := check(t, goodRecordBucket(), recordLayout, append(slices.Clone(valid), poison))
	if err := rep.Err(); err != nil || rep.Written != 3 || rep.Quarantined != 1 || len(rep.Objects) != 4 {
		t.Fatalf("report %+v, err %v", rep, err)
	}
}

// A progress marker under <ERROR_PREFIX>_progress/ is the function's state, not a record: not a problem, not counted.
func TestProgressMarkersAreNotRecords(t *testing.T) {
	b := goodRecordBucket()
	b["errors/_progress/"+shard0+"-"+seq9+".json"] = []byte(`{"handled":1}`)
	rep := check(t, b, recordLayout, append(slices.Clone(valid), poison))
	if err := rep.Err(); err != nil || rep.Written != 3 || rep.Quarantined != 1 || len(rep.Objects) != 4 {
		t.Fatalf("report %+v, err %v", rep, err)
	}
	b["errors/_progressive/"+shard0+"-"+seq9+".json"] = []byte(`{}`)
	if err := check(t, b, recordLayout, append(slices.Clone(valid), poison)).Err(); err == nil {
		t.Error("a stray object beside the progress markers went unnoticed")
	}
}

func TestRecordModeFindsEachKindOfFault(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(bucket)
		want string
	}{
		"missing":        {func(b bucket) { delete(b, "kinesis/"+seq2+".json") }, "1 missing: " + shard0 + "/" + seq2},
		"body changed":   {func(b bucket) { b["kinesis/"+seq1+".json"] = []byte(`{"id":1}`) }, "differs from the record's data"},
		"stray object":   {func(b bucket) { b["kinesis/"+seq1+".json.tmp"] = []byte(`{}`) }, "not a record-mode key"},
		"unknown record": {func(b bucket) { b["kinesis/123.json"] = []byte(`{}`) }, "no such record was put"},
		"poison written": {func(b bucket) { b["kinesis/"+seq3+".json"] = []byte("not json") }, "should have been quarantined"},
		"wrong reason":   {func(b bucket) { b["errors/"+part+shard0+"-"+seq3+".json"] = quarantineObject(poison, "too large") }, `does not say "invalid JSON"`},
		"wrong data": {func(b bucket) {
			p := poison
			p.Data = []byte("other")
			b["errors/"+part+shard0+"-"+seq3+".json"] = quarantineObject(p, "invalid JSON")
		}, "is not the record's"},
		"hour in the past": {func(b bucket) {
			b["errors/year=2025/month=11/day=25/hour=17/"+shard0+"-"+seq3+".json"] = b["errors/"+part+shard0+"-"+seq3+".json"]
			delete(b, "errors/"+part+shard0+"-"+seq3+".json")
		}, "hour partition outside"},
	} {
		t.Run(name, func(t *testing.T) {
			b := goodRecordBucket()
			tc.edit(b)
			rep := check(t, b, recordLayout, append(slices.Clone(valid), poison))
			if err := rep.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Err() = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestBatchMode(t *testing.T) {
	key0 := "kinesis/" + part + shard0 + "-" + seq1 + ".jsonl"
	key1 := "kinesis/" + part + shard1 + "-" + seq9 + ".jsonl"
	lines0 := "{\"id\":1}\n{\"id\":2}\n"
	for name, tc := range map[string]struct {
		layout Layout
		b      bucket
		want   string // "" for a clean report
	}{
		"gzip": {gzipLayout, bucket{key0 + ".gz": gz(lines0), key1 + ".gz": gz("[1,2]\n")}, ""},
		"zstd": {zstdLayout, bucket{key0 + ".zst": zst(lines0), key1 + ".zst": zst("[1,2]\n")}, ""},
		"zstd object under gzip": {gzipLayout, bucket{key0 + ".gz": zst(lines0), key1 + ".gz": gz("[1,2]\n")},
			"not gzip"},
		"wrong extension": {zstdLayout, bucket{key0 + ".gz": zst(lines0), key1 + ".zst": zst("[1,2]\n")},
			"not a batch-mode key"},
		"not compacted": {gzipLayout, bucket{key0 + ".gz": gz("{ \"id\": 1 }\n{\"id\":2}\n"), key1 + ".gz": gz("[1,2]\n")},
			"is no record put"},
		"record twice across objects": {gzipLayout, bucket{key0 + ".gz": gz(lines0), key1 + ".gz": gz("[1,2]\n"),
			"kinesis/" + part + shard0 + "-" + seq2 + ".jsonl.gz": gz("{\"id\":2}\n")}, "1 duplicated"},
		"named after the wrong record": {gzipLayout, bucket{"kinesis/" + part + shard0 + "-" + seq2 + ".jsonl.gz": gz(lines0),
			key1 + ".gz": gz("[1,2]\n")}, "named after " + seq2},
		"out of order": {gzipLayout, bucket{"kinesis/" + part + shard0 + "-" + seq2 + ".jsonl.gz": gz("{\"id\":2}\n{\"id\":1}\n"),
			key1 + ".gz": gz("[1,2]\n")}, "out of shard order"},
		"line in another shard's object": {gzipLayout, bucket{key0 + ".gz": gz("{\"id\":1}\n{\"id\":2}\n[1,2]\n")}, "is no record put to " + shard0},
		"no final newline":               {gzipLayout, bucket{key0 + ".gz": gz("{\"id\":1}\n{\"id\":2}"), key1 + ".gz": gz("[1,2]\n")}, "newline-terminated"},
	} {
		t.Run(name, func(t *testing.T) {
			rep := check(t, tc.b, tc.layout, valid)
			err := rep.Err()
			if tc.want == "" {
				if err != nil || rep.Written != 3 {
					t.Fatalf("report %+v, err %v", rep, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Err() = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// readCounter counts the checker's reads; with opaque set, its ETags are not the MD5 of the bytes, as under SSE-KMS.
type readCounter struct {
	bucket
	opaque bool
	gets   atomic.Int64
}

func (b *readCounter) etag(key string, out *string) {
	if b.opaque {
		*out = `"kms-` + key + `"`
	}
}

func (b *readCounter) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out, _ := b.bucket.ListObjectsV2(ctx, in, opts...)
	for i := range out.Contents {
		b.etag(aws.ToString(out.Contents[i].Key), out.Contents[i].ETag)
	}
	return out, nil
}

func (b *readCounter) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	b.gets.Add(1)
	out, _ := b.bucket.GetObject(ctx, in, opts...)
	b.etag(aws.ToString(in.Key), out.ETag)
	return out, nil
}

// Record-mode objects whose ETag is the MD5 of the record are not read; others are, and checked byte for byte.
func TestRecordModeReadsOnlyWhatItsETagDoesNotProve(t *testing.T) {
	want := append(slices.Clone(valid), poison)
	changed := func(b bucket) { b["kinesis/"+seq1+".json"] = []byte(`{"id":1}`) }
	for name, tc := range map[string]struct {
		opaque    bool
		edit      func(bucket)
		gets      int64
		wantError string
	}{
		"MD5 ETags":                  {gets: 1}, // the quarantine object only: its reason is in the body
		"MD5 ETags, body changed":    {edit: changed, gets: 2, wantError: "differs"},
		"opaque ETags":               {opaque: true, gets: 4},
		"opaque ETags, body changed": {opaque: true, edit: changed, gets: 4, wantError: "differs"},
	} {
		t.Run(name, func(t *testing.T) {
			b := goodRecordBucket()
			if tc.edit != nil {
				tc.edit(b)
			}
			api := &readCounter{bucket: b, opaque: tc.opaque}
			c, err := NewChecker(api, "bucket", recordLayout)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			rep, err := c.Check(context.Background(), want)
			if err != nil {
				t.Fatal(err)
			}
			if err := rep.Err(); (err == nil) != (tc.wantError == "") || err != nil && !strings.Contains(err.Error(), tc.wantError) {
				t.Errorf("Err() = %v, want %q", err, tc.wantError)
			}
			if got := api.gets.Load(); got != tc.gets {
				t.Errorf("%d objects read, want %d", got, tc.gets)
			}
		})
	}
}

// A record found twice is reported with both objects it is in, whichever comes first in the listing.
func TestCopiesNameEveryObject(t *testing.T) {
	key0 := "kinesis/" + part + shard0 + "-" + seq1 + ".jsonl.gz"
	key2 := "kinesis/" + part + shard0 + "-" + seq2 + ".jsonl.gz"
	key9 := "kinesis/" + part + shard1 + "-" + seq9 + ".jsonl.gz"
	rep := check(t, bucket{key0: gz("{\"id\":1}\n{\"id\":2}\n"), key2: gz("{\"id\":2}\n"), key9: gz("[1,2]\n")}, gzipLayout, valid)
	if len(rep.Copies) != 1 || rep.Copies[0].Record.SequenceNumber != seq2 || !slices.Equal(rep.Copies[0].Keys, []string{key0, key2}) {
		t.Fatalf("copies %+v; want record %s in %s and %s", rep.Copies, seq2, key0, key2)
	}
	if len(rep.Duplicates) != 1 || rep.Written != 3 {
		t.Errorf("duplicates %v, written %d; want 1 and 3", rep.Duplicates, rep.Written)
	}
}

// A second check reads only what changed, and sees an overwrite.
func TestCheckerRereadsChangedObjects(t *testing.T) {
	b := goodRecordBucket()
	delete(b, "kinesis/"+seq2+".json")
	c, err := NewChecker(b, "bucket", recordLayout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := append(slices.Clone(valid), poison)
	rep, _ := c.Check(context.Background(), want)
	if rep.Complete() || len(rep.Missing) != 1 {
		t.Fatalf("first check: %+v", rep)
	}
	b["kinesis/"+seq2+".json"] = []byte(`{"id": 2}`)
	b["kinesis/"+seq1+".json"] = []byte(`{"id": 1, "changed": true}`)
	rep, _ = c.Check(context.Background(), want)
	// seq2 is found now; seq1's new body is not the record, so it is missing again.
	if len(rep.Missing) != 1 || rep.Missing[0].SequenceNumber != seq1 || rep.Err() == nil || !strings.Contains(rep.Err().Error(), "differs") {
		t.Fatalf("second check: %+v, %v", rep, rep.Err())
	}
}

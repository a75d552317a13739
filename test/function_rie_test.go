package test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/klauspost/compress/zstd"

	"github.com/kinesis2s3/kinesis2s3/local/emulators"
	"github.com/kinesis2s3/kinesis2s3/local/faultproxy"
)

// TestFunctionRIE runs the built bootstrap under the Lambda Runtime Interface Emulator with S3 on fauxqs (directly
// or through the fault proxy), sends it Kinesis events in the exact shape Lambda sends them, and checks the objects
// it writes and the partial-batch responses it returns. Kinesis itself is not needed: the events are built here.
func TestFunctionRIE(t *testing.T) {
	stack := emulators.StartT(t, emulators.Options{WithoutKinesis: true})
	h := &harness{t: t, stack: stack}

	t.Run("RecordMode", func(t *testing.T) {
		bucket := h.bucket(t)
		fn := h.function(t, bucket, stack.AWSEndpoint, nil)
		recs := records(
			`{"id":1,"name":"plain"}`,
			"{ \"id\": 2,\n  \"name\": \"Zoë 🚀\",\n  \"tags\": [ \"a\", \"b\" ] }", // whitespace and non-ASCII kept as sent
			`[1,2,3]`,
			`{"id":4,"nested":{"deep":{"x":null,"y":true}}}`,
		)
		noFailures(t, h.invoke(t, fn, recs))

		want := map[string][]byte{}
		for _, r := range recs {
			want["kinesis/"+r.Seq+".json"] = r.Data
		}
		h.objectsAre(t, bucket, want)
	})

	t.Run("BatchMode", func(t *testing.T) {
		for _, c := range []struct{ compression, ext string }{{"gzip", ".gz"}, {"zstd", ".zst"}, {"none", ""}} {
			t.Run(c.compression, func(t *testing.T) {
				bucket := h.bucket(t)
				fn := h.function(t, bucket, stack.AWSEndpoint, map[string]string{"OUTPUT_MODE": "batch", "COMPRESSION": c.compression})
				recs := records(
					`{"id":1}`,
					"{\n  \"id\": 2,\n  \"text\": \"keeps  inner  spaces\"\n}", // must become one line
					`this is not JSON`,
					`{"id":4,"name":"Zoë"}`,
				)
				noFailures(t, h.invoke(t, fn, recs))

				key := fmt.Sprintf("kinesis/year=2024/month=03/day=05/hour=07/%s-%s.jsonl%s", shardID, recs[0].Seq, c.ext)
				lines := decompressLines(t, c.compression, h.object(t, bucket, key))
				var want []string
				for _, i := range []int{0, 1, 3} {
					var compact bytes.Buffer
					if err := json.Compact(&compact, recs[i].Data); err != nil {
						t.Fatal(err)
					}
					want = append(want, compact.String())
				}
				if !slices.Equal(lines, want) {
					t.Errorf("lines of %s:\n%q\nwant\n%q", key, lines, want)
				}
				quarantined := h.quarantined(t, bucket, []kinesisRecord{recs[2]})
				if reason := quarantined[recs[2].Seq].Reason; !strings.Contains(reason, "JSON") {
					t.Errorf("reason for a non-JSON record: %q", reason)
				}
				if keys := h.keys(t, bucket, "kinesis/"); !slices.Equal(keys, []string{key}) {
					t.Errorf("data objects %q; want only %s", keys, key)
				}
			})
		}
	})

	t.Run("InvalidRecordsQuarantined", func(t *testing.T) {
		bucket := h.bucket(t)
		fn := h.function(t, bucket, stack.AWSEndpoint, nil)
		recs := records(
			`{"id":1}`,
			`not json at all`,
			`{"id":3}`,
			"{\"s\":\"\xff\xfe broken\"}", // valid JSON syntax, invalid UTF-8
			`{"id":5}`,
		)
		noFailures(t, h.invoke(t, fn, recs))

		want := map[string][]byte{}
		for _, i := range []int{0, 2, 4} {
			want["kinesis/"+recs[i].Seq+".json"] = recs[i].Data
		}
		h.objectsAre(t, bucket, want, "kinesis/")
		q := h.quarantined(t, bucket, []kinesisRecord{recs[1], recs[3]})
		if r := q[recs[1].Seq].Reason; !strings.Contains(r, "JSON") {
			t.Errorf("reason for a non-JSON record: %q", r)
		}
		if r := q[recs[3].Seq].Reason; !strings.Contains(r, "UTF-8") {
			t.Errorf("reason for invalid UTF-8: %q", r)
		}
	})

	t.Run("FailedPutsReportLowestUnwritten", func(t *testing.T) {
		bucket := h.bucket(t)
		proxy := h.proxy(t)
		fn := h.function(t, bucket, proxy.URL, nil)
		recs := records(`{"n":0}`, `{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`, `{"n":5}`, `{"n":6}`)
		failing := map[string]bool{"kinesis/" + recs[5].Seq + ".json": true, "kinesis/" + recs[3].Seq + ".json": true}
		proxy.FailObjectPuts(func(key string) bool { return failing[key] })

		resp := h.invoke(t, fn, recs)
		failuresAre(t, resp, recs[3].Seq)
		for i := range 3 { // everything before the checkpoint is durable
			if got := h.object(t, bucket, "kinesis/"+recs[i].Seq+".json"); !bytes.Equal(got, recs[i].Data) {
				t.Errorf("record %d: %q, want %q", i, got, recs[i].Data)
			}
		}
		for key := range failing {
			if h.exists(t, bucket, key) {
				t.Errorf("%s exists although every PUT of it failed", key)
			}
		}
		attempts := proxy.Count(func(e faultproxy.Entry) bool { return e.IsObjectPut() && failing[e.Key] && e.Injected })
		if attempts < 2 {
			t.Errorf("%d failed PUT attempts for the failing keys; want the SDK to have retried", attempts)
		}
		t.Logf("proxy: %d requests, %d failed PUT attempts for the failing keys", proxy.Count(nil), attempts)
	})

	t.Run("AllPutsFail", func(t *testing.T) {
		for _, mode := range []string{"record", "batch"} {
			t.Run(mode, func(t *testing.T) {
				bucket := h.bucket(t)
				proxy := h.proxy(t)
				fn := h.function(t, bucket, proxy.URL, map[string]string{"OUTPUT_MODE": mode})
				proxy.FailObjectPuts(nil)
				recs := records(`{"n":0}`, `{"n":1}`, `{"n":2}`)
				failuresAre(t, h.invoke(t, fn, recs), recs[0].Seq)
				if keys := h.keys(t, bucket, ""); len(keys) != 0 {
					t.Errorf("objects %q written although every PUT failed", keys)
				}
			})
		}
	})

	t.Run("ColdStartConfigError", func(t *testing.T) {
		for _, c := range []struct {
			name     string
			env      map[string]string
			variable string
		}{
			{"no bucket", map[string]string{"BUCKET_NAME": ""}, "BUCKET_NAME"},
			{"bad output mode", map[string]string{"OUTPUT_MODE": "batches"}, "OUTPUT_MODE"},
		} {
			t.Run(c.name, func(t *testing.T) {
				env := h.env("config-error", stack.AWSEndpoint, c.env)
				if env["BUCKET_NAME"] == "" {
					delete(env, "BUCKET_NAME")
				}
				fn := emulators.StartFunctionT(t, emulators.FunctionOptions{Env: env, Timeout: 10 * time.Second})
				res, err := fn.Invoke(t.Context(), kinesisEvent(records(`{"n":0}`)))
				if err != nil {
					t.Fatal(err)
				}
				if res.FunctionError == "" || !strings.Contains(res.ErrorMessage, c.variable) {
					t.Fatalf("want a function error naming %s, got FunctionError %q, %s: %q", c.variable, res.FunctionError, res.ErrorType, res.ErrorMessage)
				}
				t.Logf("%s: %s", res.ErrorType, res.ErrorMessage)
			})
		}
	})
}

// harness holds what the subtests share: one fauxqs, a bucket per subtest.
type harness struct {
	t       testing.TB
	stack   *emulators.Stack
	buckets int
}

const (
	shardID   = "shardId-000000000001"
	streamARN = "arn:aws:kinesis:us-east-1:000000000000:stream/rie-test"
)

func (h *harness) bucket(t testing.TB) string {
	t.Helper()
	h.buckets++
	name := fmt.Sprintf("rie-test-%d", h.buckets)
	if _, err := h.stack.S3().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// env is the function's environment as terraform sets it, with S3 at s3Endpoint.
func (h *harness) env(bucket, s3Endpoint string, extra map[string]string) map[string]string {
	env := h.stack.Env()
	env["AWS_ENDPOINT_URL_S3"] = s3Endpoint
	env["BUCKET_NAME"] = bucket
	env["S3_FORCE_PATH_STYLE"] = "true"
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func (h *harness) function(t *testing.T, bucket, s3Endpoint string, extra map[string]string) *emulators.Function {
	t.Helper()
	return emulators.StartFunctionT(t, emulators.FunctionOptions{Env: h.env(bucket, s3Endpoint, extra), Timeout: 30 * time.Second})
}

func (h *harness) proxy(t *testing.T) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(h.stack.AWSEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// invoke sends the records as one event and returns the function's partial-batch response.
func (h *harness) invoke(t testing.TB, fn *emulators.Function, recs []kinesisRecord) events.KinesisEventResponse {
	t.Helper()
	res, err := fn.Invoke(t.Context(), kinesisEvent(recs))
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError != "" {
		t.Fatalf("function error %s: %s\nlog:\n%s", res.ErrorType, res.ErrorMessage, res.Log)
	}
	var resp events.KinesisEventResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatalf("response %q: %v", res.Payload, err)
	}
	return resp
}

func noFailures(t testing.TB, resp events.KinesisEventResponse) {
	t.Helper()
	failuresAre(t, resp)
}

func failuresAre(t testing.TB, resp events.KinesisEventResponse, seqs ...string) {
	t.Helper()
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	if !slices.Equal(got, seqs) {
		t.Fatalf("batchItemFailures %q; want %q", got, seqs)
	}
}

func (h *harness) keys(t *testing.T, bucket, prefix string) []string {
	t.Helper()
	return slices.Sorted(maps.Keys(listObjects(t, h.stack.S3(), bucket, prefix)))
}

func (h *harness) object(t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := h.stack.S3().GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get s3://%s/%s: %v (objects: %q)", bucket, key, err, h.keys(t, bucket, ""))
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read s3://%s/%s: %v", bucket, key, err)
	}
	return b
}

func (h *harness) exists(t *testing.T, bucket, key string) bool {
	return slices.Contains(h.keys(t, bucket, key), key)
}

// objectsAre checks that the objects under prefix (default: the whole bucket) are exactly want, byte for byte.
func (h *harness) objectsAre(t *testing.T, bucket string, want map[string][]byte, prefix ...string) {
	t.Helper()
	keys := h.keys(t, bucket, strings.Join(prefix, ""))
	var wantKeys []string
	for k := range want {
		wantKeys = append(wantKeys, k)
	}
	slices.Sort(wantKeys)
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("objects %q; want %q", keys, wantKeys)
	}
	for k, body := range want {
		if got := h.object(t, bucket, k); !bytes.Equal(got, body) {
			t.Errorf("%s = %q; want %q", k, got, body)
		}
	}
}

// quarantine is the part of a quarantined record's body the tests check.
type quarantine struct {
	Reason         string `json:"reason"`
	ShardID        string `json:"shardId"`
	SequenceNumber string `json:"sequenceNumber"`
	Data           string `json:"data"`
}

// quarantined checks that exactly recs are under errors/, each naming its record and keeping its bytes, and
// returns their bodies by sequence number.
func (h *harness) quarantined(t *testing.T, bucket string, recs []kinesisRecord) map[string]quarantine {
	t.Helper()
	keys := h.keys(t, bucket, "errors/")
	if len(keys) != len(recs) {
		t.Fatalf("quarantined objects %q; want one for each of %d records", keys, len(recs))
	}
	got := map[string]quarantine{}
	for _, key := range keys {
		var q quarantine
		if err := json.Unmarshal(h.object(t, bucket, key), &q); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if !strings.Contains(key, q.SequenceNumber) || q.ShardID != shardID || q.Reason == "" {
			t.Errorf("%s: %+v; want its own sequence number in the key, shard %s and a reason", key, q, shardID)
		}
		got[q.SequenceNumber] = q
	}
	for _, r := range recs {
		q, ok := got[r.Seq]
		if !ok {
			t.Fatalf("record %s not quarantined (objects %q)", r.Seq, keys)
		}
		if data, err := base64.StdEncoding.DecodeString(q.Data); err != nil || !bytes.Equal(data, r.Data) {
			t.Errorf("quarantined %s: data %q; want the record's bytes %q", r.Seq, data, r.Data)
		}
	}
	return got
}

func decompressLines(t *testing.T, compression string, body []byte) []string {
	t.Helper()
	var r io.Reader = bytes.NewReader(body)
	switch compression {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(r)
		if err != nil {
			t.Fatalf("zstd: %v", err)
		}
		defer zr.Close()
		r = zr
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", compression, err)
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Fatalf("JSON Lines body does not end with a newline: %q", data)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// kinesisRecord is one record of a test event.
type kinesisRecord struct {
	Seq     string
	Data    []byte
	Arrival time.Time
}

// records makes a shard's worth of records: realistic 56-digit sequence numbers in increasing order, arrivals a
// second apart within one hour (2024-03-05 07:xx UTC), so batch mode writes one object.
func records(data ...string) []kinesisRecord {
	seq, _ := new(big.Int).SetString("49590338271490256608559692538361571095921575989136588898", 10)
	step := big.NewInt(2564341663402534550)
	base := time.Date(2024, 3, 5, 7, 12, 30, 125e6, time.UTC)
	recs := make([]kinesisRecord, len(data))
	for i, d := range data {
		recs[i] = kinesisRecord{Seq: seq.String(), Data: []byte(d), Arrival: base.Add(time.Duration(i) * time.Second)}
		seq.Add(seq, step)
	}
	return recs
}

// kinesisEvent encodes records as the event Lambda's Kinesis event source mapping sends (see "Using Lambda with
// Kinesis" in the Lambda developer guide): base64 data, arrival time in float seconds with millisecond precision,
// eventID "<shardId>:<sequenceNumber>".
func kinesisEvent(recs []kinesisRecord) []byte {
	type payload struct {
		KinesisSchemaVersion        string      `json:"kinesisSchemaVersion"`
		PartitionKey                string      `json:"partitionKey"`
		SequenceNumber              string      `json:"sequenceNumber"`
		Data                        []byte      `json:"data"` // encoding/json writes standard base64
		ApproximateArrivalTimestamp json.Number `json:"approximateArrivalTimestamp"`
	}
	type record struct {
		Kinesis           payload `json:"kinesis"`
		EventSource       string  `json:"eventSource"`
		EventVersion      string  `json:"eventVersion"`
		EventID           string  `json:"eventID"`
		EventName         string  `json:"eventName"`
		InvokeIdentityArn string  `json:"invokeIdentityArn"`
		AwsRegion         string  `json:"awsRegion"`
		EventSourceARN    string  `json:"eventSourceARN"`
	}
	var event struct {
		Records []record `json:"Records"`
	}
	for i, r := range recs {
		event.Records = append(event.Records, record{
			Kinesis: payload{
				KinesisSchemaVersion:        "1.0",
				PartitionKey:                fmt.Sprintf("pk-%d", i),
				SequenceNumber:              r.Seq,
				Data:                        r.Data,
				ApproximateArrivalTimestamp: json.Number(fmt.Sprintf("%d.%03d", r.Arrival.Unix(), r.Arrival.Nanosecond()/1e6)),
			},
			EventSource:       "aws:kinesis",
			EventVersion:      "1.0",
			EventID:           shardID + ":" + r.Seq,
			EventName:         "aws:kinesis:record",
			InvokeIdentityArn: "arn:aws:iam::000000000000:role/kinesis2s3-function",
			AwsRegion:         "us-east-1",
			EventSourceARN:    streamARN,
		})
	}
	b, err := json.Marshal(event)
	if err != nil {
		panic(err) // strings, bytes and numbers only
	}
	return b
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
	"github.com/kinesis2s3/kinesis2s3/internal/generate"
	"github.com/kinesis2s3/kinesis2s3/local/emulators"
)

func runCmd(t *testing.T, args ...string) (stdout, stderr string, exit int) {
	t.Helper()
	var out, errOut bytes.Buffer
	exit = run(t.Context(), args, &out, &errOut)
	return out.String(), errOut.String(), exit
}

func TestGenerateHelp(t *testing.T) {
	_, stderr, exit := runCmd(t, "generate", "-h")
	if exit != 0 {
		t.Fatalf("generate -h exited %d", exit)
	}
	for _, want := range []string{"-stream NAME", "-template NAME", "-invalid-fraction", "-kpl-fraction", "-output FILE", "Examples:", "bad-utf8", "AWS_ENDPOINT_URL_KINESIS"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("generate -h does not mention %q", want)
		}
	}
	stdout, _, exit := runCmd(t, "generate", "-list-templates")
	if exit != 0 || !strings.Contains(stdout, "clickstream") || !strings.Contains(stdout, "quote V") {
		t.Errorf("-list-templates exited %d: %s", exit, stdout)
	}
}

func TestGenerateFlagErrors(t *testing.T) {
	cases := map[string][]string{
		"flag provided but not defined":   {"-nope"},
		"-stream is required":             {"-count", "1"},
		`no built-in template "web"`:      {"-template", "web", "-dry-run"},
		"exclude each other":              {"-template", "iot", "-template-file", "x.tmpl", "-dry-run"},
		"template file":                   {"-template-file", "/nonexistent/x.tmpl", "-dry-run"},
		"unknown invalid-record kind":     {"-invalid-kinds", "not-json,bogus", "-dry-run"},
		"add up to at most 1":             {"-invalid-fraction", "0.8", "-kpl-fraction", "0.3", "-dry-run"},
		"-start-time":                     {"-start-time", "yesterday", "-dry-run"},
		`unexpected argument "extra"`:     {"-dry-run", "extra"},
		"-kpl-records 0":                  {"-kpl-records", "0", "-dry-run"},
		`map has no entry for key "nope"`: {"-partition-key", "{{.nope}}", "-dry-run"},
		"-batch-size 501: want 1-500":     {"-stream", "s", "-batch-size", "501", "-count", "1"},
		"-concurrency 0: want at least 1": {"-stream", "s", "-concurrency", "0"},
		"-rate -1: must not be negative":  {"-stream", "s", "-rate", "-1"},
		"late fraction 1.5":               {"-late-fraction", "1.5", "-dry-run"},
		"disorder (-1s)":                  {"-out-of-order", "-1s", "-dry-run"},
	}
	for want, args := range cases {
		_, stderr, exit := runCmd(t, append([]string{"generate"}, args...)...)
		if exit == 0 || !strings.Contains(stderr, want) {
			t.Errorf("generate %v: exit %d, stderr %q; want an error mentioning %q", args, exit, stderr, want)
		}
	}
}

func TestGenerateDryRun(t *testing.T) {
	tmpl := filepath.Join(t.TempDir(), "user.tmpl")
	if err := os.WriteFile(tmpl, []byte(`{"who": {{quote name}}, "n": {{index}}, "at": {{quote timestamp}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"generate", "-dry-run", "-count", "5", "-seed", "3", "-rate", "10", "-start-time", "2026-05-01T00:00:00Z",
		"-template-file", tmpl, "-partition-key", "p-{{.n}}"}
	a, stderr, exit := runCmd(t, args...)
	if exit != 0 {
		t.Fatalf("exit %d: %s", exit, stderr)
	}
	if !strings.Contains(stderr, "seed 3") {
		t.Errorf("stderr %q does not report the seed", stderr)
	}
	lines, err := generate.ReadAudit(strings.NewReader(a))
	if err != nil || len(lines) != 5 {
		t.Fatalf("%d lines, %v", len(lines), err)
	}
	for i, l := range lines {
		data, _ := l.Bytes()
		wantAt := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 100 * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
		if l.PartitionKey != "p-"+strconv.Itoa(i) || !bytes.Contains(data, []byte(`"at":"`+wantAt+`"`)) {
			t.Errorf("line %d: key %q data %s; want key p-%d and at %s", i, l.PartitionKey, data, i, wantAt)
		}
	}
	if b, _, _ := runCmd(t, args...); b != a {
		t.Error("the same seed and start time gave different records")
	}
}

// TestGenerateAgainstTheEmulator sends records of every kind but oversized (1 MiB each) into a 3-shard stream of
// the local Kinesis emulator and reads the stream back: exactly the records in the --output file are there, with
// the same sequence numbers, shards, keys and bytes.
func TestGenerateAgainstTheEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Kinesis emulator")
	}
	stack := emulators.StartT(t, emulators.Options{WithoutFauxqs: true, StreamDelay: 10 * time.Millisecond})
	for k, v := range stack.Env() {
		t.Setenv(k, v)
	}
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	k := stack.Kinesis()
	const stream = "generate-e2e"
	createStream(t, k, stream, 3)

	out := filepath.Join(t.TempDir(), "sent.jsonl")
	const n = 400
	stdout, stderr, exit := runCmd(t, "generate", "-stream", stream, "-count", strconv.Itoa(n), "-rate", "0", "-seed", "11",
		"-template", "orders", "-invalid-fraction", "0.2", "-kpl-fraction", "0.2", "-batch-size", "150", "-output", out)
	if exit != 0 {
		t.Fatalf("generate exited %d\nstdout: %s\nstderr: %s", exit, stdout, stderr)
	}
	t.Logf("%s%s", stderr, stdout)

	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sent, err := generate.ReadAudit(f)
	if err != nil {
		t.Fatal(err)
	}
	var invalid, kpl int
	for _, a := range sent {
		switch {
		case a.Kind == generate.KindKPL:
			kpl++
		case a.Kind.Invalid():
			invalid++
		}
	}
	summary := regexp.MustCompile(`generated (\d+) sent (\d+) failed (\d+) throttled-retries \d+ invalid (\d+) kpl (\d+) late \d+ unsent (\d+)`).FindStringSubmatch(stdout)
	want := []string{strconv.Itoa(n), strconv.Itoa(n), "0", strconv.Itoa(invalid), strconv.Itoa(kpl), "0"}
	if summary == nil || strings.Join(summary[1:], " ") != strings.Join(want, " ") {
		t.Fatalf("summary %q, want generated/sent/failed/invalid/kpl/unsent %v", stdout, want)
	}
	if len(sent) != n || invalid == 0 || kpl == 0 {
		t.Fatalf("output file: %d lines, %d invalid, %d kpl", len(sent), invalid, kpl)
	}

	got := readStream(t, k, stream)
	if len(got) != n {
		t.Fatalf("the stream holds %d records, generate sent %d", len(got), n)
	}
	shards := map[string]bool{}
	for _, a := range sent {
		r, ok := got[a.SequenceNumber]
		if !ok {
			t.Errorf("record %d (sequence number %s) is not in the stream", a.Index, a.SequenceNumber)
			continue
		}
		data, err := a.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if r.shard != a.ShardID || aws.ToString(r.PartitionKey) != a.PartitionKey || !bytes.Equal(r.Data, data) {
			t.Errorf("record %d: stream has shard %s key %q data %q; output file says %s %q %q", a.Index, r.shard,
				aws.ToString(r.PartitionKey), excerpt(r.Data), a.ShardID, a.PartitionKey, excerpt(data))
		}
		shards[r.shard] = true
	}
	if len(shards) != 3 {
		t.Errorf("records landed on %d of 3 shards", len(shards))
	}
}

func excerpt(b []byte) []byte { return b[:min(len(b), 80)] }

func createStream(t testing.TB, k *kinesis.Client, name string, shards int32) {
	t.Helper()
	ctx := t.Context()
	if _, err := k.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)}); err != nil {
		t.Fatal(err)
	}
	waiter := kinesis.NewStreamExistsWaiter(k, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	if err := waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, time.Minute); err != nil {
		t.Fatal(err)
	}
}

type streamRecord struct {
	ktypes.Record
	shard string
}

// readStream reads every shard from the start until it is caught up and returns the records by sequence
// number, checking that each shard returns them in increasing sequence-number order.
func readStream(t *testing.T, k *kinesis.Client, stream string) map[string]streamRecord {
	t.Helper()
	ctx := t.Context()
	shards, err := k.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]streamRecord{}
	for _, sh := range shards.Shards {
		it, err := k.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: sh.ShardId,
			ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter, last := it.ShardIterator, ""
		for iter != nil {
			res, err := k.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Records {
				seq := aws.ToString(r.SequenceNumber)
				if !seqnum.Valid(seq) || last != "" && seqnum.Compare(last, seq) >= 0 {
					t.Fatalf("shard %s: sequence number %q after %q", *sh.ShardId, seq, last)
				}
				last = seq
				out[seq] = streamRecord{r, *sh.ShardId}
			}
			if len(res.Records) == 0 && aws.ToInt64(res.MillisBehindLatest) == 0 {
				break
			}
			iter = res.NextShardIterator
		}
	}
	return out
}

// BenchmarkGenerateLocalKinesis measures the whole path (render, batch, PutRecords over HTTP, accounting) against
// the local Kinesis emulator, in records per second. Run with a fixed count, e.g.
//
//	go test -run '^$' -bench GenerateLocalKinesis -benchtime 5000x ./cmd/pipelinectl/
func BenchmarkGenerateLocalKinesis(b *testing.B) {
	stack := emulators.StartT(b, emulators.Options{WithoutFauxqs: true, StreamDelay: 10 * time.Millisecond})
	k := stack.Kinesis()
	for _, shards := range []int32{1, 4} {
		b.Run("shards="+strconv.Itoa(int(shards)), func(b *testing.B) {
			stream := "bench-" + strconv.Itoa(int(shards)) + "-" + strconv.Itoa(b.N)
			createStream(b, k, stream, shards)
			b.ResetTimer()
			s := benchRun(b, k, stream, int64(b.N))
			b.StopTimer()
			if s.Sent != int64(b.N) {
				b.Fatalf("sent %d of %d: %s", s.Sent, b.N, s.Summary())
			}
			b.ReportMetric(float64(s.Sent)/s.Elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(s.ThrottledRetries), "throttled-retries")
		})
	}
}

func benchRun(b *testing.B, k *kinesis.Client, stream string, n int64) generate.Stats {
	builtin, _ := generate.LookupBuiltin("clickstream")
	gen, err := generate.NewGenerator(generate.Options{TemplateName: builtin.Name, Template: builtin.Text, PartitionKey: builtin.PartitionKey, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	s, err := generate.Run(context.Background(), k, gen, generate.Config{Stream: stream, Count: n, Concurrency: 4})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

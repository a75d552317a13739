package test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/random"

	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
	"github.com/kinesis2s3/kinesis2s3/local/emulators"
	"github.com/kinesis2s3/kinesis2s3/local/esm"
	"github.com/kinesis2s3/kinesis2s3/local/pipeline"
)

// TestRedrive plays the 3 a.m. incident on the local stack with the real function, event source mapping and
// CLI: S3 refuses every write, the mapping gives up on every batch and fills the on-failure queue; a redrive
// while S3 still fails keeps every message; once S3 is fixed, a dry run reports the messages and changes
// nothing, the redrive brings every skipped record into the bucket exactly once and empties the queue, and a
// second redrive finds nothing to do. It runs once per mode (direct: the CLI writes to S3 itself; invoke: it
// invokes the function through the Lambda Invoke API), and once for messages whose data is gone.
//
// pipelinectl runs as a real process, built once: the test then goes through what an operator's run goes
// through — the SDK's default chain reading the AWS_ENDPOINT_URL_* variables, stdout and stderr kept apart,
// and the exit status — none of which an in-process call could show without changing the test's own
// environment.
func TestRedrive(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts the emulators and the function")
	}
	cli := buildPipelinectl(t)
	stack := emulators.StartT(t, emulators.Options{})
	t.Run("direct", func(t *testing.T) { testRedriveMode(t, stack, cli, "direct") })
	t.Run("invoke", func(t *testing.T) { testRedriveMode(t, stack, cli, "invoke") })
	t.Run("data-gone", func(t *testing.T) { testRedriveDataGone(t, stack, cli) })
	t.Run("s3-direct", func(t *testing.T) { testRedriveS3(t, stack, cli, "direct") })
	t.Run("s3-invoke", func(t *testing.T) { testRedriveS3(t, stack, cli, "invoke") })
}

func testRedriveMode(t *testing.T, stack *emulators.Stack, cli, mode string) {
	inc := startIncident(t, stack, mode, pipeline.OnFailureSQS)
	p, d, s, sent, messages := inc.p, inc.d, inc.s, inc.sent, inc.discards
	assertBucketEmpty(t, d)
	args := inc.args("-queue-url", p.QueueURL)

	// Redriving before the cause is fixed keeps every message, loudly.
	out := runPipelinectl(t, cli, inc.env, args...)
	if out.exit != 1 || !strings.Contains(out.stdout, fmt.Sprintf("%d received, 0 redriven, 0 deleted, %d kept", messages, messages)) ||
		!strings.Contains(out.stderr, "KEPT: reprocessing failed") {
		t.Fatalf("redrive while S3 fails: %s", out)
	}
	assertQueue(t, d, messages)
	assertBucketEmpty(t, d)

	// Fix the cause, then look before leaping.
	p.Faults.Reset()
	out = runPipelinectl(t, cli, inc.env, "redrive", "-queue-name", s.Name+"-on-failure", "-dry-run")
	if out.exit != 0 || !strings.Contains(out.stdout, fmt.Sprintf("%d received, %d would be redriven, 0 would be kept", messages, messages)) ||
		!strings.Contains(out.stdout, fmt.Sprintf("records: %d found in the stream", len(sent))) ||
		!strings.Contains(out.stderr, "retention 24h: ") {
		t.Fatalf("dry run: %s", out)
	}
	assertQueue(t, d, messages)
	assertBucketEmpty(t, d)

	began := time.Now()
	out = runPipelinectl(t, cli, inc.env, args...)
	elapsed := time.Since(began)
	if out.exit != 0 || !strings.Contains(out.stdout, fmt.Sprintf("%d received, %d redriven, %d deleted, 0 kept", messages, messages, messages)) ||
		!strings.Contains(out.stdout, fmt.Sprintf("%d reprocessed, 0 failed", len(sent))) {
		t.Fatalf("redrive: %s", out)
	}
	if mode == "direct" && !strings.Contains(out.stdout, fmt.Sprintf("user records: %d written, %d quarantined", len(sent)-3, 3)) {
		t.Errorf("direct redrive counts: %s", out)
	}
	assertQueue(t, d, 0)
	rep := inc.assertAllBackOnceAndRerunIsNoOp(t, cli, args, "0 received")
	logger.Default.Logf(t, "%s redrive: %d messages, %d records (%d written, %d quarantined) in %s: %.1f messages/s, %.0f records/s",
		mode, messages, len(sent), rep.Written, rep.Quarantined, elapsed.Round(time.Millisecond),
		float64(messages)/elapsed.Seconds(), float64(len(sent))/elapsed.Seconds())
}

// incident is a local pipeline whose function cannot write to S3, once the event source mapping has given up on
// every record put: the 3 a.m. starting point of a redrive.
type incident struct {
	p        *pipeline.Pipeline
	d        *Deployment
	s        pipeline.Settings
	mode     string            // how pipelinectl reprocesses: direct or invoke
	env      map[string]string // pipelinectl's: the failing S3 (through the fault proxy) and the Lambda API
	since    time.Time
	sent     []putEntry
	discards int // on-failure records written
}

// startIncident starts a pipeline with the given on-failure destination (in batch mode for a direct redrive,
// whose keys must then reproduce the function's batching), makes every upload fail, puts 100 records and 3 poison
// records, and waits until the mapping has discarded them all.
func startIncident(t *testing.T, stack *emulators.Stack, mode, destination string) *incident {
	s := pipeline.DefaultSettings()
	s.Name = "redrive-" + mode + "-" + strings.ToLower(random.UniqueId())
	if destination == pipeline.OnFailureS3 {
		s.Name = "redrive-s3-" + strings.TrimPrefix(s.Name, "redrive-")
	}
	s.Shards = 2
	s.LogLevel = "WARN"
	s.OnFailureDestination = destination
	if mode == "direct" { // batch mode's keys depend on the batching: the redrive must reproduce them
		s.OutputMode, s.Compression = "batch", "gzip"
	}
	s.ESM.BatchSize = 20
	s.ESM.MaximumBatchingWindow = time.Second
	s.ESM.MaximumRetryAttempts = 1
	s.ESM.BisectBatchOnFunctionError = true
	s.ESM.PollInterval = 250 * time.Millisecond
	logDir := t.TempDir()
	p, err := pipeline.Start(t.Context(), pipeline.Options{
		Settings: s, Stack: stack, S3Faults: true, LogDir: logDir,
		ESMOptions: []esm.Option{esm.WithRetryBackoff(50*time.Millisecond, 500*time.Millisecond)},
	})
	if err != nil {
		t.Fatalf("local pipeline: %v", err)
	}
	t.Cleanup(func() {
		p.Close()
		if t.Failed() {
			emulators.DumpLogs(t, p.Function.LogFiles()...)
		}
	})
	inc := &incident{p: p, s: s, mode: mode, d: &Deployment{
		Name: s.Name, StreamName: p.StreamName, StreamARN: p.StreamARN, Bucket: p.Bucket, DLQURL: p.QueueURL,
		Kinesis: p.Kinesis, S3: p.S3, SQS: p.SQS, Patience: 90 * time.Second,
		Layout: s.Layout(),
	}}
	inc.env = maps.Clone(stack.Env())
	inc.env["AWS_ENDPOINT_URL_S3"] = p.Faults.URL // the operator's S3 is the one that fails
	inc.env["AWS_ENDPOINT_URL_LAMBDA"] = serveLambdaAPI(t, p.Function, s.HandlerEnv(p.Bucket))

	// The incident: every upload fails, so the mapping discards every batch to the on-failure destination.
	p.Faults.FailObjectPuts(nil)
	inc.since = time.Now()
	var entries []e2eEntry
	for i := range 100 {
		entries = append(entries, validEntry(s.Name, i, "pk-"+strconv.Itoa(i%7)))
		if i%40 == 10 {
			entries = append(entries, notJSONEntry("pk-bad"))
		}
	}
	inc.sent = putRecords(t, inc.d, entries)
	inc.discards = waitForDiscards(t, p, len(inc.sent))
	return inc
}

// args are pipelinectl's arguments for a redrive from source in the incident's mode.
func (inc *incident) args(source ...string) []string {
	args := append([]string{"redrive"}, source...)
	args = append(args, "-mode", inc.mode, "-retries", "1", "-concurrency", "3")
	if inc.mode == "direct" {
		return append(args, "-config-from-function", inc.s.Name)
	}
	return append(args, "-function", inc.s.Name)
}

// assertAllBackOnceAndRerunIsNoOp waits until every record put is in the bucket exactly once, then redrives
// again: the run must report nothing to do (noOp) and change nothing; and the mapping must not have delivered a
// record itself.
func (inc *incident) assertAllBackOnceAndRerunIsNoOp(t *testing.T, cli string, args []string, noOp string) ledger.Report {
	t.Helper()
	rep := waitForBucket(t, inc.d, inc.since, expectsOf(inc.sent))
	before := objectTags(t, inc.d)

	// Nothing left to do, and nothing changes.
	out := runPipelinectl(t, cli, inc.env, args...)
	if out.exit != 0 || !strings.Contains(out.stdout, noOp) {
		t.Fatalf("second redrive: %s", out)
	}
	if after := objectTags(t, inc.d); !maps.Equal(before, after) {
		t.Errorf("the second redrive changed the bucket:\nbefore %v\nafter  %v", before, after)
	}
	if st := inc.p.Mapping.Stats(); st.RecordsSucceeded != 0 {
		t.Errorf("the mapping delivered %d records itself: the redrive was not what filled the bucket", st.RecordsSucceeded)
	}
	return rep
}

// testRedriveDataGone hand-crafts on-failure records whose data cannot be read back — a deleted stream, a shard
// that does not exist, a range past the end of a shard — next to one that is fine and a message that is not an
// on-failure record. Only the good one may be deleted; the others stay on the queue, are named with their
// ranges, and make the exit status 1.
func testRedriveDataGone(t *testing.T, stack *emulators.Stack, cli string) {
	ctx := t.Context()
	name := "redrive-gone-" + strings.ToLower(random.UniqueId())
	k, q, s3c := stack.Kinesis(), stack.SQS(), stack.S3()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	qurl, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	d := &Deployment{Name: name, Bucket: name, DLQURL: aws.ToString(qurl.QueueUrl), Kinesis: k, S3: s3c, SQS: q, Patience: 30 * time.Second,
		Layout: ledger.Layout{OutputMode: "record", KeyPrefix: "kinesis/", ErrorPrefix: "errors/"}}

	live, deleted := name+"-live", name+"-deleted"
	var liveRecs, deletedRecs []putEntry
	for _, stream := range []string{live, deleted} {
		if _, err := k.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(stream), ShardCount: aws.Int32(1)}); err != nil {
			t.Fatal(err)
		}
		waitActive(t, k, stream)
		d.StreamName = stream
		var es []e2eEntry
		for i := range 5 {
			es = append(es, validEntry(stream, i, "k"))
		}
		recs := putRecords(t, d, es)
		if stream == live {
			liveRecs = recs
		} else {
			deletedRecs = recs
		}
	}
	if _, err := k.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(deleted)}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, k, deleted)
	arn := "arn:aws:kinesis:" + stack.Region + ":" + emulators.AccountID + ":stream/"
	shard := liveRecs[0].shardID
	past := liveRecs[4].seq[:len(liveRecs[4].seq)-6] + "999999" // after every record of the shard
	send := func(body string) string {
		out, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.DLQURL), MessageBody: aws.String(body)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.MessageId)
	}
	good := send(onFailureJSON(t, arn+live, shard, liveRecs[1].seq, liveRecs[3].seq, 3))
	gone := map[string]string{ // message ID → the range, as the report must show it
		send(onFailureJSON(t, arn+deleted, shard, deletedRecs[0].seq, deletedRecs[4].seq, 5)):         deletedRecs[0].seq + ".." + deletedRecs[4].seq,
		send(onFailureJSON(t, arn+live, "shardId-000000000007", liveRecs[0].seq, liveRecs[1].seq, 2)): liveRecs[0].seq + ".." + liveRecs[1].seq,
		send(onFailureJSON(t, arn+live, shard, past, past, 1)):                                        past + ".." + past,
	}
	junk := send(`{"requestContext":{"condition":"RetryAttemptsExhausted"},"SQSBatchInfo":{"queueArn":"x"}}`)

	env := stack.Env()
	out := runPipelinectl(t, cli, env, "redrive", "-queue-url", d.DLQURL, "-mode", "direct", "-bucket", name,
		"-s3-force-path-style", "true", "-concurrency", "2")
	if out.exit != 1 || !strings.Contains(out.stdout, "5 received, 1 redriven, 1 deleted, 4 kept") ||
		!regexp.MustCompile(`data gone:\s+3`).MatchString(out.stdout) ||
		!regexp.MustCompile(`not a Kinesis on-failure record:\s+1`).MatchString(out.stdout) ||
		!strings.Contains(out.stderr, "4 of 5 messages kept on the queue") {
		t.Fatalf("redrive: %s", out)
	}
	for id, rng := range gone {
		if !strings.Contains(out.stdout, "KEPT: data gone: message "+id) || !strings.Contains(out.stdout, rng) {
			t.Errorf("the summary does not name message %s with its range %s:\n%s", id, rng, out.stdout)
		}
	}
	if !strings.Contains(out.stdout, "KEPT: not a Kinesis on-failure record: message "+junk) {
		t.Errorf("the summary does not name message %s:\n%s", junk, out.stdout)
	}
	ids := queueIDs(t, d)
	slices.Sort(ids)
	want := append(slices.Collect(maps.Keys(gone)), junk)
	slices.Sort(want)
	if !slices.Equal(ids, want) || slices.Contains(ids, good) {
		t.Errorf("queue holds %v, want exactly the kept %v", ids, want)
	}
	waitForBucket(t, d, time.Time{}, expectsOf(liveRecs[1:4]))
}

// buildPipelinectl builds the CLI into a temporary directory.
func buildPipelinectl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pipelinectl")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/pipelinectl")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/pipelinectl: %v\n%s", err, out)
	}
	return bin
}

type cliResult struct {
	args           []string
	stdout, stderr string
	exit           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("pipelinectl %s: exit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(r.args, " "), r.exit, r.stdout, r.stderr)
}

// runPipelinectl runs the CLI with env and nothing else from this process's environment (no profile or
// endpoint of the developer's can leak in), and logs what it printed.
func runPipelinectl(t *testing.T, bin string, env map[string]string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	home := t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.exit = exitErr.ExitCode()
	default:
		t.Fatalf("pipelinectl: %v", err)
	}
	logger.Default.Logf(t, "%s", res)
	return res
}

// serveLambdaAPI serves the two Lambda API calls the redrive makes, for a function running under the RIE.
// Invoke (POST /2015-03-31/functions/NAME/invocations) goes to a free execution environment through the
// harness, as the Lambda service routes it: one RIE takes one invocation at a time, so a concurrent redrive
// cannot be pointed at a single RIE. A failed invocation is reported with X-Amz-Function-Error, which Lambda
// sends and the RIE does not. GetFunctionConfiguration answers with the function's environment and a role.
func serveLambdaAPI(t *testing.T, fn *emulators.Function, handlerEnv map[string]string) string {
	prefix := "/2015-03-31/functions/" + fn.Name + "/"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == prefix+"invocations":
			payload, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			res, err := fn.Invoke(r.Context(), payload)
			if err != nil {
				w.Header().Set("X-Amzn-ErrorType", "ServiceException")
				w.WriteHeader(http.StatusInternalServerError)
				json.NewEncoder(w).Encode(map[string]string{"message": err.Error()})
				return
			}
			if res.FunctionError != "" {
				w.Header().Set("X-Amz-Function-Error", res.FunctionError)
			}
			w.Header().Set("X-Amz-Executed-Version", "$LATEST")
			w.Write(res.Payload)
		case r.Method == http.MethodGet && r.URL.Path == prefix+"configuration":
			json.NewEncoder(w).Encode(map[string]any{
				"FunctionName": fn.Name, "FunctionArn": fn.ARN,
				"Role":        "arn:aws:iam::" + emulators.AccountID + ":role/" + fn.Name + "-role",
				"Environment": map[string]any{"Variables": handlerEnv},
			})
		default:
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"message": "Function not found: " + r.URL.Path})
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// waitForDiscards waits until the mapping has given up on all n records and sent their on-failure records (to
// the queue, or the bucket), and returns how many it sent.
func waitForDiscards(t *testing.T, p *pipeline.Pipeline, n int) int {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st := p.Mapping.Stats()
		depth, err := p.OnFailureCount(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.RecordsDiscarded == int64(n) && int64(depth) == st.OnFailureSent {
			if st.OnFailureSent < 2 {
				t.Fatalf("%d on-failure records: the scenario needs several", st.OnFailureSent)
			}
			logger.Default.Logf(t, "mapping gave up on %d records in %d on-failure records (%d invocations)", n, st.OnFailureSent, st.Invocations)
			return depth
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 2 minutes: %d of %d records discarded, %d on-failure records sent, queue depth %d", st.RecordsDiscarded, n, st.OnFailureSent, depth)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// assertQueue checks that the queue holds n messages, all visible (none left hidden by a redrive).
func assertQueue(t *testing.T, d *Deployment, n int) {
	t.Helper()
	out, err := d.SQS.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(d.DLQURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	if err != nil {
		t.Fatal(err)
	}
	visible := out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]
	hidden := out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)]
	if visible != strconv.Itoa(n) || hidden != "0" {
		t.Fatalf("queue holds %s visible and %s hidden messages, want %d visible", visible, hidden, n)
	}
}

// queueIDs lists the IDs of the messages on the queue, leaving them there.
func queueIDs(t *testing.T, d *Deployment) []string {
	t.Helper()
	var ids []string
	var receipts []*string
	for {
		out, err := d.SQS.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(d.DLQURL),
			MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			ids = append(ids, aws.ToString(m.MessageId))
			receipts = append(receipts, m.ReceiptHandle)
		}
	}
	for _, r := range receipts {
		if _, err := d.SQS.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(d.DLQURL),
			ReceiptHandle: r, VisibilityTimeout: 0}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func assertBucketEmpty(t *testing.T, d *Deployment) {
	t.Helper()
	if tags := objectTags(t, d); len(tags) > 0 {
		t.Fatalf("the bucket holds %d objects, want none: %v", len(tags), slices.Collect(maps.Keys(tags)))
	}
}

// objectTags maps every key in the bucket to its ETag.
func objectTags(t *testing.T, d *Deployment) map[string]string {
	t.Helper()
	return listObjects(t, d.S3, d.Bucket, "")
}

func waitActive(t *testing.T, k *kinesis.Client, stream string) {
	t.Helper()
	// The waiter's default delays (10s to 2 min) are for AWS; the emulator takes about half a second.
	if err := kinesis.NewStreamExistsWaiter(k, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}).Wait(t.Context(), &kinesis.DescribeStreamInput{StreamName: aws.String(stream)}, time.Minute); err != nil {
		t.Fatalf("stream %s not active: %v", stream, err)
	}
}

// onFailureJSON is an on-failure record as Lambda writes it, for a range of one shard.
func onFailureJSON(t *testing.T, streamARN, shard, start, end string, n int) string {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	b, err := json.Marshal(onfailure.Record{
		RequestContext: onfailure.RequestContext{RequestID: random.UniqueId(), Condition: onfailure.RetryAttemptsExhausted,
			FunctionARN: "arn:aws:lambda:us-east-1:" + emulators.AccountID + ":function:gone", ApproximateInvokeCount: 2},
		ResponseContext: onfailure.ResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: "Unhandled"},
		Version:         "1.0",
		Timestamp:       now,
		KinesisBatchInfo: &onfailure.KinesisBatchInfo{ShardID: shard, StartSequenceNumber: start, EndSequenceNumber: end,
			ApproximateArrivalOfFirstRecord: now.Add(-time.Minute), ApproximateArrivalOfLastRecord: now.Add(-time.Minute),
			BatchSize: n, StreamARN: streamARN},
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitGone waits until a deleted stream is no longer found (it is DELETING for a while).
func waitGone(t *testing.T, k *kinesis.Client, stream string) {
	t.Helper()
	if err := kinesis.NewStreamNotExistsWaiter(k, func(o *kinesis.StreamNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}).Wait(t.Context(), &kinesis.DescribeStreamInput{StreamName: aws.String(stream)}, time.Minute); err != nil {
		t.Fatalf("stream %s still there: %v", stream, err)
	}
}

// testRedriveS3 plays the incident with the on-failure records in S3 (on_failure_destination = "s3"): the function
// keeps failing, so the mapping writes an object per discarded batch under aws/lambda/<mapping UUID>/ in the
// bucket. The stream is then deleted — the objects carry the records, and the redrive must not need it. A dry
// run changes nothing; a redrive while the uploads of one object's records still fail deletes every other object
// and keeps that one; once S3 is fixed, the next redrive brings it back too, every record is in the bucket exactly
// once, and a further run finds nothing to do.
func testRedriveS3(t *testing.T, stack *emulators.Stack, cli, mode string) {
	inc := startIncident(t, stack, mode, pipeline.OnFailureS3)
	p, d, sent, objects := inc.p, inc.d, inc.sent, inc.discards
	prefix := onfailure.KeyPrefix(p.Mapping.UUID())
	if want := "s3://" + p.Bucket + "/" + prefix; p.OnFailureSource != want {
		t.Fatalf("on-failure source %s, want %s", p.OnFailureSource, want)
	}
	keys := slices.Sorted(maps.Keys(listObjects(t, d.S3, d.Bucket, prefix)))
	if len(keys) != objects {
		t.Fatalf("%d objects under %s, the mapping wrote %d", len(keys), prefix, objects)
	}
	assertQueue(t, d, 0)
	assertNoData(t, d)

	// The data is in the objects: the stream can go.
	if _, err := d.Kinesis.DeleteStream(t.Context(), &kinesis.DeleteStreamInput{StreamName: aws.String(d.StreamName)}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, d.Kinesis, d.StreamName)
	args := inc.args("-source", p.OnFailureSource)

	p.Faults.Reset()
	out := runPipelinectl(t, cli, inc.env, "redrive", "-source", "s3://"+p.Bucket+"/", "-dry-run")
	if out.exit != 0 || !strings.Contains(out.stdout, fmt.Sprintf("objects: %d read, %d would be redriven, 0 would be kept", objects, objects)) ||
		!strings.Contains(out.stdout, fmt.Sprintf("records: %d found in the objects", len(sent))) {
		t.Fatalf("dry run: %s", out)
	}
	if after := slices.Sorted(maps.Keys(listObjects(t, d.S3, d.Bucket, prefix))); !slices.Equal(after, keys) {
		t.Fatalf("the dry run changed the objects: %v", after)
	}
	assertNoData(t, d)

	// The uploads of one object's records keep failing: that object stays, every other one goes.
	victim := keys[0]
	victimSeqs := objectSequenceNumbers(t, d, victim)
	p.Faults.FailObjectPuts(func(key string) bool {
		return slices.ContainsFunc(victimSeqs, func(seq string) bool { return strings.Contains(key, seq) })
	})
	out = runPipelinectl(t, cli, inc.env, args...)
	if out.exit != 1 || !strings.Contains(out.stdout, fmt.Sprintf("objects: %d read, %d redriven, %d deleted, 1 kept", objects, objects-1, objects-1)) ||
		!strings.Contains(out.stdout, "KEPT: reprocessing failed: object "+victim) ||
		!strings.Contains(out.stderr, fmt.Sprintf("1 of %d objects left in the bucket", objects)) {
		t.Fatalf("redrive while one object's uploads fail: %s", out)
	}
	if left := slices.Collect(maps.Keys(listObjects(t, d.S3, d.Bucket, prefix))); !slices.Equal(left, []string{victim}) {
		t.Fatalf("left %v, want only %s", left, victim)
	}

	p.Faults.Reset()
	out = runPipelinectl(t, cli, inc.env, args...)
	if out.exit != 0 || !strings.Contains(out.stdout, "objects: 1 read, 1 redriven, 1 deleted, 0 kept") {
		t.Fatalf("redrive once S3 is fixed: %s", out)
	}
	if left := listObjects(t, d.S3, d.Bucket, prefix); len(left) != 0 {
		t.Fatalf("objects left: %v", left)
	}
	rep := inc.assertAllBackOnceAndRerunIsNoOp(t, cli, args, "objects: 0 read")
	logger.Default.Logf(t, "%s redrive from S3: %d objects, %d records (%d written, %d quarantined), the stream deleted before",
		mode, objects, len(sent), rep.Written, rep.Quarantined)
}

// assertNoData checks that the function wrote nothing: no data object, no quarantined record.
func assertNoData(t *testing.T, d *Deployment) {
	t.Helper()
	for _, prefix := range []string{d.Layout.KeyPrefix, d.Layout.ErrorPrefix} {
		if objs := listObjects(t, d.S3, d.Bucket, prefix); len(objs) > 0 {
			t.Fatalf("%d objects under %s, want none: %v", len(objs), prefix, slices.Collect(maps.Keys(objs)))
		}
	}
}

// objectSequenceNumbers returns the sequence numbers of the records in an S3 on-failure object's payload.
func objectSequenceNumbers(t *testing.T, d *Deployment, key string) []string {
	t.Helper()
	out, err := d.S3.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(d.Bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := onfailure.Parse(body)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	event, err := rec.Event()
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	_, recs, err := kinesisevent.Decode(event)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	var seqs []string
	for _, r := range recs {
		seqs = append(seqs, r.SequenceNumber)
	}
	return seqs
}

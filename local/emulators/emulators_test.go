package emulators

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestStack starts both emulators and uses each service the pipeline needs through the stack's clients, then
// checks that Close leaves no process behind.
func TestStack(t *testing.T) {
	SkipIfShort(t)
	s, err := Start(t.Context(), Options{StreamDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Logf("start-up times: %v (Kinesis: %s)", s.StartupTimes, s.KinesisEngine)
	sessions := map[string]int{}
	for _, p := range s.procs {
		sessions[p.name] = p.cmd.Process.Pid
	}
	logDir := s.LogDir
	ctx := t.Context()

	t.Run("Kinesis", func(t *testing.T) {
		k := s.Kinesis()
		stream := aws.String("harness")
		if _, err := k.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: stream, ShardCount: aws.Int32(1)}); err != nil {
			t.Fatal(err)
		}
		if err := kinesis.NewStreamExistsWaiter(k, func(o *kinesis.StreamExistsWaiterOptions) {
			o.MinDelay = 100 * time.Millisecond
		}).Wait(ctx, &kinesis.DescribeStreamInput{StreamName: stream}, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		put, err := k.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: stream, PartitionKey: aws.String("p"), Data: []byte(`{"n":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		it, err := k.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: stream, ShardId: put.ShardId,
			ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Records) != 1 || string(got.Records[0].Data) != `{"n":1}` || *got.Records[0].SequenceNumber != *put.SequenceNumber {
			t.Fatalf("GetRecords = %+v; want the record just put (%s)", got.Records, *put.SequenceNumber)
		}
	})

	t.Run("S3", func(t *testing.T) {
		c := s.S3()
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("harness")}); err != nil {
			t.Fatal(err)
		}
		body := []byte("{\"a\":\"é\"}\n")
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("harness"), Key: aws.String("dir/x.json"), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
		obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("harness"), Key: aws.String("dir/x.json")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if !bytes.Equal(got, body) {
			t.Fatalf("GetObject = %q; want %q", got, body)
		}
	})

	t.Run("SQS", func(t *testing.T) {
		c := s.SQS()
		q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("harness-dlq")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(`{"k":"v"}`)}); err != nil {
			t.Fatal(err)
		}
		got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) != 1 || *got.Messages[0].Body != `{"k":"v"}` {
			t.Fatalf("ReceiveMessage = %+v; want the message sent", got.Messages)
		}
	})

	t.Run("Env", func(t *testing.T) {
		env := s.Env()
		for k, want := range map[string]string{
			"AWS_REGION":               "us-east-1",
			"AWS_ENDPOINT_URL_KINESIS": s.KinesisEndpoint,
			"AWS_ENDPOINT_URL_S3":      s.AWSEndpoint,
			"AWS_ENDPOINT_URL_SQS":     s.AWSEndpoint,
			"AWS_ACCESS_KEY_ID":        AccessKeyID,
		} {
			if env[k] != want || want == "" {
				t.Errorf("Env()[%s] = %q; want %q", k, env[k], want)
			}
		}
	})

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, sid := range sessions {
		// Nothing of the group is left: kill(-pgid, 0) fails with ESRCH once its last member is gone.
		if err := syscall.Kill(-sid, 0); err == nil {
			t.Errorf("%s: process group %d still has members after Close", name, sid)
		}
	}
	if _, err := os.Stat(logDir); !os.IsNotExist(err) {
		t.Errorf("temporary log directory %s not removed: %v", logDir, err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestStartReportsLogTail: when an emulator cannot start, the error says which and shows its log.
func TestStartReportsLogTail(t *testing.T) {
	SkipIfShort(t)
	// kinesis-mock refuses a certificate file that does not exist. It takes seconds to get that far (4.4 s with a load
	// of 9 on two cores): the default start-up bound (60 s), not a tighter one, so that a slower machine still sees
	// it exit rather than time out.
	_, err := Start(t.Context(), Options{
		WithoutFauxqs: true,
		KinesisEngine: KinesisMock,
		LogDir:        t.TempDir(),
		KinesisEnv:    map[string]string{"KINESIS_MOCK_CERT_PATH": "/nonexistent/server.json"},
	})
	if err == nil {
		t.Fatal("Start succeeded with a missing certificate")
	}
	if msg := err.Error(); !strings.Contains(msg, "kinesis-mock exited during start-up") || !strings.Contains(msg, "/nonexistent/server.json") {
		t.Errorf("error lacks the process name or its log tail: %v", err)
	}
}

// A child that fails to bind and keeps running (as kinesis-mock does) is reported as "address in use" at once, so
// that the caller retries on other ports; a retry's log, appended to the same file, is judged on its own lines.
func TestWaitReadyDetectsAddressInUse(t *testing.T) {
	SkipIfShort(t)
	log := filepath.Join(t.TempDir(), "child.log")
	notReady := func(context.Context) error { return errors.New("not listening") }
	start := func(script string) *process {
		p, err := startProcess("child", log, t.TempDir(), baseEnv(), "sh", "-c", script)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.stop)
		return p
	}
	began := time.Now()
	err := start(`echo "Error: listen EADDRINUSE: address already in use 127.0.0.1:1"; sleep 30`).waitReady(t.Context(), 20*time.Second, notReady)
	if !errors.Is(err, errAddrInUse) || time.Since(began) > 10*time.Second {
		t.Errorf("after %v: %v, want errAddrInUse at once", time.Since(began), err)
	}
	err = start(`echo "listening"; sleep 30`).waitReady(t.Context(), time.Second, notReady)
	if err == nil || errors.Is(err, errAddrInUse) {
		t.Errorf("second child: %v, want a plain timeout (the first child's EADDRINUSE is not its own)", err)
	}
}

package redrive

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// An operator on a flaky network raises the SDK's attempts (AWS_MAX_ATTEMPTS, or max_attempts in the profile,
// which LoadDefaultConfig puts in aws.Config.RetryMaxAttempts). Before 753cf3f receives honoured it; now they
// are retried by redrive itself, a fixed 3 times ("as the SDK would"), whatever the client was configured with.
// Here SQS answers the first 3 ReceiveMessage attempts with 500 and then an empty queue: with 5 attempts
// configured, the run ends cleanly; it now fails with the 500.
func TestReceiveHonoursTheConfiguredMaxAttempts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a loopback HTTP server stands in for SQS")
	}
	var mu sync.Mutex
	var receives int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch target := req.Header.Get("X-Amz-Target"); {
		case strings.HasSuffix(target, ".GetQueueAttributes"):
			w.Write([]byte(`{"Attributes":{"ApproximateNumberOfMessages":"0","ApproximateNumberOfMessagesNotVisible":"0"}}`))
		case strings.HasSuffix(target, ".ReceiveMessage"):
			mu.Lock()
			receives++
			n := receives
			mu.Unlock()
			if n <= 3 {
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte(`{"__type":"com.amazonaws.sqs#InternalError","message":"We encountered an internal error."}`))
				return
			}
			w.Write([]byte(`{}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"com.amazonaws.sqs#InvalidAction","message":"not modelled: ` + target + `"}`))
		}
	}))
	defer srv.Close()
	client := sqs.NewFromConfig(aws.Config{
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 5, // AWS_MAX_ATTEMPTS=5
	})
	h := newHarness()
	var log strings.Builder
	r, err := New(client, h.k, nil, Options{QueueURL: srv.URL + "/123456789012/dlq", DryRun: true,
		VisibilityTimeout: 3 * time.Second, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background()); err != nil {
		mu.Lock()
		defer mu.Unlock()
		t.Errorf("Run: %v after %d ReceiveMessage attempts; want the 4th of the 5 configured to succeed\nlog:\n%s", err, receives, log.String())
	}
}

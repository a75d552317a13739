package s3writer

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// stallingS3 answers every request with 200, except the first `stalls`, which it reads and then never answers (until
// the client gives up on them): an S3 request stuck on a slow or broken connection, which S3's guidance says to
// time out and retry.
func stallingS3(t *testing.T, stalls int32) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	release := make(chan struct{})
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if requests.Add(1) <= stalls {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("ETag", `"0"`)
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, `{}`)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: lets the stalled handlers return so that Close does not wait
	return srv, &requests
}

func testClient(endpoint string) *Writer {
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		}),
	}
	return New(NewClient(cfg, true, 4), "b")
}

// One stalled attempt must cost one attempt, not the invocation: the client has no per-attempt timeout (the SDK's
// HTTP client sets none for the response), so a PUT whose response never comes waits for the context's deadline —
// the whole invocation less its reserve (54 s of a 60 s timeout) — and then fails, although the next attempt would
// have succeeded at once. In record mode every record after it is then left for the retry.
func TestPutRetriesAStalledAttempt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local HTTP server")
	}
	srv, requests := stallingS3(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := testClient(srv.URL).Put(ctx, "kinesis/1.json", []byte(`{"a":1}`), "application/json")
	if err != nil {
		t.Fatalf("Put after %s and %d requests: %v; want the stalled attempt timed out and retried within the deadline",
			time.Since(start).Round(time.Millisecond), requests.Load(), err)
	}
}

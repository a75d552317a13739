package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/config"
)

// lambdaInitLimit is how long Lambda lets a function initialise before it kills the environment: the error the
// invoker then sees is an init timeout, which names no variable.
const lambdaInitLimit = 10 * time.Second

// With SCHEMA=s3://..., the cold start reads the schema from S3. When that read never completes (a VPC without an
// S3 endpoint, a stalled connection), the cold start must still end in time, with an error that names SCHEMA and
// reaches the Runtime API (reportInitError), rather than being killed by Lambda's init limit: the read runs with
// context.Background() and no per-attempt timeout, so nothing ends it.
func TestColdStartEndsWhenTheSchemaReadStalls(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local HTTP server")
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select { // never answers
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(limit) }) // newHandler sets the process's limit
	for k, v := range map[string]string{
		config.EnvBucketName: "b", config.EnvSchema: "s3://b/schemas/orders.json", config.EnvS3ForcePathStyle: "true",
		config.EnvMemorySize: "512", "AWS_ENDPOINT_URL_S3": srv.URL, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}

	done := make(chan error, 1)
	go func() {
		_, err := newHandler(context.Background(), slog.New(slog.DiscardHandler))
		done <- err
	}()
	// Some room below the limit for the report to the Runtime API and the exit.
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), config.EnvSchema) {
			t.Fatalf("cold start: error %v, want one naming %s", err, config.EnvSchema)
		}
	case <-time.After(lambdaInitLimit - 2*time.Second):
		t.Fatalf("the cold start was still reading the schema after %s: Lambda kills it at %s with an init timeout "+
			"that names no variable", lambdaInitLimit-2*time.Second, lambdaInitLimit)
	}
}

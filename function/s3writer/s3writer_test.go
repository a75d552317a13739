package s3writer

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The handler's client retries an upload a few times, quickly, and never gives up early because of the SDK's retry
// quota: under a burst of S3 errors the quota would turn every later error final for the whole invocation.
func TestClientRetries(t *testing.T) {
	o := NewClient(aws.Config{Region: "eu-west-1"}, true, 8).Options()
	if got := o.Retryer.MaxAttempts(); got != uploadAttempts {
		t.Errorf("MaxAttempts = %d, want %d", got, uploadAttempts)
	}
	if !o.UsePathStyle {
		t.Error("path-style addressing was asked for and not set")
	}
	// A quota would refuse a retry token after enough failures; the no-op limiter never does.
	for i := range 1000 {
		if _, err := o.Retryer.GetRetryToken(t.Context(), errRetryable{}); err != nil {
			t.Fatalf("retry token %d refused: %v", i, err)
		}
	}
}

type errRetryable struct{}

func (errRetryable) Error() string { return "503 SlowDown" }

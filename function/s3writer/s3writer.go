// Package s3writer stores objects in S3 with aws-sdk-go-v2: the process.Writer (and process.Reader) the handler and
// the redrive tool use. It adds nothing to the SDK's own retries; the caller bounds concurrency.
package s3writer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// API is the part of *s3.Client the Writer needs.
type API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Writer puts objects into one bucket.
type Writer struct {
	api    API
	bucket string
}

// New returns a Writer for bucket.
func New(api API, bucket string) *Writer { return &Writer{api: api, bucket: bucket} }

// Put stores body under key. The body is sent from memory: no temporary files, and the SDK can rewind it to
// retry or to compute its checksum.
func (w *Writer) Put(ctx context.Context, key string, body []byte, contentType string) error {
	_, err := w.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(w.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(contentType),
	})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", w.bucket, key, err)
	}
	return nil
}

// NewClient returns an S3 client for the handler's settings: path-style addressing when asked (S3-compatible
// endpoints on localhost), and an HTTP connection pool as large as the upload concurrency, so concurrent uploads
// reuse connections instead of opening new ones.
func NewClient(cfg aws.Config, forcePathStyle bool, concurrency int) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = forcePathStyle
		o.Retryer = retry.NewStandard(func(r *retry.StandardOptions) {
			r.MaxAttempts = uploadAttempts
			r.MaxBackoff = uploadMaxBackoff
			// The SDK's retry quota turns every error final once a burst of failures has spent it, for all the
			// invocation's uploads at once; the deadline and the partial-batch response bound the work instead.
			r.RateLimiter = ratelimit.None
		})
		// The client LoadDefaultConfig built, when it is the SDK's, keeps what it was given (AWS_CA_BUNDLE's
		// certificates): only the transport's pool and timeout are changed.
		client, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
		if !ok || client == nil {
			client = awshttp.NewBuildableClient()
		}
		o.HTTPClient = client.WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = max(t.MaxIdleConns, concurrency)
			t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, concurrency)
			// An attempt whose response does not begin is given up and retried, rather than left to wait for the
			// invocation's deadline.
			t.ResponseHeaderTimeout = responseHeaderTimeout
		})
	})
}

// Upload retries: more attempts and shorter waits than the SDK's defaults (3 attempts, up to 20 s apart). An
// upload that still fails is reported and retried by Lambda from that record; the context's deadline (the
// invocation's, less its reserve) ends the waiting in any case. Measured in the chaos run (20 % of requests
// failing): 10,000 records in record mode took 6m47s with the defaults, 1m47s with these.
const (
	uploadAttempts   = 5
	uploadMaxBackoff = 500 * time.Millisecond
	// responseHeaderTimeout bounds the wait for S3's answer once a request is sent, as S3's performance guidance
	// advises: a stuck request is retried, on a new connection.
	responseHeaderTimeout = 5 * time.Second
)

// maxGet bounds what Get reads: it reads back small state (progress markers), never data.
const maxGet = 1 << 20

// Get reads the object at key, up to 1 MiB, so the handler can read back the progress markers it writes.
func (w *Writer) Get(ctx context.Context, key string) ([]byte, error) {
	return Read(ctx, w.api, w.bucket, key, maxGet)
}

// Read reads an object of at most limit bytes from any bucket: the handler's own state, or its SCHEMA.
func Read(ctx context.Context, api API, bucket, key string, limit int64) ([]byte, error) {
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	case int64(len(body)) > limit:
		return nil, fmt.Errorf("get s3://%s/%s: larger than %d bytes", bucket, key, limit)
	}
	return body, nil
}

// Package redrive drains the on-failure destination of a Kinesis event source mapping: its SQS queue, or the
// objects it wrote to an S3 bucket.
//
// An on-failure record sent to SQS holds only metadata — the stream, the shard and a sequence-number range — so
// SQS's own redrive cannot bring the data back: for each record, the Redriver (New) reads the range from the
// stream again, hands the records to a Reprocessor (the deployed function, or the handler's core in-process)
// and deletes the message only once every record of the range is durably handled. Anything else keeps the
// message on the queue and is reported.
//
// An on-failure object written to S3 carries the records themselves, in its payload: the Redriver (NewS3) takes
// them from there, whatever the stream still holds, and deletes the object (or tags it, Options.Tag) only once
// every record is durably handled. Anything else leaves the object as it is, and is reported.
package redrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
)

// SQS is the part of *sqs.Client the Redriver uses on the on-failure queue.
type SQS interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Kinesis is the part of *kinesis.Client the Redriver reads the stream with.
type Kinesis interface {
	DescribeStreamSummary(ctx context.Context, in *kinesis.DescribeStreamSummaryInput, optFns ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// S3 is the part of *s3.Client the Redriver reads and settles on-failure objects with. GetObjectTagging and
// PutObjectTagging are called only with Options.Tag.
type S3 interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	GetObjectTagging(ctx context.Context, in *s3.GetObjectTaggingInput, optFns ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error)
	PutObjectTagging(ctx context.Context, in *s3.PutObjectTaggingInput, optFns ...func(*s3.Options)) (*s3.PutObjectTaggingOutput, error)
}

// Reprocessor handles records read back from the stream or from an on-failure object.
type Reprocessor interface {
	// Reprocess handles recs, all of one shard and in sequence order, as one event source mapping batch
	// would. Result.Handled counts the records, from the first, that are now durably handled; when it is
	// less than len(recs) the error says why the rest are not, and the Redriver retries from there.
	Reprocess(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error)
}

// Result is what one Reprocess call did.
type Result struct {
	// Handled is the number of leading records durably handled: written, quarantined or skipped by policy.
	Handled int
	// Detailed says that the counts below are known. A function invoked through Lambda does not report them.
	Detailed bool
	// Written, Quarantined and Skipped count user records (after KPL de-aggregation) written to data
	// objects, written under the error prefix, and dropped by ON_INVALID_RECORD=skip.
	Written, Quarantined, Skipped int
}

// Options configures a Redriver. Zero values take the defaults, except Retries.
type Options struct {
	// QueueURL is the on-failure queue. Required by New.
	QueueURL string
	// Bucket and Prefix name the on-failure objects, those under s3://Bucket/Prefix. Bucket is required by
	// NewS3; an empty Prefix means onfailure.KeyRoot, where Lambda writes every such object.
	Bucket, Prefix string
	// Tag (S3 objects only) tags an object whose records are all durably handled with RedrivenTag, and leaves
	// it in the bucket, instead of deleting it; objects that carry the tag already are skipped.
	Tag bool
	// DryRun reads every message (object) and range and reports what a redrive would do, without reprocessing,
	// deleting or tagging anything; the messages it received are made visible again at the end.
	DryRun bool
	// MaxMessages stops after this many distinct messages (objects; not counting those skipped as redriven
	// before); 0 means until none is left.
	MaxMessages int
	// Concurrency is how many messages (objects) are redriven at once; default 4.
	Concurrency int
	// BatchSize is the most records per Reprocess call (1–10,000); default 500, the Terraform module's batch
	// size. Batches are cut the same way on every run, so batch-mode object keys repeat.
	BatchSize int
	// Retries is how often a batch that failed (wholly or from some record on) is retried before its message
	// is given up on and kept. Unlike the other fields, 0 is taken as is: no retries (DefaultRetries is the
	// CLI's default).
	Retries int
	// Backoff is the first wait before a retry, doubling up to 20 s; default 1 s.
	Backoff time.Duration
	// VisibilityTimeout (queue only) hides a message from other consumers while it is redriven; it is extended
	// every third of its length for as long as the message is held. Default 60 s.
	VisibilityTimeout time.Duration
	// AllowWiderRange (queue only) redrives a range that holds more records than the failed batch did (its
	// on-failure record's batchSize): with parallelization_factor > 1 the range also spans other batches' records,
	// and all of them are reprocessed, writing those again. Otherwise such a message is kept (VerdictWiderRange),
	// with nothing reprocessed.
	AllowWiderRange bool
	// Log receives progress: one line per message, retries and warnings. Default: discarded.
	Log io.Writer
}

// MaxBatchSize is the largest Options.BatchSize, that of a Kinesis event source mapping.
const MaxBatchSize = 10000

// Defaults.
const (
	DefaultConcurrency       = 4
	DefaultBatchSize         = 500
	DefaultRetries           = 3
	DefaultBackoff           = time.Second
	DefaultVisibilityTimeout = 60 * time.Second
	maxBackoff               = 20 * time.Second
)

// Redriver drains one on-failure queue, or the on-failure objects under one S3 prefix.
type Redriver struct {
	q    SQS     // the queue source's
	k    Kinesis // the queue source's: its records are read from the stream
	src  source
	rp   Reprocessor
	opts Options

	logMu sync.Mutex

	streamsMu sync.Mutex
	streams   map[string]streamInfo // by stream ARN
}

// New checks opts and returns a Redriver of the on-failure queue opts.QueueURL, which reads the records back
// from the stream. rp may be nil for a dry run.
func New(q SQS, k Kinesis, rp Reprocessor, opts Options) (*Redriver, error) {
	switch {
	case q == nil || k == nil:
		return nil, errors.New("redrive: SQS and Kinesis clients are required")
	case opts.QueueURL == "":
		return nil, errors.New("redrive: QueueURL is required")
	case opts.Bucket != "" || opts.Prefix != "" || opts.Tag:
		return nil, errors.New("redrive: Bucket, Prefix and Tag are for on-failure objects (NewS3)")
	}
	r, err := newRedriver(rp, opts)
	if err != nil {
		return nil, err
	}
	r.q, r.k = q, k
	r.src = newQueueSource(r) // after r.q, which it asks for the retry settings
	return r, nil
}

// NewS3 checks opts and returns a Redriver of the on-failure objects under s3://opts.Bucket/opts.Prefix, which
// takes the records from the objects' payloads: it needs no stream. rp may be nil for a dry run.
func NewS3(api S3, rp Reprocessor, opts Options) (*Redriver, error) {
	switch {
	case api == nil:
		return nil, errors.New("redrive: an S3 client is required")
	case opts.Bucket == "":
		return nil, errors.New("redrive: Bucket is required")
	case opts.QueueURL != "" || opts.AllowWiderRange:
		return nil, errors.New("redrive: QueueURL and AllowWiderRange are for the on-failure queue (New)")
	}
	if opts.Prefix == "" {
		opts.Prefix = onfailure.KeyRoot
	}
	r, err := newRedriver(rp, opts)
	if err != nil {
		return nil, err
	}
	r.src = newBucketSource(r, api)
	return r, nil
}

// newRedriver checks the options both sources share and fills in their defaults.
func newRedriver(rp Reprocessor, opts Options) (*Redriver, error) {
	switch {
	case rp == nil && !opts.DryRun:
		return nil, errors.New("redrive: a Reprocessor is required unless DryRun")
	case opts.MaxMessages < 0:
		return nil, fmt.Errorf("redrive: MaxMessages %d is negative", opts.MaxMessages)
	case opts.Concurrency < 0:
		return nil, fmt.Errorf("redrive: Concurrency %d is negative", opts.Concurrency)
	case opts.BatchSize < 0 || opts.BatchSize > MaxBatchSize:
		return nil, fmt.Errorf("redrive: BatchSize %d is outside 1–%d", opts.BatchSize, MaxBatchSize)
	case opts.Retries < 0:
		return nil, fmt.Errorf("redrive: Retries %d is negative", opts.Retries)
	case opts.Backoff < 0:
		return nil, fmt.Errorf("redrive: Backoff %v is negative", opts.Backoff)
	case opts.VisibilityTimeout != 0 && (opts.VisibilityTimeout < 3*time.Second || opts.VisibilityTimeout > 12*time.Hour):
		return nil, fmt.Errorf("redrive: VisibilityTimeout %v is outside 3s–12h", opts.VisibilityTimeout)
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Backoff == 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.VisibilityTimeout == 0 {
		opts.VisibilityTimeout = DefaultVisibilityTimeout
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	return &Redriver{rp: rp, opts: opts, streams: map[string]streamInfo{}}, nil
}

// logf writes one progress line.
func (r *Redriver) logf(format string, args ...any) {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintf(r.opts.Log, format+"\n", args...)
}

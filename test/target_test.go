package test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
	"github.com/kinesis2s3/kinesis2s3/local/esm"
)

// Target is where the end-to-end scenarios run. A scenario asks it for a pipeline with some settings and then
// talks to that pipeline only through the AWS APIs — PutRecords into the stream, S3 and SQS to look at the
// outcome — so the same scenario runs against the local stack (localTarget) and against a Terraform deployment
// in a real AWS account (awsTarget).
type Target interface {
	// Name is the sub-test name: local or aws.
	Name() string
	// InjectsS3Faults reports whether deployments come with Deployment.Faults. Scenarios that need faults check it
	// before deploying and skip with a message where it is false.
	InjectsS3Faults() bool
	// Deploy creates a pipeline with the settings, ready for records, and registers its teardown with t.Cleanup.
	Deploy(t *testing.T, s PipelineSettings) *Deployment
}

// PipelineSettings are the settings a scenario chooses; everything else keeps the Terraform defaults. On AWS
// each field is the Terraform variable named in its comment.
type PipelineSettings struct {
	OutputMode      string // output_mode
	Compression     string // compression
	OnInvalidRecord string // on_invalid_record; default quarantine
	Shards          int    // shard_count (stream_mode PROVISIONED)
	BatchSize       int    // batch_size
	// BatchingWindow is maximum_batching_window_in_seconds (whole seconds).
	BatchingWindow time.Duration
	// MaximumRetryAttempts is maximum_retry_attempts; 0 means the Terraform default (10).
	MaximumRetryAttempts int
	// Paused deploys the event source mapping disabled (esm_enabled = false): records wait in the stream until
	// Deployment.Resume.
	Paused bool
	// WithoutFaults leaves the fault proxy out of a local deployment (Deployment.Faults is nil): measurements want
	// the pipeline alone.
	WithoutFaults bool
	// The analytics settings: format, schema_file (a path), transform, time_field, partition_keys.
	Format, SchemaFile, Transform, TimeField, PartitionKeys string
}

// Deployment is a running pipeline, as the scenarios see it.
type Deployment struct {
	Name                                  string
	StreamName, StreamARN, Bucket, DLQURL string
	Kinesis                               *kinesis.Client
	S3                                    *s3.Client
	SQS                                   *sqs.Client
	// Env is the environment a pipelinectl process needs to reach the deployment through the SDK's default chain
	// (region, credentials, AWS_ENDPOINT_URL_*); runPipelinectl passes it and nothing else of this process's.
	Env map[string]string
	// Layout is where the function writes (output mode, compression, key and error prefixes).
	Layout ledger.Layout
	// Patience is how long a scenario waits for records to come through: seconds locally, minutes on AWS
	// (a new event source mapping takes a while to start polling).
	Patience time.Duration
	// Faults, when not nil, makes the function's S3 uploads fail. Only the local target can; scenarios that
	// need it skip elsewhere.
	Faults S3Faults
	// MappingStats returns the event source mapping's counters where the target can see them (local), else
	// nil.
	MappingStats func() esm.Stats
	// Resume enables the event source mapping of a deployment made with PipelineSettings.Paused.
	Resume func(context.Context) error
	// Processes returns the process IDs behind the deployment by component, where the target runs them (local),
	// for the measurements' CPU accounting; nil elsewhere.
	Processes func() (map[string][]int, error)
}

// S3Faults fails the function's object uploads.
type S3Faults interface {
	// FailPuts fails the given share (0 to 1) of uploads from now on, with S3's 503 SlowDown.
	FailPuts(share float64)
	// Restore lets every upload through again.
	Restore()
	// Injected is the number of uploads failed so far.
	Injected() int
}

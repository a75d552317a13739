package esm

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kinesis2s3/kinesis2s3/internal/tfvars"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/terraform"
)

// Starting positions, as CreateEventSourceMapping names them.
const (
	TrimHorizon = "TRIM_HORIZON"
	Latest      = "LATEST"
	AtTimestamp = "AT_TIMESTAMP"
)

// NoLimit is the AWS value -1 ("infinite") for MaximumRetryAttempts and MaximumRecordAge.
const NoLimit = -1

// PayloadLimit is the synchronous invocation payload limit (6 MB) that a batch's JSON event must fit in.
const PayloadLimit = kinesisevent.PayloadLimit

// Config is one event source mapping's settings. The names follow CreateEventSourceMapping; durations replace
// the API's whole-second integers. Start from DefaultConfig: the zero value is not valid.
type Config struct {
	// StreamARN is the Kinesis stream (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME). Required. It is the
	// eventSourceARN of every record and the streamArn of on-failure records.
	StreamARN string
	// StreamName is sent to Kinesis; empty means the name in StreamARN.
	StreamName string
	// FunctionARN is the function's ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME). Required. It is the
	// functionArn of on-failure records.
	FunctionARN string
	// Region is the awsRegion of every record; empty means the region in StreamARN.
	Region string
	// InvokeIdentityARN is the invokeIdentityArn of every record (the execution role); empty means
	// arn:aws:iam::ACCOUNT:role/NAME-role built from FunctionARN.
	InvokeIdentityARN string

	// StartingPosition is TRIM_HORIZON, LATEST or AT_TIMESTAMP (with StartingPositionTimestamp).
	StartingPosition          string
	StartingPositionTimestamp time.Time

	// BatchSize is the maximum number of records per invocation, 1–10,000.
	BatchSize int
	// MaximumBatchingWindow is how long to gather records before invoking, 0–300 s in whole seconds.
	MaximumBatchingWindow time.Duration
	// ParallelizationFactor is the number of concurrent batches per shard, 1–10.
	ParallelizationFactor int
	// BisectBatchOnFunctionError splits a failed batch in two before retrying.
	BisectBatchOnFunctionError bool
	// MaximumRetryAttempts is NoLimit or 0–10,000 retries after the first invocation.
	MaximumRetryAttempts int
	// MaximumRecordAge is NoLimit or 60 s–604,800 s in whole seconds.
	MaximumRecordAge time.Duration
	// ReportBatchItemFailures turns on partial batch responses (FunctionResponseTypes ["ReportBatchItemFailures"]).
	ReportBatchItemFailures bool
	// OnFailureQueueURL is the SQS queue that receives on-failure records; empty discards without a record.
	OnFailureQueueURL string
	// OnFailureBucketARN is the S3 bucket (arn:aws:s3:::NAME) that receives on-failure records with the discarded
	// records' event in them, as objects under aws/lambda/<UUID>/. A mapping has one on-failure destination: set
	// this or OnFailureQueueURL, not both.
	OnFailureBucketARN string
	// UUID identifies the mapping, as the UUID AWS assigns at CreateEventSourceMapping; it names the S3
	// on-failure objects. Empty means a random one, chosen by New.
	UUID string

	// PollInterval is the wait between GetRecords calls on a shard that returned nothing (AWS: once per second).
	PollInterval time.Duration
	// DiscoveryInterval is the wait between ListShards calls that look for new shards.
	DiscoveryInterval time.Duration
}

// DefaultConfig returns the settings a deployment of the Terraform function module gets by default, with the given
// stream and function: the module's variable defaults (read from terraform/modules/function/variables.tf, where
// they are written once), ReportBatchItemFailures and BisectBatchOnFunctionError, which the module always turns
// on, and AWS's polling intervals. AWS's own defaults for retries and record age are NoLimit, which lets one bad
// record block a shard for the whole retention period; the module's are finite.
func DefaultConfig(streamARN, functionARN string) Config {
	c := Config{
		StreamARN:                  streamARN,
		FunctionARN:                functionARN,
		BisectBatchOnFunctionError: true,
		ReportBatchItemFailures:    true,
		PollInterval:               time.Second,
		DiscoveryInterval:          10 * time.Second,
	}
	if err := tfvars.Apply(terraform.MustModuleDefaults("function"), TFVarSetters(&c)); err != nil {
		panic(fmt.Sprintf("esm: the function module's defaults: %v", err)) // embedded: a defect the tests catch
	}
	return c
}

// Validate checks every setting against the range CreateEventSourceMapping accepts. Each error names the field.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if _, err := parseStreamARN(c.StreamARN); err != nil {
		bad("StreamARN: %w", err)
	}
	if _, err := parseFunctionARN(c.FunctionARN); err != nil {
		bad("FunctionARN: %w", err)
	}
	switch c.StartingPosition {
	case TrimHorizon, Latest:
	case AtTimestamp:
		if c.StartingPositionTimestamp.IsZero() {
			bad("StartingPositionTimestamp: required with StartingPosition AT_TIMESTAMP")
		}
	default:
		bad("StartingPosition: %q is not TRIM_HORIZON, LATEST or AT_TIMESTAMP", c.StartingPosition)
	}
	if c.BatchSize < 1 || c.BatchSize > 10000 {
		bad("BatchSize: %d is outside 1–10000", c.BatchSize)
	}
	if c.MaximumBatchingWindow < 0 || c.MaximumBatchingWindow > 300*time.Second || c.MaximumBatchingWindow%time.Second != 0 {
		bad("MaximumBatchingWindow: %v is not a whole number of seconds in 0–300s", c.MaximumBatchingWindow)
	}
	if c.ParallelizationFactor < 1 || c.ParallelizationFactor > 10 {
		bad("ParallelizationFactor: %d is outside 1–10", c.ParallelizationFactor)
	}
	if c.MaximumRetryAttempts != NoLimit && (c.MaximumRetryAttempts < 0 || c.MaximumRetryAttempts > 10000) {
		bad("MaximumRetryAttempts: %d is neither -1 nor in 0–10000", c.MaximumRetryAttempts)
	}
	if c.MaximumRecordAge != NoLimit && (c.MaximumRecordAge < 60*time.Second || c.MaximumRecordAge > 604800*time.Second ||
		c.MaximumRecordAge%time.Second != 0) {
		bad("MaximumRecordAge: %v is neither -1 (NoLimit) nor a whole number of seconds in 60s–604800s", c.MaximumRecordAge)
	}
	if c.OnFailureQueueURL != "" && !strings.HasPrefix(c.OnFailureQueueURL, "http://") &&
		!strings.HasPrefix(c.OnFailureQueueURL, "https://") {
		bad("OnFailureQueueURL: %q is not an SQS queue URL", c.OnFailureQueueURL)
	}
	if c.OnFailureBucketARN != "" {
		if _, err := parseBucketARN(c.OnFailureBucketARN); err != nil {
			bad("OnFailureBucketARN: %w", err)
		}
		if c.OnFailureQueueURL != "" {
			bad("OnFailureBucketARN: a mapping has one on-failure destination, and OnFailureQueueURL is set too")
		}
	}
	if strings.Contains(c.UUID, "/") {
		bad("UUID: %q cannot name objects: it holds a slash", c.UUID)
	}
	if c.PollInterval <= 0 {
		bad("PollInterval: %v must be positive", c.PollInterval)
	}
	if c.DiscoveryInterval <= 0 {
		bad("DiscoveryInterval: %v must be positive", c.DiscoveryInterval)
	}
	if len(errs) > 0 {
		return fmt.Errorf("esm config: %w", errors.Join(errs...))
	}
	return nil
}

// arn holds the parts of an ARN that the mapping uses.
type arn struct {
	region, account, resource string
}

func parseARN(s, service, resourcePrefix string) (arn, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != service || parts[3] == "" || parts[4] == "" {
		return arn{}, fmt.Errorf("%q is not an %s ARN", s, service)
	}
	name, ok := strings.CutPrefix(parts[5], resourcePrefix)
	if !ok || name == "" {
		return arn{}, fmt.Errorf("%q has no %s resource", s, strings.TrimSuffix(resourcePrefix, "/"))
	}
	return arn{region: parts[3], account: parts[4], resource: name}, nil
}

func parseStreamARN(s string) (arn, error) { return parseARN(s, "kinesis", "stream/") }

func parseFunctionARN(s string) (arn, error) {
	a, err := parseARN(s, "lambda", "function:")
	if err != nil {
		return a, err
	}
	a.resource, _, _ = strings.Cut(a.resource, ":") // drop a version or alias qualifier
	return a, nil
}

// parseBucketARN returns the bucket name of an S3 bucket ARN, arn:PARTITION:s3:::NAME (no region or account,
// and no key: AWS's destination is the whole bucket).
func parseBucketARN(s string) (string, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "s3" || parts[3] != "" || parts[4] != "" ||
		parts[5] == "" || strings.Contains(parts[5], "/") {
		return "", fmt.Errorf("%q is not an S3 bucket ARN (arn:aws:s3:::NAME)", s)
	}
	return parts[5], nil
}

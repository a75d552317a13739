package esm

import (
	"strings"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig(testStreamARN, testFunctionARN).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateAcceptsAWSBounds(t *testing.T) {
	for _, change := range []func(*Config){
		func(c *Config) { c.BatchSize = 1 },
		func(c *Config) { c.BatchSize = 10000 },
		func(c *Config) { c.MaximumBatchingWindow = 300 * time.Second },
		func(c *Config) { c.ParallelizationFactor = 10 },
		func(c *Config) { c.MaximumRetryAttempts = NoLimit },
		func(c *Config) { c.MaximumRetryAttempts = 0 },
		func(c *Config) { c.MaximumRetryAttempts = 10000 },
		func(c *Config) { c.MaximumRecordAge = NoLimit },
		func(c *Config) { c.MaximumRecordAge = 60 * time.Second },
		func(c *Config) { c.MaximumRecordAge = 604800 * time.Second },
		func(c *Config) { c.StartingPosition = Latest },
		func(c *Config) {
			c.StartingPosition, c.StartingPositionTimestamp = AtTimestamp, time.Unix(1541139109, 0)
		},
		func(c *Config) { c.FunctionARN += ":live" },
	} {
		c := DefaultConfig(testStreamARN, testFunctionARN)
		change(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestValidateNamesTheField(t *testing.T) {
	for field, change := range map[string]func(*Config){
		"StreamARN":                 func(c *Config) { c.StreamARN = "arn:aws:sqs:eu-west-1:123456789012:orders" },
		"FunctionARN":               func(c *Config) { c.FunctionARN = "kinesis2s3" },
		"StartingPosition":          func(c *Config) { c.StartingPosition = "EARLIEST" },
		"StartingPositionTimestamp": func(c *Config) { c.StartingPosition = AtTimestamp },
		"BatchSize":                 func(c *Config) { c.BatchSize = 10001 },
		"MaximumBatchingWindow":     func(c *Config) { c.MaximumBatchingWindow = 1500 * time.Millisecond },
		"ParallelizationFactor":     func(c *Config) { c.ParallelizationFactor = 11 },
		"MaximumRetryAttempts":      func(c *Config) { c.MaximumRetryAttempts = -2 },
		"MaximumRecordAge":          func(c *Config) { c.MaximumRecordAge = 59 * time.Second },
		"OnFailureQueueURL":         func(c *Config) { c.OnFailureQueueURL = "arn:aws:sqs:eu-west-1:123456789012:dlq" },
		// AWS's destination is a bucket: its ARN names no key prefix.
		"OnFailureBucketARN": func(c *Config) { c.OnFailureBucketARN = "arn:aws:s3:::data/failed-batches/" },
		"UUID":               func(c *Config) { c.UUID = "a/b" },
		"PollInterval":       func(c *Config) { c.PollInterval = 0 },
		"DiscoveryInterval":  func(c *Config) { c.DiscoveryInterval = -time.Second },
	} {
		c := DefaultConfig(testStreamARN, testFunctionARN)
		change(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("%s: Validate() = %v, want an error naming the field", field, err)
		}
	}
}

func TestValidateReportsEveryBadField(t *testing.T) {
	err := Config{}.Validate()
	if err == nil {
		t.Fatal("zero Config is valid")
	}
	for _, field := range []string{"StreamARN", "FunctionARN", "StartingPosition", "BatchSize", "ParallelizationFactor", "MaximumRecordAge", "PollInterval"} {
		if !strings.Contains(err.Error(), field+":") {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
}

func TestNewDerivesEventFieldsFromARNs(t *testing.T) {
	m, err := New(DefaultConfig(testStreamARN, testFunctionARN+":live"), newStream(1), nil, &scriptInvoker{t: t})
	if err != nil {
		t.Fatal(err)
	}
	if m.streamName != "orders" || m.src.Region != "eu-west-1" ||
		m.src.InvokeIdentityARN != "arn:aws:iam::123456789012:role/kinesis2s3-role" {
		t.Errorf("stream %q region %q identity %q", m.streamName, m.src.Region, m.src.InvokeIdentityARN)
	}
}

func TestNewRejectsMissingDependencies(t *testing.T) {
	cfg := DefaultConfig(testStreamARN, testFunctionARN)
	cfg.OnFailureQueueURL = testQueueURL
	if _, err := New(cfg, newStream(1), nil, &scriptInvoker{t: t}); err == nil {
		t.Error("New accepted an on-failure queue without an SQS client")
	}
	if _, err := New(cfg, nil, awsfake.NewQueue(testQueueURL), &scriptInvoker{t: t}); err == nil {
		t.Error("New accepted a nil Kinesis client")
	}
	if _, err := New(cfg, newStream(1), awsfake.NewQueue(testQueueURL), nil); err == nil {
		t.Error("New accepted a nil Invoker")
	}
	cfg.BatchSize = 0
	if _, err := New(cfg, newStream(1), awsfake.NewQueue(testQueueURL), &scriptInvoker{t: t}); err == nil {
		t.Error("New accepted an invalid config")
	}
}

// A mapping has one on-failure destination (DestinationConfig.OnFailure.Destination).
func TestValidateAllowsOneOnFailureDestination(t *testing.T) {
	c := DefaultConfig(testStreamARN, testFunctionARN)
	c.OnFailureBucketARN = "arn:aws:s3:::data"
	if err := c.Validate(); err != nil {
		t.Errorf("an S3 destination: %v", err)
	}
	c.OnFailureQueueURL = testQueueURL
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "one on-failure destination") {
		t.Errorf("both destinations: %v", err)
	}
}

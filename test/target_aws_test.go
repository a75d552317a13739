package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/gruntwork-io/terratest/modules/files"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/kinesis2s3/kinesis2s3/local/pipeline"
)

// awsTarget deploys terraform/ into a real AWS account with Terratest, once per pipeline a scenario asks for,
// and destroys it when the scenario ends. Credentials, region and endpoints come from the SDK's standard chain
// (AWS_PROFILE, AWS_REGION, ...), for Terraform and for the clients alike. It needs build/function.zip
// (make build). It cannot inject S3 faults.
type awsTarget struct {
	cfg aws.Config
}

// envAWS opts into the AWS target.
const envAWS = "E2E_AWS"

// newAWSTarget returns the AWS target, or skips t unless E2E_AWS=1.
func newAWSTarget(t *testing.T) *awsTarget {
	if os.Getenv(envAWS) != "1" {
		t.Skipf("AWS target not selected: set %s=1 (with AWS credentials and AWS_REGION, after make build) to deploy terraform/ "+
			"with Terratest and run the same scenarios in a real account; it creates billable resources and destroys them", envAWS)
	}
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatalf("AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		t.Fatal("AWS target: no region (set AWS_REGION or a profile's region)")
	}
	return &awsTarget{cfg: cfg}
}

func (*awsTarget) Name() string { return "aws" }

// InjectsS3Faults is false: nothing sits between the deployed function and S3.
func (*awsTarget) InjectsS3Faults() bool { return false }

func (a *awsTarget) Deploy(t *testing.T, ps PipelineSettings) *Deployment {
	t.Helper()
	name := "k2s3-e2e-" + strings.ToLower(random.UniqueId())
	zip, err := filepath.Abs(filepath.Join("..", "build", "function.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(zip); err != nil {
		t.Fatalf("AWS target needs the function package: run make build (%v)", err)
	}
	// A copy per deployment: scenarios apply in parallel, each with its own state.
	dir, err := files.CopyTerraformFolderToDest(filepath.Join("..", "terraform"), t.TempDir(), name)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{
		"name":                               name,
		"function_zip_path":                  zip,
		"bucket_force_destroy":               true, // the test's objects go with the stack
		"alarms_enabled":                     false,
		"log_retention_days":                 1,
		"stream_mode":                        "PROVISIONED",
		"shard_count":                        max(ps.Shards, 1),
		"output_mode":                        ps.OutputMode,
		"compression":                        ps.Compression,
		"maximum_batching_window_in_seconds": int(ps.BatchingWindow / time.Second),
		"tags":                               map[string]string{"Purpose": "kinesis2s3 end-to-end test"},
	}
	if ps.OnInvalidRecord != "" {
		vars["on_invalid_record"] = ps.OnInvalidRecord
	}
	if ps.BatchSize > 0 {
		vars["batch_size"] = ps.BatchSize
	}
	if ps.MaximumRetryAttempts > 0 {
		vars["maximum_retry_attempts"] = ps.MaximumRetryAttempts
	}
	if ps.Paused {
		vars["esm_enabled"] = false
	}
	for name, value := range map[string]string{"format": ps.Format, "schema_file": ps.SchemaFile, "transform": ps.Transform,
		"time_field": ps.TimeField, "partition_keys": ps.PartitionKeys} {
		if value != "" {
			vars[name] = value
		}
	}
	opts := &terraform.Options{
		TerraformBinary: terraformBinary(),
		TerraformDir:    dir,
		Vars:            vars,
		NoColor:         true,
	}
	t.Cleanup(func() {
		// Not t.Context(): it is already cancelled when cleanups run, and the stack must go.
		terraform.Destroy(t, opts)
	})
	terraform.InitAndApply(t, opts)

	outputs := terraform.OutputAll(t, opts)
	out := func(key string) string {
		v, ok := outputs[key].(string)
		if !ok || v == "" {
			t.Fatalf("terraform output %s missing (have %v)", key, outputs)
		}
		return v
	}
	// The handler's layout: the function module's defaults (the same source the local target reads) except what
	// the scenario set.
	layout := pipeline.DefaultSettings().Layout()
	if ps.OutputMode != "" {
		layout.OutputMode = ps.OutputMode
	}
	if ps.Compression != "" {
		layout.Compression = ps.Compression
	}
	if ps.Format != "" {
		layout.Format = ps.Format
	}
	layout.SchemaFile, layout.Transform, layout.TimeField, layout.PartitionKeys = ps.SchemaFile, ps.Transform, ps.TimeField, ps.PartitionKeys
	logger.Default.Logf(t, "AWS pipeline %s deployed in %s: stream %s, bucket %s", name, a.cfg.Region, out("stream_name"), out("bucket_name"))
	return &Deployment{
		Name: name, StreamName: out("stream_name"), StreamARN: out("stream_arn"), Bucket: out("bucket_name"), DLQURL: out("dlq_url"),
		Kinesis:  kinesis.NewFromConfig(a.cfg),
		S3:       s3.NewFromConfig(a.cfg),
		SQS:      sqs.NewFromConfig(a.cfg),
		Env:      processAWSEnv(),
		Layout:   layout,
		Patience: 10 * time.Minute,
		Resume: func(ctx context.Context) error {
			return enableMapping(ctx, lambda.NewFromConfig(a.cfg), out("event_source_mapping_uuid"))
		},
	}
}

// terraformBinary is $KINESIS2S3_TOFU (the pinned OpenTofu the Makefile exports) if set, else terraform.
func terraformBinary() string {
	if b := os.Getenv("KINESIS2S3_TOFU"); b != "" {
		return b
	}
	return "terraform"
}

// enableMapping turns the event source mapping on and waits until Lambda reports it Enabled.
func enableMapping(ctx context.Context, client *lambda.Client, uuid string) error {
	if _, err := client.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(uuid), Enabled: aws.Bool(true)}); err != nil {
		return fmt.Errorf("enable event source mapping %s: %w", uuid, err)
	}
	for {
		out, err := client.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
		if err != nil {
			return fmt.Errorf("event source mapping %s: %w", uuid, err)
		}
		if aws.ToString(out.State) == "Enabled" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("event source mapping %s still %s: %w", uuid, aws.ToString(out.State), ctx.Err())
		case <-time.After(5 * time.Second):
		}
	}
}

// processAWSEnv is this process's AWS configuration for a pipelinectl process: every AWS_* variable, HOME (SSO
// caches live under it), and the shared config and credentials files where the SDK looks by default — so that
// the CLI reaches the account the same way the test's own clients do.
func processAWSEnv() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && (strings.HasPrefix(k, "AWS_") || k == "HOME") {
			env[k] = v
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		if env["AWS_CONFIG_FILE"] == "" {
			env["AWS_CONFIG_FILE"] = filepath.Join(home, ".aws", "config")
		}
		if env["AWS_SHARED_CREDENTIALS_FILE"] == "" {
			env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(home, ".aws", "credentials")
		}
	}
	return env
}

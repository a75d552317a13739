package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/local/emulators"
	"github.com/kinesis2s3/kinesis2s3/local/pipeline"
)

// The lines printed to poke the running stack must work with AWS CLI v1 as well as v2. They exported AWS_REGION
// only (v1 reads AWS_DEFAULT_REGION: "You must specify a region") and put a record with --cli-binary-format, which
// v1 rejects ("Unknown options"); v2 without it reads a bare --data as base64. And v1 ignores
// AWS_ENDPOINT_URL_SQS: aws sqs went to SQS in AWS.
func TestPokeLinesWorkWithAWSCLIv1AndV2(t *testing.T) {
	stack := &emulators.Stack{Region: "eu-west-1", KinesisEndpoint: "http://127.0.0.1:4567", AWSEndpoint: "http://127.0.0.1:4568"}
	var out bytes.Buffer
	showEndpoints(&console{w: &out}, &pipeline.Pipeline{Stack: stack, StreamName: "s", Bucket: "b",
		QueueURL: "http://127.0.0.1:4568/000000000000/q", OnFailureSource: "http://127.0.0.1:4568/000000000000/q"})
	exported := map[string]string{}
	var aws []string
	for _, line := range strings.Split(out.String(), "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "export "); ok {
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				exported[k] = v
			}
		}
		if strings.HasPrefix(line, "aws ") {
			aws = append(aws, line)
		}
	}
	for k, v := range stack.Env() {
		if k != "AWS_EC2_METADATA_DISABLED" && exported[k] != v {
			t.Errorf("the exports set %s=%q; want %q (the stack's environment)", k, exported[k], v)
		}
	}
	if len(aws) == 0 {
		t.Fatalf("no aws command printed:\n%s", out.String())
	}
	for _, line := range aws {
		if strings.Contains(line, "--cli-binary-format") {
			t.Errorf("AWS CLI v1 has no --cli-binary-format: %q", line)
		}
		if _, data, ok := strings.Cut(line, " --data "); ok && !strings.HasPrefix(data, "fileb://") {
			t.Errorf("--data is raw to AWS CLI v1 but base64 to v2; fileb:// is raw to both: %q", line)
		}
		// AWS CLI v1 takes SQS's endpoint from its own table, not from AWS_ENDPOINT_URL_SQS.
		if strings.HasPrefix(line, "aws sqs ") && !strings.Contains(line, " --endpoint-url "+stack.AWSEndpoint+" ") {
			t.Errorf("AWS CLI v1 sends this to SQS in AWS, not the local stack, without --endpoint-url: %q", line)
		}
	}
}

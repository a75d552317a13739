package config

import (
	"strings"
	"testing"
)

// BUCKET_NAME takes a bucket's name. Its likely mistakes — the S3 URI (as SCHEMA takes), the bucket's ARN (as the
// function module's bucket_arn takes), a name with the key prefix appended — hold ':' or '/', which no bucket name
// has, even a legacy one. They must fail the cold start naming BUCKET_NAME; today they pass, and the failure comes later, at
// the PUTs of every invocation (S3 refuses the name, the SDK the ARN), in errors that name the key, not the variable.
func TestBucketNameThatCannotBeABucketFailsAtColdStart(t *testing.T) {
	for _, name := range []string{"s3://data-bucket", "arn:aws:s3:::data-bucket", "data-bucket/kinesis/"} {
		_, err := Load(env(map[string]string{"BUCKET_NAME": name}))
		if err == nil || !strings.Contains(err.Error(), EnvBucketName) {
			t.Errorf("BUCKET_NAME=%q: error %v, want one naming %s", name, err, EnvBucketName)
		}
	}
}

package test

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gruntwork-io/terratest/modules/files"
	"github.com/gruntwork-io/terratest/modules/terraform"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// planProviderOverride is written next to the copied root module as an override file. It lets the plan run without
// AWS credentials against the real provider (planning new resources makes no AWS call); with the offline provider
// stub it changes nothing. The stack's own provider block is otherwise untouched.
const planProviderOverride = `provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "plan-test"
  secret_key                  = "plan-test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
`

// TestTerraformPlan runs init and plan of the root stack in terraform/ with the pinned OpenTofu and checks what the
// plan would create: every resource, the event source mapping's failure handling, the function's package, runtime and
// environment, the bucket's protections, and that the modules are wired to each other.
func TestTerraformPlan(t *testing.T) {
	tofu := planTofuBinary(t)
	// A copy, so that init and plan leave nothing in the repository. (files rather than test_structure, which would
	// pull another module into go.mod for the same function.)
	dir, err := files.CopyTerraformFolderToDest("../terraform", t.TempDir(), "kinesis2s3-plan")
	require.NoError(t, err)
	// A lock file in terraform/ pins the hashes of one provider source (a user's registry download); the copy must
	// also plan with another (the offline stub), and this test checks the configuration, not the lock.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, ".terraform.lock.hcl")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plan_test_override.tf"), []byte(planProviderOverride), 0o644))

	zipPath, zipHash := planTestZip(t)
	env := map[string]string{}
	if rc := os.Getenv("TF_CLI_CONFIG_FILE"); rc != "" {
		env["TF_CLI_CONFIG_FILE"] = rc
	}
	opts := &terraform.Options{
		TerraformBinary: tofu,
		TerraformDir:    dir,
		Vars: map[string]interface{}{
			"function_zip_path": zipPath,
			"name":              "k2s3-plan",
			"output_mode":       "batch",
			"compression":       "zstd",
			"batch_size":        1000,
			"alarm_actions":     []string{"arn:aws:sns:eu-west-1:123456789012:on-call"},
		},
		EnvVars:      env,
		PlanFilePath: filepath.Join(t.TempDir(), "plan.bin"),
		NoColor:      true,
	}
	plan := terraform.InitAndPlanAndShowWithStruct(t, opts)

	t.Run("creates exactly the stack's resources", func(t *testing.T) {
		want := []string{
			`module.alarms[0].aws_cloudwatch_metric_alarm.dlq`,
			`module.alarms[0].aws_cloudwatch_metric_alarm.lambda["errors"]`,
			`module.alarms[0].aws_cloudwatch_metric_alarm.lambda["iterator-age"]`,
			`module.alarms[0].aws_cloudwatch_metric_alarm.lambda["throttles"]`,
			"module.bucket.aws_s3_bucket.this",
			"module.bucket.aws_s3_bucket_lifecycle_configuration.this",
			"module.bucket.aws_s3_bucket_ownership_controls.this",
			"module.bucket.aws_s3_bucket_policy.this",
			"module.bucket.aws_s3_bucket_public_access_block.this",
			"module.bucket.aws_s3_bucket_server_side_encryption_configuration.this",
			"module.dlq.aws_sqs_queue.this",
			"module.dlq.aws_sqs_queue_policy.this",
			"module.dlq.aws_sqs_queue_redrive_allow_policy.this[0]",
			"module.function.aws_cloudwatch_log_group.this",
			"module.function.aws_iam_role.this",
			"module.function.aws_iam_role_policy.this",
			"module.function.aws_lambda_event_source_mapping.this",
			"module.function.aws_lambda_function.this",
			"module.stream.aws_kinesis_stream.this",
		}
		var got []string
		for addr, rc := range plan.ResourceChangesMap {
			if rc.Mode != tfjson.ManagedResourceMode {
				continue
			}
			got = append(got, addr)
			assert.Equal(t, tfjson.Actions{tfjson.ActionCreate}, rc.Change.Actions, "%s: only creations expected", addr)
		}
		slices.Sort(got)
		assert.Equal(t, want, got)
	})

	t.Run("event source mapping", func(t *testing.T) {
		esm := planValues(t, plan, "module.function.aws_lambda_event_source_mapping.this")
		assert.Equal(t, []interface{}{"ReportBatchItemFailures"}, esm["function_response_types"])
		assert.Equal(t, true, esm["bisect_batch_on_function_error"])
		assert.Equal(t, 10.0, esm["maximum_retry_attempts"])
		assert.Equal(t, 3600.0, esm["maximum_record_age_in_seconds"])
		assert.Equal(t, "TRIM_HORIZON", esm["starting_position"])
		assert.Equal(t, 1000.0, esm["batch_size"])
		assert.Equal(t, 5.0, esm["maximum_batching_window_in_seconds"])
		assert.Equal(t, 1.0, esm["parallelization_factor"])
		// The destination is the queue's ARN, which is only known after apply: check the plan says so, and check
		// below in the configuration that it is wired to the DLQ module.
		unknown := planAfterUnknown(t, plan, "module.function.aws_lambda_event_source_mapping.this")
		assert.Equal(t, map[string]interface{}{"destination_arn": true},
			planBlock(t, planBlock(t, unknown["destination_config"])["on_failure"]), "on_failure destination must be set (known after apply)")
	})

	t.Run("function", func(t *testing.T) {
		fn := planValues(t, plan, "module.function.aws_lambda_function.this")
		assert.Equal(t, "provided.al2023", fn["runtime"])
		assert.Equal(t, []interface{}{"arm64"}, fn["architectures"])
		assert.Equal(t, "bootstrap", fn["handler"])
		assert.Equal(t, zipPath, fn["filename"])
		assert.Equal(t, zipHash, fn["source_code_hash"], "the deployed hash must be the zip's, so a rebuild redeploys")
		assert.Equal(t, "k2s3-plan", fn["function_name"])
		vars := planBlock(t, fn["environment"])["variables"].(map[string]interface{})
		delete(vars, "BUCKET_NAME") // the generated bucket name is known after apply; checked in the wiring below
		assert.Equal(t, map[string]interface{}{
			"OUTPUT_MODE":        "batch",
			"KEY_PREFIX":         "kinesis/",
			"COMPRESSION":        "zstd",
			"ERROR_PREFIX":       "errors/",
			"ON_INVALID_RECORD":  "quarantine",
			"UPLOAD_CONCURRENCY": "64",
		}, vars)
		logging := planBlock(t, fn["logging_config"])
		assert.Equal(t, "JSON", logging["log_format"])
		assert.Equal(t, "/aws/lambda/k2s3-plan", logging["log_group"])
		logs := planValues(t, plan, "module.function.aws_cloudwatch_log_group.this")
		assert.Equal(t, 30.0, logs["retention_in_days"])
	})

	t.Run("bucket, queue and stream protections", func(t *testing.T) {
		pab := planValues(t, plan, "module.bucket.aws_s3_bucket_public_access_block.this")
		for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
			assert.Equal(t, true, pab[k], k)
		}
		sse := planValues(t, plan, "module.bucket.aws_s3_bucket_server_side_encryption_configuration.this")
		assert.Equal(t, "AES256", planBlock(t, planBlock(t, sse["rule"])["apply_server_side_encryption_by_default"])["sse_algorithm"])
		own := planValues(t, plan, "module.bucket.aws_s3_bucket_ownership_controls.this")
		assert.Equal(t, "BucketOwnerEnforced", planBlock(t, own["rule"])["object_ownership"])
		assert.Equal(t, false, planValues(t, plan, "module.bucket.aws_s3_bucket.this")["force_destroy"])

		q := planValues(t, plan, "module.dlq.aws_sqs_queue.this")
		assert.Equal(t, 1209600.0, q["message_retention_seconds"])
		assert.Equal(t, true, q["sqs_managed_sse_enabled"])
		assert.Equal(t, `{"redrivePermission":"denyAll"}`,
			planValues(t, plan, "module.dlq.aws_sqs_queue_redrive_allow_policy.this[0]")["redrive_allow_policy"])

		s := planValues(t, plan, "module.stream.aws_kinesis_stream.this")
		assert.Equal(t, 168.0, s["retention_period"])
		assert.Equal(t, "KMS", s["encryption_type"])
		assert.Equal(t, "ON_DEMAND", planBlock(t, s["stream_mode_details"])["stream_mode"])
	})

	t.Run("alarms notify the given topic", func(t *testing.T) {
		for _, kind := range []string{`lambda["errors"]`, `lambda["iterator-age"]`, `lambda["throttles"]`, "dlq"} {
			a := planValues(t, plan, "module.alarms[0].aws_cloudwatch_metric_alarm."+kind)
			assert.Equal(t, []interface{}{"arn:aws:sns:eu-west-1:123456789012:on-call"}, a["alarm_actions"], kind)
		}
	})

	// Values the plan cannot know yet (ARNs, the generated bucket name) are checked through the configuration: the
	// function module's inputs must reference the other modules' outputs.
	t.Run("modules are wired to each other", func(t *testing.T) {
		require.NotNil(t, plan.RawPlan.Config)
		call, ok := plan.RawPlan.Config.RootModule.ModuleCalls["function"]
		require.True(t, ok, "module call function")
		for input, ref := range map[string]string{
			"stream_arn":  "module.stream.arn",
			"bucket_arn":  "module.bucket.arn",
			"bucket_name": "module.bucket.name",
			"dlq_arn":     "module.dlq.arn",
		} {
			expr, ok := call.Expressions[input]
			if assert.True(t, ok, "function input %s is set", input) {
				assert.Contains(t, expr.References, ref, "function input %s", input)
			}
		}
		var esm *tfjson.ConfigResource
		for _, r := range call.Module.Resources {
			if r.Address == "aws_lambda_event_source_mapping.this" {
				esm = r
			}
		}
		require.NotNil(t, esm, "event source mapping in the function module's configuration")
		onFailure := esm.Expressions["destination_config"].NestedBlocks[0]["on_failure"].NestedBlocks[0]
		assert.Contains(t, onFailure["destination_arn"].References, "var.dlq_arn")
	})
}

// planTofuBinary returns the pinned OpenTofu: $KINESIS2S3_TOFU (set by the Makefile), else ../.bin/tofu.
func planTofuBinary(t *testing.T) string {
	t.Helper()
	tofu := os.Getenv("KINESIS2S3_TOFU")
	if tofu == "" {
		tofu = filepath.Join("..", ".bin", "tofu")
	}
	abs, err := filepath.Abs(tofu)
	require.NoError(t, err)
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("OpenTofu not found at %s (run make tools or set KINESIS2S3_TOFU): %v", abs, err)
	}
	return abs
}

// planTestZip writes a small deployment package (the plan only hashes it, so make build is not needed) and returns
// its path and the base64 SHA-256 that Terraform's filebase64sha256 gives.
func planTestZip(t *testing.T) (path, hash string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "function.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, ExternalAttrs: 0o755 << 16})
	require.NoError(t, err)
	_, err = w.Write([]byte("#!/bin/sh\necho 'plan test placeholder, not the function' >&2\nexit 1\n"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return path, base64.StdEncoding.EncodeToString(sum[:])
}

// planValues returns the planned attribute values of the resource at addr.
func planValues(t *testing.T, plan *terraform.PlanStruct, addr string) map[string]interface{} {
	t.Helper()
	r, ok := plan.ResourcePlannedValuesMap[addr]
	require.True(t, ok, "%s is not in the plan", addr)
	return r.AttributeValues
}

// planAfterUnknown returns which attributes of the resource at addr the plan marks as known only after apply.
func planAfterUnknown(t *testing.T, plan *terraform.PlanStruct, addr string) map[string]interface{} {
	t.Helper()
	rc, ok := plan.ResourceChangesMap[addr]
	require.True(t, ok, "%s is not in the plan", addr)
	m, ok := rc.Change.AfterUnknown.(map[string]interface{})
	require.True(t, ok, "%s: after_unknown is %T", addr, rc.Change.AfterUnknown)
	return m
}

// planBlock returns the only element of a nested block list (a block with max_items = 1) as a map.
func planBlock(t *testing.T, v interface{}) map[string]interface{} {
	t.Helper()
	list, ok := v.([]interface{})
	require.True(t, ok && len(list) == 1, "want a one-element block list, got %#v", v)
	m, ok := list[0].(map[string]interface{})
	require.True(t, ok, "want a block, got %#v", list[0])
	return m
}

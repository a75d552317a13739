package test

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gruntwork-io/terratest/modules/files"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// planProvider is written into the copied root module, which has no provider block of its own (a caller's, or the
// environment's, configures the provider): a region, and with the real provider, init and plan without an AWS login
// for the resources. The offline provider stub ignores it.
const planProvider = `provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "plan-test"
  secret_key                  = "plan-test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
`

// TestTerraformPlan plans terraform/ and its examples the way a user does, with the pinned OpenTofu and, when it is
// on PATH, with Terraform, and checks what only a real plan shows. Everything about the resources' settings is
// asserted once, in terraform/tests (tofu/terraform test with a mock provider); those suites see a module's outputs
// from the root, not its resources, and a mock provider knows every value at plan time, where a real plan does not
// (a count that depends on an ARN plans under the mock and fails for real). So this test checks:
//   - the exact set of resources the default configuration creates, all of them creations;
//   - that every pass-through input of the root reaches the resource of the module it is given to;
//   - that a bad value given to the root fails with the error message of the module that validates it;
//   - that every example plans.
func TestTerraformPlan(t *testing.T) {
	binaries := map[string]string{"tofu": planTofuBinary(t)}
	if tf, err := exec.LookPath("terraform"); err == nil {
		binaries["terraform"] = tf
	}
	for _, name := range []string{"tofu", "terraform"} {
		t.Run(name, func(t *testing.T) {
			bin, ok := binaries[name]
			if !ok {
				t.Skip("terraform is not on PATH")
			}
			t.Parallel()
			testPlan(t, bin)
		})
	}
}

func testPlan(t *testing.T, binary string) {
	// A copy, so that init and plan leave nothing in the repository. A lock file in terraform/ pins the hashes of
	// one provider source (a user's registry download); the copy must also plan with another (the offline stub).
	root, err := files.CopyTerraformFolderToDest("../terraform", t.TempDir(), "kinesis2s3-plan")
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(filepath.Join(root, ".terraform.lock.hcl")))
	require.NoError(t, os.WriteFile(filepath.Join(root, "plan_test_provider.tf"), []byte(planProvider), 0o644))
	options := func(vars map[string]any) *terraform.Options { return planOptions(t, binary, root, vars) }
	terraform.Init(t, options(map[string]any{}))

	t.Run("creates exactly the stack's resources", func(t *testing.T) {
		assertCreates(t, planAndShow(t, options(map[string]any{})), []string{
			"module.alarms[0].aws_cloudwatch_dashboard.this[0]",
			`module.alarms[0].aws_cloudwatch_metric_alarm.this["destination-delivery-failures"]`,
			`module.alarms[0].aws_cloudwatch_metric_alarm.this["dlq-age"]`,
			`module.alarms[0].aws_cloudwatch_metric_alarm.this["dlq-not-empty"]`,
			`module.alarms[0].aws_cloudwatch_metric_alarm.this["dropped-events"]`,
			`module.alarms[0].aws_cloudwatch_metric_alarm.this["errors"]`,
			`module.alarms[0].aws_cloudwatch_metric_alarm.this["failed-invoke-events"]`,
			`module.alarms[0].aws_cloudwatch_metric_alarm.this["iterator-age"]`,
			`module.alarms[0].aws_cloudwatch_metric_alarm.this["records-quarantined"]`,
			`module.alarms[0].aws_cloudwatch_metric_alarm.this["throttles"]`,
			"module.alarms[0].aws_kms_key.topic[0]",
			"module.alarms[0].aws_sns_topic.alarms[0]",
			"module.alarms[0].aws_sns_topic_policy.alarms[0]",
			"module.bucket.aws_s3_bucket.this",
			"module.bucket.aws_s3_bucket_lifecycle_configuration.this",
			"module.bucket.aws_s3_bucket_ownership_controls.this",
			"module.bucket.aws_s3_bucket_policy.this",
			"module.bucket.aws_s3_bucket_public_access_block.this",
			"module.bucket.aws_s3_bucket_server_side_encryption_configuration.this",
			"module.dlq[0].aws_sqs_queue.this",
			"module.dlq[0].aws_sqs_queue_policy.this",
			"module.dlq[0].aws_sqs_queue_redrive_allow_policy.this",
			"module.function.aws_cloudwatch_log_group.this",
			"module.function.aws_iam_role.this",
			"module.function.aws_iam_role_policy.this",
			"module.function.aws_lambda_event_source_mapping.this",
			"module.function.aws_lambda_function.this",
			"module.stream.aws_kinesis_stream.this",
		})
	})

	t.Run("every input reaches its resource", func(t *testing.T) {
		for i, p := range passThroughPlans {
			vars := map[string]any{}
			maps.Copy(vars, p.base)
			for name, in := range p.inputs {
				vars[name] = in.value
			}
			plan := planAndShow(t, options(vars))
			for name, in := range p.inputs {
				r, ok := plan.ResourcePlannedValuesMap[in.resource]
				if in.attribute == "" {
					assert.False(t, ok, "plan %d: %s: %s must not be planned", i, name, in.resource)
					continue
				}
				if !assert.True(t, ok, "plan %d: %s: %s is not in the plan", i, name, in.resource) {
					continue
				}
				want := in.want
				if want == nil {
					want = in.value
				}
				assert.Equal(t, normalize(want), normalize(attribute(r.AttributeValues, in.attribute)), "plan %d: %s → %s.%s", i, name, in.resource, in.attribute)
			}
		}
	})

	t.Run("a bad root value fails with the module's message", func(t *testing.T) {
		// The errors are read from stderr alone: the plan that goes to stdout at the same time would otherwise
		// interleave with them, line by line, as it did once.
		opts := options(map[string]any{"batch_size": 0, "transition_storage_class": "COLD"})
		_, stderr, code, _ := terraform.RunTerraformCommandAndGetStdOutErrCodeE(t, opts,
			terraform.FormatArgs(opts, "plan", "-input=false", "-lock=false")...)
		require.NotZero(t, code, "plan with bad values succeeded")
		out := strings.Join(strings.Fields(stderr), " ") // the CLI wraps messages at 80 columns
		assert.Contains(t, out, "batch_size must be a whole number from 1 to 10000.")
		assert.Contains(t, out, "transition_storage_class must be one of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE.")
	})

	// The root tells the bucket module that the catalog's tables read the data (terraform/tests cannot expect a
	// failure inside a module).
	t.Run("archiving the data under the tables fails without the opt-in", func(t *testing.T) {
		opts := options(map[string]any{"output_mode": "batch", "transition_days": 90, "transition_storage_class": "GLACIER"})
		_, stderr, code, _ := terraform.RunTerraformCommandAndGetStdOutErrCodeE(t, opts,
			terraform.FormatArgs(opts, "plan", "-input=false", "-lock=false")...)
		require.NotZero(t, code, "plan that archives the data under the tables succeeded")
		assert.Contains(t, strings.Join(strings.Fields(stderr), " "), "Athena skips GLACIER objects")
	})

	// The examples configure the provider themselves, as a caller of the root module does.
	require.NoError(t, os.Remove(filepath.Join(root, "plan_test_provider.tf")))
	examples, err := filepath.Glob(filepath.Join(root, "examples", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, examples)
	for _, dir := range examples {
		t.Run("example "+filepath.Base(dir), func(t *testing.T) {
			opts := planOptions(t, binary, dir, map[string]any{})
			terraform.Init(t, opts)
			plan := planAndShow(t, opts)
			assert.Contains(t, plan.ResourceChangesMap, "module.kinesis2s3.module.function.aws_lambda_event_source_mapping.this")
			assertCreates(t, plan, nil)
		})
	}
}

// planOptions plans dir with binary and vars, a small deployment package standing in for build/function.zip (the
// plan only hashes it). The variables go in a .tfvars.json file: -var cannot carry strings with quotes.
func planOptions(t *testing.T, binary, dir string, vars map[string]any) *terraform.Options {
	vars = maps.Clone(vars)
	vars["function_zip_path"] = planTestZip(t)
	varFile := filepath.Join(t.TempDir(), "plan.tfvars.json")
	data, err := json.Marshal(vars)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(varFile, data, 0o644))
	env := map[string]string{}
	if rc := os.Getenv("TF_CLI_CONFIG_FILE"); rc != "" {
		env["TF_CLI_CONFIG_FILE"] = rc
	}
	return &terraform.Options{
		TerraformBinary: binary,
		TerraformDir:    dir,
		VarFiles:        []string{varFile},
		EnvVars:         env,
		PlanFilePath:    filepath.Join(t.TempDir(), "plan.bin"),
		NoColor:         true,
		// The plans are long; a failure shows what was wrong without them.
		Logger: logger.Discard,
	}
}

// planAndShow plans into options.PlanFilePath and returns the plan as JSON (the directory is already initialised).
func planAndShow(t *testing.T, options *terraform.Options) *terraform.PlanStruct {
	terraform.Plan(t, options)
	return terraform.ShowWithStruct(t, options)
}

// assertCreates checks that the plan only creates, and, unless want is nil, exactly the managed resources in want.
func assertCreates(t *testing.T, plan *terraform.PlanStruct, want []string) {
	t.Helper()
	var got []string
	for addr, rc := range plan.ResourceChangesMap {
		if rc.Mode != tfjson.ManagedResourceMode {
			continue
		}
		got = append(got, addr)
		assert.Equal(t, tfjson.Actions{tfjson.ActionCreate}, rc.Change.Actions, "%s: only creations expected", addr)
	}
	if want != nil {
		slices.Sort(got)
		assert.Equal(t, want, got)
	}
}

// passThrough is a non-default value for a pass-through input of the root, and where the plan must show it: an
// attribute of a resource, or (attribute "") a resource the value removes.
type passThrough struct {
	value     any
	resource  string // address in the plan
	attribute string // dotted path in the resource's planned values; list elements by index, [keys.with.dots]
	want      any    // the planned value, when it is not value itself
}

// passThroughPlans covers every pass-through input of terraform/variables.tf (TestPassThroughsCoverTheRoot holds it
// to that), in plans whose values are valid together; none is a module's default.
var passThroughPlans = []struct {
	base   map[string]any
	inputs map[string]passThrough
}{
	{inputs: map[string]passThrough{
		"stream_mode":            {"PROVISIONED", "module.stream.aws_kinesis_stream.this", "stream_mode_details.0.stream_mode", nil},
		"shard_count":            {2, "module.stream.aws_kinesis_stream.this", "shard_count", nil},
		"stream_retention_hours": {48, "module.stream.aws_kinesis_stream.this", "retention_period", nil},
		"stream_kms_key_arn":     {testKey(1), "module.stream.aws_kinesis_stream.this", "kms_key_id", nil},

		"bucket_name":                            {"k2s3-plan-test-bucket", "module.bucket.aws_s3_bucket.this", "bucket", nil},
		"bucket_force_destroy":                   {true, "module.bucket.aws_s3_bucket.this", "force_destroy", nil},
		"bucket_sse_algorithm":                   {"aws:kms", "module.bucket.aws_s3_bucket_server_side_encryption_configuration.this", "rule.0.apply_server_side_encryption_by_default.0.sse_algorithm", nil},
		"bucket_kms_key_arn":                     {testKey(2), "module.bucket.aws_s3_bucket_server_side_encryption_configuration.this", "rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id", nil},
		"bucket_versioning":                      {true, "module.bucket.aws_s3_bucket_versioning.this[0]", "versioning_configuration.0.status", "Enabled"},
		"abort_incomplete_multipart_upload_days": {3, "module.bucket.aws_s3_bucket_lifecycle_configuration.this", "rule.0.abort_incomplete_multipart_upload.0.days_after_initiation", nil},
		"transition_days":                        {45, "module.bucket.aws_s3_bucket_lifecycle_configuration.this", "rule.1.transition.0.days", nil},
		"transition_storage_class":               {"GLACIER_IR", "module.bucket.aws_s3_bucket_lifecycle_configuration.this", "rule.1.transition.0.storage_class", nil},
		"data_expiration_days":                   {400, "module.bucket.aws_s3_bucket_lifecycle_configuration.this", "rule.2.expiration.0.days", nil},
		"error_expiration_days":                  {30, "module.bucket.aws_s3_bucket_lifecycle_configuration.this", "rule.3.expiration.0.days", nil},

		"dlq_kms_key_arn":        {testKey(3), "module.dlq[0].aws_sqs_queue.this", "kms_master_key_id", nil},
		"dlq_redrive_permission": {"allowAll", "module.dlq[0].aws_sqs_queue_redrive_allow_policy.this", "redrive_allow_policy", `{"redrivePermission":"allowAll"}`},

		"memory_size":                    {1024, "module.function.aws_lambda_function.this", "memory_size", nil},
		"timeout":                        {120, "module.function.aws_lambda_function.this", "timeout", nil},
		"reserved_concurrent_executions": {5, "module.function.aws_lambda_function.this", "reserved_concurrent_executions", nil},
		"log_retention_days":             {14, "module.function.aws_cloudwatch_log_group.this", "retention_in_days", nil},
		"log_kms_key_arn":                {testKey(4), "module.function.aws_cloudwatch_log_group.this", "kms_key_id", nil},
		"log_level":                      {"DEBUG", "module.function.aws_lambda_function.this", "logging_config.0.application_log_level", nil},
		"output_mode":                    {"batch", "module.function.aws_lambda_function.this", "environment.0.variables.OUTPUT_MODE", nil},
		"compression":                    {"zstd", "module.function.aws_lambda_function.this", "environment.0.variables.COMPRESSION", nil},
		"on_invalid_record":              {"fail", "module.function.aws_lambda_function.this", "environment.0.variables.ON_INVALID_RECORD", nil},
		"upload_concurrency":             {8, "module.function.aws_lambda_function.this", "environment.0.variables.UPLOAD_CONCURRENCY", "8"},
		// The function writes under the prefixes, and the bucket's lifecycle rules follow them.
		"key_prefix":   {"data/", "module.bucket.aws_s3_bucket_lifecycle_configuration.this", "rule.1.filter.0.prefix", nil},
		"error_prefix": {"bad/", "module.bucket.aws_s3_bucket_lifecycle_configuration.this", "rule.3.filter.0.prefix", nil},

		"esm_enabled":                        {false, "module.function.aws_lambda_event_source_mapping.this", "enabled", nil},
		"enhanced_fan_out":                   {true, "module.function.aws_kinesis_stream_consumer.this[0]", "name", "kinesis2s3"},
		"starting_position":                  {"AT_TIMESTAMP", "module.function.aws_lambda_event_source_mapping.this", "starting_position", nil},
		"starting_position_timestamp":        {"2025-01-02T15:04:05Z", "module.function.aws_lambda_event_source_mapping.this", "starting_position_timestamp", nil},
		"batch_size":                         {1000, "module.function.aws_lambda_event_source_mapping.this", "batch_size", nil},
		"maximum_batching_window_in_seconds": {10, "module.function.aws_lambda_event_source_mapping.this", "maximum_batching_window_in_seconds", nil},
		"parallelization_factor":             {2, "module.function.aws_lambda_event_source_mapping.this", "parallelization_factor", nil},
		"maximum_retry_attempts":             {3, "module.function.aws_lambda_event_source_mapping.this", "maximum_retry_attempts", nil},
		"maximum_record_age_in_seconds":      {7200, "module.function.aws_lambda_event_source_mapping.this", "maximum_record_age_in_seconds", nil},
		"filter_patterns":                    {[]string{`{"data":{"type":["order"]}}`}, "module.function.aws_lambda_event_source_mapping.this", "filter_criteria.0.filter.0.pattern", `{"data":{"type":["order"]}}`},

		"alarm_email_addresses":         {[]string{"oncall@example.com"}, `module.alarms[0].aws_sns_topic_subscription.email["oncall@example.com"]`, "endpoint", "oncall@example.com"},
		"iterator_age_threshold_ms":     {60000, `module.alarms[0].aws_cloudwatch_metric_alarm.this["iterator-age"]`, "threshold", nil},
		"records_quarantined_threshold": {10, `module.alarms[0].aws_cloudwatch_metric_alarm.this["records-quarantined"]`, "threshold", nil},

		"redrive_operator_modes": {[]string{"dry-run", "direct"}, "module.redrive_operator.aws_iam_policy.this[0]", "description", "pipelinectl redrive (direct, dry-run) for the kinesis2s3 pipeline."},
	}},
	// Switches that remove a resource; without the topic, the alarms notify alarm_actions alone.
	{inputs: map[string]passThrough{
		"alarm_topic_enabled": {false, "module.alarms[0].aws_sns_topic.alarms[0]", "", nil},
		"dashboard_enabled":   {false, "module.alarms[0].aws_cloudwatch_dashboard.this[0]", "", nil},
		"alarm_actions":       {[]string{"arn:aws:sns:eu-west-1:123456789012:on-call"}, `module.alarms[0].aws_cloudwatch_metric_alarm.this["errors"]`, "alarm_actions", nil},
	}},
	// The analytics settings, in batch mode (the catalog serves batch objects only), with a bucket name so that the
	// workgroup's result location is known at plan time, and the data moving to GLACIER under the tables, which
	// plans only if allow_archive_transition reaches the bucket module.
	{base: map[string]any{"output_mode": "batch", "compression": "zstd", "bucket_name": "k2s3-plan-test-athena", "transition_storage_class": "GLACIER"}, inputs: map[string]passThrough{
		"schema_file":    {exampleSchemaPath(), "module.function.aws_s3_object.schema[0]", "source", nil},
		"transform":      {"del(.card)", "module.function.aws_lambda_function.this", "environment.0.variables.TRANSFORM", nil},
		"time_field":     {".created_at", "module.function.aws_lambda_function.this", "environment.0.variables.TIME_FIELD", nil},
		"partition_keys": {"country=.customer.address.country", "module.function.aws_lambda_function.this", "environment.0.variables.PARTITION_KEYS", nil},
		"max_partitions": {50, "module.function.aws_lambda_function.this", "environment.0.variables.MAX_PARTITIONS", "50"},
		"format":         {"parquet", "module.catalog[0].aws_glue_catalog_table.records", "storage_descriptor.0.output_format", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"},

		"partition_projection": {map[string]any{"country": map[string]any{"type": "enum", "values": []string{"DE", "FR"}}}, "module.catalog[0].aws_glue_catalog_table.records", "parameters.[projection.country.type]", "enum"},
		// The bucket expires the workgroup's results: the prefix reaches it through the catalog module (whose
		// tests check that the workgroup writes there). Rule 3: abort, transition, expire errors, then results.
		"athena_results_prefix":          {"query-results/", "module.bucket.aws_s3_bucket_lifecycle_configuration.this", "rule.3.filter.0.prefix", nil},
		"athena_results_expiration_days": {7, "module.bucket.aws_s3_bucket_lifecycle_configuration.this", "rule.3.expiration.0.days", nil},
		"athena_bytes_scanned_cutoff":    {20971520, "module.catalog[0].aws_athena_workgroup.this", "configuration.0.bytes_scanned_cutoff_per_query", nil},
		"allow_archive_transition":       {true, "module.bucket.aws_s3_bucket_lifecycle_configuration.this", "rule.1.transition.0.storage_class", "GLACIER"},
	}},
	// Without the mapping's metrics, its alarms could never fire: the alarms module refuses them.
	{base: map[string]any{"alarms_enabled": false}, inputs: map[string]passThrough{
		"esm_metrics": {[]string{}, "module.function.aws_lambda_event_source_mapping.this", "metrics_config", []any{}},
	}},
}

func testKey(n int) string {
	return fmt.Sprintf("arn:aws:kms:eu-west-1:123456789012:key/%d%d%d%d%d%d%d%d-0000-0000-0000-000000000000", n, n, n, n, n, n, n, n)
}

// TestPassThroughsCoverTheRoot holds passThroughPlans to terraform/variables.tf: every input without a description
// of its own (a pass-through, see scripts/tfdocs) must have a value there, so that its wiring is planned.
func TestPassThroughsCoverTheRoot(t *testing.T) {
	f, diags := hclparse.NewParser().ParseHCLFile("../terraform/variables.tf")
	require.False(t, diags.HasErrors(), "%s", diags)
	var inputs []string
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if _, described := b.Body.Attributes["description"]; b.Type == "variable" && !described {
			inputs = append(inputs, b.Labels[0])
		}
	}
	var covered []string
	for _, p := range passThroughPlans {
		for name := range p.inputs {
			covered = append(covered, name)
		}
	}
	slices.Sort(inputs)
	slices.Sort(covered)
	assert.Equal(t, inputs, covered)
}

// attribute follows a dotted path (map keys, list indexes) into planned attribute values; nil if it is not there. A
// key with dots in it is written in brackets: parameters.[projection.country.type].
func attribute(v any, path string) any {
	for path != "" {
		var p string
		if rest, ok := strings.CutPrefix(path, "["); ok {
			p, path, _ = strings.Cut(rest, "]")
			path = strings.TrimPrefix(path, ".")
		} else {
			p, path, _ = strings.Cut(path, ".")
		}
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// normalize makes Go test values and plan JSON values comparable: numbers as float64, lists as []any.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return v
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

// planTestZip writes a small deployment package (the plan only hashes it, so make build is not needed).
func planTestZip(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "function.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, ExternalAttrs: 0o755 << 16})
	require.NoError(t, err)
	_, err = w.Write([]byte("#!/bin/sh\necho 'plan test placeholder, not the function' >&2\nexit 1\n"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return path
}

// exampleSchemaPath is the absolute path of examples/batch-athena's schema, which plans of copies of terraform/ can
// read.
func exampleSchemaPath() string {
	p, err := filepath.Abs("../terraform/examples/batch-athena/orders.schema.json")
	if err != nil {
		panic(err)
	}
	return p
}

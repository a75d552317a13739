package pipeline

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/terraform"
)

// Every variable of the function module with a default is either mirrored locally (and then defaults to the
// module's value, read from the same file) or named here as having no local meaning. A variable added to the module
// fails this test until someone decides which.
func TestMirrorsTheFunctionModule(t *testing.T) {
	notLocal := []string{
		"reserved_concurrent_executions", "log_retention_days", "log_kms_key_arn", "bucket_kms_key_arn",
		"stream_kms_key_arn", "on_failure_kms_key_arn", "enhanced_fan_out", "enabled", "filter_patterns", "esm_metrics", "tags",
		"schema_prefix", // locally the function reads schema_file where it is
	}
	var s Settings
	set := s.handlerSetters()
	for name, v := range terraform.MustModuleDefaults("function") {
		_, mirrored := set[name]
		switch {
		case slices.Contains(notLocal, name):
			if mirrored {
				t.Errorf("%s is mirrored locally and listed as having no local meaning", name)
			}
		case !mirrored:
			t.Errorf("function module variable %s (default %#v) is neither mirrored by the local pipeline nor listed as not local", name, v.Value)
		}
	}
	d := DefaultSettings()
	if d.OutputMode == "" || d.KeyPrefix == "" || d.ESM.BatchSize == 0 || d.Timeout == 0 || d.MemoryMB == 0 || d.Format == "" || d.MaxPartitions == 0 ||
		d.OnFailureDestination != OnFailureSQS {
		t.Errorf("DefaultSettings() = %+v: a module default did not arrive", d)
	}
}

func TestLoadTFVars(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terraform.tfvars")
	err := os.WriteFile(path, []byte(`
name               = "demo"
shard_count        = 3
output_mode        = "batch"
compression        = "zstd"
key_prefix         = "raw/"
error_prefix       = null # the module's default
timeout            = 30
batch_size         = 100
on_failure_destination = "s3"
format             = "parquet"
schema_file        = "schemas/orders.json" # relative to the tfvars file, as Terraform reads it there
partition_keys     = "tenant=.customer.tenant"
time_field         = ".created_at"
transform          = "del(.card)"
max_partitions     = 20
bucket_versioning  = true # not a local setting: ignored
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings()
	if err := s.LoadTFVars(path); err != nil {
		t.Fatal(err)
	}
	if s.Name != "demo" || s.Shards != 3 || s.OutputMode != "batch" || s.Compression != "zstd" || s.KeyPrefix != "raw/" ||
		s.ErrorPrefix != "errors/" || s.Timeout != 30*time.Second || s.ESM.BatchSize != 100 || s.OnFailureDestination != OnFailureS3 ||
		s.Format != "parquet" || s.SchemaFile != filepath.Join(filepath.Dir(path), "schemas/orders.json") ||
		s.PartitionKeys != "tenant=.customer.tenant" || s.TimeField != ".created_at" || s.Transform != "del(.card)" || s.MaxPartitions != 20 {
		t.Errorf("settings = %+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Error(err)
	}
}

func TestLoadTFVarsErrors(t *testing.T) {
	for body, want := range map[string]string{
		`shard_count = "many"`: "shard_count",
		`output_mode = [1]`:    "output_mode",
		`batch_size = "x"`:     "batch_size",
		`name = `:              "tfvars",
	} {
		path := filepath.Join(t.TempDir(), "x.tfvars")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		s := DefaultSettings()
		if err := s.LoadTFVars(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one naming %s", body, err, want)
		}
	}
	s := DefaultSettings()
	if err := s.LoadTFVars(filepath.Join(t.TempDir(), "missing.tfvars")); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestValidate(t *testing.T) {
	for name, edit := range map[string]func(*Settings){
		"OUTPUT_MODE":                 func(s *Settings) { s.OutputMode = "batches" },
		"COMPRESSION":                 func(s *Settings) { s.Compression = "lz4" },
		"TRANSFORM":                   func(s *Settings) { s.Transform = ".a |" },
		"FORMAT=parquet needs SCHEMA": func(s *Settings) { s.OutputMode, s.Format = "batch", "parquet" },
		"shard_count":                 func(s *Settings) { s.Shards = 0 },
		"timeout":                     func(s *Settings) { s.Timeout = 1500 * time.Millisecond },
		"BatchSize":                   func(s *Settings) { s.ESM.BatchSize = 0 },
		"name":                        func(s *Settings) { s.Name = "" },
		"on_failure_destination":      func(s *Settings) { s.OnFailureDestination = "sns" },
	} {
		s := DefaultSettings()
		edit(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: Validate() = %v", name, err)
		}
	}
	if err := DefaultSettings().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

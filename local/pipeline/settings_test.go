package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// The local defaults are the Terraform variables' defaults: read them from terraform/variables.tf, so that a
// change there that is not made here fails.
func TestDefaultsMatchTerraformVariables(t *testing.T) {
	path := filepath.Join("..", "..", "terraform", "variables.tf")
	file, diags := hclparse.NewParser().ParseHCLFile(path)
	if diags.HasErrors() {
		t.Skipf("terraform/variables.tf: %v", diags)
	}
	content, _, diags := file.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "variable", LabelNames: []string{"name"}}}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	defaults := map[string]cty.Value{}
	for _, b := range content.Blocks {
		attrs, _ := b.Body.JustAttributes()
		if a, ok := attrs["default"]; ok {
			v, diags := a.Expr.Value(nil)
			if diags.HasErrors() {
				t.Fatalf("%s: %v", b.Labels[0], diags)
			}
			defaults[b.Labels[0]] = v
		}
	}
	s := DefaultSettings()
	str := func(v string) cty.Value { return cty.StringVal(v) }
	num := func(n int) cty.Value { return cty.NumberIntVal(int64(n)) }
	want := map[string]cty.Value{
		"output_mode":                        str(s.OutputMode),
		"compression":                        str(s.Compression),
		"key_prefix":                         str(s.KeyPrefix),
		"error_prefix":                       str(s.ErrorPrefix),
		"on_invalid_record":                  str(s.OnInvalidRecord),
		"upload_concurrency":                 num(s.UploadConcurrency),
		"log_level":                          str(s.LogLevel),
		"timeout":                            num(int(s.Timeout / time.Second)),
		"memory_size":                        num(s.MemoryMB),
		"starting_position":                  str(s.ESM.StartingPosition),
		"batch_size":                         num(s.ESM.BatchSize),
		"maximum_batching_window_in_seconds": num(int(s.ESM.MaximumBatchingWindow / time.Second)),
		"parallelization_factor":             num(s.ESM.ParallelizationFactor),
		"maximum_retry_attempts":             num(s.ESM.MaximumRetryAttempts),
		"maximum_record_age_in_seconds":      num(int(s.ESM.MaximumRecordAge / time.Second)),
	}
	for name, w := range want {
		got, ok := defaults[name]
		if !ok {
			t.Errorf("variable %s has no default in %s", name, path)
			continue
		}
		if !got.RawEquals(w) && !(got.Type() == cty.Number && w.Type() == cty.Number && got.Equals(w).True()) {
			t.Errorf("variable %s defaults to %#v in Terraform, %#v locally", name, got, w)
		}
	}
	// The two Terraform defaults that are deliberately not followed.
	if !defaults["shard_count"].IsNull() || defaults["name"].AsString() == s.Name {
		t.Errorf("shard_count %#v / name %#v: update DefaultSettings' documentation", defaults["shard_count"], defaults["name"])
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
		s.ErrorPrefix != "errors/" || s.Timeout != 30*time.Second || s.ESM.BatchSize != 100 {
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
		"OUTPUT_MODE": func(s *Settings) { s.OutputMode = "batches" },
		"COMPRESSION": func(s *Settings) { s.Compression = "lz4" },
		"shard_count": func(s *Settings) { s.Shards = 0 },
		"timeout":     func(s *Settings) { s.Timeout = 1500 * time.Millisecond },
		"BatchSize":   func(s *Settings) { s.ESM.BatchSize = 0 },
		"name":        func(s *Settings) { s.Name = "" },
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

package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLocalSettingsLayering(t *testing.T) {
	tfvars := filepath.Join(t.TempDir(), "x.tfvars")
	if err := os.WriteFile(tfvars, []byte("output_mode = \"batch\"\ncompression = \"zstd\"\nshard_count = 3\non_failure_destination = \"s3\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var f localFlags
	fs := localFlagSet(io.Discard, &f)
	if err := fs.Parse([]string{"--tfvars", tfvars, "--compression", "gzip", "--window", "1s"}); err != nil {
		t.Fatal(err)
	}
	s, source, err := localSettings(&f, fs)
	if err != nil {
		t.Fatal(err)
	}
	// tfvars over the defaults, flags over tfvars; what no one set keeps the Terraform default.
	if s.OutputMode != "batch" || s.Compression != "gzip" || s.Shards != 3 || s.ESM.MaximumBatchingWindow != time.Second ||
		s.ESM.BatchSize != 500 || s.OnFailureDestination != "s3" {
		t.Errorf("settings %+v", s)
	}
	if !strings.Contains(source, tfvars) || !strings.Contains(source, "--compression --window") {
		t.Errorf("source %q does not say where the settings came from", source)
	}

	fs = localFlagSet(io.Discard, &f)
	if err := fs.Parse([]string{"--mode", "batches"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := localSettings(&f, fs); err == nil || !strings.Contains(err.Error(), "OUTPUT_MODE") {
		t.Errorf("--mode batches: error %v, want one naming OUTPUT_MODE", err)
	}

	fs = localFlagSet(io.Discard, &f)
	if err := fs.Parse([]string{"--tfvars", tfvars, "--on-failure-destination", "sqs"}); err != nil {
		t.Fatal(err)
	}
	if s, _, err := localSettings(&f, fs); err != nil || s.OnFailureDestination != "sqs" {
		t.Errorf("--on-failure-destination sqs over tfvars: %q, %v", s.OnFailureDestination, err)
	}
	fs = localFlagSet(io.Discard, &f)
	if err := fs.Parse([]string{"--on-failure-destination", "sns"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := localSettings(&f, fs); err == nil || !strings.Contains(err.Error(), "on_failure_destination") {
		t.Errorf("--on-failure-destination sns: error %v, want one naming on_failure_destination", err)
	}
}

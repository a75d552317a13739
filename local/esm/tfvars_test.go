package esm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeTFVars(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "local.tfvars")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadTFVars(t *testing.T) {
	path := writeTFVars(t, `
stream_name                        = "orders"   # not a mapping variable: ignored
starting_position                  = "AT_TIMESTAMP"
starting_position_timestamp        = "2025-01-02T15:04:05Z"
batch_size                         = 250
maximum_batching_window_in_seconds = 2
parallelization_factor             = 4
maximum_retry_attempts             = -1
maximum_record_age_in_seconds      = 7200
`)
	cfg := DefaultConfig(testStreamARN, testFunctionARN)
	if err := LoadTFVars(path, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.StartingPosition != AtTimestamp || !cfg.StartingPositionTimestamp.Equal(time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)) ||
		cfg.BatchSize != 250 || cfg.MaximumBatchingWindow != 2*time.Second || cfg.ParallelizationFactor != 4 ||
		cfg.MaximumRetryAttempts != NoLimit || cfg.MaximumRecordAge != 2*time.Hour {
		t.Errorf("config = %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}

func TestLoadTFVarsKeepsUnsetAndNullValues(t *testing.T) {
	cfg := DefaultConfig(testStreamARN, testFunctionARN)
	want := cfg
	if err := LoadTFVars(writeTFVars(t, "starting_position_timestamp = null\nmaximum_record_age_in_seconds = -1\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	want.MaximumRecordAge = NoLimit
	if cfg != want {
		t.Errorf("config = %+v, want %+v", cfg, want)
	}
}

func TestLoadTFVarsErrors(t *testing.T) {
	for body, want := range map[string]string{
		"batch_size = 1.5\n":                       "batch_size",
		"batch_size = \"many\"\n":                  "batch_size",
		"starting_position_timestamp = \"soon\"\n": "starting_position_timestamp",
		"batch_size = \n":                          "tfvars",
		"batch_size = var.other\n":                 "batch_size",
	} {
		cfg := DefaultConfig(testStreamARN, testFunctionARN)
		err := LoadTFVars(writeTFVars(t, body), &cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %s", body, err, want)
		}
	}
	if err := LoadTFVars(filepath.Join(t.TempDir(), "missing.tfvars"), &Config{}); err == nil {
		t.Error("missing file: no error")
	}
}

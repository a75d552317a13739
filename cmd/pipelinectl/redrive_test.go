package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/config"
)

func TestRedriveHelp(t *testing.T) {
	_, stderr, exit := runCmd(t, "redrive", "-h")
	if exit != 0 {
		t.Fatalf("redrive -h exited %d", exit)
	}
	for _, want := range []string{"-queue-url URL", "-queue-name NAME", "-mode", "-dry-run", "-max-messages N",
		"-concurrency", "-function NAME", "-config-from-function NAME", "-bucket NAME", "BUCKET_NAME", "-on-invalid-record",
		"AWS_ENDPOINT_URL_LAMBDA", "exit status is 1 if any message was kept", "Examples:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("redrive -h does not mention %q", want)
		}
	}
	_, usage, _ := runCmd(t)
	if !strings.Contains(usage, "redrive") {
		t.Errorf("pipelinectl usage does not list redrive:\n%s", usage)
	}
}

// Bad flags are refused by name, before any AWS call (no endpoint or region is set up here).
func TestRedriveFlagErrors(t *testing.T) {
	q := []string{"-queue-url", "http://127.0.0.1:1/000000000000/dlq"}
	cases := map[string][]string{
		"-queue-url or -queue-name is required":    {"-dry-run"},
		"exclude each other":                       {"-queue-url", "u", "-queue-name", "n", "-dry-run"},
		"-mode is required":                        q,
		`-mode "replay": want invoke or direct`:    append(q, "-mode", "replay"),
		"-mode invoke needs -function NAME":        append(q, "-mode", "invoke"),
		"-batch-size 0: want 1-10000":              append(q, "-dry-run", "-batch-size", "0"),
		"-concurrency 0: want at least 1":          append(q, "-dry-run", "-concurrency", "0"),
		"-retries -1: want 0 or more":              append(q, "-dry-run", "-retries", "-1"),
		"-max-messages -1":                         append(q, "-dry-run", "-max-messages", "-1"),
		"-visibility-timeout 1s":                   append(q, "-dry-run", "-visibility-timeout", "1s"),
		"-bucket: only for -mode direct":           append(q, "-mode", "invoke", "-function", "f", "-bucket", "b"),
		"-config-from-function: only for -mode":    append(q, "-dry-run", "-config-from-function", "f"),
		"-function and -invoke-identity-arn: only": append(q, "-mode", "direct", "-function", "f", "-bucket", "b"),
		`unexpected argument "now"`:                append(q, "-dry-run", "now"),
		"flag provided but not defined":            append(q, "-force"),
	}
	for want, args := range cases {
		_, stderr, exit := runCmd(t, append([]string{"redrive"}, args...)...)
		if exit == 0 || !strings.Contains(stderr, want) {
			t.Errorf("redrive %v: exit %d, stderr %q; want an error containing %q", args, exit, stderr, want)
		}
	}
}

func TestDirectConfig(t *testing.T) {
	str := func(s string) *string { return &s }
	empty := func() map[string]*string {
		m := map[string]*string{}
		for _, h := range handlerFlags {
			m[h.env] = str("")
		}
		return m
	}

	// From flags alone: the handler's defaults fill the rest.
	flags := empty()
	*flags["BUCKET_NAME"] = "data"
	cfg, err := directConfig(nil, flags)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{Bucket: "data", OutputMode: config.ModeRecord, KeyPrefix: config.DefaultKeyPrefix,
		Compression: config.CompressionGzip, ErrorPrefix: config.DefaultErrorPrefix, OnInvalidRecord: config.InvalidQuarantine,
		UploadConcurrency: config.DefaultUploadConcurrency, MaxPartitions: config.DefaultMaxPartitions, Format: config.FormatJSONL}
	if cfg != want {
		t.Errorf("config %+v\nwant %+v", cfg, want)
	}

	// From the function's environment, with a flag laid over it.
	env := map[string]string{"BUCKET_NAME": "prod", "OUTPUT_MODE": "batch", "COMPRESSION": "zstd", "KEY_PREFIX": "raw/",
		"S3_FORCE_PATH_STYLE": "false", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"}
	flags = empty()
	*flags["KEY_PREFIX"] = "replayed/"
	cfg, err = directConfig(env, flags)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bucket != "prod" || cfg.OutputMode != config.ModeBatch || cfg.Compression != config.CompressionZstd || cfg.KeyPrefix != "replayed/" {
		t.Errorf("config %+v", cfg)
	}

	// The analytics settings, as flags, so that a replay writes under the keys the function writes.
	flags = empty()
	*flags["BUCKET_NAME"], *flags["OUTPUT_MODE"], *flags["FORMAT"], *flags["SCHEMA"] = "data", "batch", "parquet", "s3://cfg/orders.json"
	*flags["PARTITION_KEYS"], *flags["TIME_FIELD"], *flags["TRANSFORM"], *flags["MAX_PARTITIONS"] = "tenant=.t", ".at", "del(.x)", "10"
	if cfg, err = directConfig(nil, flags); err != nil || cfg.Format != config.FormatParquet || cfg.Schema != "s3://cfg/orders.json" ||
		cfg.PartitionKeys != "tenant=.t" || cfg.TimeField != ".at" || cfg.Transform != "del(.x)" || cfg.MaxPartitions != 10 {
		t.Errorf("config %+v, %v", cfg, err)
	}

	// Bad values are the handler's own errors, naming the flag and the setting.
	flags = empty()
	*flags["OUTPUT_MODE"] = "batches"
	if _, err := directConfig(nil, flags); err == nil || !strings.Contains(err.Error(), "-bucket (BUCKET_NAME) is required") ||
		!strings.Contains(err.Error(), `-output-mode (OUTPUT_MODE)="batches" is not valid`) {
		t.Errorf("error %v", err)
	}
}

// A dry run reprocesses nothing, so it sets up no reprocessing: -mode direct without -bucket gets past the
// set-up to reading the queue (here an endpoint that refuses connections).
func TestRedriveDryRunSkipsReprocessingSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: connects to a loopback port")
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	_, stderr, exit := runCmd(t, "redrive", "-queue-url", "http://127.0.0.1:1/000000000000/dlq", "-dry-run", "-mode", "direct")
	if exit == 0 || strings.Contains(stderr, "BUCKET_NAME") || !strings.Contains(stderr, "dry run: nothing is reprocessed") {
		t.Errorf("exit %d, stderr:\n%s\nwant the dry run to start and fail on the unreachable queue", exit, stderr)
	}
}

// -source takes the objects of an S3 destination; its flags are refused by name, before any AWS call.
func TestRedriveS3SourceFlags(t *testing.T) {
	_, stderr, _ := runCmd(t, "redrive", "-h")
	for _, want := range []string{"-source s3://BUCKET/PREFIX", "-redriven-objects", "kinesis2s3-redriven", "aws/lambda/"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("redrive -h does not mention %q", want)
		}
	}
	src := []string{"-source", "s3://data/aws/lambda/"}
	cases := map[string][]string{
		"or -source s3://BUCKET/PREFIX":                {"-mode", "direct"},
		"-source and -queue-url or -queue-name":        append(src, "-queue-name", "dlq", "-dry-run"),
		`-source "data/aws": want s3://BUCKET/PREFIX`:  {"-source", "data/aws", "-dry-run"},
		`-source "s3:///aws/lambda/": want s3://`:      {"-source", "s3:///aws/lambda/", "-dry-run"},
		`-redriven-objects "move": want delete or tag`: append(src, "-dry-run", "-redriven-objects", "move"),
		"-redriven-objects: only with -source":         {"-queue-url", "u", "-dry-run", "-redriven-objects", "tag"},
		"-visibility-timeout: only for the queue":      append(src, "-dry-run", "-visibility-timeout", "30s"),
		"-allow-wider-range: only for the queue":       append(src, "-dry-run", "-allow-wider-range"),
		"-mode invoke needs -function NAME":            append(src, "-mode", "invoke"),
		"-bucket: only for -mode direct":               append(src, "-mode", "invoke", "-function", "f", "-bucket", "b"),
	}
	for want, args := range cases {
		_, stderr, exit := runCmd(t, append([]string{"redrive"}, args...)...)
		if exit == 0 || !strings.Contains(stderr, want) {
			t.Errorf("redrive %v: exit %d, stderr %q; want an error containing %q", args, exit, stderr, want)
		}
	}
	for s, want := range map[string][2]string{
		"s3://data":                    {"data", ""},
		"s3://data/":                   {"data", ""},
		"s3://data/aws/lambda/uuid-1/": {"data", "aws/lambda/uuid-1/"},
	} {
		if b, p, err := parseS3Source(s); err != nil || b != want[0] || p != want[1] {
			t.Errorf("parseS3Source(%q) = %q, %q, %v", s, b, p, err)
		}
	}
}

// flagNames names the flags of the variables a configuration error names, not of a value that spells one.
func TestFlagNamesLeavesValues(t *testing.T) {
	got := flagNames(`OUTPUT_MODE="SCHEMA" is not valid; BUCKET_NAME is required`)
	if want := `-output-mode (OUTPUT_MODE)="SCHEMA" is not valid; -bucket (BUCKET_NAME) is required`; got != want {
		t.Errorf("flagNames: %s\nwant %s", got, want)
	}
}

package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := kv[k]
		return v, ok
	}
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"BUCKET_NAME": "b"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Bucket: "b", OutputMode: ModeRecord, KeyPrefix: "kinesis/", Compression: CompressionGzip,
		ErrorPrefix: "errors/", OnInvalidRecord: InvalidQuarantine, UploadConcurrency: 64, MaxPartitions: 100, Format: FormatJSONL}
	if c != want {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

func TestAllSet(t *testing.T) {
	c, err := Load(env(map[string]string{
		"BUCKET_NAME": "data", "OUTPUT_MODE": "batch", "KEY_PREFIX": "", "COMPRESSION": "zstd",
		"ERROR_PREFIX": "bad/", "ON_INVALID_RECORD": "skip", "S3_FORCE_PATH_STYLE": "true", "UPLOAD_CONCURRENCY": "8",
		"SCHEMA": "s3://cfg/orders.json", "TRANSFORM": "del(.card)", "TIME_FIELD": ".created_at",
		"PARTITION_KEYS": "tenant=.customer.tenant", "MAX_PARTITIONS": "20", "FORMAT": "parquet",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Bucket: "data", OutputMode: ModeBatch, KeyPrefix: "", Compression: CompressionZstd,
		ErrorPrefix: "bad/", OnInvalidRecord: InvalidSkip, ForcePathStyle: true, UploadConcurrency: 8,
		Schema: "s3://cfg/orders.json", Transform: "del(.card)", TimeField: ".created_at",
		PartitionKeys: "tenant=.customer.tenant", MaxPartitions: 20, Format: FormatParquet}
	if c != want {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{}, []string{"BUCKET_NAME is required"}},
		{map[string]string{"BUCKET_NAME": "b", "OUTPUT_MODE": "batches"}, []string{`OUTPUT_MODE="batches"`, "record, batch"}},
		{map[string]string{"BUCKET_NAME": "b", "COMPRESSION": "lz4"}, []string{`COMPRESSION="lz4"`, "gzip, zstd, none"}},
		{map[string]string{"BUCKET_NAME": "b", "ON_INVALID_RECORD": "drop"}, []string{"ON_INVALID_RECORD", "quarantine, fail, skip"}},
		{map[string]string{"BUCKET_NAME": "b", "S3_FORCE_PATH_STYLE": "yes please"}, []string{"S3_FORCE_PATH_STYLE"}},
		{map[string]string{"BUCKET_NAME": "b", "UPLOAD_CONCURRENCY": "0"}, []string{"UPLOAD_CONCURRENCY", "1 to 512"}},
		{map[string]string{"BUCKET_NAME": "b", "UPLOAD_CONCURRENCY": "many"}, []string{"UPLOAD_CONCURRENCY"}},
		{map[string]string{"BUCKET_NAME": "b", "ERROR_PREFIX": ""}, []string{"ERROR_PREFIX must not be empty"}},
		{map[string]string{"BUCKET_NAME": "b", "ERROR_PREFIX": "kinesis/"}, []string{"ERROR_PREFIX", "KEY_PREFIX", "overlap"}},
		{map[string]string{"BUCKET_NAME": "b", "KEY_PREFIX": "/abs/"}, []string{"KEY_PREFIX"}},
		// Analytics settings, alone and with the output settings.
		{map[string]string{"BUCKET_NAME": "b", "TRANSFORM": ".a |"}, []string{"TRANSFORM: not a jq expression"}},
		{map[string]string{"BUCKET_NAME": "b", "OUTPUT_MODE": "batch", "TIME_FIELD": "created_at"}, []string{"TIME_FIELD:", "not a field path"}},
		{map[string]string{"BUCKET_NAME": "b", "OUTPUT_MODE": "batch", "PARTITION_KEYS": "hour=.h"}, []string{"PARTITION_KEYS:", "time level"}},
		{map[string]string{"BUCKET_NAME": "b", "OUTPUT_MODE": "batch", "PARTITION_KEYS": "_extra=.x"}, []string{"PARTITION_KEYS:", "_extra is the Parquet column"}},
		{map[string]string{"BUCKET_NAME": "b", "OUTPUT_MODE": "batch", "PARTITION_KEYS": "line=.x"}, []string{"PARTITION_KEYS:", "line is the JSON Lines"}},
		{map[string]string{"BUCKET_NAME": "b", "SCHEMA": "s3://bucket-only"}, []string{`SCHEMA="s3://bucket-only" is not an S3 URI`}},
		{map[string]string{"BUCKET_NAME": "b", "MAX_PARTITIONS": "0"}, []string{"MAX_PARTITIONS", "1 to 10000"}},
		{map[string]string{"BUCKET_NAME": "b", "FORMAT": "csv"}, []string{`FORMAT="csv"`, "jsonl, parquet"}},
		{map[string]string{"BUCKET_NAME": "b", "OUTPUT_MODE": "batch", "FORMAT": "parquet"}, []string{"FORMAT=parquet needs SCHEMA"}},
		{map[string]string{"BUCKET_NAME": "b", "FORMAT": "parquet", "SCHEMA": "s.json"}, []string{"FORMAT is for OUTPUT_MODE=batch"}},
		{map[string]string{"BUCKET_NAME": "b", "TIME_FIELD": ".t", "PARTITION_KEYS": "t=.t"}, []string{"TIME_FIELD is for OUTPUT_MODE=batch", "PARTITION_KEYS is for OUTPUT_MODE=batch"}},
		{map[string]string{"BUCKET_NAME": "b", "OUTPUT_MODE": "batch", "COMPRESSION": "snappy"}, []string{"COMPRESSION=snappy is for FORMAT=parquet only"}},
		// Several problems are reported together.
		{map[string]string{"OUTPUT_MODE": "x", "COMPRESSION": "y"}, []string{"BUCKET_NAME", "OUTPUT_MODE", "COMPRESSION"}},
	}
	for _, c := range cases {
		_, err := Load(env(c.env))
		if err == nil {
			t.Errorf("%v: no error", c.env)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q does not mention %q", c.env, err, w)
			}
		}
	}
}

func TestEmptyNumberOrBooleanMeansDefault(t *testing.T) {
	c, err := Load(env(map[string]string{"BUCKET_NAME": "b", "UPLOAD_CONCURRENCY": " ", "S3_FORCE_PATH_STYLE": ""}))
	if err != nil || c.UploadConcurrency != DefaultUploadConcurrency || c.ForcePathStyle {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestLogLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"": slog.LevelInfo, "TRACE": slog.LevelDebug, "debug": slog.LevelDebug,
		"WARN": slog.LevelWarn, "FATAL": slog.LevelError, "ERROR": slog.LevelError, "nonsense": slog.LevelInfo} {
		if got := LogLevel(env(map[string]string{EnvLogLevel: in})); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

// A log line carries the level and time Lambda's log-level filter reads: "level", and "timestamp" in RFC 3339, UTC.
func TestLogHandlerOptions(t *testing.T) {
	var out strings.Builder
	log := slog.New(slog.NewJSONHandler(&out, LogHandlerOptions(env(map[string]string{EnvLogLevel: "WARN"}))))
	log.Info("dropped")
	log.Warn("kept", "time", "an attribute of that name is the caller's")
	var line map[string]any
	if err := json.Unmarshal([]byte(out.String()), &line); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	at, err := time.Parse(time.RFC3339, fmt.Sprint(line[LogTimestampKey]))
	if err != nil || at.Location() != time.UTC || time.Since(at) > time.Minute || line["level"] != "WARN" || line["msg"] != "kept" ||
		line["time"] != "an attribute of that name is the caller's" {
		t.Errorf("log line %q", out.String())
	}
}

func ExampleLoad() {
	env := map[string]string{EnvBucketName: "my-bucket", EnvOutputMode: "batches"}
	_, err := Load(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	fmt.Println(err)
	// Output:
	// invalid configuration: OUTPUT_MODE="batches" is not valid: use one of record, batch
}

// TestKeyLengthBoundary: a prefix that leaves the longest key at S3's 1,024 bytes loads; one byte more fails,
// naming the variable. The longest parts: a 128-character shard id, a 129-digit sequence number, a user record's
// index (10 digits; record-mode data keys only: a quarantine object is one per Kinesis record, an aggregate's too), the
// time levels (34 bytes), .jsonl.zst, and 64-byte partition values.
func TestKeyLengthBoundary(t *testing.T) {
	for _, c := range []struct {
		name     string
		kv       map[string]string
		variable string
		longest  int // the longest key less the prefix
	}{
		{"record mode", map[string]string{}, "KEY_PREFIX", 129 + 1 + 10 + len(".json")},
		{"batch mode", map[string]string{"OUTPUT_MODE": "batch"}, "KEY_PREFIX", 34 + 128 + 1 + 129 + len(".jsonl.zst")},
		{"partition keys", map[string]string{"OUTPUT_MODE": "batch", "PARTITION_KEYS": "tenant=.t,type=.e"}, "KEY_PREFIX",
			len("tenant=/type=/") + 2*64 + 34 + 128 + 1 + 129 + len(".jsonl.zst")},
		{"quarantine", map[string]string{}, "ERROR_PREFIX", 34 + 128 + 1 + 129 + len(".json")},
	} {
		for _, extra := range []int{0, 1} {
			kv := map[string]string{"BUCKET_NAME": "b"}
			for k, v := range c.kv {
				kv[k] = v
			}
			n := 1024 - c.longest + extra // bytes of the prefix; ü is two
			kv[c.variable] = strings.Repeat("ü", n/2) + strings.Repeat("p", n%2)
			if c.variable == "ERROR_PREFIX" {
				kv["KEY_PREFIX"] = "data/"
			}
			_, err := Load(env(kv))
			if extra == 0 && err != nil {
				t.Errorf("%s: the longest key is 1,024 bytes: %v", c.name, err)
			}
			if extra == 1 && (err == nil || !strings.Contains(err.Error(), c.variable+" ") || !strings.Contains(err.Error(), "1025 bytes")) {
				t.Errorf("%s: the longest key is 1,025 bytes: Load: %v; want an error naming %s", c.name, err, c.variable)
			}
		}
	}
}

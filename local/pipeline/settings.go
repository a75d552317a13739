package pipeline

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
	"github.com/kinesis2s3/kinesis2s3/internal/tfvars"
	"github.com/kinesis2s3/kinesis2s3/local/esm"
	"github.com/kinesis2s3/kinesis2s3/terraform"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Settings are the knobs of a pipeline, named after the Terraform variables they mirror. Start from
// DefaultSettings: the zero value is not valid.
type Settings struct {
	// Name names the stream, the bucket and the function; the on-failure queue is <Name>-on-failure, as in
	// Terraform (which adds a random suffix to the bucket; locally the name is free).
	Name string
	// Shards is the stream's shard count (shard_count). Terraform's default stream is ON_DEMAND, which AWS starts
	// at 4 shards; locally the default is 2 to spare a laptop's cores.
	Shards int

	// The function's environment (output_mode, compression, key_prefix, error_prefix, on_invalid_record,
	// upload_concurrency, log_level).
	OutputMode, Compression, KeyPrefix, ErrorPrefix, OnInvalidRecord string
	UploadConcurrency                                                int
	LogLevel                                                         string
	// Timeout (timeout) and MemoryMB (memory_size) of the function.
	Timeout  time.Duration
	MemoryMB int
	// The analytics settings (schema_file, transform, time_field, partition_keys, max_partitions, format). Locally
	// SCHEMA is the schema file's path, which the function reads itself; Terraform uploads the file to the bucket
	// and sets SCHEMA to the object's s3:// URI.
	SchemaFile, Transform, TimeField, PartitionKeys, Format string
	MaxPartitions                                           int

	// ESM holds the event source mapping variables (batch_size, maximum_batching_window_in_seconds, ...). Its
	// StreamARN and FunctionARN are filled in by Start; PollInterval and DiscoveryInterval are local knobs.
	ESM esm.Config
	// OnFailureDestination (on_failure_destination) is where the mapping sends the records it gives up on:
	// OnFailureSQS, the on-failure queue, or OnFailureS3, the data bucket, under aws/lambda/<mapping UUID>/ (AWS's
	// fixed key convention: the destination is a bucket, with no prefix of one's choosing).
	OnFailureDestination string
}

// The values of on_failure_destination.
const (
	OnFailureSQS = "sqs"
	OnFailureS3  = "s3"
)

// DefaultSettings returns what a deployment of the Terraform modules defaults to (the function module's variable
// defaults, read from terraform/modules/function/variables.tf, and the root's on_failure_destination), except Shards (see Settings) and the name, which is
// kinesis2s3-local so that a local stack is never mistaken for a deployed one.
func DefaultSettings() Settings {
	s := Settings{Name: "kinesis2s3-local", Shards: 2, ESM: esm.DefaultConfig("", "")}
	set := s.handlerSetters()
	if err := tfvars.Apply(terraform.MustModuleDefaults("function"), set); err != nil {
		panic(fmt.Sprintf("pipeline: the function module's defaults: %v", err)) // embedded: a defect the tests catch
	}
	// on_failure_destination is the root's: it chooses between the dlq module and a bucket.
	root, err := terraform.RootDefaults()
	if err == nil {
		err = tfvars.Apply(root, map[string]tfvars.Setter{"on_failure_destination": set["on_failure_destination"]})
	}
	if err != nil {
		panic(fmt.Sprintf("pipeline: the root module's on_failure_destination default: %v", err))
	}
	return s
}

// HandlerEnv is the function's configuration as Terraform sets it, for a local S3 endpoint (path-style).
func (s Settings) HandlerEnv(bucket string) map[string]string {
	return map[string]string{
		config.EnvBucketName:        bucket,
		config.EnvOutputMode:        s.OutputMode,
		config.EnvCompression:       s.Compression,
		config.EnvKeyPrefix:         s.KeyPrefix,
		config.EnvErrorPrefix:       s.ErrorPrefix,
		config.EnvOnInvalidRecord:   s.OnInvalidRecord,
		config.EnvUploadConcurrency: strconv.Itoa(s.UploadConcurrency),
		config.EnvS3ForcePathStyle:  "true",
		config.EnvLogLevel:          s.LogLevel,
		config.EnvSchema:            s.SchemaFile,
		config.EnvTransform:         s.Transform,
		config.EnvTimeField:         s.TimeField,
		config.EnvPartitionKeys:     s.PartitionKeys,
		config.EnvMaxPartitions:     strconv.Itoa(s.MaxPartitions),
		config.EnvFormat:            s.Format,
	}
}

// Layout is where the function writes under these settings, for checking the bucket with the ledger.
func (s Settings) Layout() ledger.Layout {
	return ledger.Layout{OutputMode: s.OutputMode, Compression: s.Compression, KeyPrefix: s.KeyPrefix, ErrorPrefix: s.ErrorPrefix,
		Format: s.Format, SchemaFile: s.SchemaFile, Transform: s.Transform, TimeField: s.TimeField, PartitionKeys: s.PartitionKeys}
}

// Validate checks the settings the way the function and the mapping would, so that a typo fails before anything
// starts, with the variable's name.
func (s Settings) Validate() error {
	if s.Name == "" {
		return fmt.Errorf("settings: name is empty")
	}
	if s.Shards < 1 || s.Shards > 50 {
		return fmt.Errorf("settings: shard_count %d is outside 1–50", s.Shards)
	}
	env := s.HandlerEnv(s.Name)
	if _, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		return fmt.Errorf("settings: function %w", err)
	}
	if s.OnFailureDestination != OnFailureSQS && s.OnFailureDestination != OnFailureS3 {
		return fmt.Errorf("settings: on_failure_destination %q is not valid: use one of %s, %s", s.OnFailureDestination,
			OnFailureSQS, OnFailureS3)
	}
	if s.Timeout < time.Second || s.Timeout%time.Second != 0 {
		return fmt.Errorf("settings: timeout %v is not a whole number of seconds", s.Timeout)
	}
	cfg := s.ESM
	// Placeholders: the real ARNs exist only once the stream and the function run.
	cfg.StreamARN = "arn:aws:kinesis:us-east-1:000000000000:stream/" + s.Name
	cfg.FunctionARN = "arn:aws:lambda:us-east-1:000000000000:function:" + s.Name
	return cfg.Validate()
}

// LoadTFVars overrides the settings with the variables a .tfvars file sets: name, shard_count and the function
// module's variables (handlerSetters, esm.TFVarSetters). It refuses the mapping settings that change which records
// reach the function on AWS but that the local mapping does not apply (refuseUnmirrored). Other variables are
// ignored; null keeps the default.
func (s *Settings) LoadTFVars(path string) error {
	set := s.handlerSetters()
	set["name"] = tfvars.Into(&s.Name)
	set["shard_count"] = tfvars.Into(&s.Shards)
	maps.Copy(set, refuseUnmirrored)
	schemaFile := s.SchemaFile
	if err := tfvars.Load(path, set); err != nil {
		return err
	}
	// Terraform reads a relative schema_file from where it runs, the directory of terraform.tfvars.
	if s.SchemaFile != schemaFile && s.SchemaFile != "" && !filepath.IsAbs(s.SchemaFile) {
		s.SchemaFile = filepath.Join(filepath.Dir(path), s.SchemaFile)
	}
	return nil
}

// refuseUnmirrored refuses, by name, the root variables that make AWS's mapping hand the function fewer records
// than the local one does: ignoring them, make run would pass what the deployed stack drops or holds back.
var refuseUnmirrored = map[string]tfvars.Setter{
	"filter_patterns": func(v cty.Value) error {
		if v.CanIterateElements() && v.LengthInt() == 0 {
			return nil
		}
		return errors.New("the local event source mapping does not filter records (every record reaches the function); " +
			"remove it, or set it to [], to run locally")
	},
	"esm_enabled": func(v cty.Value) error {
		var enabled bool
		if err := gocty.FromCtyValue(v, &enabled); err != nil {
			return err
		}
		if !enabled {
			return errors.New("the local event source mapping cannot be disabled (it always reads the stream); " +
				"remove it, or set it to true, to run locally")
		}
		return nil
	},
}

// handlerSetters stores the function module's variables: output_mode, compression, key_prefix, error_prefix,
// on_invalid_record, upload_concurrency, log_level, timeout, memory_size, on_failure_destination, the analytics
// settings and the mapping's (esm.TFVarSetters).
func (s *Settings) handlerSetters() map[string]tfvars.Setter {
	set := esm.TFVarSetters(&s.ESM)
	maps.Copy(set, map[string]tfvars.Setter{
		"output_mode":            tfvars.Into(&s.OutputMode),
		"compression":            tfvars.Into(&s.Compression),
		"key_prefix":             tfvars.Into(&s.KeyPrefix),
		"error_prefix":           tfvars.Into(&s.ErrorPrefix),
		"on_invalid_record":      tfvars.Into(&s.OnInvalidRecord),
		"upload_concurrency":     tfvars.Into(&s.UploadConcurrency),
		"log_level":              tfvars.Into(&s.LogLevel),
		"timeout":                tfvars.Seconds(&s.Timeout),
		"memory_size":            tfvars.Into(&s.MemoryMB),
		"on_failure_destination": tfvars.Into(&s.OnFailureDestination),
		"schema_file":            tfvars.Into(&s.SchemaFile),
		"transform":              tfvars.Into(&s.Transform),
		"time_field":             tfvars.Into(&s.TimeField),
		"partition_keys":         tfvars.Into(&s.PartitionKeys),
		"max_partitions":         tfvars.Into(&s.MaxPartitions),
		"format":                 tfvars.Into(&s.Format),
	})
	return set
}

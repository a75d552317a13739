// Package config is the handler's configuration contract: the environment variables it reads (Variables), their
// allowed values and defaults, and Load, which turns them into a validated Config. The variables are the function's
// public interface: the Terraform function module sets them, and a test holds its environment map to this list.
// Every problem is reported at cold start with the variable's name, so a typo such as OUTPUT_MODE=batches fails the
// deployment's first invocation loudly instead of writing somewhere unexpected.
package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

// Output modes.
const (
	ModeRecord = "record" // one object per record: <KEY_PREFIX><sequenceNumber>.json, as the original design
	ModeBatch  = "batch"  // one JSON Lines object per shard and arrival hour per invocation
)

// Compression codecs for batch mode; snappy for Parquet only.
const (
	CompressionGzip   = "gzip"
	CompressionZstd   = "zstd"
	CompressionNone   = "none"
	CompressionSnappy = "snappy"
)

// Formats of batch objects.
const (
	FormatJSONL   = "jsonl"   // JSON Lines, compressed as a whole
	FormatParquet = "parquet" // Parquet with the columns of SCHEMA, pages compressed
)

// Policies for records that are not exactly one JSON value in valid UTF-8.
const (
	InvalidQuarantine = "quarantine" // write it under ERROR_PREFIX with the reason, then carry on
	InvalidFail       = "fail"       // report it as a batch item failure: retries, then the on-failure destination
	InvalidSkip       = "skip"       // count and log it, write nothing
)

// Config is the validated configuration of the handler.
type Config struct {
	Bucket            string // BUCKET_NAME
	OutputMode        string // OUTPUT_MODE
	KeyPrefix         string // KEY_PREFIX
	Compression       string // COMPRESSION (batch mode)
	ErrorPrefix       string // ERROR_PREFIX
	OnInvalidRecord   string // ON_INVALID_RECORD
	ForcePathStyle    bool   // S3_FORCE_PATH_STYLE
	UploadConcurrency int    // UPLOAD_CONCURRENCY
	// MemoryMB is the function's memory size (AWS_LAMBDA_FUNCTION_MEMORY_SIZE), from which the per-invocation
	// budgets derive; 0 outside Lambda (the redrive tool, tests).
	MemoryMB int

	// Analytics (batch mode but for SCHEMA and TRANSFORM), checked here and compiled by function/shape.
	Schema        string // SCHEMA: a file path or s3://bucket/key; empty: no validation
	Transform     string // TRANSFORM: a jq expression; empty: none
	TimeField     string // TIME_FIELD: a field path; empty: partition by arrival time
	PartitionKeys string // PARTITION_KEYS: name=path pairs
	MaxPartitions int    // MAX_PARTITIONS
	Format        string // FORMAT
}

// Load builds a Config from environment variables, read through lookup (os.LookupEnv in production). All problems
// are returned together, each naming its variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	r := reader{lookup: lookup}
	c := Config{
		Bucket:            r.text(EnvBucketName),
		OutputMode:        r.oneOf(EnvOutputMode),
		KeyPrefix:         r.text(EnvKeyPrefix),
		Compression:       r.oneOf(EnvCompression),
		ErrorPrefix:       r.text(EnvErrorPrefix),
		OnInvalidRecord:   r.oneOf(EnvOnInvalidRecord),
		ForcePathStyle:    r.boolean(EnvS3ForcePathStyle),
		UploadConcurrency: r.number(EnvUploadConcurrency),
		MemoryMB:          r.number(EnvMemorySize),
		Schema:            r.text(EnvSchema),
		Transform:         r.text(EnvTransform),
		TimeField:         r.text(EnvTimeField),
		PartitionKeys:     r.text(EnvPartitionKeys),
		MaxPartitions:     r.number(EnvMaxPartitions),
		Format:            r.oneOf(EnvFormat),
	}
	errs := append(r.errs, c.prefixErrors()...)
	errs = append(errs, c.analyticsErrors()...)
	errs = append(errs, c.keyLengthErrors()...)
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// prefixErrors checks the rules that involve more than one variable or more than the value's form.
func (c Config) prefixErrors() []error {
	var errs []error
	// A bucket's name has no ':' or '/'; an access point's ARN, which S3 takes in its place, has both.
	if strings.ContainsAny(c.Bucket, ":/") && !(strings.HasPrefix(c.Bucket, "arn:") &&
		(strings.Contains(c.Bucket, ":accesspoint/") || strings.Contains(c.Bucket, ":outpost/"))) {
		errs = append(errs, fmt.Errorf("%s=%q is not a bucket's name (nor an access point's ARN): give the name alone, "+
			"without s3://, the bucket's ARN or a key prefix (KEY_PREFIX)", EnvBucketName, c.Bucket))
	}
	if strings.HasPrefix(c.KeyPrefix, "/") {
		errs = append(errs, fmt.Errorf("%s=%q must not start with '/'", EnvKeyPrefix, c.KeyPrefix))
	}
	switch {
	case c.ErrorPrefix == "":
		errs = append(errs, fmt.Errorf("%s must not be empty: quarantined records need their own prefix", EnvErrorPrefix))
	case strings.HasPrefix(c.ErrorPrefix, "/"):
		errs = append(errs, fmt.Errorf("%s=%q must not start with '/'", EnvErrorPrefix, c.ErrorPrefix))
	case PrefixesOverlap(c.KeyPrefix, c.ErrorPrefix):
		errs = append(errs, fmt.Errorf("%s=%q and %s=%q overlap (one starts with the other): quarantined records "+
			"would mix with data, and the table over the data would read them", EnvErrorPrefix, c.ErrorPrefix,
			EnvKeyPrefix, c.KeyPrefix))
	}
	return errs
}

// PrefixesOverlap reports whether the error prefix lies in the key prefix or the other way round (an empty key
// prefix, the bucket's root, aside: it was the original layout).
func PrefixesOverlap(keyPrefix, errorPrefix string) bool {
	if keyPrefix == "" {
		return errorPrefix == ""
	}
	return strings.HasPrefix(errorPrefix, keyPrefix) || strings.HasPrefix(keyPrefix, errorPrefix)
}

// reader reads variables as the contract defines them, gathering the errors.
type reader struct {
	lookup func(string) (string, bool)
	errs   []error
}

// get returns the variable's value (trimmed), or its default when unset, and its definition.
func (r *reader) get(name string) (string, Variable) {
	v := Lookup(name)
	if s, ok := r.lookup(name); ok {
		return strings.TrimSpace(s), v
	}
	return v.Default, v
}

func (r *reader) text(name string) string {
	s, v := r.get(name)
	if s == "" && v.Required {
		r.errs = append(r.errs, fmt.Errorf("%s is required: %s", name, v.Doc))
	}
	return s
}

func (r *reader) oneOf(name string) string {
	s, v := r.get(name)
	for _, a := range v.Allowed {
		if s == a {
			return s
		}
	}
	r.errs = append(r.errs, fmt.Errorf("%s=%q is not valid: use one of %s", name, s, strings.Join(v.Allowed, ", ")))
	return s
}

func (r *reader) boolean(name string) bool {
	s, v := r.get(name)
	if s == "" {
		s = v.Default
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s=%q is not valid: use true or false", name, s))
	}
	return b
}

// number reads a whole number in the variable's range. Empty means the default; without one, 0.
func (r *reader) number(name string) int {
	s, v := r.get(name)
	if s == "" {
		s = v.Default
	}
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < v.Min || n > v.Max {
		r.errs = append(r.errs, fmt.Errorf("%s=%q is not valid: use a whole number from %d to %d", name, s, v.Min, v.Max))
	}
	return n
}

// analyticsErrors checks the analytics settings: each on its own (a transform that does not compile, a path that
// is not one), and together with the output settings.
func (c Config) analyticsErrors() []error {
	var errs []error
	if c.Transform != "" {
		if _, err := transform.Compile(c.Transform); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvTransform, err))
		}
	}
	if c.TimeField != "" {
		if _, err := transform.ParsePath(c.TimeField); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvTimeField, err))
		}
	}
	if _, err := layout.ParsePartitionKeys(c.PartitionKeys); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvPartitionKeys, err))
	}
	if rest, ok := strings.CutPrefix(c.Schema, "s3://"); ok {
		if bucket, key, _ := strings.Cut(rest, "/"); bucket == "" || key == "" {
			errs = append(errs, fmt.Errorf("%s=%q is not an S3 URI: use s3://bucket/key or a file path", EnvSchema, c.Schema))
		}
	}
	if c.OutputMode == ModeRecord {
		// Record mode writes <prefix><sequenceNumber>.json: nothing to partition, and one format.
		for _, s := range []struct {
			name string
			set  bool
		}{{EnvTimeField, c.TimeField != ""}, {EnvPartitionKeys, c.PartitionKeys != ""}, {EnvFormat, c.Format != FormatJSONL}} {
			if name := s.name; s.set {
				errs = append(errs, fmt.Errorf("%s is for %s=%s; %s=%s writes one object per record", name, EnvOutputMode, ModeBatch, EnvOutputMode, ModeRecord))
			}
		}
	}
	if c.Format == FormatParquet && c.Schema == "" {
		errs = append(errs, fmt.Errorf("%s=%s needs %s: the Parquet columns are the schema's", EnvFormat, FormatParquet, EnvSchema))
	}
	if c.Compression == CompressionSnappy && c.Format != FormatParquet {
		errs = append(errs, fmt.Errorf("%s=%s is for %s=%s only: JSON Lines objects are gzip, zstd or none", EnvCompression, CompressionSnappy, EnvFormat, FormatParquet))
	}
	return errs
}

// keyLengthErrors checks that every key the function can write fits in S3's limit, with every part at its longest
// (layout.LongestDataKey, layout.LongestErrorKey): a longer key would load fine and fail every PUT.
func (c Config) keyLengthErrors() []error {
	var errs []error
	const parts = "the time levels, and the longest shard id and sequence number Kinesis has"
	keys, _ := layout.ParsePartitionKeys(c.PartitionKeys) // an error is analyticsErrors'
	if n := layout.LongestDataKey(c.KeyPrefix, c.OutputMode == ModeBatch, keys); n > layout.MaxKeyBytes {
		room := max(0, layout.MaxKeyBytes-(n-len(c.KeyPrefix)))
		if len(keys) > 0 && c.OutputMode == ModeBatch {
			errs = append(errs, fmt.Errorf("%s and %s make object keys of up to %d bytes (%s: %d bytes; levels: %d, "+
				"with values of up to %d bytes; %s), and S3 takes at most %d: shorten %s to at most %d bytes, or use fewer "+
				"or shorter %s names", EnvKeyPrefix, EnvPartitionKeys, n, EnvKeyPrefix, len(c.KeyPrefix), len(keys),
				layout.MaxValueBytes, parts, layout.MaxKeyBytes, EnvKeyPrefix, room, EnvPartitionKeys))
		} else {
			parts := parts
			if c.OutputMode != ModeBatch {
				parts = "the longest sequence number Kinesis has, and a user record's index"
			}
			errs = append(errs, fmt.Errorf("%s makes object keys of up to %d bytes (%s: %d bytes; %s), and S3 takes at "+
				"most %d: shorten it to at most %d bytes", EnvKeyPrefix, n, EnvKeyPrefix, len(c.KeyPrefix), parts,
				layout.MaxKeyBytes, room))
		}
	}
	if n := layout.LongestErrorKey(c.ErrorPrefix); n > layout.MaxKeyBytes {
		errs = append(errs, fmt.Errorf("%s makes keys of quarantined records of up to %d bytes (%s: %d bytes; %s), and "+
			"S3 takes at most %d: shorten it to at most %d bytes", EnvErrorPrefix, n, EnvErrorPrefix, len(c.ErrorPrefix),
			parts, layout.MaxKeyBytes, layout.MaxKeyBytes-(n-len(c.ErrorPrefix))))
	}
	return errs
}

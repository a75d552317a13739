// Package config reads the handler's configuration from its environment variables, which are the function's public
// interface (Terraform sets them). Every problem is reported at cold start with the variable's name, so a typo such as
// OUTPUT_MODE=batches fails the deployment's first invocation loudly instead of writing somewhere unexpected.
package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Output modes.
const (
	ModeRecord = "record" // one object per record: <KEY_PREFIX><sequenceNumber>.json, as the original design
	ModeBatch  = "batch"  // one JSON Lines object per shard and arrival hour per invocation
)

// Compression codecs for batch mode.
const (
	CompressionGzip = "gzip"
	CompressionZstd = "zstd"
	CompressionNone = "none"
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
}

// Defaults, as documented in the README and mirrored by the Terraform variables.
const (
	DefaultKeyPrefix         = "kinesis/"
	DefaultErrorPrefix       = "errors/"
	DefaultUploadConcurrency = 64
	MaxUploadConcurrency     = 512
)

// Load builds a Config from environment variables, read through lookup (os.LookupEnv in production). All problems
// are returned together, each naming its variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	get := func(name, def string) string {
		if v, ok := lookup(name); ok {
			return strings.TrimSpace(v)
		}
		return def
	}
	var errs []error
	oneOf := func(name, def string, allowed ...string) string {
		v := get(name, def)
		for _, a := range allowed {
			if v == a {
				return v
			}
		}
		errs = append(errs, fmt.Errorf("%s=%q is not valid: use one of %s", name, v, strings.Join(allowed, ", ")))
		return v
	}

	c := Config{
		Bucket:          get("BUCKET_NAME", ""),
		OutputMode:      oneOf("OUTPUT_MODE", ModeRecord, ModeRecord, ModeBatch),
		KeyPrefix:       get("KEY_PREFIX", DefaultKeyPrefix),
		Compression:     oneOf("COMPRESSION", CompressionGzip, CompressionGzip, CompressionZstd, CompressionNone),
		ErrorPrefix:     get("ERROR_PREFIX", DefaultErrorPrefix),
		OnInvalidRecord: oneOf("ON_INVALID_RECORD", InvalidQuarantine, InvalidQuarantine, InvalidFail, InvalidSkip),
	}
	if c.Bucket == "" {
		errs = append(errs, errors.New("BUCKET_NAME is required: the name of the bucket to write to"))
	}
	if strings.HasPrefix(c.KeyPrefix, "/") {
		errs = append(errs, fmt.Errorf("KEY_PREFIX=%q must not start with '/'", c.KeyPrefix))
	}
	switch {
	case c.ErrorPrefix == "":
		errs = append(errs, errors.New("ERROR_PREFIX must not be empty: quarantined records need their own prefix"))
	case strings.HasPrefix(c.ErrorPrefix, "/"):
		errs = append(errs, fmt.Errorf("ERROR_PREFIX=%q must not start with '/'", c.ErrorPrefix))
	case c.ErrorPrefix == c.KeyPrefix:
		errs = append(errs, fmt.Errorf("ERROR_PREFIX=%q must differ from KEY_PREFIX: quarantined records would mix with data", c.ErrorPrefix))
	}

	if v := get("S3_FORCE_PATH_STYLE", "false"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("S3_FORCE_PATH_STYLE=%q is not valid: use true or false", v))
		}
		c.ForcePathStyle = b
	}

	c.UploadConcurrency = DefaultUploadConcurrency
	if v := get("UPLOAD_CONCURRENCY", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxUploadConcurrency {
			errs = append(errs, fmt.Errorf("UPLOAD_CONCURRENCY=%q is not valid: use a whole number from 1 to %d", v, MaxUploadConcurrency))
		}
		c.UploadConcurrency = n
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

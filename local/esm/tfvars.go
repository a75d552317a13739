package esm

import (
	"time"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"

	"github.com/kinesis2s3/kinesis2s3/internal/tfvars"
)

// LoadTFVars reads the event source mapping variables of the Terraform module from a .tfvars file into cfg (see
// TFVarSetters). Other variables are ignored; variables the file does not set keep cfg's value. Call cfg.Validate
// afterwards for the ranges.
func LoadTFVars(path string, cfg *Config) error {
	return tfvars.Load(path, TFVarSetters(cfg))
}

// TFVarSetters stores the function module's mapping variables into cfg: starting_position,
// starting_position_timestamp (RFC 3339), batch_size, maximum_batching_window_in_seconds, parallelization_factor,
// maximum_retry_attempts and maximum_record_age_in_seconds.
func TFVarSetters(cfg *Config) map[string]tfvars.Setter {
	// Whole seconds, or -1 for NoLimit.
	seconds := func(d *time.Duration) tfvars.Setter {
		set := tfvars.Seconds(d)
		return func(v cty.Value) error {
			err := set(v)
			if err == nil && *d == NoLimit*time.Second {
				*d = NoLimit
			}
			return err
		}
	}
	return map[string]tfvars.Setter{
		"starting_position": tfvars.Into(&cfg.StartingPosition),
		"starting_position_timestamp": func(v cty.Value) error {
			var s string
			if err := gocty.FromCtyValue(v, &s); err != nil {
				return err
			}
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return err
			}
			cfg.StartingPositionTimestamp = t
			return nil
		},
		"batch_size":                         tfvars.Into(&cfg.BatchSize),
		"maximum_batching_window_in_seconds": seconds(&cfg.MaximumBatchingWindow),
		"parallelization_factor":             tfvars.Into(&cfg.ParallelizationFactor),
		"maximum_retry_attempts":             tfvars.Into(&cfg.MaximumRetryAttempts),
		"maximum_record_age_in_seconds":      seconds(&cfg.MaximumRecordAge),
	}
}

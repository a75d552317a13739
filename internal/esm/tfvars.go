package esm

import (
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"
)

// LoadTFVars reads the event source mapping variables of the Terraform module from a .tfvars file into cfg:
// starting_position, starting_position_timestamp (RFC 3339), batch_size, maximum_batching_window_in_seconds,
// parallelization_factor, maximum_retry_attempts and maximum_record_age_in_seconds. Other variables are
// ignored; variables the file does not set keep cfg's value. Call cfg.Validate afterwards for the ranges.
func LoadTFVars(path string, cfg *Config) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("tfvars: %w", err)
	}
	file, diags := hclparse.NewParser().ParseHCL(src, path)
	if diags.HasErrors() {
		return fmt.Errorf("tfvars: %w", diags)
	}
	attrs, diags := file.Body.JustAttributes()
	if diags.HasErrors() {
		return fmt.Errorf("tfvars: %w", diags)
	}
	seconds := func(d *time.Duration) func(cty.Value) error {
		return func(v cty.Value) error {
			var n int
			if err := gocty.FromCtyValue(v, &n); err != nil {
				return err
			}
			*d = time.Duration(n) * time.Second
			if n == NoLimit {
				*d = NoLimit
			}
			return nil
		}
	}
	integer := func(p *int) func(cty.Value) error {
		return func(v cty.Value) error { return gocty.FromCtyValue(v, p) }
	}
	setters := map[string]func(cty.Value) error{
		"starting_position": func(v cty.Value) error { return gocty.FromCtyValue(v, &cfg.StartingPosition) },
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
		"batch_size":                         integer(&cfg.BatchSize),
		"maximum_batching_window_in_seconds": seconds(&cfg.MaximumBatchingWindow),
		"parallelization_factor":             integer(&cfg.ParallelizationFactor),
		"maximum_retry_attempts":             integer(&cfg.MaximumRetryAttempts),
		"maximum_record_age_in_seconds":      seconds(&cfg.MaximumRecordAge),
	}
	for name, set := range setters {
		attr, ok := attrs[name]
		if !ok {
			continue
		}
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() {
			return fmt.Errorf("tfvars: %s: %w", name, diags)
		}
		if v.IsNull() {
			continue // null means the module's default
		}
		if err := set(v); err != nil {
			return fmt.Errorf("tfvars: %s (%s): %w", name, attr.Range, err)
		}
	}
	return nil
}

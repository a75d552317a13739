// Package tfvars reads Terraform variable files (.tfvars), so that local tools can be configured with the same
// file as the Terraform module they stand in for.
package tfvars

import (
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"
)

// A Setter stores the value of one variable.
type Setter func(cty.Value) error

// Load reads the .tfvars file at path and calls set[name] with the value of each variable the file sets.
// Variables without a setter are ignored, and so are null values, which mean the module's default. An error
// names the variable and where the file sets it.
func Load(path string, set map[string]Setter) error {
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
	// In name order, so that a file with several bad values always reports the same one.
	for _, name := range slices.Sorted(maps.Keys(set)) {
		attr, ok := attrs[name]
		if !ok {
			continue
		}
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() {
			return fmt.Errorf("tfvars: %s: %w", name, diags)
		}
		if v.IsNull() {
			continue
		}
		if err := set[name](v); err != nil {
			return fmt.Errorf("tfvars: %s (%s): %w", name, attr.Range, err)
		}
	}
	return nil
}

// Into returns a Setter that converts the value to the type p points to (*string, *int, *bool, ...).
func Into(p any) Setter {
	return func(v cty.Value) error { return gocty.FromCtyValue(v, p) }
}

// Seconds returns a Setter that reads a whole number of seconds into d.
func Seconds(d *time.Duration) Setter {
	return func(v cty.Value) error {
		var n int64
		if err := gocty.FromCtyValue(v, &n); err != nil {
			return err
		}
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return fmt.Errorf("%d seconds is out of range", n)
		}
		*d = time.Duration(n) * time.Second
		return nil
	}
}

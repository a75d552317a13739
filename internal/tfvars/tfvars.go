// Package tfvars reads Terraform variable files (.tfvars) and the defaults of a module's variables, so that local
// tools are configured with the same file, and default to the same values, as the Terraform module they stand in
// for.
package tfvars

import (
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
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
	values := make(map[string]Value, len(attrs))
	for name, attr := range attrs {
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() {
			return fmt.Errorf("tfvars: %s: %w", name, diags)
		}
		values[name] = Value{Value: v, Where: attr.Range.String()}
	}
	return Apply(values, set)
}

// Value is a variable's value and where it was written.
type Value struct {
	cty.Value
	Where string // file:line
}

// Apply calls set[name] with each value that has a setter and is not null. Setters run in name order, so that
// several bad values always report the same one first.
func Apply(values map[string]Value, set map[string]Setter) error {
	for _, name := range slices.Sorted(maps.Keys(set)) {
		v, ok := values[name]
		if !ok || v.IsNull() {
			continue
		}
		if err := set[name](v.Value); err != nil {
			return fmt.Errorf("tfvars: %s (%s): %w", name, v.Where, err)
		}
	}
	return nil
}

// Defaults reads the default of every variable declared in a Terraform file (a module's variables.tf) that
// has one. A default must be a literal: it is evaluated without variables or functions.
func Defaults(src []byte, filename string) (map[string]Value, error) {
	file, diags := hclparse.NewParser().ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, fmt.Errorf("tfvars: %w", diags)
	}
	schema := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "variable", LabelNames: []string{"name"}}}}
	content, _, diags := file.Body.PartialContent(schema)
	if diags.HasErrors() {
		return nil, fmt.Errorf("tfvars: %w", diags)
	}
	out := map[string]Value{}
	for _, b := range content.Blocks {
		attrs, _ := b.Body.JustAttributes() // nested blocks (validation) are not attributes; only default matters
		def, ok := attrs["default"]
		if !ok {
			continue
		}
		v, diags := def.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, fmt.Errorf("tfvars: variable %s: default: %w", b.Labels[0], diags)
		}
		out[b.Labels[0]] = Value{Value: v, Where: def.Range.String()}
	}
	return out, nil
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

// Package shape makes one record ready for analytics, in the order the settings are documented: it applies the
// transform (TRANSFORM), checks the result against the schema (SCHEMA), and reads the event time (TIME_FIELD) and
// the partition values (PARTITION_KEYS) from it. Without any of these settings the handler does not call it, and
// records are written as they came.
package shape

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/itchyny/gojq"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

// Options are the analytics settings, already parsed and compiled (at cold start). Zero values mean unset.
type Options struct {
	Transform     *transform.Transform
	Schema        *schema.Schema
	TimeField     *transform.Path
	PartitionKeys []layout.PartitionKey
}

// Enabled reports whether any setting is set.
func (o Options) Enabled() bool {
	return o.Transform != nil || o.Schema != nil || o.TimeField != nil || len(o.PartitionKeys) > 0
}

// Record is a shaped record.
type Record struct {
	// Value is the record after the transform, valid until the Shaper shapes the next record (null with
	// Shaper.SkipValue).
	Value jsonvalue.Value
	// JSON is its text: the input as it came when there is no transform, else the transform's output (compact, keys
	// sorted, as jq writes it).
	JSON []byte
	// Compact reports that JSON is one valid JSON value without insignificant white space: a JSON Lines writer may
	// take it as it is, without checking and compacting it again.
	Compact bool
	// Levels are the PARTITION_KEYS levels of its key, "tenant=acme/type=click/" ("" without PARTITION_KEYS).
	Levels string
	// Time is the event time at TIME_FIELD; HasTime is false without TIME_FIELD or when the field is missing or not a
	// time, and then the arrival time counts.
	Time    time.Time
	HasTime bool
}

// Shaper shapes records one after another, reusing its memory. It is not safe for concurrent use.
type Shaper struct {
	Options
	// MaxValues caps the JSON values and object keys of a record, before and after the transform, so that its tree
	// fits the memory size (budget.Budget.Values); 0 means no cap.
	MaxValues int
	// LibraryValues caps the JSON values and object keys of a record that goes to the JSON Schema library, which
	// takes much more memory a value than the tree (budget.Budget.Library); 0 means no cap.
	LibraryValues int
	// TransformTimeout limits the transform of one record when it runs on gojq (0: only ctx limits it); the native
	// evaluator's steps are bounded by the expression and the record, and need no timer.
	TransformTimeout time.Duration
	// SkipValue says that the caller does not use Record.Value: a record that needs nothing else from its tree is
	// then checked without one, and its Value is null: with SCHEMA alone on its text, with TRANSFORM and SCHEMA as the
	// native evaluator writes its output.
	SkipValue bool
	dec       jsonvalue.Decoder
	scratch   transform.Scratch
}

// Shape shapes one record, data being its JSON text. keep is false when the transform dropped the record (jq's
// empty). An error is the reason to quarantine it: "invalid JSON: …", "transform: …" or "schema: …". data must not
// change while the record is in use: its JSON, and the strings of its value, are slices of it (decoding copies
// nothing).
func (s *Shaper) Shape(ctx context.Context, data []byte) (rec Record, keep bool, err error) {
	o := s.Options
	// The common cases, without a tree: SCHEMA alone, on the text; TRANSFORM, with SCHEMA or not, on the fused path
	// (transform/fused.go).
	treeless := s.SkipValue && o.TimeField == nil && len(o.PartitionKeys) == 0
	if treeless && o.Transform == nil && o.Schema != nil && o.Schema.SureText(data, s.MaxValues) {
		return Record{JSON: data, Compact: true}, true, nil
	}
	var check schema.Check
	if o.Schema != nil {
		check = o.Schema.Check()
	}
	if treeless && o.Transform != nil {
		s.scratch.MaxValues = s.MaxValues
		// A line break after each record, as many producers send, changes nothing the transform writes.
		if text, ok := o.Transform.ApplyFused(bytes.TrimRight(data, " \t\r\n"), &s.scratch, check); ok {
			return Record{JSON: text, Compact: true}, true, nil
		}
	}
	s.dec.MaxValues, s.dec.ShareInput = s.MaxValues, true
	// A transform reads an unpaired surrogate escape (\ud800) as U+FFFD, as jq does (gojq gets Value.Any), and so
	// must its native evaluator, whose output copies the input's strings: for Parquet, only a record as sent keeps
	// the escape (in _extra) or is quarantined for it (a string column).
	s.dec.ForgetUnpaired = o.Transform != nil
	v, err := s.dec.Decode(data)
	if err != nil {
		return rec, false, decodeError("invalid JSON", err)
	}
	rec.JSON, rec.Compact = data, s.dec.Compact()
	validated := false
	if o.Transform != nil {
		s.scratch.MaxValues = s.MaxValues
		// The output's tree is needed beyond validating it only for the other settings.
		tree := !s.SkipValue || o.TimeField != nil || len(o.PartitionKeys) > 0
		in := v
		if out, text, sure, ok := o.Transform.ApplyNativeChecked(v, &s.scratch, check, tree); ok {
			if text == nil {
				return rec, false, nil // dropped by select
			}
			if treeless && (sure || o.Schema == nil) {
				o.Transform.LearnFused(in, &s.scratch, check) // for the next records like it
			}
			v, rec.JSON, validated = out, text, sure
			rec.Compact = true // gojq's bytes, which are compact (the transform's differential tests check it)
		} else {
			out, text, err := s.viaGojq(ctx, v)
			if err != nil || text == nil {
				return rec, false, err
			}
			v, rec.JSON = out, text
			rec.Compact = s.dec.Compact() // viaGojq decoded it
		}
	}
	rec.Value = v
	if o.Schema != nil && !validated {
		if err := o.Schema.ValidateAtMost(v, s.LibraryValues); err != nil {
			return rec, false, err
		}
	}
	if o.TimeField != nil {
		if t, ok := o.TimeField.Get(v); ok {
			rec.Time, rec.HasTime = layout.EventTime(t)
		}
	}
	if len(o.PartitionKeys) > 0 {
		var b strings.Builder
		for _, k := range o.PartitionKeys {
			value, ok := k.Path.Get(v)
			b.WriteString(k.Name + "=" + layout.PartitionValue(value, ok) + "/")
		}
		rec.Levels = b.String()
	}
	return rec, true, nil
}

// viaGojq applies the transform with gojq, for what the native evaluator leaves to it: text nil means that the
// expression dropped the record.
func (s *Shaper) viaGojq(ctx context.Context, v jsonvalue.Value) (jsonvalue.Value, []byte, error) {
	if s.TransformTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.TransformTimeout)
		defer cancel()
	}
	out, keep, err := s.Transform.Apply(ctx, v.Any())
	if err != nil || !keep {
		return v, nil, err
	}
	// jq's own JSON writer: it knows every value jq makes (integers beyond 64 bits, for one).
	text, err := gojq.Marshal(out)
	if err != nil {
		return v, nil, fmt.Errorf("transform: %w", err)
	}
	if v, err = s.dec.Decode(text); err != nil {
		return v, nil, decodeError("transform: output is not JSON", err)
	}
	return v, text, nil
}

// decodeError is the reason for a record that did not decode: not JSON (what names it), or too large a tree.
func decodeError(what string, err error) error {
	if limit := (*jsonvalue.LimitError)(nil); errors.As(err, &limit) {
		return fmt.Errorf("shape: %w in one record, the limit at this memory size", err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Load compiles the analytics settings of cfg (checked by config.Load) and reads its schema: a file, or an S3
// object through fetch. Errors name the variable. Without any analytics setting it returns zero Options.
func Load(ctx context.Context, cfg config.Config, fetch schema.Fetcher) (Options, error) {
	var o Options
	var err error
	if cfg.Transform != "" {
		if o.Transform, err = transform.Compile(cfg.Transform); err != nil {
			return o, fmt.Errorf("%s: %w", config.EnvTransform, err)
		}
	}
	if cfg.TimeField != "" {
		p, err := transform.ParsePath(cfg.TimeField)
		if err != nil {
			return o, fmt.Errorf("%s: %w", config.EnvTimeField, err)
		}
		o.TimeField = &p
	}
	if o.PartitionKeys, err = layout.ParsePartitionKeys(cfg.PartitionKeys); err != nil {
		return o, fmt.Errorf("%s: %w", config.EnvPartitionKeys, err)
	}
	if cfg.Schema != "" {
		if o.Schema, err = schema.Load(ctx, cfg.Schema, fetch); err != nil {
			return o, fmt.Errorf("%s=%s: %w", config.EnvSchema, cfg.Schema, err)
		}
	}
	return o, nil
}

// PartitionColumns returns the names of the partition columns: the partition keys, then the time levels.
func (o Options) PartitionColumns() []string {
	var names []string
	for _, k := range o.PartitionKeys {
		names = append(names, k.Name)
	}
	return append(names, layout.TimeLevels...)
}

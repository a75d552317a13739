// Package transform reshapes records with jq (TRANSFORM) and reads fields by jq path (TIME_FIELD, PARTITION_KEYS).
// A transform runs on github.com/itchyny/gojq, taking and returning the Go values of jsonvalue.Value.Any
// (map[string]any, []any, string, json.Number, bool, nil; jq adds int, float64 and *big.Int for numbers it
// computes); or, for the common reshapings, on a native evaluator that reads a jsonvalue.Value and writes what gojq
// would, several times faster (native.go). A path reads a jsonvalue.Value.
package transform

import (
	"context"
	"errors"
	"fmt"

	"github.com/itchyny/gojq"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

// Transform is a compiled jq expression. It is safe for concurrent use.
type Transform struct {
	code    *gojq.Code
	native  []stage // nil: outside the native evaluator's subset (native.go)
	fusable bool    // the fused path can run it (fused.go)
}

// Compile parses and compiles a jq expression, once, at cold start. The expression sees no environment
// ($ENV and env are empty: the function's credentials are in its environment) and no further inputs.
func Compile(expr string) (*Transform, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("not a jq expression: %w", err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("jq: %w", err)
	}
	native := nativeSteps(q)
	return &Transform{code: code, native: native, fusable: fusable(native)}, nil
}

// ApplyNative runs the transform on the decoded record v without gojq, if it can be sure to do exactly what gojq
// does (native.go). It returns the one value the expression produced: its tree, as decoding text would give it
// (keys in order and each once), valid until the next call with s; and its text as gojq.Marshal writes it, which
// is the caller's. Text nil means that the expression produced none (select dropped the record). ok false means
// that this expression or this record is for Apply.
func (t *Transform) ApplyNative(v jsonvalue.Value, s *Scratch) (out jsonvalue.Value, text []byte, ok bool) {
	out, text, _, ok = t.ApplyNativeChecked(v, s, schema.Check{}, true)
	return out, text, ok
}

// ApplyNativeChecked is ApplyNative that also checks the output against c as it writes it (instead of a walk of
// its tree after): sure reports that c is certain of it (schema.Check), so that it needs no validation. Without
// tree the caller needs the output's tree only to validate it: when c is sure of it, out is null, and none is made.
func (t *Transform) ApplyNativeChecked(v jsonvalue.Value, s *Scratch, c schema.Check, tree bool) (out jsonvalue.Value,
	text []byte, sure, ok bool) {
	if t.native == nil {
		return out, nil, false, false
	}
	clear(s.chunk)
	s.chunk, s.lastEnd = s.chunk[:0], -1
	out, keep, ok := run(t.native, s, v)
	if !ok || !keep {
		return jsonvalue.Value{}, nil, false, ok
	}
	// Too deep or too large a tree is left to gojq, whose output's decoding gives the reason.
	buf := s.w.buf[:0]
	if cap(buf) > maxKeptBuffer {
		buf = nil // one large record should not make the Scratch hold a large buffer
	}
	s.w = writer{buf: buf, order: s.w.order[:0], subs: s.w.subs[:0], check: c != schema.Check{}, s: s}
	s.shapes.k = 0
	written := s.w.write(out, tree, c)
	if s.w.deep || s.MaxValues > 0 && s.w.values > s.MaxValues {
		return jsonvalue.Value{}, nil, false, false
	}
	sure = s.w.check && schema.WithinSteps(s.w.steps, s.w.values)
	if !tree && !sure {
		// The caller validates the tree: write again, making it (the same text).
		s.w = writer{buf: s.w.buf[:0], order: s.w.order[:0], subs: s.w.subs[:0], s: s}
		s.shapes.k = 0
		written = s.w.write(out, true, schema.Check{})
	}
	if !tree && sure {
		written = jsonvalue.Value{}
	}
	return written, s.keep(s.w.buf), sure, true
}

// Sizes of the Scratch's buffers.
const (
	maxKeptBuffer = 64 << 10 // the writer's buffer, kept from one record to the next
	textBlock     = 16 << 10 // a block of output texts
)

// keep returns a copy of text that the caller keeps: in the current block of texts, so that many records' texts
// cost one allocation rather than one each. A block lives as long as any text in it; a text larger than a quarter
// of one has its own.
func (s *Scratch) keep(text []byte) []byte {
	n := len(text)
	if n > textBlock/4 {
		return append(make([]byte, 0, n), text...)
	}
	if len(s.texts)+n > cap(s.texts) {
		s.texts = make([]byte, 0, textBlock)
	}
	end := len(s.texts) + n
	kept := s.texts[len(s.texts):end:end]
	copy(kept, text)
	s.texts = s.texts[:end]
	return kept
}

// ErrMultiple is the error for an expression that produced more than one value for a record: one record in, at
// most one record out, so that nothing is duplicated or lost unseen.
var ErrMultiple = errors.New("transform: produced more than one value; a record must become one value or none (empty)")

// Apply runs the transform on v. It returns the one value the expression produced, or keep false when it produced
// none (jq's empty, or halt before any value: the record is dropped). An error raised by the expression (error,
// halt_error, a type error), a second value, or ctx ending (a transform that runs away on some input) is an error
// for the record.
func (t *Transform) Apply(ctx context.Context, v any) (out any, keep bool, err error) {
	iter := t.code.RunWithContext(ctx, v)
	for n := 0; ; n++ {
		next, ok := iter.Next()
		if !ok || isHalt(next) {
			return out, n > 0, nil
		}
		if err, ok := next.(error); ok {
			return nil, false, fmt.Errorf("transform: %w", err)
		}
		if n > 0 {
			return nil, false, ErrMultiple
		}
		out = next
	}
}

// isHalt reports jq's halt: the end of the output, not an error (halt_error carries a value and is one).
func isHalt(v any) bool {
	var halt *gojq.HaltError
	err, ok := v.(error)
	return ok && errors.As(err, &halt) && halt.Value() == nil
}

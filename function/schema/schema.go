// Package schema validates records against a JSON Schema (SCHEMA; draft 2020-12 unless the document says otherwise)
// with github.com/santhosh-tekuri/jsonschema/v6, and derives from the same document the columns of the table the
// records make (Parquet, and the Glue table in Terraform). The schema is read once, at cold start, from a file or
// from S3.
package schema

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// MaxSize bounds the schema document: it is read whole at cold start.
const MaxSize = 1 << 20

// Fetcher reads one object from S3. The bootstrap passes its S3 client's GetObject, so that this package needs no
// AWS SDK.
type Fetcher func(ctx context.Context, bucket, key string) ([]byte, error)

// Schema is a compiled schema document. It is safe for concurrent use.
type Schema struct {
	compiled *jsonschema.Schema
	root     *node // the fast path's form of compiled (fast.go)
	// nonlinear: compiled reaches itself, or applies several subschemas to one value, so that what the library
	// and the compiled checks do with a record is not bounded by its values (recursion.go)
	nonlinear bool
	doc       any // the document as JSON values, for the columns
}

// Load reads the schema at source — a file path or s3://bucket/key (read with fetch) — and compiles it.
func Load(ctx context.Context, source string, fetch Fetcher) (*Schema, error) {
	var data []byte
	var location string
	if rest, ok := strings.CutPrefix(source, "s3://"); ok {
		bucket, key, _ := strings.Cut(rest, "/")
		if bucket == "" || key == "" {
			return nil, fmt.Errorf("%q is not an S3 URI: use s3://bucket/key", source)
		}
		if fetch == nil {
			return nil, fmt.Errorf("%s: no S3 client to read it with", source)
		}
		var err error
		if data, err = fetch(ctx, bucket, key); err != nil {
			return nil, fmt.Errorf("read %s: %w", source, err)
		}
		location = source
	} else {
		abs, err := filepath.Abs(source)
		if err != nil {
			return nil, err
		}
		if data, err = os.ReadFile(abs); err != nil {
			return nil, err
		}
		location = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s is %d bytes; a schema may have at most %d", source, len(data), MaxSize)
	}
	return Compile(data, location)
}

// Compile compiles a schema document; location names it in messages. The document must be self-contained:
// references to other documents are not loaded. Formats are asserted ("format": "date-time" must be a valid
// RFC 3339 date-time), as an ingestion pipeline needs them to be.
func Compile(data []byte, location string) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(noLoader{})
	if err := c.AddResource(location, doc); err != nil {
		return nil, err
	}
	compiled, err := c.Compile(location)
	if err != nil {
		return nil, err
	}
	return &Schema{compiled: compiled, root: compileRoot(compiled), doc: doc,
		nonlinear: recursive(compiled) || fansOut(compiled)}, nil
}

// noLoader refuses every document but the schema itself: a deployment's behaviour must not depend on what a
// $ref reaches at cold start.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s: references to other documents are not supported; put the definitions in $defs", url)
}

// Validate checks a record against the schema. The error is the reason a record is quarantined: it names the first
// failing instance location (a JSON pointer) and keyword, e.g. `schema: /amount: got string, want number (type)`,
// or a number float64 cannot hold, `schema: /n: number out of range` (see numbers.go); with ForJSONLines, a value
// the JSON Lines table cannot read, `schema: /ID: the records table reads this key as its column id: … (jsonl table)`.
func (s *Schema) Validate(v jsonvalue.Value) error { return s.ValidateAtMost(v, 0) }

// Error is a record's failure of the schema (from Validate and ValidateAtMost). Its text is the reason the record is
// quarantined, which quotes values; Pointer and Check name the check that failed, which does not depend on them.
type Error struct {
	// Pointer is the failing instance location, a JSON pointer ("/" for the record); "" if the record was not
	// checked.
	Pointer string
	// Check is what failed there: the keyword's path in its schema ("minimum", "type", "additionalProperties"),
	// "range" for a number out of float64's range, "not-checked" for a record past the library's limits, "table-…"
	// for a value the JSON Lines table cannot read (table.go); "" if the library named none.
	Check string
	msg   string
}

func (e *Error) Error() string { return e.msg }

// ValidateAtMost is Validate for a caller that bounds memory: a record the compiled checks cannot vouch for, and
// that has more than maxValues values and object keys (jsonvalue.Count; 0 means no cap), is rejected without the
// library's check, whose memory grows with every value that fails (budget.Budget.Library). With a schema that
// refers to itself or applies several subschemas to a value, a record on which the library would make more than
// maxValues values' worth of evaluations (recursion.go) is rejected likewise.
func (s *Schema) ValidateAtMost(v jsonvalue.Value, maxValues int) error {
	if s.root.sure(v, 0, new(s.treeSteps(v))) {
		return nil // the common case: the library's verdict would be the same, and is not needed
	}
	if at, ok := outOfRange(v); ok {
		return &Error{Pointer: at, Check: "range", msg: fmt.Sprintf("schema: %s: %s", at, errOutOfRange)}
	}
	if maxValues > 0 && jsonvalue.Count(v) > maxValues {
		return &Error{Check: notChecked, msg: fmt.Sprintf("schema: not checked: more than %d JSON values and object keys "+
			"for the JSON Schema library, the limit at this memory size (records its compiled checks accept have no such "+
			"limit)", maxValues)}
	}
	if limit := EvaluationsPerValue * maxValues; maxValues > 0 && s.nonlinear && !evaluations(s.compiled, v, limit) {
		return &Error{Check: notChecked, msg: fmt.Sprintf("schema: not checked: the JSON Schema library would evaluate "+
			"the schema's subschemas on its values more than %d times (deeper values counting more), the limit at this "+
			"memory size", limit)}
	}
	err := s.compiled.Validate(v.Any())
	if err == nil {
		if s.root.table != nil { // ForJSONLines: what the table cannot read is invalid too
			return s.root.misread(v, nil)
		}
		return nil
	}
	return reason(err)
}

// notChecked is the Check of a record the library was not asked about.
const notChecked = "not-checked"

// steps is what the walks (fast.go) may take on a record of values values and object keys: unbounded for a schema
// that visits each value once.
func (s *Schema) steps(values int) int {
	if !s.nonlinear {
		return math.MaxInt
	}
	return stepBudget(values)
}

// treeSteps is steps for the record v, whose values are counted only where that counts.
func (s *Schema) treeSteps(v jsonvalue.Value) int {
	if !s.nonlinear {
		return math.MaxInt
	}
	return s.steps(jsonvalue.Count(v))
}

var printer = message.NewPrinter(language.English)

// reason turns the library's error tree into one line: the first of its leaves by instance location and keyword
// (a deterministic choice, so a retried record gets the same quarantine body), and how many more there are.
func reason(err error) *Error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &Error{msg: "schema: " + err.Error()}
	}
	var leaves []*jsonschema.ValidationError
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	for _, leaf := range leaves {
		if extra, ok := leaf.ErrorKind.(*kind.AdditionalProperties); ok {
			slices.Sort(extra.Properties) // listed in the order of a Go map
		}
	}
	slices.SortStableFunc(leaves, func(a, b *jsonschema.ValidationError) int {
		if c := slices.Compare(a.InstanceLocation, b.InstanceLocation); c != 0 {
			return c
		}
		if c := strings.Compare(keyword(a), keyword(b)); c != 0 {
			return c
		}
		// Leaves of one keyword and location come in the order of a Go map (dependencies, for one).
		return strings.Compare(a.ErrorKind.LocalizedString(printer), b.ErrorKind.LocalizedString(printer))
	})
	first := leaves[0]
	e := &Error{Pointer: pointer(first.InstanceLocation), Check: keyword(first)}
	e.msg = fmt.Sprintf("schema: %s: %s", e.Pointer, first.ErrorKind.LocalizedString(printer))
	if e.Check != "" {
		e.msg += " (" + e.Check + ")"
	}
	if len(leaves) > 1 {
		e.msg += fmt.Sprintf("; and %d more", len(leaves)-1)
	}
	return e
}

func keyword(e *jsonschema.ValidationError) string {
	return strings.Join(e.ErrorKind.KeywordPath(), "/")
}

// pointer writes an instance location as a JSON pointer (RFC 6901), "/" for the whole record.
func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(pointerEscapes.Replace(t))
	}
	return b.String()
}

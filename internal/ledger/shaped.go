package ledger

// Shaped layouts: with the analytics settings (README, "Analytics") the function transforms each record
// (TRANSFORM), validates it (SCHEMA), and in batch mode puts it under partition levels (PARTITION_KEYS) and the
// hour of its event time (TIME_FIELD), as JSON Lines or Parquet (FORMAT). The checker predicts every record's
// outcome on its own — gojq and the JSON Schema library called directly, the event-time rules as the README states
// them; partition values are the function's one encoding (layout.PartitionValue, tested on its own) — and compares
// what it reads by value: both sides become canonical JSON (members sorted, numbers as float64, nulls in objects
// dropped, timestamps as UTC microseconds), because jq re-encodes its output and Parquet keeps values, not text.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/itchyny/gojq"
	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// shaper predicts what the function makes of a valid JSON record under a shaped layout.
type shaper struct {
	transform *gojq.Code
	schema    *jsonschema.Schema
	timeField fieldPath // nil: TIME_FIELD unset
	keys      []partitionKey
	parquet   bool
}

type partitionKey struct {
	name string
	path fieldPath
}

// outcome is where one record must end up.
type outcome struct {
	drop   bool   // the transform dropped it (jq's empty): it is nowhere
	reason string // it must be quarantined, with a reason that contains this
	value  any    // the record as written (after the transform), decoded with UseNumber
	levels string // its PARTITION_KEYS levels, "country=DE/"
	hour   time.Time
	timed  bool // hour is its event time's; otherwise its arrival time counts
}

// shaped reports whether the layout uses any analytics setting.
func (l Layout) shaped() bool {
	return l.Format == "parquet" || l.SchemaFile != "" || l.Transform != "" || l.TimeField != "" || l.PartitionKeys != ""
}

func newShaper(l Layout) (*shaper, error) {
	s := &shaper{parquet: l.Format == "parquet"}
	if l.Transform != "" {
		q, err := gojq.Parse(l.Transform)
		if err != nil {
			return nil, fmt.Errorf("ledger: transform: %w", err)
		}
		if s.transform, err = gojq.Compile(q); err != nil {
			return nil, fmt.Errorf("ledger: transform: %w", err)
		}
	}
	if l.SchemaFile != "" {
		f, err := os.Open(l.SchemaFile)
		if err != nil {
			return nil, fmt.Errorf("ledger: schema: %w", err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("ledger: schema %s: %w", l.SchemaFile, err)
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		if err := c.AddResource("file:///schema.json", doc); err != nil {
			return nil, fmt.Errorf("ledger: schema %s: %w", l.SchemaFile, err)
		}
		if s.schema, err = c.Compile("file:///schema.json"); err != nil {
			return nil, fmt.Errorf("ledger: schema %s: %w", l.SchemaFile, err)
		}
	}
	if l.OutputMode != "batch" {
		return s, nil // TIME_FIELD and PARTITION_KEYS shape batch keys only
	}
	if l.TimeField != "" {
		p, err := parseFieldPath(l.TimeField)
		if err != nil {
			return nil, fmt.Errorf("ledger: time field: %w", err)
		}
		s.timeField = p
	}
	if l.PartitionKeys != "" {
		for _, pair := range strings.Split(l.PartitionKeys, ",") {
			name, path, _ := strings.Cut(pair, "=")
			p, err := parseFieldPath(path)
			if err != nil || !regexp.MustCompile(`^[a-z_][a-z0-9_]*$`).MatchString(name) {
				return nil, fmt.Errorf("ledger: partition key %q is not name=path", pair)
			}
			s.keys = append(s.keys, partitionKey{name: name, path: p})
		}
	}
	return s, nil
}

// shape predicts the outcome of a record that is valid JSON.
func (s *shaper) shape(data []byte) outcome {
	v, err := decodeNumbers(data)
	if err != nil {
		return outcome{reason: "invalid JSON"}
	}
	if s.transform != nil {
		iter := s.transform.RunWithContext(context.Background(), v)
		var outs []any
		for {
			out, ok := iter.Next()
			if !ok {
				break
			}
			if _, isErr := out.(error); isErr {
				return outcome{reason: "transform: "}
			}
			outs = append(outs, out)
		}
		switch len(outs) {
		case 0:
			return outcome{drop: true}
		case 1:
		default:
			return outcome{reason: "transform: "}
		}
		text, err := gojq.Marshal(outs[0])
		if err != nil {
			return outcome{reason: "transform: "}
		}
		if v, err = decodeNumbers(text); err != nil {
			return outcome{reason: "transform: "}
		}
	}
	if s.schema != nil {
		if err := s.schema.Validate(v); err != nil {
			var ve *jsonschema.ValidationError
			if errors.As(err, &ve) {
				return outcome{reason: "schema: /"}
			}
			return outcome{reason: "schema: "}
		}
	}
	o := outcome{value: v}
	if s.timeField != nil {
		if t, ok := s.timeField.get(v); ok {
			o.hour, o.timed = eventTime(t)
			o.hour = o.hour.Truncate(time.Hour)
		}
	}
	for _, k := range s.keys {
		value, ok := k.path.get(v)
		o.levels += k.name + "=" + partitionValue(value, ok) + "/"
	}
	return o
}

func decodeNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one value")
	}
	return v, nil
}

// fieldPath is a parsed TIME_FIELD or PARTITION_KEYS path: object keys (string) and array indexes (int).
type fieldPath []any

var pathStepRE = regexp.MustCompile(`^\.?(?:([A-Za-z_][A-Za-z0-9_]*)|("(?:[^"\\]|\\.)*")|\[("(?:[^"\\]|\\.)*"|[0-9]+)\])`)

// parseFieldPath reads the path syntax the README documents: .name, ."key", ["key"] and [N] steps.
func parseFieldPath(s string) (fieldPath, error) {
	if !strings.HasPrefix(s, ".") {
		return nil, fmt.Errorf("%q does not start with a dot", s)
	}
	var p fieldPath
	for rest := s; rest != ""; {
		m := pathStepRE.FindStringSubmatch(rest)
		if m == nil {
			return nil, fmt.Errorf("%q: cannot read %q", s, rest)
		}
		rest = rest[len(m[0]):]
		switch {
		case m[1] != "":
			p = append(p, m[1])
		case m[2] != "" || strings.HasPrefix(m[3], `"`):
			var key string
			if err := json.Unmarshal([]byte(m[2]+m[3]), &key); err != nil {
				return nil, fmt.Errorf("%q: %w", s, err)
			}
			p = append(p, key)
		default:
			n, err := strconv.Atoi(m[3])
			if err != nil {
				return nil, fmt.Errorf("%q: %w", s, err)
			}
			p = append(p, n)
		}
	}
	return p, nil
}

func (p fieldPath) get(v any) (any, bool) {
	for _, step := range p {
		switch step := step.(type) {
		case string:
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = obj[step]; !ok {
				return nil, false
			}
		case int:
			arr, ok := v.([]any)
			if !ok || step >= len(arr) {
				return nil, false
			}
			v = arr[step]
		}
	}
	return v, true
}

// eventTime reads TIME_FIELD as the README says: an RFC 3339 string, or epoch seconds (below 10^11) or
// milliseconds; years outside 2000–2099 are not believed.
func eventTime(v any) (time.Time, bool) {
	var t time.Time
	switch v := v.(type) {
	case string:
		var err error
		if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return time.Time{}, false
		}
	case json.Number:
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			t = time.Unix(n, 0)
			if n >= 1e11 || n <= -1e11 {
				t = time.UnixMilli(n)
			}
			break
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.Abs(f) > 1e15 {
			return time.Time{}, false
		}
		if math.Abs(f) >= 1e11 {
			f /= 1000
		}
		t = time.Unix(0, int64(f*1e9))
	default:
		return time.Time{}, false
	}
	t = t.UTC()
	return t, t.Year() >= 2000 && t.Year() <= 2099
}

// partitionValue is a key level's value: the function's own encoding (layout.PartitionValue), which the layout's
// tests check value by value, of the JSON value v decodes.
func partitionValue(v any, ok bool) string {
	var j jsonvalue.Value
	switch v := v.(type) {
	case string:
		j = jsonvalue.MakeString(v)
	case json.Number:
		j = jsonvalue.MakeNumber(string(v))
	case bool:
		j = jsonvalue.MakeBool(v)
	}
	return layout.PartitionValue(j, ok)
}

// canonical is v as canonical JSON. n is the Parquet node v was written to (nil for JSON), which says where the
// timestamps are.
func canonical(v any, n parquet.Node) string {
	b, err := json.Marshal(canonicalValue(v, n))
	if err != nil {
		return fmt.Sprintf("unencodable %v", err)
	}
	return string(b)
}

func canonicalValue(v any, n parquet.Node) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if x != nil {
				out[k] = canonicalValue(x, fieldNode(n, k))
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		elem := listElem(n)
		for i, x := range v {
			out[i] = canonicalValue(x, elem)
		}
		return out
	case json.Number:
		f, _ := strconv.ParseFloat(string(v), 64)
		return f
	case int64:
		if isTimestamp(n) {
			return time.UnixMicro(v).UTC().Format(time.RFC3339Nano)
		}
		return float64(v)
	case string:
		if isTimestamp(n) {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
			}
		}
	}
	return v
}

// fromRow turns a row parquet-go read into a map back into the record: every _extra merged into its struct.
func fromRow(v any, n parquet.Node) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "_extra" {
				continue
			}
			var err error
			if v[k], err = fromRow(x, fieldNode(n, k)); err != nil {
				return nil, err
			}
		}
		extra, _ := v["_extra"].(string)
		delete(v, "_extra")
		if extra == "" {
			return v, nil
		}
		members, err := decodeNumbers([]byte(extra))
		if err != nil {
			return nil, fmt.Errorf("_extra %q: %w", clip([]byte(extra)), err)
		}
		obj, ok := members.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("_extra %q is not an object", clip([]byte(extra)))
		}
		for k, x := range obj {
			if _, dup := v[k]; dup && v[k] != nil {
				return nil, fmt.Errorf("_extra repeats the column %s", k)
			}
			v[k] = x
		}
		return v, nil
	case []any:
		elem := listElem(n)
		for i, x := range v {
			var err error
			if v[i], err = fromRow(x, elem); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

func fieldNode(n parquet.Node, name string) parquet.Node {
	if n == nil || n.Leaf() || listElem(n) != nil {
		return nil
	}
	for _, f := range n.Fields() {
		if f.Name() == name {
			return f
		}
	}
	return nil
}

// listElem is the element of a LIST node: <name> (LIST) { repeated group list { element } }.
func listElem(n parquet.Node) parquet.Node {
	if n == nil || n.Type().LogicalType() == nil {
		return nil
	}
	if _, ok := n.Type().LogicalType().Value.(*format.ListType); !ok {
		return nil
	}
	return n.Fields()[0].Fields()[0]
}

func isTimestamp(n parquet.Node) bool {
	if n == nil || !n.Leaf() || n.Type().LogicalType() == nil {
		return false
	}
	_, ok := n.Type().LogicalType().Value.(*format.TimestampType)
	return ok
}

// parquetRows reads a Parquet object's rows as canonical JSON, with the file's schema.
func parquetRows(body []byte) (rows []string, schema *parquet.Schema, err error) {
	f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, nil, err
	}
	r := parquet.NewReader(f)
	defer r.Close()
	for {
		m := map[string]any{}
		if err := r.Read(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, nil, err
		}
		v, err := fromRow(m, f.Schema())
		if err != nil {
			return nil, nil, fmt.Errorf("row %d: %w", len(rows)+1, err)
		}
		rows = append(rows, canonical(v, f.Schema()))
	}
	return rows, f.Schema(), nil
}

package shape

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/itchyny/gojq"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

// rev17: with a schema that applies several subschemas to a value (allOf of $refs), ValidateAtMost gives its walk
// of the tree 4 steps a value (and 64), and a record the walk is not sure of within them goes to the library's
// evaluation guard, which quarantines it ("not checked") when the library would evaluate more than
// EvaluationsPerValue × LibraryValues subschemas. The fast paths are sure of the same record with far more steps:
// SureText gets 4 a byte of the record's text, the transform writer's Check.Value 4,096 a scalar. A record with a
// long string beside a value the schema fans out on, or several scalars it fans out on, is then kept by the fast
// path and quarantined by the reference path; which one runs depends on the settings (TIME_FIELD, PARTITION_KEYS,
// FORMAT=parquet keep the tree), so the same record is kept or quarantined depending on them.

// fanOut is a schema whose members' values each meet perValue × perValue subschemas.
func fanOut(t *testing.T, perValue int) *schema.Schema {
	t.Helper()
	leaves := strings.TrimSuffix(strings.Repeat(`{"type": "string"}, `, perValue), ", ")
	refs := strings.TrimSuffix(strings.Repeat(`{"$ref": "#/$defs/d"}, `, perValue), ", ")
	doc := `{"type": "object", "additionalProperties": {"allOf": [` + refs + `]}, "$defs": {"d": {"allOf": [` + leaves + `]}}}`
	s, err := schema.Compile([]byte(doc), "mem://fan-out.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// libraryValues is budget.For(128).Library: the smallest memory size's cap.
const libraryValues = 5000

func TestRev17SureTextKeepsWhatTheTreePathQuarantines(t *testing.T) {
	s := fanOut(t, 150) // 22,651 subschemas on a member's value: over 4 × 5,000
	data := []byte(`{"a":"x","pad":"` + strings.Repeat("p", 15000) + `"}`)
	v, err := jsonvalue.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	want := s.ValidateAtMost(v, libraryValues) // the reference: the tree walk, then the library and its guard
	for _, sh := range []*Shaper{
		{Options: Options{Schema: s}, SkipValue: true, LibraryValues: libraryValues}, // SureText
		{Options: Options{Schema: s}, LibraryValues: libraryValues},                  // the tree (FORMAT=parquet)
	} {
		_, keep, err := sh.Shape(context.Background(), data)
		if fmt.Sprint(err) != fmt.Sprint(want) || keep != (want == nil) {
			t.Errorf("SkipValue %v: keep %v, err %v; ValidateAtMost says %v", sh.SkipValue, keep, err, want)
		}
	}
}

func TestRev17TransformCheckKeepsWhatTheReferenceQuarantines(t *testing.T) {
	s := fanOut(t, 60) // 3,661 subschemas on each member's value: within Check.Value's 4,096 steps a scalar
	tr, err := transform.Compile(`.z = "x"`)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"a":"x","b":"x","c":"x","d":"x","e":"x","f":"x","g":"x"}`)
	agreesWithReference(t, tr, s, data)
}

// agreesWithReference shapes data with tr and s, needing the tree and not, and fails the test where the outcome is not
// the reference's: gojq's output, decoded, checked by ValidateAtMost at the smallest memory size's LibraryValues.
func agreesWithReference(t *testing.T, tr *transform.Transform, s *schema.Schema, data []byte) {
	t.Helper()
	in, err := jsonvalue.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := tr.Apply(context.Background(), in.Any())
	if err != nil {
		t.Fatal(err)
	}
	text, _ := gojq.Marshal(out)
	ov, err := jsonvalue.Decode(text)
	if err != nil {
		t.Fatal(err)
	}
	want := s.ValidateAtMost(ov, libraryValues)
	for _, skip := range []bool{true, false} {
		sh := &Shaper{Options: Options{Transform: tr, Schema: s}, SkipValue: skip, LibraryValues: libraryValues}
		_, keep, err := sh.Shape(context.Background(), data)
		if fmt.Sprint(err) != fmt.Sprint(want) || keep != (want == nil) {
			t.Errorf("SkipValue %v: keep %v, err %v; the reference says %v", skip, keep, err, want)
		}
	}
}

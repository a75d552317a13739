package shape

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

const ordersSchema = `{"type": "object", "required": ["order_id", "amount_cents"], "properties": {
  "order_id": {"type": "string"}, "amount_cents": {"type": "integer"}, "amount": {"type": "number"},
  "created_at": {"type": "string", "format": "date-time"},
  "customer": {"type": "object", "properties": {"tenant": {"type": "string"}}}}}`

// ordersTransform is the transform of the tests; it runs on the native evaluator.
const ordersTransform = `select(.test != true) | del(.card) | .amount_cents = (.amount * 100 | floor)`

func options(t *testing.T, expr string) Options {
	t.Helper()
	tr, err := transform.Compile(expr)
	if err != nil {
		t.Fatal(err)
	}
	s, err := schema.Compile([]byte(ordersSchema), "mem://orders.json")
	if err != nil {
		t.Fatal(err)
	}
	tf, err := transform.ParsePath(".created_at")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := layout.ParsePartitionKeys("tenant=.customer.tenant")
	if err != nil {
		t.Fatal(err)
	}
	return Options{Transform: tr, Schema: s, TimeField: &tf, PartitionKeys: keys}
}

func TestShape(t *testing.T) {
	o := options(t, ordersTransform)
	cases := []struct {
		in, want string // want: "json | levels | time", "<dropped>" or "error: <reason prefix>"
	}{
		{`{"order_id": "o-1", "amount": 12.34, "card": "4111", "created_at": "2026-11-25T10:30:00+01:00", "customer": {"tenant": "Acme Inc"}}`,
			`{"amount":12.34,"amount_cents":1234,"created_at":"2026-11-25T10:30:00+01:00","customer":{"tenant":"Acme Inc"},"order_id":"o-1"} | tenant=Acme!20Inc/ | 2026-11-25T09:30:00Z`},
		{`{"order_id": "o-2", "amount": 1}`,
			`{"amount":1,"amount_cents":100,"order_id":"o-2"} | tenant=__null__/ | -`},
		{`{"order_id": "o-3", "amount": 1, "test": true}`, `<dropped>`},
		{`{"order_id": "o-4", "amount": "12"}`, `error: transform: floor cannot be applied to: string`},
		{`{"order_id": 4, "amount": 1}`, `error: schema: /order_id: got number, want string (type)`},
		{`{"order_id": "o-5", "amount": 1`, `error: invalid JSON: unexpected end of JSON input`},
	}
	for _, c := range cases {
		rec, keep, err := (&Shaper{Options: o}).Shape(context.Background(), []byte(c.in))
		var got string
		switch {
		case err != nil:
			got = "error: " + err.Error()
		case !keep:
			got = "<dropped>"
		default:
			ts := "-"
			if rec.HasTime {
				ts = rec.Time.Format(time.RFC3339)
			}
			got = fmt.Sprintf("%s | %s | %s", rec.JSON, rec.Levels, ts)
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

// TestShapeNativeAsGojq shapes records with a transform the native evaluator runs, and with the same one made to
// run on gojq (empty is outside the native subset), with one Shaper each for all records, as the handler does.
func TestShapeNativeAsGojq(t *testing.T) {
	native := Shaper{Options: options(t, ordersTransform), MaxValues: 14}
	viaGojq := Shaper{Options: options(t, "if true then . else empty end | "+ordersTransform), MaxValues: 14}
	ran := 0
	records := []string{
		`{"order_id": "o-1", "amount": 12.34, "card": "4111", "created_at": "2026-11-25T10:30:00+01:00", "customer": {"tenant": "Acme Inc"}}`,
		`{"order_id": "o-2", "amount": 1, "order_id": "o-2b", "z": [1, {"y": 2, "x": "\u007f"}]}`,
		`{"order_id": "o-4", "amount": "12"}`,
		`{"order_id": 4, "amount": 1.5e1}`,
		`{"order_id": "o-6", "amount": 1, "a": [1, 2, 3, 4, 5, 6, 7]}`, // 15 values and keys after the transform, 13 before
		`{"order_id": "o-7", "amount": 123456789012345678901234567890}`,
		`{"amount": 0.07, "card": null, "customer": null}`,
		`{"order_id": "o-3", "amount": 1, "test": true}`,
	}
	// Twice over: the second time, the native writer has the key orders of the records' objects (and the texts of
	// the first round stay as they were).
	var texts, copies [][]byte
	for _, in := range append(records, records...) {
		if v, err := jsonvalue.Decode([]byte(in)); err == nil {
			if _, _, ok := native.Transform.ApplyNative(v, &transform.Scratch{MaxValues: 14}); ok {
				ran++
			}
		}
		got, gotKeep, gotErr := native.Shape(context.Background(), []byte(in))
		want, keep, err := viaGojq.Shape(context.Background(), []byte(in))
		if fmt.Sprint(gotErr) != fmt.Sprint(err) || gotKeep != keep || string(got.JSON) != string(want.JSON) ||
			!jsonvalue.Equal(got.Value, want.Value) || got.Levels != want.Levels || got.Time != want.Time {
			t.Errorf("%s:\n native %s %v %v\n gojq   %s %v %v", in, got.JSON, gotKeep, gotErr, want.JSON, keep, err)
		}
		texts, copies = append(texts, got.JSON), append(copies, bytes.Clone(got.JSON))
	}
	for i := range texts {
		if !bytes.Equal(texts[i], copies[i]) {
			t.Errorf("the output of record %d changed to %s", i, texts[i])
		}
	}
	if ran != 10 {
		t.Errorf("%d records ran natively, want 10", ran)
	}
}

func TestShapeWithoutTransformKeepsTheInput(t *testing.T) {
	s, err := schema.Compile([]byte(`{"type": "object"}`), "mem://any.json")
	if err != nil {
		t.Fatal(err)
	}
	in := []byte(`{ "b": 1,  "a": [2.50] }`)
	rec, keep, err := (&Shaper{Options: Options{Schema: s}}).Shape(context.Background(), in)
	if err != nil || !keep || string(rec.JSON) != string(in) || rec.Levels != "" || rec.HasTime || rec.Compact {
		t.Fatalf("%+v %v %v", rec, keep, err)
	}
	// Without a use for the tree, a record gets the same answer checked on its text.
	strict, err := schema.Compile([]byte(ordersSchema), "mem://orders.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{`{"order_id":"o-1","amount_cents":1}`, `{"order_id": "o-1", "amount_cents": 1}`,
		`{"order_id":"o-1","amount_cents":"1"}`, `{"order_id":"o-1"`, `{"order_id":"o\u002d1","amount_cents":1}`} {
		want, wantKeep, wantErr := (&Shaper{Options: Options{Schema: strict}}).Shape(context.Background(), []byte(in))
		got, keep, err := (&Shaper{Options: Options{Schema: strict}, SkipValue: true}).Shape(context.Background(), []byte(in))
		if string(got.JSON) != string(want.JSON) || got.Compact != want.Compact || keep != wantKeep || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("%s: SkipValue gives %+v %v %v; without, %+v %v %v", in, got, keep, err, want, wantKeep, wantErr)
		}
	}
	// A compact record, gojq's output (decoded again) and the native transform's (gojq's bytes) need no compacting by
	// the JSON Lines writer.
	for o, compact := range map[*Options]bool{{Schema: s}: true, ptr(options(t, "if true then . else empty end | "+ordersTransform)): true,
		ptr(options(t, ordersTransform)): true} {
		rec, _, err := (&Shaper{Options: *o}).Shape(context.Background(), []byte(`{"order_id":"o-1","amount":1}`))
		if err != nil || rec.Compact != compact {
			t.Fatalf("%+v %v", rec, err)
		}
	}
	if (Options{}).Enabled() || !(Options{Schema: s}).Enabled() {
		t.Fatal("Enabled")
	}
}

func ptr[T any](v T) *T { return &v }

// TestShapeChecksTheOutputAsWritten holds a record shaped without a tree (SkipValue), its transform's output checked
// as it is written, to the same record shaped with one: the same text, outcome and reason.
func TestShapeChecksTheOutputAsWritten(t *testing.T) {
	o := options(t, ordersTransform)
	o.TimeField, o.PartitionKeys = nil, nil // else the tree is needed
	for _, in := range []string{`{"order_id":"o-1","amount":1.5}`, `{"order_id":"o-1","amount":-2,"card":"x"}`,
		`{"order_id":7,"amount":1}`, `{"amount":1}`, `{"order_id":"o-1","amount":"1"}`, `{"order_id":"o-1","amount":1,"test":true}`,
		`{"order_id":"o-1","amount":1,"created_at":"yesterday"}`, `{"order_id":"o-1","amount":1,"customer":{"tenant":5}}`,
		`{"order_id":"o-1","amount":1e400}`, `{"order_id":"o-1","amount":1,"x":1e999}`} {
		want, wantKeep, wantErr := (&Shaper{Options: o}).Shape(context.Background(), []byte(in))
		got, keep, err := (&Shaper{Options: o, SkipValue: true}).Shape(context.Background(), []byte(in))
		if string(got.JSON) != string(want.JSON) || got.Compact != want.Compact || keep != wantKeep || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("%s: SkipValue gives %s %v %v; without, %s %v %v", in, got.JSON, keep, err, want.JSON, wantKeep, wantErr)
		}
		if err == nil && keep && got.Value.Kind() != jsonvalue.Null {
			t.Errorf("%s: SkipValue made a tree", in)
		}
	}
}

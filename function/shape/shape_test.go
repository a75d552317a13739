package shape

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

const ordersSchema = `{"type": "object", "required": ["order_id", "amount_cents"], "properties": {
  "order_id": {"type": "string"}, "amount_cents": {"type": "integer"}, "amount": {"type": "number"},
  "created_at": {"type": "string", "format": "date-time"},
  "customer": {"type": "object", "properties": {"tenant": {"type": "string"}}}}}`

func options(t *testing.T) Options {
	t.Helper()
	tr, err := transform.Compile(`select(.test != true) | del(.card) | .amount_cents = (.amount * 100 | floor)`)
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
	o := options(t)
	cases := []struct {
		in, want string // want: "json | levels | time", "<dropped>" or "error: <reason prefix>"
	}{
		{`{"order_id": "o-1", "amount": 12.34, "card": "4111", "created_at": "2026-11-25T10:30:00+01:00", "customer": {"tenant": "Acme Inc"}}`,
			`{"amount":12.34,"amount_cents":1234,"created_at":"2026-11-25T10:30:00+01:00","customer":{"tenant":"Acme Inc"},"order_id":"o-1"} | tenant=Acme_Inc/ | 2026-11-25T09:30:00Z`},
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

func TestShapeWithoutTransformKeepsTheInput(t *testing.T) {
	s, err := schema.Compile([]byte(`{"type": "object"}`), "mem://any.json")
	if err != nil {
		t.Fatal(err)
	}
	in := []byte(`{ "b": 1,  "a": [2.50] }`)
	rec, keep, err := (&Shaper{Options: Options{Schema: s}}).Shape(context.Background(), in)
	if err != nil || !keep || string(rec.JSON) != string(in) || rec.Levels != "" || rec.HasTime {
		t.Fatalf("%+v %v %v", rec, keep, err)
	}
	if (Options{}).Enabled() || !(Options{Schema: s}).Enabled() {
		t.Fatal("Enabled")
	}
}

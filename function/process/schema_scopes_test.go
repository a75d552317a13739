package process

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/parquet-go/parquet-go"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/shape"
)

// TestEmbeddedSchemaResources: with a schema whose embedded resources (subschemas with an $id of their own) type
// their fields by their own definitions (terraform/tests/fixtures/column-scopes.schema.json), a record it accepts is
// written in either format, with the values in the columns the validator typed, not quarantined.
func TestEmbeddedSchemaResources(t *testing.T) {
	doc, err := os.ReadFile("../../terraform/tests/fixtures/column-scopes.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	const record = `{"order_id": 1, "customer": {"id": "c-1", "address": {"zip": "75001"}, "since": "2026-11-25T10:30:00Z"}, ` +
		`"sku": 1.5, "inline": {"n": true, "lines": [{"qty": false}]}}`
	for _, format := range []string{config.FormatJSONL, config.FormatParquet} {
		s, err := schema.Compile(doc, "file:///column-scopes.schema.json")
		if err != nil {
			t.Fatal(err)
		}
		c := cfg("batch")
		c.Compression, c.Format = "none", format
		w := newMem()
		p, err := New(c, w, nil, WithShape(shape.Options{Schema: s}))
		if err != nil {
			t.Fatal(err)
		}
		resp, m, err := p.Process(context.Background(), []events.KinesisEventRecord{rec("shardId-000000000000", 0, t0, record)})
		if err != nil || len(resp.BatchItemFailures) != 0 || m.RecordsWritten != 1 {
			for _, q := range quarantined(t, w) {
				t.Logf("quarantined: %s", q.Reason)
			}
			t.Fatalf("%s: %v %+v %+v", format, err, resp, m)
		}
		if format != config.FormatParquet {
			continue
		}
		keys := w.keys("kinesis/")
		if len(keys) != 1 {
			t.Fatalf("objects %q", keys)
		}
		body := w.objects[keys[0]]
		f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		row := map[string]any{}
		if err := parquet.NewReader(f).Read(&row); err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(row)
		const want = `{"_extra":null,"customer":{"_extra":null,"address":{"_extra":null,"zip":"75001"},"id":"c-1","since":` +
			`1795602600000000},"inline":{"_extra":null,"lines":[{"_extra":null,"qty":false}],"n":true},"order_id":1,"sku":1.5}`
		if string(got) != want {
			t.Errorf("row\n%s\nwant\n%s", got, want)
		}
	}
}

package process

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/shape"
)

// TestJSONLinesRecordsTheTableCannotReadAreQuarantined (review 12): with FORMAT=jsonl and a SCHEMA, the catalog
// module types the records table's columns from the schema (integer → bigint, date-time → timestamp) and reads the
// objects with the Hive JSON SerDe. Athena engine 3 (Trino's JsonDeserializer) reads a bigint with Jackson's
// getLongValue, which throws on a value beyond 64 bits, and a timestamp with the table's Joda timestamp.formats, then
// ISO_LOCAL_DATE_TIME, neither of which reads a leap second (second 60) or more than nine fraction digits. The error
// is BAD_DATA: it fails the query, not the row. Each value below is valid for the schema (JSON Schema's integer has no
// bound; its date-time allows second 60 and any number of fraction digits). FORMAT=parquet quarantines the three it
// cannot hold, with a reason, and writes the leap second as 23:59:59.999999; JSON Lines writes all four as they came,
// so one such record makes every query that reads the column over its hour fail until someone finds and deletes
// the object.
func TestJSONLinesRecordsTheTableCannotReadAreQuarantined(t *testing.T) {
	p, w := jsonlProcessor(t, `{"type":"object","properties":{
		"id":{"type":"integer"},"at":{"type":"string","format":"date-time"}}}`)
	poison := []string{
		`{"id":18446744073709551615}`,              // an unsigned 64-bit ID: beyond bigint
		`{"id":1e19}`,                              // an integer to JSON Schema, beyond bigint
		`{"at":"2016-12-31T23:59:60Z"}`,            // a leap second
		`{"at":"2026-11-25T10:59:58.1234567891Z"}`, // ten fraction digits
	}
	var rs []events.KinesisEventRecord
	for i, d := range poison {
		rs = append(rs, rec("shardId-000000000000", i, t0, d))
	}
	rs = append(rs, rec("shardId-000000000000", len(poison), t0, `{"id":1,"at":"2026-11-25T10:59:58Z"}`))
	if _, _, err := p.Process(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	var written []string
	for _, k := range w.keys("kinesis/") {
		for _, line := range bytes.Split(bytes.TrimSpace(w.objects[k]), []byte("\n")) {
			written = append(written, string(line))
		}
	}
	if len(written) != 1 {
		t.Errorf("the records table (bigint and timestamp columns, Hive JSON SerDe) fails every query of these lines, "+
			"yet they were written: %s; %d quarantined of the %d", strings.Join(written, " "), len(w.keys("errors/")), len(poison))
	}
}

// TestJSONLinesColumnsReadAsTheSchemaValidatedThem (review 12): Athena's Hive JSON SerDe matches a line's keys to
// the table's columns without case (Trino's JsonDeserializer lowercases both) and, for keys that match the same
// column, keeps the last. The schema is case-sensitive: it validates "amount" and lets an undeclared "Amount" through
// (additionalProperties). FORMAT=parquet writes amount to its column and "Amount" to _extra; JSON Lines writes the
// record as it came, so Athena's amount column shows the other field's value (or fails the query with BAD_DATA when
// that value is not a number) — the table silently disagrees with the schema the record was validated against and
// with the Parquet table of the same records.
func TestJSONLinesColumnsReadAsTheSchemaValidatedThem(t *testing.T) {
	p, w := jsonlProcessor(t, `{"type":"object","properties":{"amount":{"type":"integer"}},"required":["amount"]}`)
	wantAmount5(t, p, w, `{"amount":5,"Amount":7000}`)
}

// TestJSONLinesInternalColumnNamesReadAsTheSchemaValidatedThem (review 12): the Hive JSON SerDe of Athena engine 3
// (Trino's JsonDeserializer, "bug for bug compatible with Hive JsonSerDe") maps a key that is no column but reads
// _col<N> to the table's column of ordinal N: the name Hive and Athena give unnamed result columns, so records made
// from query results (SELECT count(*), ... → _col0, _col1) carry such keys. With FORMAT=jsonl the records table's
// first column (ordinal 0, amount here) then shows the _col0 member's value, silently; Parquet keeps it in _extra.
func TestJSONLinesInternalColumnNamesReadAsTheSchemaValidatedThem(t *testing.T) {
	p, w := jsonlProcessor(t, `{"type":"object","properties":{"amount":{"type":"integer"}},"required":["amount"]}`)
	wantAmount5(t, p, w, `{"amount":5,"_col0":7000}`)
}

// wantAmount5 writes the record, valid with amount = 5, and checks what Athena reads in its amount column (ordinal 0).
func wantAmount5(t *testing.T, p *Processor, w *memWriter, record string) {
	t.Helper()
	if _, _, err := p.Process(context.Background(), []events.KinesisEventRecord{rec("shardId-000000000000", 0, t0, record)}); err != nil {
		t.Fatal(err)
	}
	for _, k := range w.keys("kinesis/") {
		for _, line := range bytes.Split(bytes.TrimSpace(w.objects[k]), []byte("\n")) {
			if got := athenaColumn(t, line, "amount", 0); got != "5" {
				t.Errorf("line %s: Athena's amount column (ordinal 0) reads %s; the schema validated amount = 5", line, got)
			}
		}
	}
}

// athenaColumn is the text of the value the Hive JSON SerDe gives column col, of ordinal ordinal, of a JSON Lines
// line: the last member whose key equals col without case, or (when it is no column's name) reads _col<ordinal>.
func athenaColumn(t *testing.T, line []byte, col string, ordinal int) string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	got := "null"
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if key := k.(string); strings.EqualFold(key, col) || key == "_col"+strconv.Itoa(ordinal) {
			got = string(v)
		}
	}
	return got
}

// jsonlProcessor is a batch-mode processor writing uncompressed JSON Lines, validating with the schema doc.
func jsonlProcessor(t *testing.T, doc string) (*Processor, *memWriter) {
	t.Helper()
	s, err := schema.Compile([]byte(doc), "file:///s.json")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Compression, c.Format = "none", "jsonl"
	w := newMem()
	p, err := New(c, w, nil, WithShape(shape.Options{Schema: s}))
	if err != nil {
		t.Fatal(err)
	}
	return p, w
}

package layout

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/parquet-go/parquet-go"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

const ordersSchema = `{
  "type": "object",
  "properties": {
    "order_id": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"},
    "amount": {"type": "number"},
    "quantity": {"type": "integer"},
    "gift": {"type": ["boolean", "null"]},
    "customer": {"type": "object", "properties": {"id": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}},
    "lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}}},
    "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
    "tenant": {"type": "string"}
  }
}`

func newParquet(t testing.TB, compression string) *Parquet {
	t.Helper()
	s, err := schema.Compile([]byte(ordersSchema), "mem://orders.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParquet(s.Columns([]string{"tenant"}), compression)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeJSON(t testing.TB, s string) jsonvalue.Value {
	t.Helper()
	v, err := jsonvalue.Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// readBack reads a file written by Encode into one map per row, as parquet-go reconstructs them.
func readBack(t *testing.T, body []byte, p *Parquet) []map[string]any {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Schema().String(), p.Schema().String(); got != want {
		t.Fatalf("file schema\n%s\nwant\n%s", got, want)
	}
	r := parquet.NewReader(f)
	var out []map[string]any
	for {
		m := map[string]any{}
		if err := r.Read(&m); err != nil {
			break
		}
		out = append(out, m)
	}
	return out
}

func TestParquetRoundTrip(t *testing.T) {
	records := []string{
		`{"order_id": "o-1", "created_at": "2026-11-25T10:00:00.123456000+01:00", "amount": 12.5, "quantity": 2,
		  "gift": true, "customer": {"id": "c-1", "tags": ["vip", null], "since": 2019},
		  "lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2, "note": "gift wrap"}], "matrix": [[1, 2], [], [3]],
		  "tenant": "acme", "undeclared": {"kept": [1, "two"]}}`,
		`{"order_id": "o-2", "quantity": 1.0, "gift": null, "customer": {}, "lines": [], "matrix": []}`,
		`{}`,
	}
	for _, compression := range []string{"zstd", "gzip", "snappy", "none"} {
		p := newParquet(t, compression)
		var rows []parquet.Row
		for _, r := range records {
			row, err := p.Row(decodeJSON(t, r))
			if err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			rows = append(rows, row)
		}
		var buf bytes.Buffer
		if err := p.Encode(&buf, rows); err != nil {
			t.Fatal(err)
		}
		got := readBack(t, buf.Bytes(), p)
		if len(got) != 3 {
			t.Fatalf("%s: %d rows", compression, len(got))
		}
		first, _ := json.Marshal(got[0])
		for _, want := range []string{`"order_id":"o-1"`, `"amount":12.5`, `"quantity":2`, `"gift":true`,
			`"_extra":"{\"tenant\":\"acme\",\"undeclared\":{\"kept\":[1,\"two\"]}}"`,
			`"customer":{"_extra":"{\"since\":2019}","id":"c-1","tags":["vip",null]}`,
			`"lines":[{"_extra":null,"qty":1,"sku":"A"},{"_extra":"{\"note\":\"gift wrap\"}","qty":2,"sku":"B"}]`,
			`"matrix":[[1,2],[],[3]]`} {
			if !strings.Contains(string(first), want) {
				t.Errorf("%s: row 1 %s lacks %s", compression, first, want)
			}
		}
		// parquet-go reads a timestamp column into a map as its int64.
		want := time.Date(2026, 11, 25, 9, 0, 0, 123456000, time.UTC).UnixMicro()
		if ts, ok := got[0]["created_at"].(int64); !ok || ts != want {
			t.Errorf("%s: created_at %#v: want %d, the instant in microseconds", compression, got[0]["created_at"], want)
		}
		second, _ := json.Marshal(got[1])
		for _, want := range []string{`"quantity":1`, `"gift":null`, `"customer":{"_extra":null,"id":null,"tags":null}`, `"lines":[]`, `"amount":null`} {
			if !strings.Contains(string(second), want) {
				t.Errorf("%s: row 2 %s lacks %s", compression, second, want)
			}
		}
	}
}

func TestParquetRejects(t *testing.T) {
	p := newParquet(t, "zstd")
	for doc, want := range map[string]string{
		`{"quantity": 1.5}`:                      `parquet: /quantity: 1.5 does not fit exactly in a 64-bit integer column`,
		`{"quantity": 12345678901234567890}`:     `parquet: /quantity: 12345678901234567890 does not fit exactly in a 64-bit integer column`,
		`{"amount": 1e400}`:                      `parquet: /amount: 1e400 does not fit in a double column`,
		`{"created_at": "2026-11-25T23:58:60Z"}`: `parquet: /created_at: "2026-11-25T23:58:60Z" is not a date-time`,
		`{"lines": [{"sku": 5}]}`:                `parquet: /lines/0/sku: got number, want string`,
		`{"customer": "c-1"}`:                    `parquet: /customer: got string, want an object`,
		`{"matrix": [[1], ["x"]]}`:               `parquet: /matrix/1/0: got string, want bigint`,
		`[1]`:                                    `parquet: /: got array, want an object`,
	} {
		_, err := p.Row(decodeJSON(t, doc))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error %v, want %s", doc, err, want)
		}
	}
}

// TestParquetEncoderIsReusable: one Parquet writes file after file, each whole.
func TestParquetEncoderIsReusable(t *testing.T) {
	p := newParquet(t, "zstd")
	for i := range 3 {
		row, err := p.Row(decodeJSON(t, `{"order_id": "o-1"}`))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := p.Encode(&buf, []parquet.Row{row, row}); err != nil {
			t.Fatal(err)
		}
		if n := len(readBack(t, buf.Bytes(), p)); n != 2 {
			t.Fatalf("file %d: %d rows", i, n)
		}
		// Readers such as Athena and Spark find a column chunk by its path_in_schema: every file must have them all.
		f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		for c, chunk := range f.Metadata().RowGroups[0].Columns {
			if got, want := strings.Join(chunk.MetaData.PathInSchema, "."), strings.Join(p.Schema().Columns()[c], "."); got != want {
				t.Fatalf("file %d: column %d has path_in_schema %q, want %q", i, c, got, want)
			}
		}
	}
}

// TestParquetRepeatedKeys: a repeated key's last value counts, in a column and in _extra alike (as for the schema
// check and encoding/json).
func TestParquetRepeatedKeys(t *testing.T) {
	p := newParquet(t, "none")
	row, err := p.Row(decodeJSON(t, `{"order_id": "o-1", "x": 1, "order_id": "o-2", "x": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.Encode(&buf, []parquet.Row{row}); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(readBack(t, buf.Bytes(), p)[0])
	if !strings.Contains(string(got), `"order_id":"o-2"`) || !strings.Contains(string(got), `"_extra":"{\"x\":2}"`) {
		t.Fatalf("row %s", got)
	}
}

// TestParquetExactness: a value the column would change is an error (the record is quarantined), and every
// integer and date-time the schema accepts that the column can hold is held exactly.
func TestParquetExactness(t *testing.T) {
	s, err := schema.Compile([]byte(`{"type": "object", "properties": {"n": {"type": "integer"},
		"ts": {"type": "string", "format": "date-time"}}}`), "mem://exact.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParquet(s.Columns(nil), "none")
	if err != nil {
		t.Fatal(err)
	}
	leap := time.Date(2016, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro()
	for _, c := range []struct {
		doc    string
		column string
		want   int64  // the column's value (microseconds for ts)
		err    string // or the error
	}{
		{`{"n": 9007199254740993.0}`, "n", 9007199254740993, ""},
		{`{"n": 9223372036854775807.000}`, "n", 9223372036854775807, ""},
		{`{"n": -9.223372036854775808e18}`, "n", -9223372036854775808, ""},
		{`{"n": 1.5e3}`, "n", 1500, ""},
		{`{"n": 1500e-3}`, "n", 0, `parquet: /n: 1500e-3 does not fit exactly in a 64-bit integer column`},
		{`{"n": 15000E-4}`, "n", 0, `parquet: /n: 15000E-4 does not fit exactly`},
		{`{"n": 15000E-3}`, "n", 15, ""},
		{`{"n": -0.0e-999}`, "n", 0, ""},
		{`{"n": 0.99999999999999999999}`, "n", 0, `parquet: /n: 0.99999999999999999999 does not fit exactly`},
		{`{"n": 9007199254740993.5}`, "n", 0, `parquet: /n: 9007199254740993.5 does not fit exactly`},
		{`{"n": 9223372036854775808.0}`, "n", 0, `parquet: /n: 9223372036854775808.0 does not fit exactly`},
		{`{"n": 1e19}`, "n", 0, `parquet: /n: 1e19 does not fit exactly`},
		{`{"n": 1e99999999999999999999}`, "n", 0, `parquet: /n: 1e99999999999999999999 does not fit exactly`},
		{`{"ts": "2016-12-31T23:59:59.123456000Z"}`, "ts", 1483228799123456, ""},
		{`{"ts": "2016-12-31T23:59:59.123456789Z"}`, "ts", 0,
			`parquet: /ts: "2016-12-31T23:59:59.123456789Z": sub-microsecond precision`},
		{`{"ts": "2016-12-31T23:59:59.1234560001Z"}`, "ts", 0, `parquet: /ts: "2016-12-31T23:59:59.1234560001Z": sub-microsecond`},
		{`{"ts": "2016-12-31T23:59:59,1234567Z"}`, "ts", 0, `parquet: /ts: "2016-12-31T23:59:59,1234567Z": sub-microsecond`},
		{`{"ts": "2016-12-31t23:59:59.5z"}`, "ts", 1483228799500000, ""},
		{`{"ts": "2016-12-31T23:59:60Z"}`, "ts", leap, ""},
		{`{"ts": "2016-12-31T23:59:60.25Z"}`, "ts", leap, ""},
		{`{"ts": "2017-01-01T00:59:60+01:00"}`, "ts", leap, ""},
		{`{"ts": "2016-12-31T23:58:60Z"}`, "ts", 0, `parquet: /ts: "2016-12-31T23:58:60Z" is not a date-time`},
	} {
		doc := decodeJSON(t, c.doc)
		if c.err == "" {
			if err := s.Validate(doc); err != nil {
				t.Errorf("%s: the schema rejects it (%v): the case tests nothing", c.doc, err)
			}
		}
		row, err := p.Row(doc)
		if c.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %s", c.doc, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.doc, err)
			continue
		}
		leaf, _ := p.Schema().Lookup(c.column)
		if got := row[leaf.ColumnIndex]; got.IsNull() || got.Int64() != c.want {
			t.Errorf("%s: %s = %v, want %d", c.doc, c.column, got, c.want)
		}
	}
}

// fastPathRecords are records of ordersSchema for the fast path's differential test and fuzz target: valid ones in
// several key orders (the field hints then miss and hit), and every case the fast path declines.
var fastPathRecords = []string{
	`{"order_id": "o-1", "created_at": "2026-11-25T10:00:00.123456Z", "amount": 12.5, "quantity": 2, "gift": true,
	  "customer": {"id": "c-1", "tags": ["vip", null], "since": 2019}, "tenant": "acme",
	  "lines": [{"sku": "A", "qty": 1}, {"qty": 2, "sku": "B", "note": "wrap"}], "matrix": [[1, 2], [], [3]]}`,
	`{"tenant": "acme", "matrix": null, "lines": [null, {}], "quantity": 1.0, "order_id": "o-2", "gift": null}`,
	`{"customer": {"tags": [], "id": null}, "_extra": "a member named like the column", "x": {"y": [1]}}`,
	`{"order_id": "o-1", "order_id": "o-2"}`,                                        // a repeated column: the last wins
	`{"x": 1, "order_id": "o-1", "x": 2}`,                                           // a repeated member of _extra
	`{"customer": {"id": "c-1", "id": "c-2"}, "lines": [{"sku": "A", "sku": "B"}]}`, // repeated in nested structs
	`{"quantity": 1.5, "amount": "x"}`,                                              // two errors: the first field's is the one
	`{"amount": 1e400, "quantity": 1.5}`,
	`{"lines": [{"sku": 5}], "customer": "c-1"}`,
	`{"matrix": [[1], ["x"]]}`,
	`{"created_at": "2016-12-31T23:59:59.123456789Z"}`,
	`{"created_at": 5}`,
	`{}`,
	// One value in each column, which the fast path puts in place, and arrays of two or more elements, which it does not.
	`{"order_id": "o-3", "customer": {"id": "c-3", "tags": ["vip"]}, "lines": [{"qty": 1, "sku": "A", "note": "x"}],
	  "matrix": [[7]], "gift": false, "tenant": "t", "z": [1, 2]}`,
	`{"lines": [null], "customer": {"tags": null}, "matrix": [[]]}`,
	`{"matrix": [[], [1]]}`,
	`{"matrix": [[1, 2]]}`,
	`{"customer": {"tags": ["a", 5]}}`,
}

// inPlaceRecords are the valid fastPathRecords with one value in each column.
var inPlaceRecords = []int{2, 4, 12, 13, 14}

// checkFastPath fails t unless the row of record is the same made by the fast path, in place and in lists, as by
// shred alone.
func checkFastPath(t *testing.T, p *Parquet, record jsonvalue.Value, doc string) {
	t.Helper()
	slow, slowErr := p.row(record, shredOnly)
	for _, way := range []int{inPlace, lists} {
		fast, fastErr := p.row(record, way)
		if fmt.Sprint(fastErr) != fmt.Sprint(slowErr) {
			t.Fatalf("%s: error %v (way %d), shred's %v", doc, fastErr, way, slowErr)
		}
		if !fast.Equal(slow) {
			t.Fatalf("%s: row (way %d)\n%v\nshred's\n%v", doc, way, fast, slow)
		}
	}
}

// TestParquetFastPath: the fast path makes the row shred makes, or declines; and it does not decline valid records.
func TestParquetFastPath(t *testing.T) {
	p := newParquet(t, "none")
	for range 2 { // the second time, with the hints the first left
		for _, doc := range fastPathRecords {
			checkFastPath(t, p, decodeJSON(t, doc), doc)
		}
	}
	for _, doc := range fastPathRecords[:3] {
		clearColumns(p.scratch)
		if !p.root.fast(sink{cols: p.scratch}, decodeJSON(t, doc), 0, -1) {
			t.Errorf("%s: the fast path declined a valid record", doc)
		}
	}
	for i, doc := range fastPathRecords {
		record := decodeJSON(t, doc)
		_, err := p.row(record, shredOnly)
		row := make([]parquet.Value, p.columns)
		if got, want := p.root.fast(sink{row: row}, record, 0, -1), slices.Contains(inPlaceRecords, i); got != want || want && err != nil {
			t.Errorf("%s: put in place %v, want %v (shred's error: %v)", doc, got, want, err)
		}
	}
	// A struct of more than 64 fields is shred's alone.
	var props, record []string
	for i := range 70 {
		props = append(props, fmt.Sprintf(`"f%02d": {"type": "integer"}`, i))
		record = append(record, fmt.Sprintf(`"f%02d": %d`, 69-i, i))
	}
	s, err := schema.Compile([]byte(`{"type": "object", "properties": {`+strings.Join(props, ",")+`}}`), "mem://wide.json")
	if err != nil {
		t.Fatal(err)
	}
	wide, err := NewParquet(s.Columns(nil), "none")
	if err != nil {
		t.Fatal(err)
	}
	doc := `{` + strings.Join(record, ",") + `}`
	checkFastPath(t, wide, decodeJSON(t, doc), doc)
}

func FuzzParquetRow(f *testing.F) {
	for _, doc := range fastPathRecords {
		f.Add([]byte(doc))
	}
	p := newParquet(f, "none")
	f.Fuzz(func(t *testing.T, data []byte) {
		record, err := jsonvalue.Decode(data)
		if err != nil {
			return
		}
		checkFastPath(t, p, record, string(data))
	})
}

// TestParquetPlainColumns: a string column whose values are mostly distinct is written plain, one whose values
// repeat (here _extra, which holds the partition column tenant) with a dictionary; the choice depends on the rows only, so the same rows make the same bytes.
func TestParquetPlainColumns(t *testing.T) {
	var rows []parquet.Row
	p := newParquet(t, "zstd")
	for i := range 200 {
		row, err := p.Row(decodeJSON(t, fmt.Sprintf(`{"order_id": "o-%d", "tenant": "t-%d", "customer": {"id": null}}`, i, i%3)))
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	var first []byte
	for i, p := range []*Parquet{p, p, newParquet(t, "zstd")} {
		var buf bytes.Buffer
		if err := p.Encode(&buf, rows); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf.Bytes()
		} else if !bytes.Equal(buf.Bytes(), first) {
			t.Fatalf("encoding %d: the same rows made other bytes", i)
		}
	}
	f, err := parquet.OpenFile(bytes.NewReader(first), int64(len(first)))
	if err != nil {
		t.Fatal(err)
	}
	encodings := map[string]string{}
	for _, c := range f.Metadata().RowGroups[0].Columns {
		encodings[strings.Join(c.MetaData.PathInSchema, ".")] = fmt.Sprint(c.MetaData.Encoding)
	}
	for column, want := range map[string]string{
		"order_id": "[PLAIN RLE]", "_extra": "[PLAIN RLE RLE_DICTIONARY]", "customer.id": "[PLAIN RLE RLE_DICTIONARY]",
	} {
		if encodings[column] != want {
			t.Errorf("%s: encodings %s, want %s", column, encodings[column], want)
		}
	}
	got := readBack(t, first, p)
	if len(got) != 200 || got[199]["order_id"] != "o-199" || got[199]["_extra"] != `{"tenant":"t-1"}` {
		t.Fatalf("read back %d rows, the last %v", len(got), got[len(got)-1])
	}
}

// A Parquet pooled for the next invocation must not keep this one's data alive: with strings shared with the
// input (jsonvalue.Decoder.ShareInput), one value left in its arena or scratch would hold a whole event.
func TestParquetReleaseKeepsNoData(t *testing.T) {
	p := newParquet(t, "none")
	data := []byte(`{"order_id": "` + strings.Repeat("x", 1<<20) + `", "quantity": 1}`)
	dec := jsonvalue.Decoder{ShareInput: true}
	v, err := dec.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Row(v); err != nil {
		t.Fatal(err)
	}
	gone := weak.Make(&data[0])
	data, v, dec = nil, jsonvalue.Value{}, jsonvalue.Decoder{}
	p.Release()
	runtime.GC()
	if gone.Value() != nil {
		t.Fatal("the released Parquet still holds the record's data")
	}
	runtime.KeepAlive(p)
}

// timestamps are date-times for unixMicro and dateTime to agree on: the forms it reads, and the edges where it
// leaves the reading to dateTime.
var timestamps = []string{
	"2026-11-25T10:00:00Z", "2026-11-25T10:00:00.123Z", "2026-11-25T10:00:00.123456000+01:00",
	"2026-11-25T10:00:00.1234560Z", "1969-12-31T23:59:59.999999Z", "0000-01-01T00:00:00Z",
	"9999-12-31T23:59:59.999999-23:59", "2024-02-29T12:00:00Z", "2000-02-29T00:00:00+05:30", "2026-01-31T00:00:00Z",
	"2026-06-30T00:00:00Z", // the forms unixMicro reads
	"2026-02-30T00:00:00Z", "2026-06-31T00:00:00Z", "2026-11-32T00:00:00Z",
	"2026-11-25T10:00:00.1234567Z", "2023-02-29T12:00:00Z",
	"1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-12-31T23:59:60Z",
	"2026-11-25t10:00:00z", "2026-11-25T10:00:00.Z", "2026-11-25T10:00:00.1234567890Z", "2026-11-25T24:00:00Z",
	"2026-11-25T10:00:00+24:00", "2026-11-25T10:00:00+01:60", "2026-11-25T10:00:00", "2026-11-25 10:00:00Z",
	"2026-1-25T10:00:00Z", "+026-11-25T10:00:00Z", "2026-11-25T10:00:00,5Z", "2026-11-25T10:00:00-00:00",
	"2026-11-25T10-00:00Z", "2026-11-25T10:00-00Z", "2026-11-25T10:00:00+01-00", "2026-11-25T10:00:00+01:0x",
	"2026-11-25T10:00:00+0100", "2026/11-25T10:00:00Z", "2026-11/25T10:00:00Z",
}

// checkUnixMicro fails t unless unixMicro reads s as dateTime and subMicro do, or leaves it to them.
func checkUnixMicro(t *testing.T, s string) {
	t.Helper()
	us, ok := unixMicro(s)
	if !ok {
		return
	}
	ts, err := dateTime(s)
	if err != nil || subMicro(s) {
		t.Fatalf("%q: unixMicro read %d; dateTime: %v, sub-microsecond: %v", s, us, err, subMicro(s))
	}
	if ts.UnixMicro() != us {
		t.Fatalf("%q: unixMicro read %d, dateTime %d", s, us, ts.UnixMicro())
	}
}

// TestParquetUnixMicro: the fast reading of date-times agrees with dateTime, and reads the usual forms.
func TestParquetUnixMicro(t *testing.T) {
	for _, s := range timestamps {
		checkUnixMicro(t, s)
	}
	for _, s := range timestamps[:11] {
		if _, ok := unixMicro(s); !ok {
			t.Errorf("%q: unixMicro left a usual date-time to dateTime", s)
		}
	}
}

func FuzzParquetUnixMicro(f *testing.F) {
	for _, s := range timestamps {
		f.Add(s)
	}
	f.Fuzz(checkUnixMicro)
}

// checkWriteColumns fails t unless writeColumns writes the rows of the records (JSON documents, one a line; those
// the columns cannot hold are left out) into the same file as parquet-go's Writer.WriteRows.
func checkWriteColumns(t *testing.T, p *Parquet, docs string) {
	t.Helper()
	var rows []parquet.Row
	for doc := range strings.SplitSeq(docs, "\n") {
		record, err := jsonvalue.Decode([]byte(doc))
		if err != nil {
			continue
		}
		if row, err := p.Row(record); err == nil {
			rows = append(rows, row)
		}
	}
	config, err := p.config(p.plainColumns(rows))
	if err != nil {
		t.Fatal(err)
	}
	var files [2]bytes.Buffer
	for i := range files {
		w := parquet.NewWriter(&files[i], config)
		if i == 0 {
			err = writeColumns(w, rows)
		} else {
			_, err = w.WriteRows(rows)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(files[0].Bytes(), files[1].Bytes()) {
		t.Fatalf("%d rows: writeColumns wrote %d bytes, unlike WriteRows' %d", len(rows), files[0].Len(), files[1].Len())
	}
}

// TestParquetWriteColumns: writing the rows column by column makes the file WriteRows makes, also over many pages.
func TestParquetWriteColumns(t *testing.T) {
	p := newParquet(t, "zstd")
	checkWriteColumns(t, p, strings.Join(fastPathRecords, "\n"))
	var many []string
	// Pages of 256 KiB fill mid-write, in three string columns at rows of their own: a page ends after the write that
	// fills it, so the file is the same only if the writes are WriteRows' 64 rows (32, 96 or 128 would end some pages
	// elsewhere).
	for i := range 12000 {
		many = append(many, fmt.Sprintf(`{"order_id": "o-%d-%s", "quantity": %d, "customer": {"id": "%s", "tags": ["a", "b%d"]}, "lines": [{"sku": "s%d-%s"}]}`,
			i, strings.Repeat("x", i*7%300), i, strings.Repeat("c", i*13%170), i%7, i, strings.Repeat("s", i*11%230)))
	}
	checkWriteColumns(t, p, strings.Join(many, "\n"))
	// Rows with one value in each column, gathered a column at a time, and chunks of them among others.
	for i := range many {
		if i%1000 >= 130 {
			many[i] = strings.ReplaceAll(many[i], `["a", "b`, `["b`)
		}
	}
	checkWriteColumns(t, p, strings.Join(many, "\n"))
}

func FuzzParquetWriteColumns(f *testing.F) {
	f.Add(strings.Join(fastPathRecords, "\n"))
	for _, doc := range fastPathRecords {
		f.Add(doc + "\n" + doc)
	}
	p := newParquet(f, "none")
	f.Fuzz(func(t *testing.T, docs string) { checkWriteColumns(t, p, docs) })
}

// TestParquetKeepsBounds: without page-header statistics, a file still has what query engines prune by: each column
// chunk's statistics and the column index of its pages.
func TestParquetKeepsBounds(t *testing.T) {
	p := newParquet(t, "zstd")
	var rows []parquet.Row
	for i := range 3 {
		row, err := p.Row(decodeJSON(t, fmt.Sprintf(`{"order_id": "o-%d", "quantity": %d, "customer": {"tags": ["t%d", null]}}`, i, 10+i, i)))
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	var buf bytes.Buffer
	if err := p.Encode(&buf, rows); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for column, want := range map[string][3]string{ // min, max, null count
		"order_id": {"o-0", "o-2", "0"}, "quantity": {"\x0a\x00\x00\x00\x00\x00\x00\x00", "\x0c\x00\x00\x00\x00\x00\x00\x00", "0"},
		"customer.tags.list.element": {"t0", "t2", "3"},
	} {
		leaf, _ := p.Schema().Lookup(strings.Split(column, ".")...)
		stats := f.Metadata().RowGroups[0].Columns[leaf.ColumnIndex].MetaData.Statistics
		index := f.ColumnIndexes()[leaf.ColumnIndex]
		got := [3]string{string(stats.MinValue), string(stats.MaxValue), fmt.Sprint(stats.NullCount)}
		if got != want || len(index.MinValues) != 1 || string(index.MinValues[0]) != want[0] ||
			string(index.MaxValues[0]) != want[1] || fmt.Sprint(index.NullCounts) != "["+want[2]+"]" {
			t.Errorf("%s: statistics %q, column index %q %q %v; want %q", column, got, index.MinValues, index.MaxValues,
				index.NullCounts, want)
		}
	}
}

// TestParquetColumnOrder: Row numbers the leaves as the Parquet schema orders them, byte-wise by name, also where
// upper-case names put _extra between other columns (Row no longer checks each value's column).
func TestParquetColumnOrder(t *testing.T) {
	s, err := schema.Compile([]byte(`{"type": "object", "properties": {"Zeta": {"type": "integer"}, "alpha": {"type": "string"},
		"_x": {"type": "boolean"}, "B": {"type": "object", "properties": {"Y": {"type": "string"},
		"a": {"type": "array", "items": {"type": "string", "format": "date-time"}}}}}}`), "mem://order.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParquet(s.Columns(nil), "none")
	if err != nil {
		t.Fatal(err)
	}
	got := writeOne(t, p, decodeJSON(t, `{"alpha": "A", "Zeta": 7, "_x": true, "more": 1,
		"B": {"a": ["1970-01-01T00:00:01Z", null], "Y": "y", "q": 2}}`))
	want := `[{"B":{"Y":"y","_extra":"{\"q\":2}","a":[1000000,null]},"Zeta":7,"_extra":"{\"more\":1}","_x":true,"alpha":"A"}]`
	if got != want {
		t.Fatalf("read back %s, want %s", got, want)
	}
}

// writeOne writes a file of the row of record and returns its rows as read back, in JSON.
func writeOne(t *testing.T, p *Parquet, record jsonvalue.Value) string {
	t.Helper()
	row, err := p.Row(record)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.Encode(&buf, []parquet.Row{row}); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(readBack(t, buf.Bytes(), p))
	return string(got)
}

// TestParquetReferencedColumns: properties whose schemas are references to $defs (at the root, in a struct, as the
// items of an array, through a chain) are columns of their definitions' types, and their values land there, converted
// (a date-time as microseconds), not in _extra; a reference the rules do not follow ("#") stays in _extra.
func TestParquetReferencedColumns(t *testing.T) {
	s, err := schema.Compile([]byte(`{"$ref": "#/$defs/order", "$defs": {
		"order": {"type": "object", "properties": {"id": {"$ref": "#/$defs/id"}, "at": {"$ref": "#/$defs/at"},
			"total": {"$ref": "#/$defs/money"}, "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}},
			"self": {"$ref": "#"}}},
		"id": {"$ref": "#/$defs/text"}, "text": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
		"money": {"type": "object", "properties": {"amount": {"type": "integer"}, "currency": {"$ref": "#/$defs/id"}}},
		"line": {"type": "object", "properties": {"sku": {"$ref": "#/$defs/id"}}}}}`), "mem://refs.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParquet(s.Columns(nil), "none")
	if err != nil {
		t.Fatal(err)
	}
	record := decodeJSON(t, `{"id": "o-1", "at": "1970-01-01T00:00:01Z", "total": {"amount": 5, "currency": "EUR"},
		"lines": [{"sku": "A"}], "self": {"id": "o-0"}}`)
	if err := s.Validate(record); err != nil {
		t.Fatalf("the schema rejects the record (%v): the test tests nothing", err)
	}
	got := writeOne(t, p, record)
	want := `[{"_extra":"{\"self\":{\"id\":\"o-0\"}}","at":1000000,"id":"o-1","lines":[{"_extra":null,"sku":"A"}],` +
		`"total":{"_extra":null,"amount":5,"currency":"EUR"}}]`
	if got != want {
		t.Fatalf("read back %s, want %s", got, want)
	}
	if _, err := p.Row(decodeJSON(t, `{"total": {"amount": "5"}}`)); err == nil || !strings.HasPrefix(err.Error(), "parquet: /total/amount: got string, want bigint") {
		t.Errorf("a string in the referenced bigint column: error %v", err)
	}
}

// A column type that typeOf does not know converts nothing: it must not fall back to string.
func TestUnknownColumnTypeConvertsNothing(t *testing.T) {
	if _, ok := typeOf["decimal"]; ok {
		t.Fatal("typeOf knows decimal: pick a type it does not know")
	}
	for _, text := range []string{`"a"`, `1`, `true`, `{}`, `[]`} {
		var d jsonvalue.Decoder
		v, err := d.Decode([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := convert(typeOf["decimal"], v); err == nil || !strings.Contains(err.Error(), "unknown type") {
			t.Errorf("%s converted to an unknown column type: %v", text, err)
		}
	}
}

// TestParquetHoldsTuples: in draft 2020-12 "items" constrains only the elements after "prefixItems", so an array
// with both may hold other types at the front than "items" says. A record the schema accepts must be written, not
// quarantined: such an array is no column, and stays in _extra as sent.
func TestParquetHoldsTuples(t *testing.T) {
	s, err := schema.Compile([]byte(`{"type": "object", "properties": {
		"point": {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}}}}`), "mem://tuple.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParquet(s.Columns(nil), "none")
	if err != nil {
		t.Fatal(err)
	}
	record := decodeJSON(t, `{"point": ["x", 1, 2]}`)
	if err := s.Validate(record); err != nil {
		t.Fatalf("the schema rejects the record (%v): the test tests nothing", err)
	}
	if _, err := p.Row(record); err != nil {
		t.Fatalf("a record the schema accepts: %v", err)
	}
	if got, want := writeOne(t, p, record), `[{"_extra":"{\"point\":[\"x\",1,2]}"}]`; got != want {
		t.Fatalf("read back %s, want %s", got, want)
	}
}

// TestParquetBoundsStaySmall: the footer holds each column chunk's bounds, which parquet-go writes whole, so a long
// string (a text, a JSON blob in _extra) would be copied there uncompressed, for every reader to fetch and decode
// before any data (Trino refuses footers past a size; parquet-mr omits bounds past 4 KiB). A column with a string
// longer than 1 KiB in the file, and _extra (JSON, whose bounds prune nothing), are written without bounds; other
// columns keep theirs, and the values read back whole.
func TestParquetBoundsStaySmall(t *testing.T) {
	p := newParquet(t, "zstd")
	long := strings.Repeat("x", 100<<10)
	body := encodeRecords(t, p, longRecord(long), `{"order_id": "o-2", "customer": {"id": "c-2"}}`)
	// A file with a long string has a writer configuration of its own, made for it: the bytes are the same again.
	if again := encodeRecords(t, p, longRecord(long), `{"order_id": "o-2", "customer": {"id": "c-2"}}`); !bytes.Equal(body, again) {
		t.Error("the same records make another file")
	}
	f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	for _, column := range []string{"order_id", "_extra", "customer._extra", "customer.id"} {
		leaf, _ := p.Schema().Lookup(strings.Split(column, ".")...)
		stats := f.Metadata().RowGroups[0].Columns[leaf.ColumnIndex].MetaData.Statistics
		if n := max(len(stats.MinValue), len(stats.MaxValue), len(stats.Min), len(stats.Max)); n > 1<<10 {
			t.Errorf("%s: bounds of %d bytes in the footer", column, n)
		}
		if column == "customer.id" && (string(stats.MinValue) != "c-1" || string(stats.MaxValue) != "c-2") {
			t.Errorf("%s: bounds %q %q, want c-1 c-2", column, stats.MinValue, stats.MaxValue)
		}
	}
	if footer := int(binary.LittleEndian.Uint32(body[len(body)-8:])); footer > 16<<10 {
		t.Errorf("a footer of %d bytes", footer)
	}
	// A row with more than one value in a column (two lines) is looked at value by value, not column by column.
	lines := encodeRecords(t, p, fmt.Sprintf(`{"order_id": "o-3", "lines": [{"sku": "A"}, {"sku": "%s"}]}`, long))
	if f, err = parquet.OpenFile(bytes.NewReader(lines), int64(len(lines))); err != nil {
		t.Fatal(err)
	}
	leaf, _ := p.Schema().Lookup("lines", "list", "element", "sku")
	if stats := f.Metadata().RowGroups[0].Columns[leaf.ColumnIndex].MetaData.Statistics; len(stats.MaxValue) > 1<<10 {
		t.Errorf("lines.sku: bounds of %d bytes in the footer", len(stats.MaxValue))
	}
	got := readBack(t, body, p)
	if len(got) != 2 || got[0]["order_id"] != "o-"+long || !strings.Contains(got[0]["_extra"].(string), long) ||
		!strings.Contains(got[0]["customer"].(map[string]any)["_extra"].(string), long) {
		t.Error("the long strings do not read back whole")
	}
}

// longRecord is a record with the string long in a column, in _extra and in a struct's _extra.
func longRecord(long string) string {
	return fmt.Sprintf(`{"order_id": "o-%s", "customer": {"id": "c-1", "note": "%s"}, "blob": "%s"}`, long, long, long)
}

// rowsOf is the rows of the records, each one JSON document.
func rowsOf(t *testing.T, p *Parquet, records ...string) []parquet.Row {
	t.Helper()
	var rows []parquet.Row
	for i, r := range records {
		row, err := p.Row(decodeJSON(t, r))
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		rows = append(rows, row)
	}
	return rows
}

// encodeRecords writes the records, each one JSON document, as one file.
func encodeRecords(t *testing.T, p *Parquet, records ...string) []byte {
	t.Helper()
	rows := rowsOf(t, p, records...)
	var buf bytes.Buffer
	if err := p.Encode(&buf, rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

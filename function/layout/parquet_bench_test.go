package layout

import (
	"bytes"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// BenchmarkParquetClickstream is the Parquet part of the analytics figures alone, in CPU time per record: the bench
// records, decoded beforehand, made rows (rows), and the rows encoded as one zstd file (encode).
func BenchmarkParquetClickstream(b *testing.B) {
	w, err := benchdata.Clickstream()
	if err != nil {
		b.Fatal(err)
	}
	s, err := schema.Compile([]byte(benchdata.Schema), "mem://bench.json")
	if err != nil {
		b.Fatal(err)
	}
	records := make([]jsonvalue.Value, len(w.Data))
	for i, d := range w.Data {
		if records[i], err = jsonvalue.Decode(d); err != nil {
			b.Fatal(err)
		}
	}
	p, err := NewParquet(s.Columns(nil), "zstd")
	if err != nil {
		b.Fatal(err)
	}
	makeRows := func() []parquet.Row {
		rows := make([]parquet.Row, len(records))
		for i, r := range records {
			if rows[i], err = p.Row(r); err != nil {
				b.Fatal(err)
			}
		}
		return rows
	}
	perRecord := func(b *testing.B, start time.Duration) {
		b.ReportMetric(float64((benchdata.CPUTime()-start).Nanoseconds())/float64(b.N*len(records)), "cpu-ns/record")
	}
	b.Run("rows", func(b *testing.B) {
		b.ReportAllocs()
		start := benchdata.CPUTime()
		for b.Loop() {
			makeRows()
		}
		perRecord(b, start)
	})
	b.Run("encode", func(b *testing.B) {
		rows := makeRows()
		var buf bytes.Buffer
		b.ReportAllocs()
		start := benchdata.CPUTime()
		for b.Loop() {
			buf.Reset()
			if err := p.Encode(&buf, rows); err != nil {
				b.Fatal(err)
			}
		}
		perRecord(b, start)
		b.ReportMetric(float64(buf.Len()), "object-bytes")
	})
}

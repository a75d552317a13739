package process

import (
	"context"
	"runtime"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/event"
	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// discard is a Writer that keeps nothing: the benchmarks measure the core, not storage.
type discard struct{}

func (discard) Put(context.Context, string, []byte, string) error { return nil }

// benchBatch is the benchmark workload (internal/benchdata): 4,800 clickstream records, decoded from their 6.2 MB
// event as the handler decodes it.
func benchBatch(b *testing.B) ([]events.KinesisEventRecord, int64) {
	w, err := benchdata.Clickstream()
	if err != nil {
		b.Fatal(err)
	}
	return decodeWorkload(b, w)
}

// fullBatch is a full batch of 10,000 clickstream records (benchdata.ClickstreamFullBatch), the first 4,800 of them
// benchBatch's.
func fullBatch(b *testing.B) ([]events.KinesisEventRecord, int64) {
	w, err := benchdata.ClickstreamFullBatch()
	if err != nil {
		b.Fatal(err)
	}
	return decodeWorkload(b, w)
}

func decodeWorkload(b *testing.B, w benchdata.Workload) ([]events.KinesisEventRecord, int64) {
	rs, err := new(event.Decoder).Decode(w.Event)
	if err != nil {
		b.Fatal(err)
	}
	return rs, w.Bytes
}

func BenchmarkProcess(b *testing.B) {
	rs, size := benchBatch(b)
	for _, c := range []struct{ mode, compression string }{
		{"record", "none"}, {"batch", "none"}, {"batch", "gzip"}, {"batch", "zstd"},
	} {
		b.Run(c.mode+"/"+c.compression, func(b *testing.B) {
			conf := cfg(c.mode)
			conf.Compression = c.compression
			p, err := New(conf, discard{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			var written int64
			b.SetBytes(size)
			b.ReportAllocs()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, m, err := p.Process(context.Background(), rs)
				if err != nil || m.RecordsWritten != len(rs) {
					b.Fatalf("err %v metrics %+v", err, m)
				}
				written = m.BytesWritten
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			// The payload stays live while it is processed, and every byte the core allocates can be live at once
			// at worst: (payload + allocated per batch) / payload bounds the peak heap in multiples of the payload.
			perOp := float64(after.TotalAlloc-before.TotalAlloc) / float64(b.N)
			b.ReportMetric((float64(size)+perOp)/float64(size), "peak-heap-x-payload")
			b.ReportMetric(float64(size)/float64(max(written, 1)), "compression-ratio")
		})
	}
}

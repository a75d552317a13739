package process

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// discard is a Writer that keeps nothing: the benchmarks measure the core, not storage.
type discard struct{}

func (discard) Put(context.Context, string, []byte, string) error { return nil }

// benchBatch is a 10,000-record batch of about 6 MB: clickstream-like JSON of ~600 bytes each, with the mix of
// repeated and random content that real events have (compression ratios depend on it).
func benchBatch() ([]events.KinesisEventRecord, int64) {
	rng := rand.New(rand.NewPCG(1, 2))
	pages := []string{"/", "/products", "/products/42", "/cart", "/checkout", "/search?q=shoes"}
	var rs []events.KinesisEventRecord
	var size int64
	for i := 0; i < 10000; i++ {
		data := fmt.Sprintf(`{"event_id": "%016x%016x", "type": "page_view", "user": {"id": "user-%d", "session": "%x", "country": "DE", "agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"}, "page": "%s", "referrer": "https://www.example.com/landing?utm_source=newsletter&utm_campaign=%d", "duration_ms": %d, "ts": "2026-11-25T10:%02d:%02d.%03dZ", "tags": ["%s", "%s"], "padding": "%s"}`,
			rng.Uint64(), rng.Uint64(), rng.IntN(5000), rng.Uint64(), pages[rng.IntN(len(pages))], rng.IntN(100),
			rng.IntN(60000), rng.IntN(60), rng.IntN(60), rng.IntN(1000), pages[rng.IntN(len(pages))], pages[rng.IntN(len(pages))],
			strings.Repeat("x", 100+rng.IntN(60)))
		r := rec("shardId-000000000000", i, t0, data)
		rs = append(rs, r)
		size += int64(len(data))
	}
	return rs, size
}

func BenchmarkProcess(b *testing.B) {
	rs, size := benchBatch()
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

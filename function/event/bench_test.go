package event

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// BenchmarkDecode decodes the benchmark event (4,800 clickstream records, 6.2 MB) with this decoder and, for
// comparison, as aws-lambda-go does (encoding/json into events.KinesisEvent). MB/s are of event bytes; the CPU
// figures (the process's, garbage collection included) hold when other work shares the machine.
func BenchmarkDecode(b *testing.B) {
	w, err := benchdata.Clickstream()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("event.Decoder", func(b *testing.B) {
		var d Decoder
		benchCPU(b, len(w.Event), func() {
			if recs, err := d.Decode(w.Event); err != nil || len(recs) != benchdata.Records {
				b.Fatal(len(recs), err)
			}
		})
	})
	b.Run("encoding-json", func(b *testing.B) {
		benchCPU(b, len(w.Event), func() {
			var ev events.KinesisEvent
			if err := json.Unmarshal(w.Event, &ev); err != nil || len(ev.Records) != benchdata.Records {
				b.Fatal(err)
			}
		})
	})
}

// benchCPU runs decode in a benchmark loop and reports, besides the wall clock's figures, the CPU time per event
// and the event bytes decoded per CPU second.
func benchCPU(b *testing.B, size int, decode func()) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	start := benchdata.CPUTime()
	for b.Loop() {
		decode()
	}
	cpu := benchdata.CPUTime() - start
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(size)*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
}

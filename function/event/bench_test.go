package event

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// BenchmarkDecode decodes the benchmark event (4,800 clickstream records, 6.2 MB) with this decoder and, for
// comparison, as aws-lambda-go does (encoding/json into events.KinesisEvent). MB/s are of event bytes.
func BenchmarkDecode(b *testing.B) {
	w, err := benchdata.Clickstream()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("event.Decoder", func(b *testing.B) {
		var d Decoder
		b.SetBytes(int64(len(w.Event)))
		b.ReportAllocs()
		for b.Loop() {
			if recs, err := d.Decode(w.Event); err != nil || len(recs) != benchdata.Records {
				b.Fatal(len(recs), err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(w.Event)))
		b.ReportAllocs()
		for b.Loop() {
			var ev events.KinesisEvent
			if err := json.Unmarshal(w.Event, &ev); err != nil || len(ev.Records) != benchdata.Records {
				b.Fatal(err)
			}
		}
	})
}

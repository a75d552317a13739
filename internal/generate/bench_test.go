package generate

import (
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// BenchmarkRender measures the generator alone: template execution, JSON validation and compaction, the
// partition key, and for the mix invalid kinds and KPL aggregates of 10 records.
func BenchmarkRender(b *testing.B) {
	cases := []struct {
		name, template string
		mix            bool
	}{{"clickstream", "clickstream", false}, {"iot", "iot", false}, {"orders", "orders", false}, {"clickstream+mix", "clickstream", true}}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			o := builtinOptions(b, c.template, 1)
			if c.mix {
				o.InvalidFraction, o.KPLFraction = 0.1, 0.1
			}
			g := newGen(b, o)
			var bytes int64
			b.ResetTimer()
			for b.Loop() {
				rec, err := g.Next()
				if err != nil {
					b.Fatal(err)
				}
				bytes += int64(rec.size())
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(bytes)/float64(b.N), "bytes/record")
		})
	}
}

// acceptAll answers every PutRecords at once, so BenchmarkRunNoNetwork measures everything but the network.
type acceptAll struct{}

func (acceptAll) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i := range out.Records {
		out.Records[i] = types.PutRecordsResultEntry{SequenceNumber: aws.String("49600000000000000000000000000000000000000000000000000001"), ShardId: aws.String("shardId-000000000000")}
	}
	return out, nil
}

// BenchmarkRunNoNetwork measures rendering, batching, result accounting and (with output) the audit lines.
func BenchmarkRunNoNetwork(b *testing.B) {
	for _, withOutput := range []bool{false, true} {
		name := "no-output"
		if withOutput {
			name = "with-output"
		}
		b.Run(name, func(b *testing.B) {
			g := newGen(b, builtinOptions(b, "clickstream", 1))
			cfg := Config{Stream: "s", Count: int64(b.N), Concurrency: 2}
			if withOutput {
				cfg.Output = io.Discard
			}
			b.ResetTimer()
			s, err := Run(context.Background(), acceptAll{}, g, cfg)
			if err != nil || s.Sent != int64(b.N) {
				b.Fatalf("%v: %s", err, s.Summary())
			}
			b.ReportMetric(float64(s.Sent)/s.Elapsed.Seconds(), "records/s")
		})
	}
}
